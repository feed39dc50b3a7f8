--TEST--
Atomic replace: writer and reader processes at once; every read is one whole version, never a mix of two
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
// Small chunks: every version is many chunk rows, so a torn read would show.
eZClusterFileHandler::configure(['DBChunkSize' => 1000]);
const WRITERS = 3, READERS = 3, STORES_PER_WRITER = 25, MIN_READS_PER_READER = 20;
$name = "$prefix/replaced.bin";

/** Version $v: $size bytes, every 32-byte block depends on $v (two versions never share a chunk). */
function version_bytes(int $v, int $size): string {
    $out = '';
    for ($i = 0; strlen($out) < $size; $i++) {
        $out .= hash('sha256', "version $v block $i", true);
    }
    return substr($out, 0, $size);
}
$sizes = [2500, 7001, 13000, 24999, 40000];
$versions = array_map(fn($v) => version_bytes($v, $sizes[$v]), array_keys($sizes));
$known = array_flip(array_map(fn($d) => hash('sha256', $d), $versions));

$h = eZClusterFileHandler::instance();
$h->fileStoreContents($name, $versions[0]);
$logs = getcwd() . '/logs';
mkdir($logs);
$done = "$logs/writers-done";

/** Runs $body in a child process that writes its result to $logs/$label and exits. */
function spawn(string $label, callable $body): int {
    global $logs;
    $pid = pcntl_fork();
    if ($pid === 0) {
        try {
            file_put_contents("$logs/$label", json_encode($body()));
            exit(0);
        } catch (Throwable $e) {
            file_put_contents("$logs/$label", json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]));
            exit(1);
        }
    }
    return $pid;
}

$writers = $readers = [];
for ($w = 0; $w < WRITERS; $w++) {
    $writers[] = spawn("writer-$w", function () use ($h, $name, $versions, $w) {
        $intervals = [];
        for ($i = 0; $i < STORES_PER_WRITER; $i++) {
            $t0 = hrtime(true);
            $h->fileStoreContents($name, $versions[($i + $w) % count($versions)]);
            $intervals[] = [$t0, hrtime(true)];
        }
        return $intervals;
    });
}
for ($r = 0; $r < READERS; $r++) {
    $readers[] = spawn("reader-$r", function () use ($h, $name, $done, $r, $isDb) {
        // Database stores: fetched local copies go to this reader's own directory.
        if ($isDb) {
            mkdir("reader-$r");
            chdir("reader-$r");
        }
        $reads = [];
        for ($i = 0; !file_exists($done) || $i < MIN_READS_PER_READER; $i++) {
            $t0 = hrtime(true);
            if ($i % 2 === 0) {
                $data = $h->fileFetchContents($name);
                $sha = $data === false ? false : hash('sha256', $data);
            } else {
                $path = $h->fileFetch($name);
                $sha = $path === false ? false : hash_file('sha256', $path);
            }
            $reads[] = [$t0, hrtime(true), $sha];
        }
        return $reads;
    });
}
$failed = 0;
foreach ($writers as $pid) {
    pcntl_waitpid($pid, $status);
    $failed += pcntl_wexitstatus($status) !== 0;
}
touch($done);
foreach ($readers as $pid) {
    pcntl_waitpid($pid, $status);
    $failed += pcntl_wexitstatus($status) !== 0;
}

$writes = $reads = [];
foreach (glob("$logs/*-*") as $log) {
    if (str_ends_with($log, 'writers-done')) continue;
    $entries = json_decode(file_get_contents($log), true);
    if (isset($entries['error'])) {
        echo basename($log), ": ", $entries['error'], "\n";
        continue;
    }
    if (str_contains($log, 'writer-')) $writes = array_merge($writes, $entries);
    else $reads = array_merge($reads, $entries);
}
$torn = $missing = $overlapping = 0;
foreach ($reads as [$r0, $r1, $sha]) {
    if ($sha === false) $missing++;
    elseif (!isset($known[$sha])) $torn++;
    foreach ($writes as [$w0, $w1]) {
        if ($w0 < $r1 && $r0 < $w1) {
            $overlapping++;
            break;
        }
    }
}
echo "children failed: $failed\n";
echo "stores: ", count($writes), "\n";
echo "reads: ", count($reads) >= READERS * MIN_READS_PER_READER ? 'enough' : count($reads), "\n";
echo "reads that found no file: $missing\n";
echo "reads that matched no version: $torn\n";
// Not vacuous: reads really ran while stores were in progress.
echo "reads overlapping a store: ", $overlapping > 0 ? 'some' : 'none', "\n";
// The survivor is one whole version.
echo "final version known: ", var_export(isset($known[hash('sha256', $h->fileFetchContents($name))]), true), "\n";
?>
--EXPECT--
children failed: 0
stores: 75
reads: enough
reads that found no file: 0
reads that matched no version: 0
reads overlapping a store: some
final version known: true
