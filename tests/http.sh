#!/usr/bin/env bash
# HTTP tests of ezcluster_serve() through real web servers and curl:
# nginx + php-fpm and Apache + mod_php (tests/webservers.sh), on MariaDB (the
# php.ini settings) and PostgreSQL (a siteaccess script passing its own), then
# two php-fpm nodes sharing one database, then a php-fpm worker's memory while
# it serves 100 MiB.
#
#   tests/http.sh WORKDIR COUNTS
# Needs the EZCLUSTER_TEST_* variables of tests/servers.sh and build/ezcluster.so.
# Appends "<suite> <passed> <failed>" lines to COUNTS; exits non-zero when a
# check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PHP=${PHP:-php8.2}
WORK=$(realpath -m -- "$1")
COUNTS=$2
[[ -f $ROOT/build/ezcluster.so ]] || { echo "http.sh: build/ezcluster.so is missing; run make build" >&2; exit 1; }

mkdir -p "$WORK"
# Apache's children run as www-data when this runs as root: everything they
# read (the extension too, whatever the checkout's permissions) is below WORK.
chmod 755 "$WORK"
EXT=$WORK/ezcluster.so
install -m 0644 "$ROOT/build/ezcluster.so" "$EXT"
DOC=$WORK/docroot
T=$WORK/t # the last response: headers in $T.h, body in $T.b
mkdir -p "$DOC" "$WORK/fixtures" "$WORK/node-a" "$WORK/node-b"
cleanup() { tests/webservers.sh stop "$WORK/web" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# ------------------------------------------------------------ settings

MTIME=1700000000
LAST_MODIFIED="Tue, 14 Nov 2023 22:13:20 GMT"
CHUNK=65535
my_settings=(
	"ezcluster.db_backend=mysql" "ezcluster.db_host=$EZCLUSTER_TEST_MYSQL_HOST"
	"ezcluster.db_port=$EZCLUSTER_TEST_MYSQL_PORT" "ezcluster.db_name=$EZCLUSTER_TEST_MYSQL_NAME"
	"ezcluster.db_user=$EZCLUSTER_TEST_MYSQL_USER" "ezcluster.db_password=$EZCLUSTER_TEST_MYSQL_PASSWORD"
)
pg_settings=(
	"ezcluster.db_backend=pgsql" "ezcluster.db_host=$EZCLUSTER_TEST_PGSQL_HOST"
	"ezcluster.db_port=$EZCLUSTER_TEST_PGSQL_PORT" "ezcluster.db_name=$EZCLUSTER_TEST_PGSQL_NAME"
	"ezcluster.db_user=$EZCLUSTER_TEST_PGSQL_USER" "ezcluster.db_password=$EZCLUSTER_TEST_PGSQL_PASSWORD"
)
{
	echo "extension=$EXT"
	printf '%s\n' "${my_settings[@]}"
	echo "ezcluster.db_chunk_size=$CHUNK"
	echo "ezcluster.serve_cache_control=\"public, max-age=600\""
	echo "ezcluster.serve_expires=600"
	echo "memory_limit=32M"
} >"$WORK/php.ini"

# The doc root: index_image.php as shipped, and one siteaccess script per
# other store, passing its settings the way docs/serving.md shows.
cp php/index_image.php tests/http/node.php tests/http/hwm.php "$DOC/"
pg_array() {
	local s
	for s in "${pg_settings[@]}"; do
		printf "    '%s' => '%s',\n" "${s%%=*}" "${s#*=}"
	done
}
printf '<?php\nezcluster_serve(null, [\n%s]);\n' "$(pg_array)" >"$DOC/index_image-pg.php"
# A store that cannot be reached: every request is a 500.
printf '<?php\nezcluster_serve(null, [%s]);\n' \
	"'DBBackend' => 'mysql', 'DBHost' => '127.0.0.1', 'DBPort' => 1, 'DBName' => 'x', 'DBPassword' => 'hunter2-secret', 'DBConnectRetries' => 0" \
	>"$DOC/index_image-broken.php"
chmod -R a+rX "$DOC"

# ------------------------------------------------------------ fixtures

fixture() { # settings-array-name, then fixture.php arguments
	local -n settings=$1
	shift
	local args=(-n -d "extension=$EXT") s
	for s in "${settings[@]}"; do args+=(-d "$s"); done
	"$PHP" "${args[@]}" tests/http/fixture.php "$@"
}

F=$WORK/fixtures
head -c 4096 /dev/urandom >"$F/small"
head -c 200000 /dev/urandom >"$F/multi"
head -c 100 /dev/urandom >"$F/versioned"
: >"$F/empty"
printf 'SECRET-CACHE-CONTENT' >"$F/secret"
for store in my_settings pg_settings; do
	fixture $store store var/storage/images/test/small.png "$F/small" image/png $MTIME
	fixture $store store var/storage/images/test/multi.jpg "$F/multi" image/jpeg $MTIME
	fixture $store store var/site/storage/images-versioned/1/v.gif "$F/versioned" image/gif $MTIME
	fixture $store store var/storage/images/test/empty.png "$F/empty" image/png $MTIME
	fixture $store store var/storage/images/test/deleted.png "$F/small" image/png $MTIME
	fixture $store delete var/storage/images/test/deleted.png
	fixture $store store var/cache/secret.cache "$F/secret" application/octet-stream $MTIME
	fixture $store store var/site/cache/template-block/secret.cache "$F/secret" application/octet-stream $MTIME
done

mkdir -p "$WORK/web"
tests/webservers.sh start "$WORK/web" --docroot "$DOC" --ini "$WORK/php.ini" --apache \
	--pool a="$WORK/node-a" --pool b="$WORK/node-b" --children 1 \
	--site pg.test=index_image-pg.php --site broken.test=index_image-broken.php
# shellcheck disable=SC1091
. "$WORK/web/env"

# -------------------------------------------------------------- checks

SUITE="" PASSED=0 FAILED=0 ANY_FAILED=0
begin_suite() { SUITE=$1 PASSED=0 FAILED=0; echo "== HTTP: $1"; }
end_suite() {
	echo "$SUITE $PASSED $FAILED" >>"$COUNTS"
	echo "   $SUITE: $PASSED passed, $FAILED failed"
	((FAILED == 0)) || ANY_FAILED=1
}
pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$SUITE] $CHECK: $*"
	head -n 20 "$T.h" 2>/dev/null | sed 's/^/      < /' || true
}

# req LABEL [curl args...] URL: one request; status in $STATUS.
req() {
	CHECK=$1
	shift
	rm -f "$T.h" "$T.b" # curl writes no body file when there is no body
	STATUS=$(curl -s --path-as-is -D "$T.h" -o "$T.b" -w '%{http_code}' "${HOST_ARGS[@]}" "$@") || true
}
header() { sed -n "s/^$1: *\\(.*\\)\\r\$/\\1/Ip" "$T.h" | tail -n1; }
expect_status() { [[ $STATUS == "$1" ]] && pass || fail "status $STATUS, want $1"; }
expect_header() { local v; v=$(header "$1"); [[ $v == "$2" ]] && pass || fail "$1 is '$v', want '$2'"; }
expect_no_header() { grep -qi "^$1:" "$T.h" && fail "unexpected $1 header" || pass; }
expect_body_file() { cmp -s "$T.b" "$1" && pass || fail "body ($(stat -c %s "$T.b") bytes) differs from $1"; }
expect_body_bytes() { # file offset length
	cmp -s "$T.b" <(bytes "$1" "$2" "$3") && pass ||
		fail "body ($(stat -c %s "$T.b") bytes) is not bytes $2+$3 of $1"
}
expect_empty_body() { [[ ! -s $T.b ]] && pass || fail "body of $(stat -c %s "$T.b") bytes"; }
# curl --head writes the headers where the body would go: nothing else may come.
expect_headers_only() { cmp -s "$T.b" "$T.h" && pass || fail "more than headers: $(stat -c %s "$T.b") bytes"; }
# Bytes $2.. ($3 of them) of file $1.
bytes() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }
expect_body_lacks() { grep -q -- "$1" "$T.b" && fail "body shows '$1'" || pass; }

# MariaDB's counts of executed and prepared statements, server-wide.
statement_counts() {
	MYSQL_PWD=$EZCLUSTER_TEST_MYSQL_PASSWORD mariadb --no-defaults -h "$EZCLUSTER_TEST_MYSQL_HOST" \
		-P "$EZCLUSTER_TEST_MYSQL_PORT" -u "$EZCLUSTER_TEST_MYSQL_USER" -N -B -e \
		"SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_execute', 'Com_stmt_prepare')" |
		awk '{ v[$1] = $2 } END { print v["Com_stmt_execute"], v["Com_stmt_prepare"] }'
}

# Every rule of docs/serving.md against one server and store.
serve_checks() {
	local base=$1 store=$2
	local small=$base/var/storage/images/test/small.png multi=$base/var/storage/images/test/multi.jpg etag expires

	req "GET" "$small"
	expect_status 200
	expect_body_file "$F/small"
	expect_header Content-Type image/png
	expect_header Content-Length 4096
	expect_header Last-Modified "$LAST_MODIFIED"
	expect_header Accept-Ranges bytes
	expect_header Cache-Control "public, max-age=600"
	etag=$(header ETag)
	[[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] && pass || fail "ETag '$etag' is not a strong tag"
	local small_etag=$etag
	expires=$(date -d "$(header Expires)" +%s 2>/dev/null || echo 0)
	((expires >= $(date +%s) + 500 && expires <= $(date +%s) + 700)) && pass || fail "Expires is not now + 600 s"

	req "HEAD" -I "$small"
	expect_status 200
	expect_headers_only
	expect_header Content-Length 4096
	expect_header ETag "$etag"

	req "GET of a file of 4 chunks" "$multi"
	expect_status 200
	expect_body_file "$F/multi"
	expect_header Content-Type image/jpeg
	expect_header Content-Length 200000
	req "GET under var/<dir>/storage/images-versioned" "$base/var/site/storage/images-versioned/1/v.gif"
	expect_status 200
	expect_body_file "$F/versioned"
	req "GET of an empty file" "$base/var/storage/images/test/empty.png"
	expect_status 200
	expect_header Content-Length 0
	expect_empty_body

	req "If-None-Match: the tag" -H "If-None-Match: $etag" "$small"
	expect_status 304
	expect_empty_body
	expect_header ETag "$etag"
	expect_header Cache-Control "public, max-age=600"
	req "If-None-Match: a list with the weak tag" -H "If-None-Match: \"x\", W/$etag" "$small"
	expect_status 304
	req "If-None-Match: *" -H "If-None-Match: *" "$small"
	expect_status 304
	req "If-None-Match: another tag" -H 'If-None-Match: "0123"' "$small"
	expect_status 200
	expect_body_file "$F/small"
	req "HEAD with If-None-Match" -I -H "If-None-Match: $etag" "$small"
	expect_status 304
	req "If-None-Match on a file of 4 chunks" -H "If-None-Match: $(curl -sI "${HOST_ARGS[@]}" "$multi" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip')" "$multi"
	expect_status 304
	expect_empty_body

	req "If-Modified-Since: Last-Modified" -H "If-Modified-Since: $LAST_MODIFIED" "$small"
	expect_status 304
	req "If-Modified-Since: later" -H "If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT" "$small"
	expect_status 304
	req "If-Modified-Since: earlier" -H "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT" "$small"
	expect_status 200
	req "If-Modified-Since: RFC 850 date" -H "If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT" "$small"
	expect_status 304
	req "If-Modified-Since: unparseable" -H "If-Modified-Since: yesterday" "$small"
	expect_status 200
	req "If-Modified-Since ignored under If-None-Match" \
		-H 'If-None-Match: "0123"' -H "If-Modified-Since: $LAST_MODIFIED" "$small"
	expect_status 200

	local spec first len
	for spec in "0-0 0 1" "199999-199999 199999 1" "-1 199999 1" "1000-70999 1000 70000" "150000- 150000 50000" \
		"-500 199500 500" "199000-999999 199000 1000" "65534-65536 65534 3"; do
		read -r spec first len <<<"$spec"
		req "Range: bytes=$spec" -H "Range: bytes=$spec" "$multi"
		expect_status 206
		expect_body_bytes "$F/multi" "$first" "$len"
		expect_header Content-Range "bytes $first-$((first + len - 1))/200000"
		expect_header Content-Length "$len"
	done
	req "Range on a file of one chunk" -H "Range: bytes=10-19" "$small"
	expect_status 206
	expect_body_bytes "$F/small" 10 10
	req "Range past the end" -H "Range: bytes=200000-" "$multi"
	expect_status 416
	expect_header Content-Range "bytes */200000"
	req "Range on an empty file" -H "Range: bytes=0-" "$base/var/storage/images/test/empty.png"
	expect_status 416
	expect_header Content-Range "bytes */0"
	req "Range backwards (ignored)" -H "Range: bytes=9-1" "$multi"
	expect_status 200
	expect_body_file "$F/multi"
	req "Range of two parts" -H "Range: bytes=0-9,150000-150009" "$multi"
	expect_status 206
	local boundary
	boundary=$(header Content-Type | sed -n 's#^multipart/byteranges; boundary=\(.*\)$#\1#p')
	[[ -n $boundary ]] && pass || fail "Content-Type is not multipart/byteranges"
	expect_header Content-Length "$(stat -c %s "$T.b")"
	{
		printf -- '--%s\r\nContent-Type: image/jpeg\r\nContent-Range: bytes 0-9/200000\r\n\r\n' "$boundary"
		bytes "$F/multi" 0 10
		printf -- '\r\n--%s\r\nContent-Type: image/jpeg\r\nContent-Range: bytes 150000-150009/200000\r\n\r\n' "$boundary"
		bytes "$F/multi" 150000 10
		printf -- '\r\n--%s--\r\n' "$boundary"
	} >"$T.want"
	expect_body_file "$T.want"
	etag=$(curl -sI "${HOST_ARGS[@]}" "$multi" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip')
	req "If-Range: the tag" -H "Range: bytes=100-199" -H "If-Range: $etag" "$multi"
	expect_status 206
	expect_body_bytes "$F/multi" 100 100
	req "If-Range: another tag" -H "Range: bytes=100-199" -H 'If-Range: "0123"' "$multi"
	expect_status 200
	expect_body_file "$F/multi"
	req "If-Range: a date (no strong validator)" -H "Range: bytes=100-199" -H "If-Range: $LAST_MODIFIED" "$multi"
	expect_status 200
	req "HEAD with Range" -I -H "Range: bytes=0-9" "$multi"
	expect_status 200
	expect_header Content-Length 200000

	local path
	for path in /var/storage/images/test/none.png /var/storage/images/test/deleted.png /var/cache/secret.cache \
		/var/site/cache/template-block/secret.cache /var/storage/images/../../cache/secret.cache \
		/var/storage/images/%2e%2e/%2e%2e/cache/secret.cache /var/storage/images/..%2f..%2fcache%2fsecret.cache \
		/var/storage/images/test/small.png%00.txt '/var/storage/images/test%5c..%5c..%5c..%5ccache%5csecret.cache' \
		/var/storage/images/%252e%252e/%252e%252e/cache/secret.cache /var/storage/images/test/; do
		req "404 for $path" "$base$path"
		if [[ $path == *%00* && $STATUS == 400 ]]; then
			pass # nginx refuses a NUL in the path before PHP sees it
		else
			expect_status 404
		fi
		expect_body_lacks SECRET
	done

	if [[ $store == my_settings ]]; then
		# Statements per request, from MariaDB's own counters (nothing else
		# runs meanwhile): one for a small file, also a conditional one; the
		# probe and the ranged read for a range of a larger one; no prepare.
		local spec_args want executes prepares e p
		for spec_args in "1|$small" "1|-H|If-None-Match: $small_etag|$small" "2|-H|Range: bytes=100000-100009|$multi"; do
			IFS='|' read -r want spec_args <<<"$spec_args"
			IFS='|' read -ra spec_args <<<"$spec_args"
			read -r executes prepares < <(statement_counts)
			req "statements for ${spec_args[*]}" "${spec_args[@]}"
			read -r e p < <(statement_counts)
			[[ $((e - executes)) == "$want" && $((p - prepares)) == 0 ]] && pass ||
				fail "$((e - executes)) statements executed and $((p - prepares)) prepared, want $want and 0"
		done
	fi

	local method
	for method in POST PUT DELETE OPTIONS; do
		req "$method" -X "$method" "$small"
		expect_status 405
		expect_header Allow "GET, HEAD"
	done

	# Two contents of one size, stored in the same second: different tags.
	local same=var/storage/images/test/same.png a b
	head -c 3000 /dev/urandom >"$T.a"
	head -c 3000 /dev/urandom >"$T.b2"
	fixture "$store" store $same "$T.a" image/png $MTIME
	req "first content" "$base/$same"
	a=$(header ETag)
	expect_body_file "$T.a"
	fixture "$store" store $same "$T.b2" image/png $MTIME
	req "second content, same size and mtime" "$base/$same"
	b=$(header ETag)
	expect_body_file "$T.b2"
	expect_header Last-Modified "$LAST_MODIFIED"
	[[ $a != "$b" ]] && pass || fail "both contents have ETag $a"
	req "the first tag no longer matches" -H "If-None-Match: $a" "$base/$same"
	expect_status 200
	fixture "$store" delete $same
	req "deleted" "$base/$same"
	expect_status 404
}

for server in nginx apache; do
	base=EZCLUSTER_WEB_${server^^}
	begin_suite "$server-mysql"
	HOST_ARGS=()
	serve_checks "${!base}" my_settings
	end_suite
	begin_suite "$server-pgsql"
	HOST_ARGS=(-H "Host: pg.test")
	serve_checks "${!base}" pg_settings
	HOST_ARGS=(-H "Host: broken.test")
	req "an unreachable store" "${!base}/var/storage/images/test/small.png"
	expect_status 500
	expect_body_lacks hunter2
	expect_body_lacks 127.0.0.1
	expect_body_lacks mysql
	end_suite
done
HOST_ARGS=()

# ---------------------------------------------------------- two nodes

begin_suite two-nodes
A=$EZCLUSTER_WEB_POOL_A B=$EZCLUSTER_WEB_POOL_B BOTH=$EZCLUSTER_WEB_NGINX
name=var/storage/images/nodes/$RANDOM-$$.png
req "store through node A" "$A/node.php?op=store&name=$name&content=from-node-a"
expect_status 200
grep -q '^stored' "$T.b" && pass || fail "node A did not store: $(cat "$T.b")"
req "node A has its local copy" "$A/node.php?op=local&name=$name"
grep -q '^local copy' "$T.b" && pass || fail "$(cat "$T.b")"
req "node B has none" "$B/node.php?op=local&name=$name"
grep -q '^no local copy' "$T.b" && pass || fail "$(cat "$T.b")"
req "served by node B at once" "$B/$name"
expect_status 200
[[ $(cat "$T.b") == from-node-a ]] && pass || fail "body '$(cat "$T.b")'"
for i in 1 2 3 4; do
	req "served through the upstream ($i)" "$BOTH/$name"
	expect_status 200
done
req "deleted on node B" "$B/node.php?op=delete&name=$name"
grep -q '^deleted' "$T.b" && pass || fail "$(cat "$T.b")"
req "a 404 on node A" "$A/$name"
expect_status 404
for i in 1 2; do
	req "a 404 through the upstream ($i)" "$BOTH/$name"
	expect_status 404
done
end_suite

# --------------------------------------------------------- memory

# Pool A has one worker: every request below runs in the same process.
begin_suite serve-memory
head -c $((100 << 20)) /dev/urandom >"$F/huge"
head -c $((1 << 20)) /dev/urandom >"$F/warm"
fixture my_settings store var/storage/images/test/huge.bin "$F/huge" application/octet-stream $MTIME
fixture my_settings store var/storage/images/test/warm.bin "$F/warm" application/octet-stream $MTIME
req "warm-up" "$A/var/storage/images/test/warm.bin"
expect_body_file "$F/warm"
req "peak RSS before" "$A/hwm.php"
read -r pid_before hwm_before <"$T.b"
req "100 MiB" "$A/var/storage/images/test/huge.bin"
expect_status 200
expect_body_file "$F/huge"
req "peak RSS after" "$A/hwm.php"
read -r pid_after hwm_after <"$T.b"
[[ $pid_before == "$pid_after" ]] && pass || fail "served by another worker ($pid_before, $pid_after)"
grown=$((hwm_after - hwm_before))
echo "   peak RSS of php-fpm worker $pid_after: $hwm_before KiB before, $hwm_after KiB after 100 MiB (+$grown KiB)"
((grown * 1024 < 4 * CHUNK)) && pass || fail "peak RSS grew by $grown KiB, not less than 4 chunks ($((4 * CHUNK / 1024)) KiB)"
fixture my_settings delete var/storage/images/test/huge.bin
rm -f "$F/huge"
end_suite

exit $ANY_FAILED
