//! Request target → output entry: the one place that decides which key of the site's output a URL
//! names, and the guard of invariant 4 ("never a byte from outside the output").
//!
//! Output keys are relative, '/'-separated, decoded UTF-8 paths such as `about/index.html`. The
//! resolver never builds a file-system path; it only asks `exists(key)`. Even so it refuses
//! anything that could mean "elsewhere" to some other layer (a `..` segment, an encoded
//! separator, a drive letter, a hidden file), because a key that is only harmless by accident of
//! today's storage is one refactor away from a traversal bug.
//!
//! Pure: no I/O, and no panic on any input.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Longest request-target we accept, in bytes; longer ones are [`Resolution::BadRequest`].
/// (A server that prefers 414 URI Too Long (RFC 9110 §15.5.15) can test this bound first.)
pub const MAX_TARGET_LEN: usize = 8 * 1024;

/// Where a request target leads in the site's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Serve the output entry with this key (e.g. "index.html", "about/index.html",
    /// "assets/logo.1a2b3c4d.svg", "关于/index.html").
    Found(String),
    /// Redirect to this Location (a path+query such as "/about/?x=1", ASCII only, always starting
    /// with a single '/'): the target named a directory without its trailing slash. The server
    /// picks the status (301/308 are the permanent ones; a preview whose files change may prefer
    /// 307/302, which browsers do not cache by default).
    Redirect(String),
    /// 404: nothing there (including anything that tries to escape the root).
    NotFound,
    /// 400: a target that is not a valid origin-form path (bad percent-encoding, NUL or control
    /// chars, encoded '/' or '\\', invalid UTF-8 after decoding, empty, not starting with '/',
    /// over-long).
    BadRequest,
}

/// Characters re-encoded when a client's raw path is echoed in a Location: those RFC 3986 does
/// not allow in a path, so the header value is always plain visible ASCII. '%' is not in the set,
/// so what the client already encoded stays exactly as it sent it.
const LOCATION_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Resolves a raw request-target (as on the request line) against the set of output keys.
/// `exists(key)` says whether an output entry exists.
///
/// Accepts origin-form (`/path?query`) and absolute-form (`http://host/path`, RFC 9112 §3.2.2);
/// the query never affects the key, and a `#fragment` (never sent by browsers) is ignored.
/// `exists` is only ever asked about keys without `..`, `\`, ':', control characters, or a
/// leading '/' or '.' in any segment.
pub fn resolve(target: &str, exists: impl Fn(&str) -> bool) -> Resolution {
    match resolve_inner(target, &exists) {
        Ok(r) | Err(r) => r,
    }
}

fn resolve_inner(target: &str, exists: &dyn Fn(&str) -> bool) -> Result<Resolution, Resolution> {
    use Resolution::{BadRequest, Found, NotFound, Redirect};

    if target.is_empty() || target.len() > MAX_TARGET_LEN {
        return Err(BadRequest);
    }
    // Control characters are never valid in a request-target (RFC 3986 §2); refusing them in the
    // query too keeps CR/LF out of the Location we may echo back. A raw backslash is not valid
    // either, and some clients and file systems treat it as a separator.
    if target.chars().any(|c| c.is_control() || c == '\\') {
        return Err(BadRequest);
    }

    // RFC 3986 §3.5: the fragment starts at the first '#', wherever it is; §3.4: the query starts
    // at the first '?' before it.
    let without_fragment = target.split('#').next().unwrap_or("");
    let (before_query, query) = match without_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (without_fragment, None),
    };
    let raw_path = if before_query.starts_with('/') {
        before_query
    } else {
        // Not origin-form: absolute-form or nothing. This also rejects "*" (asterisk-form, only
        // for OPTIONS) and authority-form (only for CONNECT), neither of which names a file.
        absolute_form_path(before_query).ok_or(BadRequest)?
    };

    // Decode every segment before judging any, so a malformed target is a 400 whatever else it
    // contains. Splitting before decoding is safe because an encoded '/' is refused below.
    let mut segments: Vec<(&str, Cow<'_, str>)> = Vec::new();
    for raw in raw_path[1..].split('/') {
        segments.push((raw, decode_segment(raw).ok_or(BadRequest)?));
    }

    // A path starting with "//" reads as a network-path reference ("//host/path", RFC 3986 §4.2)
    // to any URL parser that re-reads it; our pages never link that way, so refuse to guess.
    if raw_path.starts_with("//") {
        return Err(NotFound);
    }

    // A trailing "/" or "/." (RFC 3986 §5.2.4 turns "a/." into "a/") names a directory.
    let directory = matches!(segments.last(), Some((_, d)) if d.is_empty() || d == ".");

    let mut key_parts: Vec<&str> = Vec::new();
    let mut raw_parts: Vec<&str> = Vec::new();
    for (raw, decoded) in &segments {
        // Empty segments ("a//b") and "." stay where they are, so they can go.
        if decoded.is_empty() || decoded == "." {
            continue;
        }
        // ".." is refused, not normalised away: a client that sends it is not following a link
        // of ours. Any other leading '.' is a hidden file (.git, .profile-dist), never served.
        if decoded.starts_with('.') {
            return Err(NotFound);
        }
        // "C:", "file::$DATA" and friends mean something else to Windows file APIs.
        if decoded.contains(':') {
            return Err(NotFound);
        }
        key_parts.push(decoded);
        raw_parts.push(raw);
    }

    if key_parts.is_empty() {
        return Ok(found_if(exists, "index.html".to_owned()));
    }
    let path = key_parts.join("/");
    if directory {
        return Ok(found_if(exists, format!("{path}/index.html")));
    }
    if exists(&path) {
        return Ok(Found(path));
    }
    if exists(&format!("{path}/index.html")) {
        // Rebuilt from the kept segments as the client encoded them, not from the raw path, so
        // "//x" or "/./x" cannot turn into a Location that points at another host.
        let mut location = String::from("/");
        for raw in raw_parts {
            location.extend(utf8_percent_encode(raw, LOCATION_ESCAPES));
            location.push('/');
        }
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            location.push('?');
            location.extend(utf8_percent_encode(q, LOCATION_ESCAPES));
        }
        return Ok(Redirect(location));
    }
    Ok(NotFound)
}

fn found_if(exists: &dyn Fn(&str) -> bool, key: String) -> Resolution {
    if exists(&key) {
        Resolution::Found(key)
    } else {
        Resolution::NotFound
    }
}

/// The path of an absolute-form target (`http://host:port/path`, RFC 9112 §3.2.2), which a server
/// must accept; "/" when the path is empty. None for other schemes (we are not a proxy) and for
/// an empty host, which RFC 9110 §4.2.1 says to reject as invalid.
fn absolute_form_path(target: &str) -> Option<&str> {
    let (scheme, rest) = target.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    // The query was already split off, so the authority ends at the first '/'.
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.starts_with('@') || authority.ends_with('@') {
        return None;
    }
    Some(path)
}

/// Percent-decodes one path segment exactly once (so "%252e" becomes the literal "%2e").
///
/// None when the segment is not acceptable: a '%' not followed by two hex digits, an encoded
/// '/' or '\' (it would name a different path than the one the client's URL shows), an encoded
/// control character, or bytes that are not UTF-8 (Rust's check also refuses overlong forms like
/// `%c0%ae` and encoded surrogates).
fn decode_segment(raw: &str) -> Option<Cow<'_, str>> {
    // Most segments have nothing to decode: no copy then.
    if !raw.contains('%') {
        return (!raw.chars().any(char::is_control)).then_some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            let b = hi << 4 | lo;
            if b == b'/' || b == b'\\' {
                return None;
            }
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    // C0, DEL and C1 controls: no file name of ours has one, and they would garble logs.
    if decoded.chars().any(char::is_control) {
        return None;
    }
    Some(Cow::Owned(decoded))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use Resolution::{BadRequest, Found, NotFound, Redirect};

    const KEYS: &[&str] = &[
        "index.html",
        "about/index.html",
        "assets/logo.1a2b3c4d.svg",
        "关于/index.html",
        "a b/index.html",
        "100%/index.html",
        "deep/er/index.html",
        "deep/er/page.html",
    ];

    /// Known keys, plus anything a traversal would reach: a resolver that let one through would
    /// get `Found` and fail the test.
    fn exists(key: &str) -> bool {
        KEYS.contains(&key) || key.contains("passwd") || key.contains("win.ini")
    }

    fn res(target: &str) -> Resolution {
        resolve(target, exists)
    }

    fn found(key: &str) -> Resolution {
        Found(key.to_owned())
    }

    fn redirect(loc: &str) -> Resolution {
        Redirect(loc.to_owned())
    }

    /// A key we could legitimately hand to `exists`.
    fn assert_safe_key(key: &str) {
        assert!(!key.is_empty(), "empty key");
        assert!(!key.starts_with('/'), "{key:?}");
        assert!(!key.contains('\\') && !key.contains(':'), "{key:?}");
        assert!(!key.chars().any(char::is_control), "{key:?}");
        for seg in key.split('/') {
            assert!(!seg.is_empty() && !seg.starts_with('.'), "{key:?}");
        }
    }

    #[test]
    fn positive_cases() {
        let cases: &[(&str, Resolution)] = &[
            ("/", found("index.html")),
            ("/index.html", found("index.html")),
            ("/?x=1", found("index.html")),
            ("/#top", found("index.html")),
            ("/.", found("index.html")),
            ("/./", found("index.html")),
            ("/about/", found("about/index.html")),
            ("/about/.", found("about/index.html")),
            ("/about/index.html", found("about/index.html")),
            ("/about", redirect("/about/")),
            ("/about?x=1", redirect("/about/?x=1")),
            ("/about?x=1&y=%20z", redirect("/about/?x=1&y=%20z")),
            ("/about?", redirect("/about/")),
            ("/about#frag", redirect("/about/")),
            ("/about?x=1#frag", redirect("/about/?x=1")),
            ("/about#frag?x=1", redirect("/about/")),
            ("/%61bout", redirect("/%61bout/")),
            ("/%61bout/", found("about/index.html")),
            ("/./about", redirect("/about/")),
            ("/about/./", found("about/index.html")),
            ("/%2e/about/", found("about/index.html")),
            ("/%E5%85%B3%E4%BA%8E/", found("关于/index.html")),
            ("/%e5%85%b3%e4%ba%8e/", found("关于/index.html")),
            ("/%E5%85%B3%E4%BA%8E", redirect("/%E5%85%B3%E4%BA%8E/")),
            ("/关于/", found("关于/index.html")),
            ("/关于", redirect("/%E5%85%B3%E4%BA%8E/")),
            ("/关于?q=关", redirect("/%E5%85%B3%E4%BA%8E/?q=%E5%85%B3")),
            ("/a%20b/", found("a b/index.html")),
            ("/a%20b", redirect("/a%20b/")),
            ("/a b", redirect("/a%20b/")),
            ("/100%25/", found("100%/index.html")),
            ("/100%25", redirect("/100%25/")),
            (
                "/assets/logo.1a2b3c4d.svg",
                found("assets/logo.1a2b3c4d.svg"),
            ),
            (
                "/assets/logo.1a2b3c4d.svg?v=2",
                found("assets/logo.1a2b3c4d.svg"),
            ),
            (
                "/assets//logo.1a2b3c4d.svg",
                found("assets/logo.1a2b3c4d.svg"),
            ),
            (
                "/assets/./logo.1a2b3c4d.svg",
                found("assets/logo.1a2b3c4d.svg"),
            ),
            ("/deep//er", redirect("/deep/er/")),
            ("/deep/er/page.html", found("deep/er/page.html")),
            ("http://localhost:8000/about/", found("about/index.html")),
            ("http://localhost:8000/about?x", redirect("/about/?x")),
            ("HTTP://localhost/", found("index.html")),
            ("https://example.org", found("index.html")),
            ("http://example.org?x=1", found("index.html")),
            ("http://user@host/index.html", found("index.html")),
        ];
        for (target, want) in cases {
            assert_eq!(&res(target), want, "{target:?}");
        }
    }

    #[test]
    fn missing_things_are_not_found() {
        for t in [
            "/nope",
            "/nope/",
            "/about/nope",
            "/index.html/",
            "/assets/",
            "/assets",
            "/ABOUT/",
            "/%252e%252e/",
            "/%2561bout/",
            "/about;x=1",
            "/about/index.html/x",
        ] {
            assert_eq!(res(t), NotFound, "{t:?}");
        }
        // No index.html at all: "/" is a 404, not a crash or a redirect.
        assert_eq!(resolve("/", |_| false), NotFound);
        assert_eq!(resolve("/about", |_| false), NotFound);
    }

    #[test]
    fn exact_file_beats_directory() {
        let ex = |k: &str| k == "about" || k == "about/index.html";
        assert_eq!(resolve("/about", ex), found("about"));
        assert_eq!(resolve("/about/", ex), found("about/index.html"));
    }

    #[test]
    fn malformed_targets_are_bad_requests() {
        let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
        for t in [
            "",
            "*",
            "about",
            "index.html",
            "?x=1",
            "#x",
            "localhost:8000",
            "ftp://host/index.html",
            "file:///etc/passwd",
            "http:/about",
            "http://",
            "http:///about/",
            "http://@/about/",
            "/%",
            "/%4",
            "/%zz",
            "/%g0",
            "/abc%",
            "/abc%2",
            "/%%32%65",
            "/%2f",
            "/%2F",
            "/%5c",
            "/%5C",
            "/a%2fb",
            "/%00",
            "/%01",
            "/%0a",
            "/%0D%0A",
            "/%1b[31m",
            "/%7f",
            "/%c2%85", // NEL, a C1 control
            "/\u{85}", // raw NEL
            "/a\tb",   // raw tab
            "/a\nb",
            "/about?x=\r\nSet-Cookie:x",
            "/\\",
            "/%ff",
            "/%fe%ff",
            "/%c0%af",
            "/%ed%a0%80",    // a UTF-16 surrogate
            "/%f4%90%80%80", // above U+10FFFF
            "/%e5%85",       // truncated sequence
            long.as_str(),
        ] {
            assert_eq!(res(t), BadRequest, "{t:?}");
        }
    }

    #[test]
    fn length_cap_is_inclusive() {
        let at_cap = format!("/{}", "a".repeat(MAX_TARGET_LEN - 1));
        assert_eq!(at_cap.len(), MAX_TARGET_LEN);
        assert_eq!(res(&at_cap), NotFound);
        let over = format!("{at_cap}a");
        assert_eq!(res(&over), BadRequest);
    }

    #[test]
    fn traversal_and_attack_payloads() {
        let long_dots = format!("/{}etc/passwd", "../".repeat(2000));
        let long_ok_len = format!("/{}passwd", "a/".repeat(5000));
        let long_dotdot_enc = format!("/{}etc/passwd", "%2e%2e/".repeat(500));
        let cases: Vec<(&str, Resolution)> = vec![
            // Plain dot-dot, in every position.
            ("/../etc/passwd", NotFound),
            ("/..", NotFound),
            ("/../", NotFound),
            ("/assets/../../x", NotFound),
            ("/assets/../index.html", NotFound),
            ("/about/../../../../etc/passwd", NotFound),
            ("/a/b/../../../etc/passwd", NotFound),
            ("/etc/passwd/..", NotFound),
            ("/./../etc/passwd", NotFound),
            ("/..?x=/etc/passwd", NotFound),
            // Encoded dots.
            ("/%2e%2e/%2e%2e/etc/passwd", NotFound),
            ("/%2E%2E/etc/passwd", NotFound),
            ("/.%2e/etc/passwd", NotFound),
            ("/%2e./etc/passwd", NotFound),
            ("/%2e%2e", NotFound),
            // Double encoding decodes once: a literal "%2e%2e" name, which does not exist.
            ("/%252e%252e/", NotFound),
            ("/%252e%252e/%252e%252e/index.html", NotFound),
            ("/%252f..%252fetc", NotFound),
            // Encoded separators.
            ("/..%2fetc/passwd", BadRequest),
            ("/..%2Fetc%2Fpasswd", BadRequest),
            ("/%2e%2e%2f%2e%2e%2fetc%2fpasswd", BadRequest),
            ("/%2e%2e%5c..", BadRequest),
            ("/assets/..%5c..%5cwin.ini", BadRequest),
            ("/..%5cwin.ini", BadRequest),
            ("/%5c%5cserver%5cshare%5cwin.ini", BadRequest),
            // Raw backslashes.
            ("/\\..\\..", BadRequest),
            ("/..\\..\\windows\\win.ini", BadRequest),
            ("/assets\\..\\win.ini", BadRequest),
            // Overlong and otherwise invalid UTF-8.
            ("/%c0%ae%c0%ae/", BadRequest),
            ("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", BadRequest),
            ("/%e0%80%ae", BadRequest),
            ("/%e0%80%ae%e0%80%ae/etc/passwd", BadRequest),
            ("/%f0%80%80%ae", BadRequest),
            ("/%c0%2e%c0%2e/etc/passwd", BadRequest),
            ("/%c1%9c", BadRequest),
            ("/%c0%af/etc/passwd", BadRequest),
            ("/%80/etc/passwd", BadRequest),
            // NUL and friends.
            ("/.%00./", BadRequest),
            ("/%00", BadRequest),
            ("/passwd%00.html", BadRequest),
            ("/win.ini%00", BadRequest),
            ("/..%00/etc/passwd", BadRequest),
            ("/\u{0}", BadRequest),
            // Path parameters and dot tricks.
            ("/..;/", NotFound),
            ("/..;/etc/passwd", NotFound),
            ("/.;/etc/passwd", NotFound),
            ("/....//....//etc", NotFound),
            ("/....//....//etc/passwd", NotFound),
            ("/.../etc/passwd", NotFound),
            ("/. ./etc/passwd", NotFound),
            ("/.. /etc/passwd", NotFound),
            ("/..%20/etc/passwd", NotFound),
            // Network-path lookalikes.
            ("//etc/passwd", NotFound),
            ("///etc/passwd", NotFound),
            ("//evil.example/passwd", NotFound),
            ("/%2f/etc/passwd", BadRequest),
            // Windows drive letters and streams.
            ("/C:/Windows/win.ini", NotFound),
            ("/c:/windows/win.ini", NotFound),
            ("/C:%5cWindows%5cwin.ini", BadRequest),
            ("/C%3a/Windows/win.ini", NotFound),
            ("/win.ini::$DATA", NotFound),
            ("/assets/win.ini:stream", NotFound),
            ("/file:/etc/passwd", NotFound),
            // Absolute-form carrying traversal.
            ("http://evil/../../etc/passwd", NotFound),
            ("http://evil/%2e%2e/etc/passwd", NotFound),
            ("http://evil//etc/passwd", NotFound),
            ("http://evil/..%2fetc/passwd", BadRequest),
            ("http:\\\\evil\\etc\\passwd", BadRequest),
            ("file:///etc/passwd", BadRequest),
            ("\\\\evil\\share\\win.ini", BadRequest),
            ("../etc/passwd", BadRequest),
            ("etc/passwd", BadRequest),
            // Hidden files.
            ("/.profile-dist", NotFound),
            ("/.profile-dist/passwd", NotFound),
            ("/.git/config", NotFound),
            ("/.git", NotFound),
            ("/.git/", NotFound),
            ("/%2egit/config", NotFound),
            ("/assets/.passwd", NotFound),
            ("/.env", NotFound),
            ("/.htpasswd", NotFound),
            // Very long.
            (long_dots.as_str(), NotFound),
            (long_dotdot_enc.as_str(), NotFound),
            (long_ok_len.as_str(), BadRequest),
        ];
        assert!(cases.len() >= 60, "only {} payloads", cases.len());
        for (target, want) in &cases {
            let asked = RefCell::new(Vec::<String>::new());
            let got = resolve(target, |k| {
                asked.borrow_mut().push(k.to_owned());
                exists(k)
            });
            assert_eq!(&got, want, "{target:?}");
            for key in asked.borrow().iter() {
                assert_safe_key(key);
            }
        }
    }

    #[test]
    fn the_passwd_oracle_does_find_legitimate_keys() {
        // Proof that the closure used above really would expose a leak.
        assert_eq!(res("/etc/passwd"), found("etc/passwd"));
        assert_eq!(res("/windows/win.ini"), found("windows/win.ini"));
    }

    #[test]
    fn percent_decoding_happens_exactly_once() {
        // "%252e" is the literal three characters "%2e", a harmless name inside the root, and the
        // key keeps it that way: whoever looks the key up must not decode it again.
        assert_eq!(
            res("/%252e%252e/%252e%252e/etc/passwd"),
            found("%2e%2e/%2e%2e/etc/passwd")
        );
        assert_eq!(res("/%2525/"), NotFound);
        let ex = |k: &str| k == "%25/index.html";
        assert_eq!(resolve("/%2525/", ex), found("%25/index.html"));
    }

    #[test]
    fn redirect_location_is_safe() {
        let ex = |k: &str| k.ends_with("/index.html");
        let cases = [
            ("/x", "/x/"),
            ("/./x", "/x/"),
            ("/x//y", "/x/y/"),
            ("/x/./y", "/x/y/"),
            ("/x y", "/x%20y/"),
            ("/x\"<>`{|}^", "/x%22%3C%3E%60%7B%7C%7D%5E/"),
            ("/x?a=\"b\"", "/x/?a=%22b%22"),
            ("/x?a=%0d%0a", "/x/?a=%0d%0a"),
            ("http://evil.example/x", "/x/"),
            ("http://evil.example//x", ""),
        ];
        for (target, want) in cases {
            let got = resolve(target, ex);
            if want.is_empty() {
                assert_eq!(got, NotFound, "{target:?}");
                continue;
            }
            assert_eq!(got, redirect(want), "{target:?}");
            let Redirect(loc) = got else { unreachable!() };
            assert!(loc.starts_with('/') && !loc.starts_with("//"), "{loc}");
            assert!(loc.bytes().all(|b| b.is_ascii_graphic()), "{loc}");
        }
    }

    #[test]
    fn never_panics_and_never_asks_for_an_unsafe_key() {
        let pieces = [
            "/",
            "//",
            ".",
            "..",
            "...",
            "%",
            "%2",
            "%2e",
            "%2E",
            "%2f",
            "%5c",
            "%25",
            "%00",
            "%c0",
            "%ae",
            "%e5%85%b3",
            "%E4%BA%8E",
            "%ff",
            "%80",
            "关",
            "于",
            "é",
            "\\",
            "\0",
            "\r",
            "?",
            "#",
            "&",
            "=",
            ":",
            "C:",
            ";",
            "@",
            "*",
            " ",
            "a",
            "about",
            "index.html",
            "passwd",
            "win.ini",
            "etc",
            "http://",
            "https://",
            "http:",
            "host",
            "~",
            "\u{85}",
            "\u{202e}",
            "\u{feff}",
            ".git",
            ".profile-dist",
            "assets",
            "logo.1a2b3c4d.svg",
        ];
        let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
        for _ in 0..50_000 {
            let n = (rng.u64(..) % 12) as usize;
            let target: String = (0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect();
            let asked = RefCell::new(Vec::<String>::new());
            let got = resolve(&target, |k| {
                asked.borrow_mut().push(k.to_owned());
                exists(k)
            });
            for key in asked.borrow().iter() {
                assert_safe_key(key);
            }
            match &got {
                Found(key) => {
                    assert_safe_key(key);
                    assert!(exists(key));
                }
                Redirect(loc) => {
                    assert!(loc.starts_with('/') && !loc.starts_with("//"), "{target:?}");
                    assert!(loc.ends_with('/') || loc.contains("/?"), "{target:?}");
                    assert!(loc.bytes().all(|b| b.is_ascii_graphic()), "{target:?}");
                }
                NotFound | BadRequest => {}
            }
        }
        // Every single character below U+0100, raw and encoded, alone and in a path.
        for c in (0u32..0x100).filter_map(char::from_u32) {
            for t in [
                c.to_string(),
                format!("/{c}"),
                format!("/a{c}b/"),
                format!("/%{:02x}", c as u32),
                format!("/%{:02X}x", c as u32),
            ] {
                let _ = res(&t);
            }
        }
    }
}
