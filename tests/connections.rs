//! Connections: one per process and config, opened lazily and reused; a
//! forked child opens its own and leaves the parent's alone; a database
//! restarted between two calls is reconnected transparently.
//! Run with --test-threads=1 (fork in a multi-threaded test process is unsafe).

mod common;

use std::process::Command;

use ezcluster::store::cluster::Cluster;
use ezcluster::store::pool::connections_opened;
use ezcluster::store::Config;

fn configs() -> Vec<(&'static str, Config, Option<tempfile::TempDir>)> {
    let (sqlite, dir) = common::sqlite_config();
    let mut all = vec![("sqlite", sqlite, Some(dir))];
    for b in ["mysql", "pgsql"] {
        if let Some(c) = common::server_config(b) {
            all.push((b, c, None));
        }
    }
    all
}

#[test]
fn connection_is_opened_once_and_reused() {
    for (label, config, _guard) in configs() {
        let cluster = Cluster::new(&config);
        let before = connections_opened();
        cluster.store_contents(&format!("var/reuse-{label}.txt"), b"one", None, None).unwrap();
        for _ in 0..20 {
            assert!(cluster.metadata(&format!("var/reuse-{label}.txt")).unwrap().is_some());
        }
        assert_eq!(connections_opened() - before, 1, "{label}: 21 calls must share one connection");
    }
}

#[test]
fn forked_child_opens_its_own_connection() {
    for (label, config, _guard) in configs() {
        let cluster = Cluster::new(&config);
        let name = format!("var/fork-{label}-{}.txt", std::process::id());
        cluster.store_contents(&name, b"parent", None, None).unwrap();
        let opened_in_parent = connections_opened();
        // SAFETY: the child only runs this block and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let before = connections_opened();
            let ok = cluster.store_contents(&format!("{name}.child"), b"child", None, None).is_ok()
                && cluster.fetch_contents(&name).ok().flatten().as_deref() == Some(&b"parent"[..])
                && connections_opened() == before + 1;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{label}: child failed");
        // The parent's connection survived the child's exit and is still the one in use.
        assert_eq!(cluster.fetch_contents(&format!("{name}.child")).unwrap().as_deref(), Some(&b"child"[..]));
        cluster.store_contents(&name, b"parent again", None, None).unwrap();
        assert_eq!(connections_opened(), opened_in_parent, "{label}: parent reopened its connection");
    }
}

#[test]
fn restarted_server_is_reconnected() {
    let Ok(servers) = std::env::var("EZCLUSTER_TEST_SERVERS_DIR") else {
        assert!(std::env::var("EZCLUSTER_SKIP_SERVERS").as_deref() == Ok("1"), "EZCLUSTER_TEST_SERVERS_DIR is not set: run through `make test`");
        return;
    };
    for backend in ["mysql", "pgsql"] {
        let config = common::server_config(backend).unwrap();
        let cluster = Cluster::new(&config);
        let name = format!("var/restart-{backend}.txt");
        cluster.store_contents(&name, b"before restart", None, None).unwrap();
        let before = connections_opened();
        let status = Command::new("tests/servers.sh").args([&format!("restart-{backend}"), &servers]).status().unwrap();
        assert!(status.success(), "restarting {backend} failed");
        // The first call after the restart finds its connection dead and
        // transparently runs on a new one.
        assert_eq!(cluster.fetch_contents(&name).unwrap().as_deref(), Some(&b"before restart"[..]), "{backend}");
        assert_eq!(connections_opened(), before + 1, "{backend}: expected exactly one reconnect");
    }
}
