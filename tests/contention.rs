//! Retries under real contention on the test MariaDB and PostgreSQL servers:
//! a second connection of the test holds row locks that a store needs, so
//! the store meets real lock wait timeouts (MySQL 1205, PostgreSQL 55P03) and
//! real deadlocks (1213, 40P01). The store must then succeed after retries
//! (counted by `pool::lock_retries`), or with DBExecuteRetries=0 fail with an
//! error that says so. Connection retries are counted too.
//! Run with --test-threads=1: the counters are per process.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ezcluster::store::cluster::Cluster;
use ezcluster::store::pool::{connect_attempts, lock_retries};
use ezcluster::store::{name_hash, Config, Error};

/// Long enough for any of these waits on a loaded machine; reaching it fails the test.
const DEADLINE: Duration = Duration::from_secs(60);

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting until {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn env(backend: &str, key: &str) -> String {
    let var = format!("EZCLUSTER_TEST_{}_{key}", backend.to_uppercase());
    std::env::var(&var).unwrap_or_else(|_| panic!("{var} is not set: run through `make test`"))
}

/// A multi-chunk file and its replacement, stored under a name unique to this run.
struct Subject {
    name: String,
    old: Vec<u8>,
    new: Vec<u8>,
}

impl Subject {
    fn stored(config: &Config, label: &str) -> Subject {
        let name = format!("var/contention/{label}-{}.bin", std::process::id());
        let old: Vec<u8> = (0..3 * config.chunk_size + 7).map(|i| (i % 251) as u8).collect();
        let new: Vec<u8> = (0..2 * config.chunk_size + 1).map(|i| (i % 13) as u8).collect();
        Cluster::new(config).store_contents(&name, &old, None, None).unwrap();
        Subject { name, old, new }
    }

    fn hash(&self) -> String {
        name_hash(&self.name)
    }

    /// Stores the new version in a thread of its own (the test's thread
    /// holds the locks meanwhile).
    fn store_in_background(&self, config: &Config) -> thread::JoinHandle<ezcluster::store::Result<()>> {
        let (config, name, new) = (config.clone(), self.name.clone(), self.new.clone());
        thread::spawn(move || Cluster::new(&config).store_contents(&name, &new, None, None))
    }

    fn stored_now(&self, config: &Config) -> Vec<u8> {
        Cluster::new(config).fetch_contents(&self.name).unwrap().expect("the file exists")
    }
}

fn with_retries(config: &Config, retries: u32) -> Config {
    Config { execute_retries: retries, ..config.clone() }
}

/// A database session of the test's own, beside the store's connection.
trait Session {
    /// Runs `sql` (one or more statements); returns the rows as text, one
    /// line each, and any error as a line starting with "ERROR".
    fn run(&mut self, sql: &str) -> String;
}

/// The store's session waits on a row lock the test holds until after a
/// lock timeout: the error must be retried until the lock is gone. With
/// DBExecuteRetries=0 the first timeout is the answer, and it says why.
fn lock_wait_is_retried(config: &Config, subject: &Subject, holder: &mut dyn Session, begin: &str, timeout_text: &str) {
    let lock = format!("{begin}; SELECT name_hash FROM ezdbfile WHERE name_hash = '{}' FOR UPDATE", subject.hash());
    assert!(holder.run(&lock).contains(&subject.hash()));
    let retries_before = lock_retries();
    let error = subject.store_in_background(&with_retries(config, 0)).join().unwrap().unwrap_err();
    assert!(matches!(error, Error::Retryable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(timeout_text) && message.contains("DBExecuteRetries"), "{message}");
    assert_eq!(lock_retries(), retries_before);
    holder.run("ROLLBACK");
    assert_eq!(subject.stored_now(config), subject.old, "the failed store left the old version");

    // Retries allowed: the lock is released only once the store has retried.
    holder.run(&lock);
    let store = subject.store_in_background(config);
    wait_until("the store retried after a lock timeout", || lock_retries() > retries_before);
    holder.run("COMMIT");
    store.join().unwrap().unwrap();
    assert_eq!(subject.stored_now(config), subject.new);
}

/// A real deadlock: the test's transaction (begun by `begin`) locks the
/// file's chunk rows; the store locks its metadata row and waits for the
/// chunks (`store_waiting` counts such waiting stores); then the test asks
/// for the metadata row. The database cancels the store (its deadlock
/// count, `deadlocks`, goes up: this was no lock wait timeout), which must
/// retry and succeed once the test's transaction has ended.
fn deadlock_is_retried(
    config: &Config,
    subject: &Subject,
    holder: &mut dyn Session,
    watcher: &mut dyn Session,
    begin: &str,
    store_waiting: &str,
    deadlocks: &str,
) {
    let hash = subject.hash();
    let deadlocks_before: u64 = watcher.run(deadlocks).trim().parse().unwrap();
    let locked = holder.run(&format!("{begin}; SELECT name_hash FROM ezdbfile_data WHERE name_hash = '{hash}' FOR UPDATE"));
    assert!(!locked.contains("ERROR"), "{locked}");
    let retries_before = lock_retries();
    let store = subject.store_in_background(config);
    wait_until("the store waits for the chunk rows", || watcher.run(store_waiting).trim() != "0");
    let update = holder.run(&format!("UPDATE ezdbfile SET mtime = mtime + 1 WHERE name_hash = '{hash}'"));
    assert!(!update.contains("ERROR"), "the test's transaction was chosen as the deadlock victim: {update}");
    holder.run("ROLLBACK");
    store.join().unwrap().unwrap();
    assert!(lock_retries() > retries_before, "the store was not retried");
    // Statistics may lag a little behind the statement (PostgreSQL).
    wait_until("the server counted the deadlock", || watcher.run(deadlocks).trim().parse::<u64>().unwrap() > deadlocks_before);
    assert_eq!(subject.stored_now(config), subject.new);
}

// ------------------------------------------------------------------ MariaDB

/// A session of the `mariadb` command-line client, driven statement by statement.
struct MariadbSession {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl MariadbSession {
    fn open() -> MariadbSession {
        // stderr joins stdout so a failed statement's ERROR line is read back.
        let mut child = Command::new("sh")
            .args(["-c", "exec mariadb --no-defaults --batch --skip-column-names --unbuffered --force \"$@\" 2>&1", "sh"])
            .args(["-h", &env("mysql", "HOST"), "-P", &env("mysql", "PORT"), "-u", &env("mysql", "USER")])
            .arg(env("mysql", "NAME"))
            .env("MYSQL_PWD", env("mysql", "PASSWORD"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the mariadb client runs");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        MariadbSession { child, input, output }
    }
}

impl Session for MariadbSession {
    fn run(&mut self, sql: &str) -> String {
        const DONE: &str = "-- statements done --";
        writeln!(self.input, "{sql};\nSELECT '{DONE}';").unwrap();
        let mut out = String::new();
        loop {
            let mut line = String::new();
            assert!(self.output.read_line(&mut line).unwrap() > 0, "mariadb client ended; output: {out}");
            if line.trim_end() == DONE {
                return out;
            }
            out.push_str(&line);
        }
    }
}

impl Drop for MariadbSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Error 1205, after innodb_lock_wait_timeout (1 s on the test server, see tests/servers.sh).
#[test]
fn mysql_lock_wait_timeout_is_retried() {
    let config = common::server_config("mysql").unwrap();
    let subject = Subject::stored(&config, "mysql-lock-wait");
    lock_wait_is_retried(&config, &subject, &mut MariadbSession::open(), "START TRANSACTION", "Lock wait timeout");
}

/// Error 1213. InnoDB rolls back the lighter transaction; the test's has
/// inserted rows first, so that is the store.
#[test]
fn mysql_deadlock_is_retried() {
    let config = common::server_config("mysql").unwrap();
    let subject = Subject::stored(&config, "mysql-deadlock");
    let weight: Vec<String> =
        (0..50).map(|i| format!("('weight-{i}', 'weight', MD5('weight-{i}-{}'), 0)", subject.hash())).collect();
    let begin = format!(
        "START TRANSACTION; INSERT INTO ezdbfile (name, name_trunk, name_hash, size) VALUES {}",
        weight.join(", ")
    );
    // The store's DELETE of the old chunks is running: it waits for our locks.
    let store_waiting = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DELETE FROM ezdbfile_data%'";
    let (mut holder, mut watcher) = (MariadbSession::open(), MariadbSession::open());
    let deadlocks = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'";
    deadlock_is_retried(&config, &subject, &mut holder, &mut watcher, &begin, store_waiting, deadlocks);
}

// --------------------------------------------------------------- PostgreSQL

impl Session for postgres::Client {
    fn run(&mut self, sql: &str) -> String {
        match self.simple_query(sql) {
            Ok(messages) => messages
                .iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => {
                        Some((0..row.len()).map(|i| row.get(i).unwrap_or("NULL")).collect::<Vec<_>>().join("\t") + "\n")
                    }
                    _ => None,
                })
                .collect(),
            Err(e) => format!("ERROR {}\n", e.as_db_error().map_or(e.to_string(), |db| db.to_string())),
        }
    }
}

fn pg_session(user: &str, password: &str) -> postgres::Client {
    postgres::Config::new()
        .host(&env("pgsql", "HOST"))
        .port(env("pgsql", "PORT").parse().unwrap())
        .dbname(&env("pgsql", "NAME"))
        .user(user)
        .password(password)
        .application_name("ezcluster-test")
        .connect(postgres::NoTls)
        .unwrap()
}

fn pg_admin() -> postgres::Client {
    pg_session(&env("pgsql", "USER"), &env("pgsql", "PASSWORD"))
}

/// Error 55P03 (lock_not_available). PostgreSQL waits for locks forever
/// unless told otherwise: a role of its own with `lock_timeout` set gives
/// the store's session a short one without touching any other session.
#[test]
fn pgsql_lock_timeout_is_retried() {
    const ROLE: &str = "ezcluster_short_locks";
    const PASSWORD: &str = "short-locks-only";
    let subject = Subject::stored(&common::server_config("pgsql").unwrap(), "pgsql-lock-timeout");
    let mut holder = pg_admin();
    let created = holder.run(&format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
             CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}';
           END IF;
         END $$;
         ALTER ROLE {ROLE} SET lock_timeout = '300ms';
         GRANT ALL ON ezdbfile, ezdbfile_data TO {ROLE}"
    ));
    assert!(!created.contains("ERROR"), "{created}");
    let config = common::server_config_with("pgsql", &[("DBUser", ROLE), ("DBPassword", PASSWORD)]).unwrap();
    lock_wait_is_retried(&config, &subject, &mut holder, "BEGIN", "lock timeout");
}

/// Error 40P01. PostgreSQL's deadlock check runs in the session that has
/// waited deadlock_timeout (1 s): the store, which started waiting first.
#[test]
fn pgsql_deadlock_is_retried() {
    let config = common::server_config("pgsql").unwrap();
    let subject = Subject::stored(&config, "pgsql-deadlock");
    let store_waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ezcluster'
        AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM ezdbfile_data%'";
    let deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()";
    deadlock_is_retried(&config, &subject, &mut pg_admin(), &mut pg_admin(), "BEGIN", store_waiting, deadlocks);
}

// -------------------------------------------------------------- connecting

/// Nothing listens: each open makes exactly 1 + DBConnectRetries attempts,
/// and the error names host:port. A listener that accepts and hangs up at
/// once sees the same number of connections arrive.
#[test]
fn connection_attempts_are_bounded_by_connect_retries() {
    for backend in ["mysql", "pgsql"] {
        for retries in [0u32, 2] {
            let port = {
                let probe = TcpListener::bind("127.0.0.1:0").unwrap();
                probe.local_addr().unwrap().port()
            }; // closed again: nothing listens there now
            let config = Config {
                port,
                connect_retries: retries,
                ..common::server_config(backend).unwrap()
            };
            let before = connect_attempts();
            let error = Cluster::new(&config).metadata("var/x").unwrap_err();
            assert!(matches!(error, Error::Connect { .. }), "{backend}: {error:?}");
            assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{backend}: {error}");
            assert!(!error.to_string().contains(config.password.expose()), "{backend}: {error}");
            assert_eq!(connect_attempts() - before, 1 + retries as u64, "{backend}, DBConnectRetries={retries}");

            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let config = Config { port: listener.local_addr().unwrap().port(), ..config };
            let accepted = Arc::new(AtomicU32::new(0));
            let counter = accepted.clone();
            listener.set_nonblocking(true).unwrap();
            let (stop, stopped) = std::sync::mpsc::channel::<()>();
            let server = thread::spawn(move || {
                while stopped.try_recv().is_err() {
                    match listener.accept() {
                        Ok((socket, _)) => {
                            counter.fetch_add(1, Ordering::SeqCst);
                            drop(socket);
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
            let error = Cluster::new(&config).metadata("var/x").unwrap_err();
            stop.send(()).unwrap();
            server.join().unwrap();
            assert!(matches!(error, Error::Connect { .. }), "{backend}: {error:?}");
            assert_eq!(accepted.load(Ordering::SeqCst), 1 + retries, "{backend}, DBConnectRetries={retries}: {error}");
        }
    }
}
