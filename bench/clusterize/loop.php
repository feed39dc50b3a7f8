<?php
/**
 * The store loops bench/clusterize compares clusterize.php with: walk a var/
 * tree and store every clustered file, nothing else (no comparison with the
 * store, no verification).
 *
 * - `mysqli`: the baseline, what a PHP-userland cluster handler (eZ
 *   Publish's own ezdb/mysqli backend) does: per file one transaction that
 *   upserts the ezdbfile row, drops old chunks and inserts 65535-byte chunks
 *   with prepared statements (connection from EZCLUSTER_TEST_MYSQL_*).
 * - `extension`: the same walk storing through eZClusterFileHandler::fileStore.
 *
 * php loop.php mysqli|extension VAR_DIR   (run from the site root)
 */

require __DIR__ . '/../../php/bin/lib/cli.php';

[, $mode, $varDir] = $argv + [null, null, null];
if (!in_array($mode, ['mysqli', 'extension'], true) || $varDir === null) {
    exit("usage: php loop.php mysqli|extension VAR_DIR\n");
}

if ($mode === 'mysqli') {
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
    $store = function (string $name, string $scope, SplFileInfo $info) use ($db, $upsert, $dropChunks, $insertChunk, $datatype) {
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
    };
} else {
    $handler = eZClusterFileHandler::instance();
    $store = fn(string $name, string $scope) => $handler->fileStore($name, $scope);
}

$files = 0;
$walk = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($varDir, FilesystemIterator::SKIP_DOTS));
foreach ($walk as $name => $info) {
    $scope = EzCluster\Tools\scope_of($name, $varDir);
    if ($info->isFile() && $scope !== null) {
        $store($name, $scope, $info);
        $files++;
    }
}
echo "$mode loop: $files files\n";
