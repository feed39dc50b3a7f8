--TEST--
Bad settings name the setting; an unreachable database names host and port, never the password; phpinfo() hides it
--FILE--
<?php
require __DIR__ . '/setup.inc';
function attempt(callable $f) {
    try { $f(); echo "no exception\n"; }
    catch (Throwable $e) { echo get_class($e), ": ", $e->getMessage(), "\n"; }
}
attempt(fn() => eZClusterFileHandler::configure(['DBChunkSize' => 'lots']));
attempt(fn() => eZClusterFileHandler::configure(['DBBackend' => 'oracle']));
attempt(fn() => eZClusterFileHandler::configure(['FileHandler' => 'ezdb', 'DBBackend' => 'mysql', 'DBName' => 'x', 'DBChunkSize' => 70000]));
attempt(fn() => eZClusterFileHandler::configure(['DBPassword' => 'x', 'NoSuchSetting' => 1]));
attempt(fn() => eZClusterFileHandler::configure(['FileHandler' => 'ezdb', 'DBBackend' => 'pgsql', 'DBName' => '']));
// A rejected configure() changes nothing.
var_dump(eZClusterFileHandler::instance()->fileExists("$prefix/nothing"));

// Credentials are php.ini-only: ini_set() cannot change them.
var_dump(ini_set('ezcluster.db_password', 'other'), ini_set('ezcluster.db_host', 'evil.example'));

foreach (['mysql' => 1, 'pgsql' => 1] as $backend => $port) {
    eZClusterFileHandler::configure(['FileHandler' => 'ezdb', 'DBBackend' => $backend, 'DBHost' => '127.0.0.1',
        'DBPort' => $port, 'DBName' => 'cluster', 'DBUser' => 'fred', 'DBPassword' => 'hunter2-secret', 'DBConnectRetries' => 0]);
    try {
        eZClusterFileHandler::instance()->fileExists('var/x');
        echo "no exception\n";
    } catch (eZClusterFileHandlerException $e) {
        $m = $e->getMessage();
        var_dump(str_contains($m, "127.0.0.1:$port"), str_contains($m, $backend), str_contains($m, 'hunter2'), str_contains($e->getTraceAsString(), 'hunter2'));
    }
}

// phpinfo() of a PHP whose php.ini holds a password: the rows are there, the password is not.
preg_match('~\S*ezcluster\.so~', file_get_contents('/proc/self/maps'), $so);
$info = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg($so[0])
    . ' -d ezcluster.db_password=s3cret-never-shown -r "phpinfo(INFO_MODULES);" 2>&1');
var_dump(str_contains($info, 'ezcluster support'), str_contains($info, 'DBChunkSize'), str_contains($info, 'DBPassword'), str_contains($info, 's3cret'));
?>
--EXPECTF--
eZClusterFileHandlerException: setting DBChunkSize (ezcluster.db_chunk_size): 'lots' is not a whole number between 0 and %d
eZClusterFileHandlerException: setting DBBackend (ezcluster.db_backend): 'oracle' is not a database backend; use mysql, pgsql or sqlite
eZClusterFileHandlerException: setting DBChunkSize (ezcluster.db_chunk_size): 70000 is out of range: it must be between 1 and 65535 for mysql
ValueError: unknown cluster setting 'NoSuchSetting'; known settings: %s
eZClusterFileHandlerException: setting DBName (ezcluster.db_name): is required for the pgsql backend
bool(false)
bool(false)
bool(false)
bool(true)
bool(true)
bool(false)
bool(false)
bool(true)
bool(true)
bool(false)
bool(false)
bool(true)
bool(true)
bool(true)
bool(false)
