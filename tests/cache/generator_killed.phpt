--TEST--
processCache: a generator killed with SIGKILL leaves its lock; waiters take over once it times out and generate once more
--EXTENSIONS--
pcntl
posix
--FILE--
<?php
require __DIR__ . '/cache.inc';
// Shortened for the test (the default is 60 s).
ini_set('ezcluster.cache_generation_timeout', '2');
$path = "$prefix/cache/content/killed.cache";
$log = getcwd() . '/events.log';
$barrier = getcwd() . '/barrier';
$retrieve = fn($file, $mtime) => file_get_contents($file);

// The first generator records its call, then dies without a word.
$gate = barrier_close($barrier);
$victim = fork_children(1, $barrier, function () use ($path, $log, $retrieve) {
    eZClusterFileHandler::instance($path)->processCache($retrieve, function () use ($log) {
        log_event($log, 'generate-start');
        posix_kill(getmypid(), SIGKILL);
        sleep(60);
    }, 50);
});
barrier_open($gate);
pcntl_waitpid($victim[0], $status);
echo "victim killed: ", var_export(pcntl_wifsignaled($status) && pcntl_wtermsig($status) === SIGKILL, true), "\n";
var_dump(eZClusterFileHandler::instance()->fileExists("$path.generating"));

// Eight waiters: none can serve anything until one takes the lock over.
$gate = barrier_close($barrier);
$pids = fork_children(8, $barrier, function () use ($path, $log, $retrieve) {
    $got = eZClusterFileHandler::instance($path)->processCache($retrieve, function () use ($log) {
        log_event($log, 'generate-start');
        usleep(200000);
        return 'regenerated';
    }, 50);
    log_event($log, 'returned', $got);
});
barrier_open($gate);
echo "failed children: ", wait_children($pids), "\n";
$events = read_log($log);
echo "generations: ", count(events($events, 'generate-start')), "\n";
$returned = events($events, 'returned');
echo "returned: ", count($returned), ", contents: ", implode(',', array_unique(array_column($returned, 'detail'))), "\n";
var_dump(eZClusterFileHandler::instance()->fileFetchContents($path));
var_dump(eZClusterFileHandler::instance()->fileExists("$path.generating"));
?>
--EXPECT--
victim killed: true
bool(true)
failed children: 0
generations: 2
returned: 8, contents: regenerated
string(11) "regenerated"
bool(false)
