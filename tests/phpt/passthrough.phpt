--TEST--
passthrough(): the whole file or a byte range, through output buffering, streamed across chunks
--INI--
ezcluster.db_chunk_size=1000
--FILE--
<?php
require __DIR__ . '/setup.inc';
$data = '';
for ($i = 0; strlen($data) < 3500; $i++) {
    $data .= sprintf("%05d|", $i);
}
$f = eZClusterFileHandler::instance("$prefix/stream.txt");
$f->storeContents($data);
$cases = [[0, false], [0, 1], [995, 10], [3000, false], [3499, 100], [3500, 5], [10, 0]];
foreach ($cases as [$offset, $length]) {
    ob_start();
    $found = $f->passthrough($offset, $length);
    $out = ob_get_clean();
    $want = $length === false ? substr($data, $offset) : substr($data, $offset, $length);
    echo "$offset+", var_export($length, true), ': ', $found && $out === $want ? 'ok' : 'WRONG ' . strlen($out), "\n";
}
ob_start();
var_dump(eZClusterFileHandler::instance("$prefix/missing")->passthrough());
echo ob_get_clean() === "bool(false)\n" ? "missing: false, no output\n" : "WRONG\n";
?>
--EXPECT--
0+false: ok
0+1: ok
995+10: ok
3000+false: ok
3499+100: ok
3500+5: ok
10+0: ok
missing: false, no output
