//! Runs the conformance suite against every backend.

mod common;
mod conformance;

use ezcluster::store::{self, Backend};
use tempfile::TempDir;

fn open_server(backend: &str) -> (Box<dyn Backend>, Option<TempDir>) {
    match common::server_config(backend) {
        Some(config) => (store::open(&config).unwrap_or_else(|e| panic!("{e}")), None),
        // Only with EZCLUSTER_SKIP_SERVERS=1: run the cases on ezfs instead.
        None => open_fs(),
    }
}

fn open_sqlite() -> (Box<dyn Backend>, Option<TempDir>) {
    let (config, dir) = common::sqlite_config();
    (store::open(&config).unwrap(), Some(dir))
}

fn open_fs() -> (Box<dyn Backend>, Option<TempDir>) {
    let dir = TempDir::new().unwrap();
    (Box::new(store::fs::FsBackend::new(dir.path())), Some(dir))
}

conformance_suite!(sqlite, open_sqlite());
conformance_suite!(ezfs, open_fs());
conformance_suite!(mysql, open_server("mysql"));
conformance_suite!(pgsql, open_server("pgsql"));
