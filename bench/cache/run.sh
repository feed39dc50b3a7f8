#!/usr/bin/env bash
# bench/cache: a stampede on one expired cache item. 64 requests at once
# through nginx + php-fpm on a page (page.inc) whose generation takes 200 ms
# and counts itself, on SQLite, MariaDB and PostgreSQL (private servers started
# here), for
#   ezcluster  processCache(): one generation; the others get the stale copy
#              or wait for the new one
#   naive      the baseline: eZ Publish's way without stampede protection,
#              every request that finds the item expired generates and stores
# with a stale copy present and without one (first generation). Each round
# uses a new item; rounds of both modes alternate. Prints generations per
# round, stale/new responses, p50/p99 latency (curl's time_total per request)
# and the ezcluster / naive latency ratios, and puts them in bench/RESULTS.md
# under "## Cache generation (bench/cache)". Fails when a round of ezcluster
# generates other than once or a request fails.
#
#   bench/cache/run.sh       (make bench-cache builds and installs what it needs first)
# BENCH_REQUESTS (concurrent requests, default 64), BENCH_CHILDREN (php-fpm
# workers, default 64) and BENCH_ROUNDS (rounds per mode and case, default 10)
# tune it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
REQUESTS=${BENCH_REQUESTS:-64}
CHILDREN=${BENCH_CHILDREN:-64}
ROUNDS=${BENCH_ROUNDS:-10}
BACKENDS=(sqlite mysql pgsql)
CASES=(stale empty)
MODES=(naive ezcluster)
bench_start cache

mkdir -p "$work/db" "$work/web" "$work/generations" "$work/responses" "$work/latencies"
chmod 777 "$work/generations" # php-fpm's workers count generations there
tests/servers.sh start "$work/db"
# shellcheck disable=SC1091
. "$work/db/env"

backend_settings() { # sqlite|mysql|pgsql
	if [[ $1 == sqlite ]]; then
		printf 'ezcluster.db_backend=sqlite\nezcluster.db_name=%s\n' "$work/cache.sqlite"
	else
		db_settings "${1^^}"
	fi
}

doc=$work/docroot
mkdir -p "$doc"
cp bench/cache/page.inc "$doc/"
for b in "${BACKENDS[@]}"; do
	printf '<?php\neZClusterFileHandler::configure(%s);\nrequire __DIR__ . "/page.inc";\n' \
		"$(backend_settings "$b" | php_settings_array)" >"$doc/cache-$b.php"
done
chmod -R a+rX "$doc"
echo "extension=$EXT" >"$work/php.ini"
tests/webservers.sh start "$work/web" --docroot "$doc" --ini "$work/php.ini" --children "$CHILDREN"
# shellcheck disable=SC1091
. "$work/web/env"
BASE=$EZCLUSTER_WEB_NGINX

# burst BACKEND QUERY OUT: $REQUESTS requests at once (one curl, one
# connection each); each response body goes to OUT/<n>, and one line
# "<status> <seconds>" per request to stdout.
burst() {
	rm -rf "$3" && mkdir -p "$3"
	curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$REQUESTS" \
		-o "$3/#1" -w '%{http_code} %{time_total}\n' "$BASE/cache-$1.php?$2&n=[1-$REQUESTS]"
}

one() { # BACKEND QUERY EXPECTED: one request that must answer EXPECTED
	local got
	got=$(curl -sf "$BASE/cache-$1.php?$2") || got="request failed"
	[[ $got == "$3" ]] || bench_fail "$1 $2 answered '$got', not '$3'"
}

# Every worker opens its connection to each database before anything is timed.
for b in "${BACKENDS[@]}"; do
	one "$b" "item=warm&mode=warm" warm # creates the tables
	lines=$(burst "$b" "item=warm&mode=warm" "$work/responses/warm") || bench_fail "$b: curl failed"
	if grep -qv '^200 ' <<<"$lines"; then bench_fail "$b: warm-up requests failed"; fi
done

declare -A GENERATIONS STALE NEW
# round BACKEND CASE MODE N: one burst on a new item; appends its latencies
# (ms) to latencies/BACKEND-CASE-MODE and its generation count to GENERATIONS.
round() {
	local b=$1 case=$2 mode=$3 key=$1-$2-$3 item=$1-$2-$3-$4 out lines generations=0
	[[ $case == empty ]] || one "$b" "item=$item&mode=seed" seeded
	out=$work/responses/$item
	lines=$(burst "$b" "item=$item&mode=$mode" "$out") || bench_fail "$key: curl failed"
	if grep -qv '^200 ' <<<"$lines"; then
		bench_fail "$key: requests failed: $(grep -v '^200 ' <<<"$lines" | sort | uniq -c | tr '\n' ' ')"
	fi
	awk '{ printf "%.3f\n", $2 * 1000 }' <<<"$lines" >>"$work/latencies/$key"
	[[ ! -f $work/generations/$item ]] || generations=$(wc -l <"$work/generations/$item")
	if [[ $mode == ezcluster ]] && ((generations != 1)); then
		bench_fail "$key: $generations generations in round $4, not 1"
	fi
	GENERATIONS[$key]+="$generations "
	STALE[$key]=$((${STALE[$key]:-0} + $(count_bodies stale "$out")))
	NEW[$key]=$((${NEW[$key]:-0} + $(count_bodies new "$out")))
}

count_bodies() { awk -v want="$1" '$0 == want { n++ } END { print n + 0 }' "$2"/*; }
percentile() { # P FILE: nearest-rank percentile of the numbers in FILE
	sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100); if (i < NR * p / 100) i++; print v[i] }'
}
span() { # numbers -> "min" or "min-max"
	tr ' ' '\n' <<<"$1" | grep . | sort -n | sed -n '1p;$p' | paste -sd- | sed 's/^\([0-9]*\)-\1$/\1/'
}

echo "== bench/cache: $REQUESTS requests at once, $CHILDREN php-fpm workers, $ROUNDS rounds per mode and case"
start=$SECONDS
for b in "${BACKENDS[@]}"; do
	for case in "${CASES[@]}"; do
		for ((n = 1; n <= ROUNDS; n++)); do
			for mode in "${MODES[@]}"; do
				round "$b" "$case" "$mode" "$n"
			done
		done
		for mode in "${MODES[@]}"; do
			key=$b-$case-$mode
			printf '  %-6s %-5s %-9s generations/round %-7s stale %4d new %4d  p50 %8.1f ms  p99 %8.1f ms\n' \
				"$b" "$case" "$mode" "$(span "${GENERATIONS[$key]}")" "${STALE[$key]}" "${NEW[$key]}" \
				"$(percentile 50 "$work/latencies/$key")" "$(percentile 99 "$work/latencies/$key")"
		done
	done
done
echo "(measured in $((SECONDS - start)) s)"

table=$work/table.md
{
	echo "| backend | stale copy | variant | generations per round | responses stale / new | p50 ms | p99 ms | p50 ezcluster / naive | p99 ezcluster / naive |"
	echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
	for b in "${BACKENDS[@]}"; do
		for case in "${CASES[@]}"; do
			for mode in "${MODES[@]}"; do
				key=$b-$case-$mode
				p50=$(percentile 50 "$work/latencies/$key") p99=$(percentile 99 "$work/latencies/$key")
				ratios="| | |"
				if [[ $mode == ezcluster ]]; then
					ratios="| **$(ratio "$p50" "$(percentile 50 "$work/latencies/$b-$case-naive")")x** | **$(ratio "$p99" "$(percentile 99 "$work/latencies/$b-$case-naive")")x** |"
				fi
				printf '| %s | %s | %s | %s | %d / %d | %.0f | %.0f %s\n' "$b" \
					"$([[ $case == stale ]] && echo present || echo none)" "$mode" "$(span "${GENERATIONS[$key]}")" \
					"${STALE[$key]}" "${NEW[$key]}" "$p50" "$p99" "$ratios"
			done
		done
	done
} >"$table"
echo
cat "$table"

section=$work/section.md
{
	echo "## Cache generation (bench/cache)"
	echo
	echo "$REQUESTS requests at once (one \`curl --parallel --parallel-immediate\`, a connection each) through nginx +"
	echo "php-fpm ($CHILDREN static workers) on one expired cache item, $ROUNDS rounds per row (a new item each round,"
	echo "the two variants alternating), all in one run of \`make bench-cache\` (\`bench/cache/run.sh\`) on $(nproc) shared"
	echo "cores ($(date -u +%Y-%m-%d), $(uname -m), $(nginx -v 2>&1 | sed 's#.*/##;s/^/nginx /'), PHP $("$PHP" -r 'echo PHP_VERSION;'),"
	echo "SQLite file, MariaDB and PostgreSQL on loopback). The page (\`bench/cache/page.inc\`) generates in 200 ms"
	echo "(a sleep) and counts each generation in a file. *ezcluster*: \`processCache()\`; *naive*: the baseline,"
	echo "eZ Publish without stampede protection: every request that finds the item expired generates and stores"
	echo "it. *Stale copy present*: the item was stored 100 s ago with a 50 s TTL; *none*: its first generation."
	echo "Latency is curl's \`time_total\` per request; p50/p99 over all rounds of the row. The ratios compare"
	echo "ezcluster's latency with the naive baseline's (below 1: faster). curl, nginx, php-fpm and the databases"
	echo "share the cores, so only the ratios and counts mean anything. With a stale copy, the one request per"
	echo "round that generates is more than 1% of the requests, so ezcluster's p99 there is the generator's own"
	echo "time. The generation sleeps, so the naive baseline's 64 generations overlap for free: a generation that"
	echo "spends CPU or database time would make the baseline much slower on 2 cores."
	echo
	cat "$table"
	echo
}>"$section"
write_section "## Cache generation (bench/cache)" "$section"
