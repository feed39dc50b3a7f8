//! One public error type for every backend; backend-private errors are mapped
//! into it so callers (and the PHP layer) never see driver types.

use std::fmt;
use std::io;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug)]
pub enum Error {
    /// A setting has a wrong or missing value. `setting` is the eZ key
    /// (`DBChunkSize`), `ini` the php.ini name (`ezcluster.db_chunk_size`).
    Setting { setting: &'static str, ini: &'static str, message: String },
    /// The caller passed an unusable argument (empty path, NUL byte, ...).
    InvalidArgument(String),
    /// The database could not be reached. Names where, never the password.
    Connect { backend: &'static str, address: String, message: String },
    /// The connection broke during a call (server restart, network); the next
    /// call reconnects.
    ConnectionLost { backend: &'static str, message: String },
    /// A lock wait timeout or deadlock: the statement may be retried.
    Retryable { backend: &'static str, message: String },
    /// Any other database error.
    Database { backend: &'static str, message: String },
    /// Stored rows do not form a whole file (missing chunk, size mismatch).
    Corrupt { name: String, message: String },
    /// Local filesystem error, with the path it concerns.
    Io { path: String, source: io::Error },
    /// The consumer of a fetch (a local file, the HTTP client) failed; the
    /// store itself is fine.
    Sink(io::Error),
    /// A caller's callback (processCache's retrieve or generate) failed,
    /// e.g. threw: the store is fine, and the callback's own error stands.
    Callback(String),
}

impl Error {
    pub fn setting(setting: &'static str, ini: &'static str, message: impl Into<String>) -> Self {
        Error::Setting { setting, ini, message: message.into() }
    }

    pub fn io(path: impl fmt::Display, source: io::Error) -> Self {
        Error::Io { path: path.to_string(), source }
    }

    /// True when the same call may succeed on a fresh connection.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Error::ConnectionLost { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Setting { setting, ini, message } => {
                write!(f, "setting {setting} ({ini}): {message}")
            }
            Error::InvalidArgument(m) => f.write_str(m),
            Error::Connect { backend, address, message } => {
                write!(f, "cannot connect to the {backend} database at {address}: {message}")
            }
            Error::ConnectionLost { backend, message } => {
                write!(f, "lost the connection to the {backend} database: {message}")
            }
            Error::Retryable { backend, message } | Error::Database { backend, message } => {
                write!(f, "{backend} error: {message}")
            }
            Error::Corrupt { name, message } => write!(f, "stored file '{name}' is damaged: {message}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::Sink(e) => write!(f, "writing the fetched data failed: {e}"),
            Error::Callback(m) => write!(f, "the callback failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}
