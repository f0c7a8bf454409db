//! `--trace` and `--har`: every exchange as it went over the socket, printed for a person and
//! recorded as HAR 1.2 for tools (browsers' devtools import it).
//!
//! What is recorded is what was written: the status line and header fields are the ones
//! formatted into the bytes sent, and sizes are counted as the bytes leave.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::reload;
use super::respond::{reason, Reply};

/// What to record, and how.
#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    /// Print every exchange on stdout.
    pub print: bool,
    /// Show `Cookie`, `Set-Cookie` and `Authorization` values instead of masking them.
    pub secrets: bool,
    /// Include the server's own endpoints (live reload).
    pub internal: bool,
    /// Record a HAR file here, rewritten after every exchange.
    pub har: Option<PathBuf>,
    /// Colour the printed trace (on a terminal).
    pub colour: bool,
}

impl TraceOptions {
    /// Whether anything is recorded at all.
    pub fn enabled(&self) -> bool {
        self.print || self.har.is_some()
    }
}

/// Which TCP connection an exchange travelled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// 1 for the first connection the server accepted a request on, and so on.
    pub number: u64,
    /// 1 for the first request on this connection.
    pub request: u64,
}

impl ConnectionInfo {
    /// Whether the connection carried an earlier request (kept alive).
    pub fn reused(&self) -> bool {
        self.request > 1
    }
}

/// One request and the response as sent.
#[derive(Debug, Clone)]
pub struct Record {
    /// When the request head had been read.
    pub started: SystemTime,
    /// The client's address and port.
    pub client: Option<SocketAddr>,
    /// The server's address, for the URL and `serverIPAddress`.
    pub server: SocketAddr,
    /// The connection it came on.
    pub connection: ConnectionInfo,
    /// `GET`...
    pub method: String,
    /// The request-target as sent.
    pub target: String,
    /// `(1, 1)` for HTTP/1.1.
    pub version: (u8, u8),
    /// The request's header fields, in order.
    pub request_headers: Vec<(String, String)>,
    /// The response sent.
    pub reply: Reply,
    /// Bytes of the status line and header block sent.
    pub head_bytes: u64,
    /// Bytes of the body sent.
    pub body_bytes: u64,
    /// From the request being read to the first response byte written.
    pub first_byte: Duration,
    /// From the request being read to the last response byte written.
    pub total: Duration,
}

/// Prints and records exchanges.
pub struct Recorder {
    options: TraceOptions,
    /// Tells the HAR writer thread that there are new entries.
    har: Option<std::sync::mpsc::Sender<String>>,
}

impl Recorder {
    /// A recorder with `options`; writes an empty HAR file at once, so that a mistaken path is
    /// found before the first request.
    pub fn new(options: TraceOptions) -> crate::Result<Recorder> {
        let har = match &options.har {
            None => None,
            Some(path) => {
                write_har(path, &[])?;
                Some(spawn_har_writer(path.clone()))
            }
        };
        Ok(Recorder { options, har })
    }

    /// Whether exchanges with `target` are recorded.
    pub fn wants(&self, target: &str) -> bool {
        self.options.internal || !reload::is_internal(target)
    }

    /// Prints and records one exchange.
    pub fn record(&self, record: &Record) {
        if self.options.print {
            println!("{}", format_trace(record, &self.options));
        }
        if let Some(har) = &self.har {
            let entry = har_entry(record, self.options.secrets);
            let text = serde_json::to_string_pretty(&entry).unwrap_or_default();
            let _ = har.send(text);
        }
    }
}

/// The HAR file is rewritten whole (through a rename, so it is a valid document at every
/// moment) by a thread of its own: requests never wait for the disk, and when exchanges come
/// faster than the file is written, one write covers them all. Entries are serialised once.
fn spawn_har_writer(path: PathBuf) -> std::sync::mpsc::Sender<String> {
    let (sender, entries) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut all: Vec<String> = Vec::new();
        while let Ok(entry) = entries.recv() {
            all.push(entry);
            all.extend(entries.try_iter());
            if let Err(e) = write_har(&path, &all) {
                eprintln!("warning: {e}");
            }
        }
    });
    sender
}

/// Writes a HAR 1.2 document holding the serialised `entries` to `path`, atomically.
fn write_har(path: &std::path::Path, entries: &[String]) -> crate::Result<()> {
    let text = har_document_text(entries);
    // Readers see the old or the new document, never a part.
    crate::fs_retry::replace_file(path, text.as_bytes())
        .map_err(|e| crate::Error::io(path, &e).hint("check the --har path"))
}

/// Header fields whose values are credentials.
fn is_secret(name: &str) -> bool {
    [
        "cookie",
        "set-cookie",
        "authorization",
        "proxy-authorization",
    ]
    .iter()
    .any(|s| name.eq_ignore_ascii_case(s))
}

fn shown_value<'a>(name: &str, value: &'a str, secrets: bool) -> &'a str {
    if !secrets && is_secret(name) {
        "(masked; --trace-secrets shows it)"
    } else {
        value
    }
}

/// The trace of one exchange, as printed.
pub fn format_trace(record: &Record, options: &TraceOptions) -> String {
    let paint = |code: &str, text: String| {
        if options.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let client = record
        .client
        .map_or_else(|| "unknown client".to_string(), |c| c.to_string());
    let connection = record.connection;
    let mut out = paint(
        "1",
        format!(
            "── {client} · connection #{} ({}, request {} on it)",
            connection.number,
            if connection.reused() { "reused" } else { "new" },
            connection.request
        ),
    );
    out.push('\n');
    let (major, minor) = record.version;
    out.push_str(&paint(
        "36",
        format!("> {} {} HTTP/{major}.{minor}", record.method, record.target),
    ));
    out.push('\n');
    for (name, value) in &record.request_headers {
        out.push_str(&format!(
            "> {name}: {}\n",
            shown_value(name, value, options.secrets)
        ));
    }
    let status = record.reply.status;
    let sent_minor = if record.version == (1, 0) { 0 } else { 1 };
    out.push_str(&paint(
        super::log::status_colour(status),
        format!("< HTTP/1.{sent_minor} {status} {}", reason(status)),
    ));
    out.push('\n');
    for (name, value) in &record.reply.headers {
        out.push_str(&format!(
            "< {name}: {}\n",
            shown_value(name, value, options.secrets)
        ));
    }
    out.push_str(&paint(
        "2",
        format!(
            "  body {} bytes · first byte {:.2} ms · total {:.2} ms",
            record.body_bytes,
            record.first_byte.as_secs_f64() * 1000.0,
            record.total.as_secs_f64() * 1000.0
        ),
    ));
    out
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn name_values<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>, secrets: bool) -> Vec<Value> {
    pairs
        .map(|(name, value)| json!({ "name": name, "value": shown_value(name, value, secrets) }))
        .collect()
}

/// One HAR 1.2 entry.
pub fn har_entry(record: &Record, secrets: bool) -> Value {
    let (major, minor) = record.version;
    let http_version = format!("HTTP/{major}.{minor}");
    let host = record
        .request_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map_or_else(|| record.server.to_string(), |(_, v)| v.clone());
    let url = if record.target.starts_with('/') {
        format!("http://{host}{}", record.target)
    } else {
        record.target.clone()
    };
    let query = record.target.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    let query_string: Vec<Value> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({ "name": decode_component(name), "value": decode_component(value) })
        })
        .collect();
    let cookies: Vec<Value> = record
        .request_headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .map(|(name, value)| json!({ "name": name, "value": if secrets { value } else { "(masked)" } }))
        .collect();
    // The request head as received: request line, fields, CRLFs (tiny_http trims spaces around
    // values, so this is the size of the head with single spaces).
    let request_headers_size = format!("{} {} {http_version}\r\n", record.method, record.target)
        .len()
        + record
            .request_headers
            .iter()
            .map(|(n, v)| n.len() + 2 + v.len() + 2)
            .sum::<usize>()
        + 2;
    let sent_minor = if record.version == (1, 0) { 0 } else { 1 };
    let location = record.reply.header("Location").unwrap_or("");
    let mime = record.reply.header("Content-Type").unwrap_or("");
    json!({
        "startedDateTime": humantime::format_rfc3339_millis(record.started).to_string(),
        "time": millis(record.total),
        "request": {
            "method": record.method,
            "url": url,
            "httpVersion": http_version,
            "cookies": cookies,
            "headers": name_values(record.request_headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), secrets),
            "queryString": query_string,
            "headersSize": request_headers_size,
            "bodySize": 0,
        },
        "response": {
            "status": record.reply.status,
            "statusText": reason(record.reply.status),
            "httpVersion": format!("HTTP/1.{sent_minor}"),
            "cookies": [],
            "headers": name_values(record.reply.headers.iter().map(|(n, v)| (*n, v.as_ref())), secrets),
            // HAR 1.2: the length of the content returned (so 0 for a HEAD or a 304).
            "content": { "size": record.body_bytes, "mimeType": mime },
            "redirectURL": location,
            "headersSize": record.head_bytes,
            "bodySize": record.body_bytes,
        },
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
            "send": 0,
            "wait": millis(record.first_byte),
            "receive": millis(record.total.saturating_sub(record.first_byte)),
        },
        "serverIPAddress": record.server.ip().to_string(),
        "connection": record.connection.number.to_string(),
    })
}

fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The text of a HAR 1.2 document holding `entries` (each a serialised entry object).
pub fn har_document_text(entries: &[String]) -> String {
    let creator = json!({ "name": "profile", "version": env!("CARGO_PKG_VERSION") });
    let mut text = format!(
        "{{\n\"log\": {{\n\"version\": \"1.2\",\n\"creator\": {creator},\n\"entries\": [\n"
    );
    text.push_str(&entries.join(",\n"));
    text.push_str("\n]\n}\n}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn record() -> Record {
        Record {
            started: UNIX_EPOCH + Duration::from_millis(1_795_472_231_250),
            client: "127.0.0.1:46710".parse().ok(),
            server: "127.0.0.1:5000".parse().unwrap(),
            connection: ConnectionInfo {
                number: 3,
                request: 2,
            },
            method: "GET".into(),
            target: "/?a=1&b=x%20y".into(),
            version: (1, 1),
            request_headers: vec![
                ("Host".into(), "127.0.0.1:5000".into()),
                ("Cookie".into(), "session=s3cret; theme=dark".into()),
            ],
            reply: Reply {
                status: 200,
                headers: vec![
                    ("Content-Type", "text/html; charset=utf-8".into()),
                    ("Content-Length", "42".into()),
                ],
                body: super::super::respond::ReplyBody::Empty,
            },
            head_bytes: 80,
            body_bytes: 42,
            first_byte: Duration::from_micros(250),
            total: Duration::from_micros(400),
        }
    }

    #[test]
    fn trace_masks_secrets_and_marks_reuse() {
        let options = TraceOptions::default();
        let text = format_trace(&record(), &options);
        assert!(
            text.contains("connection #3 (reused, request 2 on it)"),
            "{text}"
        );
        assert!(text.contains("> GET /?a=1&b=x%20y HTTP/1.1\n"));
        assert!(text.contains("< HTTP/1.1 200 OK\n"));
        assert!(!text.contains("s3cret"));
        let options = TraceOptions {
            secrets: true,
            ..options
        };
        assert!(format_trace(&record(), &options).contains("s3cret"));
    }

    #[test]
    fn har_entry_has_the_fields_of_har_1_2() {
        let entry = har_entry(&record(), false);
        assert_eq!(entry["startedDateTime"], "2026-11-23T22:17:11.250Z");
        assert_eq!(
            entry["request"]["url"],
            "http://127.0.0.1:5000/?a=1&b=x%20y"
        );
        assert_eq!(entry["request"]["queryString"][1]["value"], "x y");
        assert_eq!(entry["request"]["cookies"][0]["value"], "(masked)");
        assert_eq!(entry["response"]["statusText"], "OK");
        assert_eq!(entry["response"]["bodySize"], 42);
        assert_eq!(entry["connection"], "3");
        assert_eq!(entry["timings"]["wait"], 0.25);
        assert!(!entry.to_string().contains("s3cret"));
    }

    #[test]
    fn har_document_is_valid_json_with_any_number_of_entries() {
        let entry = serde_json::to_string_pretty(&har_entry(&record(), false)).unwrap();
        for n in [0, 1, 3] {
            let text = har_document_text(&vec![entry.clone(); n]);
            let doc: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["log"]["version"], "1.2");
            assert_eq!(doc["log"]["entries"].as_array().map(Vec::len), Some(n));
        }
    }
}
