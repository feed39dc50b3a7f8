//! One connection per process and configuration: opened lazily, reused by
//! every later call (and request, under php-fpm), dropped after a fork or a
//! lost connection.

use parking_lot::Mutex;

use super::backend::Backend;
use super::error::Result;
use super::settings::Config;

struct Entry {
    config: Config,
    pid: u32,
    backend: Box<dyn Backend>,
}

static CONNECTIONS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Runs `op` on this process's connection for `config`, opening it on first
/// use. When the connection turns out to be lost, `op` runs once more on a
/// fresh one; `op` must therefore be safe to repeat (every backend call is:
/// stores are transactions that roll back, and callers of a fetch only
/// repeat it when nothing was delivered yet).
pub fn with_backend<T>(config: &Config, mut op: impl FnMut(&mut dyn Backend) -> Result<T>) -> Result<T> {
    let mut connections = CONNECTIONS.lock();
    let pid = std::process::id();
    // A connection inherited through fork() belongs to the parent: closing it
    // here would send the parent's server a goodbye, so it is leaked instead.
    let (mine, inherited): (Vec<Entry>, Vec<Entry>) =
        std::mem::take(&mut *connections).into_iter().partition(|e| e.pid == pid);
    std::mem::forget(inherited);
    *connections = mine;
    let index = match connections.iter().position(|e| &e.config == config) {
        Some(i) => i,
        None => {
            let backend = super::open(config)?;
            connections.push(Entry { config: config.clone(), pid, backend });
            connections.len() - 1
        }
    };
    match op(connections[index].backend.as_mut()) {
        Err(e) if e.is_connection_lost() => {
            connections.remove(index);
            let mut backend = super::open(config)?;
            let result = op(backend.as_mut());
            connections.push(Entry { config: config.clone(), pid, backend });
            result
        }
        other => other,
    }
}

/// Drops every connection of this process (tests; module shutdown).
pub fn close_all() {
    CONNECTIONS.lock().clear();
}
