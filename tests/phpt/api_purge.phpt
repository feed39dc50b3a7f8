--TEST--
purge() on a path in batches with its callback, fetchExpiredItems and purgeExpired: only soft-deleted files go, for good
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
for ($i = 0; $i < 7; $i++) {
    $h->fileStoreContents("$prefix/tree/f$i", "file $i", $i < 5 ? 'viewcache' : 'image');
}
$h->fileStoreContents("$prefix/single", 'one file');
$h->fileStoreContents("$prefix/treex", 'a sibling');
$h->fileDelete("$prefix/tree"); // soft-deletes tree/*
$h->fileDelete("$prefix/single");
$h->fileStoreContents("$prefix/tree/f6", 'stored again after the delete');

$mine = fn(array $names) => array_values(array_filter($names, fn($n) => str_starts_with($n, "$prefix/")));
$expired = $mine(eZClusterFileHandler::fetchExpiredItems());
check(count($expired), 7, 0);
check(count($mine(eZClusterFileHandler::fetchExpiredItems(['image']))), 1, 0);
check(count($mine(eZClusterFileHandler::fetchExpiredItems(false, false, 1))), 0, 0); // nothing is older than 1970

$batches = [];
eZClusterFileHandler::instance("$prefix/tree")->purge(function ($path, $count) use (&$batches, $prefix) {
    $batches[] = str_replace($prefix, 'P', $path) . ":$count";
}, 1000, 2);
eZClusterFileHandler::instance("$prefix/single")->purge(function ($path, $count) use (&$batches, $prefix) {
    $batches[] = str_replace($prefix, 'P', $path) . ":$count";
});
check(implode(' ', $batches), 'P/tree:2 P/tree:2 P/tree:2 P/single:1', '');
check(count($mine(eZClusterFileHandler::fetchExpiredItems())), 0, 0);
var_dump($h->fileFetchContents("$prefix/tree/f6"), $h->fileFetchContents("$prefix/treex"));

// Bulk purge of everything expired (other tests' files too: count only ours).
$h->fileDelete("$prefix/treex");
$h->fileDelete("$prefix/tree/f6");
check(count($mine(eZClusterFileHandler::fetchExpiredItems())), 2, 0);
do {
    $n = eZClusterFileHandler::purgeExpired(1);
} while ($n > 0);
check(count($mine(eZClusterFileHandler::fetchExpiredItems())), 0, 0);
// A purged name can be stored again from scratch.
$h->fileStoreContents("$prefix/tree/f1", 'new life');
var_dump($h->fileFetchContents("$prefix/tree/f1"));
try {
    eZClusterFileHandler::purgeExpired(0);
} catch (ValueError $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
?>
--EXPECT--
ok
ok
ok
ok
ok
string(29) "stored again after the delete"
string(9) "a sibling"
ok
ok
string(8) "new life"
ValueError: purgeExpired(): Argument #1 ($limit) must be at least 1
