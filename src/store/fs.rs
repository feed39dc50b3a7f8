//! `ezfs`: plain files under a root directory, no database. Deleting is real
//! (there is nothing to soft-delete), and replacing a file is a rename.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::backend::{read_chunk, Backend, ChunkSink, FetchSink, FileMeta, NameMatch, NameQuery, NewFile, Source};
use super::error::{Error, Result};
use super::mime;

pub struct FsBackend {
    root: PathBuf,
}

impl FsBackend {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsBackend { root: root.into() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn meta_of(&self, name: &str, file_meta: &fs::Metadata) -> FileMeta {
        let mtime = file_meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        FileMeta {
            name: name.to_string(),
            name_trunk: name.to_string(),
            datatype: mime::guess(name).to_string(),
            scope: String::new(),
            size: file_meta.len(),
            mtime,
            expired: false,
        }
    }

    fn walk(&self, dir: &Path, prefix: &str, names: &mut Vec<String>) -> Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            // No such directory (or a file by that name): nothing under it.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(()),
            Err(e) => return Err(Error::io(dir.display(), e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir.display(), e))?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type().map_err(|e| Error::io(entry.path().display(), e))?;
            if kind.is_dir() {
                self.walk(&entry.path(), &format!("{name}/"), names)?;
            } else if kind.is_file() && !is_temp_name(&name) {
                names.push(name);
            }
        }
        Ok(())
    }
}

/// The chunk size `fetch_range` reads plain files in.
const FS_CHUNK: u64 = 64 * 1024;

/// Marks the temp files of `write_atomically` (and `fetchUnique` copies):
/// never listed as stored files, and removed once their writer is gone.
pub const TEMP_MARK: &str = ".ezcluster-tmp-";
/// How much of the destination's name a temp file name repeats: enough to
/// tell whose it is, short enough to stay under the 255-byte name limit.
const TEMP_NAME_KEEP: usize = 120;

fn is_temp_name(name: &str) -> bool {
    name.contains(TEMP_MARK)
}

/// `.<start of file_name>.ezcluster-tmp-`: what every temp file for
/// `file_name` starts with, followed by `<pid>-<unique>`.
fn temp_prefix(file_name: &str) -> String {
    let mut keep = file_name.len().min(TEMP_NAME_KEEP);
    while !file_name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!(".{}{TEMP_MARK}", &file_name[..keep])
}

/// Removes temp files for `file_name` in `dir` whose writer process no longer
/// exists (a fetch killed midway), so they do not pile up.
fn remove_abandoned_temps(dir: &Path, file_name: &str) {
    let prefix = temp_prefix(file_name);
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix.as_str())) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else { continue };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes a file next to `dest` and renames it into place, so readers of
/// `dest` see the old or the new content, never a partial one. `fill`
/// answers whether to install what it wrote; returns that answer.
pub fn write_atomically(dest: &Path, fill: impl FnOnce(&mut File) -> Result<bool>) -> Result<bool> {
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    let file_name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    remove_abandoned_temps(dir, &file_name);
    let tmp = dir.join(format!("{}{}-{}", temp_prefix(&file_name), std::process::id(), unique()));
    let result = File::create(&tmp).map_err(|e| Error::io(tmp.display(), e)).and_then(|mut f| {
        if !fill(&mut f)? {
            return Ok(false);
        }
        f.sync_data().map_err(|e| Error::io(tmp.display(), e))?;
        fs::rename(&tmp, dest).map_err(|e| Error::io(dest.display(), e))?;
        Ok(true)
    });
    if result.as_ref().map_or(true, |installed| !installed) {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64);
    nanos ^ (COUNTER.fetch_add(1, Ordering::Relaxed) << 32)
}

impl Backend for FsBackend {
    fn kind(&self) -> &'static str {
        "ezfs"
    }

    fn create_tables(&mut self) -> Result<()> {
        Ok(())
    }

    fn metadata(&mut self, name: &str) -> Result<Option<FileMeta>> {
        let path = self.path(name);
        match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(self.meta_of(name, &m))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display(), e)),
        }
    }

    fn store(&mut self, file: &NewFile, data: &mut dyn Source, chunk_size: usize) -> Result<u64> {
        let dest = self.path(file.name);
        let mut written = 0u64;
        data.seek(SeekFrom::Start(0)).map_err(Error::Sink)?;
        // Temp file + rename also makes storing a file onto itself safe.
        write_atomically(&dest, |out| {
            let mut buf = Vec::with_capacity(chunk_size);
            loop {
                let n = read_chunk(data, &mut buf, chunk_size).map_err(Error::Sink)?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf).map_err(|e| Error::io(dest.display(), e))?;
                written += n as u64;
            }
            let mtime = UNIX_EPOCH + Duration::from_secs(file.mtime.max(0) as u64);
            out.set_modified(mtime).map_err(|e| Error::io(dest.display(), e))?;
            Ok(true)
        })?;
        Ok(written)
    }

    fn fetch(&mut self, name: &str, sink: &mut dyn FetchSink) -> Result<Option<FileMeta>> {
        let path = self.path(name);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path.display(), e)),
        };
        let m = file.metadata().map_err(|e| Error::io(path.display(), e))?;
        if !m.is_file() {
            return Ok(None);
        }
        let meta = self.meta_of(name, &m);
        sink.begin(&meta)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| Error::io(path.display(), e))?;
            if n == 0 {
                break;
            }
            sink.data(&buf[..n])?;
        }
        Ok(Some(meta))
    }

    /// Plain files have no chunk rows: chunks are the file's 64 KiB pieces.
    fn fetch_range(&mut self, name: &str, lo: u64, hi: u64, sink: &mut dyn ChunkSink) -> Result<Option<FileMeta>> {
        let path = self.path(name);
        let io_error = |e| Error::io(path.display(), e);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(e)),
        };
        let m = file.metadata().map_err(io_error)?;
        if !m.is_file() {
            return Ok(None);
        }
        let meta = self.meta_of(name, &m);
        sink.begin(&meta)?;
        let mut buf = Vec::with_capacity(FS_CHUNK as usize);
        let mut offset = 0;
        while offset < meta.size && offset <= hi {
            if offset == 0 || offset >= lo {
                file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
                if read_chunk(&mut file, &mut buf, FS_CHUNK as usize).map_err(io_error)? == 0 {
                    break; // the file shrank meanwhile: the sink sees bytes missing
                }
                sink.chunk(offset, &buf)?;
            }
            offset = if offset == 0 { lo.div_ceil(FS_CHUNK).max(1) * FS_CHUNK } else { offset + FS_CHUNK };
        }
        Ok(Some(meta))
    }

    fn delete(&mut self, name: &str) -> Result<bool> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            // A directory is no file; `delete_tree` removes what is under it.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::IsADirectory) => Ok(false),
            Err(e) => Err(Error::io(path.display(), e)),
        }
    }

    fn names(&mut self, query: &NameQuery) -> Result<Vec<FileMeta>> {
        // Files are deleted for real: there are no soft-deleted ones to list.
        if query.deleted {
            return Ok(Vec::new());
        }
        let mut names = Vec::new();
        match query.matching {
            // Walk only the deepest directory the prefix names.
            NameMatch::Prefix(prefix) => {
                let dir = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
                self.walk(&self.path(dir), dir, &mut names)?;
                names.retain(|n| n.starts_with(prefix));
            }
            // A plain file is its own trunk.
            NameMatch::Trunk(name) => names.push(name.to_string()),
        }
        names.sort();
        let mut rows = Vec::new();
        for name in names {
            let Some(meta) = self.metadata(&name)? else { continue };
            if query.older_than.is_some_and(|t| meta.mtime >= t) {
                continue;
            }
            rows.push(meta);
            if query.limit.is_some_and(|l| rows.len() as u64 >= l) {
                break;
            }
        }
        Ok(rows)
    }

    fn delete_many(&mut self, names: &[String]) -> Result<u64> {
        names.iter().try_fold(0, |n, name| Ok(n + u64::from(self.delete(name)?)))
    }

    fn purge(&mut self, _names: &[String]) -> Result<u64> {
        Ok(0)
    }

    fn copy(&mut self, from: &str, to: &str, remove_source: bool) -> Result<bool> {
        let (source, target) = (self.path(from), self.path(to));
        if !source.is_file() {
            return Ok(false);
        }
        if from == to {
            return Ok(true);
        }
        if remove_source {
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
            }
            fs::rename(&source, &target).map_err(|e| Error::io(target.display(), e))?;
            return Ok(true);
        }
        let mut input = File::open(&source).map_err(|e| Error::io(source.display(), e))?;
        let modified = input.metadata().and_then(|m| m.modified()).map_err(|e| Error::io(source.display(), e))?;
        write_atomically(&target, |out| {
            io::copy(&mut input, out).map_err(|e| Error::io(target.display(), e))?;
            out.set_modified(modified).map_err(|e| Error::io(target.display(), e))?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_get_short_temp_files() {
        let dir = tempfile::TempDir::new().unwrap();
        let name = format!("{}é.pdf", "n".repeat(245)); // 252 bytes: at the limit
        let dest = dir.path().join(&name);
        write_atomically(&dest, |f| f.write_all(b"x").map(|()| true).map_err(Error::Sink)).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"x");
    }

    #[test]
    fn temps_of_dead_writers_are_removed_live_ones_kept() {
        let dir = tempfile::TempDir::new().unwrap();
        let prefix = temp_prefix("a.png");
        // pid 2^22 + 1 is above Linux's pid_max limit: no such process.
        let dead = dir.path().join(format!("{prefix}4194305-1"));
        let live = dir.path().join(format!("{prefix}{}-1", std::process::id()));
        let other = dir.path().join(format!("{}4194305-1", temp_prefix("b.png")));
        for p in [&dead, &live, &other] {
            fs::write(p, b"partial").unwrap();
        }
        write_atomically(&dir.path().join("a.png"), |_| Ok(true)).unwrap();
        assert!(!dead.exists() && live.exists() && other.exists());
    }
}
