<?php
/**
 * Declarations of what the ezcluster extension registers, for IDEs and static
 * analysis. The extension itself is native code; this file is never loaded.
 *
 * @generate-function-entries none
 */

/** Thrown on store failures: a bad setting (named in the message), an unreachable database (host:port, never the password), I/O errors. */
class eZClusterFileHandlerException extends Exception {}

/** eZ Publish's failure object: a retrieve callback returns it to refuse cached data; processCache returns code 2 when the caller must generate. */
class eZClusterFileFailure
{
    /** The file is expired: generate it. */
    public const FILE_EXPIRED = 1;
    /** The caller must generate the content and call storeCache(). */
    public const FILE_CONTENT_GENERATE = 2;
    /** The data could not be retrieved: generate it, and do not store it. */
    public const FILE_RETRIEVAL_FAILED = 3;

    /** A failure with one of the codes above and an optional message. */
    public function __construct(int $errno, string|false $message = false) {}

    /** The failure code (FILE_EXPIRED, FILE_CONTENT_GENERATE, FILE_RETRIEVAL_FAILED, or another). */
    public function errno(): int {}

    /** The message, or false when there is none. */
    public function message(): string|false {}
}

/** eZ Publish's cluster file handler, natively: files chunked into MariaDB/MySQL, PostgreSQL or SQLite (ezdb), or plain files (ezfs). */
class eZClusterFileHandler
{
    /** Not callable: throws, handlers come from instance(). */
    public function __construct() {}

    /** A handler bound to $file_path, or unbound when it is false. */
    public static function instance(string|false $file_path = false): eZClusterFileHandler {}

    /** Overrides settings for this request; keys are [ClusteringSettings] names (DBBackend, DBHost, ...) or php.ini names. */
    public static function configure(array $settings): void {}

    /** Called by eZ's scripts before pcntl_fork(); does nothing, since a forked child opens its own connection on first use. */
    public static function preFork(): void {}

    /** Creates the ezdbfile tables if missing (for sites that run with ezcluster.db_create_tables=0). */
    public static function createTables(): void {}

    /** Stores the local file $file_path under the same name; false when there is no such local file. */
    public function fileStore(string $file_path, string|false $scope = false, ?bool $delete = false, string|false $datatype = false): bool {}

    /** Stores $contents under $file_path. */
    public function fileStoreContents(string $file_path, string $contents, string|false $scope = false, string|false $datatype = false): void {}

    /** Copies a stored file to the same path on local disk; returns the path, or false when it is not stored. */
    public function fileFetch(string $file_path): string|false {}

    /** The contents of a stored file, or false when it is not stored. */
    public function fileFetchContents(string $file_path): string|false {}

    /** Whether a (not deleted) file is stored under $path. */
    public function fileExists(string $path): bool {}

    /** Soft-deletes (negative mtime, expired = 1) $path and everything under "$path/"; with $fname_part true only what is under "$path/", with a string only names starting with "$path/$fname_part". Returns whether anything was deleted. */
    public function fileDelete(string $path, string|bool $fname_part = false): bool {}

    /** Soft-deletes every file matching the shell wildcard ("*" also crosses "/", "?", "[a-z]", "[!a-z]", "{a,b}"; every other character, "%", "_" and "\" included, is literal); returns how many. */
    public function fileDeleteByWildcard(string $wildcard): int {}

    /** Names of the stored files the wildcard matches, by fileDeleteByWildcard's rules (what it would delete); not in eZ's interface. */
    public function fileListByWildcard(string $wildcard): array {}

    /** For each directory, soft-deletes the files under "$common_path/$dir/$common_suffix" (view and template-block caches: the group with that name_trunk); returns how many. */
    public function fileDeleteByDirList(array $dir_list, string $common_path, string $common_suffix): int {}

    /** Removes the local copy of $path, not the stored file (nothing to do with ezfs). */
    public function fileDeleteLocal(string $path): void {}

    /** Copies a stored file to $dst_path on the database server, replacing it atomically; false when the source does not exist. */
    public function fileCopy(string $src_path, string $dst_path): bool {}

    /** Same as fileCopy: stored files cannot be linked. */
    public function fileLinkCopy(string $src_path, string $dst_path, ?bool $sym_link = false): bool {}

    /** Moves a stored file to $dst_path; false when the source does not exist. */
    public function fileMove(string $src_path, string $dst_path): bool {}

    /** Names of all stored files; only those with $scopes, or all but those when $exclude_scopes is true. */
    public function getFileList(array|false $scopes = false, ?bool $exclude_scopes = false): array {}

    /** Names of soft-deleted files: at most $limit, only those of $scopes, and with $expiry only those whose mtime is older. */
    public static function fetchExpiredItems(array|false $scopes = false, int|false $limit = false, int|false $expiry = false): array {}

    /** Removes up to $limit soft-deleted files for good (only those of $scopes; with $expiry only those whose mtime is older); returns how many. */
    public static function purgeExpired(?int $limit = 1000, int|false $expiry = false, array|false $scopes = false): int {}

    /** eZ's expiry rule: true when $mtime is false or negative, older than $expiry, or with a $ttl older than $curtime - $ttl. */
    public static function isFileExpired(string $fname, int|false $mtime, int $expiry, int $curtime, ?int $ttl = null): bool {}

    /** Whether files must be copied into the store to be seen by every node (true for ezdb). */
    public function requiresClusterizing(): bool {}

    /** Whether deleted files stay until purged (true for ezdb). */
    public function requiresPurge(): bool {}

    /** Whether processCache can serve stale content while one process regenerates it (true for ezdb). */
    public function hasStaleCacheSupport(): bool {}

    /** (Re)loads the bound file's metadata; returns whether the file exists. */
    public function loadMetaData(?bool $force = false): bool {}

    /** Whether the bound file exists (always asks the store). */
    public function exists(): bool {}

    /** Size of the bound file in bytes, or null when it does not exist. */
    public function size(): ?int {}

    /** Modification time of the bound file, or null when it does not exist. */
    public function mtime(): ?int {}

    /** The bound file's metadata row (name, name_trunk, name_hash, datatype, scope, size, mtime, expired), or false. */
    public function stat(): array|false {}

    /** The bound path, or false when unbound. */
    public function name(): string|false {}

    /** Stores $contents as the bound file; with $store_locally also writes the local copy. */
    public function storeContents(string $contents, string|false $scope = false, string|false $datatype = false, ?bool $store_locally = false): void {}

    /** Copies the bound file to local disk (atomically, with the stored mtime) unless a current copy is there or $no_local_cache; returns its path, or false when it is not stored. */
    public function fetch(?bool $no_local_cache = false): string|false {}

    /** Copies the bound file to a new uniquely named local file (ezfs: the file itself); returns that path, or false. */
    public function fetchUnique(): string|false {}

    /** The bound file's contents, or false when it is not stored. */
    public function fetchContents(): string|false {}

    /** Soft-deletes the bound file and everything under it; returns whether anything was deleted. */
    public function delete(): bool {}

    /** Removes the bound file's local copy, not the stored file. */
    public function deleteLocal(): void {}

    /** Moves the bound file to $dst_path (the handler stays bound to the old path); false when it does not exist. */
    public function move(string $dst_path): bool {}

    /** Removes for good the soft-deleted files under the bound path, then the bound file if soft-deleted: $max (default 100) per batch, $print_callback($path, $count) after each, $microsleep microseconds between; with $expiry only files whose mtime is older. */
    public function purge(callable|false $print_callback = false, int|false $microsleep = false, int|false $max = false, int|false $expiry = false): void {}

    /** Sends the bound file, or $length bytes from $offset, to the output as it streams from the store; false when it does not exist. */
    public function passthrough(?int $offset = 0, int|false $length = false): bool {}

    /** Whether the bound file is expired by isFileExpired's rule, judged by its stored mtime (a missing file is expired). */
    public function isExpired(int $expiry, int $curtime, ?int $ttl = null): bool {}

    /** The same rule, judged by the mtime of the local copy (none: expired). */
    public function isLocalFileExpired(int $expiry, int $curtime, ?int $ttl = null): bool {}

    /** The same rule, judged by the stored mtime read from the database now. */
    public function isDBFileExpired(int $expiry, int $curtime, ?int $ttl = null): bool {}

    /* caches */

    /** Returns $retrieve_callback's result for a valid cached file; otherwise exactly one process runs $generate_callback and stores its result while the others get the stale copy or wait until the generation timeout (see docs/caches.md). */
    public function processCache(?callable $retrieve_callback, callable|false|null $generate_callback = null, ?int $ttl = null, ?int $expiry = null, mixed $extra_data = null): mixed {}

    /** processCache() without generation: $callback's result, or null when the file is missing or expired. */
    public function processFile(callable $callback, int|false|null $expiry = false, mixed $extra_data = null): mixed {}

    /** Stores generated data if this handler holds the generation lock and it was not taken over (then releases it); returns the content. */
    public function storeCache(array|string $file_data): mixed {}

    /** Takes the generation lock ("<path>.generating"): true, or the seconds until the other holder's lock times out. */
    public function startCacheGeneration(): bool|int {}

    /** Releases the generation lock; false when none was held or it was taken over. $rename is accepted for compatibility. */
    public function endCacheGeneration(?bool $rename = true): bool {}

    /** Releases the generation lock if held. Never touches the cached file; harmless without a lock. */
    public function abortCacheGeneration(): void {}

    /** True while the lock is still this handler's (refreshing it); false when none is held or it was taken over. */
    public function checkCacheGenerationTimeout(): bool {}
}

/** Answers the current request for a stored file (default path: REQUEST_URI; $settings: one siteaccess's [ClusteringSettings] over php.ini) with RFC 9110 caching and ranges, streamed; returns the HTTP status sent (see docs/serving.md). */
function ezcluster_serve(?string $path = null, ?array $settings = null): int {}
