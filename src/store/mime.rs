//! Datatype (MIME type) from a file name, for stores that name none.

const TYPES: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("svg", "image/svg+xml"),
    ("bmp", "image/bmp"),
    ("ico", "image/vnd.microsoft.icon"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("txt", "text/plain"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("xml", "text/xml"),
    ("php", "text/x-php"),
    ("cache", "application/octet-stream"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xls", "application/vnd.ms-excel"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
];

pub const DEFAULT: &str = "application/octet-stream";

pub fn guess(name: &str) -> &'static str {
    let file = name.rsplit('/').next().unwrap_or(name);
    let Some((_, ext)) = file.rsplit_once('.') else { return DEFAULT };
    TYPES.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map_or(DEFAULT, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn guesses_by_last_extension_case_insensitively() {
        assert_eq!(super::guess("var/storage/images/a.b/photo.JPG"), "image/jpeg");
        assert_eq!(super::guess("var/x.tar.gz"), "application/gzip");
        assert_eq!(super::guess("var/storage/noext"), super::DEFAULT);
        assert_eq!(super::guess("var/dir.png/noext"), super::DEFAULT);
    }
}
