#!/usr/bin/env bash
# bench/serve: requests per second of sending one stored image through nginx +
# php-fpm, measured with wrk, for
#   native    index_image.php: ezcluster_serve() (persistent connection, one
#             statement for metadata and chunks)
#   userland  the PHP way (userland.inc): mysqli / pgsql, a new connection per
#             request, one query per chunk
#   readfile  readfile() of the same file from local disk: the ceiling for
#             anything routed through PHP
#   static    nginx sending the file itself
# at 4 KiB .. 20 MiB, on MariaDB and PostgreSQL (private servers started
# here). Prints the table with its ratios and puts it in bench/RESULTS.md
# under "## Serving (bench/serve)".
#
#   bench/serve/run.sh       (make bench-serve installs wrk and the PHP modules first)
# BENCH_DURATION (seconds per measurement, default 5), BENCH_CONNECTIONS
# (default 8) and BENCH_CHILDREN (php-fpm workers, default 8) tune it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
DURATION=${BENCH_DURATION:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
CHILDREN=${BENCH_CHILDREN:-8}
SIZES=(4096 20480 204800 2097152 20971520)
bench_start serve
command -v wrk >/dev/null || bench_fail "wrk is missing (make bench-serve installs it)"

mkdir -p "$work/db" "$work/web"
tests/servers.sh start "$work/db"
# shellcheck disable=SC1091
. "$work/db/env"

doc=$work/docroot
mkdir -p "$doc/static/var/storage/images/bench"
cp php/index_image.php bench/serve/userland.inc bench/serve/readfile.php "$doc/"
{
	echo "extension=$EXT"
	db_settings MYSQL
	echo "output_buffering=4096" # Debian's production php.ini
} >"$work/php.ini"
# PostgreSQL through a siteaccess script, as docs/serving.md shows.
printf '<?php\nezcluster_serve(null, %s);\n' "$(db_settings PGSQL | php_settings_array)" >"$doc/index_image-pg.php"
for b in MYSQL PGSQL; do
	{
		echo "<?php"
		echo "\$db = ["
		db_settings $b | sed "s/^ezcluster\\.db_\\([a-z]*\\)=\\(.*\\)$/    '\\1' => '\\2',/"
		echo "];"
		echo "require __DIR__ . '/userland.inc';"
	} >"$doc/userland-${b,,}.php"
done

fixture() { # MYSQL|PGSQL, then fixture.php arguments
	local args=(-n -d "extension=$EXT") s
	while read -r s; do args+=(-d "$s"); done < <(db_settings "$1")
	"$PHP" "${args[@]}" tests/http/fixture.php "${@:2}"
}
name_of() { echo "var/storage/images/bench/$1.png"; }
for size in "${SIZES[@]}"; do
	file=$doc/static/$(name_of "$size")
	head -c "$size" /dev/urandom >"$file"
	fixture MYSQL store "$(name_of "$size")" "$file" image/png 1700000000
	fixture PGSQL store "$(name_of "$size")" "$file" image/png 1700000000
done
chmod -R a+rX "$doc"

tests/webservers.sh start "$work/web" --docroot "$doc" --ini "$work/php.ini" --children "$CHILDREN" \
	--site pg.test=index_image-pg.php --site userland-mysql.test=userland-mysql.php \
	--site userland-pgsql.test=userland-pgsql.php --site readfile.test=readfile.php
# shellcheck disable=SC1091
. "$work/web/env"
BASE=$EZCLUSTER_WEB_NGINX

# variant -> "Host header|path prefix"
declare -A VARIANT=(
	[native-mysql]="|"
	[userland-mysql]="userland-mysql.test|"
	[native-pgsql]="pg.test|"
	[userland-pgsql]="userland-pgsql.test|"
	[readfile]="readfile.test|"
	[static]="|/static"
)
ORDER=(native-mysql userland-mysql native-pgsql userland-pgsql readfile static)

curl_args() { # variant size
	local spec=${VARIANT[$1]} host
	host=${spec%%|*}
	[[ -z $host ]] || printf '%s\0%s\0' -H "Host: $host"
	printf '%s\0' "$BASE${spec#*|}/$(name_of "$2")"
}

# Every variant must send the right bytes before it is timed.
for size in "${SIZES[@]}"; do
	want=$(sha256sum <"$doc/static/$(name_of "$size")")
	for v in "${ORDER[@]}"; do
		mapfile -d '' args < <(curl_args "$v" "$size")
		got=$(curl -sf "${args[@]}" | sha256sum) || got="request failed"
		[[ $got == "$want" ]] || { echo "bench/serve: $v sends wrong bytes for $size" >&2; exit 1; }
	done
done

declare -A RPS
measure() { # variant size -> requests/s
	local args out host url
	mapfile -d '' args < <(curl_args "$1" "$2")
	url=${args[-1]}
	host=()
	((${#args[@]} == 1)) || host=(-H "${args[1]}")
	wrk -t2 -c"$CONNECTIONS" -d1s "${host[@]}" "$url" >/dev/null # warm-up
	out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "${host[@]}" "$url")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench/serve: $1 answered errors at $2 bytes:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

human() { # bytes -> 4 KiB
	local b=$1
	if ((b >= 1048576)); then echo "$((b / 1048576)) MiB"; else echo "$((b / 1024)) KiB"; fi
}

echo "== bench/serve: wrk -t2 -c$CONNECTIONS, ${DURATION}s per point, $CHILDREN php-fpm workers"
for size in "${SIZES[@]}"; do
	for v in "${ORDER[@]}"; do
		RPS[$v/$size]=$(measure "$v" "$size")
		printf '  %-8s %-15s %10s req/s\n' "$(human "$size")" "$v" "${RPS[$v/$size]}"
	done
done

table=$work/table.md
{
	echo "| size | native MariaDB | userland MariaDB | native / userland | native PostgreSQL | userland PostgreSQL | native / userland | readfile() | native / readfile() (MariaDB, PostgreSQL) | nginx static |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for size in "${SIZES[@]}"; do
		r() { printf '%.0f' "${RPS[$1/$size]}"; }
		printf '| %s | %s | %s | **%sx** | %s | %s | **%sx** | %s | **%sx, %sx** | %s |\n' "$(human "$size")" \
			"$(r native-mysql)" "$(r userland-mysql)" "$(ratio "${RPS[native-mysql/$size]}" "${RPS[userland-mysql/$size]}")" \
			"$(r native-pgsql)" "$(r userland-pgsql)" "$(ratio "${RPS[native-pgsql/$size]}" "${RPS[userland-pgsql/$size]}")" \
			"$(r readfile)" "$(ratio "${RPS[native-mysql/$size]}" "${RPS[readfile/$size]}")" \
			"$(ratio "${RPS[native-pgsql/$size]}" "${RPS[readfile/$size]}")" "$(r static)"
	done
} >"$table"
echo
cat "$table"

section=$work/section.md
{
	echo "## Serving (bench/serve)"
	echo
	echo "Requests per second for one image through nginx + php-fpm ($CHILDREN workers), measured with"
	echo "\`wrk -t2 -c$CONNECTIONS -d${DURATION}s\` after a 1 s warm-up, all in one run of \`make bench-serve\`"
	echo "on $(nproc) cores ($(date -u +%Y-%m-%d), $(uname -m), $(nginx -v 2>&1 | sed 's#.*/##;s/^/nginx /'),"
	echo "PHP $("$PHP" -r 'echo PHP_VERSION;'), MariaDB and PostgreSQL on loopback, DBChunkSize 65535)."
	echo "*native*: \`index_image.php\` calling \`ezcluster_serve()\`; *userland*: the same tables read the PHP way"
	echo "(\`bench/serve/userland.inc\`: mysqli or pgsql, a new connection per request, one query per chunk);"
	echo "*readfile()*: the same file from local disk through the same nginx and php-fpm, the ceiling for"
	echo "serving through PHP; *nginx static*: nginx sending the file itself. wrk and the servers share the"
	echo "machine's cores, so only the ratios within this table mean anything."
	echo
	cat "$table"
	echo
	echo "Targets at 4-20 KiB: native at least 3x userland and at least 0.9x readfile()."
	echo
}>"$section"

write_section "## Serving (bench/serve)" "$section"
