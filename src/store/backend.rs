//! The backend boundary. `Backend` is what the rest of the product uses; the
//! three SQL databases implement the smaller `SqlConnection` (one statement per
//! method) and share every algorithm through `SqlBackend`, so a new database
//! (Oracle, say) is one `SqlConnection` impl.

use std::io::{Read, Seek, SeekFrom};

use md5::{Digest, Md5};

use super::cache::{GenerationLocks, LockRow, LockStatements};
use super::error::{Error, Result};

/// One row of `ezdbfile`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub name: String,
    pub name_trunk: String,
    pub datatype: String,
    pub scope: String,
    pub size: u64,
    /// Seconds since the epoch; negative once the file is deleted.
    pub mtime: i64,
    pub expired: bool,
}

impl FileMeta {
    /// The metadata `select_joined_range` rows carry: a live file's datatype,
    /// size and mtime; the name is the caller's, name_trunk and scope unread.
    pub fn served(datatype: String, size: u64, mtime: i64) -> Self {
        FileMeta { name: String::new(), name_trunk: String::new(), datatype, scope: String::new(), size, mtime, expired: false }
    }

    /// A soft-deleted file (`expired = 1`, negative mtime) no longer exists.
    pub fn is_deleted(&self) -> bool {
        self.expired || self.mtime < 0
    }
}

/// What a store writes besides the data.
#[derive(Clone, Debug)]
pub struct NewFile<'a> {
    pub name: &'a str,
    pub name_trunk: &'a str,
    pub datatype: &'a str,
    pub scope: &'a str,
    pub mtime: i64,
}

/// Where the data of a store comes from. Seek lets a retried store start over.
pub trait Source: Read + Seek {}
impl<T: Read + Seek> Source for T {}

/// Receives a fetched file: its metadata first, then its bytes in order.
/// `begin` may come again after a failure (a retried fetch): the sink must
/// then drop what it had received and start over.
pub trait FetchSink {
    fn begin(&mut self, meta: &FileMeta) -> Result<()>;
    fn data(&mut self, bytes: &[u8]) -> Result<()>;
}

/// Receives chunks of a fetched file with their offsets: metadata first, then
/// the chunk at offset 0 (the empty file has none), then the selected chunks
/// in order. `begin` may come again after a failure (a retried fetch).
pub trait ChunkSink {
    fn begin(&mut self, meta: &FileMeta) -> Result<()>;
    fn chunk(&mut self, offset: u64, bytes: &[u8]) -> Result<()>;
}

pub trait Backend: Send {
    /// "mysql", "pgsql", "sqlite" or "ezfs".
    fn kind(&self) -> &'static str;
    /// The cache generation locks; `None` where there is no shared store to
    /// lock (ezfs serves one host, like eZ Publish's own ezfs handler).
    fn generation_locks(&mut self) -> Option<&mut dyn GenerationLocks> {
        None
    }
    /// Creates the tables if they are missing; harmless when they exist.
    fn create_tables(&mut self) -> Result<()>;
    /// Metadata of a live (not deleted) file.
    fn metadata(&mut self, name: &str) -> Result<Option<FileMeta>>;
    /// Stores the whole of `data` under `file.name`, replacing any previous
    /// version atomically: readers see the old or the new file, never a mix,
    /// and a failure midway leaves the old one. Returns the bytes stored.
    fn store(&mut self, file: &NewFile, data: &mut dyn Source, chunk_size: usize) -> Result<u64>;
    /// Streams a live file into `sink`; `Ok(None)` when there is none.
    fn fetch(&mut self, name: &str, sink: &mut dyn FetchSink) -> Result<Option<FileMeta>>;
    /// Streams a live file's chunk at offset 0 and its chunks whose offset
    /// lies in `lo..=hi` into `sink`, in one consistent read (what HTTP
    /// serving needs: the first chunk for the validator, then the requested
    /// ranges); `Ok(None)` when there is no such file. The metadata may carry
    /// only the name, datatype, size and mtime (name_trunk and scope empty).
    fn fetch_range(&mut self, name: &str, lo: u64, hi: u64, sink: &mut dyn ChunkSink) -> Result<Option<FileMeta>>;
    /// Soft delete. Returns whether a live file was deleted.
    fn delete(&mut self, name: &str) -> Result<bool>;
    /// Names of live files, optionally only (or all but) those with the given scopes.
    fn list(&mut self, scopes: &ScopeFilter) -> Result<Vec<String>> {
        let rows = self.names(&NameQuery::live(NameMatch::Prefix("")))?;
        Ok(rows.into_iter().filter(|m| scopes.accepts(&m.scope)).map(|m| m.name).collect())
    }
    /// Metadata of the files `query` selects, in name order.
    fn names(&mut self, query: &NameQuery) -> Result<Vec<FileMeta>>;
    /// Soft-deletes every live file of `names` in one transaction; returns how many.
    fn delete_many(&mut self, names: &[String]) -> Result<u64>;
    /// Removes for good those of `names` that are soft-deleted (a file stored
    /// again meanwhile is left alone); returns how many.
    fn purge(&mut self, names: &[String]) -> Result<u64>;
    /// Copies the live file `from` to `to` (replacing it atomically), or moves
    /// it when `remove_source`. `Ok(false)` when `from` does not exist.
    fn copy(&mut self, from: &str, to: &str, remove_source: bool) -> Result<bool>;
}

#[derive(Clone, Debug, Default)]
pub enum ScopeFilter {
    #[default]
    All,
    Only(Vec<String>),
    Except(Vec<String>),
}

impl ScopeFilter {
    pub fn accepts(&self, scope: &str) -> bool {
        match self {
            ScopeFilter::All => true,
            ScopeFilter::Only(s) => s.iter().any(|x| x == scope),
            ScopeFilter::Except(s) => !s.iter().any(|x| x == scope),
        }
    }
}

/// Which rows a name query selects. Matching is exact and case-sensitive on
/// every backend: `%`, `_` and `\\` in a prefix are data, never patterns.
#[derive(Clone, Copy, Debug)]
pub enum NameMatch<'a> {
    /// Names starting with this string (`""`: every name).
    Prefix(&'a str),
    /// Rows whose `name_trunk` is exactly this (a group of cache variants).
    Trunk(&'a str),
}

#[derive(Clone, Copy, Debug)]
pub struct NameQuery<'a> {
    pub matching: NameMatch<'a>,
    /// Soft-deleted rows instead of live ones.
    pub deleted: bool,
    /// Only rows whose `ABS(mtime)` is below this (purge's `$expiry`).
    pub older_than: Option<i64>,
    pub limit: Option<u64>,
}

impl<'a> NameQuery<'a> {
    pub fn live(matching: NameMatch<'a>) -> Self {
        NameQuery { matching, deleted: false, older_than: None, limit: None }
    }
}

/// A `LIKE` pattern (escape character `!`) matching names that start with `prefix`.
pub fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '!' | '%' | '_') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `name_hash`: md5 of the name as lowercase hex, as eZ Publish computes it.
pub fn name_hash(name: &str) -> String {
    let digest = Md5::digest(name.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills `buf` with up to `max` bytes; fewer only at end of input.
pub fn read_chunk(source: &mut dyn Source, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    buf.clear();
    let mut limited = source.take(max as u64);
    limited.read_to_end(buf)
}

/// One row of the metadata+chunks join, as a `SqlConnection` streams it.
pub struct JoinedRow<'a> {
    /// Set on the first row only.
    pub meta: Option<FileMeta>,
    /// `None` for a file with no chunk rows (the empty file).
    pub chunk: Option<(u64, &'a [u8])>,
}

/// The statements a SQL database must provide. Each method is one statement
/// (or one round trip); `SqlBackend` composes them into transactions.
pub trait SqlConnection: Send + LockStatements {
    fn kind(&self) -> &'static str;
    fn create_tables(&mut self) -> Result<()>;
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;
    /// Insert or replace the `ezdbfile` row (expired = 0).
    fn upsert_meta(&mut self, hash: &str, file: &NewFile, size: u64) -> Result<()>;
    fn set_size(&mut self, hash: &str, size: u64) -> Result<()>;
    fn delete_chunks(&mut self, hash: &str) -> Result<()>;
    fn insert_chunk(&mut self, hash: &str, offset: u64, data: &[u8]) -> Result<()>;
    /// The `ezdbfile` row whatever its state.
    fn select_meta(&mut self, hash: &str) -> Result<Option<FileMeta>>;
    /// One statement joining a live file's metadata with its chunks in offset
    /// order, streamed row by row (one statement = one consistent snapshot).
    fn select_joined(&mut self, hash: &str, row: &mut dyn FnMut(JoinedRow) -> Result<()>) -> Result<()>;
    /// Like `select_joined`, but only the chunks at offset 0 and in `lo..=hi`,
    /// and only the metadata serving needs (`FileMeta::served`): every
    /// column read costs the server time on each image request.
    fn select_joined_range(
        &mut self,
        hash: &str,
        lo: u64,
        hi: u64,
        row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()>;
    /// `mtime = -ABS(mtime), expired = 1` on a live file; returns rows changed.
    fn soft_delete(&mut self, hash: &str) -> Result<u64>;
    /// The rows `query` selects, in name order.
    fn select_names(&mut self, query: &NameQuery, row: &mut dyn FnMut(FileMeta)) -> Result<()>;
    /// The `ezdbfile` row, locked against concurrent writers until the
    /// transaction ends (so a copy reads one version of the file).
    fn lock_meta(&mut self, hash: &str) -> Result<Option<FileMeta>>;
    /// Deletes the `ezdbfile` row if it is soft-deleted; returns rows deleted.
    fn delete_deleted_meta(&mut self, hash: &str) -> Result<u64>;
    /// Copies the chunk rows of `from` to `to`, on the server.
    fn copy_chunks(&mut self, from: &str, to: &str) -> Result<()>;
    /// Hands the chunk rows of `from` over to `to`, on the server.
    fn move_chunks(&mut self, from: &str, to: &str) -> Result<()>;
}

/// `Backend` for any `SqlConnection`.
pub struct SqlBackend<C: SqlConnection> {
    conn: C,
}

impl<C: SqlConnection> SqlBackend<C> {
    pub fn new(conn: C) -> Self {
        SqlBackend { conn }
    }

    /// Runs `body` in a transaction: committed on success, rolled back on error.
    fn transaction<T>(&mut self, body: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
        self.conn.begin()?;
        match body(&mut self.conn) {
            Ok(v) => {
                self.conn.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters; a failed rollback (e.g. the
                // connection is gone) is implied by it.
                let _ = self.conn.rollback();
                Err(e)
            }
        }
    }

    /// Stores `data` as `file` (see `Backend::store`) provided `precondition`,
    /// run first in the same transaction, answers true; `Ok(None)` otherwise,
    /// with nothing changed. The precondition may adjust the file (its mtime).
    fn store_if(
        &mut self,
        file: &NewFile,
        data: &mut dyn Source,
        chunk_size: usize,
        precondition: impl FnOnce(&mut C, &mut NewFile) -> Result<bool>,
    ) -> Result<Option<u64>> {
        let hash = name_hash(file.name);
        data.seek(SeekFrom::Start(0)).map_err(Error::Sink)?;
        let expected = {
            let end = data.seek(SeekFrom::End(0)).map_err(Error::Sink)?;
            data.seek(SeekFrom::Start(0)).map_err(Error::Sink)?;
            end
        };
        // Everything in one transaction: until commit, readers keep seeing the
        // previous version, and a killed writer's rows roll back.
        let mut file = file.clone();
        // A failed precondition changed nothing: committing that is a no-op.
        self.transaction(|conn| {
            if !precondition(conn, &mut file)? {
                return Ok(None);
            }
            conn.upsert_meta(&hash, &file, expected)?;
            conn.delete_chunks(&hash)?;
            let mut buf = Vec::with_capacity(chunk_size);
            let mut offset = 0u64;
            loop {
                let n = read_chunk(data, &mut buf, chunk_size).map_err(Error::Sink)?;
                if n == 0 {
                    break;
                }
                conn.insert_chunk(&hash, offset, &buf)?;
                offset += n as u64;
            }
            if offset != expected {
                conn.set_size(&hash, offset)?;
            }
            Ok(Some(offset))
        })
    }
}

impl<C: SqlConnection> Backend for SqlBackend<C> {
    fn kind(&self) -> &'static str {
        self.conn.kind()
    }

    fn generation_locks(&mut self) -> Option<&mut dyn GenerationLocks> {
        Some(self)
    }

    fn create_tables(&mut self) -> Result<()> {
        self.conn.create_tables()
    }

    fn metadata(&mut self, name: &str) -> Result<Option<FileMeta>> {
        Ok(self.conn.select_meta(&name_hash(name))?.filter(|m| !m.is_deleted()))
    }

    fn store(&mut self, file: &NewFile, data: &mut dyn Source, chunk_size: usize) -> Result<u64> {
        let stored = self.store_if(file, data, chunk_size, |_, _| Ok(true))?;
        Ok(stored.expect("an unconditional store happens"))
    }

    fn fetch(&mut self, name: &str, sink: &mut dyn FetchSink) -> Result<Option<FileMeta>> {
        let mut meta: Option<FileMeta> = None;
        let mut received = 0u64;
        self.conn.select_joined(&name_hash(name), &mut |row| {
            if let Some(m) = row.meta {
                sink.begin(&m)?;
                meta = Some(m);
            }
            let m = meta.as_ref().expect("first row carries the metadata");
            if let Some((offset, bytes)) = row.chunk {
                if offset != received {
                    return Err(Error::Corrupt {
                        name: m.name.clone(),
                        message: format!("expected a chunk at offset {received}, found offset {offset}"),
                    });
                }
                received += bytes.len() as u64;
                sink.data(bytes)?;
            }
            Ok(())
        })?;
        match meta {
            Some(m) if received != m.size => Err(Error::Corrupt {
                name: m.name,
                message: format!("size is {} but the chunks hold {received} bytes", m.size),
            }),
            other => Ok(other),
        }
    }

    fn fetch_range(&mut self, name: &str, lo: u64, hi: u64, sink: &mut dyn ChunkSink) -> Result<Option<FileMeta>> {
        let mut meta: Option<FileMeta> = None;
        // End of the previous chunk: offsets must rise, chunk 0 first, and
        // no chunk may reach past the size.
        let mut end: Option<u64> = None;
        self.conn.select_joined_range(&name_hash(name), lo, hi, &mut |row| {
            if let Some(mut m) = row.meta {
                m.name = name.to_string();
                sink.begin(&m)?;
                meta = Some(m);
                end = None;
            }
            let m = meta.as_ref().expect("first row carries the metadata");
            if let Some((offset, bytes)) = row.chunk {
                let misplaced = match end {
                    None => offset != 0,
                    Some(e) => offset < e,
                };
                if misplaced || offset + bytes.len() as u64 > m.size {
                    return Err(Error::Corrupt {
                        name: m.name.clone(),
                        message: format!("unexpected chunk of {} bytes at offset {offset}", bytes.len()),
                    });
                }
                end = Some(offset + bytes.len() as u64);
                sink.chunk(offset, bytes)?;
            }
            Ok(())
        })?;
        match meta {
            Some(m) if m.size > 0 && end.is_none() => {
                Err(Error::Corrupt { name: m.name, message: format!("size is {} but there is no chunk", m.size) })
            }
            other => Ok(other),
        }
    }

    fn delete(&mut self, name: &str) -> Result<bool> {
        Ok(self.conn.soft_delete(&name_hash(name))? > 0)
    }

    fn names(&mut self, query: &NameQuery) -> Result<Vec<FileMeta>> {
        let mut rows = Vec::new();
        self.conn.select_names(query, &mut |m| rows.push(m))?;
        Ok(rows)
    }

    fn delete_many(&mut self, names: &[String]) -> Result<u64> {
        self.transaction(|conn| {
            names.iter().try_fold(0, |n, name| Ok(n + conn.soft_delete(&name_hash(name))?))
        })
    }

    fn purge(&mut self, names: &[String]) -> Result<u64> {
        self.transaction(|conn| {
            let mut purged = 0;
            for name in names {
                let hash = name_hash(name);
                // The row goes first, and only while it is soft-deleted: a
                // file stored again since the caller listed it keeps its chunks.
                if conn.delete_deleted_meta(&hash)? > 0 {
                    conn.delete_chunks(&hash)?;
                    purged += 1;
                }
            }
            Ok(purged)
        })
    }

    fn copy(&mut self, from: &str, to: &str, remove_source: bool) -> Result<bool> {
        if from == to {
            return self.metadata(from).map(|m| m.is_some());
        }
        let (from_hash, to_hash) = (name_hash(from), name_hash(to));
        self.transaction(|conn| {
            let Some(source) = conn.lock_meta(&from_hash)?.filter(|m| !m.is_deleted()) else {
                return Ok(false);
            };
            let trunk = super::names::name_trunk(to, &source.scope);
            let target = NewFile {
                name: to,
                name_trunk: &trunk,
                datatype: &source.datatype,
                scope: &source.scope,
                mtime: source.mtime,
            };
            conn.upsert_meta(&to_hash, &target, source.size)?;
            conn.delete_chunks(&to_hash)?;
            if remove_source {
                conn.move_chunks(&from_hash, &to_hash)?;
                conn.soft_delete(&from_hash)?;
            } else {
                conn.copy_chunks(&from_hash, &to_hash)?;
            }
            Ok(true)
        })
    }
}

/// The generation-lock protocol on the lock row `<name>.generating` (see
/// `cache`): every change is a compare-and-set on the row's (token, mtime).
impl<C: SqlConnection> GenerationLocks for SqlBackend<C> {
    fn insert_lock(&mut self, lock_name: &str, row: &LockRow) -> Result<bool> {
        Ok(self.conn.insert_lock(&name_hash(lock_name), lock_name, row)? == 1)
    }

    fn lock_row(&mut self, lock_name: &str) -> Result<Option<LockRow>> {
        // A soft-deleted lock (a cache clear marked it) keeps its row with a
        // negative mtime, which makes it long expired: taken over, not waited for.
        Ok(self.conn.select_meta(&name_hash(lock_name))?.map(|m| LockRow { token: m.datatype, mtime: m.mtime }))
    }

    fn swap_lock(&mut self, lock_name: &str, seen: &LockRow, new: &LockRow) -> Result<bool> {
        Ok(self.conn.swap_lock(&name_hash(lock_name), seen, new)? == 1)
    }

    fn delete_lock(&mut self, lock_name: &str, held: &LockRow) -> Result<bool> {
        Ok(self.conn.delete_lock(&name_hash(lock_name), held)? == 1)
    }

    fn store_locked(
        &mut self,
        lock_name: &str,
        held: &LockRow,
        next: Option<&LockRow>,
        file: &NewFile,
        data: &mut dyn Source,
        chunk_size: usize,
    ) -> Result<Option<(u64, i64)>> {
        let lock_hash = name_hash(lock_name);
        let file_hash = name_hash(file.name);
        let mut mtime = file.mtime;
        let stored = self.store_if(file, data, chunk_size, |conn, file| {
            let still_ours = match next {
                Some(next) => conn.swap_lock(&lock_hash, held, next)?,
                None => conn.delete_lock(&lock_hash, held)?,
            } == 1;
            if still_ours {
                // Each version gets a later mtime than the one it replaces, so
                // a local copy (compared by mtime and size) is never mistaken
                // for a version stored in the same second.
                if let Some(previous) = conn.select_meta(&file_hash)? {
                    file.mtime = file.mtime.max(previous.mtime.abs() + 1);
                }
                mtime = file.mtime;
            }
            Ok(still_ours)
        })?;
        Ok(stored.map(|size| (size, mtime)))
    }
}
