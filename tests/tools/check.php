<?php
/**
 * The operations tools (php/bin) against one backend, as tests/run.sh runs
 * it: php -c BACKEND.ini tests/tools/check.php SCRATCH_DIR
 * The php.ini holds the extension and the backend's ezcluster.* settings;
 * the tools run as their own processes with the same php.ini. Prints one
 * "ok"/"not ok" line per check; exits non-zero when any failed.
 */

require __DIR__ . '/lib.php';
require TOOLS_DIR . '/lib/cli.php'; // stored_sha256()

$scratch = $argv[1] ?? exit("usage: php -c INI tests/tools/check.php SCRATCH_DIR\n");
$shared = ini_get('ezcluster.file_handler') !== 'ezfs';
$smallFiles = (int)(getenv('EZCLUSTER_TOOLS_FILES') ?: 3000);
$bigBytes = (int)(getenv('EZCLUSTER_TOOLS_BIG_BYTES') ?: 100 << 20);

$failed = 0;
function check(bool $ok, string $what, string $detail = ''): bool
{
    global $failed;
    // On failure, the end of $detail (a tool's output ends with its summary).
    $tail = implode("\n    ", array_slice(explode("\n", trim($detail)), -15));
    echo ($ok ? 'ok' : 'not ok'), " - $what", $ok || $detail === '' ? '' : "\n    $tail", "\n";
    $failed += $ok ? 0 : 1;
    return $ok;
}

/** What differs between two snapshots, briefly. */
function diff_of(array $expected, array $actual): string
{
    $missing = array_diff_key($expected, $actual);
    $extra = array_diff_key($actual, $expected);
    $changed = array_keys(array_diff_assoc(array_intersect_key($actual, $expected), $expected));
    return sprintf("missing %d %s\nextra %d %s\nchanged %d %s", count($missing), implode(', ', array_slice(array_keys($missing), 0, 3)),
        count($extra), implode(', ', array_slice(array_keys($extra), 0, 3)), count($changed), implode(', ', array_slice($changed, 0, 3)));
}

// Site A holds the generated tree; site B starts empty and receives -u.
$siteA = "$scratch/siteA";
$siteB = "$scratch/siteB";
$varDir = 'var/tools-' . getmypid();
@mkdir($siteB, 0777, true);
$sums = make_tree($siteA, $varDir, $smallFiles, $bigBytes);
$total = count($sums);
$treeA = local_snapshot($siteA, $varDir);
$localOnly = count($treeA) - $total;
echo "# generated $total clustered files (+$localOnly node-local) under $siteA/$varDir\n";
chdir($siteA); // the store's names are relative to the site root, as the tools run
$prefix = "$varDir/";

// ---- clusterize ----
if (!$shared) {
    [$code, $out] = run_tool($siteA, 'clusterize.php', ["--var-dir=$varDir"]);
    check($code === 0 && str_contains($out, 'ezfs'), 'clusterize on ezfs says there is nothing to copy and exits 0', $out);
    check(local_snapshot($siteA, $varDir) === $treeA, 'clusterize on ezfs changes no file');
} else {
    [$code, $out] = run_tool($siteA, 'clusterize.php', ['--dry-run', "--var-dir=$varDir"]);
    $counts = summary_counts($out);
    check($code === 0 && $counts === ['copied' => $total, 'unchanged' => 0, 'failed' => 0],
        "clusterize --dry-run on an empty store lists all $total files", $out);
    check(store_snapshot($prefix) === [], 'clusterize --dry-run stores nothing');

    $storedNames = fn() => array_filter(eZClusterFileHandler::instance()->getFileList(), fn($n) => str_starts_with($n, $prefix));
    $caught = kill_when($siteA, 'clusterize.php', ["--var-dir=$varDir"], fn() => count($storedNames()) >= $total / 2);
    $partial = count(store_snapshot($prefix));
    check($caught !== null && $partial > 0 && $partial < $total,
        "clusterize killed with SIGKILL midway ($caught): $partial of $total files stored");

    // Killed again while it copies the large file (every other file stored):
    // the store holds it whole or not at all.
    $big = "$varDir/storage/original/video/big movie.mp4";
    $caught = kill_when($siteA, 'clusterize.php', ["--var-dir=$varDir"],
        fn() => array_values(array_diff(array_keys($sums), $storedNames())) === [$big]);
    $bigStat = eZClusterFileHandler::instance($big)->stat();
    check($caught !== null && ($bigStat === false || ($bigStat['size'] === $bigBytes && EzCluster\Tools\stored_sha256($big) === $sums[$big])),
        'clusterize killed while storing the ' . round($bigBytes / 1048576) . ' MiB file: stored whole or not at all (' . ($bigStat ? 'whole' : 'not at all') . ')');

    $before = store_snapshot($prefix);
    [$code, $out] = run_tool($siteA, 'clusterize.php', ['--dry-run', "--var-dir=$varDir"]);
    check($code === 0 && store_snapshot($prefix) === $before && local_snapshot($siteA, $varDir) === $treeA,
        'clusterize --dry-run after the kill changes neither the store nor the tree', $out);

    [$code, $out, $err] = run_tool($siteA, 'clusterize.php', ["--var-dir=$varDir"]);
    $counts = summary_counts($out);
    check($code === 0 && $counts === ['copied' => $bigStat === false ? 1 : 0, 'unchanged' => $total - ($bigStat === false ? 1 : 0), 'failed' => 0],
        'clusterize re-run after the kills completes, copying only what was missing', $out . $err);
    $stored = store_snapshot($prefix);
    check(array_keys($stored) === array_keys($sums), 'the store holds exactly the clustered files (node-local ones stay out)', diff_of($sums, $stored));

    $scopes = [
        "$varDir/storage/images/media/node-1/101-1-eng-GB/image-1_small.png" => ['image', 'image/png'],
        "$varDir/storage/images-versioned/201/2-eng-GB/photo-1.jpg" => ['image', 'image/jpeg'],
        "$varDir/storage/original/application/with space.pdf" => ['binaryfile', 'application/pdf'],
        "$varDir/storage/original/video/big movie.mp4" => ['mediafile', 'video/mp4'],
        "$varDir/storage/original/audio/" . md5('audio1') . '.mp3' => ['mediafile', 'audio/mpeg'],
        "$varDir/cache/template-block/1/" . md5('tb1') . '.cache' => ['template-block', 'application/octet-stream'],
        "$varDir/cache/content/site%a/1/1-" . md5('site%a1') . '.cache' => ['viewcache', 'application/octet-stream'],
        "$varDir/cache/user-info/1/14.php" => ['user-info-cache', 'text/x-php'],
    ];
    foreach ($scopes as $name => [$scope, $type]) {
        $s = eZClusterFileHandler::instance($name)->stat();
        check($s !== false && $s['scope'] === $scope && $s['datatype'] === $type, "stored as $scope ($type): " . basename($name),
            var_export($s, true));
    }
    $mtimesOk = true;
    foreach ($stored as $name => $row) {
        $mtimesOk = $mtimesOk && (int)explode(' ', $row)[1] === filemtime($name) && (int)explode(' ', $row)[0] === filesize($name);
    }
    check($mtimesOk, 'stored size and mtime of every file are the local ones');

    [$code, $out] = run_tool($siteA, 'clusterize.php', ["--var-dir=$varDir"]);
    check($code === 0 && summary_counts($out) === ['copied' => 0, 'unchanged' => $total, 'failed' => 0],
        'clusterize re-run copies nothing', $out);
    check(store_snapshot($prefix) === $stored, 'the re-run left the store as it was');

    // One file changed (same size, new mtime), one added: exactly those two copied.
    $changed = "$varDir/storage/original/application/under_score.pdf";
    $newFile = "$varDir/storage/images/media/node-1/101-1-eng-GB/image-1_added.png";
    file_put_contents($changed, strrev(file_get_contents($changed)) . 'x');
    file_put_contents($newFile, 'new image');
    $sums[$changed] = hash_file('sha256', $changed);
    $sums[$newFile] = hash('sha256', 'new image');
    ksort($sums, SORT_STRING);
    $total = count($sums);
    [$code, $out] = run_tool($siteA, 'clusterize.php', ["--var-dir=$varDir"]);
    check($code === 0 && summary_counts($out) === ['copied' => 2, 'unchanged' => $total - 2, 'failed' => 0],
        'clusterize after one change and one addition copies exactly those two', $out);
    check(hash('sha256', eZClusterFileHandler::instance()->fileFetchContents($changed)) === $sums[$changed],
        'the changed file is stored with its new contents');

    // ---- clusterize -u into an empty site ----
    [$code, $out] = run_tool($siteB, 'clusterize.php', ['-u', '--dry-run', "--var-dir=$varDir"]);
    check($code === 0 && summary_counts($out) === ['copied' => $total, 'unchanged' => 0, 'failed' => 0] && !is_dir("$siteB/var"),
        "clusterize -u --dry-run lists all $total files and writes nothing", $out);

    $caught = kill_when($siteB, 'clusterize.php', ['-u', "--var-dir=$varDir"],
        fn() => is_dir("$siteB/$varDir") && iterator_count(new RecursiveIteratorIterator(new RecursiveDirectoryIterator("$siteB/$varDir", FilesystemIterator::SKIP_DOTS))) >= $total / 2);
    $partial = count(local_snapshot($siteB, $varDir));
    check($caught !== null && $partial > 0 && $partial < $total,
        "clusterize -u killed with SIGKILL midway ($caught): $partial of $total files on disk");

    [$code, $out, $err] = run_tool($siteB, 'clusterize.php', ['-u', "--var-dir=$varDir"]);
    $counts = summary_counts($out);
    check($code === 0 && $counts !== null && $counts['copied'] + $counts['unchanged'] === $total && $counts['failed'] === 0,
        'clusterize -u re-run after the kill completes', $out . $err);
    $treeB = local_snapshot($siteB, $varDir);
    $same = array_keys($treeB) === array_keys($sums);
    foreach ($sums as $name => $sum) {
        $same = $same && explode(' ', $treeB[$name] ?? '')[2] === $sum
            && (int)explode(' ', $treeB[$name])[1] === filemtime("$siteA/$name");
    }
    check($same, 'clusterize then -u is byte-identical: sha256 and mtime of every file, nothing more',
        diff_of($sums, array_map(fn($row) => explode(' ', $row)[2], $treeB)));

    [$code, $out] = run_tool($siteB, 'clusterize.php', ['-u', "--var-dir=$varDir"]);
    check($code === 0 && summary_counts($out) === ['copied' => 0, 'unchanged' => $total, 'failed' => 0]
        && local_snapshot($siteB, $varDir) === $treeB, 'clusterize -u re-run copies nothing', $out);

    // A local file damaged without changing size or mtime: only --checksum notices.
    $victim = "$siteB/$varDir/storage/original/application/percent%20sign.pdf";
    $stat = stat($victim);
    $bytes = file_get_contents($victim);
    file_put_contents($victim, ($bytes[0] ?? 'a') === 'Z' ? 'Y' . substr($bytes, 1) : 'Z' . substr($bytes, 1));
    touch($victim, $stat['mtime']);
    [$code, $out] = run_tool($siteB, 'clusterize.php', ['-u', '--checksum', "--var-dir=$varDir"]);
    check($code === 0 && summary_counts($out)['copied'] === 1 && hash_file('sha256', $victim) === $sums["$varDir/storage/original/application/percent%20sign.pdf"],
        'clusterize -u --checksum repairs a file whose size and mtime agree but contents differ', $out);

    // Settings from an eZ INI file instead of php.ini.
    $keys = ['FileHandler' => 'file_handler', 'DBBackend' => 'db_backend', 'DBHost' => 'db_host', 'DBPort' => 'db_port',
        'DBName' => 'db_name', 'DBUser' => 'db_user', 'DBPassword' => 'db_password'];
    $ini = "<?php /* #?ini charset=\"utf-8\"?\n# cluster settings\n[ClusteringSettings]\n";
    foreach ($keys as $key => $entry) {
        $ini .= "$key=" . ini_get("ezcluster.$entry") . "\n";
    }
    file_put_contents("$scratch/file.ini.append.php", "$ini*/ ?>\n");
    // No php.ini at all (-n): the settings can only come from the file.
    $so = dirname(__DIR__, 2) . '/build/ezcluster.so';
    $cmd = [PHP_BINARY, '-n', '-d', "extension=$so", TOOLS_DIR . '/clusterize.php', '--dry-run', "--var-dir=$varDir", "--settings=$scratch/file.ini.append.php"];
    $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $siteA);
    $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
    check(proc_close($proc) === 0 && summary_counts($out) === ['copied' => 0, 'unchanged' => $total, 'failed' => 0],
        '--settings=FILE reads [ClusteringSettings] from an eZ INI file (php.ini has none)', $out);
    file_put_contents("$scratch/bad.ini", "[ClusteringSettings]\nDBBackend=oracle\n");
    $cmd[count($cmd) - 1] = "--settings=$scratch/bad.ini";
    $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $siteA);
    $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
    check(proc_close($proc) === 2 && str_contains($out, 'DBBackend') && str_contains($out, 'oracle'),
        'a bad setting in the --settings file is named and nothing runs', $out);
}

// ---- clustercache: on the store the clusterize above filled (on ezfs, site A's own files) ----
$names = fn() => array_values(array_filter(eZClusterFileHandler::instance()->getFileList(), fn($n) => str_starts_with($n, $prefix)));
$under = fn(array $list, string $dir) => array_values(array_filter($list, fn($n) => str_starts_with($n, "$varDir/$dir")));
$before = $names();
[$code, $out] = run_tool($siteA, 'clustercache.php', ['--list']);
check($code === 0 && str_contains($out, 'template-block') && str_contains($out, 'imagealias'), 'clustercache --list names the cache types', $out);
$snapshot = store_snapshot($prefix);
[$code, $out] = run_tool($siteA, 'clustercache.php', ['--clear-all', '--dry-run', "--var-dir=$varDir"]);
$content = $under($before, 'cache/content/');
check($code === 0 && str_contains($out, count($content) . ' files would be cleared') && store_snapshot($prefix) === $snapshot, 'clustercache --clear-all --dry-run lists what it would clear and clears nothing', $out);

// A wildcard whose `_` and `%` are data: site_a goes, sitexa and site%a stay.
$siteA_ = $under($before, 'cache/content/site_a/');
[$code, $out] = run_tool($siteA, 'clustercache.php', ["--clear-path=$varDir/cache/content/site_a/*", '--dry-run']);
check($code === 0 && str_contains($out, count($siteA_) . ' files would be cleared') && $names() === $before,
    'clustercache --clear-path --dry-run lists the matching files and clears nothing', $out);
[$code, $out, $err] = run_tool($siteA, 'clustercache.php', ["--clear-path=$varDir/cache/content/site_a/*"]);
$after = $names();
check($code === 0 && $under($after, 'cache/content/site_a/') === [] && str_contains($out, count($siteA_) . ' files cleared')
    && array_values(array_diff($before, $siteA_)) === $after, "clustercache --clear-path clears exactly the matching files (site_a, not sitexa or site%a)", $out . $err);

$before = $after;
[$code, $out] = run_tool($siteA, 'clustercache.php', ['--clear-id=content,template-block,classid', "--var-dir=$varDir"]);
$after = $names();
$cleared = array_merge($under($before, 'cache/content/'), $under($before, 'cache/template-block/'), $under($before, 'cache/classidentifiers_'));
check($code === 0 && $cleared !== [] && array_values(array_diff($before, $cleared)) === $after
    && str_contains($out, count($under($before, 'cache/template-block/')) . ' files cleared'),
    'clustercache --clear-id=content,template-block,classid clears those caches and nothing else', $out);
if ($shared) {
    // Another node (another process, another local directory) sees it at once.
    $probe = '$n = json_decode($argv[1]); echo json_encode(array_map(fn($x) => eZClusterFileHandler::instance()->fileExists($x), $n));';
    $sample = array_merge(array_slice($cleared, 0, 5), array_slice($after, 0, 5));
    $proc = proc_open([PHP_BINARY, '-c', php_ini_loaded_file(), '-r', $probe, json_encode($sample)], [1 => ['pipe', 'w']], $pipes, $siteB);
    $seen = json_decode(stream_get_contents($pipes[1]));
    proc_close($proc);
    check($seen === array_merge(array_fill(0, 5, false), array_fill(0, 5, true)), 'another node sees the cleared files gone and the others still there');
}

$before = $after;
[$code, $out] = run_tool($siteA, 'clustercache.php', ['--clear-id=imagealias', "--var-dir=$varDir"]);
$after = $names();
$aliases = array_values(array_filter($before, fn($n) => preg_match('#/storage/images/media/node-\d+/[^/]+/image-\d+_(small|large|added)\.(png|jpg)$#', $n)));
check($code === 0 && count($aliases) > 0 && array_values(array_diff($before, $aliases)) === $after,
    'clustercache --clear-id=imagealias removes the aliases and keeps every original', $out);
[$code, , $err] = run_tool($siteA, 'clustercache.php', ['--clear-id=nonesuch']);
check($code === 2 && str_contains($err, 'nonesuch'), 'an unknown cache type is refused', $err);

// ---- clusterpurge: the clears above left expired rows ----
if (!$shared) {
    [$code, $out] = run_tool($siteA, 'clusterpurge.php', []);
    check($code === 0 && str_contains($out, 'ezfs'), 'clusterpurge on ezfs says there is nothing to purge', $out);
} else {
    $expired = eZClusterFileHandler::fetchExpiredItems(false, false, false);
    $ours = array_values(array_intersect($expired, array_merge($cleared, $siteA_, $aliases)));
    check(count($ours) === count($cleared) + count($siteA_) + count($aliases), 'every cleared file is an expired row', count($ours) . ' of ' . count($cleared) + count($siteA_) + count($aliases));
    $snapshot = store_snapshot($prefix);
    [$code, $out] = run_tool($siteA, 'clusterpurge.php', ['--dry-run']);
    check($code === 0 && str_contains($out, count($expired) . ' expired files would be purged')
        && eZClusterFileHandler::fetchExpiredItems(false, false, false) === $expired && store_snapshot($prefix) === $snapshot,
        'clusterpurge --dry-run lists the expired files and purges nothing', $out);

    // --expiry selects by the deleted file's last mtime: only the file
    // last modified 3 days ago goes with --expiry=2.
    $old = "$varDir/storage/original/application/old.pdf";
    file_put_contents($old, 'old');
    touch($old, time() - 3 * 86400);
    eZClusterFileHandler::instance()->fileStore($old, 'binaryfile');
    eZClusterFileHandler::instance()->fileDelete($old);
    [$code, $out] = run_tool($siteA, 'clusterpurge.php', ['--expiry=2', '--iteration-sleep=0']);
    $left = eZClusterFileHandler::fetchExpiredItems(false, false, false);
    check($code === 0 && !in_array($old, $left, true) && array_diff($ours, $left) === [],
        'clusterpurge --expiry=2 purges the file modified 3 days ago and none of the recent ones', $out);

    // Purge in small batches while this process (another node) stores some
    // of the expired names again: those must survive.
    $revived = array_slice($ours, 0, 40);
    $proc = proc_open(tool_command('clusterpurge.php', ['--limit=7', '--iteration-sleep=0.02']), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $siteA);
    foreach ($revived as $name) {
        eZClusterFileHandler::instance()->fileStoreContents($name, "revived $name", 'viewcache');
    }
    $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
    $code = proc_close($proc);
    $alive = array_filter($revived, fn($n) => eZClusterFileHandler::instance()->fileFetchContents($n) === "revived $n");
    check($code === 0 && preg_match('/batch 2:/', $out) && count($alive) === count($revived),
        'clusterpurge in batches removes expired rows but not files stored again meanwhile', $out);
    check(array_intersect(eZClusterFileHandler::fetchExpiredItems(false, false, false), $ours) === [],
        'after clusterpurge no expired row is left');
    check(array_diff_key(store_snapshot($prefix), array_flip($revived)) === array_diff_key($snapshot, array_flip($ours)),
        'clusterpurge left every live file as it was');
    [$code, $out, $err] = run_tool($siteA, 'clusterpurge.php', ['--limit=0']);
    check($code === 2 && str_contains($err, '--limit'), 'clusterpurge --limit=0 is refused', $err);
}

[$code, $out, $err] = run_tool($siteA, 'clusterize.php', ['--var-dir=../elsewhere']);
check($code === 2 && str_contains($err, '--var-dir'), 'a --var-dir outside the site root is refused', $err);
[$code, $out, $err] = run_tool($siteA, 'clusterize.php', ['--no-such-option']);
check($code === 2 && str_contains($err, '--no-such-option'), 'an unknown option is refused', $err);

echo $failed === 0 ? "# all checks passed\n" : "# $failed check(s) failed\n";
exit($failed === 0 ? 0 : 1);
