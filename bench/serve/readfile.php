<?php
// The ceiling for PHP-routed serving: the same file from local disk with
// readfile(), through the same nginx and php-fpm, no database.
$path = __DIR__ . '/static' . rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
header('Content-Type: image/png');
header('Content-Length: ' . filesize($path));
header('Last-Modified: ' . gmdate('D, d M Y H:i:s', filemtime($path)) . ' GMT');
readfile($path);
