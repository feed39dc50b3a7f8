<?php
/**
 * Declarations of what the ezcluster extension registers, for IDEs and static
 * analysis. The extension itself is native code; this file is never loaded.
 *
 * @generate-function-entries none
 */

/** Thrown on store failures: a bad setting (named in the message), an unreachable database (host:port, never the password), I/O errors. */
class eZClusterFileHandlerException extends Exception {}

/** eZ Publish's cluster file handler, natively: files chunked into MariaDB/MySQL, PostgreSQL or SQLite (ezdb), or plain files (ezfs). */
class eZClusterFileHandler
{
    /** A handler bound to $filePath, or unbound when it is false. */
    public static function instance(string|false $filePath = false): eZClusterFileHandler {}

    /** Overrides settings for this request; keys are [ClusteringSettings] names (DBBackend, DBHost, ...) or php.ini names. */
    public static function configure(array $settings): void {}

    /** Creates the ezdbfile tables if missing (for sites that run with ezcluster.db_create_tables=0). */
    public static function createTables(): void {}

    /** Stores the local file $filePath under the same name; false when there is no such local file. */
    public function fileStore(string $filePath, string|false $scope = false, bool $delete = false, string|false $datatype = false): bool {}

    /** Stores $contents under $filePath. */
    public function fileStoreContents(string $filePath, string $contents, string|false $scope = false, string|false $datatype = false): void {}

    /** Copies a stored file to the same path on local disk; returns the path, or false when it is not stored. */
    public function fileFetch(string $filePath): string|false {}

    /** The contents of a stored file, or false when it is not stored. */
    public function fileFetchContents(string $filePath): string|false {}

    /** Whether a (not deleted) file is stored under $path. */
    public function fileExists(string $path): bool {}

    /** Soft-deletes $path (negative mtime, expired = 1); returns whether a file was deleted. */
    public function fileDelete(string $path): bool {}

    /** Names of all stored files; only those with $scopes, or all but those when $excludeScopes is true. */
    public function getFileList(array|false $scopes = false, bool $excludeScopes = false): array {}

    /** (Re)loads the bound file's metadata; returns whether the file exists. */
    public function loadMetaData(bool $force = false): bool {}

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

    /** Stores $contents as the bound file; with $storeLocally also writes the local copy. */
    public function storeContents(string $contents, string|false $scope = false, string|false $datatype = false, bool $storeLocally = false): void {}

    /** Copies the bound file to local disk; returns its path, or false when it is not stored. */
    public function fetch(bool $noLocalCache = false): string|false {}

    /** The bound file's contents, or false when it is not stored. */
    public function fetchContents(): string|false {}

    /** Soft-deletes the bound file; returns whether a file was deleted. */
    public function delete(): bool {}
}

/**
 * Sends the stored file a request names, with RFC 9110 semantics: Content-Type
 * from the stored datatype, Content-Length, Last-Modified, a strong ETag,
 * If-None-Match / If-Modified-Since (304), Range / If-Range (206, 416,
 * multipart/byteranges), HEAD, Cache-Control / Expires (ServeCacheControl,
 * ServeExpires). Only paths under ServePublicPrefixes are served; anything
 * else, or a missing or deleted file, is a 404; other methods a 405; a store
 * failure a 500 that shows nothing of its cause (which goes to PHP's error
 * log). The body is streamed chunk by chunk as rows arrive. See docs/serving.md.
 *
 * @param string|null $path URL path to serve (percent-encoded; a query is
 *        ignored); default: the request's REQUEST_URI.
 * @param array|null $settings [ClusteringSettings] keys (or php.ini names)
 *        layered over php.ini for this call: one siteaccess's store.
 * @return int the HTTP status sent
 */
function ezcluster_serve(?string $path = null, ?array $settings = null): int {}
