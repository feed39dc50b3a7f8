--TEST--
Storing and fetching a 200 MiB file streams it: peak RSS grows by less than 32 MiB
--INI--
memory_limit=64M
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$path = "$prefix/storage/original/large.bin";
$sum = write_pattern($path, 200 << 20, 1);
$base = vm_hwm_kib();
var_dump($h->fileStore($path, 'binaryfile'));
if ($isDb) {
    unlink($path);
    var_dump($h->fileFetch($path) === $path);
} else {
    echo "bool(true)\n";
}
$grown = vm_hwm_kib() - $base;
var_dump(filesize($path), hash_file('sha256', $path) === $sum);
var_dump($grown < 32 * 1024);
if ($grown >= 32 * 1024) echo "peak RSS grew by $grown KiB\n";
var_dump($h->fileDelete($path), $h->fileExists($path));
?>
--EXPECT--
bool(true)
bool(true)
int(209715200)
bool(true)
bool(true)
bool(true)
bool(false)
