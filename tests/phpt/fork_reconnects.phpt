--TEST--
A forked child opens its own connection; the parent's keeps working after the child exits
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$h->fileStoreContents("$prefix/parent.txt", 'from parent');
eZClusterFileHandler::preFork(); // as eZ's scripts call it: harmless, nothing to do
$pid = pcntl_fork();
if ($pid === 0) {
    // Child: uses the store on its own connection, then exits.
    $h->fileStoreContents("$prefix/child.txt", 'from child');
    exit($h->fileFetchContents("$prefix/parent.txt") === 'from parent' ? 0 : 1);
}
pcntl_waitpid($pid, $status);
var_dump(pcntl_wexitstatus($status));
// The child's exit must not have closed the parent's connection.
var_dump($h->fileFetchContents("$prefix/child.txt"));
$h->fileStoreContents("$prefix/parent.txt", 'again');
var_dump($h->fileFetchContents("$prefix/parent.txt"));
?>
--EXPECT--
int(0)
string(10) "from child"
string(5) "again"
