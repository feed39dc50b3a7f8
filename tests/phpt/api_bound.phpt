--TEST--
instance($path) and the bound-file methods: loadMetaData, exists, size, mtime, stat, name, storeContents, fetch, fetchContents, delete
--FILE--
<?php
require __DIR__ . '/setup.inc';
$name = "$prefix/storage/images/photo one.jpg";
$f = eZClusterFileHandler::instance($name);
var_dump($f->name() === $name, $f->exists(), $f->size(), $f->mtime(), $f->stat(), $f->fetchContents(), $f->fetch());

$before = time();
$f->storeContents("\xff\xd8jpeg\0data", 'image');
var_dump($f->exists(), $f->size(), $f->mtime() >= $before && $f->mtime() <= time());
$s = $f->stat();
var_dump($s['size'], $s['datatype'], $s['name'] === $name);
if ($isDb) {
    var_dump($s['scope'], $s['name_hash'] === md5($name), $s['expired']);
} else {
    echo "string(5) \"image\"\nbool(true)\nbool(false)\n";
}
var_dump($f->fetchContents() === "\xff\xd8jpeg\0data");

// fetch() writes the local copy at the same path and returns it.
var_dump(file_exists($name));
var_dump($f->fetch() === $name, file_get_contents($name) === "\xff\xd8jpeg\0data");

// Metadata is cached until loadMetaData(true) or exists().
eZClusterFileHandler::instance()->fileStoreContents($name, '12345678');
var_dump($f->size(), $f->loadMetaData(true), $f->size());

var_dump($f->delete(), $f->exists(), $f->size(), $f->fetchContents());
var_dump(eZClusterFileHandler::instance()->name());
try {
    eZClusterFileHandler::instance()->size();
} catch (ValueError $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
?>
--EXPECTF--
bool(true)
bool(false)
NULL
NULL
bool(false)
bool(false)
bool(false)
bool(true)
int(11)
bool(true)
int(11)
string(10) "image/jpeg"
bool(true)
string(5) "image"
bool(true)
bool(false)
bool(true)
bool(%s)
bool(true)
bool(true)
int(11)
bool(true)
int(8)
bool(true)
bool(false)
NULL
bool(false)
bool(false)
ValueError: this eZClusterFileHandler is bound to no file: use eZClusterFileHandler::instance($path)
