# shellcheck shell=bash
# Shared by the benchmarks under bench/; sourced by bench/*/run.sh after
# `set -euo pipefail` and a cd to the repository root.
PHP=${PHP:-php8.2}
EXT=$PWD/build/ezcluster.so
RESULTS=bench/RESULTS.md

# bench_start NAME: checks that the extension is built and makes $work, a
# directory removed at exit together with the servers started in $work/web
# (tests/webservers.sh) and $work/db (tests/servers.sh).
bench_start() {
	BENCH=$1
	[[ -f $EXT ]] || bench_fail "$EXT is missing; run make build"
	work=$(mktemp -d "/tmp/ezcluster-bench-$BENCH.XXXXXX")
	chmod 755 "$work" # readable by the web servers' workers
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	tests/webservers.sh stop "$work/web" >/dev/null 2>&1 || true
	tests/servers.sh stop "$work/db" >/dev/null 2>&1 || true
	rm -rf "$work"
}

bench_fail() {
	echo "bench/${BENCH:-?}: $*" >&2
	exit 1
}

# db_settings MYSQL|PGSQL: the ezcluster.* lines (key=value) for that private
# server, from the EZCLUSTER_TEST_* variables of tests/servers.sh.
db_settings() {
	local b=$1 v var
	echo "ezcluster.db_backend=${b,,}"
	for v in host port name user password; do
		var=EZCLUSTER_TEST_${b}_${v^^}
		echo "ezcluster.db_$v=${!var}"
	done
}

# key=value lines on stdin -> a PHP array literal of them (for configure()
# and ezcluster_serve()), quoted by PHP itself.
# shellcheck disable=SC2016 # PHP code, not shell
php_settings_array() {
	"$PHP" -n -r '$s = [];
		foreach (file("php://stdin", FILE_IGNORE_NEW_LINES) as $line) {
			[$key, $value] = explode("=", $line, 2);
			$s[$key] = $value;
		}
		echo var_export($s, true);'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# write_section HEADING FILE: replaces the section of bench/RESULTS.md that
# starts with the line HEADING (up to the next "## " heading) by FILE, or
# appends FILE when there is no such section.
write_section() {
	local heading=$1 section=$2
	[[ -f $RESULTS ]] || printf '# Benchmark results\n\nEach section is written by its benchmark; rerun it to refresh.\n\n' >"$RESULTS"
	awk -v heading="$heading" -v section="$section" '
		/^## / && in_section { in_section = 0 }
		$0 == heading { while ((getline line < section) > 0) print line; in_section = 1; done = 1; next }
		!in_section { print }
		END { if (!done) while ((getline line < section) > 0) print line }
	' "$RESULTS" >"$work/results.md"
	cp "$work/results.md" "$RESULTS"
	echo "written to $RESULTS"
}
