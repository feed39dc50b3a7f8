<?php
/**
 * What the tools in php/bin share: option parsing, settings loading, where
 * eZ Publish keeps which files (and with which scope), progress output and
 * the stored side of a verification.
 */

namespace EzCluster\Tools;

use eZClusterFileHandler;

/** Exit codes of every tool. */
const EXIT_OK = 0;
const EXIT_FAILURES = 1;
const EXIT_USAGE = 2;

/** Stops the tool with a message on stderr. */
function fail(string $message, int $code = EXIT_USAGE): never
{
    fwrite(STDERR, basename($_SERVER['SCRIPT_NAME'] ?? 'tool') . ": $message\n");
    exit($code);
}

/**
 * Parses `--name`, `--name=value`, `--name value` and single-letter flags
 * against $spec (name => [false for a flag or the value's placeholder, help]);
 * `--help` prints $usage with the option list. Returns name => value (true
 * for flags).
 */
function parse_options(array $argv, array $spec, string $usage): array
{
    $spec += [
        'settings' => ['FILE', 'an eZ INI file (settings/override/file.ini.append.php) whose [ClusteringSettings] replace the php.ini ezcluster.* entries'],
        'help' => [false, 'this help'],
    ];
    $options = [];
    $args = array_slice($argv, 1);
    while ($args) {
        $arg = array_shift($args);
        if (!preg_match('/^(--([a-z][a-z-]*)|-([a-z]))(=(.*))?$/s', $arg, $m)) {
            fail("unexpected argument '$arg' (see --help)");
        }
        $name = $m[2] !== '' ? $m[2] : $m[3];
        if (!isset($spec[$name])) {
            fail("unknown option '$m[1]' (see --help)");
        }
        [$takesValue] = $spec[$name];
        if ($takesValue) {
            $value = isset($m[4]) && $m[4] !== '' ? $m[5] : array_shift($args);
            if ($value === null || $value === '') {
                fail("option --$name needs a value (--$name=VALUE)");
            }
            $options[$name] = $value;
        } elseif (isset($m[4]) && $m[4] !== '') {
            fail("option $m[1] takes no value");
        } else {
            $options[$name] = true;
        }
    }
    if (isset($options['help'])) {
        echo $usage, "\n\nOptions:\n";
        foreach ($spec as $name => [$placeholder, $help]) {
            $flag = (strlen($name) === 1 ? "-$name" : "--$name") . ($placeholder ? "=$placeholder" : '');
            printf("  %-26s %s\n", $flag, $help);
        }
        exit(EXIT_OK);
    }
    return $options;
}

/** A non-negative integer option, or $default when absent. */
function int_option(array $options, string $name, int $default): int
{
    if (!isset($options[$name])) {
        return $default;
    }
    if (!preg_match('/^\d+$/', $options[$name])) {
        fail("--$name must be a whole number, got '{$options[$name]}'");
    }
    return (int)$options[$name];
}

/** A non-negative number option (fractions allowed), or $default when absent. */
function float_option(array $options, string $name, float $default): float
{
    if (!isset($options[$name])) {
        return $default;
    }
    if (!is_numeric($options[$name]) || $options[$name] < 0) {
        fail("--$name must be a number of 0 or more, got '{$options[$name]}'");
    }
    return (float)$options[$name];
}

/**
 * Checks the extension and applies `--settings=FILE`: the extension reads
 * that eZ INI file's [ClusteringSettings] as it reads the file named by
 * ezcluster.settings_file (over php.ini), and names a bad setting and its
 * line.
 */
function load_settings(array $options): void
{
    if (!extension_loaded('ezcluster')) {
        fail('the ezcluster extension is not loaded (php -d extension=/path/to/ezcluster.so ..., or extension=ezcluster in php.ini)');
    }
    if (isset($options['settings'])) {
        try {
            eZClusterFileHandler::configure(['SettingsFile' => $options['settings']]);
        } catch (\Throwable $e) {
            fail($e->getMessage());
        }
    }
}

/**
 * The var directory as a store name prefix: relative to the site root (the
 * current directory), as eZ names files, without `./` or a trailing slash.
 */
function var_dir(array $options): string
{
    $dir = $options['var-dir'] ?? 'var';
    $dir = preg_replace('#^(\./)+#', '', rtrim($dir, '/'));
    if ($dir === '' || $dir[0] === '/' || preg_match('#(^|/)\.\.?(/|$)#', $dir)) {
        fail("--var-dir must be a path inside the site root (the current directory), like var or var/ezdemo_site; got '{$options['var-dir']}'");
    }
    return $dir;
}

/**
 * Where eZ Publish keeps clustered files, relative to a var directory (which
 * may hold one level of per-site directories, var/<site>/storage/...), and
 * the scope eZ stores each kind with. Everything else under var/ (compiled
 * templates, INI and override caches, logs) stays on each node's disk.
 */
const CLUSTERED = [
    ['#^storage/images(-versioned)?/#', 'image'],
    ['#^storage/original/(audio|video)/#', 'mediafile'],
    ['#^storage/original/#', 'binaryfile'],
    ['#^cache/content/#', 'viewcache'],
    ['#^cache/template-block/#', 'template-block'],
    ['#^cache/user-info/#', 'user-info-cache'],
    ['#^cache/rss/#', 'rsscache'],
    ['#^cache/wildcard/#', 'wildcard-cache'],
    ['#^cache/texttoimage/#', 'texttoimage'],
    ['#^cache/classidentifiers_[^/]*$#', 'classidentifiers'],
    ['#^cache/classattributeidentifiers_[^/]*$#', 'classattridentifiers'],
    ['#^cache/sortkey_[^/]*$#', 'sortkey'],
    ['#^cache/statelimitations_[^/]*$#', 'statelimitations'],
];

/** The scope a file under $varDir is stored with, or null when it stays node-local. */
function scope_of(string $name, string $varDir): ?string
{
    $rest = substr($name, strlen($varDir) + 1);
    foreach (CLUSTERED as [$pattern, $scope]) {
        // Either directly under the var dir, or under one per-site directory.
        if (preg_match($pattern, $rest) || (preg_match('#^[^/]+/(.*)$#s', $rest, $m) && preg_match($pattern, $m[1]))) {
            return $scope;
        }
    }
    return null;
}

/** Marker in the names of the extension's temp files (write to temp, then rename); the extension removes those of dead processes itself. */
const TEMP_MARK = '.ezcluster-tmp-';

/**
 * sha256 of the stored file $name, or null when it is not stored: hashed as
 * it streams out of the store (passthrough into an output buffer that is
 * hashed and discarded a piece at a time), so even a large file never sits
 * whole in memory or on disk.
 */
function stored_sha256(string $name): ?string
{
    $ctx = hash_init('sha256');
    ob_start(function (string $piece) use ($ctx): string {
        hash_update($ctx, $piece);
        return '';
    }, 1 << 20);
    try {
        $found = eZClusterFileHandler::instance($name)->passthrough();
    } finally {
        ob_end_flush();
    }
    return $found ? hash_final($ctx) : null;
}

/**
 * Progress of a run over a known number of files and bytes: on a terminal
 * a bar redrawn in place, otherwise a plain line at most once a second.
 */
final class Progress
{
    private int $files = 0;
    private int $bytes = 0;
    private float $started;
    private float $shown = 0.0;
    private bool $tty;

    public function __construct(private string $label, private int $totalFiles, private int $totalBytes)
    {
        $this->started = microtime(true);
        $this->tty = stream_isatty(STDOUT);
    }

    /** One more file done ($bytes of it copied, or 0 when skipped). */
    public function advance(int $bytes): void
    {
        $this->files++;
        $this->bytes += $bytes;
        $now = microtime(true);
        if ($now - $this->shown >= ($this->tty ? 0.1 : 1.0)) {
            $this->shown = $now;
            $this->show(false);
        }
    }

    /** Prints a line of its own (on a terminal, in place of the bar, which the next update redraws). */
    public function say(string $line): void
    {
        echo $this->tty ? "\r\033[K" : '', $line, "\n";
    }

    public function finish(): void
    {
        $this->show(true);
    }

    private function show(bool $final): void
    {
        $elapsed = max(microtime(true) - $this->started, 1e-6);
        $rate = $this->bytes / $elapsed;
        $filesRate = $this->files / $elapsed;
        $left = $this->totalFiles - $this->files;
        $eta = $final || $filesRate <= 0 ? 0 : (int)round($left / $filesRate);
        $status = sprintf('%d/%d files  %s/%s  %s/s  %.0f files/s  %s %s',
            $this->files, $this->totalFiles, mib($this->bytes), mib($this->totalBytes),
            mib((int)$rate), $filesRate, $final ? 'took' : 'ETA', duration($final ? (int)round($elapsed) : $eta));
        if ($this->tty) {
            $width = 24;
            $done = $this->totalFiles > 0 ? (int)floor($width * $this->files / $this->totalFiles) : $width;
            echo "\r\033[K$this->label [", str_repeat('=', $done), str_repeat(' ', $width - $done), "] $status", $final ? "\n" : '';
        } else {
            echo "$this->label: $status\n";
        }
    }
}

function mib(int $bytes): string
{
    return sprintf('%.1f MiB', $bytes / 1048576);
}

function duration(int $seconds): string
{
    return sprintf('%d:%02d:%02d', intdiv($seconds, 3600), intdiv($seconds, 60) % 60, $seconds % 60);
}

/** Prints the failures (name => reason) on stderr and returns the exit code. */
function report_failures(array $failures): int
{
    if (!$failures) {
        return EXIT_OK;
    }
    fwrite(STDERR, sprintf("%d file(s) failed:\n", count($failures)));
    foreach ($failures as $name => $reason) {
        fwrite(STDERR, "  $name: $reason\n");
    }
    return EXIT_FAILURES;
}
