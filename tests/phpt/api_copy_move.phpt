--TEST--
fileCopy, fileLinkCopy, fileMove and move(): whole multi-chunk files, targets replaced, missing sources reported
--INI--
ezcluster.db_chunk_size=1000
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$data = random_bytes(4500);
$h->fileStoreContents("$prefix/src.bin", $data, 'binaryfile', 'application/x-test');
$h->fileStoreContents("$prefix/dst.bin", str_repeat('old', 5000));

var_dump($h->fileCopy("$prefix/src.bin", "$prefix/dst.bin"));
var_dump($h->fileFetchContents("$prefix/dst.bin") === $data, $h->fileFetchContents("$prefix/src.bin") === $data);
$src = eZClusterFileHandler::instance("$prefix/src.bin")->stat();
$dst = eZClusterFileHandler::instance("$prefix/dst.bin")->stat();
var_dump($dst['size'], $dst['mtime'] === $src['mtime'], $dst['name'] === "$prefix/dst.bin");
if ($isDb) {
    var_dump($dst['scope'], $dst['datatype']);
} else {
    echo "string(10) \"binaryfile\"\nstring(18) \"application/x-test\"\n";
}

var_dump($h->fileLinkCopy("$prefix/src.bin", "$prefix/link/copy.bin", true));
var_dump($h->fileFetchContents("$prefix/link/copy.bin") === $data);

var_dump($h->fileMove("$prefix/src.bin", "$prefix/moved/src.bin"));
var_dump($h->fileExists("$prefix/src.bin"), $h->fileFetchContents("$prefix/moved/src.bin") === $data);

$f = eZClusterFileHandler::instance("$prefix/moved/src.bin");
var_dump($f->move("$prefix/final.bin"), $f->exists());
var_dump(eZClusterFileHandler::instance("$prefix/final.bin")->fetchContents() === $data);

// Missing sources: false, and the target is untouched.
var_dump($h->fileCopy("$prefix/none", "$prefix/dst.bin"), $h->fileMove("$prefix/none", "$prefix/dst.bin"));
var_dump($h->fileFetchContents("$prefix/dst.bin") === $data);
// A copy onto itself keeps the file.
var_dump($h->fileCopy("$prefix/dst.bin", "$prefix//dst.bin"), $h->fileFetchContents("$prefix/dst.bin") === $data);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
int(4500)
bool(true)
bool(true)
string(10) "binaryfile"
string(18) "application/x-test"
bool(true)
bool(true)
bool(true)
bool(false)
bool(true)
bool(true)
bool(false)
bool(true)
bool(false)
bool(false)
bool(true)
bool(true)
bool(true)
