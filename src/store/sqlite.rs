//! Embedded SQLite: one database file for one host, zero setup.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::backend::{FileMeta, JoinedRow, NameMatch, NameQuery, NewFile, SqlConnection};
use super::cache::{LockRow, LockStatements};
use super::error::{Error, Result};
use super::settings::Config;

const KIND: &str = "sqlite";

pub struct SqliteConnection {
    conn: Connection,
}

fn db_error(e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, DatabaseBusy | DatabaseLocked) => {
            Error::Retryable { backend: KIND, message: e.to_string() }
        }
        _ => Error::Database { backend: KIND, message: e.to_string() },
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ezdbfile (
  datatype   VARCHAR(255) NOT NULL DEFAULT 'application/octet-stream',
  name       TEXT NOT NULL,
  name_trunk TEXT NOT NULL,
  name_hash  VARCHAR(34) NOT NULL PRIMARY KEY,
  scope      VARCHAR(20) NOT NULL DEFAULT '',
  size       BIGINT NOT NULL,
  mtime      INTEGER NOT NULL DEFAULT 0,
  expired    BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ezdbfile_name ON ezdbfile (name);
CREATE INDEX IF NOT EXISTS ezdbfile_name_trunk ON ezdbfile (name_trunk);
CREATE INDEX IF NOT EXISTS ezdbfile_mtime ON ezdbfile (mtime);
CREATE INDEX IF NOT EXISTS ezdbfile_expired_name ON ezdbfile (expired, name);
CREATE TABLE IF NOT EXISTS ezdbfile_data (
  name_hash VARCHAR(34) NOT NULL REFERENCES ezdbfile (name_hash) ON DELETE CASCADE,
  \"offset\" INTEGER NOT NULL,
  filedata  BLOB NOT NULL,
  PRIMARY KEY (name_hash, \"offset\")
);
";

impl SqliteConnection {
    pub fn open(config: &Config) -> Result<Self> {
        let path = config.sqlite_path();
        let connect_error = |message: String| Error::Connect { backend: KIND, address: path.clone(), message };
        if let Some(dir) = std::path::Path::new(&path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| connect_error(e.to_string()))?;
        }
        let conn = Connection::open(&path).map_err(|e| connect_error(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(|e| connect_error(e.to_string()))?;
        // WAL: readers keep reading the last committed version while a store runs.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| connect_error(e.to_string()))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(|e| connect_error(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| connect_error(e.to_string()))?;
        Ok(SqliteConnection { conn })
    }
}

fn meta_from_row(row: &rusqlite::Row) -> rusqlite::Result<FileMeta> {
    Ok(FileMeta {
        name: row.get(0)?,
        name_trunk: row.get(1)?,
        datatype: row.get(2)?,
        scope: row.get(3)?,
        size: row.get::<_, i64>(4)? as u64,
        mtime: row.get(5)?,
        expired: row.get(6)?,
    })
}

const META_COLUMNS: &str = "f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired";

/// A live file's metadata (`meta_columns`) with its chunks in offset order,
/// chunks limited by `chunk_filter`; the empty file (no chunk rows) still
/// gives one row.
fn joined_sql(meta_columns: &str, chunk_filter: &str) -> String {
    format!(
        "SELECT {meta_columns}, d.\"offset\", d.filedata FROM ezdbfile f
         LEFT JOIN ezdbfile_data d ON d.name_hash = f.name_hash {chunk_filter}
         WHERE f.name_hash = ?1 AND f.expired = 0 AND f.mtime >= 0
         ORDER BY d.\"offset\""
    )
}

/// Offsets are INTEGER (i64); a bound past that means "to the end".
fn clamp(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

impl SqliteConnection {
    /// Runs a `joined_sql` statement, handing each row over as it is read;
    /// `read_meta` reads the metadata columns, which `offset` and `filedata`
    /// follow.
    fn joined_rows(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
        read_meta: impl Fn(&rusqlite::Row) -> rusqlite::Result<FileMeta>,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_error)?;
        let at = stmt.column_count() - 2;
        let mut rows = stmt.query(params).map_err(db_error)?;
        let mut first = true;
        while let Some(row) = rows.next().map_err(db_error)? {
            let meta = if first { Some(read_meta(row).map_err(db_error)?) } else { None };
            first = false;
            let offset: Option<i64> = row.get(at).map_err(db_error)?;
            let data = row.get_ref(at + 1).map_err(db_error)?;
            let chunk = match (offset, data) {
                (Some(o), rusqlite::types::ValueRef::Blob(b)) => Some((o as u64, b)),
                _ => None,
            };
            on_row(JoinedRow { meta, chunk })?;
        }
        Ok(())
    }
}

impl SqlConnection for SqliteConnection {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn create_tables(&mut self) -> Result<()> {
        self.conn.execute_batch(SCHEMA).map_err(db_error)
    }

    fn begin(&mut self) -> Result<()> {
        // IMMEDIATE takes the write lock up front, so two writers queue on
        // busy_timeout instead of failing at their first write.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_error)
    }

    fn commit(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(db_error)
    }

    fn rollback(&mut self) -> Result<()> {
        self.conn.execute_batch("ROLLBACK").map_err(db_error)
    }

    fn upsert_meta(&mut self, hash: &str, file: &NewFile, size: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)
                 ON CONFLICT (name_hash) DO UPDATE SET datatype = excluded.datatype, name = excluded.name,
                   name_trunk = excluded.name_trunk, scope = excluded.scope, size = excluded.size,
                   mtime = excluded.mtime, expired = 0",
            )
            .and_then(|mut s| {
                s.execute(params![file.datatype, file.name, file.name_trunk, hash, file.scope, size as i64, file.mtime])
            })
            .map(drop)
            .map_err(db_error)
    }

    fn set_size(&mut self, hash: &str, size: u64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE ezdbfile SET size = ?1 WHERE name_hash = ?2")
            .and_then(|mut s| s.execute(params![size as i64, hash]))
            .map(drop)
            .map_err(db_error)
    }

    fn delete_chunks(&mut self, hash: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM ezdbfile_data WHERE name_hash = ?1")
            .and_then(|mut s| s.execute(params![hash]))
            .map(drop)
            .map_err(db_error)
    }

    fn insert_chunk(&mut self, hash: &str, offset: u64, data: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO ezdbfile_data (name_hash, \"offset\", filedata) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![hash, offset as i64, data]))
            .map(drop)
            .map_err(db_error)
    }

    fn select_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        self.conn
            .prepare_cached(&format!("SELECT {META_COLUMNS} FROM ezdbfile f WHERE f.name_hash = ?1"))
            .and_then(|mut s| s.query_row(params![hash], meta_from_row).optional())
            .map_err(db_error)
    }

    fn select_joined(&mut self, hash: &str, on_row: &mut dyn FnMut(JoinedRow) -> Result<()>) -> Result<()> {
        self.joined_rows(&joined_sql(META_COLUMNS, ""), params![hash], meta_from_row, on_row)
    }

    fn select_joined_range(
        &mut self,
        hash: &str,
        lo: u64,
        hi: u64,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        // Only what serving reads (see `SqlConnection::select_joined_range`).
        let sql = joined_sql("f.datatype, f.size, f.mtime", "AND (d.\"offset\" = 0 OR d.\"offset\" BETWEEN ?2 AND ?3)");
        let served = |row: &rusqlite::Row| Ok(FileMeta::served(row.get(0)?, row.get::<_, i64>(1)? as u64, row.get(2)?));
        self.joined_rows(&sql, params![hash, clamp(lo), clamp(hi)], served, on_row)
    }

    fn soft_delete(&mut self, hash: &str) -> Result<u64> {
        self.conn
            .prepare_cached(
                "UPDATE ezdbfile SET mtime = -ABS(mtime), expired = 1
                 WHERE name_hash = ?1 AND expired = 0 AND mtime >= 0",
            )
            .and_then(|mut s| s.execute(params![hash]))
            .map(|n| n as u64)
            .map_err(db_error)
    }

    fn select_names(&mut self, query: &NameQuery, on_row: &mut dyn FnMut(FileMeta)) -> Result<()> {
        // GLOB, unlike LIKE, is case-sensitive and can use the name index.
        const FILTER: &str = "((f.expired = 0 AND f.mtime >= 0) <> ?2) AND ABS(f.mtime) < ?3 ORDER BY f.name LIMIT ?4";
        let (sql, key) = match query.matching {
            NameMatch::Prefix(p) => (format!("SELECT {META_COLUMNS} FROM ezdbfile f WHERE f.name GLOB ?1 AND {FILTER}"), glob_prefix(p)),
            NameMatch::Trunk(t) => (format!("SELECT {META_COLUMNS} FROM ezdbfile f WHERE f.name_trunk = ?1 AND {FILTER}"), t.to_string()),
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(db_error)?;
        let limit = query.limit.map_or(i64::MAX, |l| l.min(i64::MAX as u64) as i64);
        let mut rows = stmt
            .query(params![key, query.deleted, query.older_than.unwrap_or(i64::MAX), limit])
            .map_err(db_error)?;
        while let Some(row) = rows.next().map_err(db_error)? {
            on_row(meta_from_row(row).map_err(db_error)?);
        }
        Ok(())
    }

    fn lock_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        // The transaction's BEGIN IMMEDIATE already excludes other writers.
        self.select_meta(hash)
    }

    fn delete_deleted_meta(&mut self, hash: &str) -> Result<u64> {
        self.conn
            .prepare_cached("DELETE FROM ezdbfile WHERE name_hash = ?1 AND (expired <> 0 OR mtime < 0)")
            .and_then(|mut s| s.execute(params![hash]))
            .map(|n| n as u64)
            .map_err(db_error)
    }

    fn copy_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO ezdbfile_data (name_hash, \"offset\", filedata)
                 SELECT ?1, \"offset\", filedata FROM ezdbfile_data WHERE name_hash = ?2",
            )
            .and_then(|mut s| s.execute(params![to, from]))
            .map(drop)
            .map_err(db_error)
    }

    fn move_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE ezdbfile_data SET name_hash = ?1 WHERE name_hash = ?2")
            .and_then(|mut s| s.execute(params![to, from]))
            .map(drop)
            .map_err(db_error)
    }
}

/// A GLOB pattern matching names that start with `prefix`.
fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        match c {
            '*' => pattern.push_str("[*]"),
            '?' => pattern.push_str("[?]"),
            '[' => pattern.push_str("[[]"),
            c => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

impl LockStatements for SqliteConnection {
    fn insert_lock(&mut self, hash: &str, lock_name: &str, row: &LockRow) -> Result<u64> {
        self.conn
            .prepare_cached(
                "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
                 VALUES (?1, ?2, ?2, ?3, '', 0, ?4, 0) ON CONFLICT (name_hash) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![row.token, lock_name, hash, row.mtime]))
            .map(|n| n as u64)
            .map_err(db_error)
    }

    fn swap_lock(&mut self, hash: &str, seen: &LockRow, new: &LockRow) -> Result<u64> {
        self.conn
            .prepare_cached(
                "UPDATE ezdbfile SET datatype = ?1, mtime = ?2, expired = 0
                 WHERE name_hash = ?3 AND datatype = ?4 AND mtime = ?5",
            )
            .and_then(|mut s| s.execute(params![new.token, new.mtime, hash, seen.token, seen.mtime]))
            .map(|n| n as u64)
            .map_err(db_error)
    }

    fn delete_lock(&mut self, hash: &str, held: &LockRow) -> Result<u64> {
        self.conn
            .prepare_cached("DELETE FROM ezdbfile WHERE name_hash = ?1 AND datatype = ?2 AND mtime = ?3")
            .and_then(|mut s| s.execute(params![hash, held.token, held.mtime]))
            .map(|n| n as u64)
            .map_err(db_error)
    }
}
