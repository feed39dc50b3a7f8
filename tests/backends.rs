//! Runs the conformance suite against every backend. The MariaDB and
//! PostgreSQL servers are the private ones `tests/servers.sh` starts; it
//! exports where they are. Without them these tests fail unless
//! EZCLUSTER_SKIP_SERVERS=1 is set explicitly (never in CI).

mod conformance;

use ezcluster::store::{self, Backend, Config};
use tempfile::TempDir;

fn server_config(backend: &str) -> Option<Config> {
    let prefix = format!("EZCLUSTER_TEST_{}_", backend.to_uppercase());
    let var = |k: &str| std::env::var(format!("{prefix}{k}")).ok();
    let Some(port) = var("PORT") else {
        if std::env::var("EZCLUSTER_SKIP_SERVERS").as_deref() == Ok("1") {
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
    Some(Config::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap())
}

fn open_server(backend: &str) -> (Box<dyn Backend>, ()) {
    match server_config(backend) {
        Some(config) => (store::open(&config).unwrap_or_else(|e| panic!("{e}")), ()),
        None => {
            eprintln!("skipping {backend}: EZCLUSTER_SKIP_SERVERS=1");
            (Box::new(store::fs::FsBackend::new(std::env::temp_dir().join("ezcluster-skip"))), ())
        }
    }
}

fn open_sqlite() -> (Box<dyn Backend>, TempDir) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("store.sqlite");
    let config = Config::from_pairs([("DBName", path.to_str().unwrap())]).unwrap();
    (store::open(&config).unwrap(), dir)
}

fn open_fs() -> (Box<dyn Backend>, TempDir) {
    let dir = TempDir::new().unwrap();
    (Box::new(store::fs::FsBackend::new(dir.path())), dir)
}

conformance_suite!(sqlite, open_sqlite());
conformance_suite!(ezfs, open_fs());
conformance_suite!(mysql, open_server("mysql"));
conformance_suite!(pgsql, open_server("pgsql"));
