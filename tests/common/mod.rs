//! Where the test databases are. The MariaDB and PostgreSQL servers are the
//! private ones `tests/servers.sh` starts (through `make test`); it exports
//! EZCLUSTER_TEST_{MYSQL,PGSQL}_{HOST,PORT,NAME,USER,PASSWORD}. Without them
//! the server tests fail, unless EZCLUSTER_SKIP_SERVERS=1 is set by hand
//! (never in CI).

#![allow(dead_code)] // each test binary uses its own part

use ezcluster::store::Config;
use tempfile::TempDir;

pub fn server_config(backend: &str) -> Option<Config> {
    server_config_with(backend, &[])
}

/// `server_config` with some settings changed (eZ names), e.g. another user.
pub fn server_config_with(backend: &str, changes: &[(&str, &str)]) -> Option<Config> {
    let prefix = format!("EZCLUSTER_TEST_{}_", backend.to_uppercase());
    let var = |k: &str| std::env::var(format!("{prefix}{k}")).ok();
    let Some(port) = var("PORT") else {
        if std::env::var("EZCLUSTER_SKIP_SERVERS").as_deref() == Ok("1") {
            eprintln!("skipping {backend}: EZCLUSTER_SKIP_SERVERS=1");
            return None;
        }
        panic!("{prefix}PORT is not set: run the tests through `make test` (tests/servers.sh starts the {backend} server)");
    };
    let pairs = [
        ("DBBackend", backend.to_string()),
        ("DBHost", var("HOST").unwrap_or_else(|| "127.0.0.1".into())),
        ("DBPort", port),
        ("DBName", var("NAME").unwrap_or_else(|| "ezcluster_test".into())),
        ("DBUser", var("USER").unwrap_or_else(|| "ezcluster".into())),
        ("DBPassword", var("PASSWORD").unwrap_or_default()),
    ];
    Some(Config::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())).chain(changes.iter().copied())).unwrap())
}

/// A config for a fresh SQLite file in a temp dir that lives as long as the guard.
pub fn sqlite_config() -> (Config, TempDir) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("store.sqlite");
    (Config::from_pairs([("DBName", path.to_str().unwrap())]).unwrap(), dir)
}
