--TEST--
Drop-in rows: what the extension writes is eZ's layout (md5 name_hash, chunk offsets, expired flag, negative mtime), and rows written the way eZ's PHP code writes them are read back
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$name = "$prefix/storage/original/application/report.pdf";
$data = random_bytes(150000);
$h->fileStoreContents($name, $data, 'binaryfile', 'application/pdf');

if (!$isDb) {
    // ezfs keeps plain files: the "row" is the local file itself.
    check(file_get_contents($name) === $data, true);
    echo str_repeat("ok\n", 5); // the five row checks below have no ezfs counterpart
    exit;
}

$backend = ini_get('ezcluster.db_backend');
$env = fn($k) => getenv('EZCLUSTER_TEST_' . strtoupper($backend) . "_$k");
$db = match ($backend) {
    'sqlite' => new PDO('sqlite:' . ini_get('ezcluster.db_name')),
    'mysql' => new PDO("mysql:host={$env('HOST')};port={$env('PORT')};dbname={$env('NAME')};charset=utf8mb4", $env('USER'), $env('PASSWORD')),
    'pgsql' => new PDO("pgsql:host={$env('HOST')};port={$env('PORT')};dbname={$env('NAME')}", $env('USER'), $env('PASSWORD')),
};
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$offset = $backend === 'mysql' ? '`offset`' : '"offset"';
$blob = fn($v) => is_resource($v) ? stream_get_contents($v) : $v;
$row = function (string $name) use ($db) {
    $q = $db->prepare('SELECT * FROM ezdbfile WHERE name_hash = ?');
    $q->execute([md5($name)]);
    return $q->fetch(PDO::FETCH_ASSOC);
};
$chunks = function (string $name) use ($db, $offset, $blob) {
    $q = $db->prepare("SELECT $offset AS o, filedata FROM ezdbfile_data WHERE name_hash = ? ORDER BY $offset");
    $q->execute([md5($name)]);
    return array_map(fn($r) => [(int)$r['o'], $blob($r['filedata'])], $q->fetchAll(PDO::FETCH_ASSOC));
};

// 1. The extension's rows, as eZ's PHP code reads them.
$r = $row($name);
$stored = $h->fileExists($name) ? eZClusterFileHandler::instance($name)->mtime() : null;
check([$r['name'], $r['name_trunk'], $r['scope'], $r['datatype'], (int)$r['size'], (int)$r['mtime'], (int)$r['expired']],
      [$name, $name, 'binaryfile', 'application/pdf', 150000, $stored, 0]);
$c = $chunks($name);
check([array_column($c, 0), implode('', array_column($c, 1)) === $data], [[0, 65535, 131070], true]);

// 2. The extension's delete: negative mtime, expired = 1, chunks kept until purge.
$h->fileDelete($name);
$r = $row($name);
check([(int)$r['mtime'], (int)$r['expired'], count($chunks($name))], [-$stored, 1, 3]);

// 3. Rows written as eZ's PHP backend writes them are read by the extension.
$ezName = "$prefix/storage/images/written-by-ez.png";
$ezData = random_bytes(70000);
$db->beginTransaction();
$db->prepare('INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired) VALUES (?, ?, ?, ?, ?, ?, ?, 0)')
   ->execute(['image/png', $ezName, $ezName, md5($ezName), 'image', strlen($ezData), 1234567890]);
$insert = $db->prepare("INSERT INTO ezdbfile_data (name_hash, $offset, filedata) VALUES (?, ?, ?)");
for ($o = 0; $o < strlen($ezData); $o += 65535) {
    $insert->bindValue(1, md5($ezName));
    $insert->bindValue(2, $o, PDO::PARAM_INT);
    $insert->bindValue(3, substr($ezData, $o, 65535), PDO::PARAM_LOB);
    $insert->execute();
}
$db->commit();
$f = eZClusterFileHandler::instance($ezName);
check([$f->fetchContents() === $ezData, $f->size(), $f->mtime(), $f->stat()['datatype']], [true, 70000, 1234567890, 'image/png']);

// 4. eZ's soft delete hides the file from the extension.
$db->prepare('UPDATE ezdbfile SET mtime = -ABS(mtime), expired = 1 WHERE name_hash = ?')->execute([md5($ezName)]);
check([$h->fileExists($ezName), $h->fileFetchContents($ezName)], [false, false]);

// 5. Purge removes the rows and the chunks.
$h->fileDelete($ezName);
eZClusterFileHandler::instance($name)->purge();
eZClusterFileHandler::instance($ezName)->purge();
check([$row($name), $chunks($name), $row($ezName), $chunks($ezName)], [false, [], false, []]);
?>
--EXPECT--
ok
ok
ok
ok
ok
ok
