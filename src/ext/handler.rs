//! `eZClusterFileHandler`: argument conversion around `store::cluster`, with
//! eZ Publish's argument orders, defaults and return conventions (`false`
//! for a missing file).

use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendStr, Zval};

use super::{settings, to_php, type_error};
use crate::store::cache::Caches;
use crate::store::cluster::{Cluster, Subtree};
use crate::store::{Config, Error, FetchSink, FileMeta, ScopeFilter};

#[php_class]
#[php(name = "eZClusterFileHandler")]
pub struct ClusterFileHandler {
    /// The bound file, or `None` for `instance()` without a path.
    path: Option<String>,
    /// Loaded metadata: `None` not loaded yet, `Some(None)` no such file.
    meta: Option<Option<FileMeta>>,
}

fn false_zval() -> Zval {
    let mut z = Zval::new();
    z.set_bool(false);
    z
}

fn bytes_zval(bytes: &[u8]) -> Zval {
    let mut z = Zval::new();
    z.set_zend_string(ZendStr::new(bytes, false));
    z
}

/// A `string|false` argument (`false` and `null` mean "use the default").
fn optional_str<'a>(value: Option<&'a Zval>, arg: &str) -> PhpResult<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(z) if z.is_null() || z.is_false() => Ok(None),
        Some(z) => z.str().map(Some).ok_or_else(|| type_error(format!("{arg} must be of type string|false"))),
    }
}

/// A `string[]|false` argument.
fn optional_strings(value: Option<&Zval>, arg: &str) -> PhpResult<Option<Vec<String>>> {
    let Some(z) = value.filter(|z| !z.is_null() && !z.is_false()) else { return Ok(None) };
    let error = || type_error(format!("{arg} must be of type array|false with string values"));
    let array = z.array().ok_or_else(error)?;
    array.values().map(|v| v.string().ok_or_else(error)).collect::<PhpResult<Vec<_>>>().map(Some)
}

/// An `int|false` argument.
fn optional_int(value: Option<&Zval>, arg: &str) -> PhpResult<Option<i64>> {
    match value {
        None => Ok(None),
        Some(z) if z.is_null() || z.is_false() => Ok(None),
        Some(z) => z.long().map(Some).ok_or_else(|| type_error(format!("{arg} must be of type int|false"))),
    }
}

/// eZ's `$scopes` / `$excludeScopes` pair as a filter.
fn scope_filter(scopes: Option<&Zval>, exclude: bool, arg: &str) -> PhpResult<ScopeFilter> {
    Ok(match optional_strings(scopes, arg)? {
        None => ScopeFilter::All,
        Some(s) if exclude => ScopeFilter::Except(s),
        Some(s) => ScopeFilter::Only(s),
    })
}

/// eZ's expiry rule (see `store::cache::is_file_expired`) with a given `$expiry`.
fn is_expired(mtime: Option<i64>, expiry: i64, curtime: i64, ttl: Option<i64>) -> bool {
    crate::store::cache::is_file_expired(mtime, Some(expiry), curtime, ttl)
}

/// Modification time of a local file, if there is one.
fn local_mtime(path: &str) -> Option<i64> {
    let modified = std::fs::metadata(path).ok().filter(|m| m.is_file())?.modified().ok()?;
    modified.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs() as i64)
}

fn remove_local(path: &str) -> PhpResult<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(to_php(Error::io(path, e))),
        _ => Ok(()),
    }
}

/// Writes a fetched file, or the `[offset, offset + length)` part of it,
/// to PHP's output (through output buffering, as `echo` would).
struct OutputSink {
    skip: u64,
    remaining: u64,
    started: bool,
}

impl FetchSink for OutputSink {
    fn begin(&mut self, _: &FileMeta) -> crate::store::Result<()> {
        // Bytes already sent cannot be taken back: a retried fetch must fail.
        if self.started {
            return Err(Error::Sink(std::io::Error::other("the connection failed after output had started")));
        }
        Ok(())
    }

    fn data(&mut self, bytes: &[u8]) -> crate::store::Result<()> {
        let start = self.skip.min(bytes.len() as u64) as usize;
        self.skip -= start as u64;
        let end = start + ((bytes.len() - start) as u64).min(self.remaining) as usize;
        if end > start {
            self.started = true;
            self.remaining -= (end - start) as u64;
            if ext_php_rs::zend::output_write(&bytes[start..end]) != end - start {
                return Err(Error::Sink(std::io::Error::other("PHP output failed")));
            }
        }
        Ok(())
    }
}

/// Binary-safe bytes of a string argument.
fn bytes_arg<'a>(value: &'a Zval, arg: &str) -> PhpResult<&'a [u8]> {
    value.zend_str().map(|s| s.as_bytes()).ok_or_else(|| type_error(format!("{arg} must be of type string")))
}

fn config() -> PhpResult<std::sync::Arc<Config>> {
    settings::current().map_err(to_php)
}

impl ClusterFileHandler {
    fn bound(&self) -> PhpResult<&str> {
        self.path.as_deref().ok_or_else(|| {
            to_php(crate::store::Error::InvalidArgument(
                "this eZClusterFileHandler is bound to no file: use eZClusterFileHandler::instance($path)".into(),
            ))
        })
    }

    fn loaded_meta(&mut self) -> PhpResult<Option<&FileMeta>> {
        if self.meta.is_none() {
            self.load_meta_data(Some(false))?;
        }
        Ok(self.meta.as_ref().and_then(|m| m.as_ref()))
    }
}

#[php_impl]
impl ClusterFileHandler {
    /// A handler bound to `$filePath`, or unbound when it is false.
    #[php(optional = file_path)]
    pub fn instance(file_path: Option<&Zval>) -> PhpResult<Self> {
        let path = optional_str(file_path, "eZClusterFileHandler::instance(): Argument #1 ($filePath)")?;
        let path = path.map(crate::store::names::clean_path).transpose().map_err(to_php)?;
        Ok(ClusterFileHandler { path, meta: None })
    }

    /// Overrides settings for this request, with eZ's `[ClusteringSettings]`
    /// keys (`DBBackend`, `DBHost`, ...) or php.ini names.
    pub fn configure(settings: &ZendHashTable) -> PhpResult<()> {
        settings::configure(settings::pairs(settings)?).map_err(to_php)
    }

    /// eZ's scripts call this before pcntl_fork(). Nothing to do: a
    /// connection belongs to the process that opened it, and a forked child
    /// opens its own on first use.
    pub fn pre_fork() {}

    /// Creates the ezdbfile tables if missing (for sites with DBCreateTables=0).
    pub fn create_tables() -> PhpResult<()> {
        Cluster::new(&*config()?).create_tables().map_err(to_php)
    }

    // ---- by path ----

    /// Stores the local file `$filePath` under the same name. Returns false
    /// when the local file does not exist.
    #[php(optional = scope)]
    pub fn file_store(&self, file_path: &str, scope: Option<&Zval>, delete: Option<bool>, datatype: Option<&Zval>) -> PhpResult<bool> {
        let scope = optional_str(scope, "fileStore(): Argument #2 ($scope)")?;
        let datatype = optional_str(datatype, "fileStore(): Argument #4 ($datatype)")?;
        let config = config()?;
        let stored = Cluster::new(&config).store_file(file_path, scope, datatype).map_err(to_php)?;
        if stored && delete.unwrap_or(false) && config.file_handler == crate::store::FileHandler::Ezdb {
            std::fs::remove_file(file_path)
                .map_err(|e| to_php(crate::store::Error::io(file_path, e)))?;
        }
        Ok(stored)
    }

    #[php(optional = scope)]
    pub fn file_store_contents(&self, file_path: &str, contents: &Zval, scope: Option<&Zval>, datatype: Option<&Zval>) -> PhpResult<()> {
        let contents = bytes_arg(contents, "fileStoreContents(): Argument #2 ($contents)")?;
        let scope = optional_str(scope, "fileStoreContents(): Argument #3 ($scope)")?;
        let datatype = optional_str(datatype, "fileStoreContents(): Argument #4 ($datatype)")?;
        Cluster::new(&*config()?).store_contents(file_path, contents, scope, datatype).map_err(to_php)
    }

    /// Copies a stored file to the same path on local disk; returns the path,
    /// or false when there is no such stored file.
    pub fn file_fetch(&self, file_path: &str) -> PhpResult<Zval> {
        let found = Cluster::new(&*config()?).fetch_to_file(file_path, file_path).map_err(to_php)?;
        Ok(if found.is_some() { bytes_zval(file_path.as_bytes()) } else { false_zval() })
    }

    pub fn file_fetch_contents(&self, file_path: &str) -> PhpResult<Zval> {
        let found = Cluster::new(&*config()?).fetch_contents(file_path).map_err(to_php)?;
        Ok(found.map_or_else(false_zval, |bytes| bytes_zval(&bytes)))
    }

    pub fn file_exists(&self, path: &str) -> PhpResult<bool> {
        Ok(Cluster::new(&*config()?).metadata(path).map_err(to_php)?.is_some())
    }

    /// Soft-deletes (negative mtime, expired = 1) `$path` and everything
    /// under `$path/`; with `$fnamePart` true only what is under `$path/`,
    /// with a string only names starting with `$path/$fnamePart`. Returns
    /// whether anything was deleted.
    #[php(optional = fname_part)]
    pub fn file_delete(&self, path: &str, fname_part: Option<&Zval>) -> PhpResult<bool> {
        let part = match fname_part {
            None => None,
            Some(z) if z.is_null() || z.is_false() => None,
            Some(z) if z.is_true() => Some(None),
            Some(z) => Some(Some(z.str().ok_or_else(|| {
                type_error("fileDelete(): Argument #2 ($fnamePart) must be of type string|bool".into())
            })?)),
        };
        let subtree = match part {
            None => Subtree::PathAndChildren,
            Some(None) => Subtree::Children,
            Some(Some(p)) => Subtree::ChildrenStartingWith(p),
        };
        Ok(Cluster::new(&*config()?).delete_tree(path, subtree).map_err(to_php)? > 0)
    }

    /// Soft-deletes every file matching the shell wildcard (`*`, `?`,
    /// `[...]`, `{a,b}`); returns how many.
    pub fn file_delete_by_wildcard(&self, wildcard: &str) -> PhpResult<i64> {
        Ok(Cluster::new(&*config()?).delete_by_wildcard(wildcard).map_err(to_php)? as i64)
    }

    /// Names of the stored files the shell wildcard matches, with the rules
    /// of fileDeleteByWildcard (to show what it would delete).
    pub fn file_list_by_wildcard(&self, wildcard: &str) -> PhpResult<Vec<String>> {
        Cluster::new(&*config()?).names_by_wildcard(wildcard).map_err(to_php)
    }

    /// Soft-deletes, for each directory, the files under
    /// `$commonPath/$dir/$commonSuffix`; returns how many.
    pub fn file_delete_by_dir_list(&self, dir_list: &Zval, common_path: &str, common_suffix: &str) -> PhpResult<i64> {
        let dirs = optional_strings(Some(dir_list), "fileDeleteByDirList(): Argument #1 ($dirList)")?
            .ok_or_else(|| type_error("fileDeleteByDirList(): Argument #1 ($dirList) must be of type array".into()))?;
        let config = config()?;
        let cluster = Cluster::new(&config);
        Ok(cluster.delete_by_dir_list(&dirs, common_path, common_suffix).map_err(to_php)? as i64)
    }

    /// Removes the local copy of `$path` (not the stored file). With ezfs the
    /// local file is the stored file, so nothing happens.
    pub fn file_delete_local(&self, path: &str) -> PhpResult<()> {
        let path = crate::store::names::clean_path(path).map_err(to_php)?;
        if config()?.file_handler == crate::store::FileHandler::Ezfs {
            return Ok(());
        }
        remove_local(&path)
    }

    /// Copies a stored file to `$dstPath`; false when the source is missing.
    pub fn file_copy(&self, src_path: &str, dst_path: &str) -> PhpResult<bool> {
        Cluster::new(&*config()?).copy(src_path, dst_path, false).map_err(to_php)
    }

    /// Same as fileCopy: stored files cannot be linked.
    #[php(optional = sym_link)]
    pub fn file_link_copy(&self, src_path: &str, dst_path: &str, sym_link: Option<bool>) -> PhpResult<bool> {
        let _ = sym_link;
        self.file_copy(src_path, dst_path)
    }

    /// Moves a stored file to `$dstPath`; false when the source is missing.
    pub fn file_move(&self, src_path: &str, dst_path: &str) -> PhpResult<bool> {
        Cluster::new(&*config()?).copy(src_path, dst_path, true).map_err(to_php)
    }

    /// Names of all stored files, optionally only those of `$scopes`, or all
    /// but those when `$excludeScopes` is true.
    #[php(optional = scopes)]
    pub fn get_file_list(&self, scopes: Option<&Zval>, exclude_scopes: Option<bool>) -> PhpResult<Vec<String>> {
        let filter = scope_filter(scopes, exclude_scopes.unwrap_or(false), "getFileList(): Argument #1 ($scopes)")?;
        Cluster::new(&*config()?).list(&filter).map_err(to_php)
    }

    /// Names of soft-deleted files (at most `$limit`; with `$expiry`, only
    /// those whose mtime is older), for purge tools.
    #[php(optional = scopes)]
    pub fn fetch_expired_items(scopes: Option<&Zval>, limit: Option<&Zval>, expiry: Option<&Zval>) -> PhpResult<Vec<String>> {
        let filter = scope_filter(scopes, false, "fetchExpiredItems(): Argument #1 ($scopes)")?;
        let limit = optional_int(limit, "fetchExpiredItems(): Argument #2 ($limit)")?;
        let expiry = optional_int(expiry, "fetchExpiredItems(): Argument #3 ($expiry)")?;
        let config = config()?;
        let cluster = Cluster::new(&config);
        cluster.expired_names(&filter, limit.map(|l| l.max(0) as u64), expiry).map_err(to_php)
    }

    /// Removes up to `$limit` soft-deleted files for good (with `$expiry`,
    /// only those whose mtime is older); returns how many.
    #[php(optional = limit)]
    pub fn purge_expired(limit: Option<i64>, expiry: Option<&Zval>, scopes: Option<&Zval>) -> PhpResult<i64> {
        let limit = limit.unwrap_or(1000);
        if limit < 1 {
            return Err(to_php(Error::InvalidArgument("purgeExpired(): Argument #1 ($limit) must be at least 1".into())));
        }
        let expiry = optional_int(expiry, "purgeExpired(): Argument #2 ($expiry)")?;
        let filter = scope_filter(scopes, false, "purgeExpired(): Argument #3 ($scopes)")?;
        let config = config()?;
        let cluster = Cluster::new(&config);
        let names = cluster.expired_names(&filter, Some(limit as u64), expiry).map_err(to_php)?;
        Ok(cluster.purge_names(&names).map_err(to_php)? as i64)
    }

    /// eZ's expiry rule, for any mtime: true when `$mtime` is false or
    /// negative, or older than `$expiry`, or (with a `$ttl`) than `$curtime - $ttl`.
    pub fn is_file_expired(fname: &Zval, mtime: &Zval, expiry: i64, curtime: i64, ttl: Option<i64>) -> bool {
        let _ = fname; // the database variant decides by mtime alone
        is_expired(mtime.long(), expiry, curtime, ttl)
    }

    /// Whether files must be copied into the store (true for ezdb).
    pub fn requires_clusterizing(&self) -> PhpResult<bool> {
        Ok(config()?.file_handler == crate::store::FileHandler::Ezdb)
    }

    /// Whether deleted files stay until purged (true for ezdb).
    pub fn requires_purge(&self) -> PhpResult<bool> {
        self.requires_clusterizing()
    }

    /// Whether processCache can serve stale content while regenerating (ezdb).
    pub fn has_stale_cache_support(&self) -> PhpResult<bool> {
        self.requires_clusterizing()
    }

    // ---- on the bound file ----

    /// (Re)loads the bound file's metadata; returns whether the file exists.
    #[php(optional = force)]
    pub fn load_meta_data(&mut self, force: Option<bool>) -> PhpResult<bool> {
        if self.meta.is_none() || force.unwrap_or(false) {
            let path = self.bound()?.to_string();
            self.meta = Some(Cluster::new(&*config()?).metadata(&path).map_err(to_php)?);
        }
        Ok(matches!(self.meta, Some(Some(_))))
    }

    pub fn exists(&mut self) -> PhpResult<bool> {
        self.load_meta_data(Some(true))
    }

    /// Size in bytes, or null when the file does not exist.
    pub fn size(&mut self) -> PhpResult<Option<i64>> {
        Ok(self.loaded_meta()?.map(|m| m.size as i64))
    }

    /// Modification time, or null when the file does not exist.
    pub fn mtime(&mut self) -> PhpResult<Option<i64>> {
        Ok(self.loaded_meta()?.map(|m| m.mtime))
    }

    /// The metadata row (name, name_trunk, name_hash, datatype, scope, size,
    /// mtime, expired), or false when the file does not exist.
    pub fn stat(&mut self) -> PhpResult<Zval> {
        let Some(m) = self.loaded_meta()?.cloned() else { return Ok(false_zval()) };
        let mut row = ZendHashTable::new();
        let insert = |row: &mut ZendHashTable, k: &str, v: Zval| row.insert(k, v).map_err(PhpException::from);
        insert(&mut row, "name", bytes_zval(m.name.as_bytes()))?;
        insert(&mut row, "name_trunk", bytes_zval(m.name_trunk.as_bytes()))?;
        insert(&mut row, "name_hash", bytes_zval(crate::store::name_hash(&m.name).as_bytes()))?;
        insert(&mut row, "datatype", bytes_zval(m.datatype.as_bytes()))?;
        insert(&mut row, "scope", bytes_zval(m.scope.as_bytes()))?;
        let mut n = Zval::new();
        n.set_long(m.size as i64);
        insert(&mut row, "size", n)?;
        let mut n = Zval::new();
        n.set_long(m.mtime);
        insert(&mut row, "mtime", n)?;
        let mut n = Zval::new();
        n.set_bool(m.expired);
        insert(&mut row, "expired", n)?;
        let mut z = Zval::new();
        z.set_hashtable(row);
        Ok(z)
    }

    /// The bound path (false when unbound).
    pub fn name(&self) -> Zval {
        self.path.as_deref().map_or_else(false_zval, |p| bytes_zval(p.as_bytes()))
    }

    #[php(optional = scope)]
    pub fn store_contents(&mut self, contents: &Zval, scope: Option<&Zval>, datatype: Option<&Zval>, store_locally: Option<bool>) -> PhpResult<()> {
        let path = self.bound()?.to_string();
        let bytes = bytes_arg(contents, "storeContents(): Argument #1 ($contents)")?;
        let scope = optional_str(scope, "storeContents(): Argument #2 ($scope)")?;
        let datatype = optional_str(datatype, "storeContents(): Argument #3 ($datatype)")?;
        self.meta = None;
        Cluster::new(&*config()?).store_contents(&path, bytes, scope, datatype).map_err(to_php)?;
        if store_locally.unwrap_or(false) {
            crate::store::fs::write_atomically(std::path::Path::new(&path), |f| {
                std::io::Write::write_all(f, bytes).map_err(|e| crate::store::Error::io(&path, e))?;
                Ok(true)
            })
            .map_err(to_php)?;
        }
        Ok(())
    }

    /// Copies the bound file to local disk unless a current local copy
    /// exists (always with `$noLocalCache`); returns its path, or false.
    #[php(optional = no_local_cache)]
    pub fn fetch(&mut self, no_local_cache: Option<bool>) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        let config = config()?;
        let cluster = Cluster::new(&config);
        let found = if no_local_cache.unwrap_or(false) {
            cluster.fetch_to_file(&path, &path)
        } else {
            cluster.fetch_if_stale(&path)
        }
        .map_err(to_php)?;
        self.meta = Some(found.clone());
        Ok(if found.is_some() { bytes_zval(path.as_bytes()) } else { false_zval() })
    }

    /// Copies the bound file to a new, uniquely named local file; returns
    /// that path (delete it with fileDeleteLocal), or false.
    pub fn fetch_unique(&mut self) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        let unique = Cluster::new(&*config()?).fetch_unique(&path).map_err(to_php)?;
        Ok(unique.map_or_else(false_zval, |u| bytes_zval(u.as_bytes())))
    }

    pub fn fetch_contents(&mut self) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        let found = Cluster::new(&*config()?).fetch_contents(&path).map_err(to_php)?;
        Ok(found.map_or_else(false_zval, |bytes| bytes_zval(&bytes)))
    }

    /// Soft-deletes the bound file and everything under it (as a directory).
    pub fn delete(&mut self) -> PhpResult<bool> {
        let path = self.bound()?.to_string();
        self.meta = None;
        Ok(Cluster::new(&*config()?).delete_tree(&path, Subtree::PathAndChildren).map_err(to_php)? > 0)
    }

    /// Removes the bound file's local copy (not the stored file).
    pub fn delete_local(&self) -> PhpResult<()> {
        self.file_delete_local(self.bound()?)
    }

    /// Moves the bound file to `$dstPath`; false when it does not exist.
    #[php(name = "move")]
    pub fn move_to(&mut self, dst_path: &str) -> PhpResult<bool> {
        let path = self.bound()?.to_string();
        self.meta = None;
        Cluster::new(&*config()?).copy(&path, dst_path, true).map_err(to_php)
    }

    /// Removes for good the soft-deleted files under the bound path and then
    /// the bound file itself if it is soft-deleted, `$max` (default 100) per
    /// batch, calling `$printCallback($path, $count)` after each batch and
    /// sleeping `$microsleep` microseconds between batches. With `$expiry`
    /// only files whose mtime is older are removed.
    #[php(optional = print_callback)]
    pub fn purge(&mut self, print_callback: Option<&Zval>, microsleep: Option<&Zval>, max: Option<&Zval>, expiry: Option<&Zval>) -> PhpResult<()> {
        let path = self.bound()?.to_string();
        let callback = print_callback.filter(|z| !z.is_false() && !z.is_null());
        if callback.is_some_and(|c| !c.is_callable()) {
            return Err(type_error("purge(): Argument #1 ($printCallback) must be a valid callback or false".into()));
        }
        let microsleep = optional_int(microsleep, "purge(): Argument #2 ($microsleep)")?.unwrap_or(0).max(0) as u64;
        let max = optional_int(max, "purge(): Argument #3 ($max)")?.unwrap_or(100).max(1) as u64;
        let expiry = optional_int(expiry, "purge(): Argument #4 ($expiry)")?;
        let config = config()?;
        let cluster = Cluster::new(&config);
        self.meta = None;
        loop {
            let purged = cluster.purge_batch(&path, max, expiry).map_err(to_php)?;
            if purged.is_empty() {
                return Ok(());
            }
            if let Some(cb) = callback {
                let count = purged.len() as i64;
                cb.try_call(vec![&path, &count])?;
            }
            if microsleep > 0 {
                std::thread::sleep(std::time::Duration::from_micros(microsleep));
            }
        }
    }

    /// Sends the bound file (or `$length` bytes of it from `$offset`) to the
    /// output, streamed chunk by chunk. Returns false when it does not exist.
    #[php(optional = offset)]
    pub fn passthrough(&mut self, offset: Option<i64>, length: Option<&Zval>) -> PhpResult<bool> {
        let path = self.bound()?.to_string();
        let offset = offset.unwrap_or(0);
        let length = optional_int(length, "passthrough(): Argument #2 ($length)")?;
        if offset < 0 || length.is_some_and(|l| l < 0) {
            return Err(to_php(Error::InvalidArgument("passthrough(): offset and length must not be negative".into())));
        }
        let mut sink = OutputSink { skip: offset as u64, remaining: length.map_or(u64::MAX, |l| l as u64), started: false };
        let found = Cluster::new(&*config()?).fetch_into(&path, &mut sink).map_err(to_php)?;
        Ok(found.is_some())
    }

    /// Whether the bound file is expired by eZ's rule (see isFileExpired),
    /// judged by its stored mtime (missing counts as expired).
    #[php(optional = ttl)]
    pub fn is_expired(&mut self, expiry: i64, curtime: i64, ttl: Option<i64>) -> PhpResult<bool> {
        let mtime = self.loaded_meta()?.map(|m| m.mtime);
        Ok(is_expired(mtime, expiry, curtime, ttl))
    }

    /// Same rule, judged by the mtime of the local copy.
    #[php(optional = ttl)]
    pub fn is_local_file_expired(&self, expiry: i64, curtime: i64, ttl: Option<i64>) -> PhpResult<bool> {
        Ok(is_expired(local_mtime(self.bound()?), expiry, curtime, ttl))
    }

    /// Same rule, judged by the stored mtime read now from the database.
    #[php(optional = ttl)]
    pub fn is_db_file_expired(&mut self, expiry: i64, curtime: i64, ttl: Option<i64>) -> PhpResult<bool> {
        self.load_meta_data(Some(true))?;
        self.is_expired(expiry, curtime, ttl)
    }

    // ---- caches ----

    /// eZ's processCache: `$retrieveCallback($path, $mtime[, $extraData])`
    /// gets a valid cached file (copied locally first); otherwise one
    /// process calls `$generateCallback($path[, $extraData])` and stores what
    /// it returns while the others get the stale copy. A null generate
    /// callback takes the lock and returns eZClusterFileFailure 2 (the caller
    /// generates and calls storeCache), false never generates.
    #[php(optional = generate_callback)]
    pub fn process_cache(
        &mut self,
        retrieve_callback: &Zval,
        generate_callback: Option<&Zval>,
        ttl: Option<&Zval>,
        expiry: Option<&Zval>,
        extra_data: Option<&Zval>,
    ) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        self.meta = None;
        let config = config()?;
        super::cache::process_cache(&config, &path, retrieve_callback, generate_callback, ttl, expiry, extra_data)
    }

    /// processCache without generation: `$callback($path, $mtime[, $extraData])`'s
    /// result, or null when the file is missing or expired.
    #[php(optional = expiry)]
    pub fn process_file(&mut self, callback: &Zval, expiry: Option<&Zval>, extra_data: Option<&Zval>) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        let config = config()?;
        let mut disabled = Zval::new();
        disabled.set_bool(false);
        let result = super::cache::process_cache(&config, &path, callback, Some(&disabled), None, expiry, extra_data)?;
        Ok(if super::cache::failure_errno(&result).is_some() { Zval::new() } else { result })
    }

    /// Stores generated data (an array as processCache's generate callback
    /// returns, or the binary data) if this handler holds the generation
    /// lock and it was not taken over; always returns the content.
    pub fn store_cache(&mut self, file_data: &Zval) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        self.meta = None;
        super::cache::store_cache(&*config()?, &path, file_data)
    }

    /// Takes the generation lock: true, or the seconds until another
    /// process's lock times out.
    pub fn start_cache_generation(&mut self) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        super::cache::start_generation(&*config()?, &path)
    }

    /// Releases the generation lock; false when this handler held none or it
    /// was taken over. (Data is stored under the real name by storeCache, so
    /// there is nothing to rename: `$rename` is accepted for compatibility.)
    #[php(optional = rename)]
    pub fn end_cache_generation(&mut self, rename: Option<bool>) -> PhpResult<bool> {
        let _ = rename;
        let path = self.bound()?.to_string();
        Caches::new(&*config()?).end_generation(&path).map_err(to_php)
    }

    /// Releases the generation lock if held; never touches the cached file.
    pub fn abort_cache_generation(&mut self) -> PhpResult<()> {
        let path = self.bound()?.to_string();
        Caches::new(&*config()?).abort_generation(&path).map_err(to_php)
    }

    /// True while this handler still holds the generation lock (refreshing
    /// it); false when it holds none or the lock was taken over.
    pub fn check_cache_generation_timeout(&mut self) -> PhpResult<bool> {
        let path = self.bound()?.to_string();
        Caches::new(&*config()?).check_generation(&path).map_err(to_php)
    }
}
