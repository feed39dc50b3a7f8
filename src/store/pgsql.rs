//! PostgreSQL through the synchronous `postgres` client: eZ's two tables with
//! native types (`BIGINT`, `BYTEA`), every statement prepared once per
//! connection.

use std::collections::HashMap;
use std::time::Duration;

use postgres::error::{Severity, SqlState};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, SimpleQueryMessage, Statement};

use super::backend::{like_prefix, FileMeta, JoinedRow, NameMatch, NameQuery, NewFile, SqlConnection};
use super::cache::{LockRow, LockStatements};
use super::error::{Error, Result};
use super::settings::Config;

const KIND: &str = "pgsql";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `true` when every table and index of `SCHEMA` exists.
const SCHEMA_EXISTS: &str = "SELECT to_regclass('ezdbfile') IS NOT NULL AND to_regclass('ezdbfile_data') IS NOT NULL
  AND to_regclass('ezdbfile_name') IS NOT NULL AND to_regclass('ezdbfile_name_trunk') IS NOT NULL
  AND to_regclass('ezdbfile_mtime') IS NOT NULL AND to_regclass('ezdbfile_expired_name') IS NOT NULL";

// Sent as one simple query, which PostgreSQL runs as one implicit transaction:
// the advisory lock serialises concurrent creators (two CREATE ... IF NOT
// EXISTS racing can otherwise fail with a unique violation) and is released
// at its end, as is everything on error.
const SCHEMA: &str = "
SELECT pg_advisory_xact_lock(hashtext('ezcluster.create_tables'));
CREATE TABLE IF NOT EXISTS ezdbfile (
  datatype   VARCHAR(255) NOT NULL DEFAULT 'application/octet-stream',
  name       TEXT NOT NULL,
  name_trunk TEXT NOT NULL,
  name_hash  VARCHAR(34) NOT NULL PRIMARY KEY,
  scope      VARCHAR(20) NOT NULL DEFAULT '',
  size       BIGINT NOT NULL,
  mtime      INTEGER NOT NULL DEFAULT 0,
  expired    SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ezdbfile_name ON ezdbfile (name);
CREATE INDEX IF NOT EXISTS ezdbfile_name_trunk ON ezdbfile (name_trunk);
CREATE INDEX IF NOT EXISTS ezdbfile_mtime ON ezdbfile (mtime);
CREATE INDEX IF NOT EXISTS ezdbfile_expired_name ON ezdbfile (expired, name);
CREATE TABLE IF NOT EXISTS ezdbfile_data (
  name_hash VARCHAR(34) NOT NULL REFERENCES ezdbfile (name_hash) ON DELETE CASCADE,
  \"offset\"  BIGINT NOT NULL,
  filedata  BYTEA NOT NULL,
  PRIMARY KEY (name_hash, \"offset\")
);
";

const UPSERT_META: &str = "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
 VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
 ON CONFLICT (name_hash) DO UPDATE SET datatype = EXCLUDED.datatype, name = EXCLUDED.name,
   name_trunk = EXCLUDED.name_trunk, scope = EXCLUDED.scope, size = EXCLUDED.size,
   mtime = EXCLUDED.mtime, expired = 0";
const SET_SIZE: &str = "UPDATE ezdbfile SET size = $1 WHERE name_hash = $2";
const DELETE_CHUNKS: &str = "DELETE FROM ezdbfile_data WHERE name_hash = $1";
const INSERT_CHUNK: &str = "INSERT INTO ezdbfile_data (name_hash, \"offset\", filedata) VALUES ($1, $2, $3)";
// Both SELECTs start with the columns `meta_from_row` reads.
const SELECT_META: &str = "SELECT f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired
 FROM ezdbfile f WHERE f.name_hash = $1";
const SELECT_JOINED: &str = "SELECT f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired,
   d.\"offset\", d.filedata
 FROM ezdbfile f LEFT JOIN ezdbfile_data d ON d.name_hash = f.name_hash
 WHERE f.name_hash = $1 AND f.expired = 0 AND f.mtime >= 0
 ORDER BY d.\"offset\"";
// Only what serving reads (see `SqlConnection::select_joined_range`).
const SELECT_JOINED_RANGE: &str = "SELECT f.datatype, f.size, f.mtime, d.\"offset\", d.filedata
 FROM ezdbfile f LEFT JOIN ezdbfile_data d ON d.name_hash = f.name_hash
   AND (d.\"offset\" = 0 OR d.\"offset\" BETWEEN $2 AND $3)
 WHERE f.name_hash = $1 AND f.expired = 0 AND f.mtime >= 0
 ORDER BY d.\"offset\"";
const SOFT_DELETE: &str = "UPDATE ezdbfile SET mtime = -ABS(mtime), expired = 1
 WHERE name_hash = $1 AND expired = 0 AND mtime >= 0";
const SELECT_BY_PREFIX: &str = "SELECT f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired
 FROM ezdbfile f WHERE f.name LIKE $1 ESCAPE '!'
   AND ((f.expired = 0 AND f.mtime >= 0) <> $2) AND ABS(f.mtime::BIGINT) < $3::BIGINT
 ORDER BY f.name LIMIT $4::BIGINT";
const SELECT_BY_TRUNK: &str = "SELECT f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired
 FROM ezdbfile f WHERE f.name_trunk = $1
   AND ((f.expired = 0 AND f.mtime >= 0) <> $2) AND ABS(f.mtime::BIGINT) < $3::BIGINT
 ORDER BY f.name LIMIT $4::BIGINT";
const LOCK_META: &str = "SELECT f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired
 FROM ezdbfile f WHERE f.name_hash = $1 FOR UPDATE";
const DELETE_DELETED_META: &str = "DELETE FROM ezdbfile WHERE name_hash = $1 AND (expired <> 0 OR mtime < 0)";
const COPY_CHUNKS: &str = "INSERT INTO ezdbfile_data (name_hash, \"offset\", filedata)
 SELECT $1::VARCHAR, \"offset\", filedata FROM ezdbfile_data WHERE name_hash = $2";
const MOVE_CHUNKS: &str = "UPDATE ezdbfile_data SET name_hash = $1 WHERE name_hash = $2";

pub struct PgsqlConnection {
    client: Client,
    /// Keyed by their SQL. Prepared on first use, not at connect: the tables
    /// may not exist before `create_tables`.
    statements: HashMap<&'static str, Statement>,
}

/// The server's own words when there are some ("FATAL: password
/// authentication failed ..."), else the client's with their cause (the
/// client's `Display` leaves it out: "error connecting to server").
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

fn db_error(e: postgres::Error) -> Error {
    let message = describe(&e);
    match e.as_db_error() {
        Some(db)
            if [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED, SqlState::LOCK_NOT_AVAILABLE]
                .contains(db.code()) =>
        {
            Error::Retryable { backend: KIND, message }
        }
        // FATAL ends the session: server shutdown or restart, terminated backend, idle timeout.
        Some(db) if matches!(db.parsed_severity(), Some(Severity::Fatal | Severity::Panic)) => {
            Error::ConnectionLost { backend: KIND, message }
        }
        None if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) => {
            Error::ConnectionLost { backend: KIND, message }
        }
        _ => Error::Database { backend: KIND, message },
    }
}

fn meta_from_row(row: &Row) -> std::result::Result<FileMeta, postgres::Error> {
    Ok(FileMeta {
        name: row.try_get(0)?,
        name_trunk: row.try_get(1)?,
        datatype: row.try_get(2)?,
        scope: row.try_get(3)?,
        size: row.try_get::<_, i64>(4)? as u64,
        mtime: row.try_get::<_, i32>(5)?.into(),
        expired: row.try_get::<_, i16>(6)? != 0,
    })
}

/// The metadata of a `SELECT_JOINED_RANGE` row.
fn served_meta_from_row(row: &Row) -> std::result::Result<FileMeta, postgres::Error> {
    Ok(FileMeta::served(row.try_get(0)?, row.try_get::<_, i64>(1)? as u64, row.try_get::<_, i32>(2)?.into()))
}

impl PgsqlConnection {
    pub fn connect(config: &Config) -> Result<Self> {
        let mut pg = postgres::Config::new();
        if config.socket.is_empty() {
            pg.host(&config.host);
        } else {
            pg.host_path(&config.socket);
        }
        pg.port(config.port)
            .user(&config.user)
            .dbname(&config.name)
            .application_name("ezcluster")
            .connect_timeout(CONNECT_TIMEOUT);
        if !config.password.expose().is_empty() {
            pg.password(config.password.expose());
        }
        let client = pg.connect(NoTls).map_err(|e| Error::Connect {
            backend: KIND,
            address: config.address(),
            message: describe(&e),
        })?;
        Ok(PgsqlConnection { client, statements: HashMap::new() })
    }

    fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(db_error)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs a statement of the metadata+chunks join, handing each row over as
    /// it is read: the client stops reading the socket until the previous
    /// batch is consumed, so memory stays O(chunk) whatever the file size.
    /// `read_meta` reads the metadata columns, which `offset` and `filedata`
    /// follow.
    fn joined_rows(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        read_meta: fn(&Row) -> std::result::Result<FileMeta, postgres::Error>,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        let statement = self.prepared(sql)?;
        let at = statement.columns().len() - 2;
        let mut rows = self.client.query_raw(&statement, params.iter().copied()).map_err(db_error)?;
        let mut first = true;
        while let Some(row) = rows.next().map_err(db_error)? {
            let meta = if first { Some(read_meta(&row).map_err(db_error)?) } else { None };
            first = false;
            let offset: Option<i64> = row.try_get(at).map_err(db_error)?;
            let data: Option<&[u8]> = row.try_get(at + 1).map_err(db_error)?;
            let chunk = offset.zip(data).map(|(o, d)| (o as u64, d));
            on_row(JoinedRow { meta, chunk })?;
        }
        Ok(())
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.prepared(sql)?;
        self.client.execute(&statement, params).map_err(db_error)
    }
}

impl SqlConnection for PgsqlConnection {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn create_tables(&mut self) -> Result<()> {
        // CREATE INDEX IF NOT EXISTS locks the table against writers and
        // requires ownership even when the index exists, so look first.
        let found = self.client.simple_query(SCHEMA_EXISTS).map_err(db_error)?;
        if found.iter().any(|m| matches!(m, SimpleQueryMessage::Row(r) if r.get(0) == Some("t"))) {
            return Ok(());
        }
        self.client.batch_execute(SCHEMA).map_err(db_error)
    }

    fn begin(&mut self) -> Result<()> {
        self.client.batch_execute("BEGIN").map_err(db_error)
    }

    fn commit(&mut self) -> Result<()> {
        self.client.batch_execute("COMMIT").map_err(db_error)
    }

    fn rollback(&mut self) -> Result<()> {
        self.client.batch_execute("ROLLBACK").map_err(db_error)
    }

    fn upsert_meta(&mut self, hash: &str, file: &NewFile, size: u64) -> Result<()> {
        let mtime = i32::try_from(file.mtime)
            .map_err(|_| Error::InvalidArgument(format!("mtime {} does not fit the INTEGER column", file.mtime)))?;
        self.execute(
            UPSERT_META,
            &[&file.datatype, &file.name, &file.name_trunk, &hash, &file.scope, &(size as i64), &mtime],
        )
        .map(drop)
    }

    fn set_size(&mut self, hash: &str, size: u64) -> Result<()> {
        self.execute(SET_SIZE, &[&(size as i64), &hash]).map(drop)
    }

    fn delete_chunks(&mut self, hash: &str) -> Result<()> {
        self.execute(DELETE_CHUNKS, &[&hash]).map(drop)
    }

    fn insert_chunk(&mut self, hash: &str, offset: u64, data: &[u8]) -> Result<()> {
        self.execute(INSERT_CHUNK, &[&hash, &(offset as i64), &data]).map(drop)
    }

    fn select_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        let statement = self.prepared(SELECT_META)?;
        let row = self.client.query_opt(&statement, &[&hash]).map_err(db_error)?;
        row.as_ref().map(meta_from_row).transpose().map_err(db_error)
    }

    fn select_joined(&mut self, hash: &str, on_row: &mut dyn FnMut(JoinedRow) -> Result<()>) -> Result<()> {
        self.joined_rows(SELECT_JOINED, &[&hash], meta_from_row, on_row)
    }

    fn select_joined_range(
        &mut self,
        hash: &str,
        lo: u64,
        hi: u64,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        // Offsets are BIGINT; a bound past that means "to the end".
        let bound = |o: u64| i64::try_from(o).unwrap_or(i64::MAX);
        self.joined_rows(SELECT_JOINED_RANGE, &[&hash, &bound(lo), &bound(hi)], served_meta_from_row, on_row)
    }

    fn soft_delete(&mut self, hash: &str) -> Result<u64> {
        self.execute(SOFT_DELETE, &[&hash])
    }

    fn select_names(&mut self, query: &NameQuery, on_row: &mut dyn FnMut(FileMeta)) -> Result<()> {
        let (sql, key) = match query.matching {
            NameMatch::Prefix(p) => (SELECT_BY_PREFIX, like_prefix(p)),
            NameMatch::Trunk(t) => (SELECT_BY_TRUNK, t.to_string()),
        };
        let statement = self.prepared(sql)?;
        let limit = query.limit.map_or(i64::MAX, |l| l.min(i64::MAX as u64) as i64);
        let older_than = query.older_than.unwrap_or(i64::MAX);
        let params: [&(dyn ToSql + Sync); 4] = [&key, &query.deleted, &older_than, &limit];
        let mut rows = self.client.query_raw(&statement, params).map_err(db_error)?;
        while let Some(row) = rows.next().map_err(db_error)? {
            on_row(meta_from_row(&row).map_err(db_error)?);
        }
        Ok(())
    }

    fn lock_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        let statement = self.prepared(LOCK_META)?;
        let row = self.client.query_opt(&statement, &[&hash]).map_err(db_error)?;
        row.as_ref().map(meta_from_row).transpose().map_err(db_error)
    }

    fn delete_deleted_meta(&mut self, hash: &str) -> Result<u64> {
        self.execute(DELETE_DELETED_META, &[&hash])
    }

    fn copy_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.execute(COPY_CHUNKS, &[&to, &from]).map(drop)
    }

    fn move_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.execute(MOVE_CHUNKS, &[&to, &from]).map(drop)
    }
}

const INSERT_LOCK: &str = "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
 VALUES ($1, $2, $2, $3, '', 0, $4, 0) ON CONFLICT (name_hash) DO NOTHING";
const SWAP_LOCK: &str = "UPDATE ezdbfile SET datatype = $1, mtime = $2, expired = 0
 WHERE name_hash = $3 AND datatype = $4 AND mtime = $5";
const DELETE_LOCK: &str = "DELETE FROM ezdbfile WHERE name_hash = $1 AND datatype = $2 AND mtime = $3";

/// The INTEGER mtime column of a lock row.
fn lock_mtime(row: &LockRow) -> Result<i32> {
    i32::try_from(row.mtime)
        .map_err(|_| Error::InvalidArgument(format!("mtime {} does not fit the INTEGER column", row.mtime)))
}

impl LockStatements for PgsqlConnection {
    fn insert_lock(&mut self, hash: &str, lock_name: &str, row: &LockRow) -> Result<u64> {
        self.execute(INSERT_LOCK, &[&row.token, &lock_name, &hash, &lock_mtime(row)?])
    }

    fn swap_lock(&mut self, hash: &str, seen: &LockRow, new: &LockRow) -> Result<u64> {
        self.execute(SWAP_LOCK, &[&new.token, &lock_mtime(new)?, &hash, &seen.token, &lock_mtime(seen)?])
    }

    fn delete_lock(&mut self, hash: &str, held: &LockRow) -> Result<u64> {
        self.execute(DELETE_LOCK, &[&hash, &held.token, &lock_mtime(held)?])
    }
}
