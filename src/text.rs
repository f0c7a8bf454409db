//! Small text helpers shared by the loaders: decoding files saved by any editor, portable paths,
//! URL encoding and "did you mean" suggestions.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::error::{Error, Result};

/// Decodes a text file as UTF-8, dropping a byte-order mark (Notepad adds one) and turning CRLF
/// into LF so that nothing downstream sees `\r`.
pub fn decode(file: &Path, bytes: &[u8]) -> Result<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::in_file(file, "is saved as UTF-16, not UTF-8")
            .hint("save it again with the encoding set to UTF-8"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains('\r') => Ok(text.replace("\r\n", "\n").replace('\r', "\n")),
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction, so this cannot fail.
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let (line, column) = crate::error::line_column(prefix, prefix.len());
            Err(Error::in_file(file, "is not valid UTF-8 text")
                .at(line, column)
                .hint("save it again with the encoding set to UTF-8 (GBK is not supported)"))
        }
    }
}

/// Turns a path written by a Windows user (`assets\logo.png`) into one every OS reads.
pub fn portable_path(written: &str) -> String {
    written.replace('\\', "/")
}

/// How to show `relative` (under `root`) to the user: `site.toml` when building the current
/// directory, `my-site/site.toml` otherwise.
pub fn display_path(root: &Path, relative: &Path) -> PathBuf {
    let mut shown = PathBuf::new();
    for part in root.join(relative).components() {
        if part != Component::CurDir {
            shown.push(part);
        }
    }
    shown
}

/// The entry of `known` closest to `word`, if any is close enough to be a likely typo.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(word, k), *k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Characters escaped in a URL path segment. Non-ASCII is always escaped by the crate.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'&')
    .add(b'\'')
    .add(b'#')
    .add(b'%')
    // `a:b/index.html` would read as a URL with the scheme `a:`.
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// Percent-encodes a `/`-separated relative URL path (e.g. `关于/index.html`) for an `href`.
pub fn encode_url_path(path: &str) -> Cow<'_, str> {
    if path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b))
    {
        return Cow::Borrowed(path);
    }
    let encoded: Vec<String> = path
        .split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect();
    Cow::Owned(encoded.join("/"))
}

/// Whether a file name is editor litter (swap, backup, lock) or hidden, and so never site input.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        // vim checks that a folder is writable with a file called 4913; JetBrains IDEs save
        // through these two.
        || name == "4913"
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

/// The directory holding `path`: `.` for a bare name, where `Path::parent` gives an empty path.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The absolute form of `path`, with symlinks resolved where it exists.
pub fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = dunce::canonicalize(path) {
        return real;
    }
    // Not there yet: resolve the nearest existing ancestor, then add the rest.
    let mut missing = Vec::new();
    let mut current = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    loop {
        if let Ok(real) = dunce::canonicalize(&current) {
            return missing.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (current.file_name(), current.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name.to_os_string());
                current = parent.to_path_buf();
            }
            _ => return current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_bom_crlf_and_bad_bytes() {
        let file = Path::new("a.md");
        assert_eq!(decode(file, b"\xEF\xBB\xBFa\r\nb\r\n").unwrap(), "a\nb\n");
        let mut bytes = "一\n二".as_bytes().to_vec();
        bytes.push(0xFF);
        let err = decode(file, &bytes).unwrap_err();
        assert_eq!(err.position, Some((2, 2)));
        let err = decode(file, b"\xFF\xFEa\x00").unwrap_err();
        assert!(err.message.contains("UTF-16"));
    }

    #[test]
    fn paths_and_urls() {
        assert_eq!(portable_path(r"assets\logo.png"), "assets/logo.png");
        assert_eq!(
            display_path(Path::new("."), Path::new("site.toml")),
            Path::new("site.toml")
        );
        assert_eq!(encode_url_path("about/index.html"), "about/index.html");
        assert_eq!(
            encode_url_path("关于 我/index.html"),
            "%E5%85%B3%E4%BA%8E%20%E6%88%91/index.html"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("nmae", &["name", "major"]), Some("name"));
        assert_eq!(closest("zzzzzz", &["name", "major"]), None);
        assert!(is_ignored_name(".index.md.swp"));
        assert!(is_ignored_name("index.md~"));
        assert!(!is_ignored_name("关于.md"));
    }
}
