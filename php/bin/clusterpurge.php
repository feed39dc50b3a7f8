#!/usr/bin/env php
<?php
/**
 * Removes expired (soft-deleted) files from the cluster store for good, in
 * batches with a pause between them so that a busy database keeps serving.
 * Safe while other nodes write: a batch removes only rows that are still
 * expired when it runs, so a file stored again meanwhile stays.
 *
 * Run from the site root: php php/bin/clusterpurge.php [--limit=N] [--iteration-sleep=SECONDS] [--expiry=DAYS] [--dry-run]
 */

namespace EzCluster\Tools;

use eZClusterFileHandler;

require __DIR__ . '/lib/cli.php';

$options = parse_options($argv, [
    'limit' => ['N', 'files removed per batch (default: 100)'],
    'iteration-sleep' => ['SECONDS', 'seconds to pause between batches, fractions allowed (default: 1)'],
    'expiry' => ['DAYS', 'only files last modified (before they were deleted) at least this many days ago (default: every expired file)'],
    'scopes' => ['LIST', 'comma-separated scopes to purge, e.g. viewcache,template-block (default: all)'],
    'dry-run' => [false, 'list the files that would be removed; change nothing'],
], "Usage: php php/bin/clusterpurge.php [--limit=N] [--iteration-sleep=SECONDS] [--expiry=DAYS] [--scopes=S,...] [--dry-run] [--settings=FILE]\n"
 . 'Removes expired (deleted) files from the cluster store for good, in batches.');
$limit = int_option($options, 'limit', 100);
if ($limit < 1) {
    fail('--limit must be at least 1');
}
$sleep = float_option($options, 'iteration-sleep', 1.0);
// The store keeps a deleted file's last mtime, not when it was deleted:
// --expiry selects by that mtime (eZ's purge $expiry is a timestamp).
$expiry = isset($options['expiry']) ? time() - int_option($options, 'expiry', 0) * 86400 : false;
$scopes = isset($options['scopes']) ? array_values(array_filter(explode(',', $options['scopes']))) : false;
load_settings($options);

if (!eZClusterFileHandler::instance()->requiresPurge()) {
    echo "clusterpurge: FileHandler is ezfs, which deletes files for real: nothing to purge.\n";
    exit(EXIT_OK);
}

try {
    if (isset($options['dry-run'])) {
        $names = eZClusterFileHandler::fetchExpiredItems($scopes, false, $expiry);
        foreach ($names as $name) {
            echo "would purge $name\n";
        }
        printf("clusterpurge (dry run): %d expired files would be purged\n", count($names));
        exit(EXIT_OK);
    }
    // Until a batch finds nothing: a batch may purge fewer than --limit
    // when files were stored again meanwhile, and more may have expired.
    $total = 0;
    for ($batch = 1; ($purged = eZClusterFileHandler::purgeExpired($limit, $expiry, $scopes)) > 0; $batch++) {
        $total += $purged;
        printf("clusterpurge: batch %d: %d files purged (%d so far)\n", $batch, $purged, $total);
        usleep((int)($sleep * 1e6));
    }
    printf("clusterpurge: %d expired files purged\n", $total);
} catch (\Throwable $e) {
    fail('purge failed: ' . $e->getMessage(), EXIT_FAILURES);
}
