--TEST--
ezcluster_serve(): a client that goes away mid-body (PHP bails out inside the write) leaves the store usable
--FILE--
<?php
require __DIR__ . '/setup.inc';
$name = "$prefix/storage/images/gone.png";
eZClusterFileHandler::instance()->fileStoreContents($name, str_repeat('x', 300000), 'image', 'image/png');

// A child PHP serves the file to a stdout nobody reads: its first write
// fails, and PHP bails out (a longjmp) from inside that write, as for an
// HTTP client that went away. Its shutdown function then uses the store: a
// lock left held by the interrupted call would hang it.
$child = <<<'CHILD'
$name = $argv[1];
register_shutdown_function(function () use ($name) {
    fwrite(STDERR, "connection status: " . connection_status() . "\n");
    fwrite(STDERR, "the store after the bailout: " . var_export(eZClusterFileHandler::instance()->fileExists($name), true) . "\n");
});
ezcluster_serve("/$name");
fwrite(STDERR, "not reached\n");
CHILD;
$command = [PHP_BINARY, '-n', '-d', 'extension=' . dirname(__DIR__, 2) . '/build/ezcluster.so'];
foreach (ini_get_all('ezcluster', false) as $key => $value) {
    if (str_starts_with($key, 'ezcluster.db_') || $key === 'ezcluster.file_handler') {
        array_push($command, '-d', "$key=$value");
    }
}
array_push($command, '-r', $child, '--', $name);
$process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, getcwd());
fclose($pipes[1]);
$errors = '';
$deadline = microtime(true) + 20;
while (!feof($pipes[2]) && microtime(true) < $deadline) {
    $read = [$pipes[2]];
    $none = null;
    if (stream_select($read, $none, $none, 1)) {
        $errors .= fread($pipes[2], 8192);
    }
}
if (!feof($pipes[2])) {
    proc_terminate($process, 9);
    $errors .= "the child hung\n";
}
proc_close($process);
echo $errors;
?>
--EXPECT--
connection status: 1
the store after the bailout: true
