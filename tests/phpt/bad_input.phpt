--TEST--
Bad input: empty paths, NUL bytes, '..' segments, 4 KB names, wrong types, bad scope/datatype: a clear error, and nothing stored
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$try = function (string $label, callable $call) use ($prefix) {
    try {
        $call();
        echo "$label: no error\n";
    } catch (Throwable $e) {
        echo "$label: ", get_class($e), ': ', str_replace($prefix, 'P', substr($e->getMessage(), 0, 120)), "\n";
    }
};
$long = "$prefix/" . str_repeat('n', 4096);
$bad = ['empty' => '', 'nul' => "$prefix/a\0b", 'dotdot' => "$prefix/../escape", 'long' => $long];
foreach ($bad as $label => $path) {
    $try("fileStoreContents $label", fn() => $h->fileStoreContents($path, 'data'));
    $try("instance $label", fn() => eZClusterFileHandler::instance($path));
    $try("fileFetchContents $label", fn() => $h->fileFetchContents($path));
    $try("fileDelete $label", fn() => $h->fileDelete($path));
    $try("fileCopy $label", fn() => $h->fileCopy("$prefix/ok", $path));
}
$try('fileStoreContents array', fn() => $h->fileStoreContents("$prefix/x", ['not', 'a string']));
$try('fileStoreContents int path', fn() => $h->fileStoreContents(12, 'x'));
$try('scope too long', fn() => $h->fileStoreContents("$prefix/x", 'x', str_repeat('s', 21)));
$try('scope array', fn() => $h->fileStoreContents("$prefix/x", 'x', ['image']));
$try('datatype too long', fn() => $h->fileStoreContents("$prefix/x", 'x', 'image', str_repeat('t', 256)));
$try('getFileList scopes string', fn() => $h->getFileList('image'));
$try('fileDeleteByDirList dirs string', fn() => $h->fileDeleteByDirList('dir', $prefix, ''));
$try('fileDeleteByWildcard empty', fn() => $h->fileDeleteByWildcard(''));
$try('passthrough negative', fn() => eZClusterFileHandler::instance("$prefix/x")->passthrough(-1));
$try('purge bad callback', fn() => eZClusterFileHandler::instance("$prefix/x")->purge('no_such_function'));
$try('unbound fetch', fn() => eZClusterFileHandler::instance()->fetchContents());
// Nothing of the above was stored.
var_dump(array_values(array_filter($h->getFileList(), fn($n) => str_starts_with($n, "$prefix/"))));
// A name just under the limit works.
$ok = "$prefix/" . str_repeat('m', 200) . '/' . str_repeat('k', 200);
$h->fileStoreContents($ok, 'fine');
var_dump($h->fileFetchContents($ok));
?>
--EXPECTF--
fileStoreContents empty: ValueError: the file path is empty
instance empty: ValueError: the file path is empty
fileFetchContents empty: ValueError: the file path is empty
fileDelete empty: ValueError: the file path is empty
fileCopy empty: ValueError: the file path is empty
fileStoreContents nul: ValueError: invalid file path 'P/a%sb': it contains a NUL byte
instance nul: ValueError: invalid file path 'P/a%sb': it contains a NUL byte
fileFetchContents nul: ValueError: invalid file path 'P/a%sb': it contains a NUL byte
fileDelete nul: ValueError: invalid file path 'P/a%sb': it contains a NUL byte
fileCopy nul: ValueError: invalid file path 'P/a%sb': it contains a NUL byte
fileStoreContents dotdot: ValueError: invalid file path 'P/../escape': '..' segments are not allowed
instance dotdot: ValueError: invalid file path 'P/../escape': '..' segments are not allowed
fileFetchContents dotdot: ValueError: invalid file path 'P/../escape': '..' segments are not allowed
fileDelete dotdot: ValueError: invalid file path 'P/../escape': '..' segments are not allowed
fileCopy dotdot: ValueError: invalid file path 'P/../escape': '..' segments are not allowed
fileStoreContents long: ValueError: invalid file path: %d bytes long, the limit is 4095
instance long: ValueError: invalid file path: %d bytes long, the limit is 4095
fileFetchContents long: ValueError: invalid file path: %d bytes long, the limit is 4095
fileDelete long: ValueError: invalid file path: %d bytes long, the limit is 4095
fileCopy long: ValueError: invalid file path: %d bytes long, the limit is 4095
fileStoreContents array: TypeError: fileStoreContents(): Argument #2 ($contents) must be of type string
fileStoreContents int path: %s
scope too long: ValueError: scope 'sssssssssssssssssssss' is longer than 20 bytes
scope array: TypeError: fileStoreContents(): Argument #3 ($scope) must be of type string|false
datatype too long: ValueError: datatype is longer than 255 bytes
getFileList scopes string: TypeError: getFileList(): Argument #1 ($scopes) must be of type array|false with string values
fileDeleteByDirList dirs string: TypeError: fileDeleteByDirList(): Argument #1 ($dirList) must be of type array|false with string values
fileDeleteByWildcard empty: ValueError: the wildcard is empty or contains a NUL byte
passthrough negative: ValueError: passthrough(): offset and length must not be negative
purge bad callback: TypeError: purge(): Argument #1 ($printCallback) must be a valid callback or false
unbound fetch: ValueError: this eZClusterFileHandler is bound to no file: use eZClusterFileHandler::instance($path)
array(0) {
}
string(4) "fine"
