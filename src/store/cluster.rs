//! The operations behind eZClusterFileHandler's methods, free of PHP types:
//! each validates its arguments, runs on this process's connection (see
//! `pool`), and moves data between the store and local files in chunks.

use std::fs::File;
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::backend::{FetchSink, FileMeta, NewFile, ScopeFilter};
use super::error::{Error, Result};
use super::fs::write_atomically;
use super::mime;
use super::pool::with_backend;
use super::settings::{Config, FileHandler};

/// eZ Publish's scope for files stored without one.
pub const DEFAULT_SCOPE: &str = "UNKNOWN_SCOPE";
/// Column widths of eZ's schema.
const MAX_SCOPE: usize = 20;
const MAX_DATATYPE: usize = 255;

/// Rejects names no store can hold safely.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("the file path is empty".into()));
    }
    if name.contains('\0') {
        return Err(Error::InvalidArgument("the file path contains a NUL byte".into()));
    }
    Ok(())
}

fn now() -> i64 {
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

    pub(crate) fn new_file<'a>(name: &'a str, scope: Option<&'a str>, datatype: Option<&'a str>, mtime: i64) -> Result<NewFile<'a>> {
        let scope = scope.unwrap_or(DEFAULT_SCOPE);
        let datatype = datatype.unwrap_or_else(|| mime::guess(name));
        if scope.len() > MAX_SCOPE {
            return Err(Error::InvalidArgument(format!("scope '{scope}' is longer than {MAX_SCOPE} bytes")));
        }
        if datatype.len() > MAX_DATATYPE {
            return Err(Error::InvalidArgument(format!("datatype is longer than {MAX_DATATYPE} bytes")));
        }
        Ok(NewFile { name, name_trunk: name, datatype, scope, mtime })
    }

    pub fn metadata(&self, name: &str) -> Result<Option<FileMeta>> {
        check_name(name)?;
        with_backend(self.config, |b| b.metadata(name))
    }

    /// Stores the local file `name` under the same name. `Ok(false)` when
    /// there is no such local file.
    pub fn store_file(&self, name: &str, scope: Option<&str>, datatype: Option<&str>) -> Result<bool> {
        check_name(name)?;
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
        let new = Self::new_file(name, scope, datatype, mtime)?;
        with_backend(self.config, |b| b.store(&new, &mut file, self.config.chunk_size)).map(|_| true)
    }

    pub fn store_contents(&self, name: &str, contents: &[u8], scope: Option<&str>, datatype: Option<&str>) -> Result<()> {
        check_name(name)?;
        let new = Self::new_file(name, scope, datatype, now())?;
        let mut source = Cursor::new(contents);
        with_backend(self.config, |b| b.store(&new, &mut source, self.config.chunk_size)).map(drop)
    }

    /// Copies the stored file `name` to the local path `dest` (atomically:
    /// temp file + rename), with the stored mtime, by which a later look can
    /// tell whether the copy is current. `Ok(None)` when there is no such
    /// stored file.
    pub fn fetch_to_file(&self, name: &str, dest: &str) -> Result<Option<FileMeta>> {
        check_name(name)?;
        check_name(dest)?;
        if self.is_local() && name == dest {
            return self.metadata(name);
        }
        let mut found = None;
        // Fetch into the temp file; only a complete fetch is renamed into place.
        write_atomically(Path::new(dest), |file| {
            found = with_backend(self.config, |b| b.fetch(name, &mut FileSink { file }))?;
            if let Some(meta) = &found {
                let mtime = UNIX_EPOCH + std::time::Duration::from_secs(meta.mtime.max(0) as u64);
                file.set_modified(mtime).map_err(|e| Error::io(dest, e))?;
            }
            Ok(found.is_some())
        })?;
        Ok(found)
    }

    pub fn fetch_contents(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_name(name)?;
        let mut sink = VecSink(Vec::new());
        let found = with_backend(self.config, |b| b.fetch(name, &mut sink))?;
        Ok(found.map(|_| sink.0))
    }

    pub fn delete(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        with_backend(self.config, |b| b.delete(name))
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
