<?php
/**
 * The baseline of bench/clusterize: what a PHP-userland cluster handler
 * (eZ Publish's own ezdb/mysqli backend) does to clusterize a var/ tree:
 * walk it and, per file, one transaction that upserts the ezdbfile row,
 * drops old chunks and inserts 65535-byte chunks with prepared statements.
 *
 * php userland.php VAR_DIR   (connection from EZCLUSTER_TEST_MYSQL_* variables; run from the site root)
 */

require __DIR__ . '/../../php/bin/lib/cli.php';

$varDir = $argv[1] ?? exit("usage: php userland.php VAR_DIR\n");
$env = fn(string $k) => getenv("EZCLUSTER_TEST_MYSQL_$k");
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = new mysqli($env('HOST'), $env('USER'), $env('PASSWORD'), $env('NAME'), (int)$env('PORT'));
$db->set_charset('utf8mb4');
$upsert = $db->prepare('INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
    VALUES (?, ?, ?, ?, ?, ?, ?, 0)
    ON DUPLICATE KEY UPDATE datatype = VALUES(datatype), scope = VALUES(scope), size = VALUES(size), mtime = VALUES(mtime), expired = 0');
$dropChunks = $db->prepare('DELETE FROM ezdbfile_data WHERE name_hash = ?');
$insertChunk = $db->prepare('INSERT INTO ezdbfile_data (name_hash, `offset`, filedata) VALUES (?, ?, ?)');
$datatype = 'application/octet-stream';

$files = $bytes = 0;
$walk = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($varDir, FilesystemIterator::SKIP_DOTS));
foreach ($walk as $name => $info) {
    $scope = EzCluster\Tools\scope_of($name, $varDir);
    if (!$info->isFile() || $scope === null) {
        continue;
    }
    $hash = md5($name);
    $size = $info->getSize();
    $mtime = $info->getMTime();
    $db->begin_transaction();
    $upsert->bind_param('sssssii', $datatype, $name, $name, $hash, $scope, $size, $mtime);
    $upsert->execute();
    $dropChunks->bind_param('s', $hash);
    $dropChunks->execute();
    $f = fopen($name, 'rb');
    for ($offset = 0; ($data = fread($f, 65535)) !== '' && $data !== false; $offset += strlen($data)) {
        $insertChunk->bind_param('sis', $hash, $offset, $data);
        $insertChunk->execute();
    }
    fclose($f);
    $db->commit();
    $files++;
    $bytes += $size;
}
echo "userland: $files files, $bytes bytes\n";
