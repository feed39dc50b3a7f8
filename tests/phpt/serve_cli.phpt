--TEST--
ezcluster_serve() from the CLI: body of public files only, settings per call, status returned
--INI--
log_errors=1
error_log=
display_errors=0
--FILE--
<?php
require __DIR__ . '/setup.inc';
$h = eZClusterFileHandler::instance();
$data = random_bytes(150000); // several chunks at the default chunk size
$h->fileStoreContents("$prefix/storage/images/a.png", $data, 'image', 'image/png');
$h->fileStoreContents("$prefix/cache/secret.cache", 'SECRET', 'viewcache');
$h->fileStoreContents("$prefix/storage/original/doc.pdf", 'PDF', 'binaryfile', 'application/pdf');

// The default prefixes (var/storage/images*, var/*/storage/images*).
ob_start();
$status = ezcluster_serve("/$prefix/storage/images/a.png?x=1");
var_dump($status, ob_get_clean() === $data);
ob_start();
var_dump(ezcluster_serve("/$prefix/storage/original/doc.pdf"));
var_dump(ezcluster_serve("/$prefix/cache/secret.cache"));
var_dump(ezcluster_serve("/$prefix/storage/images/../../cache/secret.cache"));
var_dump(ezcluster_serve("/$prefix/storage/images/%2e%2e/%2e%2e/cache/secret.cache"));
var_dump(ezcluster_serve("/$prefix/storage/images/missing.png"));
var_dump(str_contains($out = ob_get_clean(), 'SECRET'), substr_count($out, "404 Not Found\n"));

// Settings for one call: another public tree.
$original = ['ServePublicPrefixes' => 'var/*/storage/original'];
ob_start();
var_dump(ezcluster_serve("/$prefix/storage/original/doc.pdf", $original));
var_dump(ezcluster_serve("/$prefix/storage/images/a.png", $original));
echo ob_get_clean();

// A setting that is wrong is the server's problem: 500, nothing shown.
ob_start();
$status = ezcluster_serve("/$prefix/storage/images/a.png", ['DBChunkSize' => 'many']);
var_dump($status, ob_get_clean());
try {
    ezcluster_serve("/$prefix/storage/images/a.png", ['DBChunkSize' => [1]]);
} catch (TypeError $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
$h->fileDelete("$prefix/storage/images/a.png");
ob_start();
var_dump(ezcluster_serve("/$prefix/storage/images/a.png"));
echo ob_get_clean();
?>
--EXPECTF--
int(200)
bool(true)
bool(false)
int(5)
PDFint(200)
404 Not Found
int(404)
%Aezcluster_serve(): 500 for /var/test-%d/storage/images/a.png: setting DBChunkSize (ezcluster.db_chunk_size): 'many' is not a whole number between 0 and 16777216
int(500)
string(26) "500 Internal Server Error
"
TypeError: setting DBChunkSize must be a string, integer or bool
404 Not Found
int(404)
