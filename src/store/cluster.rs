//! The operations behind eZClusterFileHandler's methods, free of PHP types:
//! each validates its arguments, runs on this process's connection (see
//! `pool`), and moves data between the store and local files in chunks.

use std::fs::File;
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::backend::{FetchSink, FileMeta, NameMatch, NameQuery, NewFile, ScopeFilter};
use super::error::{Error, Result};
use super::fs::write_atomically;
use super::mime;
use super::names::{clean_path, name_trunk};
use super::pool::with_backend;
use super::settings::{Config, FileHandler};
use super::wildcard::Wildcard;

/// eZ Publish's scope for files stored without one.
pub const DEFAULT_SCOPE: &str = "UNKNOWN_SCOPE";
/// Column widths of eZ's schema.
const MAX_SCOPE: usize = 20;
const MAX_DATATYPE: usize = 255;

/// Names deleted or purged per transaction: large enough to amortise the
/// commit, small enough not to hold locks for long.
const BATCH: usize = 1000;

/// What `delete_tree` removes besides (or instead of) `path` itself.
#[derive(Clone, Copy, Debug)]
pub enum Subtree<'a> {
    /// `path` and everything under `path/` (eZ's `fileDelete($path)`).
    PathAndChildren,
    /// Only everything under `path/` (`fileDelete($path, true)`).
    Children,
    /// Names starting with `path/<part>` (`fileDelete($path, $part)`).
    ChildrenStartingWith(&'a str),
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Writes a fetch into a local file. `begin` starts over, so a fetch retried
/// on a fresh connection never duplicates bytes.
struct FileSink<'a> {
    file: &'a mut File,
}

impl FetchSink for FileSink<'_> {
    fn begin(&mut self, _: &FileMeta) -> Result<()> {
        self.file.set_len(0).and_then(|()| self.file.seek(SeekFrom::Start(0)).map(drop)).map_err(Error::Sink)
    }
    fn data(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).map_err(Error::Sink)
    }
}

/// Collects a fetch in memory, starting over on `begin`.
struct VecSink(Vec<u8>);

impl FetchSink for VecSink {
    fn begin(&mut self, meta: &FileMeta) -> Result<()> {
        self.0.clear();
        self.0.reserve_exact(meta.size as usize);
        Ok(())
    }
    fn data(&mut self, bytes: &[u8]) -> Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

pub struct Cluster<'c> {
    config: &'c Config,
}

impl<'c> Cluster<'c> {
    pub fn new(config: &'c Config) -> Self {
        Cluster { config }
    }

    fn is_local(&self) -> bool {
        self.config.file_handler == FileHandler::Ezfs
    }

    pub(crate) fn new_file<'a>(
        name: &'a str,
        trunk: &'a mut String,
        scope: Option<&'a str>,
        datatype: Option<&'a str>,
        mtime: i64,
    ) -> Result<NewFile<'a>> {
        let scope = scope.unwrap_or(DEFAULT_SCOPE);
        let datatype = datatype.unwrap_or_else(|| mime::guess(name));
        if scope.len() > MAX_SCOPE {
            return Err(Error::InvalidArgument(format!("scope '{scope}' is longer than {MAX_SCOPE} bytes")));
        }
        if datatype.len() > MAX_DATATYPE {
            return Err(Error::InvalidArgument(format!("datatype is longer than {MAX_DATATYPE} bytes")));
        }
        *trunk = name_trunk(name, scope);
        Ok(NewFile { name, name_trunk: trunk, datatype, scope, mtime })
    }

    pub fn metadata(&self, name: &str) -> Result<Option<FileMeta>> {
        let name = clean_path(name)?;
        with_backend(self.config, |b| b.metadata(&name))
    }

    /// Stores the local file `name` under the same name. `Ok(false)` when
    /// there is no such local file.
    pub fn store_file(&self, name: &str, scope: Option<&str>, datatype: Option<&str>) -> Result<bool> {
        let name = &clean_path(name)?;
        let mut file = match File::open(name) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(name, e)),
        };
        if self.is_local() {
            return Ok(true); // ezfs: the local file is the stored file
        }
        let mtime = file
            .metadata()
            .and_then(|m| m.modified())
            .map_err(|e| Error::io(name, e))?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut trunk = String::new();
        let new = Self::new_file(name, &mut trunk, scope, datatype, mtime)?;
        with_backend(self.config, |b| b.store(&new, &mut file, self.config.chunk_size)).map(|_| true)
    }

    pub fn store_contents(&self, name: &str, contents: &[u8], scope: Option<&str>, datatype: Option<&str>) -> Result<()> {
        let name = &clean_path(name)?;
        let mut trunk = String::new();
        let new = Self::new_file(name, &mut trunk, scope, datatype, now())?;
        let mut source = Cursor::new(contents);
        with_backend(self.config, |b| b.store(&new, &mut source, self.config.chunk_size)).map(drop)
    }

    /// Copies the stored file `name` to the local path `dest` (atomically:
    /// temp file + rename) and gives the copy the stored mtime, so a later
    /// `fetch_if_stale` can tell it is current. `Ok(None)` when there is no
    /// such stored file.
    pub fn fetch_to_file(&self, name: &str, dest: &str) -> Result<Option<FileMeta>> {
        let name = &clean_path(name)?;
        let dest = &clean_path(dest)?;
        if self.is_local() && name == dest {
            return self.metadata(name);
        }
        let mut found = None;
        // Fetch into the temp file; only a complete fetch is renamed into place.
        write_atomically(Path::new(dest), |file| {
            found = with_backend(self.config, |b| b.fetch(name, &mut FileSink { file }))?;
            if let Some(meta) = found.as_ref().filter(|m| m.mtime >= 0) {
                file.set_modified(UNIX_EPOCH + Duration::from_secs(meta.mtime as u64)).map_err(|e| Error::io(dest, e))?;
            }
            Ok(found.is_some())
        })?;
        Ok(found)
    }

    /// Like `fetch_to_file(name, name)`, but keeps a local copy that is as
    /// new as the stored file and has its size (eZ's `fetch()` without
    /// `$noLocalCache`).
    pub fn fetch_if_stale(&self, name: &str) -> Result<Option<FileMeta>> {
        match self.metadata(name)? {
            Some(meta) => self.refresh_local_copy(&meta),
            None => Ok(None),
        }
    }

    /// Brings the local copy of the stored file `meta` describes up to date,
    /// for callers that already hold its metadata (no second lookup). Returns
    /// the metadata of the version now on disk; `None` if it was deleted
    /// meanwhile.
    pub fn refresh_local_copy(&self, meta: &FileMeta) -> Result<Option<FileMeta>> {
        if self.is_local() || local_copy_is_current(&meta.name, meta) {
            return Ok(Some(meta.clone()));
        }
        self.fetch_to_file(&meta.name, &meta.name)
    }

    /// Fetches `name` to a new local file next to where it would go, named
    /// uniquely for this call (eZ's `fetchUnique()`); returns that path.
    /// With ezfs the file is already local: its own path.
    pub fn fetch_unique(&self, name: &str) -> Result<Option<String>> {
        let name = &clean_path(name)?;
        if self.is_local() {
            return Ok(self.metadata(name)?.map(|_| name.clone()));
        }
        // Marked as a temp file: never taken for a stored file if left behind.
        let unique = format!("{name}{}unique-{}-{}", super::fs::TEMP_MARK, std::process::id(), super::fs::unique());
        Ok(self.fetch_to_file(name, &unique)?.map(|_| unique))
    }

    pub fn fetch_contents(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = &clean_path(name)?;
        let mut sink = VecSink(Vec::new());
        let found = with_backend(self.config, |b| b.fetch(name, &mut sink))?;
        Ok(found.map(|_| sink.0))
    }

    /// Streams the stored file into `sink` (`passthrough`).
    pub fn fetch_into(&self, name: &str, sink: &mut dyn FetchSink) -> Result<Option<FileMeta>> {
        let name = &clean_path(name)?;
        with_backend(self.config, |b| b.fetch(name, sink))
    }

    /// Soft-deletes `path` and/or the names under it (see `Subtree`);
    /// returns how many files were deleted.
    pub fn delete_tree(&self, path: &str, subtree: Subtree) -> Result<u64> {
        let path = &clean_path(path)?;
        let prefix = match subtree {
            Subtree::PathAndChildren | Subtree::Children => format!("{path}/"),
            Subtree::ChildrenStartingWith(part) => format!("{path}/{part}"),
        };
        let mut names = self.live_names(NameMatch::Prefix(&prefix))?;
        if matches!(subtree, Subtree::PathAndChildren) {
            names.push(path.clone());
        }
        self.delete_names(&names)
    }

    /// Names of the live files `pattern` (shell wildcards) matches. Only the
    /// pattern's literal prefix goes to the database.
    pub fn names_by_wildcard(&self, pattern: &str) -> Result<Vec<String>> {
        if pattern.is_empty() || pattern.contains('\0') {
            return Err(Error::InvalidArgument("the wildcard is empty or contains a NUL byte".into()));
        }
        let wildcard = Wildcard::parse(pattern)?;
        let mut names = self.live_names(NameMatch::Prefix(&wildcard.literal_prefix()))?;
        names.retain(|n| wildcard.matches(n));
        Ok(names)
    }

    /// Soft-deletes every name `pattern` matches (see `names_by_wildcard`).
    pub fn delete_by_wildcard(&self, pattern: &str) -> Result<u64> {
        self.delete_names(&self.names_by_wildcard(pattern)?)
    }

    /// eZ's `fileDeleteByDirList`: for each directory, the files under
    /// `common_path/dir/common_suffix`. Under a content view cache or
    /// template-block cache path that is the group with exactly that
    /// `name_trunk`, as eZ does; elsewhere every name starting with it.
    pub fn delete_by_dir_list(&self, dirs: &[String], common_path: &str, common_suffix: &str) -> Result<u64> {
        let by_trunk = !self.is_local()
            && (common_path.contains("/cache/content") || common_path.contains("/cache/template-block"));
        let mut names = Vec::new();
        for dir in dirs {
            let group = clean_path(&format!("{common_path}/{dir}/{common_suffix}"))?;
            // A suffix ending in '/' is a directory: keep the slash cleaning took.
            let group = if common_suffix.ends_with('/') { format!("{group}/") } else { group };
            let matching = if by_trunk { NameMatch::Trunk(&group) } else { NameMatch::Prefix(&group) };
            names.extend(self.live_names(matching)?);
        }
        self.delete_names(&names)
    }

    fn live_names(&self, matching: NameMatch) -> Result<Vec<String>> {
        let rows = with_backend(self.config, |b| b.names(&NameQuery::live(matching)))?;
        Ok(rows.into_iter().map(|m| m.name).collect())
    }

    fn delete_names(&self, names: &[String]) -> Result<u64> {
        names.chunks(BATCH).try_fold(0, |n, batch| Ok(n + with_backend(self.config, |b| b.delete_many(batch))?))
    }

    /// Copies (or with `remove_source`, moves) a stored file to another name,
    /// on the database server. `Ok(false)` when `from` does not exist.
    pub fn copy(&self, from: &str, to: &str, remove_source: bool) -> Result<bool> {
        let (from, to) = (clean_path(from)?, clean_path(to)?);
        with_backend(self.config, |b| b.copy(&from, &to, remove_source))
    }

    /// Names of soft-deleted files, at most `limit`, optionally only those
    /// with `ABS(mtime)` before `older_than` and those of `scopes`.
    pub fn expired_names(&self, scopes: &ScopeFilter, limit: Option<u64>, older_than: Option<i64>) -> Result<Vec<String>> {
        let filtered = !matches!(scopes, ScopeFilter::All);
        let query = NameQuery {
            matching: NameMatch::Prefix(""),
            deleted: true,
            older_than,
            // A scope filter applies after the query, so the limit does too.
            limit: if filtered { None } else { limit },
        };
        let rows = with_backend(self.config, |b| b.names(&query))?;
        let names = rows.into_iter().filter(|m| scopes.accepts(&m.scope)).map(|m| m.name);
        Ok(names.take(limit.map_or(usize::MAX, |l| l as usize)).collect())
    }

    /// Removes soft-deleted files for good: those of `names` still deleted.
    pub fn purge_names(&self, names: &[String]) -> Result<u64> {
        names.chunks(BATCH).try_fold(0, |n, batch| Ok(n + with_backend(self.config, |b| b.purge(batch))?))
    }

    /// One batch of eZ's `purge()` on `path`: up to `max` soft-deleted files
    /// under `path/` (older than `older_than`), then, once none is left,
    /// `path` itself. Returns the names purged; empty when done.
    pub fn purge_batch(&self, path: &str, max: u64, older_than: Option<i64>) -> Result<Vec<String>> {
        let path = clean_path(path)?;
        let prefix = format!("{path}/");
        let query = NameQuery { matching: NameMatch::Prefix(&prefix), deleted: true, older_than, limit: Some(max.max(1)) };
        let mut names: Vec<String> = with_backend(self.config, |b| b.names(&query))?.into_iter().map(|m| m.name).collect();
        if names.is_empty() {
            let itself = NameQuery { matching: NameMatch::Prefix(&path), deleted: true, older_than, limit: None };
            let rows = with_backend(self.config, |b| b.names(&itself))?;
            names.extend(rows.into_iter().map(|m| m.name).filter(|n| *n == path));
        }
        let purged = self.purge_names(&names)?;
        names.truncate(purged as usize);
        Ok(names)
    }

    pub fn list(&self, scopes: &ScopeFilter) -> Result<Vec<String>> {
        with_backend(self.config, |b| b.list(scopes))
    }

    /// Creates the tables (for sites that turn DBCreateTables off and run
    /// this once with a privileged user).
    pub fn create_tables(&self) -> Result<()> {
        with_backend(self.config, |b| b.create_tables())
    }
}

/// Whether the local file `name` is a copy of `meta`: same size, and at least
/// as new (a local copy gets the stored mtime when it is fetched).
fn local_copy_is_current(name: &str, meta: &FileMeta) -> bool {
    let Ok(local) = std::fs::metadata(name) else { return false };
    let mtime = local.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64);
    local.is_file() && local.len() == meta.size && mtime >= meta.mtime
}
