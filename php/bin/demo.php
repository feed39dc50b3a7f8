<?php
/**
 * The demo `make demo` runs: with the default settings (FileHandler=ezdb,
 * DBBackend=sqlite, so an embedded store at var/ezcluster.sqlite), store a
 * small var/ tree of generated PNG images and binary files, delete the local
 * copies, fetch everything back and compare checksums. Then serve the store
 * over HTTP with PHP's built-in web server running php/index_image.php, fetch
 * the images (and a 304, a range) and compare again; the server is stopped
 * before the demo exits.
 *
 * Usage: php -d extension=ezcluster php/bin/demo.php [WORKDIR]   (default: build/demo)
 */

if (!extension_loaded('ezcluster')) {
    fwrite(STDERR, "the ezcluster extension is not loaded (php -d extension=/path/to/ezcluster.so ...)\n");
    exit(2);
}

$workDir = $argv[1] ?? dirname(__DIR__, 2) . '/build/demo';
if (is_dir($workDir)) {
    exec('rm -rf ' . escapeshellarg($workDir));
}
mkdir($workDir, 0777, true);
chdir($workDir);

/** A real PNG image: a colour gradient, $w x $h, truecolour. */
function png(int $w, int $h, int $hue): string {
    $chunk = fn(string $type, string $data) => pack('N', strlen($data)) . $type . $data . pack('N', crc32($type . $data));
    $raw = '';
    for ($y = 0; $y < $h; $y++) {
        $raw .= "\0"; // filter: none
        for ($x = 0; $x < $w; $x++) {
            $raw .= chr(($x * 255 / max(1, $w - 1) + $hue) % 256) . chr($y * 255 / max(1, $h - 1)) . chr((128 + $hue) % 256);
        }
    }
    return "\x89PNG\r\n\x1a\n"
        . $chunk('IHDR', pack('NNCCCCC', $w, $h, 8, 2, 0, 0, 0))
        . $chunk('IDAT', gzcompress($raw, 9))
        . $chunk('IEND', '');
}

$files = [
    'var/storage/images/media/logo/1-1-eng-GB/logo.png' => [png(64, 64, 0), 'image'],
    'var/storage/images/media/logo/1-1-eng-GB/logo_small.png' => [png(16, 16, 0), 'image'],
    'var/storage/images/products/chair/42-3-eng-GB/chair.png' => [png(320, 240, 90), 'image'],
    'var/storage/images-versioned/57/2-eng-GB/banner.png' => [png(800, 120, 180), 'image'],
    'var/storage/original/application/manual with spaces.pdf' => [random_bytes(150000), 'binaryfile'],
    'var/storage/original/application/empty.bin' => ['', 'binaryfile'],
];

$h = eZClusterFileHandler::instance();
printf("ezcluster demo in %s (store: %s)\n\n", getcwd(), ini_get('ezcluster.db_backend') . ' ' . (ini_get('ezcluster.db_name') ?: 'var/ezcluster.sqlite'));

$expected = [];
foreach ($files as $path => [$bytes, $scope]) {
    @mkdir(dirname($path), 0777, true);
    file_put_contents($path, $bytes);
    $expected[$path] = hash('sha256', $bytes);
    $h->fileStore($path, $scope, true); // true: delete the local copy once stored
}
printf("stored %d files; local copies removed: %s\n\n", count($files),
    array_filter(array_keys($files), 'file_exists') ? 'no' : 'yes');

printf("%-58s %8s  %-24s %s\n", 'name', 'bytes', 'type', 'sha256 after round trip');
$failures = 0;
foreach ($h->getFileList() as $path) {
    $file = eZClusterFileHandler::instance($path);
    $stat = $file->stat();
    $local = $file->fetch();
    $same = $local !== false && hash_file('sha256', $local) === ($expected[$path] ?? null);
    $failures += $same ? 0 : 1;
    printf("%-58s %8d  %-24s %s %s\n", $path, $stat['size'], $stat['datatype'], substr(hash_file('sha256', $local), 0, 16), $same ? 'ok' : 'MISMATCH');
}
$missing = array_diff(array_keys($expected), $h->getFileList());
$failures += count($missing);
foreach ($missing as $path) {
    echo "missing from the store: $path\n";
}

echo "\n", $failures === 0
    ? "round trip verified: " . count($expected) . " files, every checksum matches\n"
    : "round trip FAILED for $failures files\n";

// Over HTTP: PHP's built-in web server runs php/index_image.php, which calls
// ezcluster_serve(), on the same store; stopped before the demo ends.
$extension = getenv('EZCLUSTER_EXTENSION') ?: dirname(__DIR__, 2) . '/build/ezcluster.so';
$router = dirname(__DIR__) . '/index_image.php';
[$server, $base] = start_server($extension, $router);
$command = sprintf('%s -d extension=%s -S %s %s', PHP_BINARY, $extension, substr($base, 7), $router);
printf("\nserving the store over HTTP at %s (%s, in %s)\n\n", $base, basename($router), getcwd());
try {
    foreach ($files as $path => [$bytes]) {
        $public = str_contains($path, '/storage/images');
        [$status, $headers, $body] = http_get("$base/" . str_replace(' ', '%20', $path));
        $ok = $public ? $status === 200 && hash('sha256', $body) === $expected[$path] : $status === 404;
        $failures += $ok ? 0 : 1;
        printf("GET %-64s %d %s\n", "/$path", $status, $ok ? ($public ? 'ok, checksum matches' : 'ok, not public') : 'WRONG');
        if ($public && $status === 200 && isset($headers['etag'])) {
            [$again] = http_get("$base/$path", ["If-None-Match: {$headers['etag']}"]);
            [$part, , $range] = http_get("$base/$path", ['Range: bytes=0-7']);
            $ok = $again === 304 && $part === 206 && $range === substr($bytes, 0, 8);
            $failures += $ok ? 0 : 1;
            printf("    If-None-Match: %d, Range: bytes=0-7: %d %s\n", $again, $part, $ok ? 'ok' : 'WRONG');
        }
    }
} finally {
    proc_terminate($server);
    proc_close($server);
}
echo "\n", $failures === 0 ? "HTTP verified\n" : "FAILED: $failures checks\n";
echo "to serve the demo store again: cd $workDir && $command\n";
exit($failures === 0 ? 0 : 1);

/** Starts `php -S` with the extension on a free loopback port; returns the process and its URL. */
function start_server(string $extension, string $router): array {
    for ($attempt = 0; $attempt < 5; $attempt++) {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($probe, false);
        fclose($probe);
        $log = getcwd() . '/php-server.log';
        $server = proc_open(
            [PHP_BINARY, '-d', "extension=$extension", '-S', $address, $router],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
            $pipes
        );
        for ($i = 0; $i < 50 && proc_get_status($server)['running']; $i++) {
            if ($socket = @fsockopen('127.0.0.1', (int)substr(strrchr($address, ':'), 1))) {
                fclose($socket);
                return [$server, "http://$address"];
            }
            usleep(100_000);
        }
        proc_terminate($server);
        proc_close($server);
    }
    fwrite(STDERR, "the PHP built-in web server did not start; see " . getcwd() . "/php-server.log\n");
    exit(1);
}

/** [status, lower-cased headers, body] of a GET. */
function http_get(string $url, array $headers = []): array {
    $context = stream_context_create(['http' => ['header' => $headers, 'ignore_errors' => true]]);
    $body = file_get_contents($url, false, $context);
    $status = (int)explode(' ', $http_response_header[0] ?? 'HTTP/1.1 0')[1];
    $fields = [];
    foreach (array_slice($http_response_header ?? [], 1) as $line) {
        [$name, $value] = array_map('trim', explode(':', $line, 2)) + [1 => ''];
        $fields[strtolower($name)] = $value;
    }
    return [$status, $fields, $body];
}
