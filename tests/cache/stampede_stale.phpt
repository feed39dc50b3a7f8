--TEST--
processCache: 32 processes at once on one expired item: one generation, the others get the stale copy without waiting
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/cache.inc';
$path = "$prefix/cache/content/item.cache";
$log = getcwd() . '/events.log';
$barrier = getcwd() . '/barrier';
store_expired($path, 'stale', 100);

$retrieve = fn($file, $mtime) => file_get_contents($file);
// The generator stays in its callback until the 31 others have returned (or
// 20 s passed): losers that waited for it would return only after it ended.
$generate = function ($file) use ($log) {
    log_event($log, 'generate-start');
    for ($i = 0; $i < 2000 && count(events(read_log($log), 'returned')) < 31; $i++) {
        usleep(10000);
    }
    usleep(200000);
    log_event($log, 'generate-end');
    return 'fresh';
};
$gate = barrier_close($barrier);
$pids = fork_children(32, $barrier, function () use ($path, $log, $retrieve, $generate) {
    log_event($log, 'call');
    $got = eZClusterFileHandler::instance($path)->processCache($retrieve, $generate, 50);
    log_event($log, 'returned', $got);
});
barrier_open($gate);
echo "failed children: ", wait_children($pids), "\n";

$events = read_log($log);
if (getenv('CACHE_DEBUG')) { $t0 = $events[0]['t']; foreach ($events as $e) fprintf(STDERR, "%6.1f ms %6d %s %s\n", ($e['t'] - $t0) / 1e6, $e['pid'], $e['event'], $e['detail']); }
$starts = events($events, 'generate-start');
$generatorPid = $starts[0]['pid'] ?? null;
$end = events($events, 'generate-end')[0]['t'] ?? PHP_INT_MAX;
$returned = events($events, 'returned');
echo "returned: ", count($returned), "\n";
$stale = array_filter($returned, fn($e) => $e['detail'] === 'stale');
$others = array_filter($returned, fn($e) => !in_array($e['detail'], ['stale', 'fresh'], true));
echo "neither stale nor fresh: ", count($others), "\n";
echo "generator got fresh: ", var_export(in_array(['fresh', $generatorPid], array_map(fn($e) => [$e['detail'], $e['pid']], $returned)), true), "\n";
echo "generations: ", count($starts), "\n";
echo "got the stale copy: ", count($stale), "\n";
// A loser that got the stale copy did not wait for the generator.
$late = array_filter($stale, fn($e) => $e['t'] >= $end);
echo "stale copies returned after the generator finished: ", count($late), "\n";

// Afterwards everyone reads the new version, and nobody generates again.
$gate = barrier_close($barrier);
$pids = fork_children(32, $barrier, function () use ($path, $log, $retrieve) {
    $again = function () use ($log) { log_event($log, 'generate-again'); return 'again'; };
    log_event($log, 'after', eZClusterFileHandler::instance($path)->processCache($retrieve, $again, 50));
});
barrier_open($gate);
echo "failed children: ", wait_children($pids), "\n";
$events = read_log($log);
echo "after: ", implode(',', array_unique(array_column(events($events, 'after'), 'detail'))), "\n";
echo "generated again: ", count(events($events, 'generate-again')), "\n";
var_dump(eZClusterFileHandler::instance()->fileExists("$path.generating"));
?>
--EXPECT--
failed children: 0
returned: 32
neither stale nor fresh: 0
generator got fresh: true
generations: 1
got the stale copy: 31
stale copies returned after the generator finished: 0
failed children: 0
after: fresh
generated again: 0
bool(false)
