//! eZ Publish INI files (`settings/override/file.ini.append.php`) as one
//! layer of the settings: their `[ClusteringSettings]` group overrides
//! php.ini, and `configure()` overrides them.
//!
//! The grammar is eZINI's: `[Group]` lines, `Key=value` lines, `#` at the
//! start of a line and `##` to the end of one are comments; any other line
//! is ignored, which is how the `<?php /* ... */ ?>` wrapper lines (and the
//! `#?ini charset` mark) drop out. Where eZ is stricter, this is lenient:
//! blanks around the key and the `=` are allowed, and keys match in any case,
//! as `configure()` keys do. Keys that are not settings of ours (eZ's other
//! cluster settings) and array lines (`Key[]`, `Key[]=v`, `Key[k]=v`) of
//! such keys are ignored; ours are single values, so an array line for one
//! of them is an error.

use std::sync::Arc;
use std::time::SystemTime;

use super::error::{Error, Result};
use super::settings::{find, Config, SettingDef};

const GROUP: &str = "ClusteringSettings";

/// The setting that names the file. It cannot appear inside the file.
fn file_def() -> &'static SettingDef {
    find("SettingsFile").expect("SettingsFile is in SETTINGS")
}

fn file_error(message: String) -> Error {
    let d = file_def();
    Error::setting(d.key, d.ini, message)
}

/// One of our settings, as a line of the file sets it.
pub struct FileSetting {
    pub def: &'static SettingDef,
    pub value: String,
    /// 1-based, for error messages.
    pub line: usize,
}

/// A parsed settings file: its `[ClusteringSettings]` values that are ours,
/// in file order (a later line wins).
pub struct SettingsFile {
    pub path: String,
    pub settings: Vec<FileSetting>,
}

impl SettingsFile {
    pub fn parse(path: &str, text: &str) -> Result<SettingsFile> {
        let mut settings = Vec::new();
        let mut in_group = false;
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let mut line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim_start().starts_with('#') {
                continue;
            }
            // `##` starts a comment; eZ cuts at the last one after the first character.
            if let Some(cut) = line.rfind("##").filter(|&at| at > 0) {
                line = &line[..cut];
            }
            let line = line.trim();
            if let Some(group) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                in_group = group.trim() == GROUP;
                continue;
            }
            let (key, value) = match line.split_once('=') {
                Some((key, value)) => (key.trim(), value.trim()),
                None => (line, ""),
            };
            if !in_group || key.is_empty() {
                continue;
            }
            // `Key[]` (no `=`), `Key[]=v`, `Key[k]=v`: array entries.
            let (name, is_array) = match key.split_once('[') {
                Some((name, rest)) if rest.ends_with(']') => (name.trim_end(), true),
                Some(_) => continue,
                // Neither a setting nor an array reset: eZ ignores the line.
                None if !line.contains('=') => continue,
                None => (key, false),
            };
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_*@-".contains(c)) {
                continue; // not a key eZ would read (e.g. the wrapper's `*/ ?>`)
            }
            let Some(def) = find(name).filter(|d| d.key.eq_ignore_ascii_case(name)) else {
                continue; // another cluster setting of eZ's, not ours
            };
            if is_array {
                return Err(Error::setting(
                    def.key,
                    def.ini,
                    format!("{path} line {line_no}: {} takes a single value, not an array entry", def.key),
                ));
            }
            if std::ptr::eq(def, file_def()) {
                return Err(Error::setting(
                    def.key,
                    def.ini,
                    format!("{path} line {line_no}: a settings file cannot name another one"),
                ));
            }
            settings.push(FileSetting { def, value: value.to_string(), line: line_no });
        }
        Ok(SettingsFile { path: path.to_string(), settings })
    }

    /// The line that gives `def` its value, if the file sets it.
    fn line_of(&self, def: &SettingDef) -> Option<usize> {
        self.settings.iter().rev().find(|s| std::ptr::eq(s.def, def)).map(|s| s.line)
    }
}

/// What identifies a version of the file on disk without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: SystemTime,
    len: u64,
}

fn stamp(path: &str) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok(Stamp { modified: meta.modified()?, len: meta.len() })
}

/// The last file read, kept until its mtime or size changes.
#[derive(Default)]
pub struct FileCache {
    last: Option<(Stamp, Arc<SettingsFile>)>,
}

impl FileCache {
    pub const fn new() -> Self {
        FileCache { last: None }
    }

    /// The parsed file at `path`; read and parsed again only when its mtime
    /// or size differs from the last read.
    pub fn load(&mut self, path: &str) -> Result<Arc<SettingsFile>> {
        let unreadable = |e: std::io::Error| file_error(format!("cannot read the settings file {path}: {e}"));
        let now = stamp(path).map_err(unreadable)?;
        if let Some((seen, file)) = &self.last {
            if *seen == now && file.path == path {
                return Ok(file.clone());
            }
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            file_error(format!("{path} line {line}: not UTF-8 text"))
        })?;
        let file = Arc::new(SettingsFile::parse(path, &text)?);
        self.last = Some((now, file.clone()));
        Ok(file)
    }

    /// Whether the file last loaded differs on disk now (one stat, no read).
    pub fn changed(&self) -> bool {
        self.last.as_ref().is_some_and(|(seen, file)| stamp(&file.path).ok() != Some(*seen))
    }
}

/// The config from every source, lowest precedence first: the built-in
/// defaults, `base` (php.ini), the settings file named by the last
/// `SettingsFile` in `base` or `overrides` (if any), then `overrides`
/// (`configure()`). An error about a value the file gave names the file and
/// line as well as the setting.
pub fn layered(base: &[(&str, &str)], overrides: &[(&str, &str)], files: &mut FileCache) -> Result<Config> {
    let is_file_key = |key: &str| find(key).is_some_and(|d| std::ptr::eq(d, file_def()));
    let path = base.iter().chain(overrides).filter(|(k, _)| is_file_key(k)).last().map_or("", |(_, v)| v.trim());
    if path.is_empty() {
        return Config::from_pairs(base.iter().chain(overrides).copied());
    }
    let file = files.load(path)?;
    let from_file = file.settings.iter().map(|s| (s.def.key, s.value.as_str()));
    Config::from_pairs(base.iter().copied().chain(from_file).chain(overrides.iter().copied())).map_err(|e| match e {
        Error::Setting { setting, ini, message } => {
            let def = find(setting).expect("errors name settings of the table");
            let overridden = overrides.iter().any(|(k, _)| find(k).is_some_and(|d| std::ptr::eq(d, def)));
            match file.line_of(def).filter(|_| !overridden) {
                Some(line) => Error::setting(setting, ini, format!("{message} (set in {} line {line})", file.path)),
                None => Error::Setting { setting, ini, message },
            }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::settings::BackendKind;

    fn parse(text: &str) -> Result<Vec<(&'static str, String, usize)>> {
        SettingsFile::parse("/etc/ez/file.ini.append.php", text)
            .map(|f| f.settings.into_iter().map(|s| (s.def.key, s.value, s.line)).collect())
    }

    #[test]
    fn reads_the_clustering_group_inside_the_php_wrapper() {
        let text = "<?php /* #?ini charset=\"utf-8\"?\n\
                    \n\
                    [ClusteringSettings]\n\
                    FileHandler=eZDBFileHandler\n\
                    DBBackend=eZDBFileHandlerMysqliBackend\n\
                    DBHost=db.example\n\
                    DBPort=3307\n\
                    */ ?>\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                ("FileHandler", "eZDBFileHandler".into(), 4),
                ("DBBackend", "eZDBFileHandlerMysqliBackend".into(), 5),
                ("DBHost", "db.example".into(), 6),
                ("DBPort", "3307".into(), 7),
            ]
        );
    }

    #[test]
    fn comments_other_groups_and_foreign_keys_are_ignored() {
        let text = "[DatabaseSettings]\n\
                    DBHost=not-this-one\n\
                    [ClusteringSettings]\n\
                    # DBHost=commented-out\n\
                    \x20 # indented comment\n\
                    DBHost=db ## the cluster database\n\
                    DBName=a##b##c\n\
                    NonExistantStaleCacheHandling[]\n\
                    NonExistantStaleCacheHandling[]=wait\n\
                    MetaDataCacheSettings[one]=two\n\
                    DBFileHandlerMysqlBackend=whatever\n\
                    just some words\n\
                    [FileSettings]\n\
                    DBName=not-this-one-either\n";
        assert_eq!(parse(text).unwrap(), vec![("DBHost", "db".into(), 6), ("DBName", "a##b".into(), 7)]);
    }

    #[test]
    fn whitespace_crlf_case_and_repeats() {
        let text = "[ClusteringSettings]\r\n  dbhost = first \r\n\tDBHOST=second\r\n[ClusteringSettings]\r\nDBUser=\r\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![("DBHost", "first".into(), 2), ("DBHost", "second".into(), 3), ("DBUser", String::new(), 5)]
        );
    }

    #[test]
    fn array_lines_of_our_settings_and_a_nested_file_are_errors() {
        let e = parse("[ClusteringSettings]\nDBHost[]=a\n").unwrap_err().to_string();
        assert!(e.contains("DBHost") && e.contains("/etc/ez/file.ini.append.php line 2"), "{e}");
        let e = parse("[ClusteringSettings]\nDBPassword[]=hunter2\n").unwrap_err().to_string();
        assert!(e.contains("DBPassword") && !e.contains("hunter2"), "{e}");
        let e = parse("[ClusteringSettings]\n\nSettingsFile=/other.ini\n").unwrap_err().to_string();
        assert!(e.contains("SettingsFile") && e.contains("line 3"), "{e}");
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> String {
        let path = dir.path().join("file.ini.append.php");
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    #[test]
    fn precedence_is_defaults_php_ini_file_configure() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[ClusteringSettings]\nDBBackend=pgsql\nDBHost=from-file\nDBPort=6000\nDBName=cluster\n");
        let php_ini = [("ezcluster.settings_file", path.as_str()), ("ezcluster.db_host", "from-ini"), ("ezcluster.db_user", "ini-user")];
        let mut files = FileCache::new();
        let c = layered(&php_ini, &[], &mut files).unwrap();
        assert_eq!((c.backend, c.host.as_str(), c.port, c.user.as_str()), (BackendKind::Pgsql, "from-file", 6000, "ini-user"));
        assert_eq!(c.chunk_size, 65535, "untouched settings keep their default");
        let c = layered(&php_ini, &[("DBPort", "7000")], &mut files).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("from-file", 7000));
        // configure() may name another file; its values then apply.
        let dir2 = tempfile::tempdir().unwrap();
        let other = write(&dir2, "[ClusteringSettings]\nDBHost=other-file\n");
        let c = layered(&php_ini, &[("SettingsFile", other.as_str())], &mut files).unwrap();
        assert_eq!((c.backend, c.host.as_str()), (BackendKind::Sqlite, "other-file"));
        // No file: php.ini alone.
        let c = layered(&[("ezcluster.db_host", "from-ini")], &[], &mut files).unwrap();
        assert_eq!(c.host, "from-ini");
    }

    #[test]
    fn a_bad_value_names_the_file_the_setting_and_the_line_never_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "<?php /*\n[ClusteringSettings]\nDBPassword=hunter2\nDBChunkSize=lots\n*/ ?>\n");
        let base = [("ezcluster.settings_file", path.as_str())];
        let e = layered(&base, &[], &mut FileCache::new()).unwrap_err().to_string();
        assert!(e.contains("DBChunkSize") && e.contains(&format!("{path} line 4")) && e.contains("lots"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        // Overridden by configure(), the bad line does not matter.
        layered(&base, &[("DBChunkSize", "1000")], &mut FileCache::new()).unwrap();
        // A setting the file does not give is reported without it.
        let e = layered(&base, &[("DBChunkSize", "1000"), ("DBPort", "x")], &mut FileCache::new()).unwrap_err();
        assert!(!e.to_string().contains("line"), "{e}");
    }

    #[test]
    fn a_missing_or_unreadable_file_names_its_path_and_the_setting() {
        let e = layered(&[("ezcluster.settings_file", "/nonexistent/file.ini.append.php")], &[], &mut FileCache::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/file.ini.append.php") && e.contains("ezcluster.settings_file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.ini");
        std::fs::write(&path, b"[ClusteringSettings]\nDBPassword=caf\xe9\n").unwrap();
        let e = FileCache::new().load(path.to_str().unwrap()).err().expect("not UTF-8").to_string();
        assert!(e.contains("line 2") && e.contains("UTF-8") && !e.contains("caf"), "{e}");
    }

    #[test]
    fn the_file_is_read_again_only_when_its_mtime_or_size_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[ClusteringSettings]\nDBHost=aaaa\n");
        let set_mtime = |secs: u64| {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
        };
        set_mtime(1_600_000_000);
        let mut files = FileCache::new();
        let first = files.load(&path).unwrap();
        assert!(Arc::ptr_eq(&first, &files.load(&path).unwrap()), "unchanged: not read again");
        assert!(!files.changed());
        // Same size, same mtime: the new text is not seen (not read again).
        std::fs::write(&path, "[ClusteringSettings]\nDBHost=bbbb\n").unwrap();
        set_mtime(1_600_000_000);
        assert!(!files.changed());
        assert_eq!(files.load(&path).unwrap().settings[0].value, "aaaa");
        // A new mtime: read again.
        set_mtime(1_600_000_001);
        assert!(files.changed());
        assert_eq!(files.load(&path).unwrap().settings[0].value, "bbbb");
        // A new size with the same mtime: read again.
        std::fs::write(&path, "[ClusteringSettings]\nDBHost=cc\n").unwrap();
        set_mtime(1_600_000_001);
        assert!(files.changed());
        assert_eq!(files.load(&path).unwrap().settings[0].value, "cc");
    }
}
