<?php
/**
 * Times clusterize.php over a generated var/ tree against two baselines
 * measured in the same run: `cp -r` of the tree (the disk's own speed) and
 * a PHP-userland loop storing through mysqli into the same MariaDB tables
 * (what eZ Publish's userland cluster handler does). Each timing is the
 * median of REPEAT runs, every store run starting from empty tables.
 *
 * php -d extension=... bench/clusterize/run.php WORK_DIR   (run by run.sh, which starts the servers and writes bench/RESULTS.md)
 */

require __DIR__ . '/../../tests/tools/lib.php';

$work = $argv[1] ?? exit("usage: run.php WORK_DIR (see bench/clusterize/run.sh)\n");
$repeat = (int)(getenv('REPEAT') ?: 3);
$site = "$work/site";
$varDir = 'var';
$sums = make_tree($site, $varDir, (int)(getenv('FILES') ?: 3000), (int)(getenv('BIG_BYTES') ?: 100 << 20));
$files = count($sums);
$bytes = 0;
foreach (array_keys($sums) as $name) {
    $bytes += filesize("$site/$name");
}
$env = fn(string $b, string $k) => getenv('EZCLUSTER_TEST_' . strtoupper($b) . "_$k");
printf("tree: %d clustered files, %.1f MiB (of which one file of %.0f MiB); %d repeats, median\n\n",
    $files, $bytes / 1048576, filesize("$site/$varDir/storage/original/video/big movie.mp4") / 1048576, $repeat);

/** A php.ini for one backend, as the tools read their settings from php.ini. */
function backend_ini(string $work, string $backend, callable $env): string
{
    $ini = "$work/$backend.ini";
    $lines = ['extension=' . dirname(__DIR__, 2) . '/build/ezcluster.so', "ezcluster.db_backend=$backend"];
    if ($backend === 'sqlite') {
        $lines[] = "ezcluster.db_name=$work/bench.sqlite";
    } else {
        foreach (['HOST' => 'db_host', 'PORT' => 'db_port', 'NAME' => 'db_name', 'USER' => 'db_user', 'PASSWORD' => 'db_password'] as $k => $entry) {
            $lines[] = "ezcluster.$entry=" . $env($backend, $k);
        }
    }
    file_put_contents($ini, implode("\n", $lines) . "\n");
    return $ini;
}

/** Seconds one command takes (it must succeed). */
function timed(array $command, string $cwd): float
{
    $start = hrtime(true);
    $proc = proc_open($command, [1 => ['file', '/dev/null', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd);
    $err = stream_get_contents($pipes[2]);
    if (proc_close($proc) !== 0) {
        fwrite(STDERR, 'failed: ' . implode(' ', $command) . "\n$err");
        exit(1);
    }
    return (hrtime(true) - $start) / 1e9;
}

/** Empties $backend's tables, so that every store run copies everything. */
function empty_tables(string $work, string $backend, callable $env): void
{
    if ($backend === 'sqlite') {
        @unlink("$work/bench.sqlite");
        return;
    }
    $dsn = sprintf('%s:host=%s;port=%s;dbname=%s', $backend, $env($backend, 'HOST'), $env($backend, 'PORT'), $env($backend, 'NAME'));
    $db = new PDO($dsn, $env($backend, 'USER'), $env($backend, 'PASSWORD'), [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $db->exec('DELETE FROM ezdbfile_data');
    $db->exec('DELETE FROM ezdbfile');
}

function median(array $xs): float
{
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

$mysqlIni = backend_ini($work, 'mysql', $env);
$mysql = fn(array $a) => array_merge([PHP_BINARY, '-c', $mysqlIni], $a);
$truncate = fn() => empty_tables($work, 'mysql', $env);

timed($mysql(['-r', 'eZClusterFileHandler::createTables();']), $site);
$runs = ['cp -r' => [], 'clusterize (mysql)' => [], 'userland mysqli loop' => [], 'clusterize re-run, nothing changed (mysql)' => [],
    'fileStore loop, no verify (mysql)' => []];
for ($r = 0; $r < $repeat; $r++) {
    $runs['cp -r'][] = timed(['cp', '-r', "$site/$varDir", "$work/copy"], $site);
    exec('rm -rf ' . escapeshellarg("$work/copy"));
    $truncate();
    $runs['clusterize (mysql)'][] = timed($mysql([TOOLS_DIR . '/clusterize.php']), $site);
    $runs['clusterize re-run, nothing changed (mysql)'][] = timed($mysql([TOOLS_DIR . '/clusterize.php']), $site);
    $truncate();
    $runs['userland mysqli loop'][] = timed([PHP_BINARY, __DIR__ . '/loop.php', 'mysqli', $varDir], $site);
    $truncate();
    $runs['fileStore loop, no verify (mysql)'][] = timed($mysql([__DIR__ . '/loop.php', 'extension', $varDir]), $site);
}
$truncate();
foreach (['pgsql', 'sqlite'] as $backend) {
    $ini = backend_ini($work, $backend, $env);
    timed([PHP_BINARY, '-c', $ini, '-r', 'eZClusterFileHandler::createTables();'], $site);
    for ($r = 0; $r < $repeat; $r++) {
        empty_tables($work, $backend, $env);
        $runs["clusterize ($backend)"][] = timed([PHP_BINARY, '-c', $ini, TOOLS_DIR . '/clusterize.php'], $site);
    }
}

$cp = median($runs['cp -r']);
$userland = median($runs['userland mysqli loop']);
printf("%-44s %8s %9s %9s %10s %12s\n", 'run', 'seconds', 'MB/s', 'files/s', 'vs cp -r', 'vs userland');
foreach ($runs as $label => $times) {
    $t = median($times);
    printf("%-44s %8.2f %9.1f %9.0f %9.2fx %11.2fx\n", $label, $t, $bytes / 1e6 / $t, $files / $t, $cp / $t, $userland / $t);
}
echo "\n(speed ratios: above 1x is faster than the baseline. clusterize also compares each file with the store first and verifies\n"
    . " every copy: local sha256, stored size and sha256 read back; the fileStore loop is the same walk as the userland loop, storing only)\n";
