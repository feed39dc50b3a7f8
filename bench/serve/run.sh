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

# CPU time (clock ticks) of processes and their reaped children.
ticks() { # pid...
	local pid t=0 f
	for pid in "$@"; do
		read -ra f <"/proc/$pid/stat" 2>/dev/null || continue
		t=$((t + f[13] + f[14] + f[15] + f[16]))
	done
	echo "$t"
}
# The web tier (nginx and php-fpm, masters and workers) and the two databases.
web_pids() {
	local m
	for m in "$work/web/nginx/nginx.pid" "$work/web/fpm/fpm.pid"; do
		m=$(cat "$m")
		echo "$m" $(pgrep -P "$m")
	done
}
db_pids() {
	local pg
	pg=$(head -n1 "$work/db/pgsql/data/postmaster.pid")
	echo "$(cat "$work/db/mariadb/mariadb.pid")" "$pg" $(pgrep -P "$pg")
}

declare -A RPS WEB_US DB_US
WRK=(wrk) # the layout may pin it
measure() { # layout variant size: sets RPS, WEB_US and DB_US (CPU microseconds per request)
	local key=$1/$2/$3 args out host url requests web0 db0 web1 db1 hz
	mapfile -d '' args < <(curl_args "$2" "$3")
	url=${args[-1]}
	host=()
	((${#args[@]} == 1)) || host=(-H "${args[1]}")
	"${WRK[@]}" -t2 -c"$CONNECTIONS" -d1s "${host[@]}" "$url" >/dev/null # warm-up
	web0=$(ticks $(web_pids)) db0=$(ticks $(db_pids))
	out=$("${WRK[@]}" -t2 -c"$CONNECTIONS" -d"${DURATION}s" "${host[@]}" "$url")
	web1=$(ticks $(web_pids)) db1=$(ticks $(db_pids))
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench/serve: $2 answered errors at $3 bytes:" >&2
		echo "$out" >&2
		exit 1
	fi
	RPS[$key]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	requests=$(awk '/requests in/ { print $1 }' <<<"$out")
	((requests > 0)) || { echo "bench/serve: no $2 request of $3 bytes finished in ${DURATION}s; raise BENCH_DURATION" >&2; exit 1; }
	hz=$(getconf CLK_TCK)
	WEB_US[$key]=$(((web1 - web0) * 1000000 / hz / requests))
	DB_US[$key]=$(((db1 - db0) * 1000000 / hz / requests))
}

# "split": the databases on the last core, nginx, php-fpm and wrk on the
# others, as if the database ran on a host of its own.
pin_split() {
	local last web p
	last=$(($(nproc) - 1)) web=0-$(($(nproc) - 2))
	for p in $(db_pids); do taskset -a -p -c "$last" "$p" >/dev/null; done
	for p in $(web_pids); do taskset -a -p -c "$web" "$p" >/dev/null; done
	WRK=(taskset -c "$web" wrk)
}

human() { # bytes -> 4 KiB
	local b=$1
	if ((b >= 1048576)); then echo "$((b / 1048576)) MiB"; else echo "$((b / 1024)) KiB"; fi
}

LAYOUTS=(shared)
(($(nproc) < 2)) || LAYOUTS+=(split)
for layout in "${LAYOUTS[@]}"; do
	[[ $layout == shared ]] || pin_split
	echo "== bench/serve ($layout cores): wrk -t2 -c$CONNECTIONS, ${DURATION}s per point, $CHILDREN php-fpm workers"
	for size in "${SIZES[@]}"; do
		for v in "${ORDER[@]}"; do
			measure "$layout" "$v" "$size"
			k=$layout/$v/$size
			printf '  %-8s %-15s %10s req/s, CPU per request: web tier %6d us, databases %6d us\n' \
				"$(human "$size")" "$v" "${RPS[$k]}" "${WEB_US[$k]}" "${DB_US[$k]}"
		done
	done
done

rps_table() { # layout
	local layout=$1 size
	echo "| size | native MariaDB | userland MariaDB | native / userland | native PostgreSQL | userland PostgreSQL | native / userland | readfile() | native / readfile() (MariaDB, PostgreSQL) | nginx static |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for size in "${SIZES[@]}"; do
		r() { printf '%.0f' "${RPS[$layout/$1/$size]}"; }
		q() { ratio "${RPS[$layout/$1/$size]}" "${RPS[$layout/$2/$size]}"; }
		printf '| %s | %s | %s | **%sx** | %s | %s | **%sx** | %s | **%sx, %sx** | %s |\n' "$(human "$size")" \
			"$(r native-mysql)" "$(r userland-mysql)" "$(q native-mysql userland-mysql)" \
			"$(r native-pgsql)" "$(r userland-pgsql)" "$(q native-pgsql userland-pgsql)" \
			"$(r readfile)" "$(q native-mysql readfile)" "$(q native-pgsql readfile)" "$(r static)"
	done
}

cpu_table() { # from the shared run
	local size
	echo "| size | native MariaDB: web, db | userland MariaDB: web, db | native PostgreSQL: web, db | userland PostgreSQL: web, db | readfile(): web | native / readfile() web-tier CPU (MariaDB, PostgreSQL) | nginx static: web |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for size in "${SIZES[@]}"; do
		w() { echo "${WEB_US[shared/$1/$size]}"; }
		c() { printf '%s, %s' "$(w "$1")" "${DB_US[shared/$1/$size]}"; }
		printf '| %s | %s | %s | %s | %s | %s | %sx, %sx | %s |\n' "$(human "$size")" \
			"$(c native-mysql)" "$(c userland-mysql)" "$(c native-pgsql)" "$(c userland-pgsql)" "$(w readfile)" \
			"$(ratio "$(w readfile)" "$(w native-mysql)")" "$(ratio "$(w readfile)" "$(w native-pgsql)")" "$(w static)"
	done
}

# The issue's targets at 4 and 20 KiB, checked against this run.
targets() { # layout
	local size db v u r
	for size in 4096 20480; do
		for db in mysql pgsql; do
			v=${RPS[$1/native-$db/$size]} u=${RPS[$1/userland-$db/$size]} r=${RPS[$1/readfile/$size]}
			printf -- '- %s cores, %s, %s: native / userland %sx (target 3x: %s), native / readfile() %sx (target 0.9x: %s)\n' \
				"$1" "$(human "$size")" "$([[ $db == mysql ]] && echo MariaDB || echo PostgreSQL)" \
				"$(ratio "$v" "$u")" "$(awk -v a="$v" -v b="$u" 'BEGIN { print (a >= 3 * b ? "met" : "not met") }')" \
				"$(ratio "$v" "$r")" "$(awk -v a="$v" -v b="$r" 'BEGIN { print (a >= 0.9 * b ? "met" : "not met") }')"
		done
	done
}

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
	echo "machine, so only the ratios within a table mean anything."
	for layout in "${LAYOUTS[@]}"; do
		echo
		if [[ $layout == shared ]]; then
			echo "Shared cores: the databases, nginx, php-fpm and wrk on all $(nproc) cores."
		else
			echo "Split cores: the databases pinned to one core, nginx, php-fpm and wrk to the other$( (($(nproc) > 2)) && echo s),"
			echo "as if the database ran on a host of its own (the deployment a cluster has)."
		fi
		echo
		rps_table "$layout"
	done
	echo
	echo "CPU time per request in microseconds (shared cores), from /proc: the web tier (nginx + php-fpm)"
	echo "and the database servers."
	echo
	cpu_table
	echo
	echo "Targets at 4-20 KiB, in this run:"
	echo
	for layout in "${LAYOUTS[@]}"; do targets "$layout"; done
	echo
	echo "Where the time goes (4 KiB, MariaDB, shared cores): readfile() costs the web tier ${WEB_US[shared/readfile/4096]} us"
	echo "of CPU per request; native costs it ${WEB_US[shared/native-mysql/4096]} us (the difference is the database round"
	echo "trip: a socket write, a sleep until the answer, a wake-up) and costs MariaDB another"
	echo "${DB_US[shared/native-mysql/4096]} us, a good part of it re-planning the prepared statement, as MariaDB does on every execution. On shared cores that"
	echo "comes out of the same budget; with the database on its own core (or host) it does not, which the"
	echo "split table shows. The userland baseline makes about seven round trips per image (connect,"
	echo "authenticate, prepare and execute twice) where native makes one; its web-tier CPU is what bounds"
	echo "the ratio. The userland PostgreSQL baseline opens a connection per request, and PostgreSQL 15's"
	echo "scram-sha-256 authentication costs milliseconds of CPU on both sides each time: that, not the"
	echo "queries, is its cost."
	echo
}>"$section"

write_section "## Serving (bench/serve)" "$section"
