--TEST--
fileStoreContents / fileFetchContents / fileExists / fileDelete / getFileList, with eZ's return conventions
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$name = "$prefix/storage/original/application/doc.txt";
$binary = "a\0b\xff\xfe" . str_repeat("\0", 70000) . "end";

var_dump($h->fileExists($name));
var_dump($h->fileFetchContents($name));
var_dump($h->fileFetch($name));
var_dump($h->fileDelete($name));

$h->fileStoreContents($name, $binary, 'binaryfile', 'text/plain');
var_dump($h->fileExists($name));
var_dump($h->fileFetchContents($name) === $binary);

// Overwrite with something shorter: no old chunk may survive.
$h->fileStoreContents($name, 'short');
var_dump($h->fileFetchContents($name));
$h->fileStoreContents($name, '');
var_dump($h->fileFetchContents($name));

$h->fileStoreContents("$prefix/a.png", 'png', 'image', 'image/png');
$h->fileStoreContents("$prefix/b.cache", 'cache', 'viewcache', 'text/plain');
$mine = fn($list) => array_values(array_filter($list, fn($n) => str_starts_with($n, $prefix)));
var_dump($mine($h->getFileList()));
if ($isDb) {
    var_dump($mine($h->getFileList(['image'])) === ["$prefix/a.png"]);
    var_dump($mine($h->getFileList(['image'], true)) === ["$prefix/b.cache", $name]);
} else {
    echo "bool(true)\nbool(true)\n"; // ezfs files carry no scope
}

var_dump($h->fileDelete($name));
var_dump($h->fileExists($name));
var_dump($h->fileFetchContents($name));
var_dump($h->fileDelete($name));
?>
--EXPECTF--
bool(false)
bool(false)
bool(false)
bool(false)
bool(true)
bool(true)
string(5) "short"
string(0) ""
array(3) {
  [0]=>
  string(%d) "var/test-%d/a.png"
  [1]=>
  string(%d) "var/test-%d/b.cache"
  [2]=>
  string(%d) "var/test-%d/storage/original/application/doc.txt"
}
bool(true)
bool(true)
bool(true)
bool(false)
bool(false)
bool(false)
