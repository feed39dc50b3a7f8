//! The conformance suite: every backend must pass every function here.
//! `conformance_suite!` (below) instantiates one #[test] per case per backend.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use ezcluster::store::backend::ChunkSink;
use ezcluster::store::{Backend, Error, FetchSink, FileMeta, NameMatch, NameQuery, NewFile, Result, ScopeFilter};

/// Deterministic bytes of any length without holding them in memory, so a
/// 200 MiB store is streamed and checked byte for byte, including NULs.
pub struct Pattern {
    len: u64,
    seed: u64,
    pos: u64,
}

impl Pattern {
    pub fn new(len: u64, seed: u64) -> Self {
        Pattern { len, seed, pos: 0 }
    }

    pub fn byte_at(seed: u64, i: u64) -> u8 {
        let mut x = (i / 8).wrapping_add(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 29;
        (x >> ((i % 8) * 8)) as u8
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.len - self.pos.min(self.len)) as usize);
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = Pattern::byte_at(self.seed, self.pos + k as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Pattern {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => (self.len as i64 + d) as u64,
            SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
        };
        Ok(self.pos)
    }
}

/// Collects a fetch in memory.
#[derive(Default)]
pub struct Collect {
    pub meta: Option<FileMeta>,
    pub bytes: Vec<u8>,
}

impl FetchSink for Collect {
    fn begin(&mut self, meta: &FileMeta) -> Result<()> {
        self.meta = Some(meta.clone());
        Ok(())
    }
    fn data(&mut self, bytes: &[u8]) -> Result<()> {
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }
}

/// Checks a fetch against a `Pattern` as it streams, holding nothing.
struct CheckPattern {
    seed: u64,
    pos: u64,
    largest_piece: usize,
}

impl FetchSink for CheckPattern {
    fn begin(&mut self, _: &FileMeta) -> Result<()> {
        Ok(())
    }
    fn data(&mut self, bytes: &[u8]) -> Result<()> {
        for (k, b) in bytes.iter().enumerate() {
            let want = Pattern::byte_at(self.seed, self.pos + k as u64);
            if *b != want {
                return Err(Error::Sink(io::Error::other(format!("byte {} is {b}, want {want}", self.pos + k as u64))));
            }
        }
        self.pos += bytes.len() as u64;
        self.largest_piece = self.largest_piece.max(bytes.len());
        Ok(())
    }
}

pub fn file<'a>(name: &'a str) -> NewFile<'a> {
    NewFile { name, name_trunk: name, datatype: "application/octet-stream", scope: "binaryfile", mtime: 1_700_000_000 }
}

pub fn store_bytes(b: &mut dyn Backend, name: &str, data: &[u8], chunk: usize) -> u64 {
    b.store(&file(name), &mut Cursor::new(data), chunk).unwrap_or_else(|e| panic!("store {name}: {e}"))
}

pub fn fetch_bytes(b: &mut dyn Backend, name: &str) -> Option<Vec<u8>> {
    let mut sink = Collect::default();
    let meta = b.fetch(name, &mut sink).unwrap_or_else(|e| panic!("fetch {name}: {e}"))?;
    assert_eq!(meta.size, sink.bytes.len() as u64, "size of {name}");
    Some(sink.bytes)
}

fn pattern_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut v = Vec::new();
    Pattern::new(len as u64, seed).read_to_end(&mut v).unwrap();
    v
}

/// Every size around chunk boundaries round-trips exactly.
pub fn sizes_round_trip(b: &mut dyn Backend, prefix: &str) {
    let chunk = 1000;
    for (i, len) in [0usize, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 5 * chunk + 17].into_iter().enumerate() {
        let name = format!("{prefix}/sizes/file-{len}.bin");
        let data = pattern_bytes(len, i as u64);
        assert_eq!(store_bytes(b, &name, &data, chunk), len as u64);
        let got = fetch_bytes(b, &name).unwrap_or_else(|| panic!("{name} missing after store"));
        assert!(got == data, "{name}: fetched {} bytes differ from the {len} stored", got.len());
        let meta = b.metadata(&name).unwrap().expect("metadata after store");
        assert_eq!((meta.size, meta.mtime), (len as u64, 1_700_000_000), "{name}");
        if b.kind() != "ezfs" {
            assert_eq!(meta.scope, "binaryfile", "{name}"); // plain files have no scope
        }
        assert_eq!(meta.name, name);
    }
}

/// NUL and every other byte value survive.
pub fn binary_data_round_trips(b: &mut dyn Backend, prefix: &str) {
    let data: Vec<u8> = (0..=255u8).cycle().take(3000).chain([0, 0, 0]).collect();
    let name = format!("{prefix}/binary.dat");
    store_bytes(b, &name, &data, 512);
    assert_eq!(fetch_bytes(b, &name).unwrap(), data);
}

/// Names are data: spaces, quotes, UTF-8, and SQL wildcard characters.
pub fn odd_names_are_data(b: &mut dyn Backend, prefix: &str) {
    let names = [
        "with space.txt",
        "quote'single.txt",
        "quote\"double.txt",
        "back\\slash.txt",
        "ünïcødé-日本語.txt",
        "percent%sign.txt",
        "under_score.txt",
        "underXscore.txt",
    ];
    for (i, n) in names.iter().enumerate() {
        store_bytes(b, &format!("{prefix}/{n}"), format!("content {i}").as_bytes(), 100);
    }
    for (i, n) in names.iter().enumerate() {
        let got = fetch_bytes(b, &format!("{prefix}/{n}")).unwrap_or_else(|| panic!("{n} missing"));
        assert_eq!(got, format!("content {i}").as_bytes(), "{n}");
    }
    // `_` must not match `X`, `%` must not match anything else.
    assert!(b.delete(&format!("{prefix}/under_score.txt")).unwrap());
    assert!(b.metadata(&format!("{prefix}/underXscore.txt")).unwrap().is_some());
    assert!(b.metadata(&format!("{prefix}/percent%sign.txt")).unwrap().is_some());
    assert!(fetch_bytes(b, &format!("{prefix}/percent_sign.txt")).is_none());
}

/// A second store replaces the first completely, also when it is shorter.
pub fn overwrite_replaces_whole_file(b: &mut dyn Backend, prefix: &str) {
    let name = format!("{prefix}/overwrite.bin");
    let long = pattern_bytes(10_000, 1);
    let short = pattern_bytes(1500, 2);
    store_bytes(b, &name, &long, 1000);
    store_bytes(b, &name, &short, 1000);
    assert_eq!(fetch_bytes(b, &name).unwrap(), short);
    assert_eq!(b.metadata(&name).unwrap().unwrap().size, 1500);
    store_bytes(b, &name, &[], 1000);
    assert_eq!(fetch_bytes(b, &name).unwrap(), Vec::<u8>::new());
}

/// Delete makes a file disappear for every reader; storing again revives it.
pub fn delete_hides_file(b: &mut dyn Backend, prefix: &str) {
    let name = format!("{prefix}/deleted.txt");
    store_bytes(b, &name, b"soon gone", 4);
    assert!(b.metadata(&name).unwrap().is_some());
    assert!(b.delete(&name).unwrap(), "delete of a live file reports true");
    assert!(b.metadata(&name).unwrap().is_none(), "metadata after delete");
    assert!(fetch_bytes(b, &name).is_none(), "fetch after delete");
    assert!(!b.delete(&name).unwrap(), "second delete reports false");
    assert!(!b.list(&ScopeFilter::All).unwrap().contains(&name));
    store_bytes(b, &name, b"back again", 4);
    assert_eq!(fetch_bytes(b, &name).unwrap(), b"back again");
}

/// Missing files are `None`, not errors.
pub fn missing_file_is_none(b: &mut dyn Backend, prefix: &str) {
    let name = format!("{prefix}/never-stored.txt");
    assert!(b.metadata(&name).unwrap().is_none());
    assert!(fetch_bytes(b, &name).is_none());
    assert!(!b.delete(&name).unwrap());
}

/// List returns live files, filtered by scope.
pub fn list_filters_by_scope(b: &mut dyn Backend, prefix: &str) {
    let mut stored = Vec::new();
    for (scope, n) in [("image", "a.png"), ("image", "b.png"), ("viewcache", "c.cache")] {
        let name = format!("{prefix}/list/{n}");
        let f = NewFile { scope, ..file(&name) };
        b.store(&f, &mut Cursor::new(b"x".to_vec()), 100).unwrap();
        stored.push(name);
    }
    let all = b.list(&ScopeFilter::All).unwrap();
    for n in &stored {
        assert!(all.contains(n), "{n} not listed in {all:?}");
    }
    if b.kind() == "ezfs" {
        return; // plain files have no scope to filter on
    }
    let images = b.list(&ScopeFilter::Only(vec!["image".into()])).unwrap();
    assert!(images.contains(&stored[0]) && images.contains(&stored[1]) && !images.contains(&stored[2]));
    let not_images = b.list(&ScopeFilter::Except(vec!["image".into()])).unwrap();
    assert!(!not_images.contains(&stored[0]) && not_images.contains(&stored[2]));
}

/// 200 MiB streamed in and out at the default chunk size; nothing is held
/// whole (the sink sees pieces of at most 1 MiB).
pub fn large_file_streams(b: &mut dyn Backend, prefix: &str) {
    let len = 200 * 1024 * 1024;
    let chunk = 65535;
    let name = format!("{prefix}/large.bin");
    let stored = b.store(&file(&name), &mut Pattern::new(len, 42), chunk).unwrap();
    assert_eq!(stored, len);
    let mut check = CheckPattern { seed: 42, pos: 0, largest_piece: 0 };
    let meta = b.fetch(&name, &mut check).unwrap().expect("large file present");
    assert_eq!((meta.size, check.pos), (len, len));
    assert!(check.largest_piece <= 1 << 20, "a fetch delivered {} bytes at once: not streamed", check.largest_piece);
    assert!(b.delete(&name).unwrap());
}

fn names_of(b: &mut dyn Backend, query: &NameQuery) -> Vec<String> {
    b.names(query).unwrap().into_iter().map(|m| m.name).collect()
}

/// Prefix queries match byte for byte: case, `%`, `_`, `!` and `\` are data.
pub fn prefix_query_is_exact(b: &mut dyn Backend, prefix: &str) {
    let names = ["d/a%b/1", "d/axb/1", "d/a_b/1", "d/A_b/2", "d/a!b/1", "d/a\\b/1", "d/a*b/1", "d/a[b/1", "d/a/1", "d/ab"];
    for n in names {
        store_bytes(b, &format!("{prefix}/{n}"), n.as_bytes(), 100);
    }
    let mut under = |p: &str| -> Vec<String> {
        let full = format!("{prefix}/{p}");
        let mut got = names_of(b, &NameQuery::live(NameMatch::Prefix(&full)));
        got.iter_mut().for_each(|n| *n = n[prefix.len() + 1..].to_string());
        got.sort();
        got
    };
    assert_eq!(under("d/a%b/"), ["d/a%b/1"]);
    assert_eq!(under("d/a_b/"), ["d/a_b/1"]);
    assert_eq!(under("d/a!b/"), ["d/a!b/1"]);
    assert_eq!(under("d/a\\b/"), ["d/a\\b/1"]);
    assert_eq!(under("d/a*b"), ["d/a*b/1"]);
    assert_eq!(under("d/a[b"), ["d/a[b/1"]);
    assert_eq!(under("d/a/"), ["d/a/1"]);
    assert_eq!(under("d/A"), ["d/A_b/2"]);
    assert_eq!(under("d/").len(), names.len());
    let d = format!("{prefix}/d/");
    let limited = NameQuery { limit: Some(3), ..NameQuery::live(NameMatch::Prefix(&d)) };
    assert_eq!(names_of(b, &limited).len(), 3);
}

/// Soft-deleted files are listed only by `deleted` queries, and purge removes
/// them for good, but never a file stored again after its deletion.
pub fn purge_removes_only_deleted(b: &mut dyn Backend, prefix: &str) {
    let (gone, back, live) = (format!("{prefix}/p/gone"), format!("{prefix}/p/back"), format!("{prefix}/p/live"));
    for n in [&gone, &back, &live] {
        store_bytes(b, n, &pattern_bytes(2500, 7), 1000);
    }
    let batch = vec![gone.clone(), back.clone()];
    assert_eq!(b.delete_many(&batch).unwrap(), 2);
    assert_eq!(b.delete_many(&batch).unwrap(), 0, "already deleted");
    let p = format!("{prefix}/p/");
    let deleted = NameQuery { deleted: true, ..NameQuery::live(NameMatch::Prefix(&p)) };
    if b.kind() == "ezfs" {
        assert!(names_of(b, &deleted).is_empty(), "ezfs deletes for real");
        return;
    }
    assert_eq!(names_of(b, &deleted), [back.clone(), gone.clone()]);
    assert_eq!(names_of(b, &NameQuery::live(NameMatch::Prefix(&p))), [live.clone()]);
    let old = NameQuery { older_than: Some(1_600_000_000), ..deleted };
    assert!(names_of(b, &old).is_empty(), "mtime 1.7e9 is not older than 1.6e9");
    store_bytes(b, &back, b"stored again", 1000);
    let all = vec![gone.clone(), back.clone(), live.clone()];
    assert_eq!(b.purge(&all).unwrap(), 1, "only the still-deleted file is purged");
    assert!(names_of(b, &deleted).is_empty());
    assert_eq!(fetch_bytes(b, &back).unwrap(), b"stored again");
    assert_eq!(fetch_bytes(b, &live).unwrap(), pattern_bytes(2500, 7));
    // Purged means gone: storing the name again starts from nothing.
    store_bytes(b, &gone, b"new", 1000);
    assert_eq!(fetch_bytes(b, &gone).unwrap(), b"new");
}

/// Copy duplicates a multi-chunk file (replacing the target whole); move
/// hands it over; a missing source changes nothing.
pub fn copy_and_move(b: &mut dyn Backend, prefix: &str) {
    let (src, dst, moved) = (format!("{prefix}/c/src.bin"), format!("{prefix}/c/dst.bin"), format!("{prefix}/c/sub/moved.bin"));
    let data = pattern_bytes(4321, 9);
    store_bytes(b, &src, &data, 1000);
    store_bytes(b, &dst, &pattern_bytes(9999, 3), 1000);
    assert!(b.copy(&src, &dst, false).unwrap());
    assert_eq!(fetch_bytes(b, &dst).unwrap(), data);
    assert_eq!(fetch_bytes(b, &src).unwrap(), data, "copy keeps the source");
    let (s, d) = (b.metadata(&src).unwrap().unwrap(), b.metadata(&dst).unwrap().unwrap());
    assert_eq!((d.size, d.mtime, d.name.as_str()), (s.size, s.mtime, dst.as_str()));
    assert!(b.copy(&src, &src, false).unwrap(), "copy onto itself is a no-op");
    assert_eq!(fetch_bytes(b, &src).unwrap(), data);
    assert!(b.copy(&src, &moved, true).unwrap());
    assert!(fetch_bytes(b, &src).is_none(), "move removes the source");
    assert_eq!(fetch_bytes(b, &moved).unwrap(), data);
    assert!(!b.copy(&src, &dst, false).unwrap(), "missing source");
    assert_eq!(fetch_bytes(b, &dst).unwrap(), data, "target untouched by a failed copy");
}

/// Chunks with their offsets, as a ranged fetch delivers them.
#[derive(Default)]
struct Chunks {
    meta: Option<FileMeta>,
    chunks: Vec<(u64, Vec<u8>)>,
}

impl ChunkSink for Chunks {
    fn begin(&mut self, meta: &FileMeta) -> Result<()> {
        *self = Chunks { meta: Some(meta.clone()), chunks: Vec::new() };
        Ok(())
    }
    fn chunk(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.chunks.push((offset, bytes.to_vec()));
        Ok(())
    }
}

/// A ranged fetch gives chunk 0, then exactly the chunks whose offsets lie
/// in lo..=hi, in order and intact; nothing for missing or deleted files.
pub fn ranged_fetch_selects_chunks(b: &mut dyn Backend, prefix: &str) {
    let name = format!("{prefix}/ranged.bin");
    let data = pattern_bytes(300_017, 9);
    store_bytes(b, &name, &data, 1000);
    let mut all = Chunks::default();
    b.fetch_range(&name, 0, u64::MAX, &mut all).unwrap().expect("stored file");
    let chunk = all.chunks[0].1.len() as u64; // ezfs reads in pieces of its own
    let whole: Vec<u8> = all.chunks.iter().flat_map(|(_, c)| c.clone()).collect();
    assert!(whole == data, "a fetch of every chunk gives the file");
    for (lo, hi) in [(0, 0), (chunk, chunk), (3 * chunk, 4 * chunk + 5), (2 * chunk, u64::MAX), (299_000, 299_999)] {
        let mut got = Chunks::default();
        let meta = b.fetch_range(&name, lo, hi, &mut got).unwrap().expect("stored file");
        assert_eq!(meta.size, data.len() as u64);
        let offsets: Vec<u64> = got.chunks.iter().map(|(o, _)| *o).collect();
        let want: Vec<u64> = (0..data.len() as u64)
            .step_by(chunk as usize)
            .filter(|&o| o == 0 || (lo..=hi).contains(&o))
            .collect();
        assert_eq!(offsets, want, "chunks for {lo}..={hi}");
        for (offset, bytes) in &got.chunks {
            assert!(bytes[..] == data[*offset as usize..*offset as usize + bytes.len()], "chunk at {offset}");
        }
    }
    let empty = format!("{prefix}/ranged-empty.bin");
    store_bytes(b, &empty, b"", 1000);
    let mut got = Chunks::default();
    assert_eq!(b.fetch_range(&empty, 0, 0, &mut got).unwrap().map(|m| m.size), Some(0));
    assert!(got.meta.is_some() && got.chunks.is_empty());
    assert!(b.fetch_range(&format!("{prefix}/ranged-none.bin"), 0, 0, &mut Chunks::default()).unwrap().is_none());
    assert!(b.delete(&name).unwrap());
    assert!(b.fetch_range(&name, 0, u64::MAX, &mut Chunks::default()).unwrap().is_none());
}

/// Instantiates every case for one backend. `$open` is an expression giving
/// `(Box<dyn Backend>, guard)`; the guard lives as long as the test.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ident, $open:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            fn run(case: fn(&mut dyn ezcluster::store::Backend, &str), label: &str) {
                #[allow(unused_variables)]
                let (mut backend, guard) = $open;
                backend.create_tables().unwrap();
                let prefix = format!("var/conformance/{}-{}-{}", stringify!($backend), label, std::process::id());
                case(backend.as_mut(), &prefix);
            }
            #[test]
            fn sizes_round_trip() { run(super::conformance::sizes_round_trip, "sizes") }
            #[test]
            fn binary_data_round_trips() { run(super::conformance::binary_data_round_trips, "binary") }
            #[test]
            fn odd_names_are_data() { run(super::conformance::odd_names_are_data, "names") }
            #[test]
            fn overwrite_replaces_whole_file() { run(super::conformance::overwrite_replaces_whole_file, "overwrite") }
            #[test]
            fn delete_hides_file() { run(super::conformance::delete_hides_file, "delete") }
            #[test]
            fn missing_file_is_none() { run(super::conformance::missing_file_is_none, "missing") }
            #[test]
            fn list_filters_by_scope() { run(super::conformance::list_filters_by_scope, "list") }
            #[test]
            fn large_file_streams() { run(super::conformance::large_file_streams, "large") }
            #[test]
            fn prefix_query_is_exact() { run(super::conformance::prefix_query_is_exact, "prefix") }
            #[test]
            fn purge_removes_only_deleted() { run(super::conformance::purge_removes_only_deleted, "purge") }
            #[test]
            fn copy_and_move() { run(super::conformance::copy_and_move, "copy") }
            #[test]
            fn ranged_fetch_selects_chunks() { run(super::conformance::ranged_fetch_selects_chunks, "ranged") }
        }
    };
}
