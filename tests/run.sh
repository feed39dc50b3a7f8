#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: private MariaDB and PostgreSQL
# servers (stopped at exit, even on failure), the Rust core and conformance
# suite, then the phpt suite once per backend. Every backend must run: a
# server that fails to start fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ext_dir=$root/build
php=${PHP:-php8.2}
run_tests=$(ls /usr/lib/php/*/build/run-tests.php | head -n1)

work=$(mktemp -d /tmp/ezcluster-test.XXXXXX)
chmod 755 "$work"
cleanup() { tests/servers.sh stop "$work/servers" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

mkdir -p "$work/servers"
tests/servers.sh start "$work/servers"
# shellcheck disable=SC1091
. "$work/servers/env"
export EZCLUSTER_TEST_SERVERS_DIR="$work/servers"

declare -A passed failed
record() { passed[$1]=$(( ${passed[$1]:-0} + $2 )); failed[$1]=$(( ${failed[$1]:-0} + $3 )); }

# Counts "test result" lines of cargo test output into one suite's totals.
cargo_suite() {
  local label=$1; shift
  local log="$work/cargo-$label.log" status=0
  cargo test --release "$@" 2>&1 | tee "$log" || status=$?
  local p f
  # A suite that does not even compile has no result lines: grep finding
  # nothing must not end the run (pipefail), the status below counts it.
  p=$( (grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" || true) | awk '{s+=$4} END {print s+0}')
  f=$( (grep -Eo '[0-9]+ failed' "$log" || true) | awk '{s+=$1} END {print s+0}')
  [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  record "$label" "$p" "$f"
}

echo "== Rust: storage core unit tests"
cargo_suite core --lib
for backend in sqlite ezfs mysql pgsql; do
  echo "== Rust: conformance suite on $backend"
  cargo_suite "$backend" --test backends -- "${backend}::"
done
echo "== Rust: connections (reuse, fork, server restart)"
cargo_suite connections --test connections -- --test-threads=1
echo "== Rust: generated docs match the settings table"
cargo_suite docs --test docs

# phpt, once per backend.
phpt_backend() {
  local backend=$1; shift
  local log="$work/phpt-$backend.log" status=0
  local scratch="$work/phpt-$backend"
  mkdir -p "$scratch"
  # Cache generation under concurrency needs the shared store's locks: not ezfs.
  local cache_tests=tests/cache; [ "$backend" != ezfs ] || cache_tests=
  echo "== phpt on $backend"
  TEST_PHP_EXECUTABLE=$(command -v "$php") EZCLUSTER_TEST_SCRATCH="$scratch" NO_INTERACTION=1 \
    "$php" "$run_tests" -q --show-diff \
    -d extension="$ext_dir/ezcluster.so" "$@" tests/phpt $cache_tests 2>&1 | tee "$log" || status=$?
  local p f
  p=$(sed -n 's/^Tests passed *: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
  f=$(sed -n 's/^Tests failed *: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
  local s; s=$(sed -n 's/^Tests skipped *: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
  # Nothing may be skipped: every backend's server is running.
  f=$(( ${f:-0} + ${s:-0} ))
  [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  record "phpt-$backend" "${p:-0}" "$f"
}

phpt_backend sqlite -d ezcluster.db_backend=sqlite -d "ezcluster.db_name=$work/phpt-sqlite.sqlite"
phpt_backend ezfs -d ezcluster.file_handler=ezfs
for b in mysql pgsql; do
  B=${b^^}; host=EZCLUSTER_TEST_${B}_HOST port=EZCLUSTER_TEST_${B}_PORT name=EZCLUSTER_TEST_${B}_NAME
  user=EZCLUSTER_TEST_${B}_USER pass=EZCLUSTER_TEST_${B}_PASSWORD
  phpt_backend "$b" -d ezcluster.db_backend=$b -d "ezcluster.db_host=${!host}" -d "ezcluster.db_port=${!port}" \
    -d "ezcluster.db_name=${!name}" -d "ezcluster.db_user=${!user}" -d "ezcluster.db_password=${!pass}"
done

echo "== Rust: cache generation locks on sqlite, mysql, pgsql"
cargo_suite cache-locks --test cache_locks

echo "== Rust: retries under real lock waits, deadlocks and refused connections"
cargo_suite contention --test contention -- --test-threads=1

# HTTP through real web servers: every serving rule on nginx + php-fpm and
# Apache + mod_php (MariaDB and PostgreSQL), two nodes, a worker's memory.
http_status=0
tests/http.sh "$work/http" "$work/http-counts" || http_status=$?
http_failed=0
while read -r suite p f; do
  record "$suite" "$p" "$f"
  http_failed=$(( http_failed + f ))
done < <(cat "$work/http-counts" 2>/dev/null)
# A run that stopped early (a server did not start) must not pass.
[ "$http_status" -eq 0 ] || [ "$http_failed" -gt 0 ] || record nginx-mysql 0 1

# Operations tools (php/bin), once per backend, over a generated var/ tree;
# the php.ini written here is the only source of the backend's settings.
tools_backend() {
  local backend=$1; shift
  local scratch="$work/tools-$backend" log="$work/tools-$backend.log" status=0
  mkdir -p "$scratch"
  { echo "extension=$ext_dir/ezcluster.so"; printf '%s\n' "$@"; } > "$scratch/php.ini"
  echo "== tools on $backend"
  "$php" -c "$scratch/php.ini" tests/tools/check.php "$scratch" 2>&1 | tee "$log" || status=$?
  local p f
  p=$(grep -c '^ok ' "$log" || true)
  f=$(grep -c '^not ok ' "$log" || true)
  [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  record "tools-$backend" "$p" "$f"
  rm -rf "$scratch"
}
tools_backend sqlite ezcluster.db_backend=sqlite "ezcluster.db_name=$work/tools-sqlite.sqlite"
tools_backend ezfs ezcluster.file_handler=ezfs
for b in mysql pgsql; do
  B=${b^^}; host=EZCLUSTER_TEST_${B}_HOST port=EZCLUSTER_TEST_${B}_PORT name=EZCLUSTER_TEST_${B}_NAME
  user=EZCLUSTER_TEST_${B}_USER pass=EZCLUSTER_TEST_${B}_PASSWORD
  tools_backend "$b" ezcluster.db_backend=$b "ezcluster.db_host=${!host}" "ezcluster.db_port=${!port}" \
    "ezcluster.db_name=${!name}" "ezcluster.db_user=${!user}" "ezcluster.db_password=${!pass}"
done

echo
echo "== Summary"
total_p=0 total_f=0
for suite in core sqlite ezfs mysql pgsql connections docs phpt-sqlite phpt-ezfs phpt-mysql phpt-pgsql cache-locks contention \
    nginx-mysql nginx-pgsql apache-mysql apache-pgsql two-nodes serve-memory \
    tools-sqlite tools-ezfs tools-mysql tools-pgsql; do
  printf '  %-12s %4d passed, %d failed\n' "$suite" "${passed[$suite]:-0}" "${failed[$suite]:-0}"
  total_p=$(( total_p + ${passed[$suite]:-0} )); total_f=$(( total_f + ${failed[$suite]:-0} ))
done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
