<?php
/**
 * Helpers of the tools suite (tests/tools/check.php) and the clusterize
 * benchmark: a generated var/ tree, snapshots of the tree and the store,
 * and running a tool as its own process with the same php.ini.
 */

const TOOLS_DIR = __DIR__ . '/../../php/bin';

/** Odd file names the tools must carry through unchanged. */
const ODD_NAMES = [
    'with space.pdf', "quote'single.pdf", 'quote"double.pdf', 'ünïcødé-日本語.pdf',
    'percent%20sign.pdf', '100%.pdf', 'under_score.pdf', 'star*and?mark[1].pdf', 'back\\slash.pdf',
];

/**
 * Writes a var/ tree like an eZ Publish site's under $root/$varDir: images
 * with aliases, versioned images, binary and media files (odd names, empty
 * files, one file of $bigBytes), view and template-block caches, and
 * node-local files (compiled templates, INI cache, logs). $smallFiles sets
 * roughly how many small files. Returns the clustered files: name => sha256.
 */
function make_tree(string $root, string $varDir, int $smallFiles, int $bigBytes): array
{
    mt_srand(42);
    $sums = [];
    $mtime = time() - 86400;
    $put = function (string $name, string $bytes, bool $clustered = true) use ($root, &$sums, &$mtime) {
        $path = "$root/$name";
        @mkdir(dirname($path), 0777, true);
        file_put_contents($path, $bytes);
        touch($path, $mtime--);
        if ($clustered) {
            $sums[$name] = hash('sha256', $bytes);
        }
    };
    $bytes = fn() => mt_rand(0, 9) === 0 ? '' : random_bytes(mt_rand(1, 12000));
    $v = $varDir;
    $share = intdiv($smallFiles, 10);
    for ($i = 0; $i < $share; $i++) {
        $dir = "$v/storage/images/media/node-$i/" . (100 + $i) . "-1-eng-GB";
        $put("$dir/image-$i.png", $bytes());
        $put("$dir/image-{$i}_small.png", $bytes());
        $put("$dir/image-{$i}_large.jpg", $bytes());
        $put("$v/storage/images-versioned/" . (200 + $i) . "/2-eng-GB/photo-$i.jpg", $bytes());
        $put("$v/storage/original/application/" . md5("app$i") . '.pdf', $bytes());
        $put("$v/storage/original/audio/" . md5("audio$i") . '.mp3', $bytes());
        $put("$v/cache/template-block/" . ($i % 7) . '/' . md5("tb$i") . '.cache', $bytes());
        $put("$v/cache/template/compiled/page-$i.php", $bytes(), false);
    }
    // View cache in siteaccess directories whose names differ only where
    // LIKE patterns or wildcards would blur them: site_a, sitexa, site%a.
    foreach (['site_a', 'sitexa', 'site%a'] as $siteaccess) {
        for ($i = 0; $i < $share; $i++) {
            $put("$v/cache/content/$siteaccess/" . ($i % 10) . "/$i-" . md5("$siteaccess$i") . '.cache', $bytes());
        }
    }
    foreach (ODD_NAMES as $i => $odd) {
        $put("$v/storage/original/application/$odd", $bytes());
        $put("$v/storage/images/odd/$i-1-eng-GB/" . str_replace('.pdf', '.png', $odd), $bytes());
    }
    $put("$v/storage/original/application/" . str_repeat('long-name-', 24) . '.pdf', $bytes());
    $deep = "$v/storage/original/application/" . implode('/', array_fill(0, 8, str_repeat('deep-', 30)));
    $put("$deep/" . str_repeat('x', 200) . '.pdf', $bytes());
    for ($i = 0; $i < 5; $i++) {
        $put("$v/storage/original/application/empty-$i.txt", '');
        $put("$v/cache/content/site_a/empty-$i.cache", '');
    }
    $put("$v/cache/sortkey_ezp.php", $bytes());
    $put("$v/cache/classidentifiers_ezp.php", $bytes());
    $put("$v/cache/user-info/1/14.php", $bytes());
    $put("$v/cache/ini/site.ini-12345.php", $bytes(), false);
    $put("$v/log/error.log", $bytes(), false);
    // The large file, written in pieces so it is never whole in memory.
    $big = "$v/storage/original/video/big movie.mp4";
    @mkdir(dirname("$root/$big"), 0777, true);
    $f = fopen("$root/$big", 'wb');
    $ctx = hash_init('sha256');
    $block = random_bytes(1 << 20);
    for ($done = 0; $done < $bigBytes; $done += strlen($piece)) {
        $piece = substr(hash('sha256', (string)$done, true) . $block, 0, min(1 << 20, $bigBytes - $done));
        fwrite($f, $piece);
        hash_update($ctx, $piece);
    }
    fclose($f);
    touch("$root/$big", $mtime--);
    $sums[$big] = hash_final($ctx);
    ksort($sums, SORT_STRING);
    return $sums;
}

/** Every regular file under $root/$dir: name (relative to $root) => "size mtime sha256". */
function local_snapshot(string $root, string $dir): array
{
    $files = [];
    if (!is_dir("$root/$dir")) {
        return $files;
    }
    $walk = new RecursiveIteratorIterator(new RecursiveDirectoryIterator("$root/$dir", FilesystemIterator::SKIP_DOTS));
    foreach ($walk as $path => $info) {
        if ($info->isFile()) {
            $files[substr($path, strlen($root) + 1)] = $info->getSize() . ' ' . $info->getMTime() . ' ' . hash_file('sha256', $path);
        }
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** Stored files whose names start with $prefix: name => "size mtime scope datatype". */
function store_snapshot(string $prefix): array
{
    $files = [];
    foreach (eZClusterFileHandler::instance()->getFileList() as $name) {
        if (str_starts_with($name, $prefix)) {
            $s = eZClusterFileHandler::instance($name)->stat();
            $files[$name] = $s ? "$s[size] $s[mtime] $s[scope] $s[datatype]" : 'gone';
        }
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** The command line of a tool run with this process's php.ini. */
function tool_command(string $tool, array $args): array
{
    return array_merge([PHP_BINARY, '-c', php_ini_loaded_file(), TOOLS_DIR . "/$tool"], $args);
}

/** Runs a tool in $cwd to its end: [exit code, stdout, stderr]. */
function run_tool(string $cwd, string $tool, array $args): array
{
    $proc = proc_open(tool_command($tool, $args), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    return [proc_close($proc), $out, $err];
}

/**
 * Starts a tool in $cwd and SIGKILLs it as soon as $due() (polled every few
 * milliseconds: the run's effect as seen from outside, such as how many
 * files the store holds) says so. Returns the tool's last progress line
 * before the kill, or null when the run ended before $due() was true.
 */
function kill_when(string $cwd, string $tool, array $args, callable $due): ?string
{
    $log = tempnam(sys_get_temp_dir(), 'ezcluster-kill');
    $proc = proc_open(tool_command($tool, $args), [1 => ['file', $log, 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, $cwd);
    $killed = false;
    while (proc_get_status($proc)['running']) {
        if ($due()) {
            $killed = posix_kill(proc_get_status($proc)['pid'], SIGKILL);
            break;
        }
        usleep(5000);
    }
    $status = proc_close($proc);
    preg_match_all('#^.*: \d+/\d+ files .*$#m', file_get_contents($log), $lines);
    unlink($log);
    return $killed && $status !== 0 ? (end($lines[0]) ?: 'no progress line yet') : null;
}

/** The counts of a tool's summary line: "<label>: N copied (..), M unchanged, F failed". */
function summary_counts(string $out): ?array
{
    if (!preg_match('/: (\d+) (?:copied|to copy) \([^)]*\), (\d+) unchanged, (\d+) failed/', $out, $m)) {
        return null;
    }
    return ['copied' => (int)$m[1], 'unchanged' => (int)$m[2], 'failed' => (int)$m[3]];
}
