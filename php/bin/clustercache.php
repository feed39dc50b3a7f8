#!/usr/bin/env php
<?php
/**
 * Clears caches in the cluster store, by cache type (as eZ Publish's
 * bin/php/ezcache.php names them) or by a path wildcard. Deleting in the
 * store is what every node reads, so every node sees the clear at once.
 * Prints what it cleared; --dry-run prints what it would clear.
 *
 * Run from the site root: php php/bin/clustercache.php --clear-id=content,template-block
 */

namespace EzCluster\Tools;

use eZClusterFileHandler;

require __DIR__ . '/lib/cli.php';

/**
 * The clustered cache types: id => [description, what to delete]. Paths are
 * relative to the var directory; `dir` deletes a directory and everything
 * in it, `prefix` the files of the cache directory whose names start with
 * it, `aliases` the image aliases (the originals stay).
 */
const CACHE_TYPES = [
    'content' => ['Content view cache', ['dir', 'cache/content']],
    'template-block' => ['Template block cache', ['dir', 'cache/template-block']],
    'imagealias' => ['Image aliases (the original images are kept)', ['aliases', 'storage/images', 'storage/images-versioned']],
    'classid' => ['Class identifier cache', ['prefix', 'cache', 'classidentifiers_', 'classattributeidentifiers_']],
    'sortkey' => ['Sort key cache', ['prefix', 'cache', 'sortkey_']],
    'state_limitations' => ['State limitations cache', ['prefix', 'cache', 'statelimitations_']],
    'urlalias' => ['URL alias (wildcard) cache', ['dir', 'cache/wildcard']],
    'rss_cache' => ['RSS cache', ['dir', 'cache/rss']],
    'user_info_cache' => ['User info cache', ['dir', 'cache/user-info']],
    'texttoimage' => ['Text to image cache', ['dir', 'cache/texttoimage']],
];

$options = parse_options($argv, [
    'list' => [false, 'list the cache types (ids) this tool clears'],
    'clear-id' => ['IDS', 'comma-separated cache type ids to clear (see --list)'],
    'clear-all' => [false, 'clear every cache type'],
    'clear-path' => ['WILDCARD', "clear the stored files whose names match a shell wildcard (* also crosses /, ?, [a-z], [!a-z], {a,b}), e.g. 'var/cache/content/*/full/*'"],
    'var-dir' => ['DIR', 'the var directory, relative to the site root (default: var)'],
    'dry-run' => [false, 'list what would be cleared; change nothing'],
], "Usage: php php/bin/clustercache.php (--clear-id=ID[,ID...] | --clear-all | --clear-path=WILDCARD | --list) [--var-dir=DIR] [--dry-run] [--settings=FILE]\n"
 . 'Clears caches in the cluster store, by cache type or path wildcard; every node sees the clear at once.');

if (isset($options['list'])) {
    foreach (CACHE_TYPES as $id => [$description]) {
        printf("%-18s %s\n", $id, $description);
    }
    exit(EXIT_OK);
}
$ids = isset($options['clear-all']) ? array_keys(CACHE_TYPES) : array_filter(explode(',', $options['clear-id'] ?? ''));
foreach ($ids as $id) {
    if (!isset(CACHE_TYPES[$id])) {
        fail("unknown cache type '$id'; known: " . implode(', ', array_keys(CACHE_TYPES)));
    }
}
if (!$ids && !isset($options['clear-path'])) {
    fail('nothing to clear: give --clear-id, --clear-all or --clear-path (see --help)');
}
load_settings($options);
$varDir = var_dir($options);
$dryRun = isset($options['dry-run']);
$store = eZClusterFileHandler::instance();

/** Image aliases among $names: in each image directory, the files named after the original (shortest name) plus "_<alias>". */
function image_aliases(array $names): array
{
    $byDir = [];
    foreach ($names as $name) {
        $byDir[dirname($name)][] = $name;
    }
    $aliases = [];
    foreach ($byDir as $files) {
        $stems = array_map(fn($f) => pathinfo($f, PATHINFO_FILENAME), $files);
        $original = array_reduce($stems, fn($short, $s) => $short === null || strlen($s) < strlen($short) ? $s : $short);
        foreach ($files as $i => $file) {
            if (str_starts_with($stems[$i], "{$original}_")) {
                $aliases[] = $file;
            }
        }
    }
    return $aliases;
}

function starts_with_any(string $name, array $prefixes): bool
{
    foreach ($prefixes as $prefix) {
        if (str_starts_with($name, $prefix)) {
            return true;
        }
    }
    return false;
}

/**
 * One clear: what it matches among the stored names, and the store call that
 * deletes exactly that.
 */
function clear_plan(array $what, string $varDir, array $names): array
{
    [$kind] = $what;
    $paths = array_map(fn($p) => "$varDir/$p", array_slice($what, 1));
    switch ($kind) {
        case 'dir':
            [$dir] = $paths;
            return [array_filter($names, fn($n) => str_starts_with($n, "$dir/")), fn($store) => $store->fileDelete($dir)];
        case 'prefix':
            $dir = "$varDir/{$what[1]}";
            $prefixes = array_slice($what, 2);
            $matches = array_filter($names, fn($n) => starts_with_any($n, array_map(fn($p) => "$dir/$p", $prefixes)));
            return [$matches, function ($store) use ($dir, $prefixes) {
                foreach ($prefixes as $prefix) {
                    $store->fileDelete($dir, $prefix);
                }
            }];
        case 'aliases':
            $images = array_filter($names, fn($n) => starts_with_any($n, array_map(fn($p) => "$p/", $paths)));
            $aliases = image_aliases($images);
            return [$aliases, function ($store) use ($aliases) {
                foreach ($aliases as $alias) {
                    $store->fileDelete($alias);
                }
            }];
    }
    throw new \LogicException("unknown clear kind $kind");
}

$plans = [];
foreach ($ids as $id) {
    [$description, $what] = CACHE_TYPES[$id];
    $plans[] = ["$description [$id]", fn(array $names) => clear_plan($what, $varDir, $names)];
}
if (isset($options['clear-path'])) {
    $wildcard = $options['clear-path'];
    $plans[] = ["Files matching '$wildcard'", fn(array $names) => [
        $store->fileListByWildcard($wildcard),
        fn($store) => $store->fileDeleteByWildcard($wildcard),
    ]];
}

$status = EXIT_OK;
foreach ($plans as [$title, $plan]) {
    try {
        [$matches, $delete] = $plan($store->getFileList());
        if ($dryRun) {
            printf("%s: %d files would be cleared\n", $title, count($matches));
            foreach ($matches as $name) {
                echo "  $name\n";
            }
            continue;
        }
        $deleted = $delete($store);
        // What was there before and is gone now, unless the store counted.
        $remaining = array_intersect($matches, $store->getFileList());
        printf("%s: %d files cleared%s\n", $title, is_int($deleted) ? $deleted : count($matches) - count($remaining),
            $remaining ? sprintf('; %d still stored (regenerated by another node meanwhile?)', count($remaining)) : '');
    } catch (\Throwable $e) {
        fwrite(STDERR, "$title: failed: {$e->getMessage()}\n");
        $status = EXIT_FAILURES;
    }
}
exit($status);
