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

/// Connection attempts, failed ones included (at most 1 + DBConnectRetries per open).
static CONNECT_ATTEMPTS: AtomicU64 = AtomicU64::new(0);
/// Operations run again after a lock wait timeout or deadlock (DBExecuteRetries).
static LOCK_RETRIES: AtomicU64 = AtomicU64::new(0);

pub fn connect_attempts() -> u64 {
    CONNECT_ATTEMPTS.load(Ordering::Relaxed)
}

pub(super) fn count_connect_attempt() {
    CONNECT_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
}

pub fn lock_retries() -> u64 {
    LOCK_RETRIES.load(Ordering::Relaxed)
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
                LOCK_RETRIES.fetch_add(1, Ordering::Relaxed);
                index = Some(i);
                std::thread::sleep(backoff(lock_retries));
            }
            Err(Error::Retryable { backend, message }) => {
                return Err(Error::Retryable {
                    backend,
                    message: format!("{message} (given up after {lock_retries} retries: DBExecuteRetries)"),
                })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let ms = |attempt| backoff(attempt).as_millis();
        assert!((5..15).contains(&ms(1)), "first retry waits {} ms", ms(1));
        for attempt in 7..=1000 {
            assert!((320..960).contains(&ms(attempt)), "attempt {attempt}: {} ms", ms(attempt));
        }
        // Jitter: processes that collided do not all wait the same time.
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff(7)).collect();
        assert!(waits.len() > 1, "50 backoffs were all {waits:?}");
    }
}
