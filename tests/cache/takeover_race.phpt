--TEST--
Generation locks: of 16 processes racing to take over an expired lock exactly one wins; the holder it was taken from can no longer store
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/cache.inc';
ini_set('ezcluster.cache_generation_timeout', '1');
$path = "$prefix/cache/content/race.cache";
$log = getcwd() . '/events.log';
$barrier = getcwd() . '/barrier';
$h = eZClusterFileHandler::instance($path);
$h->fileStoreContents($path, 'previous');

// Without a lock, checking and aborting are harmless and touch nothing.
var_dump($h->checkCacheGenerationTimeout(), $h->abortCacheGeneration(), $h->endCacheGeneration());
var_dump($h->fileFetchContents($path));

// This process takes the lock and then stalls past the timeout.
var_dump($h->startCacheGeneration());
var_dump(eZClusterFileHandler::instance($path)->startCacheGeneration() === true); // its own lock: still true
$other = fork_children(1, $barrier, function () use ($path, $log) {
    log_event($log, 'busy', var_export(eZClusterFileHandler::instance($path)->startCacheGeneration(), true));
});
echo "failed children: ", wait_children($other), "\n";
echo "while fresh, another process gets the seconds left: ", var_export(in_array(events(read_log($log), 'busy')[0]['detail'], ['0', '1'], true), true), "\n";
sleep(3);

$gate = barrier_close($barrier);
$pids = fork_children(16, $barrier, function () use ($path, $log) {
    $h = eZClusterFileHandler::instance($path);
    $won = $h->startCacheGeneration() === true;
    log_event($log, 'start', $won ? 'won' : 'lost');
    if ($won) {
        // Hold it until the old holder has tried to store.
        usleep(500000);
        log_event($log, 'still-mine', var_export($h->checkCacheGenerationTimeout(), true));
        $h->storeCache('from the winner');
    } else {
        // A loser holds nothing: these change nothing.
        log_event($log, 'loser-check', var_export($h->checkCacheGenerationTimeout(), true));
        $h->abortCacheGeneration();
    }
});
barrier_open($gate);
// The old holder wakes up: its lock is gone, so its stale result is not stored.
usleep(200000);
var_dump($h->checkCacheGenerationTimeout());
var_dump($h->storeCache('stale result from the old holder'));
echo "failed children: ", wait_children($pids), "\n";
$events = read_log($log);
$starts = array_count_values(array_column(events($events, 'start'), 'detail'));
echo "won: ", $starts['won'] ?? 0, ", lost: ", $starts['lost'] ?? 0, "\n";
echo "winner still held it: ", events($events, 'still-mine')[0]['detail'] ?? '-', "\n";
echo "losers' checks: ", implode(',', array_unique(array_column(events($events, 'loser-check'), 'detail'))), "\n";
var_dump($h->fileFetchContents($path));
var_dump($h->fileExists("$path.generating"));
?>
--EXPECT--
bool(false)
NULL
bool(false)
string(8) "previous"
bool(true)
bool(true)
failed children: 0
while fresh, another process gets the seconds left: true
bool(false)
string(32) "stale result from the old holder"
failed children: 0
won: 1, lost: 15
winner still held it: true
losers' checks: false
string(15) "from the winner"
bool(false)
