//! The one table of settings. php.ini registration, phpinfo() rows,
//! `configure()` keys and docs/settings.md are all generated from `SETTINGS`.

use std::fmt;

use super::error::{Error, Result};
use super::http::PublicPrefixes;

/// Who may change a setting. `System` settings come only from php.ini (or -d,
/// or `configure()` by code that already holds them): never from ini_set().
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    System,
    All,
}

pub struct SettingDef {
    /// The eZ Publish `[ClusteringSettings]` key, also the `configure()` key.
    pub key: &'static str,
    /// The php.ini entry.
    pub ini: &'static str,
    pub default: &'static str,
    pub permission: Permission,
    /// Never shown: phpinfo(), errors and docs print only whether it is set.
    pub secret: bool,
    pub doc: &'static str,
}

const fn def(
    key: &'static str,
    ini: &'static str,
    default: &'static str,
    permission: Permission,
    doc: &'static str,
) -> SettingDef {
    SettingDef { key, ini, default, permission, secret: false, doc }
}

pub static SETTINGS: &[SettingDef] = &[
    def("SettingsFile", "ezcluster.settings_file", "", Permission::System,
        "An eZ Publish INI file, e.g. `settings/override/file.ini.append.php`, whose `[ClusteringSettings]` values override php.ini (see [precedence](#precedence)). Empty: none. Read again when its mtime or size changes."),
    def("FileHandler", "ezcluster.file_handler", "ezdb", Permission::System,
        "`ezdb` keeps files in a database; `ezfs` keeps them on the local filesystem (no cluster)."),
    def("DBBackend", "ezcluster.db_backend", "sqlite", Permission::System,
        "Database for `ezdb`: `mysql` (MariaDB/MySQL), `pgsql` (PostgreSQL) or `sqlite` (embedded, one host)."),
    def("DBHost", "ezcluster.db_host", "localhost", Permission::System,
        "Database server host name or IP address (mysql, pgsql)."),
    def("DBPort", "ezcluster.db_port", "0", Permission::System,
        "Database server TCP port; 0 means the backend's default (3306 for mysql, 5432 for pgsql)."),
    def("DBSocket", "ezcluster.db_socket", "", Permission::System,
        "Unix socket path (mysql) or socket directory (pgsql); when set it is used instead of host and port."),
    def("DBName", "ezcluster.db_name", "", Permission::System,
        "Database name (mysql, pgsql; required). For sqlite the database file; empty means var/ezcluster.sqlite under the current directory."),
    def("DBUser", "ezcluster.db_user", "", Permission::System,
        "Database user (mysql, pgsql)."),
    SettingDef {
        key: "DBPassword",
        ini: "ezcluster.db_password",
        default: "",
        permission: Permission::System,
        secret: true,
        doc: "Database password. Never shown in phpinfo(), errors or logs.",
    },
    def("DBChunkSize", "ezcluster.db_chunk_size", "65535", Permission::All,
        "Bytes per stored chunk row. At most 65535 for mysql (the BLOB column of eZ's schema)."),
    def("DBConnectRetries", "ezcluster.db_connect_retries", "3", Permission::All,
        "How many times a failed connection attempt is tried again before giving up."),
    def("DBExecuteRetries", "ezcluster.db_execute_retries", "20", Permission::All,
        "How many times a statement that hit a lock wait or deadlock is tried again."),
    def("CacheGenerationTimeout", "ezcluster.cache_generation_timeout", "60", Permission::All,
        "Seconds a process may take to regenerate an expired cache item before another process takes the generation over (eZ Publish: site.ini [ContentSettings] CacheGenerationTimeout)."),
    def("DBCreateTables", "ezcluster.db_create_tables", "1", Permission::System,
        "Create the ezdbfile tables on first use when they are missing. Turn off where the web user has no DDL rights."),
    def("ServePublicPrefixes", "ezcluster.serve_public_prefixes", "var/storage/images*,var/*/storage/images*", Permission::System,
        "Comma-separated trees that `ezcluster_serve()` may send over HTTP; `*` matches within one path segment. Any other path is a 404."),
    def("ServeCacheControl", "ezcluster.serve_cache_control", "public, max-age=86400", Permission::System,
        "`Cache-Control` header value of served files (also on 304 responses); empty sends none."),
    def("ServeExpires", "ezcluster.serve_expires", "", Permission::System,
        "Seconds from the request until the `Expires` date of served files; empty sends no `Expires` header."),
];

pub fn find(key: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.key.eq_ignore_ascii_case(key) || d.ini == key)
}

fn def_of(key: &str) -> &'static SettingDef {
    find(key).expect("setting key is in SETTINGS")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileHandler {
    Ezdb,
    Ezfs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendKind {
    Mysql,
    Pgsql,
    Sqlite,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Mysql => "mysql",
            BackendKind::Pgsql => "pgsql",
            BackendKind::Sqlite => "sqlite",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            BackendKind::Mysql => 3306,
            BackendKind::Pgsql => 5432,
            BackendKind::Sqlite => 0,
        }
    }
}

/// A password that never prints.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(not set)" } else { "(set)" })
    }
}

/// The typed, validated settings. Equal configs share one connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    pub settings_file: String,
    pub file_handler: FileHandler,
    pub backend: BackendKind,
    pub host: String,
    pub port: u16,
    pub socket: String,
    pub name: String,
    pub user: String,
    pub password: Secret,
    pub chunk_size: usize,
    pub connect_retries: u32,
    pub execute_retries: u32,
    pub create_tables: bool,
    pub cache_generation_timeout: u32,
    pub serve: ServeSettings,
}

/// How `ezcluster_serve()` answers: which trees are public, and the caching
/// headers it sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServeSettings {
    pub public_prefixes: PublicPrefixes,
    pub cache_control: String,
    /// Seconds after the request that `Expires` names; `None`: no header.
    pub expires: Option<u64>,
}

/// Largest chunk eZ's MySQL schema can hold (`filedata BLOB`).
pub const MYSQL_MAX_CHUNK: usize = 65535;
/// Upper bound for other backends: keeps memory per call bounded.
pub const MAX_CHUNK: usize = 16 * 1024 * 1024;

impl Config {
    /// Builds a config from (key, value) pairs layered over the defaults; a
    /// later pair wins. Keys are eZ names or php.ini names.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Config> {
        let mut values: Vec<(&'static SettingDef, String)> =
            SETTINGS.iter().map(|d| (d, d.default.to_string())).collect();
        for (key, value) in pairs {
            let Some(def) = find(key) else {
                let known: Vec<&str> = SETTINGS.iter().map(|d| d.key).collect();
                return Err(Error::InvalidArgument(format!(
                    "unknown cluster setting '{key}'; known settings: {}",
                    known.join(", ")
                )));
            };
            let slot = values.iter_mut().find(|(d, _)| std::ptr::eq(*d, def)).expect("all defs present");
            slot.1 = value.trim().to_string();
        }
        let get = |key: &str| -> &str {
            let def = def_of(key);
            values.iter().find(|(d, _)| std::ptr::eq(*d, def)).map(|(_, v)| v.as_str()).unwrap_or("")
        };
        let bad = |key: &str, message: String| {
            let d = def_of(key);
            Error::setting(d.key, d.ini, message)
        };

        let file_handler = match get("FileHandler").to_ascii_lowercase().as_str() {
            "ezdb" | "ezdbfilehandler" => FileHandler::Ezdb,
            "ezfs" | "ezfsfilehandler" => FileHandler::Ezfs,
            other => return Err(bad("FileHandler", format!("'{other}' is not a file handler; use ezdb or ezfs"))),
        };
        let backend = match get("DBBackend").to_ascii_lowercase().as_str() {
            "mysql" | "mysqli" | "mariadb" | "ezdbfilehandlermysqlbackend" | "ezdbfilehandlermysqlibackend" => {
                BackendKind::Mysql
            }
            "pgsql" | "postgresql" | "postgres" | "ezdbfilehandlerpgsqlbackend" => BackendKind::Pgsql,
            "sqlite" | "sqlite3" => BackendKind::Sqlite,
            other => {
                return Err(bad("DBBackend", format!("'{other}' is not a database backend; use mysql, pgsql or sqlite")))
            }
        };
        let number = |key: &str, max: u64| -> Result<u64> {
            let raw = get(key);
            match raw.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(bad(key, format!("'{raw}' is not a whole number between 0 and {max}"))),
            }
        };
        let port = number("DBPort", u16::MAX as u64)? as u16;
        let chunk_size = number("DBChunkSize", MAX_CHUNK as u64)? as usize;
        let chunk_max = if backend == BackendKind::Mysql && file_handler == FileHandler::Ezdb {
            MYSQL_MAX_CHUNK
        } else {
            MAX_CHUNK
        };
        if chunk_size == 0 || chunk_size > chunk_max {
            return Err(bad(
                "DBChunkSize",
                format!("{chunk_size} is out of range: it must be between 1 and {chunk_max} for {}", backend.name()),
            ));
        }
        let create_tables = match get("DBCreateTables").to_ascii_lowercase().as_str() {
            "1" | "on" | "true" | "yes" | "enabled" => true,
            "0" | "off" | "false" | "no" | "disabled" | "" => false,
            other => return Err(bad("DBCreateTables", format!("'{other}' is not a boolean; use 1 or 0"))),
        };
        let config = Config {
            settings_file: get("SettingsFile").to_string(),
            file_handler,
            backend,
            host: get("DBHost").to_string(),
            port: if port == 0 { backend.default_port() } else { port },
            socket: get("DBSocket").to_string(),
            name: get("DBName").to_string(),
            user: get("DBUser").to_string(),
            password: Secret(get("DBPassword").to_string()),
            chunk_size,
            connect_retries: number("DBConnectRetries", 100)? as u32,
            execute_retries: number("DBExecuteRetries", 1000)? as u32,
            create_tables,
            cache_generation_timeout: number("CacheGenerationTimeout", 86400)? as u32,
            serve: ServeSettings {
                public_prefixes: PublicPrefixes::parse(get("ServePublicPrefixes"))
                    .map_err(|m| bad("ServePublicPrefixes", m))?,
                cache_control: match get("ServeCacheControl") {
                    v if v.bytes().any(|b| b < 0x20 || b == 0x7f) => {
                        return Err(bad("ServeCacheControl", "must be one line of printable characters".into()))
                    }
                    v => v.to_string(),
                },
                expires: match get("ServeExpires") {
                    "" => None,
                    _ => Some(number("ServeExpires", 10 * 365 * 86_400)?),
                },
            },
        };
        if file_handler == FileHandler::Ezdb && backend != BackendKind::Sqlite {
            if config.name.is_empty() {
                return Err(bad("DBName", format!("is required for the {} backend", backend.name())));
            }
            if config.host.is_empty() && config.socket.is_empty() {
                return Err(bad("DBHost", format!("is required for the {} backend (or set DBSocket)", backend.name())));
            }
        }
        Ok(config)
    }

    /// Where the database is, for error messages: host:port or socket.
    pub fn address(&self) -> String {
        match self.backend {
            BackendKind::Sqlite => self.sqlite_path(),
            _ if !self.socket.is_empty() => format!("socket {}", self.socket),
            _ => format!("{}:{}", self.host, self.port),
        }
    }

    pub fn sqlite_path(&self) -> String {
        if self.name.is_empty() { "var/ezcluster.sqlite".to_string() } else { self.name.clone() }
    }

    /// The effective value of every setting, secrets masked: for phpinfo().
    pub fn display_rows(&self) -> Vec<(&'static SettingDef, String)> {
        SETTINGS
            .iter()
            .map(|d| {
                let value = match d.key {
                    "SettingsFile" => self.settings_file.clone(),
                    "FileHandler" => match self.file_handler {
                        FileHandler::Ezdb => "ezdb".to_string(),
                        FileHandler::Ezfs => "ezfs".to_string(),
                    },
                    "DBBackend" => self.backend.name().to_string(),
                    "DBHost" => self.host.clone(),
                    "DBPort" => self.port.to_string(),
                    "DBSocket" => self.socket.clone(),
                    "DBName" if self.backend == BackendKind::Sqlite => self.sqlite_path(),
                    "DBName" => self.name.clone(),
                    "DBUser" => self.user.clone(),
                    "DBPassword" => format!("{:?}", self.password),
                    "DBChunkSize" => self.chunk_size.to_string(),
                    "DBConnectRetries" => self.connect_retries.to_string(),
                    "DBExecuteRetries" => self.execute_retries.to_string(),
                    "DBCreateTables" => (if self.create_tables { "1" } else { "0" }).to_string(),
                    "CacheGenerationTimeout" => self.cache_generation_timeout.to_string(),
                    "ServePublicPrefixes" => self.serve.public_prefixes.to_string(),
                    "ServeCacheControl" => self.serve.cache_control.clone(),
                    "ServeExpires" => self.serve.expires.map_or_else(String::new, |s| s.to_string()),
                    other => unreachable!("setting {other} has no display rule"),
                };
                (d, value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_the_embedded_sqlite_store() {
        let c = Config::from_pairs([]).unwrap();
        assert_eq!(c.file_handler, FileHandler::Ezdb);
        assert_eq!(c.backend, BackendKind::Sqlite);
        assert_eq!(c.chunk_size, 65535);
        assert_eq!(c.sqlite_path(), "var/ezcluster.sqlite");
    }

    #[test]
    fn errors_name_the_setting_and_hide_the_password() {
        let e = Config::from_pairs([("DBChunkSize", "abc")]).unwrap_err().to_string();
        assert!(e.contains("DBChunkSize") && e.contains("ezcluster.db_chunk_size"), "{e}");
        let e = Config::from_pairs([("DBBackend", "mysql"), ("DBChunkSize", "70000"), ("DBName", "x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("DBChunkSize") && e.contains("65535"), "{e}");
        let e = Config::from_pairs([("DBBackend", "pgsql"), ("DBPassword", "hunter2")]).unwrap_err().to_string();
        assert!(e.contains("DBName") && !e.contains("hunter2"), "{e}");
        let e = Config::from_pairs([("ezcluster.db_backend", "oracle")]).unwrap_err().to_string();
        assert!(e.contains("DBBackend") && e.contains("oracle"), "{e}");
        let e = Config::from_pairs([("NoSuchSetting", "1")]).unwrap_err().to_string();
        assert!(e.contains("NoSuchSetting"), "{e}");
    }

    #[test]
    fn php_ini_names_and_ez_names_are_interchangeable() {
        let c = Config::from_pairs([
            ("ezcluster.db_backend", "pgsql"),
            ("DBName", "cluster"),
            ("dbport", "6543"),
            ("DBPassword", "hunter2"),
        ])
        .unwrap();
        assert_eq!((c.backend, c.port, c.name.as_str()), (BackendKind::Pgsql, 6543, "cluster"));
        assert_eq!(c.address(), "localhost:6543");
        let shown = format!("{c:?} {:?}", c.display_rows().iter().map(|r| &r.1).collect::<Vec<_>>());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
