//! One request in, one [`Reply`] out: the HTTP semantics of the preview server as a pure
//! function of the request, the current [`Output`], the clock and the current stamps of the
//! files served from their sources (looked up by the caller), so that every status code and
//! header can be tested without a socket or a disk.

use std::borrow::Cow;
use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use crate::output::Output;

use super::http::{self, Conditionals, Precondition, RangeOutcome, Validators};
use super::reload::{self, Preview};
use super::resolve::{self, Resolution};
use crate::coding::Encoding;
use crate::hashing::FileStamp;
use crate::output::{Body, Entry};
use std::sync::Arc;
use tiny_http::framing::{self, Framing, FramingError};

/// The `Server` header.
pub const SERVER: &str = concat!("profile/", env!("CARGO_PKG_VERSION"));

/// The methods the server allows (`Allow` on `OPTIONS` and every 405).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// HTML pages and other unfingerprinted files: the browser keeps them but asks each time
/// (a cheap 304 when nothing changed), so an edit always shows.
pub const REVALIDATE: &str = "no-cache";
/// Fingerprinted files change name when they change content, so they may be kept for a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What the server needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// `GET`, `HEAD`, ...
    pub method: &'a str,
    /// The request-target as sent (`/assets/logo.1a2b3c4d.svg?x`).
    pub target: &'a str,
    /// `(1, 1)` for HTTP/1.1.
    pub version: (u8, u8),
    /// The request headers, in order.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> RequestInfo<'a> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Whether the connection ends after this exchange (RFC 9112 §9.3): the client asked, or
    /// it is HTTP/1.0 without keep-alive, or the request's body is left unread (any but a
    /// chunked one, which the patched tiny_http reads and throws away before the request gets
    /// here; its connection closes by the same rule), so that its bytes cannot be told from a
    /// next request.
    pub fn wants_close(&self) -> bool {
        let connection = self.header("Connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
        let body_left_unread = !matches!(
            self.framing(),
            Ok(Framing::NoBody | Framing::Length(0) | Framing::Chunked)
        );
        has("close") || (self.version < (1, 1) && !has("keep-alive")) || body_left_unread
    }

    /// How the request's body is framed, decided from its head (RFC 9112 §6.3: see
    /// [`tiny_http::framing::body_framing`], which the server's connections use too).
    pub fn framing(&self) -> Result<Framing, FramingError> {
        framing::body_framing(self.version, self.headers.iter().copied())
    }

    /// Whether the request's body framing is one RFC 9112 §6 lets a server answer: a
    /// `Content-Length` that is a decimal within `u64` (a list of identical values is that
    /// value, RFC 9110 §8.6), or, on HTTP/1.1 only, a `Transfer-Encoding` ending in `chunked`
    /// without a `Content-Length`. Any other framing is faulty: 400 and close, whatever the
    /// method (§6.1, §6.3), as where the next request starts cannot be known.
    pub fn framing_is_valid(&self) -> bool {
        self.framing().is_ok()
    }

    /// Whether the request's `Host` is one RFC 9112 §3.2 lets a server answer: exactly one on
    /// HTTP/1.1 (at most one on 1.0), and a value that can be a host and port. Not empty: an
    /// `http` URI has a non-empty host (RFC 9110 §4.2.1). The server must answer any other with
    /// 400; it serves the same site whatever the host.
    pub fn host_is_valid(&self) -> bool {
        let mut hosts = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Host"))
            .map(|(_, v)| *v);
        match (hosts.next(), hosts.next()) {
            (_, Some(_)) => false,
            (None, None) => self.version < (1, 1),
            // uri-host [ ":" port ] (RFC 3986 §3.2.2): reg-name, IPv4 or [IP-literal] characters.
            (Some(value), None) => {
                !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%:[]".contains(&b))
            }
        }
    }
}

/// Where a reply's body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    /// No body (HEAD, 304, redirects...).
    Empty,
    /// Bytes made for this reply (error pages, the 404 page with a `<base>`).
    Owned(Vec<u8>),
    /// `len` bytes from `start` of bytes shared with other replies (a previewed page).
    Shared {
        /// The whole representation.
        bytes: Arc<[u8]>,
        /// First byte.
        start: usize,
        /// Number of bytes.
        len: usize,
    },
    /// `len` bytes of the output entry `key` starting at `start`.
    Entry {
        /// The output path.
        key: String,
        /// First byte.
        start: u64,
        /// Number of bytes.
        len: u64,
    },
}

/// A response, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header fields in the order they are sent; each name at most once.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body.
    pub body: ReplyBody,
}

impl Reply {
    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The number of body bytes that go on the wire.
    pub fn body_len(&self) -> u64 {
        match &self.body {
            ReplyBody::Empty => 0,
            ReplyBody::Owned(b) => b.len() as u64,
            ReplyBody::Shared { len, .. } => *len as u64,
            ReplyBody::Entry { len, .. } => *len,
        }
    }
}

/// The reason phrase for a status code, as RFC 9110 spells it.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Formats the status line and header block of `reply`.
pub fn head_bytes(reply: &Reply, version: (u8, u8)) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    // Answer HTTP/1.0 clients in kind; everything else gets 1.1 (RFC 9110 §6.2).
    head.extend_from_slice(if version == (1, 0) {
        b"HTTP/1.0 "
    } else {
        b"HTTP/1.1 "
    });
    let _ = write!(head, "{} ", reply.status);
    head.extend_from_slice(reason(reply.status).as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in &reply.headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Decides the reply to `request` from the site in `output`, built at `built` (the
/// `Last-Modified` of every entry), at time `now`. With `live_reload` (the build's previewed
/// pages), HTML responses carry the live-reload script. `file_stamp` gives the current stamp of
/// a file served from its source (`None` when it is gone), which an editor may have changed
/// since the build.
pub fn respond(
    request: &RequestInfo,
    output: &Output,
    built: SystemTime,
    now: SystemTime,
    live_reload: Option<&Preview>,
    file_stamp: &dyn Fn(&Path) -> Option<FileStamp>,
) -> Reply {
    let mut reply = match request.method {
        _ if !request.host_is_valid() => text_reply(
            400,
            "400 Bad Request: an HTTP/1.1 request carries one Host field.\n",
        ),
        _ if !request.framing_is_valid() => text_reply(
            400,
            "400 Bad Request: Transfer-Encoding and Content-Length do not say where the body ends.\n",
        ),
        // RFC 9112 §3: a server MUST answer a target longer than it parses with 414.
        _ if request.target.len() > resolve::MAX_TARGET_LEN => {
            text_reply(414, "414 URI Too Long\n")
        }
        "GET" | "HEAD" => respond_to_get(request, output, built, live_reload, file_stamp),
        // RFC 9110 §9.3.7: the methods this server allows, for `*` (the server as a whole,
        // RFC 9112 §3.2.4) and every path alike; no content, so `Content-Length: 0` (a 204 may
        // not carry one, §8.6).
        "OPTIONS" if options_target(request.target) => Reply {
            status: 200,
            headers: vec![("Allow", ALLOW.into()), ("Content-Length", "0".into())],
            body: ReplyBody::Empty,
        },
        "OPTIONS" => text_reply(400, "400 Bad Request: not a request-target.\n"),
        _ => {
            let mut reply = text_reply(405, "405 Method Not Allowed: this server only reads.\n");
            reply.headers.push(("Allow", ALLOW.into()));
            reply
        }
    };
    // The fields every response carries come first, as most servers send them.
    let mut headers = Vec::with_capacity(reply.headers.len() + 3);
    headers.push(("Date", http::http_date(now).into()));
    headers.push(("Server", SERVER.into()));
    headers.append(&mut reply.headers);
    if request.wants_close() {
        headers.push(("Connection", "close".into()));
    } else if request.version < (1, 1) {
        headers.push(("Connection", "keep-alive".into()));
    }
    reply.headers = headers;
    if request.method == "HEAD" {
        reply.body = ReplyBody::Empty;
    }
    reply
}

/// Whether `target` is a request-target `OPTIONS` may name (RFC 9112 §3.2): `*`, a path
/// (origin-form) or an absolute `http(s)` URI.
fn options_target(target: &str) -> bool {
    let scheme = |s: &str| {
        target
            .get(..s.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
    };
    target == "*" || target.starts_with('/') || scheme("http://") || scheme("https://")
}

fn respond_to_get(
    request: &RequestInfo,
    output: &Output,
    built: SystemTime,
    live_reload: Option<&Preview>,
    file_stamp: &dyn Fn(&Path) -> Option<FileStamp>,
) -> Reply {
    let key = match resolve::resolve(request.target, |key| output.get(key).is_some()) {
        Resolution::Found(key) => key,
        Resolution::Redirect(location) => {
            let mut reply = text_reply(301, "");
            reply.headers.push(("Location", location.into()));
            return reply;
        }
        Resolution::NotFound => return not_found(request.target, output, live_reload),
        Resolution::BadRequest => return text_reply(400, "400 Bad Request\n"),
    };
    let Some(original) = output.get(&key) else {
        return not_found(request.target, output, live_reload);
    };
    // A precompressed copy is another representation of the same resource, with its own ETag
    // and byte ranges (RFC 9110 §8.4, §14.1.2).
    let copies: Vec<(Encoding, &Entry)> = Encoding::ALL
        .into_iter()
        .filter_map(|encoding| Some((encoding, output.variant(&key, encoding)?)))
        .collect();
    let codings: Vec<Encoding> = copies.iter().map(|&(encoding, _)| encoding).collect();
    let coding = http::negotiate_encoding(request.header("Accept-Encoding"), &codings);
    // The page as served while previewing: with the live-reload script, a representation of its
    // own with an ETag of its own (compressed as the copies are, when the build made copies).
    let with_script = match (live_reload, &original.body) {
        (Some(preview), Body::Bytes(bytes)) if original.mime.starts_with("text/html") => {
            Some(preview.page(&key, bytes, &original.hash, coding))
        }
        _ => None,
    };
    let copy = coding
        .filter(|_| with_script.is_none())
        .and_then(|c| copies.iter().find(|&&(encoding, _)| encoding == c).copied());
    let (key, entry) = match copy {
        Some((coding, copy)) => (format!("{key}{}", coding.suffix()), copy),
        None => (key, original),
    };
    let vary = (!codings.is_empty()).then_some(("Vary", "Accept-Encoding".into()));
    // A file served from its source may have been edited since it was hashed (before the
    // rebuild catches up): then it gets a weak validator from its size and time, so that no 304
    // or ranged reply mixes old and new bytes (If-Range needs a strong one).
    let mut last_modified = built;
    let (len, etag) = match (&with_script, &entry.body) {
        (Some(page), _) => (page.bytes.len() as u64, page.etag.clone()),
        (None, Body::File { path, stamp }) => match file_stamp(path) {
            Some(now) if now == *stamp => (now.len, http::etag_from_hash(&entry.hash)),
            Some(now) => {
                let modified = now.modified.unwrap_or(built);
                last_modified = super::http::whole_seconds(modified);
                (now.len, weak_etag(&now))
            }
            // The source file vanished since the build (it is being edited): as good as missing.
            None => return not_found(request.target, output, live_reload),
        },
        (None, Body::Bytes(bytes)) => (bytes.len() as u64, http::etag_from_hash(&entry.hash)),
    };
    let validators = Validators {
        etag: &etag,
        last_modified,
    };
    let cache_control = if entry.immutable {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut headers: Vec<(&'static str, Cow<'static, str>)> = Vec::with_capacity(12);
    let conditionals = Conditionals {
        if_match: request.header("If-Match"),
        if_unmodified_since: request.header("If-Unmodified-Since"),
        if_none_match: request.header("If-None-Match"),
        if_modified_since: request.header("If-Modified-Since"),
    };
    match http::evaluate_preconditions(&conditionals, &validators) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            // RFC 9110 §15.4.5: the fields a 200 would have sent that describe caching.
            headers.push(("Cache-Control", cache_control.into()));
            headers.push(("ETag", etag.clone().into()));
            headers.push(("Last-Modified", http::http_date(last_modified).into()));
            headers.extend(vary);
            return Reply {
                status: 304,
                headers,
                body: ReplyBody::Empty,
            };
        }
        Precondition::Failed => return text_reply(412, "412 Precondition Failed\n"),
    }

    headers.push(("Content-Type", original.mime.clone().into()));
    if let Some(coding) = coding {
        headers.push(("Content-Encoding", coding.token().into()));
    }
    headers.extend(vary);
    headers.push(("Cache-Control", cache_control.into()));
    headers.push(("ETag", etag.clone().into()));
    headers.push(("Last-Modified", http::http_date(last_modified).into()));
    headers.push(("Accept-Ranges", "bytes".into()));
    headers.push(("X-Content-Type-Options", "nosniff".into()));

    // Range is defined for GET only (RFC 9110 §14.2): a HEAD gets the headers of the 200.
    let range = if request.method == "GET"
        && http::if_range_allows(request.header("If-Range"), &validators)
    {
        http::evaluate_range(request.header("Range"), len)
    } else {
        RangeOutcome::Full
    };
    let (status, start, body_len) = match range {
        RangeOutcome::Full => (200, 0, len),
        RangeOutcome::Partial(range) => {
            headers.push(("Content-Range", range.content_range(len).into()));
            (206, range.start, range.len())
        }
        RangeOutcome::NotSatisfiable => {
            let mut reply = text_reply(416, "");
            reply
                .headers
                .push(("Content-Range", format!("bytes */{len}").into()));
            return reply;
        }
    };
    headers.push(("Content-Length", body_len.to_string().into()));
    let body = match with_script {
        // `start + body_len <= len == bytes.len()`, both fit in memory.
        Some(page) => ReplyBody::Shared {
            bytes: Arc::clone(&page.bytes),
            start: start as usize,
            len: body_len as usize,
        },
        None => ReplyBody::Entry {
            key,
            start,
            len: body_len,
        },
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// `W/"<size>-<nanoseconds>"`: a weak validator for a file whose content hash is not known.
fn weak_etag(stamp: &FileStamp) -> String {
    let nanos = stamp
        .modified
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("W/\"{:x}-{nanos:x}\"", stamp.len)
}

/// A reply with a short plain-text body (or none).
fn text_reply(status: u16, text: &str) -> Reply {
    let mut headers = Vec::with_capacity(4);
    if !text.is_empty() {
        headers.push(("Content-Type", "text/plain; charset=utf-8".into()));
    }
    headers.push(("Cache-Control", REVALIDATE.into()));
    headers.push(("Content-Length", text.len().to_string().into()));
    Reply {
        status,
        headers,
        body: ReplyBody::Owned(text.as_bytes().to_vec()),
    }
}

/// The site's own 404 page. It is served at any depth, so a `<base>` pointing back to the site
/// root is added (here, not in `dist/`) for its one relative link to work.
fn not_found(target: &str, output: &Output, live_reload: Option<&Preview>) -> Reply {
    let page = output.get("404.html").and_then(|entry| match &entry.body {
        Body::Bytes(bytes) => Some(&bytes[..]),
        Body::File { .. } => None,
    });
    let Some(page) = page else {
        return text_reply(404, "404 Not Found\n");
    };
    let path = target.split(['?', '#']).next().unwrap_or("");
    let depth = path.matches('/').count().saturating_sub(1);
    let body = match (depth, memchr::memmem::find(page, b"<head>")) {
        (1.., Some(at)) => {
            let base = format!("<base href=\"{}\">", "../".repeat(depth));
            let at = at + b"<head>".len();
            [&page[..at], base.as_bytes(), &page[at..]].concat()
        }
        _ => page.to_vec(),
    };
    let body = match live_reload {
        Some(preview) => reload::inject(&body, preview.build),
        None => body,
    };
    Reply {
        status: 404,
        headers: vec![
            ("Content-Type", "text/html; charset=utf-8".into()),
            ("Cache-Control", REVALIDATE.into()),
            ("X-Content-Type-Options", "nosniff".into()),
            ("Content-Length", body.len().to_string().into()),
        ],
        body: ReplyBody::Owned(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Entry;
    use std::time::{Duration, UNIX_EPOCH};

    /// [`super::respond`] for a site with no file served from its source.
    fn respond(
        request: &RequestInfo,
        output: &Output,
        built: SystemTime,
        now: SystemTime,
        live_reload: Option<&Preview>,
    ) -> Reply {
        super::respond(request, output, built, now, live_reload, &|_| None)
    }

    fn site() -> Output {
        let mut out = Output::default();
        let page = |s: &str| Entry::bytes(s.as_bytes().to_vec(), "text/html; charset=utf-8", "t");
        out.insert("index.html".into(), page("<p>home</p>"))
            .unwrap();
        out.insert("about/index.html".into(), page("<p>about</p>"))
            .unwrap();
        out.insert(
            "404.html".into(),
            page("<html><head><title>404</title></head></html>"),
        )
        .unwrap();
        let mut logo = Entry::bytes(vec![7; 1000], "image/png", "logo");
        logo.immutable = true;
        out.insert("assets/logo.1a2b3c4d.png".into(), logo).unwrap();
        out
    }

    const BUILT: Duration = Duration::from_secs(1_700_000_000);

    /// `headers` with `Host` first, as every HTTP/1.1 request has it.
    fn with_host<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all = vec![("Host", "127.0.0.1:5000")];
        all.extend_from_slice(headers);
        all
    }

    fn get(target: &str, headers: &[(&str, &str)]) -> Reply {
        let headers = with_host(headers);
        let request = RequestInfo {
            method: "GET",
            target,
            version: (1, 1),
            headers: &headers,
        };
        respond(
            &request,
            &site(),
            UNIX_EPOCH + BUILT,
            UNIX_EPOCH + BUILT,
            None,
        )
    }

    /// A site whose recording is served from its source file, stamped as hashed at build time.
    fn site_with_file() -> (Output, FileStamp) {
        let stamp = FileStamp {
            len: 5,
            modified: Some(UNIX_EPOCH + BUILT),
        };
        let body = Body::File {
            path: "assets/voice.mp3".into(),
            stamp,
        };
        let mut out = Output::default();
        out.insert(
            "assets/voice.mp3".into(),
            Entry::new(body, [7; 32], "audio/mpeg", "assets/voice.mp3"),
        )
        .unwrap();
        (out, stamp)
    }

    fn get_file(output: &Output, stamp: Option<FileStamp>) -> Reply {
        let headers = with_host(&[]);
        let request = RequestInfo {
            method: "GET",
            target: "/assets/voice.mp3",
            version: (1, 1),
            headers: &headers,
        };
        let built = UNIX_EPOCH + BUILT;
        super::respond(&request, output, built, built, None, &|_| stamp)
    }

    #[test]
    fn a_source_file_edited_since_the_build_gets_a_weak_validator_and_its_own_date() {
        let (out, stamp) = site_with_file();
        let unchanged = get_file(&out, Some(stamp));
        assert_eq!(unchanged.status, 200);
        assert_eq!(
            unchanged.header("ETag"),
            Some(http::etag_from_hash(&[7; 32]).as_str())
        );
        assert_eq!(unchanged.header("Content-Length"), Some("5"));

        let edited = FileStamp {
            len: 9,
            modified: Some(UNIX_EPOCH + BUILT + Duration::from_millis(61_500)),
        };
        let reply = get_file(&out, Some(edited));
        assert_eq!(reply.status, 200);
        let etag = reply.header("ETag").unwrap();
        assert!(etag.starts_with("W/\""), "{etag}");
        assert_eq!(reply.header("Content-Length"), Some("9"));
        // Whole seconds, as an HTTP date can say no more.
        let expected = http::http_date(UNIX_EPOCH + BUILT + Duration::from_secs(61));
        assert_eq!(reply.header("Last-Modified"), Some(expected.as_str()));

        // Gone since the build (an editor saving by rename): as good as missing.
        assert_eq!(get_file(&out, None).status, 404);
    }

    #[test]
    fn full_get_has_every_header_once() {
        let reply = get("/", &[]);
        assert_eq!(reply.status, 200);
        let names: Vec<_> = reply.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "Date",
                "Server",
                "Content-Type",
                "Cache-Control",
                "ETag",
                "Last-Modified",
                "Accept-Ranges",
                "X-Content-Type-Options",
                "Content-Length"
            ]
        );
        assert_eq!(reply.header("Cache-Control"), Some("no-cache"));
        assert_eq!(reply.header("Content-Length"), Some("11"));
        let logo = get("/assets/logo.1a2b3c4d.png", &[]);
        assert_eq!(logo.header("Cache-Control"), Some(IMMUTABLE));
    }

    #[test]
    fn revisit_with_etag_is_304_without_body() {
        let first = get("/assets/logo.1a2b3c4d.png", &[]);
        let etag = first.header("ETag").unwrap().to_string();
        let again = get("/assets/logo.1a2b3c4d.png", &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304);
        assert_eq!(again.body, ReplyBody::Empty);
        assert_eq!(again.header("ETag"), Some(etag.as_str()));
        assert_eq!(again.header("Content-Length"), None);
    }

    #[test]
    fn ranges() {
        let partial = get("/assets/logo.1a2b3c4d.png", &[("Range", "bytes=0-99")]);
        assert_eq!(partial.status, 206);
        assert_eq!(partial.header("Content-Range"), Some("bytes 0-99/1000"));
        assert_eq!(partial.header("Content-Length"), Some("100"));
        let past = get("/assets/logo.1a2b3c4d.png", &[("Range", "bytes=5000-")]);
        assert_eq!(past.status, 416);
        assert_eq!(past.header("Content-Range"), Some("bytes */1000"));
        let stale = get(
            "/assets/logo.1a2b3c4d.png",
            &[("Range", "bytes=0-9"), ("If-Range", "\"stale\"")],
        );
        assert_eq!(stale.status, 200);
    }

    #[test]
    fn head_method_redirect_and_404() {
        let request = RequestInfo {
            method: "HEAD",
            target: "/",
            version: (1, 1),
            headers: &[("Host", "localhost")],
        };
        let head = respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, None);
        assert_eq!(head.body, ReplyBody::Empty);
        assert_eq!(head.header("Content-Length"), Some("11"));
        let ranged_head = RequestInfo {
            headers: &[("Host", "localhost"), ("Range", "bytes=0-1")],
            ..request
        };
        assert_eq!(
            respond(&ranged_head, &site(), UNIX_EPOCH, UNIX_EPOCH, None).status,
            200
        );

        let post = RequestInfo {
            method: "POST",
            ..request
        };
        let reply = respond(&post, &site(), UNIX_EPOCH, UNIX_EPOCH, None);
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("Allow"), Some("GET, HEAD, OPTIONS"));

        let redirect = get("/about?x=1", &[]);
        assert_eq!(redirect.status, 301);
        assert_eq!(redirect.header("Location"), Some("/about/?x=1"));

        let missing = get("/a/b/missing", &[]);
        assert_eq!(missing.status, 404);
        let ReplyBody::Owned(body) = &missing.body else {
            panic!("404 has a body")
        };
        let body = String::from_utf8_lossy(body);
        assert!(body.contains("<head><base href=\"../../\">"), "{body}");
        assert_eq!(
            get("/missing", &[]).header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
    }

    #[test]
    fn live_reload_script_goes_into_html_only() {
        let request = RequestInfo {
            method: "GET",
            target: "/",
            version: (1, 1),
            headers: &[("Host", "localhost")],
        };
        let plain = respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, None);
        let preview = Preview::new(3);
        let live = respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, Some(&preview));
        let ReplyBody::Shared { bytes, start, len } = &live.body else {
            panic!("the page with the script is shared by the build's replies")
        };
        let body = &bytes[*start..start + len];
        assert!(String::from_utf8_lossy(body).contains(reload::EVENTS_PATH));
        assert_eq!(
            live.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
        assert_ne!(live.header("ETag"), plain.header("ETag"));
        // Made once per build: a second request shares the same bytes.
        let again = respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, Some(&preview));
        let ReplyBody::Shared { bytes: same, .. } = &again.body else {
            panic!()
        };
        assert!(Arc::ptr_eq(bytes, same));
        assert_eq!(again.header("ETag"), live.header("ETag"));
        // The next build's script differs, and so does its ETag.
        let next = respond(
            &request,
            &site(),
            UNIX_EPOCH,
            UNIX_EPOCH,
            Some(&Preview::new(4)),
        );
        assert_ne!(next.header("ETag"), live.header("ETag"));
        let logo = RequestInfo {
            target: "/assets/logo.1a2b3c4d.png",
            ..request
        };
        let logo = respond(
            &logo,
            &site(),
            UNIX_EPOCH,
            UNIX_EPOCH,
            Some(&Preview::new(3)),
        );
        assert!(matches!(logo.body, ReplyBody::Entry { .. }));
    }

    #[test]
    fn connection_close_is_echoed() {
        let reply = get("/", &[("Connection", "close")]);
        assert_eq!(reply.header("Connection"), Some("close"));
        let request = RequestInfo {
            method: "GET",
            target: "/",
            version: (1, 0),
            headers: &[],
        };
        assert!(request.wants_close());
    }

    #[test]
    fn host_must_be_there_once_on_http_1_1() {
        let ask = |version: (u8, u8), headers: &[(&str, &str)]| {
            let request = RequestInfo {
                method: "GET",
                target: "/",
                version,
                headers,
            };
            respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, None).status
        };
        assert_eq!(ask((1, 1), &[]), 400, "no Host on 1.1");
        assert_eq!(ask((1, 0), &[]), 200, "no Host on 1.0");
        assert_eq!(ask((1, 1), &[("Host", "a"), ("host", "a")]), 400);
        assert_eq!(ask((1, 0), &[("Host", "a"), ("Host", "b")]), 400);
        for good in [
            "127.0.0.1:5000",
            "localhost",
            "[::1]:8080",
            "xn--fsq.example",
        ] {
            assert_eq!(ask((1, 1), &[("Host", good)]), 200, "{good:?}");
        }
        // An `http` URI's host is not empty (RFC 9110 §4.2.1).
        for bad in ["a b", "a/b", "a\"b", "a@b@c\u{0}", "<x>", ""] {
            assert_eq!(ask((1, 1), &[("Host", bad)]), 400, "{bad:?}");
            assert_eq!(ask((1, 0), &[("Host", bad)]), 400, "{bad:?}");
        }
        // Before the method is looked at: 400, not 405.
        let post = RequestInfo {
            method: "POST",
            target: "/",
            version: (1, 1),
            headers: &[],
        };
        assert_eq!(
            respond(&post, &site(), UNIX_EPOCH, UNIX_EPOCH, None).status,
            400
        );
    }

    #[test]
    fn body_framing_must_be_unambiguous() {
        let ask = |version: (u8, u8), fields: &[(&str, &str)]| {
            let mut headers = vec![("Host", "x")];
            headers.extend_from_slice(fields);
            RequestInfo {
                method: "GET",
                target: "/",
                version,
                headers: &headers,
            }
            .framing_is_valid()
        };
        assert!(ask((1, 1), &[]));
        assert!(ask((1, 1), &[("Content-Length", "0")]));
        assert!(ask((1, 1), &[("Content-Length", "12")]));
        assert!(ask(
            (1, 1),
            &[("Content-Length", "5, 5"), ("Content-Length", "5")]
        ));
        assert!(ask((1, 1), &[("Transfer-Encoding", "chunked")]));
        assert!(ask((1, 1), &[("Transfer-Encoding", "gzip, Chunked")]));
        // HTTP/1.0 knows no Transfer-Encoding: faulty framing (RFC 9112 §6.1).
        assert!(!ask((1, 0), &[("Transfer-Encoding", "chunked")]));
        assert!(!ask(
            (1, 0),
            &[("Transfer-Encoding", "gzip"), ("Content-Length", "x")]
        ));
        // Not a decimal within u64.
        assert!(!ask((1, 1), &[("Content-Length", "99999999999999999999")]));

        assert!(!ask((1, 1), &[("Content-Length", "")]));
        assert!(!ask((1, 1), &[("Content-Length", "abc")]));
        assert!(!ask((1, 1), &[("Content-Length", "-1")]));
        assert!(!ask(
            (1, 1),
            &[("Content-Length", "5"), ("Content-Length", "6")]
        ));
        assert!(!ask((1, 1), &[("Content-Length", "5, 6")]));
        assert!(!ask((1, 1), &[("Transfer-Encoding", "gzip")]));
        assert!(!ask((1, 1), &[("Transfer-Encoding", "chunked, gzip")]));
        assert!(!ask(
            (1, 1),
            &[("Transfer-Encoding", "chunked"), ("Content-Length", "4")]
        ));
    }

    #[test]
    fn options_lists_the_allowed_methods() {
        let ask = |target: &str| {
            let request = RequestInfo {
                method: "OPTIONS",
                target,
                version: (1, 1),
                headers: &[("Host", "localhost")],
            };
            respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, None)
        };
        for target in ["*", "/", "/any/path", "/about/", "http://localhost/x"] {
            let reply = ask(target);
            assert_eq!(reply.status, 200, "{target}");
            assert_eq!(
                reply.header("Allow"),
                Some("GET, HEAD, OPTIONS"),
                "{target}"
            );
            assert_eq!(reply.header("Content-Length"), Some("0"), "{target}");
            assert_eq!(reply.body, ReplyBody::Empty, "{target}");
        }
        assert_eq!(ask("garbage").status, 400);
        assert_eq!(
            ask(&format!("/{}", "a".repeat(resolve::MAX_TARGET_LEN))).status,
            414
        );
    }

    /// Framing is decided before the method (RFC 9112 §6.3): a faulty one is a 400 and close
    /// for every method; a chunked body (read and thrown away by the server) leaves the method
    /// to decide and the connection open; any other body left unread closes it.
    #[test]
    fn framing_is_decided_before_the_method() {
        let ask = |method: &str, version: (u8, u8), fields: &[(&str, &str)]| {
            let mut headers = vec![("Host", "x")];
            headers.extend_from_slice(fields);
            let request = RequestInfo {
                method,
                target: "/",
                version,
                headers: &headers,
            };
            let reply = respond(&request, &site(), UNIX_EPOCH, UNIX_EPOCH, None);
            (reply.status, reply.header("Connection") == Some("close"))
        };
        for method in ["POST", "PUT", "DELETE", "GET", "OPTIONS", "BREW"] {
            for fields in [
                &[("Content-Length", "99999999999999999999")][..],
                &[("Content-Length", "5, 6")],
                &[("Content-Length", "5"), ("Content-Length", "6")],
                &[("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
                &[("Transfer-Encoding", "gzip")],
            ] {
                assert_eq!(
                    ask(method, (1, 1), fields),
                    (400, true),
                    "{method} {fields:?}"
                );
            }
            let te = [("Transfer-Encoding", "chunked")];
            assert_eq!(ask(method, (1, 0), &te), (400, true), "{method} 1.0");
        }
        let chunked = [("Transfer-Encoding", "chunked")];
        assert_eq!(ask("POST", (1, 1), &chunked), (405, false));
        assert_eq!(ask("GET", (1, 1), &chunked), (200, false));
        assert_eq!(ask("OPTIONS", (1, 1), &chunked), (200, false));
        assert_eq!(
            ask("POST", (1, 1), &[("Content-Length", "5, 5")]),
            (405, true)
        );
        assert_eq!(
            ask("POST", (1, 1), &[("Content-Length", "0")]),
            (405, false)
        );
    }

    #[test]
    fn a_target_over_the_cap_is_414() {
        let long = format!("/{}", "a".repeat(resolve::MAX_TARGET_LEN));
        let reply = get(&long, &[]);
        assert_eq!(reply.status, 414);
        assert_eq!(reason(414), "URI Too Long");
        let at_cap = &long[..resolve::MAX_TARGET_LEN];
        assert_eq!(get(at_cap, &[]).status, 404);
    }

    #[test]
    fn head_block_is_well_formed() {
        let reply = get("/missing", &[]);
        let head = String::from_utf8(head_bytes(&reply, (1, 1))).unwrap();
        assert!(head.starts_with("HTTP/1.1 404 Not Found\r\nDate: "));
        assert!(head.ends_with("\r\n\r\n"));
    }

    /// The test site with `[build] precompress` copies.
    fn compressed_site() -> Output {
        let mut out = site();
        let css = "body { color: rebeccapurple; }\n".repeat(40);
        let mut entry = Entry::bytes(css.into_bytes(), "text/css; charset=utf-8", "style");
        entry.immutable = true;
        out.insert("assets/style.1a2b3c4d.css".into(), entry)
            .unwrap();
        let page = Entry::bytes(b"<p>long</p>".repeat(50), "text/html; charset=utf-8", "p");
        out.insert("long.html".into(), page).unwrap();
        crate::hosting::add_precompressed(&mut out, None, &|p| std::fs::read(p)).unwrap();
        out
    }

    fn get_from(
        output: &Output,
        target: &str,
        headers: &[(&str, &str)],
        reload: Option<&Preview>,
    ) -> Reply {
        let headers = with_host(headers);
        let request = RequestInfo {
            method: "GET",
            target,
            version: (1, 1),
            headers: &headers,
        };
        respond(
            &request,
            output,
            UNIX_EPOCH + BUILT,
            UNIX_EPOCH + BUILT,
            reload,
        )
    }

    #[test]
    fn precompressed_copies_go_only_to_clients_that_accept_them() {
        let out = compressed_site();
        let css = "/assets/style.1a2b3c4d.css";
        let plain = get_from(&out, css, &[], None);
        assert_eq!(plain.header("Content-Encoding"), None);
        assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(plain.header("Content-Length"), Some("1240"));
        let mut etags = vec![plain.header("ETag").unwrap().to_string()];
        for (accept, coding, key) in [
            (
                "gzip, deflate, br, zstd",
                "br",
                "assets/style.1a2b3c4d.css.br",
            ),
            ("gzip", "gzip", "assets/style.1a2b3c4d.css.gz"),
        ] {
            let reply = get_from(&out, css, &[("Accept-Encoding", accept)], None);
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("Content-Encoding"), Some(coding));
            assert_eq!(
                reply.header("Content-Type"),
                Some("text/css; charset=utf-8")
            );
            assert_eq!(reply.header("Vary"), Some("Accept-Encoding"));
            let copy = out.get(key).unwrap();
            assert_eq!(
                reply.header("Content-Length"),
                Some(copy.len().unwrap().to_string().as_str())
            );
            assert!(matches!(&reply.body, ReplyBody::Entry { key: k, .. } if k == key));
            let etag = reply.header("ETag").unwrap().to_string();
            // A revisit in the same coding is a 304 that still says what it varies on.
            let again = get_from(
                &out,
                css,
                &[("Accept-Encoding", accept), ("If-None-Match", &etag)],
                None,
            );
            assert_eq!(again.status, 304);
            assert_eq!(again.header("Vary"), Some("Accept-Encoding"));
            // Ranges count bytes of the coded copy, and If-Range checks its own ETag.
            let ranged = get_from(
                &out,
                css,
                &[
                    ("Accept-Encoding", accept),
                    ("Range", "bytes=0-9"),
                    ("If-Range", &etag),
                ],
                None,
            );
            assert_eq!(ranged.status, 206);
            assert_eq!(
                ranged.header("Content-Range").unwrap(),
                format!("bytes 0-9/{}", copy.len().unwrap())
            );
            etags.push(etag);
        }
        etags.sort();
        etags.dedup();
        assert_eq!(etags.len(), 3, "one ETag per coding");
        // The identity ETag does not validate the gzip copy, nor the other way round.
        let cross = get_from(
            &out,
            css,
            &[
                ("Accept-Encoding", "gzip"),
                (
                    "If-None-Match",
                    get_from(&out, css, &[], None).header("ETag").unwrap(),
                ),
            ],
            None,
        );
        assert_eq!(cross.status, 200);
        // A file the build left uncompressed has no Vary.
        let logo = get_from(
            &out,
            "/assets/logo.1a2b3c4d.png",
            &[("Accept-Encoding", "br")],
            None,
        );
        assert_eq!(
            (logo.header("Vary"), logo.header("Content-Encoding")),
            (None, None)
        );
    }

    #[test]
    fn a_previewed_page_is_compressed_as_the_build_compressed_it() {
        use std::io::Read;
        let out = compressed_site();
        let preview = Preview::new(3);
        let get = |accept: &str| {
            get_from(
                &out,
                "/long.html",
                &[("Accept-Encoding", accept)],
                Some(&preview),
            )
        };
        let plain = get("identity");
        assert_eq!(plain.header("Content-Encoding"), None);
        assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
        let ReplyBody::Shared { bytes: page, .. } = &plain.body else {
            panic!()
        };
        assert!(String::from_utf8_lossy(page).contains("/_profile/events"));
        let mut etags = vec![plain.header("ETag").unwrap().to_string()];
        for (accept, coding) in [("br", "br"), ("gzip", "gzip")] {
            let reply = get(accept);
            assert_eq!(reply.header("Content-Encoding"), Some(coding));
            assert_eq!(reply.header("Vary"), Some("Accept-Encoding"));
            let ReplyBody::Shared { bytes, .. } = &reply.body else {
                panic!()
            };
            let mut decoded = Vec::new();
            match coding {
                "br" => brotli::Decompressor::new(&bytes[..], 4096)
                    .read_to_end(&mut decoded)
                    .unwrap(),
                _ => flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut decoded)
                    .unwrap(),
            };
            assert_eq!(
                decoded,
                page[..],
                "the {coding} preview is the page with the script"
            );
            assert_eq!(
                reply.header("Content-Length").unwrap(),
                bytes.len().to_string()
            );
            etags.push(reply.header("ETag").unwrap().to_string());
        }
        etags.sort();
        etags.dedup();
        assert_eq!(etags.len(), 3, "one ETag per coding");
        // Without the script, the build's own copy.
        let without = get_from(&out, "/long.html", &[("Accept-Encoding", "br")], None);
        assert_eq!(without.header("Content-Encoding"), Some("br"));
        assert!(matches!(&without.body, ReplyBody::Entry { key, .. } if key == "long.html.br"));
        // A site built without copies sends previews as they are.
        let plain_site = site();
        let reply = get_from(
            &plain_site,
            "/",
            &[("Accept-Encoding", "br")],
            Some(&preview),
        );
        assert_eq!(
            (reply.header("Content-Encoding"), reply.header("Vary")),
            (None, None)
        );
    }
}
