#!/usr/bin/env bash
# Benchmark of php/bin/clusterize.php (`make bench-clusterize`): private
# MariaDB and PostgreSQL servers, a generated var/ tree (as the tools
# suite's: a few thousand small files and one 100 MiB file), then
# bench/clusterize/run.php prints MB/s, files/s and ratios against `cp -r`
# and a PHP-userland mysqli loop, all measured in this run.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/ezcluster-bench.XXXXXX)
cleanup() { tests/servers.sh stop "$work/servers" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
mkdir -p "$work/servers"
tests/servers.sh start "$work/servers"
# shellcheck disable=SC1091
. "$work/servers/env"
"${PHP:-php8.2}" -d extension="$PWD/build/ezcluster.so" bench/clusterize/run.php "$work"
