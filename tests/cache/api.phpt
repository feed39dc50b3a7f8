--TEST--
processCache semantics in one process: return forms, failure codes, deferred generation, local copies refreshed atomically
--FILE--
<?php
require __DIR__ . '/cache.inc';
$path = "$prefix/cache/api.cache";
$h = eZClusterFileHandler::instance($path);
$calls = 0;
$retrieve = function ($file, $mtime, $extra = null) { return "R[" . file_get_contents($file) . "]" . ($extra === null ? '' : "+$extra"); };
$gen = function ($value) use (&$calls) { return function ($file, $extra = null) use (&$calls, $value) { $calls++; return $value; }; };

echo "-- content is stored as PHP that returns it, and included by retrieve\n";
var_dump($h->processCache(null, $gen(['content' => ['a' => 1], 'scope' => 'viewcache', 'datatype' => 'text/x-php']), 100));
var_dump($h->processCache(fn($f, $m) => include $f, $gen('unused'), 100), $calls);
$stat = $h->stat();
var_dump($stat['scope'], $stat['datatype'], filemtime($path) === $stat['mtime']);

echo "-- a newer stored version replaces the local copy\n";
store_expired($path, 'expired', 1000);
var_dump($h->processCache($retrieve, $gen('v2'), 100, null, 'x'), $calls);
$h->fileStoreContents($path, 'changed elsewhere');
sleep(1); // a later second than the local copy
$h->fileStoreContents($path, 'changed elsewhere');
var_dump($h->processCache($retrieve, $gen('unused'), 100), $calls);

echo "-- failure 1 regenerates, 3 regenerates without storing, others give null\n";
var_dump($h->processCache(fn() => new eZClusterFileFailure(1), $gen('after expiry'), 100), $calls);
var_dump($h->processCache(fn() => new eZClusterFileFailure(3), fn($f, $x) => json_encode($x), 100));
var_dump($h->fileFetchContents($path));
var_dump($h->processCache(fn() => new eZClusterFileFailure(7, 'no'), $gen('unused'), 100), $calls);

echo "-- store => false returns without storing; nothing to store gives null\n";
store_expired($path, 'expired', 1000);
var_dump($h->processCache($retrieve, $gen(['binarydata' => 'not kept', 'store' => false]), 100), $h->fileFetchContents($path));
var_dump($h->processCache($retrieve, $gen(['scope' => 'x']), 100), $h->fileExists("$path.generating"));

echo "-- null generate: the caller generates and stores\n";
$r = $h->processCache($retrieve, null, 100);
var_dump(get_class($r), $r->errno(), $h->fileExists("$path.generating"));
var_dump($h->storeCache(['content' => 'mine', 'binarydata' => 'stored by caller']));
var_dump($h->fileExists("$path.generating"), $h->processCache($retrieve, $gen('unused'), 100));

echo "-- false generate, processFile\n";
$missing = eZClusterFileHandler::instance("$prefix/cache/missing");
var_dump($missing->processCache($retrieve, false)->errno(), $missing->processFile($retrieve), $h->processFile($retrieve));

echo "-- an exception from generate propagates and frees the lock\n";
store_expired($path, 'expired', 1000);
try {
    $h->processCache($retrieve, function () { throw new LogicException('generate failed'); }, 100);
} catch (LogicException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
var_dump($h->fileExists("$path.generating"), $h->fileFetchContents($path));

echo "-- bad callbacks\n";
try { $h->processCache('no_such_function', null); } catch (TypeError $e) { echo $e->getMessage(), "\n"; }
?>
--EXPECT--
-- content is stored as PHP that returns it, and included by retrieve
array(1) {
  ["a"]=>
  int(1)
}
array(1) {
  ["a"]=>
  int(1)
}
int(1)
string(9) "viewcache"
string(10) "text/x-php"
bool(true)
-- a newer stored version replaces the local copy
string(2) "v2"
int(2)
string(20) "R[changed elsewhere]"
int(2)
-- failure 1 regenerates, 3 regenerates without storing, others give null
string(12) "after expiry"
int(3)
string(16) "{"noCache":true}"
string(12) "after expiry"
NULL
int(3)
-- store => false returns without storing; nothing to store gives null
string(8) "not kept"
string(7) "expired"
NULL
bool(false)
-- null generate: the caller generates and stores
string(20) "eZClusterFileFailure"
int(2)
bool(true)
string(4) "mine"
bool(false)
string(19) "R[stored by caller]"
-- false generate, processFile
int(2)
NULL
string(19) "R[stored by caller]"
-- an exception from generate propagates and frees the lock
LogicException: generate failed
bool(false)
string(7) "expired"
-- bad callbacks
processCache(): Argument #1 ($retrieveCallback) must be a valid callback, null or false
