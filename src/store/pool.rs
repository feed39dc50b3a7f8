//! One connection per process and configuration: opened lazily, reused by
//! every later call (and request, under php-fpm), dropped after a fork or a
//! lost connection.

use parking_lot::Mutex;

use super::backend::Backend;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{Error, Result};
use super::settings::Config;

struct Entry {
    config: Config,
    pid: u32,
    backend: Box<dyn Backend>,
}

static CONNECTIONS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
/// Connections this process opened; shown in phpinfo() so reuse is visible.
static OPENED: AtomicU64 = AtomicU64::new(0);

pub fn connections_opened() -> u64 {
    OPENED.load(Ordering::Relaxed)
}

/// Runs `op` on this process's connection for `config`, opening it on first
/// use. When the connection turns out to be lost, `op` runs once more on a
/// fresh one, and after a lock wait or deadlock it runs again (up to
/// `DBExecuteRetries` times); `op` must therefore be safe to repeat: stores
/// are transactions that roll back, and a fetch sink starts over on `begin`.
pub fn with_backend<T>(config: &Config, mut op: impl FnMut(&mut dyn Backend) -> Result<T>) -> Result<T> {
    let mut connections = CONNECTIONS.lock();
    let pid = std::process::id();
    // A connection inherited through fork() belongs to the parent: closing it
    // here would send the parent's server a goodbye, so it is leaked instead.
    let (mine, inherited): (Vec<Entry>, Vec<Entry>) =
        std::mem::take(&mut *connections).into_iter().partition(|e| e.pid == pid);
    std::mem::forget(inherited);
    *connections = mine;
    let mut index = connections.iter().position(|e| &e.config == config);
    let mut lock_retries = 0;
    let mut reconnected = false;
    loop {
        let i = match index {
            Some(i) => i,
            None => {
                let backend = super::open(config)?;
                OPENED.fetch_add(1, Ordering::Relaxed);
                connections.push(Entry { config: config.clone(), pid, backend });
                connections.len() - 1
            }
        };
        match op(connections[i].backend.as_mut()) {
            Err(e) if e.is_connection_lost() && !reconnected => {
                reconnected = true;
                connections.remove(i);
                index = None;
            }
            Err(Error::Retryable { .. }) if lock_retries < config.execute_retries => {
                lock_retries += 1;
                index = Some(i);
                std::thread::sleep(backoff(lock_retries));
            }
            other => return other,
        }
    }
}

/// Exponential backoff capped at ~0.5 s, with jitter so that processes that
/// collided do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = 5u64 << attempt.min(7);
    let jitter = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64) % base;
    Duration::from_millis(base / 2 + jitter)
}
