--TEST--
Local copies: fetch() keeps a current copy unless $noLocalCache, fetchUnique, deleteLocal/fileDeleteLocal, the expiry checks
--FILE--
<?php
require __DIR__ . '/setup.inc';
$name = "$prefix/cache/page.cache";
$f = eZClusterFileHandler::instance($name);
$f->storeContents('version 1', 'viewcache');
$mtime = $f->mtime();

var_dump($f->fetch() === $name, file_get_contents($name), filemtime($name) === $mtime);
// A current local copy is kept (here: changed behind the store's back, same
// size and mtime), unless $noLocalCache; a newer stored version replaces it.
// With ezfs the local file is the stored file.
file_put_contents($name, 'VERSION 1');
touch($name, $mtime);
check([$f->fetch(), file_get_contents($name)], [$name, 'VERSION 1']);
check([$f->fetch(true), file_get_contents($name)], [$name, 'version 1'], [$name, 'VERSION 1']);
eZClusterFileHandler::instance()->fileStoreContents($name, 'version 22');
touch($name, $mtime - 10);
check([$f->fetch(), file_get_contents($name)], [$name, 'version 22']);

$unique = $f->fetchUnique();
check(str_starts_with($unique, "$name."), true, false); // ezfs: the file itself
var_dump(file_get_contents($unique));
$f->fileDeleteLocal($unique);
check(file_exists($unique), false, true);
var_dump(eZClusterFileHandler::instance("$prefix/none")->fetchUnique());

// deleteLocal removes the local copy only (ezfs: the local file is the store).
$f->deleteLocal();
var_dump(file_exists($name) === !$isDb, $f->exists());
$f->fileDeleteLocal("$prefix/never/there"); // no error

// Expiry: eZ's rule on the stored, the local and the given mtime.
$now = time();
var_dump(eZClusterFileHandler::isFileExpired($name, false, 0, $now, null));
var_dump(eZClusterFileHandler::isFileExpired($name, -5, 0, $now, null));
var_dump(eZClusterFileHandler::isFileExpired($name, 100, 101, $now, null), eZClusterFileHandler::isFileExpired($name, 101, 101, $now, null));
var_dump(eZClusterFileHandler::isFileExpired($name, $now - 100, 0, $now, 50), eZClusterFileHandler::isFileExpired($name, $now - 100, 0, $now, 500));
var_dump($f->isExpired(0, $now, 3600), $f->isExpired($now + 100, $now, null));
var_dump($f->isDBFileExpired(0, $now, 3600));
var_dump($f->isLocalFileExpired(0, $now, 3600) === $isDb); // no local copy in a database setup
$f->fetch();
var_dump($f->isLocalFileExpired(0, $now, 3600));
$f->delete();
var_dump($f->isExpired(0, $now, 3600), $f->isDBFileExpired(0, $now, 3600));

$h = eZClusterFileHandler::instance();
var_dump($h->requiresClusterizing() === $isDb, $h->requiresPurge() === $isDb, $h->hasStaleCacheSupport() === $isDb);
?>
--EXPECT--
bool(true)
string(9) "version 1"
bool(true)
ok
ok
ok
ok
string(10) "version 22"
ok
bool(false)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(false)
bool(true)
bool(false)
bool(false)
bool(true)
bool(false)
bool(true)
bool(false)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
