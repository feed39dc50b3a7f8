--TEST--
Atomic replace: a store killed with SIGKILL midway (provably: chunks already written) leaves the previous version whole
--EXTENSIONS--
pcntl
posix
--FILE--
<?php
require __DIR__ . '/setup.inc';
const CHUNK = 1000;
const NEW_SIZE = 16 << 20;
eZClusterFileHandler::configure(['DBChunkSize' => CHUNK]);
$h = eZClusterFileHandler::instance();
$name = "$prefix/killed.bin";

// The previous version: many chunk rows, an mtime of its own.
$oldSha = write_pattern($name, 300001, 1);
touch($name, 1500000000);
var_dump($h->fileStore($name));
$before = eZClusterFileHandler::instance($name)->stat();

// The child stores the new version. Its progress is measured outside it:
// - database stores read the local file chunk by chunk, inserting each chunk
//   as it is read: the read offset of the child's open file (from
//   /proc/PID/fdinfo) says how many chunks it has read;
// - ezfs writes the new version into a temp file beside the old one, renamed
//   into place at the end: that file's size says how far it got.
if ($isDb) {
    unlink($name);
    write_pattern($name, NEW_SIZE, 2);
    touch($name, 1600000000);
    $source = realpath($name);
    $progress = function (int $pid) use ($source): int {
        foreach (glob("/proc/$pid/fd/*") as $fd) {
            if (@readlink($fd) === $source) {
                preg_match('/^pos:\s+(\d+)/m', (string)@file_get_contents("/proc/$pid/fdinfo/" . basename($fd)), $m);
                return (int)($m[1] ?? 0);
            }
        }
        return 0;
    };
    $store = fn() => $h->fileStore($name);
} else {
    $new = str_repeat(hash('sha256', 'new version', true), NEW_SIZE / 32);
    $progress = function (int $pid) use ($name): int {
        $temps = glob(dirname($name) . '/.' . basename($name) . '.ezcluster-tmp-*');
        clearstatcache();
        return $temps ? (int)@filesize($temps[0]) : 0;
    };
    $store = fn() => $h->fileStoreContents($name, $new);
}

$pid = pcntl_fork();
if ($pid === 0) {
    $store();
    exit(0);
}
// Let the child run in small steps, stopped in between. While it is stopped
// with a quarter to all but the last chunk done, it has written thousands of
// chunks and not yet reached its commit (or rename): kill it there.
posix_kill($pid, SIGSTOP);
$killedAt = null;
for ($step = 0; $step < 100000 && $killedAt === null; $step++) {
    pcntl_waitpid($pid, $status, WUNTRACED);
    if (!pcntl_wifstopped($status)) {
        echo "the child ended before it was caught midway\n";
        break;
    }
    $done = $progress($pid);
    if ($done >= NEW_SIZE / 4 && $done <= NEW_SIZE - CHUNK) {
        posix_kill($pid, SIGKILL);
        $killedAt = $done;
    } elseif ($done > NEW_SIZE - CHUNK) {
        echo "the child got past its last chunk before it was caught\n";
        posix_kill($pid, SIGKILL);
        break;
    } else {
        posix_kill($pid, SIGCONT);
        usleep(200);
        posix_kill($pid, SIGSTOP);
    }
}
pcntl_waitpid($pid, $status);
var_dump(pcntl_wifsignaled($status) && pcntl_wtermsig($status) === SIGKILL);
echo "chunks written before the kill: ", $killedAt !== null && intdiv($killedAt, CHUNK) >= 4000 ? 'thousands' : var_export($killedAt, true), "\n";

// The previous version, whole, with its metadata.
var_dump(hash('sha256', $h->fileFetchContents($name)) === $oldSha);
var_dump(eZClusterFileHandler::instance($name)->stat() === $before);
var_dump($before['size'], $before['mtime']);
// Nothing of the killed store is left holding a lock: the next store goes through.
$h->fileStoreContents($name, 'after the kill');
var_dump($h->fileFetchContents($name));
?>
--EXPECTF--
bool(true)
bool(true)
chunks written before the kill: thousands
bool(true)
bool(true)
int(300001)
int(1500000000)
string(14) "after the kill"
