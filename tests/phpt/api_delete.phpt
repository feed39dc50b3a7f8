--TEST--
fileDelete with and without $fnamePart, fileDeleteByWildcard, fileDeleteByDirList: exact matching, % _ \ are data
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$names = ['dir/a.txt', 'dir/sub/b.txt', 'dir/sub/c.jpg', 'dirx/d.txt', 'file', 'w/a%b.txt', 'w/axb.txt', 'w/a_b.txt',
          'w/a\\b.txt', 'w/A.TXT', 'w/1.jpg', 'w/2.png', 'w/deep/3.jpg'];
$store = function () use ($h, $prefix, $names) {
    foreach ($names as $n) {
        $h->fileStoreContents("$prefix/$n", "content of $n");
    }
};
$live = function () use ($h, $prefix, $names) {
    return implode(' ', array_values(array_filter($names, fn($n) => $h->fileExists("$prefix/$n"))));
};
$store();

// A directory path deletes everything under "path/", never "pathx"; a file
// path deletes the file.
var_dump($h->fileDelete("$prefix/dir"));
echo $live(), "\n";
var_dump($h->fileDelete("$prefix/file"));
echo $live(), "\n";
$store();
// true: only what is under the directory.
var_dump($h->fileDelete("$prefix/dir", true));
echo $live(), "\n";
$store();
// A name part: names under the directory starting with it; a trailing slash is cleaned.
var_dump($h->fileDelete("$prefix/dir/", 'sub/c'));
echo $live(), "\n";
var_dump($h->fileDelete("$prefix/nothing/here"));

// Wildcards: % _ \ are data, * crosses directories, [..] and {..} work.
$store();
var_dump($h->fileDeleteByWildcard("$prefix/w/a%b.txt"));
echo $live(), "\n";
var_dump($h->fileDeleteByWildcard("$prefix/w/a_b.*"));
echo $live(), "\n";
var_dump($h->fileDeleteByWildcard("$prefix/w/*.jpg"));
echo $live(), "\n";
var_dump($h->fileDeleteByWildcard("$prefix/w/{[0-9].png,a[x]b.txt}"));
echo $live(), "\n";
var_dump($h->fileDeleteByWildcard("$prefix/w/a\\b.txt"));
echo $live(), "\n";
try {
    $h->fileDeleteByWildcard("$prefix/w/[unclosed");
} catch (ValueError $e) {
    echo get_class($e), ': ', str_replace($prefix, 'P', $e->getMessage()), "\n";
}

// fileDeleteByDirList: "$commonPath/$dir/$commonSuffix" as a prefix...
$store();
var_dump($h->fileDeleteByDirList(['dir', 'w'], $prefix, 'a'));
echo $live(), "\n";
// ...and for view caches the group sharing a name_trunk.
$vc = "$prefix/cache/content/site/full/1/2";
foreach (['12-en-a.cache', '12-fr-b.cache', '123-en.cache', '12.cache'] as $n) {
    $h->fileStoreContents("$vc/$n", 'view', 'viewcache');
}
$stat = eZClusterFileHandler::instance("$vc/12-en-a.cache")->stat();
var_dump($isDb ? $stat['name_trunk'] === "$vc/12-" : true);
var_dump($h->fileDeleteByDirList(['1/2', '9/9'], "$prefix/cache/content/site/full", '12-'));
foreach (['12-en-a.cache', '12-fr-b.cache', '123-en.cache', '12.cache'] as $n) {
    echo $n, ' ', $h->fileExists("$vc/$n") ? 'kept' : 'deleted', "\n";
}
?>
--EXPECT--
bool(true)
dirx/d.txt file w/a%b.txt w/axb.txt w/a_b.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
bool(true)
dirx/d.txt w/a%b.txt w/axb.txt w/a_b.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
bool(true)
dirx/d.txt file w/a%b.txt w/axb.txt w/a_b.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
bool(true)
dir/a.txt dir/sub/b.txt dirx/d.txt file w/a%b.txt w/axb.txt w/a_b.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
bool(false)
int(1)
dir/a.txt dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/axb.txt w/a_b.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
int(1)
dir/a.txt dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/axb.txt w/a\b.txt w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
int(2)
dir/a.txt dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/axb.txt w/a\b.txt w/A.TXT w/2.png
int(2)
dir/a.txt dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/a\b.txt w/A.TXT
int(1)
dir/a.txt dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/A.TXT
ValueError: invalid wildcard 'P/w/[unclosed': '[' without ']'
int(5)
dir/sub/b.txt dir/sub/c.jpg dirx/d.txt file w/A.TXT w/1.jpg w/2.png w/deep/3.jpg
bool(true)
int(2)
12-en-a.cache deleted
12-fr-b.cache deleted
123-en.cache kept
12.cache kept