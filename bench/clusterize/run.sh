#!/usr/bin/env bash
# Benchmark of php/bin/clusterize.php (`make bench-clusterize`): private
# MariaDB and PostgreSQL servers, a generated var/ tree (as the tools
# suite's: a few thousand small files and one 100 MiB file), then
# bench/clusterize/run.php prints MB/s, files/s and ratios against `cp -r`
# and a PHP-userland mysqli loop, all measured in this run, and the table
# goes into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_start clusterize
mkdir -p "$work/db"
tests/servers.sh start "$work/db"
# shellcheck disable=SC1091
. "$work/db/env"
"$PHP" -d extension="$EXT" bench/clusterize/run.php "$work" | tee "$work/table.txt"

heading="## Clusterize (bench/clusterize)"
section=$work/section.md
{
	printf '%s\n\n' "$heading"
	cat <<'TEXT'
`make bench-clusterize`: the tools suite's generated var/ tree (a few
thousand files of 0-12 KB with odd names and empty files, plus one 100 MiB
file), private MariaDB and PostgreSQL on loopback, page cache warm; each
store run starts from empty tables. Baselines measured in the same run:
`cp -r` of the tree, and a PHP-userland loop storing through mysqli into the
same MariaDB tables the way eZ Publish's userland handler does (one
transaction per file, 65535-byte chunk inserts, prepared statements, no
verification). The `fileStore loop` is that same walk storing through the
extension instead: the store itself, native against userland.

TEXT
	echo '```'
	cat "$work/table.txt"
	echo '```'
	cat <<'TEXT'

clusterize does more per file than either loop: a metadata lookup to decide
whether to copy, a sha256 of the local file, the store, and a verification
that reads the stored file back (size, and sha256 as it streams); the
read-back doubles the database traffic, which the loops never spend. A
re-run with nothing changed only compares metadata. Timings on a shared
2-core box are noisy: compare the ratios within one run.
TEXT
} >"$section"
write_section "$heading" "$section"
