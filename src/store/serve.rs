//! Serving a stored file over HTTP, free of PHP: `serve` decides the answer
//! from the request and the stored file (see `http`) and streams it into a
//! `Response`, which the extension implements over the SAPI.
//!
//! Round trips: a plain GET is one statement (metadata and every chunk,
//! joined), the response decided when its first row arrives. A request whose
//! answer depends on the file (HEAD, If-None-Match, If-Modified-Since, Range)
//! first reads the metadata and the first chunk, which for a file of one
//! chunk is the whole file and the whole answer; a bigger file then needs a
//! second statement for the bytes to send, which must show the same entity
//! tag, or everything is decided again.

use std::io;

use xxhash_rust::xxh3::xxh3_64;

use super::backend::{ChunkSink, FileMeta};
use super::error::{Error, Result};
use super::http::{self, ByteRange, Conditions, Method, Multipart, Plan};
use super::pool::with_backend;
use super::settings::Config;

/// Where the answer goes. `head` is called once, before any `body`.
pub trait Response {
    fn head(&mut self, status: u16, headers: &[(&str, String)]) -> Result<()>;
    fn body(&mut self, bytes: &[u8]) -> Result<()>;
}

pub struct Request<'a> {
    /// `None` (the CLI) counts as GET.
    pub method: Option<&'a str>,
    /// The URL path as the client sent it (percent-encoded, query allowed).
    pub path: &'a str,
    pub conditions: Conditions<'a>,
    /// Seconds since the epoch: for `Expires` and If-Modified-Since.
    pub now: i64,
}

/// The status sent, and what went wrong, for the server's log only.
#[derive(Debug)]
pub struct Served {
    pub status: u16,
    pub error: Option<Error>,
}

/// How often the answer is decided again when the file changes between the
/// probe and the read of its bytes.
const ATTEMPTS: usize = 3;

pub fn serve(config: &Config, request: &Request, out: &mut dyn Response) -> Served {
    let Some(method) = Method::parse(request.method) else {
        return plain(out, 405, "405 Method Not Allowed", &[("Allow", "GET, HEAD".into())]);
    };
    let Some(name) = http::normalize_path(request.path).filter(|n| config.serve.public_prefixes.allows(n)) else {
        return plain(out, 404, "404 Not Found", &[]);
    };
    let mut sent = None;
    match respond(config, &name, method, request, out, &mut sent) {
        Ok(Some(status)) => Served { status, error: None },
        Ok(None) => plain(out, 404, "404 Not Found", &[]),
        Err(error) => match sent {
            // Too late for a status: the client sees a short body.
            Some(status) => Served { status, error: Some(error) },
            None => internal_error(out, error),
        },
    }
}

/// A 500 that tells the client nothing of `error`; the caller logs it.
pub fn internal_error(out: &mut dyn Response, error: Error) -> Served {
    Served { error: Some(error), ..plain(out, 500, "500 Internal Server Error", &[]) }
}

/// A short text answer. A failure to send it leaves nothing else to do.
fn plain(out: &mut dyn Response, status: u16, text: &str, extra: &[(&str, String)]) -> Served {
    let body = format!("{text}\n");
    let mut headers = vec![("Content-Type", "text/plain; charset=utf-8".to_string())];
    headers.push(("Content-Length", body.len().to_string()));
    headers.extend(extra.iter().cloned());
    let error = out.head(status, &headers).and_then(|()| out.body(body.as_bytes())).err();
    Served { status, error }
}

/// `Ok(None)` when there is no such file; `sent` is the status once the
/// head went out.
fn respond(
    config: &Config,
    name: &str,
    method: Method,
    request: &Request,
    out: &mut dyn Response,
    sent: &mut Option<u16>,
) -> Result<Option<u16>> {
    for _ in 0..ATTEMPTS {
        let (lo, hi, expect) = if method == Method::Get && !request.conditions.any() {
            (0, u64::MAX, None)
        } else {
            let mut probe = Probe::default();
            let Some(meta) = with_backend(config, |b| b.fetch_range(name, 0, 0, &mut probe))? else {
                return Ok(None);
            };
            let etag = http::etag(&meta, &probe.first);
            let plan = http::plan(method, &request.conditions, &etag, meta.mtime, meta.size, request.now);
            let needs_body = method == Method::Get && matches!(plan, Plan::Full | Plan::Partial(_));
            if !needs_body || probe.first.len() as u64 == meta.size {
                let mut answer = Answer::new(config, method, request, &mut *out, &mut *sent, None);
                answer.begin(&meta)?;
                if meta.size > 0 {
                    answer.chunk(0, &probe.first)?;
                }
                return answer.finish().map(Some);
            }
            // Chunks are equal-sized but for the last: the first one's length
            // tells which rows hold the requested bytes.
            let chunk = probe.first.len() as u64;
            match plan {
                Plan::Partial(ranges) => {
                    (ranges[0].first / chunk * chunk, ranges.last().expect("non-empty").last, Some(etag))
                }
                _ => (0, u64::MAX, Some(etag)),
            }
        };
        let mut answer = Answer::new(config, method, request, &mut *out, &mut *sent, expect);
        let found = with_backend(config, |b| b.fetch_range(name, lo, hi, &mut answer));
        match found {
            Err(_) if answer.changed => continue,
            Err(e) => return Err(e),
            Ok(None) => return Ok(None),
            Ok(Some(_)) => return answer.finish().map(Some),
        }
    }
    Err(Error::Corrupt { name: name.to_string(), message: format!("it changed {ATTEMPTS} times while being served") })
}

/// Keeps the metadata's first chunk.
#[derive(Default)]
struct Probe {
    first: Vec<u8>,
}

impl ChunkSink for Probe {
    fn begin(&mut self, _: &FileMeta) -> Result<()> {
        self.first.clear();
        Ok(())
    }
    fn chunk(&mut self, _: u64, bytes: &[u8]) -> Result<()> {
        self.first.extend_from_slice(bytes);
        Ok(())
    }
}

/// Decides the answer when the first chunk arrives and sends it as the
/// chunks come: each requested byte once, in order.
struct Answer<'a> {
    config: &'a Config,
    method: Method,
    request: &'a Request<'a>,
    out: &'a mut dyn Response,
    /// The status once the head is out: from then on nothing may be redone.
    sent: &'a mut Option<u16>,
    /// The entity tag the probe saw, when there was one.
    expect: Option<String>,
    /// The file turned out to differ from the probe's: decide again.
    changed: bool,
    meta: Option<FileMeta>,
    /// The byte ranges to send (the whole file for a 200); empty when no
    /// body goes out.
    parts: Vec<ByteRange>,
    multipart: Option<Multipart>,
    /// Index in `parts` and the next byte of it to send.
    part: usize,
    next: u64,
}

impl<'a> Answer<'a> {
    fn new(
        config: &'a Config,
        method: Method,
        request: &'a Request<'a>,
        out: &'a mut dyn Response,
        sent: &'a mut Option<u16>,
        expect: Option<String>,
    ) -> Self {
        Answer {
            config,
            method,
            request,
            out,
            sent,
            expect,
            changed: false,
            meta: None,
            parts: Vec::new(),
            multipart: None,
            part: 0,
            next: 0,
        }
    }

    /// Decides and sends the head, once the first chunk is known.
    fn decide(&mut self, first: &[u8]) -> Result<()> {
        let meta = self.meta.clone().expect("begin comes first");
        let etag = http::etag(&meta, first);
        if self.expect.as_ref().is_some_and(|e| *e != etag) {
            self.changed = true;
            return Err(Error::Sink(io::Error::other("the file changed since it was probed")));
        }
        let request = self.request;
        let plan = http::plan(self.method, &request.conditions, &etag, meta.mtime, meta.size, request.now);
        let mut headers: Vec<(&str, String)> = Vec::with_capacity(9);
        let content_type = content_type(&meta.datatype);
        let status = match &plan {
            Plan::NotModified => 304,
            Plan::Unsatisfiable => {
                headers.push(("Content-Range", format!("bytes */{}", meta.size)));
                headers.push(("Content-Length", "0".to_string()));
                416
            }
            Plan::Full => {
                headers.push(("Content-Type", content_type.to_string()));
                headers.push(("Content-Length", meta.size.to_string()));
                if meta.size > 0 {
                    self.parts = vec![ByteRange { first: 0, last: meta.size - 1 }];
                }
                200
            }
            Plan::Partial(ranges) if ranges.len() == 1 => {
                let r = ranges[0];
                headers.push(("Content-Type", content_type.to_string()));
                headers.push(("Content-Length", r.size().to_string()));
                headers.push(("Content-Range", format!("bytes {}-{}/{}", r.first, r.last, meta.size)));
                self.parts = ranges.clone();
                206
            }
            Plan::Partial(ranges) => {
                let seed = format!("{etag}{}{}", request.now, std::process::id());
                let multipart = Multipart::new(format!("ezcluster-{:016x}", xxh3_64(seed.as_bytes())), content_type, meta.size);
                headers.push(("Content-Type", format!("multipart/byteranges; boundary={}", multipart.boundary)));
                headers.push(("Content-Length", multipart.content_length(ranges).to_string()));
                self.parts = ranges.clone();
                self.multipart = Some(multipart);
                206
            }
        };
        if status != 416 {
            headers.push(("ETag", etag));
            headers.push(("Last-Modified", http::format_http_date(meta.mtime)));
            let serve = &self.config.serve;
            if !serve.cache_control.is_empty() {
                headers.push(("Cache-Control", serve.cache_control.clone()));
            }
            if let Some(seconds) = serve.expires {
                headers.push(("Expires", http::format_http_date(request.now.saturating_add(seconds as i64))));
            }
        }
        if status != 304 {
            headers.push(("Accept-Ranges", "bytes".to_string()));
        }
        if self.method == Method::Head {
            self.parts.clear();
        }
        self.next = self.parts.first().map_or(0, |r| r.first);
        *self.sent = Some(status);
        self.out.head(status, &headers)
    }

    /// Sends what the head promised and the chunks did not: nothing, or the
    /// multipart trailer. Bytes that never came are an error.
    fn finish(mut self) -> Result<u16> {
        let status = self.sent.expect("the head goes out with the first chunk");
        if self.part < self.parts.len() {
            let name = self.meta.map(|m| m.name).unwrap_or_default();
            return Err(Error::Corrupt { name, message: format!("byte {} was never read", self.next) });
        }
        if let Some(multipart) = self.multipart.take() {
            self.out.body(multipart.trailer().as_bytes())?;
        }
        Ok(status)
    }
}

impl ChunkSink for Answer<'_> {
    fn begin(&mut self, meta: &FileMeta) -> Result<()> {
        if self.sent.is_some() {
            return Err(Error::Sink(io::Error::other(
                "the read was retried after the response had started; it is not sent twice",
            )));
        }
        self.meta = Some(meta.clone());
        if meta.size == 0 {
            self.decide(&[])?;
        }
        Ok(())
    }

    fn chunk(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        if offset == 0 {
            self.decide(bytes)?;
        }
        let end = offset + bytes.len() as u64;
        while let Some(range) = self.parts.get(self.part).copied() {
            if self.next < offset {
                let name = self.meta.as_ref().map(|m| m.name.clone()).unwrap_or_default();
                return Err(Error::Corrupt { name, message: format!("byte {} is in no chunk", self.next) });
            }
            if self.next >= end {
                break;
            }
            if let Some(multipart) = &self.multipart {
                if self.next == range.first {
                    self.out.body(multipart.part_header(self.part, &range).as_bytes())?;
                }
            }
            let stop = end.min(range.last + 1);
            self.out.body(&bytes[(self.next - offset) as usize..(stop - offset) as usize])?;
            self.next = stop;
            if stop > range.last {
                self.part += 1;
                self.next = self.parts.get(self.part).map_or(0, |r| r.first);
            }
        }
        Ok(())
    }
}

/// The stored datatype when it can be a header value.
fn content_type(datatype: &str) -> &str {
    if datatype.is_empty() || datatype.bytes().any(|b| b < 0x20 || b == 0x7f) {
        super::mime::DEFAULT
    } else {
        datatype
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::backend::NewFile;
    use std::io::Cursor;

    /// What a client would receive.
    #[derive(Default)]
    struct Recorded {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        heads: usize,
    }

    impl Recorded {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    impl Response for Recorded {
        fn head(&mut self, status: u16, headers: &[(&str, String)]) -> Result<()> {
            self.heads += 1;
            self.status = status;
            self.headers = headers.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
            Ok(())
        }
        fn body(&mut self, bytes: &[u8]) -> Result<()> {
            assert!(self.heads == 1, "body before head");
            self.body.extend_from_slice(bytes);
            Ok(())
        }
    }

    struct Store {
        _dir: tempfile::TempDir,
        config: Config,
    }

    /// A SQLite store with small chunks, so that files of a few bytes span
    /// several chunks.
    fn store(chunk: usize) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("serve.sqlite");
        let chunk = chunk.to_string();
        let config = Config::from_pairs([
            ("DBName", db.to_str().unwrap()),
            ("DBChunkSize", chunk.as_str()),
            ("ServeExpires", "60"),
        ])
        .unwrap();
        Store { _dir: dir, config }
    }

    impl Store {
        fn put(&self, name: &str, data: &[u8], mtime: i64) {
            let file = NewFile { name, name_trunk: name, datatype: "image/png", scope: "image", mtime };
            with_backend(&self.config, |b| b.store(&file, &mut Cursor::new(data), self.config.chunk_size)).unwrap();
        }

        fn get(&self, method: &str, path: &str, conditions: Conditions) -> (Served, Recorded) {
            let request = Request { method: Some(method), path, conditions, now: 2_000_000_000 };
            let mut out = Recorded::default();
            let served = serve(&self.config, &request, &mut out);
            assert_eq!(served.status, out.status);
            (served, out)
        }
    }

    const DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    const URL: &str = "/var/storage/images/a/b%20c.png";
    const NAME: &str = "var/storage/images/a/b c.png";

    fn none() -> Conditions<'static> {
        Conditions::default()
    }

    #[test]
    fn get_sends_the_file_with_its_headers() {
        for chunk in [1000, 10, 1] {
            let s = store(chunk);
            s.put(NAME, DATA, 1_700_000_000);
            let (served, r) = s.get("GET", URL, none());
            assert!(served.error.is_none(), "{:?}", served.error);
            assert_eq!((r.status, r.body.as_slice()), (200, DATA));
            assert_eq!(r.header("Content-Type"), Some("image/png"));
            assert_eq!(r.header("Content-Length"), Some("36"));
            assert_eq!(r.header("Last-Modified"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
            assert_eq!(r.header("Cache-Control"), Some("public, max-age=86400"));
            assert_eq!(r.header("Expires"), Some(http::format_http_date(2_000_000_060).as_str()));
            assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
            // The probe path computes the same tag as the one-statement path.
            let (_, head) = s.get("HEAD", URL, none());
            assert_eq!((head.status, head.body.len()), (200, 0));
            assert_eq!(head.header("ETag"), r.header("ETag"));
            assert_eq!(head.header("Content-Length"), Some("36"));
        }
    }

    #[test]
    fn etag_differs_for_same_size_same_second() {
        for chunk in [1000, 10] {
            let s = store(chunk);
            s.put(NAME, DATA, 1_700_000_000);
            let (_, a) = s.get("GET", URL, none());
            let mut other = DATA.to_vec();
            other[0] = b'X';
            s.put(NAME, &other, 1_700_000_000);
            let (_, b) = s.get("GET", URL, none());
            assert_eq!(b.body, other);
            assert_ne!(a.header("ETag"), b.header("ETag"), "chunk {chunk}");
        }
    }

    #[test]
    fn conditional_requests_give_304() {
        for chunk in [1000, 10] {
            let s = store(chunk);
            s.put(NAME, DATA, 1_700_000_000);
            let (_, r) = s.get("GET", URL, none());
            let etag = r.header("ETag").unwrap().to_string();
            let weak = format!("\"nope\", W/{etag}");
            let (_, r) = s.get("GET", URL, Conditions { if_none_match: Some(&weak), ..none() });
            assert_eq!((r.status, r.body.len()), (304, 0));
            assert_eq!(r.header("ETag"), Some(etag.as_str()));
            assert_eq!(r.header("Content-Length"), None);
            let (_, r) = s.get("GET", URL, Conditions { if_none_match: Some("\"nope\""), ..none() });
            assert_eq!((r.status, r.body.as_slice()), (200, DATA));
            let lm = http::format_http_date(1_700_000_000);
            let (_, r) = s.get("GET", URL, Conditions { if_modified_since: Some(&lm), ..none() });
            assert_eq!(r.status, 304);
            let (_, r) = s.get("HEAD", URL, Conditions { if_modified_since: Some(&lm), ..none() });
            assert_eq!(r.status, 304);
            let earlier = http::format_http_date(1_699_999_999);
            let (_, r) = s.get("GET", URL, Conditions { if_modified_since: Some(&earlier), ..none() });
            assert_eq!((r.status, r.body.as_slice()), (200, DATA));
            let (_, r) = s.get("GET", URL, Conditions { if_modified_since: Some("not a date"), ..none() });
            assert_eq!(r.status, 200);
        }
    }

    #[test]
    fn ranges_give_206_multipart_and_416() {
        for chunk in [1000, 10, 7, 1] {
            let s = store(chunk);
            s.put(NAME, DATA, 1_700_000_000);
            let range = |value: &str| s.get("GET", URL, Conditions { range: Some(value), ..none() }).1;
            for (value, first, last) in [
                ("bytes=0-0", 0, 0),
                ("bytes=35-35", 35, 35),
                ("bytes=-1", 35, 35),
                ("bytes=-10", 26, 35),
                ("bytes=12-", 12, 35),
                ("bytes=5-24", 5, 24),
                ("bytes=30-1000", 30, 35),
            ] {
                let r = range(value);
                assert_eq!(r.status, 206, "{value} chunk {chunk}");
                assert_eq!(r.body, &DATA[first..=last], "{value} chunk {chunk}");
                assert_eq!(r.header("Content-Range"), Some(format!("bytes {first}-{last}/36").as_str()));
                assert_eq!(r.header("Content-Length"), Some((last - first + 1).to_string().as_str()));
            }
            let r = range("bytes=36-");
            assert_eq!((r.status, r.body.len()), (416, 0));
            assert_eq!(r.header("Content-Range"), Some("bytes */36"));
            assert_eq!(r.header("Content-Length"), Some("0"));
            let r = range("bytes=9-3");
            assert_eq!((r.status, r.body.as_slice()), (200, DATA));

            let big = vec![7u8; 1000];
            s.put("var/storage/images/big.png", &big, 1_700_000_000);
            let r = s.get("GET", "/var/storage/images/big.png", Conditions { range: Some("bytes=0-1,500-501,998-"), ..none() }).1;
            assert_eq!(r.status, 206);
            let ct = r.header("Content-Type").unwrap();
            let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap();
            let body = String::from_utf8(r.body.clone()).unwrap();
            assert_eq!(r.header("Content-Length"), Some(body.len().to_string().as_str()));
            let expected = format!(
                "--{boundary}\r\nContent-Type: image/png\r\nContent-Range: bytes 0-1/1000\r\n\r\n\x07\x07\
                 \r\n--{boundary}\r\nContent-Type: image/png\r\nContent-Range: bytes 500-501/1000\r\n\r\n\x07\x07\
                 \r\n--{boundary}\r\nContent-Type: image/png\r\nContent-Range: bytes 998-999/1000\r\n\r\n\x07\x07\
                 \r\n--{boundary}--\r\n"
            );
            assert_eq!(body, expected);
        }
    }

    #[test]
    fn if_range_applies_the_range_only_for_the_current_tag() {
        let s = store(10);
        s.put(NAME, DATA, 1_700_000_000);
        let etag = s.get("HEAD", URL, none()).1.header("ETag").unwrap().to_string();
        let with = |if_range: &str| s.get("GET", URL, Conditions { range: Some("bytes=20-29"), if_range: Some(if_range), ..none() }).1;
        let r = with(&etag);
        assert_eq!((r.status, r.body.as_slice()), (206, &DATA[20..30]));
        let r = with("\"stale\"");
        assert_eq!((r.status, r.body.as_slice()), (200, DATA));
        let r = with(&http::format_http_date(1_700_000_000));
        assert_eq!((r.status, r.body.as_slice()), (200, DATA));
    }

    #[test]
    fn missing_deleted_private_and_other_methods() {
        let s = store(10);
        s.put(NAME, DATA, 1_700_000_000);
        s.put("var/cache/secret.cache", b"secret", 1_700_000_000);
        s.put("var/storage/images/empty.png", b"", 1_700_000_000);
        let (_, r) = s.get("GET", "/var/storage/images/empty.png", none());
        assert_eq!((r.status, r.body.len(), r.header("Content-Length")), (200, 0, Some("0")));
        for path in ["/var/storage/images/none.png", "/var/cache/secret.cache", "/var/storage/images/../../cache/secret.cache",
            "/var/storage/images/%2e%2e/%2e%2e/cache/secret.cache"] {
            let (served, r) = s.get("GET", path, none());
            assert_eq!(r.status, 404, "{path}");
            assert!(served.error.is_none());
            assert!(!String::from_utf8_lossy(&r.body).contains("secret"));
        }
        with_backend(&s.config, |b| b.delete(NAME)).unwrap();
        assert_eq!(s.get("GET", URL, none()).1.status, 404);
        assert_eq!(s.get("HEAD", URL, none()).1.status, 404);
        let (_, r) = s.get("POST", URL, none());
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
    }

    #[test]
    fn database_errors_give_500_without_internals() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_pairs([("DBName", dir.path().to_str().unwrap())]).unwrap();
        let request = Request { method: Some("GET"), path: URL, conditions: none(), now: 0 };
        let mut out = Recorded::default();
        let served = serve(&config, &request, &mut out);
        assert_eq!(out.status, 500);
        assert!(served.error.is_some());
        assert_eq!(out.body, b"500 Internal Server Error\n");
    }

    #[test]
    fn a_retried_read_after_the_head_went_out_fails() {
        let s = store(10);
        let request = Request { method: Some("GET"), path: URL, conditions: none(), now: 0 };
        let mut out = Recorded::default();
        let mut sent = None;
        let mut answer = Answer::new(&s.config, Method::Get, &request, &mut out, &mut sent, None);
        let meta = FileMeta {
            name: NAME.into(),
            name_trunk: NAME.into(),
            datatype: "image/png".into(),
            scope: "image".into(),
            size: 20,
            mtime: 1,
            expired: false,
        };
        answer.begin(&meta).unwrap();
        answer.chunk(0, &DATA[..10]).unwrap();
        assert!(answer.begin(&meta).is_err());
        // A probe that saw another version makes the answer start over.
        let mut sent = None;
        let mut answer = Answer::new(&s.config, Method::Get, &request, &mut out, &mut sent, Some("\"old\"".into()));
        answer.begin(&meta).unwrap();
        assert!(answer.chunk(0, &DATA[..10]).is_err() && answer.changed && sent.is_none());
    }
}
