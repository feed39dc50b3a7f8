//! MariaDB / MySQL, on eZ Publish's own cluster tables so that an existing eZ
//! cluster database works unchanged. All FFI lives in `client`.

mod client;

use client::{Client, Column, ConnectOptions, MysqlError, Param, Row, Sql};

use super::backend::{like_prefix, FileMeta, JoinedRow, NameMatch, NameQuery, NewFile, SqlConnection};
use super::cache::{LockRow, LockStatements};
use super::error::{Error, Result};
use super::settings::{Config, MYSQL_MAX_CHUNK};

const KIND: &str = "mysql";
const CONNECT_TIMEOUT_SECS: u32 = 5;
/// Under REPEATABLE READ, the DELETE of a store that finds no chunks takes a
/// gap lock, and two stores of different files then deadlock on their first
/// INSERT. READ COMMITTED takes no such locks; each statement still reads one
/// consistent snapshot, which is all `select_joined` needs.
const SESSION_SETUP: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
/// How often `select_joined` reads again when a store lands between its two
/// statements (see there).
const JOINED_ATTEMPTS: u32 = 3;

impl From<MysqlError> for Error {
    fn from(e: MysqlError) -> Error {
        let message = e.to_string();
        match e.errno {
            // Lock wait timeout, deadlock.
            1205 | 1213 => Error::Retryable { backend: KIND, message },
            // Server gone, connection lost during a query, lost (extended);
            // and the server closing this connection: shutdown in progress,
            // connection killed (MariaDB), idle timeout (MySQL >= 8.0.24).
            2006 | 2013 | 2055 | 1053 | 1927 | 4031 => Error::ConnectionLost { backend: KIND, message },
            _ => Error::Database { backend: KIND, message },
        }
    }
}

pub struct MysqlConnection {
    client: Client,
}

impl MysqlConnection {
    pub fn connect(config: &Config) -> Result<MysqlConnection> {
        let options = ConnectOptions {
            host: &config.host,
            port: config.port,
            socket: Some(config.socket.as_str()).filter(|s| !s.is_empty()),
            user: &config.user,
            password: config.password.expose(),
            database: &config.name,
            charset: "utf8mb4",
            init_command: SESSION_SETUP,
            connect_timeout_secs: CONNECT_TIMEOUT_SECS,
        };
        // Client messages name the user and host at most, never the password.
        let client = Client::connect(&options).map_err(|e| Error::Connect {
            backend: KIND,
            address: config.address(),
            message: e.to_string(),
        })?;
        Ok(MysqlConnection { client })
    }

    fn run(&mut self, sql: &Sql, params: &[Param]) -> Result<u64> {
        Ok(self.client.execute(sql, params)?)
    }

    /// The one `ezdbfile` row a by-hash SELECT returns.
    fn meta_row(&mut self, sql: &Sql, hash: &str) -> Result<Option<FileMeta>> {
        let mut meta = None;
        self.client.query(sql, &[Param::Text(hash)], |row| -> Result<()> {
            meta = Some(meta_from_row(&row));
            Ok(())
        })?;
        Ok(meta)
    }
}

/// Text columns get a buffer that fits usual paths; longer values still
/// arrive whole (see `Column::Bytes`).
const TEXT: Column = Column::Bytes { capacity: 1024 };
const INT: Column = Column::Int;
/// Every chunk eZ's `BLOB` column can hold fits without a second fetch.
const CHUNK: Column = Column::Bytes { capacity: MYSQL_MAX_CHUNK };

const fn statement(text: &'static str) -> Sql {
    Sql { text, columns: &[] }
}

// The table options beyond eZ's schema only pin the character set: a server
// defaulting to latin1 could not store UTF-8 names.
const CREATE_FILE_TABLE: Sql = statement(
    "CREATE TABLE IF NOT EXISTS ezdbfile (
       datatype   VARCHAR(255) NOT NULL DEFAULT 'application/octet-stream',
       name       TEXT NOT NULL,
       name_trunk TEXT NOT NULL,
       name_hash  VARCHAR(34) NOT NULL DEFAULT '',
       scope      VARCHAR(20) NOT NULL DEFAULT '',
       size       BIGINT UNSIGNED NOT NULL,
       mtime      INT NOT NULL DEFAULT 0,
       expired    BOOL NOT NULL DEFAULT 0,
       PRIMARY KEY (name_hash),
       INDEX ezdbfile_name (name(250)),
       INDEX ezdbfile_name_trunk (name_trunk(250)),
       INDEX ezdbfile_mtime (mtime),
       INDEX ezdbfile_expired_name (expired, name(250))
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
);
// `offset` is reserved since MariaDB 10.6: always quoted.
const CREATE_DATA_TABLE: Sql = statement(
    "CREATE TABLE IF NOT EXISTS ezdbfile_data (
       name_hash VARCHAR(34) NOT NULL DEFAULT '',
       `offset`  INT UNSIGNED NOT NULL,
       filedata  BLOB NOT NULL,
       PRIMARY KEY (name_hash, `offset`),
       CONSTRAINT ezdbfile_fk1 FOREIGN KEY (name_hash) REFERENCES ezdbfile (name_hash) ON DELETE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
);
const BEGIN: Sql = statement("START TRANSACTION");
const COMMIT: Sql = statement("COMMIT");
const ROLLBACK: Sql = statement("ROLLBACK");
const UPSERT_META: Sql = statement(
    "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0)
     ON DUPLICATE KEY UPDATE datatype = VALUES(datatype), name = VALUES(name), name_trunk = VALUES(name_trunk),
       scope = VALUES(scope), size = VALUES(size), mtime = VALUES(mtime), expired = 0",
);
const SET_SIZE: Sql = statement("UPDATE ezdbfile SET size = ? WHERE name_hash = ?");
const DELETE_CHUNKS: Sql = statement("DELETE FROM ezdbfile_data WHERE name_hash = ?");
const INSERT_CHUNK: Sql = statement("INSERT INTO ezdbfile_data (name_hash, `offset`, filedata) VALUES (?, ?, ?)");
const SOFT_DELETE: Sql = statement(
    "UPDATE ezdbfile SET mtime = -ABS(mtime), expired = 1 WHERE name_hash = ? AND expired = 0 AND mtime >= 0",
);

/// The `ezdbfile` columns `meta_from_row` reads, in its order.
macro_rules! meta_columns {
    () => {
        "f.name, f.name_trunk, f.datatype, f.scope, f.size, f.mtime, f.expired"
    };
}
const SELECT_META: Sql = Sql {
    text: concat!("SELECT ", meta_columns!(), " FROM ezdbfile f WHERE f.name_hash = ?"),
    columns: &[TEXT, TEXT, TEXT, TEXT, INT, INT, INT],
};
/// A live file's metadata (the given columns) joined with its chunks in
/// offset order, chunks limited by the extra condition given. An inner join:
/// the server reads the chunks in primary key order and streams them as it
/// goes. A LEFT JOIN ordered by `offset` makes MariaDB sort the whole file in
/// an on-disk temporary table before the first row leaves.
macro_rules! select_joined {
    ($meta_columns:expr, [$($column:expr),*], $chunk_filter:literal) => {
        Sql {
            text: concat!(
                "SELECT ",
                $meta_columns,
                ", d.`offset`, d.filedata FROM ezdbfile f
                 JOIN ezdbfile_data d ON d.name_hash = f.name_hash
                 WHERE f.name_hash = ? AND f.expired = 0 AND f.mtime >= 0 ",
                $chunk_filter,
                " ORDER BY d.`offset`"
            ),
            columns: &[$($column,)* INT, CHUNK],
        }
    };
}
const SELECT_JOINED: Sql = select_joined!(meta_columns!(), [TEXT, TEXT, TEXT, TEXT, INT, INT, INT], "");
// Only what serving reads (see `SqlConnection::select_joined_range`): name
// and name_trunk are TEXT, which the server copies like BLOBs, at a fifth of
// its work for a small image.
const SELECT_JOINED_RANGE: Sql = select_joined!(
    "f.datatype, f.size, f.mtime",
    [TEXT, INT, INT],
    "AND (d.`offset` = 0 OR d.`offset` BETWEEN ? AND ?)"
);
// The text columns compare case-insensitively under the table's collation:
// the plain condition lets the server use the name index, the BINARY one
// makes the match exact.
const SELECT_BY_PREFIX: Sql = Sql {
    text: concat!(
        "SELECT ",
        meta_columns!(),
        " FROM ezdbfile f WHERE f.name LIKE ? ESCAPE '!' AND f.name LIKE BINARY ? ESCAPE '!'
         AND ((f.expired = 0 AND f.mtime >= 0) <> ?) AND ABS(f.mtime) < ? ORDER BY f.name LIMIT ?"
    ),
    columns: &[TEXT, TEXT, TEXT, TEXT, INT, INT, INT],
};
const SELECT_BY_TRUNK: Sql = Sql {
    text: concat!(
        "SELECT ",
        meta_columns!(),
        " FROM ezdbfile f WHERE f.name_trunk = ? AND f.name_trunk = BINARY ?
         AND ((f.expired = 0 AND f.mtime >= 0) <> ?) AND ABS(f.mtime) < ? ORDER BY f.name LIMIT ?"
    ),
    columns: &[TEXT, TEXT, TEXT, TEXT, INT, INT, INT],
};
const LOCK_META: Sql = Sql {
    text: concat!("SELECT ", meta_columns!(), " FROM ezdbfile f WHERE f.name_hash = ? FOR UPDATE"),
    columns: &[TEXT, TEXT, TEXT, TEXT, INT, INT, INT],
};
const DELETE_DELETED_META: Sql =
    statement("DELETE FROM ezdbfile WHERE name_hash = ? AND (expired <> 0 OR mtime < 0)");
const COPY_CHUNKS: Sql = statement(
    "INSERT INTO ezdbfile_data (name_hash, `offset`, filedata)
     SELECT ?, `offset`, filedata FROM ezdbfile_data WHERE name_hash = ?",
);
const MOVE_CHUNKS: Sql = statement("UPDATE ezdbfile_data SET name_hash = ? WHERE name_hash = ?");

/// The connection character set is utf8mb4, so the server sends valid UTF-8.
fn text(row: &Row, index: usize) -> String {
    String::from_utf8_lossy(row.bytes(index).unwrap_or_default()).into_owned()
}

fn meta_from_row(row: &Row) -> FileMeta {
    // Every column is NOT NULL.
    FileMeta {
        name: text(row, 0),
        name_trunk: text(row, 1),
        datatype: text(row, 2),
        scope: text(row, 3),
        size: row.int(4).unwrap_or(0) as u64,
        mtime: row.int(5).unwrap_or(0),
        expired: row.int(6).unwrap_or(0) != 0,
    }
}

/// The metadata of a `SELECT_JOINED_RANGE` row.
fn served_meta_from_row(row: &Row) -> FileMeta {
    FileMeta::served(text(row, 0), row.int(1).unwrap_or(0) as u64, row.int(2).unwrap_or(0))
}

impl MysqlConnection {
    /// Runs a statement of the metadata+chunks inner join on the file
    /// `hash`, with `params`; `read_meta` reads the metadata columns, which
    /// `offset` and `filedata` follow. A file with chunks comes from that one
    /// statement. Without chunks (the empty file, or none at all) the
    /// metadata is read in a second one; should it then show a non-empty
    /// file, a store committed in between, and the pair is read again. A
    /// file that keeps showing a size but no chunks is damaged: its metadata
    /// goes out alone, for the caller to report.
    fn joined_rows(
        &mut self,
        sql: &Sql,
        hash: &str,
        params: &[Param],
        read_meta: fn(&Row) -> FileMeta,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        let at = sql.columns.len() - 2;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut first = true;
            self.client.query(sql, params, |row| {
                let meta = first.then(|| read_meta(&row));
                first = false;
                let chunk = Some((row.int(at).unwrap_or(0) as u64, row.bytes(at + 1).unwrap_or_default()));
                on_row(JoinedRow { meta, chunk })
            })?;
            if !first {
                return Ok(());
            }
            match self.select_meta(hash)?.filter(|m| !m.is_deleted()) {
                None => return Ok(()),
                Some(meta) if meta.size == 0 || attempt == JOINED_ATTEMPTS => {
                    return on_row(JoinedRow { meta: Some(meta), chunk: None })
                }
                Some(_) => {} // a store committed in between: read again
            }
        }
    }
}

impl SqlConnection for MysqlConnection {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn create_tables(&mut self) -> Result<()> {
        self.run(&CREATE_FILE_TABLE, &[])?;
        self.run(&CREATE_DATA_TABLE, &[])?;
        Ok(())
    }

    fn begin(&mut self) -> Result<()> {
        self.run(&BEGIN, &[]).map(drop)
    }

    fn commit(&mut self) -> Result<()> {
        self.run(&COMMIT, &[]).map(drop)
    }

    fn rollback(&mut self) -> Result<()> {
        self.run(&ROLLBACK, &[]).map(drop)
    }

    fn upsert_meta(&mut self, hash: &str, file: &NewFile, size: u64) -> Result<()> {
        let params = [
            Param::Text(file.datatype),
            Param::Text(file.name),
            Param::Text(file.name_trunk),
            Param::Text(hash),
            Param::Text(file.scope),
            Param::UInt(size),
            Param::Int(file.mtime),
        ];
        self.run(&UPSERT_META, &params).map(drop)
    }

    fn set_size(&mut self, hash: &str, size: u64) -> Result<()> {
        self.run(&SET_SIZE, &[Param::UInt(size), Param::Text(hash)]).map(drop)
    }

    fn delete_chunks(&mut self, hash: &str) -> Result<()> {
        self.run(&DELETE_CHUNKS, &[Param::Text(hash)]).map(drop)
    }

    fn insert_chunk(&mut self, hash: &str, offset: u64, data: &[u8]) -> Result<()> {
        self.run(&INSERT_CHUNK, &[Param::Text(hash), Param::UInt(offset), Param::Bytes(data)]).map(drop)
    }

    fn select_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        self.meta_row(&SELECT_META, hash)
    }

    fn select_joined(&mut self, hash: &str, on_row: &mut dyn FnMut(JoinedRow) -> Result<()>) -> Result<()> {
        self.joined_rows(&SELECT_JOINED, hash, &[Param::Text(hash)], meta_from_row, on_row)
    }

    fn select_joined_range(
        &mut self,
        hash: &str,
        lo: u64,
        hi: u64,
        on_row: &mut dyn FnMut(JoinedRow) -> Result<()>,
    ) -> Result<()> {
        let params = [Param::Text(hash), Param::UInt(lo), Param::UInt(hi)];
        self.joined_rows(&SELECT_JOINED_RANGE, hash, &params, served_meta_from_row, on_row)
    }

    fn soft_delete(&mut self, hash: &str) -> Result<u64> {
        self.run(&SOFT_DELETE, &[Param::Text(hash)])
    }

    fn select_names(&mut self, query: &NameQuery, on_row: &mut dyn FnMut(FileMeta)) -> Result<()> {
        let (sql, key) = match query.matching {
            NameMatch::Prefix(p) => (&SELECT_BY_PREFIX, like_prefix(p)),
            NameMatch::Trunk(t) => (&SELECT_BY_TRUNK, t.to_string()),
        };
        let params = [
            Param::Text(&key),
            Param::Text(&key),
            Param::Int(query.deleted.into()),
            Param::Int(query.older_than.unwrap_or(i64::MAX)),
            Param::UInt(query.limit.unwrap_or(u64::MAX)),
        ];
        self.client.query(sql, &params, |row| -> Result<()> {
            on_row(meta_from_row(&row));
            Ok(())
        })
    }

    fn lock_meta(&mut self, hash: &str) -> Result<Option<FileMeta>> {
        self.meta_row(&LOCK_META, hash)
    }

    fn delete_deleted_meta(&mut self, hash: &str) -> Result<u64> {
        self.run(&DELETE_DELETED_META, &[Param::Text(hash)])
    }

    fn copy_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.run(&COPY_CHUNKS, &[Param::Text(to), Param::Text(from)]).map(drop)
    }

    fn move_chunks(&mut self, from: &str, to: &str) -> Result<()> {
        self.run(&MOVE_CHUNKS, &[Param::Text(to), Param::Text(from)]).map(drop)
    }
}

// A duplicate key "updates" the row to itself, which MySQL counts as 0 rows
// changed: 1 means inserted. (INSERT IGNORE would also hide other errors.)
const INSERT_LOCK: Sql = statement(
    "INSERT INTO ezdbfile (datatype, name, name_trunk, name_hash, scope, size, mtime, expired)
     VALUES (?, ?, ?, ?, '', 0, ?, 0) ON DUPLICATE KEY UPDATE name_hash = name_hash",
);
const SWAP_LOCK: Sql = statement(
    "UPDATE ezdbfile SET datatype = ?, mtime = ?, expired = 0 WHERE name_hash = ? AND datatype = ? AND mtime = ?",
);
const DELETE_LOCK: Sql = statement("DELETE FROM ezdbfile WHERE name_hash = ? AND datatype = ? AND mtime = ?");

impl LockStatements for MysqlConnection {
    fn insert_lock(&mut self, hash: &str, lock_name: &str, row: &LockRow) -> Result<u64> {
        let params = [
            Param::Text(&row.token),
            Param::Text(lock_name),
            Param::Text(lock_name),
            Param::Text(hash),
            Param::Int(row.mtime),
        ];
        self.run(&INSERT_LOCK, &params)
    }

    fn swap_lock(&mut self, hash: &str, seen: &LockRow, new: &LockRow) -> Result<u64> {
        let params = [
            Param::Text(&new.token),
            Param::Int(new.mtime),
            Param::Text(hash),
            Param::Text(&seen.token),
            Param::Int(seen.mtime),
        ];
        self.run(&SWAP_LOCK, &params)
    }

    fn delete_lock(&mut self, hash: &str, held: &LockRow) -> Result<u64> {
        self.run(&DELETE_LOCK, &[Param::Text(hash), Param::Text(&held.token), Param::Int(held.mtime)])
    }
}
