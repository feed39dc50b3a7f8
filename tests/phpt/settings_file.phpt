--TEST--
ezcluster.settings_file: an eZ INI file's [ClusteringSettings] override php.ini, configure() overrides them; errors name file, setting and line; an edited file is seen from the next request
--FILE--
<?php
require __DIR__ . '/setup.inc';
// Each case runs in a PHP of its own (-n: only the settings given here), with
// the working directory $work, where ezfs stores land.
preg_match('~\S*ezcluster\.so~', file_get_contents('/proc/self/maps'), $so);
$work = getcwd();
mkdir("$work/settings/override", 0777, true);
$ini = "$work/settings/override/file.ini.append.php";

/** The command line of such a PHP, as arguments. */
function php_args(array $ini): array {
    global $so;
    $args = [PHP_BINARY, '-n', '-d', "extension=$so[0]"];
    foreach ($ini as $k => $v) array_push($args, '-d', "$k=$v");
    return $args;
}
function run(array $ini, string $code): string {
    global $work;
    $command = implode(' ', array_map('escapeshellarg', [...php_args($ini), '-r', $code]));
    return shell_exec('cd ' . escapeshellarg($work) . " && $command 2>&1");
}
function first_error(array $ini): string {
    return run($ini, 'try { eZClusterFileHandler::instance()->fileExists("var/x"); echo "no error"; }
                      catch (Throwable $e) { echo get_class($e), ": ", $e->getMessage(); }');
}

file_put_contents($ini, <<<INI
<?php /* #?ini charset="utf-8"?

[DatabaseSettings]
DBName=not-the-cluster-database

[ClusteringSettings]
# eZ's own settings of the group that are not ours are ignored:
NonExistantStaleCacheHandling[]
NonExistantStaleCacheHandling[]=wait
FileHandler=eZFSFileHandler
DBChunkSize=4096 ## bytes per row
DBPassword=file-secret-value
*/ ?>
INI);
$phpIni = ['ezcluster.settings_file' => $ini, 'ezcluster.file_handler' => 'ezdb', 'ezcluster.db_backend' => 'sqlite',
           'ezcluster.db_name' => "$work/from-php-ini.sqlite", 'ezcluster.db_chunk_size' => 5000];

echo "-- precedence\n";
echo run($phpIni, '
    $h = eZClusterFileHandler::instance();
    $h->fileStoreContents("var/a.txt", "A");
    echo "the file beats php.ini: ", file_exists("var/a.txt") ? "ezfs" : "ezdb", "\n";
    eZClusterFileHandler::configure(["FileHandler" => "ezdb"]);
    $h->fileStoreContents("var/b.txt", "B");
    echo "configure() beats the file: ", file_exists("var/b.txt") ? "ezfs" : "ezdb", "\n";
    echo "stored in php.ini\'s database: ", var_export(file_exists("from-php-ini.sqlite") && $h->fileFetchContents("var/b.txt") === "B", true), "\n";
    ob_start(); phpinfo(INFO_MODULES); $info = ob_get_clean();
    foreach (["SettingsFile", "FileHandler", "DBChunkSize", "DBPassword"] as $row) {
        preg_match("/^$row => .*$/m", $info, $m); echo $m[0], "\n";
    }
    echo "password shown: ", var_export(str_contains($info, "file-secret-value"), true), "\n";
');

echo "-- errors\n";
echo first_error(['ezcluster.settings_file' => "$work/settings/missing.ini.append.php"]), "\n";
file_put_contents($ini, "<?php /*\n[ClusteringSettings]\nDBPassword=file-secret-value\nDBChunkSize=lots\n*/ ?>\n");
echo $e = first_error(['ezcluster.settings_file' => $ini]), "\n";
echo "password shown: ", var_export(str_contains($e, 'file-secret-value'), true), "\n";
file_put_contents($ini, "[ClusteringSettings]\nFileHandler=eZDFSFileHandler\n");
echo first_error(['ezcluster.settings_file' => $ini]), "\n";
// System-level: userland cannot point the extension at another file.
echo run(['ezcluster.settings_file' => ''], 'var_dump(ini_set("ezcluster.settings_file", "/tmp/x.ini"));');

echo "-- one php -S process, four requests\n";
$ezfs = "[ClusteringSettings]\nFileHandler=ezfs\n";
$ezdb = "[ClusteringSettings]\nFileHandler=ezdb\n";
file_put_contents($ini, $ezfs);
touch($ini, 1500000000);
file_put_contents("$work/router.php", '<?php
    $name = "var/request-" . $_GET["n"] . ".txt";
    eZClusterFileHandler::instance()->fileStoreContents($name, "x");
    echo file_exists($name) ? "ezfs" : "ezdb";');
$probe = stream_socket_server('tcp://127.0.0.1:0');
$port = (int)substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
fclose($probe);
// Started without a shell, so that terminating it stops the server itself.
$server = proc_open([...php_args(['ezcluster.settings_file' => $ini, 'ezcluster.db_backend' => 'sqlite',
        'ezcluster.db_name' => "$work/server.sqlite"]), '-S', "127.0.0.1:$port", 'router.php'],
    [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$work/server.log", 'a'], 2 => ['file', "$work/server.log", 'a']],
    $pipes, $work);
function request(int $n): string {
    global $port;
    for ($try = 0; $try < 200; $try++) {
        $body = @file_get_contents("http://127.0.0.1:$port/router.php?n=$n");
        if ($body !== false) return $body;
        usleep(50000);
    }
    return 'no answer';
}
echo "1: ", request(1), "\n";
file_put_contents($ini, $ezdb);   // same size: only the mtime tells the change
echo "2, edited: ", request(2), "\n";
file_put_contents($ini, $ezfs);
touch($ini, 1400000000);          // same size, an mtime it had not: read again
echo "3, edited back: ", request(3), "\n";
file_put_contents($ini, $ezdb);
touch($ini, 1400000000);          // same size, the mtime it was read with: not read again
echo "4, edited, same mtime and size: ", request(4), "\n";
proc_terminate($server);
proc_close($server);
echo "server stopped: ", var_export(@file_get_contents("http://127.0.0.1:$port/router.php?n=5") === false, true), "\n";
?>
--EXPECTF--
-- precedence
the file beats php.ini: ezfs
configure() beats the file: ezdb
stored in php.ini's database: true
SettingsFile => ezcluster.settings_file => %s/settings/override/file.ini.append.php
FileHandler => ezcluster.file_handler => ezfs
DBChunkSize => ezcluster.db_chunk_size => 4096
DBPassword => ezcluster.db_password => (set)
password shown: false
-- errors
eZClusterFileHandlerException: setting SettingsFile (ezcluster.settings_file): cannot read the settings file %s/settings/missing.ini.append.php: No such file or directory (os error 2)
eZClusterFileHandlerException: setting DBChunkSize (ezcluster.db_chunk_size): 'lots' is not a whole number between 0 and %d (set in %s/settings/override/file.ini.append.php line 4)
password shown: false
eZClusterFileHandlerException: setting FileHandler (ezcluster.file_handler): 'ezdfsfilehandler' is not a file handler; use ezdb or ezfs (set in %s/settings/override/file.ini.append.php line 2)
bool(false)
-- one php -S process, four requests
1: ezfs
2, edited: ezdb
3, edited back: ezfs
4, edited, same mtime and size: ezfs
server stopped: true
