//! HTTP semantics for serving stored files (RFC 9110), free of PHP and of any
//! database: URL path normalisation and the public-prefix check, HTTP dates,
//! entity tags, conditional requests, byte ranges, and the response plan that
//! `serve` carries out.

use std::fmt;

use xxhash_rust::xxh3::Xxh3;

use super::backend::FileMeta;

// ------------------------------------------------------------------ paths

/// The store name a request URI (or a path given by the caller) names:
/// the query and fragment cut off, percent-decoded once, `.` segments and
/// repeated slashes dropped, no leading slash. `None` for anything that
/// could name something else than it seems: a `..` segment, a NUL or other
/// control byte, a backslash, a bad or double (`%25..`) escape, invalid
/// UTF-8, or a directory (trailing slash).
pub fn normalize_path(raw: &str) -> Option<String> {
    let raw = raw.split(['?', '#']).next().unwrap_or("");
    let mut bytes = Vec::with_capacity(raw.len());
    let mut input = raw.bytes();
    while let Some(b) = input.next() {
        if b == b'%' {
            let hi = input.next().and_then(hex_value)?;
            let lo = input.next().and_then(hex_value)?;
            bytes.push(hi << 4 | lo);
        } else {
            bytes.push(b);
        }
    }
    // '%' after decoding means a double-encoded URL: whoever decodes it
    // again would see another path than this check did.
    if bytes.iter().any(|&b| b < 0x20 || b == 0x7f || b == b'\\' || b == b'%') {
        return None;
    }
    let decoded = String::from_utf8(bytes).ok()?;
    if decoded.ends_with('/') {
        return None;
    }
    let mut name = String::with_capacity(decoded.len());
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            _ => {
                if !name.is_empty() {
                    name.push('/');
                }
                name.push_str(segment);
            }
        }
    }
    (!name.is_empty()).then_some(name)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The trees that may be served: each a list of path segments, where `*`
/// matches any run of characters within one segment. A name is public when
/// it lies strictly below one of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PublicPrefixes(Vec<Vec<String>>);

impl PublicPrefixes {
    /// Parses a comma-separated list such as
    /// `var/storage/images*, var/*/storage/images*`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut prefixes = Vec::new();
        for pattern in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let segments: Vec<String> =
                pattern.trim_matches('/').split('/').map(str::to_string).collect();
            if segments.iter().any(|s| s.is_empty() || s == "." || s == ".." || s.contains(['\\', '%', '\0'])) {
                return Err(format!(
                    "'{pattern}' is not a prefix: use path segments like var/storage/images*, without empty, '.' or '..' segments"
                ));
            }
            prefixes.push(segments);
        }
        Ok(PublicPrefixes(prefixes))
    }

    /// Whether the normalised `name` lies below one of the prefixes.
    pub fn allows(&self, name: &str) -> bool {
        self.0.iter().any(|prefix| {
            let mut segments = name.split('/');
            prefix.iter().all(|p| segments.next().is_some_and(|s| glob(p, s))) && segments.next().is_some()
        })
    }
}

impl fmt::Display for PublicPrefixes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(|p| p.join("/")).collect();
        f.write_str(&list.join(","))
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let middle: Vec<&str> = parts.collect();
    let Some((last, inner)) = middle.split_last() else { return rest.is_empty() };
    for part in inner {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

// ------------------------------------------------------------------ dates

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // day 0 was a Thursday
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic
/// Gregorian; the era arithmetic of H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format_http_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Seconds since the epoch of an HTTP-date in any of the three formats a
/// recipient must accept (IMF-fixdate, RFC 850, asctime); `None` when it is
/// none of them.
pub fn parse_http_date(value: &str) -> Option<i64> {
    let value = value.trim();
    let (_weekday, rest) = value.split_once([',', ' '])?;
    let fields: Vec<&str> = rest.split([' ', '-']).filter(|f| !f.is_empty()).collect();
    let (day, month, year, time) = match (value.contains(','), fields.as_slice()) {
        // IMF-fixdate "06 Nov 1994 08:49:37 GMT" and RFC 850 "06-Nov-94 08:49:37 GMT".
        (true, [day, month, year, time, "GMT"]) => {
            let full: i64 = digits(year)?;
            let full = match year.len() {
                4 => full,
                // RFC 850's two digits: a year that would lie more than 50
                // years in the future is in the past century (RFC 9110 5.6.7).
                2 => {
                    let this_year = civil_from_days(now_secs().div_euclid(86_400)).0;
                    if 2000 + full > this_year + 50 { 1900 + full } else { 2000 + full }
                }
                _ => return None,
            };
            (digits(day)?, *month, full, *time)
        }
        // asctime "Nov  6 08:49:37 1994".
        (false, [month, day, time, year]) if year.len() == 4 => (digits(day)?, *month, digits(year)?, *time),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let mut hms = time.split(':').map(digits::<i64>);
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None; // 31 Feb and the like
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ------------------------------------------------------------ entity tags

/// The strong validator of a stored file: a 128-bit hash of its size, mtime,
/// datatype and the bytes of its first chunk, which for a file of one chunk
/// (every usual image) is all of it. The limits of this scheme are in
/// docs/serving.md.
pub fn etag(meta: &FileMeta, first_chunk: &[u8]) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(&meta.size.to_le_bytes());
    hasher.update(&meta.mtime.to_le_bytes());
    hasher.update(&(meta.datatype.len() as u64).to_le_bytes());
    hasher.update(meta.datatype.as_bytes());
    hasher.update(first_chunk);
    format!("\"{:032x}\"", hasher.digest128())
}

/// The entity-tags of an `If-None-Match` or `If-Range` value, each with its
/// weakness: `Err(())` when the value is not a list of entity-tags.
fn entity_tags(value: &str) -> Result<Vec<(bool, &str)>, ()> {
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Ok(tags);
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        if !rest.starts_with('"') {
            return Err(());
        }
        let end = rest[1..].find('"').ok_or(())? + 2;
        tags.push((weak, &rest[..end]));
        rest = &rest[end..];
        if !(rest.is_empty() || rest.starts_with([' ', '\t', ','])) {
            return Err(());
        }
    }
}

/// `If-None-Match`: `*` or any tag equal to `etag` under the weak comparison.
pub fn none_match_hits(value: &str, etag: &str) -> bool {
    if value.trim() == "*" {
        return true;
    }
    entity_tags(value).is_ok_and(|tags| tags.iter().any(|(_, tag)| *tag == etag))
}

/// `If-Range`: the range applies only when the value is `etag` itself under
/// the strong comparison. A date never applies: with mtime's one-second
/// resolution the store cannot know that the file did not change twice in
/// that second, so a date is no strong validator (RFC 9110 13.1.5).
pub fn if_range_holds(value: &str, etag: &str) -> bool {
    matches!(entity_tags(value).as_deref(), Ok([(false, tag)]) if *tag == etag)
}

// ------------------------------------------------------------ byte ranges

/// Bytes `first..=last` of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    /// Bytes in the range (never zero).
    pub fn size(&self) -> u64 {
        self.last - self.first + 1
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Send the whole file: no usable `Range` value.
    Ignore,
    /// No requested range overlaps the file: 416.
    Unsatisfiable,
    /// Ascending, non-overlapping ranges within the file.
    Ranges(Vec<ByteRange>),
}

/// More ranges than this in one request are not served as ranges: they are
/// a sign of a broken client or of an attack (RFC 9110 17.15).
pub const MAX_RANGES: usize = 32;
/// Ranges closer than this are sent as one part: the part headers between
/// them would cost more than the bytes of the gap.
const COALESCE_GAP: u64 = 80;

/// Resolves a `Range` value against a file of `size` bytes. An invalid value
/// (another unit, a malformed or backwards spec), too many ranges, or ranges
/// out of ascending order are ignored, as RFC 9110 14.2 allows; ends past the
/// file are clamped; ranges that overlap or nearly touch are merged.
pub fn resolve_range(value: &str, size: u64) -> RangeOutcome {
    let Some((unit, set)) = value.trim().split_once('=') else { return RangeOutcome::Ignore };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeOutcome::Ignore;
    }
    let mut ranges: Vec<ByteRange> = Vec::new();
    let mut specs = 0;
    for spec in set.split(',').map(|s| s.trim_matches([' ', '\t'])).filter(|s| !s.is_empty()) {
        specs += 1;
        if specs > MAX_RANGES {
            return RangeOutcome::Ignore;
        }
        let Some((first, last)) = spec.split_once('-') else { return RangeOutcome::Ignore };
        let range = match (first, last) {
            ("", suffix) => {
                let Some(n) = digits::<u64>(suffix) else { return RangeOutcome::Ignore };
                (n > 0 && size > 0).then(|| ByteRange { first: size.saturating_sub(n), last: size - 1 })
            }
            (first, "") => {
                let Some(first) = digits::<u64>(first) else { return RangeOutcome::Ignore };
                (first < size).then(|| ByteRange { first, last: size - 1 })
            }
            (first, last) => {
                let (Some(first), Some(last)) = (digits::<u64>(first), digits::<u64>(last)) else {
                    return RangeOutcome::Ignore;
                };
                if last < first {
                    return RangeOutcome::Ignore;
                }
                (first < size).then(|| ByteRange { first, last: last.min(size - 1) })
            }
        };
        let Some(range) = range else { continue }; // unsatisfiable: left out
        match ranges.last_mut() {
            Some(prev) if range.first < prev.first => return RangeOutcome::Ignore,
            Some(prev) if range.first <= prev.last.saturating_add(COALESCE_GAP) => {
                prev.last = prev.last.max(range.last);
            }
            _ => ranges.push(range),
        }
    }
    match (specs, ranges.is_empty()) {
        (0, _) => RangeOutcome::Ignore,
        (_, true) => RangeOutcome::Unsatisfiable,
        _ => RangeOutcome::Ranges(ranges),
    }
}

// ------------------------------------------------------------------ plan

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

impl Method {
    /// GET and HEAD are served; anything else is answered 405. No method
    /// (the CLI) counts as GET.
    pub fn parse(method: Option<&str>) -> Option<Method> {
        match method {
            None | Some("GET") => Some(Method::Get),
            Some("HEAD") => Some(Method::Head),
            Some(_) => None,
        }
    }
}

/// The request header fields serving looks at.
#[derive(Clone, Debug, Default)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub range: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

impl Conditions<'_> {
    /// Whether the answer depends on more than the file: then its metadata
    /// and first chunk are read before deciding what to fetch.
    pub fn any(&self) -> bool {
        self.if_none_match.is_some() || self.if_modified_since.is_some() || self.range.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    NotModified,
    Full,
    Partial(Vec<ByteRange>),
    Unsatisfiable,
}

/// What to answer, in RFC 9110 13.2.2's order: If-None-Match (or, only
/// without it, If-Modified-Since) may give 304; then a Range on a GET, when
/// If-Range (if any) holds, gives 206 or 416.
pub fn plan(method: Method, conditions: &Conditions, etag: &str, mtime: i64, size: u64, now: i64) -> Plan {
    if let Some(value) = conditions.if_none_match {
        if none_match_hits(value, etag) {
            return Plan::NotModified;
        }
    } else if let Some(since) = conditions.if_modified_since.and_then(parse_http_date) {
        // A date in the future is invalid (RFC 9110 13.1.3).
        if since <= now && mtime <= since {
            return Plan::NotModified;
        }
    }
    let Some(range) = conditions.range.filter(|_| method == Method::Get) else { return Plan::Full };
    if conditions.if_range.is_some_and(|v| !if_range_holds(v, etag)) {
        return Plan::Full;
    }
    match resolve_range(range, size) {
        RangeOutcome::Ignore => Plan::Full,
        RangeOutcome::Unsatisfiable => Plan::Unsatisfiable,
        RangeOutcome::Ranges(ranges) => Plan::Partial(ranges),
    }
}

/// The `multipart/byteranges` framing of a partial response: the header
/// block before each part and the closing delimiter, so that the exact
/// Content-Length is known before the first byte.
pub struct Multipart {
    pub boundary: String,
    content_type: String,
    size: u64,
}

impl Multipart {
    pub fn new(boundary: String, content_type: &str, size: u64) -> Self {
        Multipart { boundary, content_type: content_type.to_string(), size }
    }

    pub fn part_header(&self, index: usize, range: &ByteRange) -> String {
        format!(
            "{}--{}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n",
            if index == 0 { "" } else { "\r\n" },
            self.boundary,
            self.content_type,
            range.first,
            range.last,
            self.size
        )
    }

    pub fn trailer(&self) -> String {
        format!("\r\n--{}--\r\n", self.boundary)
    }

    pub fn content_length(&self, ranges: &[ByteRange]) -> u64 {
        let parts: u64 =
            ranges.iter().enumerate().map(|(i, r)| self.part_header(i, r).len() as u64 + r.size()).sum();
        parts + self.trailer().len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_and_tricks_rejected() {
        assert_eq!(normalize_path("/var/storage/images/a/b.png").as_deref(), Some("var/storage/images/a/b.png"));
        assert_eq!(normalize_path("/var//storage/./images/a%20b.png?x=1#f").as_deref(), Some("var/storage/images/a b.png"));
        assert_eq!(normalize_path("/var/storage/images/caf%C3%A9.png").as_deref(), Some("var/storage/images/café.png"));
        for bad in [
            "/var/storage/images/../../cache/x",
            "/var/storage/images/%2e%2e/%2E%2E/cache/x",
            "/var/storage/images/..%2f..%2fcache",
            "/var/storage/images/a%00.png",
            "/var/storage/images/a\\..\\b",
            "/var/storage/images/a%5cb",
            "/var/storage/images/%252e%252e/x",
            "/var/storage/images/%zz",
            "/var/storage/images/%4",
            "/var/storage/images/%ff.png",
            "/var/storage/images/dir/",
            "/var/storage/images/a%0d%0aSet-Cookie:x",
            "/",
            "",
        ] {
            assert_eq!(normalize_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn public_prefixes_match_whole_segments_below_them() {
        let p = PublicPrefixes::parse("var/storage/images*, /var/*/storage/images*/").unwrap();
        assert_eq!(p.to_string(), "var/storage/images*,var/*/storage/images*");
        for ok in [
            "var/storage/images/a.png",
            "var/storage/images-versioned/1/a.png",
            "var/site/storage/images/a/b/c.jpg",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for no in [
            "var/storage/images",
            "var/storage/original/a.pdf",
            "var/cache/storage/x",
            "var/site/cache/images/x",
            "var/a/b/storage/images/x",
            "var/storageimages/x",
            "vars/storage/images/x",
        ] {
            assert!(!p.allows(no), "{no}");
        }
        assert!(PublicPrefixes::parse("var/../x").is_err());
        assert!(PublicPrefixes::parse("var//x").is_err());
        assert!(!PublicPrefixes::parse("").unwrap().allows("var/storage/images/a.png"));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxbyy") && glob("*", "") && !glob("ab", "abc"));
    }

    #[test]
    fn dates_round_trip_in_all_three_formats() {
        assert_eq!(format_http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        for t in [0, 1, 86_399, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse_http_date(&format_http_date(t)), Some(t), "{t}");
        }
        for bad in ["", "yesterday", "Sun, 31 Feb 2021 00:00:00 GMT", "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 6x Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    fn meta(size: u64, mtime: i64) -> FileMeta {
        FileMeta {
            name: "var/storage/images/a.png".into(),
            name_trunk: "var/storage/images/a.png".into(),
            datatype: "image/png".into(),
            scope: "image".into(),
            size,
            mtime,
            expired: false,
        }
    }

    #[test]
    fn etags_change_with_content_of_the_same_size_and_second() {
        let a = etag(&meta(4, 100), b"abcd");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34, "{a}");
        assert_eq!(a, etag(&meta(4, 100), b"abcd"));
        assert_ne!(a, etag(&meta(4, 100), b"abce"));
        assert_ne!(a, etag(&meta(4, 101), b"abcd"));
        let mut png = meta(4, 100);
        png.datatype = "image/gif".into();
        assert_ne!(a, etag(&png, b"abcd"));
    }

    #[test]
    fn if_none_match_lists_star_and_weak_comparison() {
        let e = "\"abc\"";
        assert!(none_match_hits("\"abc\"", e));
        assert!(none_match_hits("W/\"abc\"", e));
        assert!(none_match_hits("\"x\", W/\"y\",\"abc\"", e));
        assert!(none_match_hits("\"a,b\", \"abc\"", e));
        assert!(none_match_hits(" * ", e));
        assert!(!none_match_hits("\"abcd\"", e));
        assert!(!none_match_hits("abc", e));
        assert!(!none_match_hits("\"x\" junk \"abc\"", e));
        assert!(!none_match_hits("", e));
    }

    #[test]
    fn if_range_needs_the_strong_tag_itself() {
        let e = "\"abc\"";
        assert!(if_range_holds("\"abc\"", e));
        assert!(!if_range_holds("W/\"abc\"", e));
        assert!(!if_range_holds("\"abd\"", e));
        assert!(!if_range_holds("Sun, 06 Nov 1994 08:49:37 GMT", e));
    }

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn ranges_resolve_clamp_and_merge() {
        use RangeOutcome::*;
        assert_eq!(resolve_range("bytes=0-499", 1000), Ranges(vec![r(0, 499)]));
        assert_eq!(resolve_range("bytes=500-", 1000), Ranges(vec![r(500, 999)]));
        assert_eq!(resolve_range("bytes=-300", 1000), Ranges(vec![r(700, 999)]));
        assert_eq!(resolve_range("bytes=-3000", 1000), Ranges(vec![r(0, 999)]));
        assert_eq!(resolve_range("bytes=0-0", 1000), Ranges(vec![r(0, 0)]));
        assert_eq!(resolve_range("bytes=999-999", 1000), Ranges(vec![r(999, 999)]));
        assert_eq!(resolve_range("bytes=-1", 1000), Ranges(vec![r(999, 999)]));
        assert_eq!(resolve_range("bytes=900-5000", 1000), Ranges(vec![r(900, 999)]));
        assert_eq!(resolve_range("Bytes = 0-1 , 500-599,,", 1000), Ranges(vec![r(0, 1), r(500, 599)]));
        assert_eq!(resolve_range("bytes=0-10,5-20,500-599", 1000), Ranges(vec![r(0, 20), r(500, 599)]));
        assert_eq!(resolve_range("bytes=0-10,50-60", 1000), Ranges(vec![r(0, 60)]));
        assert_eq!(resolve_range("bytes=0-1,2000-3000", 1000), Ranges(vec![r(0, 1)]));
        assert_eq!(resolve_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(resolve_range("bytes=1000-2000,5000-", 1000), Unsatisfiable);
        assert_eq!(resolve_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(resolve_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(resolve_range("bytes=-5", 0), Unsatisfiable);
        for ignored in ["bytes=5-1", "items=0-1", "bytes=a-b", "bytes=", "bytes=1", "0-1", "bytes=--1",
            "bytes=500-599,0-1", "bytes=+1-2"] {
            assert_eq!(resolve_range(ignored, 1000), Ignore, "{ignored}");
        }
        let many = format!("bytes={}", (0..=MAX_RANGES).map(|i| format!("{}-{}", i * 1000, i * 1000)).collect::<Vec<_>>().join(","));
        assert_eq!(resolve_range(&many, 1 << 30), Ignore);
    }

    #[test]
    fn plan_follows_rfc_9110_precedence() {
        let e = "\"t\"";
        fn c<'a>(inm: Option<&'a str>, ims: Option<&'a str>, range: Option<&'a str>, if_range: Option<&'a str>) -> Conditions<'a> {
            Conditions { if_none_match: inm, if_modified_since: ims, range, if_range }
        }
        let plan_of = |m, c: Conditions| plan(m, &c, e, 1000, 100, 5000);
        assert_eq!(plan_of(Method::Get, c(None, None, None, None)), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(Some("\"t\""), None, None, None)), Plan::NotModified);
        assert_eq!(plan_of(Method::Head, c(Some("*"), None, None, None)), Plan::NotModified);
        let (d999, d1000, d2000, d6000) = (format_http_date(999), format_http_date(1000), format_http_date(2000), format_http_date(6000));
        assert_eq!(plan_of(Method::Get, c(None, Some(&d1000), None, None)), Plan::NotModified);
        assert_eq!(plan_of(Method::Get, c(None, Some(&d999), None, None)), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(None, Some(&d6000), None, None)), Plan::Full, "future date ignored");
        assert_eq!(plan_of(Method::Get, c(None, Some("garbage"), None, None)), Plan::Full);
        // If-Modified-Since counts only without If-None-Match.
        assert_eq!(plan_of(Method::Get, c(Some("\"x\""), Some(&d2000), None, None)), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(None, None, Some("bytes=0-9"), None)), Plan::Partial(vec![r(0, 9)]));
        assert_eq!(plan_of(Method::Head, c(None, None, Some("bytes=0-9"), None)), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(None, None, Some("bytes=0-9"), Some("\"t\""))), Plan::Partial(vec![r(0, 9)]));
        assert_eq!(plan_of(Method::Get, c(None, None, Some("bytes=0-9"), Some("\"u\""))), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(None, None, Some("bytes=0-9"), Some(&d1000))), Plan::Full);
        assert_eq!(plan_of(Method::Get, c(None, None, Some("bytes=100-"), None)), Plan::Unsatisfiable);
        assert_eq!(plan_of(Method::Get, c(Some("\"t\""), None, Some("bytes=100-"), None)), Plan::NotModified);
    }

    #[test]
    fn multipart_length_is_the_bytes_sent() {
        let m = Multipart::new("B".into(), "image/png", 1000);
        let ranges = [r(0, 9), r(500, 509)];
        let sent = format!(
            "{}{}{}{}{}",
            m.part_header(0, &ranges[0]),
            "x".repeat(10),
            m.part_header(1, &ranges[1]),
            "y".repeat(10),
            m.trailer()
        );
        assert_eq!(m.content_length(&ranges), sent.len() as u64);
        assert!(sent.starts_with("--B\r\nContent-Type: image/png\r\nContent-Range: bytes 0-9/1000\r\n\r\n"));
        assert!(sent.ends_with("\r\n--B--\r\n"));
    }
}
