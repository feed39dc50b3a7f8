--TEST--
processCache: 32 processes at once on an item with no stored copy: one generation, the others wait and get the new content
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/cache.inc';
$path = "$prefix/cache/content/new.cache";
$log = getcwd() . '/events.log';
$barrier = getcwd() . '/barrier';

$retrieve = fn($file, $mtime) => file_get_contents($file);
$generate = function ($file) use ($log) {
    log_event($log, 'generate-start');
    usleep(200000);
    log_event($log, 'generate-end');
    return ['content' => 'fresh', 'binarydata' => 'fresh'];
};
$gate = barrier_close($barrier);
$pids = fork_children(32, $barrier, function () use ($path, $log, $retrieve, $generate) {
    log_event($log, 'returned', eZClusterFileHandler::instance($path)->processCache($retrieve, $generate, 50));
});
barrier_open($gate);
echo "failed children: ", wait_children($pids), "\n";

$events = read_log($log);
echo "generations: ", count(events($events, 'generate-start')), "\n";
$returned = events($events, 'returned');
echo "returned: ", count($returned), "\n";
echo "contents: ", implode(',', array_unique(array_column($returned, 'detail'))), "\n";
// Nobody had anything to return before the new content was stored.
$end = events($events, 'generate-end')[0]['t'];
echo "returned before it was generated: ", count(array_filter($returned, fn($e) => $e['t'] < $end)), "\n";
var_dump(eZClusterFileHandler::instance()->fileExists("$path.generating"));
?>
--EXPECT--
failed children: 0
generations: 1
returned: 32
contents: fresh
returned before it was generated: 0
bool(false)
