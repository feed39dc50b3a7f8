#!/usr/bin/env php
<?php
/**
 * Copies a var/ tree into the cluster store (images, original binary and
 * media files, content caches), or with -u out of the store back to disk.
 * Safe to re-run: a file whose stored and local size and mtime agree is
 * left alone, so a run that was interrupted resumes where it stopped. Every
 * copied file is verified (size and sha256 of both sides).
 *
 * Run from the site root: php php/bin/clusterize.php [-u] [--dry-run] [--var-dir=DIR]
 */

namespace EzCluster\Tools;

use eZClusterFileHandler;

require __DIR__ . '/lib/cli.php';

$options = parse_options($argv, [
    'u' => [false, 'unclusterize: copy the stored files under the var directory back to disk'],
    'dry-run' => [false, 'list what would be copied; change nothing'],
    'var-dir' => ['DIR', 'the var directory, relative to the site root (default: var)'],
    'checksum' => [false, 'also compare checksums of files whose size and mtime agree (slower)'],
], "Usage: php php/bin/clusterize.php [-u] [--dry-run] [--var-dir=DIR] [--checksum] [--settings=FILE]\n"
 . "Copies var/ files (images, binary and media files, content caches) into the cluster store, or with -u back to disk.");
load_settings($options);
$varDir = var_dir($options);
$dryRun = isset($options['dry-run']);
$checksum = isset($options['checksum']);
$label = isset($options['u']) ? 'unclusterize' : 'clusterize';

$store = eZClusterFileHandler::instance();
if (!$store->requiresClusterizing()) {
    echo "$label: FileHandler is ezfs, so files already live on this disk: nothing to copy.\n";
    exit(EXIT_OK);
}

/** The stored metadata of $name, or null. */
function stored_stat(string $name): ?array
{
    return eZClusterFileHandler::instance($name)->stat() ?: null;
}

/** Whether the local file and the stored one are the same (size, mtime, and with --checksum content). */
function in_sync(?array $local, ?array $meta, bool $checksum, string $name): bool
{
    return $local !== null && $meta !== null && $meta['size'] === $local['size'] && $meta['mtime'] === $local['mtime']
        && (!$checksum || stored_sha256($name) === hash_file('sha256', $name));
}

/** Local files under $varDir that belong in the store: name => [size, mtime, scope]. */
function local_files(string $varDir, int &$nodeLocal): array
{
    if (!is_dir($varDir)) {
        fail("there is no directory '$varDir' here: run from the site root or pass --var-dir");
    }
    $files = [];
    $walk = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($varDir, \FilesystemIterator::SKIP_DOTS));
    foreach ($walk as $path => $info) {
        if (!$info->isFile() || str_contains($info->getFilename(), TEMP_MARK)) {
            continue;
        }
        $scope = scope_of($path, $varDir);
        if ($scope === null) {
            $nodeLocal++;
            continue;
        }
        $files[$path] = ['size' => $info->getSize(), 'mtime' => $info->getMTime(), 'scope' => $scope];
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** Stored files under $varDir: name => metadata row. */
function stored_files(eZClusterFileHandler $store, string $varDir): array
{
    $files = [];
    foreach ($store->getFileList() as $name) {
        if (str_starts_with($name, "$varDir/") && ($meta = stored_stat($name)) !== null) {
            $files[$name] = $meta;
        }
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** Stores the local file $name and verifies the stored copy; returns its size. */
function store_one(eZClusterFileHandler $store, string $name, string $scope): int
{
    $sum = hash_file('sha256', $name);
    if ($sum === false || !$store->fileStore($name, $scope)) {
        throw new \RuntimeException('the local file vanished');
    }
    $meta = stored_stat($name);
    if ($meta === null || $meta['size'] !== filesize($name)) {
        throw new \RuntimeException('stored size differs from the local file');
    }
    if (stored_sha256($name) !== $sum) {
        throw new \RuntimeException('stored checksum differs (was the file changed while copying?)');
    }
    return $meta['size'];
}

/** Fetches the stored file $name to disk and verifies the local copy; returns its size. */
function fetch_one(eZClusterFileHandler $store, string $name): int
{
    if ($store->fileFetch($name) === false) {
        throw new \RuntimeException('no longer stored (deleted meanwhile?)');
    }
    // The stored mtime, so that a re-run sees the file as in sync.
    $meta = stored_stat($name) ?? throw new \RuntimeException('deleted from the store while copying');
    touch($name, $meta['mtime']);
    clearstatcache();
    if (filesize($name) !== $meta['size']) {
        throw new \RuntimeException('local size differs from the stored file');
    }
    if (hash_file('sha256', $name) !== stored_sha256($name)) {
        throw new \RuntimeException('local checksum differs (was the file changed while copying?)');
    }
    return $meta['size'];
}

$nodeLocal = 0;
if (!isset($options['u'])) {
    $files = local_files($varDir, $nodeLocal);
    $sides = fn(string $name, array $local) => [$local, stored_stat($name)];
    $copy = fn(string $name, array $local) => store_one($store, $name, $local['scope']);
} else {
    if (!$dryRun && !is_dir($varDir) && !@mkdir($varDir, 0777, true)) {
        fail("cannot create the directory '$varDir'");
    }
    $files = stored_files($store, $varDir);
    $sides = fn(string $name, array $meta) => [is_file($name) ? ['size' => filesize($name), 'mtime' => filemtime($name)] : null, $meta];
    $copy = fn(string $name) => fetch_one($store, $name);
}

$failures = [];
$copied = $unchanged = $copiedBytes = 0;
$progress = new Progress($label, count($files), array_sum(array_column($files, 'size')));
foreach ($files as $name => $file) {
    $bytes = 0;
    try {
        [$local, $meta] = $sides($name, $file);
        if (in_sync($local, $meta, $checksum, $name)) {
            $unchanged++;
        } elseif ($dryRun) {
            $progress->say("would copy $name");
            $copied++;
            $bytes = $file['size'];
        } else {
            $bytes = $copy($name, $file);
            $copied++;
        }
    } catch (\Throwable $e) {
        $failures[$name] = $e->getMessage();
    }
    clearstatcache();
    $copiedBytes += $bytes;
    $progress->advance($bytes);
}
$progress->finish();

printf("%s%s: %d %s (%s), %d unchanged, %d failed%s\n",
    $label, $dryRun ? ' (dry run)' : '', $copied, $dryRun ? 'to copy' : 'copied', mib($copiedBytes),
    $unchanged, count($failures),
    $nodeLocal ? "; $nodeLocal node-local files (compiled templates, INI caches, logs...) left alone" : '');
exit(report_failures($failures));
