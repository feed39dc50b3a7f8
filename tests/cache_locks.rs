//! The generation-lock statements on every SQL backend, each on its own
//! connections: insert-if-absent, compare-and-set takeover (raced by real
//! threads on separate connections), and the store that happens only while
//! the lock is still held.

mod common;

use std::io::Cursor;
use std::sync::{Arc, Barrier};

use ezcluster::store::backend::NewFile;
use ezcluster::store::cache::LockRow;
use ezcluster::store::{self, Backend, Config};

fn row(token: &str, mtime: i64) -> LockRow {
    LockRow { token: token.to_string(), mtime }
}

fn unique(prefix: &str) -> String {
    format!("var/cache-locks-{}-{prefix}", std::process::id())
}

fn fetch(b: &mut dyn Backend, name: &str) -> Option<Vec<u8>> {
    struct Sink(Vec<u8>);
    impl store::FetchSink for Sink {
        fn begin(&mut self, _: &store::FileMeta) -> store::Result<()> {
            self.0.clear();
            Ok(())
        }
        fn data(&mut self, bytes: &[u8]) -> store::Result<()> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }
    }
    let mut sink = Sink(Vec::new());
    b.fetch(name, &mut sink).unwrap().map(|_| sink.0)
}

fn insert_is_if_absent(config: &Config) {
    let mut b = store::open(config).unwrap();
    let lock = unique("insert") + ".generating";
    let locks = b.generation_locks().expect("SQL backends have locks");
    assert!(locks.insert_lock(&lock, &row("a", 100)).unwrap());
    assert!(!locks.insert_lock(&lock, &row("b", 200)).unwrap(), "second insert must not win");
    assert_eq!(locks.lock_row(&lock).unwrap(), Some(row("a", 100)));
    // Only the holder's (token, mtime) deletes it.
    assert!(!locks.delete_lock(&lock, &row("b", 100)).unwrap());
    assert!(!locks.delete_lock(&lock, &row("a", 101)).unwrap());
    assert!(locks.delete_lock(&lock, &row("a", 100)).unwrap());
    assert_eq!(locks.lock_row(&lock).unwrap(), None);
}

fn takeover_race_has_one_winner(config: &Config) {
    let lock = unique("race") + ".generating";
    let seen = row("dead holder", 100);
    assert!(store::open(config).unwrap().generation_locks().unwrap().insert_lock(&lock, &seen).unwrap());
    let contenders = 8;
    let barrier = Arc::new(Barrier::new(contenders));
    let handles: Vec<_> = (0..contenders)
        .map(|i| {
            let (config, lock, seen, barrier) = (config.clone(), lock.clone(), seen.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut b = store::open(&config).unwrap();
                barrier.wait();
                b.generation_locks().unwrap().swap_lock(&lock, &seen, &row(&format!("contender {i}"), 200)).unwrap()
            })
        })
        .collect();
    let wins = handles.into_iter().map(|h| h.join().unwrap()).filter(|won| *won).count();
    assert_eq!(wins, 1);
    let mut b = store::open(config).unwrap();
    let now = b.generation_locks().unwrap().lock_row(&lock).unwrap().unwrap();
    assert!(now.token.starts_with("contender ") && now.mtime == 200, "{now:?}");
}

fn store_happens_only_under_the_held_lock(config: &Config) {
    let mut b = store::open(config).unwrap();
    let name = unique("store");
    let lock = format!("{name}.generating");
    let file = |mtime| NewFile { name: &name, name_trunk: &name, datatype: "text/plain", scope: "viewcache", mtime };
    b.store(&file(50), &mut Cursor::new(b"previous".to_vec()), 4).unwrap();
    let locks = b.generation_locks().unwrap();
    assert!(locks.insert_lock(&lock, &row("mine", 100)).unwrap());
    // Taken over: the old holder stores nothing.
    assert!(locks.swap_lock(&lock, &row("mine", 100), &row("theirs", 100)).unwrap());
    let stale = locks.store_locked(&lock, &row("mine", 100), None, &file(60), &mut Cursor::new(b"stale".to_vec()), 4);
    assert_eq!(stale.unwrap(), None);
    assert_eq!(b.generation_locks().unwrap().lock_row(&lock).unwrap(), Some(row("theirs", 100)), "lock untouched");
    assert_eq!(fetch(b.as_mut(), &name).as_deref(), Some(&b"previous"[..]));
    // The holder stores, and the lock goes in the same transaction; the new
    // version's mtime is later than the one it replaces.
    let locks = b.generation_locks().unwrap();
    let stored = locks.store_locked(&lock, &row("theirs", 100), None, &file(50), &mut Cursor::new(b"generated".to_vec()), 4);
    assert_eq!(stored.unwrap(), Some((9, 51)));
    assert_eq!(locks.lock_row(&lock).unwrap(), None);
    assert_eq!(fetch(b.as_mut(), &name).as_deref(), Some(&b"generated"[..]));
    // With `next`, the lock is refreshed instead of released.
    let locks = b.generation_locks().unwrap();
    assert!(locks.insert_lock(&lock, &row("again", 300)).unwrap());
    let kept = locks.store_locked(&lock, &row("again", 300), Some(&row("again 2", 301)), &file(400), &mut Cursor::new(b"v3".to_vec()), 4);
    assert_eq!(kept.unwrap(), Some((2, 400)));
    assert_eq!(locks.lock_row(&lock).unwrap(), Some(row("again 2", 301)));
}

macro_rules! lock_suite {
    ($backend:ident, $config:expr) => {
        mod $backend {
            use super::*;
            fn config() -> Option<(Config, Option<tempfile::TempDir>)> {
                $config
            }
            #[test]
            fn insert_is_if_absent() {
                if let Some((c, _dir)) = config() {
                    super::insert_is_if_absent(&c);
                }
            }
            #[test]
            fn takeover_race_has_one_winner() {
                if let Some((c, _dir)) = config() {
                    super::takeover_race_has_one_winner(&c);
                }
            }
            #[test]
            fn store_happens_only_under_the_held_lock() {
                if let Some((c, _dir)) = config() {
                    super::store_happens_only_under_the_held_lock(&c);
                }
            }
        }
    };
}

lock_suite!(sqlite, {
    let (c, dir) = common::sqlite_config();
    Some((c, Some(dir)))
});
lock_suite!(mysql, common::server_config("mysql").map(|c| (c, None)));
lock_suite!(pgsql, common::server_config("pgsql").map(|c| (c, None)));
