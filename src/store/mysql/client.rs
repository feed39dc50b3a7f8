//! A small safe wrapper over libmariadb / libmysqlclient: one connection and
//! its cache of prepared statements. Every `unsafe` call of the MySQL backend
//! is in this file.

use std::collections::HashMap;
use std::ffi::{c_char, c_uint, c_ulong, c_void, CStr, CString};
use std::fmt;
use std::mem;
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

use mysqlclient_sys as ffi;
use mysqlclient_sys::enum_field_types::{MYSQL_TYPE_BLOB, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_STRING};

/// An error as the client library or the server reports it. `errno` is 0 for
/// errors this wrapper detects itself.
#[derive(Debug)]
pub struct MysqlError {
    pub errno: u32,
    pub message: String,
}

impl MysqlError {
    fn local(message: impl Into<String>) -> Self {
        MysqlError { errno: 0, message: message.into() }
    }
}

impl fmt::Display for MysqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            0 => f.write_str(&self.message),
            n => write!(f, "[{n}] {}", self.message),
        }
    }
}

pub type Result<T> = std::result::Result<T, MysqlError>;

/// Where and as whom to connect. `socket`, when set, replaces host and port.
pub struct ConnectOptions<'a> {
    pub host: &'a str,
    pub port: u16,
    pub socket: Option<&'a str>,
    pub user: &'a str,
    pub password: &'a str,
    pub database: &'a str,
    pub charset: &'a str,
    /// Run by the server right after the handshake.
    pub init_command: &'a str,
    pub connect_timeout_secs: u32,
}

/// A statement parameter; borrowed for the one execution it is bound to.
pub enum Param<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
    UInt(u64),
}

/// How a result column is received.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    /// Any integer column, as i64.
    Int,
    /// A string or blob column. Values up to `capacity` bytes land in a buffer
    /// bound once; longer ones are fetched again whole with
    /// mysql_stmt_fetch_column.
    Bytes { capacity: usize },
}

/// A statement's text and the columns it returns (none for DML and DDL).
pub struct Sql {
    pub text: &'static str,
    pub columns: &'static [Column],
}

/// What the library reports about a fetched value besides its bytes.
#[derive(Default)]
struct Outputs {
    /// The value's full length, also when it was truncated.
    length: c_ulong,
    is_null: ffi::my_bool,
    error: ffi::my_bool,
}

/// Result column storage that the library writes into during a fetch.
struct Bound {
    column: Column,
    buffer: Vec<u8>,
    int: i64,
    out: Outputs,
}

struct Statement {
    stmt: NonNull<ffi::MYSQL_STMT>,
    /// The connection the statement belongs to (and never outlives).
    mysql: NonNull<ffi::MYSQL>,
    bound: Vec<Bound>,
    /// Per column: the whole value when it did not fit in its bound buffer.
    long_values: Vec<Vec<u8>>,
}

/// One fetched row. Values borrow the statement's buffers until the next fetch.
pub struct Row<'a> {
    statement: &'a Statement,
}

impl Row<'_> {
    /// An integer column; `None` when NULL.
    pub fn int(&self, index: usize) -> Option<i64> {
        let b = &self.statement.bound[index];
        debug_assert!(matches!(b.column, Column::Int));
        (b.out.is_null == ffi::FALSE).then_some(b.int)
    }

    /// A string or blob column; `None` when NULL.
    pub fn bytes(&self, index: usize) -> Option<&[u8]> {
        let b = &self.statement.bound[index];
        debug_assert!(matches!(b.column, Column::Bytes { .. }));
        if b.out.is_null != ffi::FALSE {
            return None;
        }
        let len = b.out.length as usize;
        Some(if len <= b.buffer.len() { &b.buffer[..len] } else { &self.statement.long_values[index][..len] })
    }
}

pub struct Client {
    mysql: NonNull<ffi::MYSQL>,
    statements: HashMap<&'static str, Statement>,
}

// SAFETY: a MYSQL handle may move between threads as long as one thread at a
// time uses it; `&mut self` on every call guarantees that.
unsafe impl Send for Client {}

/// mysql_library_init is not thread-safe and must run before the first
/// mysql_init; its result is remembered for every later connect.
fn library_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    // SAFETY: no arguments, no embedded server; OnceLock runs it once.
    *READY.get_or_init(|| unsafe { ffi::mysql_server_init(0, ptr::null_mut(), ptr::null_mut()) } == 0)
}

fn c_string(what: &str, value: &str) -> Result<CString> {
    CString::new(value).map_err(|_| MysqlError::local(format!("the {what} contains a NUL byte")))
}

/// Copies a library-owned error message.
///
/// SAFETY: `message` must be a valid NUL-terminated string.
unsafe fn message_of(message: *const c_char) -> String {
    CStr::from_ptr(message).to_string_lossy().into_owned()
}

/// The connection's last error.
fn connection_error(mysql: NonNull<ffi::MYSQL>) -> MysqlError {
    // SAFETY: callers pass a live handle; the message is copied at once.
    let (errno, message) = unsafe { (ffi::mysql_errno(mysql.as_ptr()), message_of(ffi::mysql_error(mysql.as_ptr()))) };
    match errno {
        0 => MysqlError::local("the client library reported a failure without an error"),
        _ => MysqlError { errno, message },
    }
}

impl Client {
    pub fn connect(options: &ConnectOptions) -> Result<Client> {
        if !library_ready() {
            return Err(MysqlError::local("the MySQL client library failed to initialise"));
        }
        let host = c_string("host", options.host)?;
        let user = c_string("user", options.user)?;
        let password = c_string("password", options.password)?;
        let database = c_string("database name", options.database)?;
        let charset = c_string("character set", options.charset)?;
        let init_command = c_string("init command", options.init_command)?;
        let socket = options.socket.map(|s| c_string("socket path", s)).transpose()?;
        // SAFETY: a null argument asks mysql_init to allocate the handle.
        let mysql = NonNull::new(unsafe { ffi::mysql_init(ptr::null_mut()) })
            .ok_or_else(|| MysqlError::local("out of memory allocating a connection"))?;
        // From here on, Drop closes the handle on every error path.
        let client = Client { mysql, statements: HashMap::new() };

        let timeout: c_uint = options.connect_timeout_secs;
        // Off is the default, but a lost connection must surface as an error:
        // a silent reconnect would drop an open transaction.
        let reconnect: ffi::my_bool = ffi::FALSE;
        // Without an explicit protocol, "localhost" silently means the default
        // Unix socket: the address in errors would then be wrong.
        let protocol = match socket {
            Some(_) => ffi::mysql_protocol_type::MYSQL_PROTOCOL_SOCKET,
            None => ffi::mysql_protocol_type::MYSQL_PROTOCOL_TCP,
        } as c_uint;
        // SAFETY: each value has the type its option expects; the library
        // copies it before returning.
        let rejected = unsafe {
            let m = client.mysql.as_ptr();
            ffi::mysql_options(
                m,
                ffi::mysql_option::MYSQL_OPT_CONNECT_TIMEOUT,
                &timeout as *const c_uint as *const c_void,
            ) != 0
                || ffi::mysql_options(
                    m,
                    ffi::mysql_option::MYSQL_OPT_RECONNECT,
                    &reconnect as *const ffi::my_bool as *const c_void,
                ) != 0
                || ffi::mysql_options(m, ffi::mysql_option::MYSQL_SET_CHARSET_NAME, charset.as_ptr() as *const c_void)
                    != 0
                || ffi::mysql_options(
                    m,
                    ffi::mysql_option::MYSQL_OPT_PROTOCOL,
                    &protocol as *const c_uint as *const c_void,
                ) != 0
                || ffi::mysql_options(m, ffi::mysql_option::MYSQL_INIT_COMMAND, init_command.as_ptr() as *const c_void)
                    != 0
        };
        if rejected {
            return Err(MysqlError::local("the client library rejected a connection option"));
        }

        // SAFETY: every pointer is a live NUL-terminated string or null.
        let connected = unsafe {
            ffi::mysql_real_connect(
                client.mysql.as_ptr(),
                if socket.is_some() { ptr::null() } else { host.as_ptr() },
                user.as_ptr(),
                password.as_ptr(),
                database.as_ptr(),
                c_uint::from(options.port),
                socket.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
                0,
            )
        };
        if connected.is_null() {
            return Err(client.error());
        }
        Ok(client)
    }

    fn error(&self) -> MysqlError {
        connection_error(self.mysql)
    }

    /// The cached prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &Sql) -> Result<&mut Statement> {
        if !self.statements.contains_key(sql.text) {
            let prepared = Statement::prepare(self, sql)?;
            self.statements.insert(sql.text, prepared);
        }
        Ok(self.statements.get_mut(sql.text).expect("inserted above"))
    }

    /// Runs a statement without a result set; returns the rows it changed.
    pub fn execute(&mut self, sql: &Sql, params: &[Param]) -> Result<u64> {
        let statement = self.statement(sql)?;
        statement.execute(params)?;
        // SAFETY: the statement is live and was just executed.
        Ok(unsafe { ffi::mysql_stmt_affected_rows(statement.stmt.as_ptr()) })
    }

    /// Runs a query and streams its rows into `on_row` as they arrive from the
    /// server (unbuffered: memory stays one row). Whatever happens, the rest
    /// of the result set is discarded before returning, so the connection is
    /// ready for the next statement.
    pub fn query<E: From<MysqlError>>(
        &mut self,
        sql: &Sql,
        params: &[Param],
        mut on_row: impl FnMut(Row) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let statement = self.statement(sql)?;
        statement.execute(params)?;
        let _discard = FreeResult(statement.stmt);
        statement.bind_result()?;
        while statement.fetch()? {
            on_row(Row { statement: &*statement })?;
        }
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.statements.clear();
        // SAFETY: the handle came from mysql_init and its statements are closed.
        unsafe { ffi::mysql_close(self.mysql.as_ptr()) }
    }
}

/// Frees (and drains) a statement's result set when a query ends, also by an
/// error or a panic in the row callback: until then the connection is busy.
struct FreeResult(NonNull<ffi::MYSQL_STMT>);

impl Drop for FreeResult {
    fn drop(&mut self) {
        // SAFETY: the statement outlives this guard (both live in one call).
        unsafe { ffi::mysql_stmt_free_result(self.0.as_ptr()) };
    }
}

/// A MYSQL_BIND for one buffer; every other field stays zero, the library's
/// "unset" state (no indicators, no callbacks).
fn bind(buffer_type: ffi::enum_field_types, buffer: *mut c_void, buffer_length: usize) -> ffi::MYSQL_BIND {
    // SAFETY: MYSQL_BIND is plain C data for which all zeroes is valid.
    let mut bind: ffi::MYSQL_BIND = unsafe { mem::zeroed() };
    bind.buffer_type = buffer_type;
    bind.buffer = buffer;
    bind.buffer_length = buffer_length as c_ulong;
    bind
}

/// A bind for receiving a value into `buffer`, reporting into `out`.
fn result_bind(
    buffer_type: ffi::enum_field_types,
    buffer: *mut c_void,
    buffer_length: usize,
    out: &mut Outputs,
) -> ffi::MYSQL_BIND {
    let mut bind = bind(buffer_type, buffer, buffer_length);
    bind.length = &mut out.length;
    bind.is_null = &mut out.is_null;
    bind.error = &mut out.error;
    bind
}

impl Statement {
    fn prepare(client: &Client, sql: &Sql) -> Result<Statement> {
        // SAFETY: the connection handle is live.
        let stmt =
            NonNull::new(unsafe { ffi::mysql_stmt_init(client.mysql.as_ptr()) }).ok_or_else(|| client.error())?;
        let bound = sql
            .columns
            .iter()
            .map(|&column| Bound {
                column,
                buffer: match column {
                    Column::Int => Vec::new(),
                    Column::Bytes { capacity } => vec![0; capacity],
                },
                int: 0,
                out: Outputs::default(),
            })
            .collect();
        // From here on, Drop closes the statement on every error path.
        let statement = Statement {
            stmt,
            mysql: client.mysql,
            bound,
            long_values: sql.columns.iter().map(|_| Vec::new()).collect(),
        };
        // SAFETY: the text is valid for the given length during the call.
        if unsafe {
            ffi::mysql_stmt_prepare(stmt.as_ptr(), sql.text.as_ptr() as *const c_char, sql.text.len() as c_ulong)
        } != 0
        {
            return Err(statement.error());
        }
        // bind_result reads one MYSQL_BIND per result column: a mismatch would
        // read past the array.
        // SAFETY: the statement is prepared.
        let fields = unsafe { ffi::mysql_stmt_field_count(stmt.as_ptr()) } as usize;
        if fields != sql.columns.len() {
            return Err(MysqlError::local(format!(
                "statement returns {fields} columns but {} are bound: {}",
                sql.columns.len(),
                sql.text
            )));
        }
        Ok(statement)
    }

    /// The statement's last error. Some failures (a connection lost while
    /// fetching) are recorded only on the connection.
    fn error(&self) -> MysqlError {
        // SAFETY: the statement is live; the message is copied at once.
        let (errno, message) = unsafe {
            (ffi::mysql_stmt_errno(self.stmt.as_ptr()), message_of(ffi::mysql_stmt_error(self.stmt.as_ptr())))
        };
        match errno {
            0 => connection_error(self.mysql),
            _ => MysqlError { errno, message },
        }
    }

    fn execute(&mut self, params: &[Param]) -> Result<()> {
        let stmt = self.stmt.as_ptr();
        // bind_param reads one MYSQL_BIND per placeholder.
        // SAFETY: the statement is prepared.
        let expected = unsafe { ffi::mysql_stmt_param_count(stmt) } as usize;
        if expected != params.len() {
            return Err(MysqlError::local(format!("statement takes {expected} parameters, {} given", params.len())));
        }
        let mut binds: Vec<ffi::MYSQL_BIND> = params
            .iter()
            .map(|param| {
                // The library only reads parameter buffers, and only during
                // mysql_stmt_execute below, while `params` is borrowed.
                let (buffer_type, buffer, len, unsigned) = match param {
                    Param::Text(s) => (MYSQL_TYPE_STRING, s.as_ptr() as *const c_void, s.len(), ffi::FALSE),
                    Param::Bytes(b) => (MYSQL_TYPE_BLOB, b.as_ptr() as *const c_void, b.len(), ffi::FALSE),
                    Param::Int(v) => (MYSQL_TYPE_LONGLONG, v as *const i64 as *const c_void, 8, ffi::FALSE),
                    Param::UInt(v) => (MYSQL_TYPE_LONGLONG, v as *const u64 as *const c_void, 8, ffi::TRUE),
                };
                let mut bind = bind(buffer_type, buffer as *mut c_void, len);
                bind.is_unsigned = unsigned;
                bind
            })
            .collect();
        // SAFETY: `binds` holds exactly param_count entries (checked above)
        // pointing into `params`, which outlives the execution.
        unsafe {
            if !binds.is_empty() && ffi::mysql_stmt_bind_param(stmt, binds.as_mut_ptr()) != ffi::FALSE {
                return Err(self.error());
            }
            if ffi::mysql_stmt_execute(stmt) != 0 {
                return Err(self.error());
            }
        }
        Ok(())
    }

    /// Points the result columns at `bound`. Done after each execute, so the
    /// pointers are fresh and nothing touches `bound` mutably until the
    /// result set is freed.
    fn bind_result(&mut self) -> Result<()> {
        let mut binds: Vec<ffi::MYSQL_BIND> = self
            .bound
            .iter_mut()
            .map(|b| match b.column {
                Column::Int => result_bind(MYSQL_TYPE_LONGLONG, &mut b.int as *mut i64 as *mut c_void, 8, &mut b.out),
                Column::Bytes { .. } => {
                    result_bind(MYSQL_TYPE_BLOB, b.buffer.as_mut_ptr() as *mut c_void, b.buffer.len(), &mut b.out)
                }
            })
            .collect();
        // SAFETY: one bind per result column (checked at prepare); the library
        // copies the array and writes only into `bound`, which lives as long
        // as the statement and is not moved (its Vec is never resized).
        if unsafe { ffi::mysql_stmt_bind_result(self.stmt.as_ptr(), binds.as_mut_ptr()) } != ffi::FALSE {
            return Err(self.error());
        }
        Ok(())
    }

    /// Fetches the next row into `bound` (and `long_values` for values longer
    /// than their buffer). Returns false at the end of the result set.
    fn fetch(&mut self) -> Result<bool> {
        let stmt = self.stmt.as_ptr();
        // SAFETY: the statement was executed and its result bound.
        match unsafe { ffi::mysql_stmt_fetch(stmt) } as u32 {
            0 | ffi::MYSQL_DATA_TRUNCATED => {}
            ffi::MYSQL_NO_DATA => return Ok(false),
            _ => return Err(self.error()),
        }
        for (index, b) in self.bound.iter().enumerate() {
            let total = b.out.length as usize;
            if b.out.is_null != ffi::FALSE || matches!(b.column, Column::Int) || total <= b.buffer.len() {
                continue;
            }
            let long = &mut self.long_values[index];
            long.clear();
            long.resize(total, 0);
            let mut out = Outputs::default();
            let mut bind = result_bind(MYSQL_TYPE_BLOB, long.as_mut_ptr() as *mut c_void, total, &mut out);
            // SAFETY: a row is current; `bind` points at `total` writable bytes
            // and at a local that outlives the call.
            if unsafe { ffi::mysql_stmt_fetch_column(stmt, &mut bind, index as c_uint, 0) } != 0 {
                return Err(self.error());
            }
        }
        Ok(true)
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the handle came from mysql_stmt_init and is closed once. On a
        // lost connection this fails quietly, which is all we can do.
        unsafe { ffi::mysql_stmt_close(self.stmt.as_ptr()) };
    }
}
