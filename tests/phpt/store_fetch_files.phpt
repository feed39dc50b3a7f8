--TEST--
fileStore / fileFetch between local files and the store, with odd names and chunk boundaries
--INI--
ezcluster.db_chunk_size=1000
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$names = ['with space.txt', "quote'single.txt", 'quote"double.txt', 'ünïcødé-日本語.txt', 'percent%sign.txt', 'under_score.txt'];
$sizes = [0, 1, 999, 1000, 1001, 5017];
$ok = true;
foreach ($names as $i => $n) {
    foreach ($sizes as $size) {
        $path = "$prefix/storage/original/$size-$n";
        $sum = write_pattern($path, $size, $i);
        $ok = $ok && $h->fileStore($path, 'binaryfile', false, 'application/octet-stream') === true;
        unlink($path);
        if ($isDb) {
            // Gone locally, still in the store; fileFetch brings it back.
            $ok = $ok && $h->fileFetch($path) === $path && hash_file('sha256', $path) === $sum;
        } else {
            $ok = $ok && $h->fileFetch($path) === false; // ezfs: the local file was the stored file
        }
        if (!$ok) { echo "failed at $path\n"; break 2; }
    }
}
var_dump($ok);

// `_` is data, not a wildcard: the neighbour stays.
if ($isDb) {
    $h->fileStoreContents("$prefix/underXscore.txt", 'x');
    var_dump($h->fileDelete("$prefix/under_score.txt") === false, $h->fileExists("$prefix/underXscore.txt"));
} else {
    echo "bool(true)\nbool(true)\n";
}

// fileStore of a missing local file is false and stores nothing.
var_dump($h->fileStore("$prefix/not-there.txt"), $h->fileExists("$prefix/not-there.txt"));

// $delete = true removes the local file after storing it (ezdb).
$path = "$prefix/storage/original/delete-me.bin";
write_pattern($path, 2500, 7);
var_dump($h->fileStore($path, false, true));
var_dump(file_exists($path) === !$isDb, $h->fileExists($path));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(false)
bool(false)
bool(true)
bool(true)
bool(true)
