//! File names as the store keeps them: cleaned, checked, and grouped into
//! eZ Publish's `name_trunk`.

use super::error::{Error, Result};

/// Longest name accepted, in bytes: a longer one cannot be a local path
/// either (Linux PATH_MAX is 4096 with the terminating NUL).
pub const MAX_NAME: usize = 4095;

/// The name a path is stored under: repeated slashes collapsed, `.` segments
/// and a trailing slash dropped, as eZ's cleanPath does, so that `var//a/`
/// and `var/a` are one file. Rejects what no store may hold: an empty path,
/// a NUL byte, a `..` segment (which would let a name escape its directory
/// on the local side), and names longer than `MAX_NAME`.
pub fn clean_path(path: &str) -> Result<String> {
    let invalid = |why: &str| Error::InvalidArgument(format!("invalid file path '{}': {why}", printable(path)));
    if path.is_empty() {
        return Err(Error::InvalidArgument("the file path is empty".into()));
    }
    if path.contains('\0') {
        return Err(invalid("it contains a NUL byte"));
    }
    if path.len() > MAX_NAME {
        return Err(Error::InvalidArgument(format!(
            "invalid file path: {} bytes long, the limit is {MAX_NAME}",
            path.len()
        )));
    }
    let mut cleaned = String::with_capacity(path.len());
    if path.starts_with('/') {
        cleaned.push('/');
    }
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(invalid("'..' segments are not allowed")),
            s => {
                if !cleaned.is_empty() && !cleaned.ends_with('/') {
                    cleaned.push('/');
                }
                cleaned.push_str(s);
            }
        }
    }
    if cleaned.is_empty() || cleaned == "/" {
        return Err(invalid("it names no file"));
    }
    Ok(cleaned)
}

/// At most 200 characters of a name, for error messages.
fn printable(path: &str) -> String {
    let mut shown: String = path.chars().take(200).map(|c| if c == '\0' { '\u{FFFD}' } else { c }).collect();
    if shown.len() < path.len() {
        shown.push('…');
    }
    shown
}

/// eZ Publish's `name_trunk`: the part of a cache file's name shared by all
/// variants of one cached object, so that they can be cleared together.
/// - `viewcache`: the directory plus the file name up to its first `-`
///   (`.../full/1/2/12-en-abc.cache` → `.../full/1/2/12-`);
/// - `template-block` under a `subtree/` directory: the path through the
///   first `cache/` after `template-block/`;
/// - anything else: the name itself.
pub fn name_trunk(name: &str, scope: &str) -> String {
    match scope {
        "viewcache" => {
            let (dir, file) = name.rsplit_once('/').map_or(("", name), |(d, f)| (d, f));
            match file.find('-') {
                Some(dash) if dir.is_empty() => file[..=dash].to_string(),
                Some(dash) => format!("{dir}/{}", &file[..=dash]),
                None => name.to_string(),
            }
        }
        "template-block" => {
            const DIR: &str = "/cache/template-block/";
            let Some(start) = name.find(DIR).map(|i| i + DIR.len()) else { return name.to_string() };
            let rest = &name[start..];
            match (rest.contains("subtree/"), rest.find("cache/")) {
                (true, Some(i)) => name[..start + i + "cache/".len()].to_string(),
                _ => name.to_string(),
            }
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_normalises_like_ez() {
        assert_eq!(clean_path("var//storage/./images/a.png").unwrap(), "var/storage/images/a.png");
        assert_eq!(clean_path("var/cache/").unwrap(), "var/cache");
        assert_eq!(clean_path("/abs//x").unwrap(), "/abs/x");
        assert_eq!(clean_path("a%b_c\\d").unwrap(), "a%b_c\\d");
    }

    #[test]
    fn clean_path_rejects_unsafe_names() {
        for bad in ["", "var/../etc/passwd", "..", "a/..", "a\0b", ".", "/", "//"] {
            let e = clean_path(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument(_)), "{bad:?} gave {e}");
        }
        assert!(clean_path(&"a".repeat(MAX_NAME)).is_ok());
        assert!(clean_path(&"a".repeat(MAX_NAME + 1)).unwrap_err().to_string().contains("4096 bytes"));
        // "..." and "..x" are ordinary names.
        assert_eq!(clean_path("a/.../..x").unwrap(), "a/.../..x");
    }

    #[test]
    fn trunks_follow_ez() {
        assert_eq!(
            name_trunk("var/site/cache/content/site/full/1/2/12-en-abc.cache", "viewcache"),
            "var/site/cache/content/site/full/1/2/12-"
        );
        assert_eq!(name_trunk("var/cache/nodash.cache", "viewcache"), "var/cache/nodash.cache");
        assert_eq!(
            name_trunk("var/site/cache/template-block/subtree/2/cache/1/12345.cache", "template-block"),
            "var/site/cache/template-block/subtree/2/cache/"
        );
        assert_eq!(
            name_trunk("var/site/cache/template-block/1/2/3/12345.cache", "template-block"),
            "var/site/cache/template-block/1/2/3/12345.cache"
        );
        assert_eq!(name_trunk("var/storage/images/a-b.png", "image"), "var/storage/images/a-b.png");
    }
}
