<?php
// Stores and deletes files for the HTTP tests, with whatever ezcluster.*
// settings the command line gives (the same store the web servers use).
//   php fixture.php store NAME FILE DATATYPE MTIME   stores FILE as NAME (mtime as given)
//   php fixture.php delete NAME
[, $op, $name] = $argv + [null, null, null];
$h = eZClusterFileHandler::instance();
switch ($op) {
    case 'store':
        [, , , $file, $datatype, $mtime] = $argv;
        // fileStore() takes a local file of the same name: make one in a
        // scratch directory, with the wanted mtime.
        $scratch = sys_get_temp_dir() . '/ezcluster-fixture-' . getmypid();
        @mkdir(dirname("$scratch/$name"), 0777, true);
        chdir($scratch);
        copy($file, $name);
        touch($name, (int)$mtime);
        $ok = $h->fileStore($name, 'image', true, $datatype);
        exec('rm -rf ' . escapeshellarg($scratch));
        exit($ok ? 0 : 1);
    case 'delete':
        exit($h->fileDelete($name) ? 0 : 1);
}
fwrite(STDERR, "usage: fixture.php store NAME FILE DATATYPE MTIME | delete NAME\n");
exit(2);
