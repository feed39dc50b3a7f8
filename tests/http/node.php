<?php
// A cluster node's own work, run by php-fpm for the two-node test: store a
// file from the node's local var/ dir (EZCLUSTER_WORKDIR), delete it, or say
// whether the node has a local copy.
chdir(getenv('EZCLUSTER_WORKDIR'));
$name = $_GET['name'] ?? '';
if (!preg_match('#^var/storage/images/[A-Za-z0-9/._-]+$#', $name) || str_contains($name, '..')) {
    http_response_code(400);
    exit("bad name\n");
}
$h = eZClusterFileHandler::instance();
switch ($_GET['op'] ?? '') {
    case 'store':
        @mkdir(dirname($name), 0777, true);
        file_put_contents($name, $_GET['content'] ?? '');
        echo $h->fileStore($name, 'image', false, 'image/png') ? "stored\n" : "not stored\n";
        break;
    case 'delete':
        echo $h->fileDelete($name) ? "deleted\n" : "not deleted\n";
        break;
    case 'local':
        echo file_exists($name) ? "local copy\n" : "no local copy\n";
        break;
    default:
        http_response_code(400);
        echo "bad op\n";
}
