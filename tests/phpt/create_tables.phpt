--TEST--
Tables are created on first use; with DBCreateTables off a missing table is a clear error until createTables() runs
--FILE--
<?php
require __DIR__ . '/setup.inc';
// A fresh embedded store, whatever backend this run is for.
$db = getcwd() . '/fresh.sqlite';
eZClusterFileHandler::configure(['FileHandler' => 'ezdb', 'DBBackend' => 'sqlite', 'DBName' => $db, 'DBCreateTables' => false]);
try {
    eZClusterFileHandler::instance()->fileExists('var/a.txt');
    echo "no exception\n";
} catch (eZClusterFileHandlerException $e) {
    var_dump(str_contains($e->getMessage(), 'ezdbfile'));
}
eZClusterFileHandler::createTables();
$h = eZClusterFileHandler::instance();
var_dump($h->fileExists('var/a.txt'));
$h->fileStoreContents('var/a.txt', 'created');
var_dump($h->fileFetchContents('var/a.txt'));

// Default: created on first use.
eZClusterFileHandler::configure(['DBName' => getcwd() . '/auto.sqlite', 'DBCreateTables' => true]);
$h->fileStoreContents('var/b.txt', 'auto');
var_dump($h->fileFetchContents('var/b.txt'));
?>
--EXPECT--
bool(true)
bool(false)
string(7) "created"
string(4) "auto"
