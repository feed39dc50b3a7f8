//! The storage core: settings, the backend trait and its implementations, and
//! the per-process connection registry. No PHP types live here, so all of it
//! builds and tests with plain `cargo test`.

pub mod backend;
pub mod cache;
pub mod cluster;
pub mod error;
pub mod fs;
pub mod http;
pub mod ini_file;
pub mod mime;
pub mod mysql;
pub mod names;
pub mod pgsql;
pub mod pool;
pub mod serve;
pub mod settings;
pub mod sqlite;
pub mod wildcard;

pub use backend::{name_hash, Backend, FetchSink, FileMeta, NameMatch, NameQuery, NewFile, ScopeFilter, Source};
pub use error::{Error, Result};
pub use settings::{BackendKind, Config, FileHandler};

use backend::SqlBackend;

/// Opens a new connection (or filesystem root) for `config`, retrying a
/// failed connect up to `DBConnectRetries` times, and creates the tables on
/// first use when `DBCreateTables` allows it.
pub fn open(config: &Config) -> Result<Box<dyn Backend>> {
    let mut backend: Box<dyn Backend> = match config.file_handler {
        FileHandler::Ezfs => return Ok(Box::new(fs::FsBackend::new("."))),
        FileHandler::Ezdb => {
            let mut attempt = 0;
            loop {
                pool::count_connect_attempt();
                let opened = match config.backend {
                    BackendKind::Sqlite => sqlite::SqliteConnection::open(config).map(boxed),
                    BackendKind::Mysql => mysql::MysqlConnection::connect(config).map(boxed),
                    BackendKind::Pgsql => pgsql::PgsqlConnection::connect(config).map(boxed),
                };
                match opened {
                    Ok(b) => break b,
                    Err(Error::Connect { .. }) if attempt < config.connect_retries => {
                        attempt += 1;
                        std::thread::sleep(std::time::Duration::from_millis(50 << attempt.min(5)));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    };
    if config.create_tables {
        backend.create_tables()?;
    }
    Ok(backend)
}

fn boxed<C: backend::SqlConnection + 'static>(conn: C) -> Box<dyn Backend> {
    Box::new(SqlBackend::new(conn))
}
