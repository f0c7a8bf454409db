//! HAR 1.2 → [`Analysis`]: the files `profile serve --har` writes, Chromium's and Edge's
//! "Save all as HAR", and Firefox's export. A HAR has no TCP segments, so the connections it
//! yields have no handshake or teardown; they are grouped by the entries' `connection` field.

use core::net::{IpAddr, SocketAddr};
use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use serde_json::Value;

use super::model::{Analysis, Connection, Exchange, Request, Response, Source, Warning};

/// Reads a HAR document. Errors are one line naming the JSON path of what is wrong, e.g.
/// `log.entries[3].request has no "method"`.
pub fn analyse(text: &str) -> Result<Analysis, String> {
    let root: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("not a HAR file: the JSON does not parse ({e})"))?;
    let log = root
        .get("log")
        .filter(|l| l.is_object())
        .ok_or("not a HAR file: it has no \"log\" object")?;
    let entries = log
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("log has no \"entries\" array")?;
    let creator = log.get("creator").map_or_else(String::new, |c| {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        let version = c.get("version").and_then(Value::as_str).unwrap_or("");
        format!("{name} {version}").trim().to_string()
    });

    let mut read = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut warnings = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("log.entries[{i}]");
        match read_entry(entry, &path)? {
            Read::Entry(e) => read.push(*e),
            Read::Skipped(kind) => *skipped.entry(kind).or_default() += 1,
        }
    }
    let Some(t0) = read.iter().map(|e| e.started).min() else {
        return Ok(Analysis {
            source: Source::Har { creator },
            other_traffic: skipped.into_iter().collect(),
            ..Analysis::default()
        });
    };
    read.sort_by_key(|e| e.started);

    // Connections: by the `connection` field (with the server, as two servers may reuse a
    // socket id), else one per server address.
    let unlabelled = read.iter().filter(|e| e.connection_id.is_none()).count();
    if unlabelled > 0 {
        warnings.push(Warning::Other(format!(
            "{unlabelled} of {} entries have no \"connection\" field: they are grouped into one \
             connection per server address, which may merge parallel connections",
            read.len()
        )));
    }
    let mut keys: Vec<(Option<String>, String)> = Vec::new();
    let mut connections: Vec<Connection> = Vec::new();
    let mut exchanges = Vec::new();
    let mut bytes = 0;
    let mut end = 0.0f64;
    for e in read {
        let key = (e.connection_id.clone(), e.server_key.clone());
        // Whole nanoseconds until here: seconds since 1970 in an f64 would lose microseconds.
        let shift = (e.started - t0) as f64 / 1e9;
        let index = match keys.iter().position(|k| *k == key) {
            Some(index) => index,
            None => {
                keys.push(key);
                connections.push(Connection {
                    client: None,
                    server: e.server,
                    har_id: e.connection_id.clone(),
                    opened_at: shift,
                    last_at: shift,
                    handshake: None,
                    teardown: Vec::new(),
                    close: None,
                    closed_by: None,
                    bytes_to_server: 0,
                    bytes_to_client: 0,
                    retransmissions: 0,
                    out_of_order: 0,
                });
                connections.len() - 1
            }
        };
        let mut request = e.request;
        request.at += shift;
        let response = e.response.map(|mut r| {
            r.at += shift;
            r.end_at += shift;
            r
        });
        let finished = response.as_ref().map_or(request.at, |r| r.end_at);
        end = end.max(finished);
        if let Some(c) = connections.get_mut(index) {
            c.last_at = c.last_at.max(finished);
            c.bytes_to_server += request.head_bytes + request.body_bytes;
            c.bytes_to_client += response
                .as_ref()
                .map_or(0, |r| r.head_bytes + r.body_wire_bytes);
        }
        bytes += request.head_bytes
            + request.body_bytes
            + response
                .as_ref()
                .map_or(0, |r| r.head_bytes + r.body_wire_bytes);
        if response.is_none() {
            warnings.push(Warning::Other(format!(
                "{} {} has no response in the HAR (cancelled, blocked or failed)",
                request.method, request.target
            )));
        }
        exchanges.push(Exchange {
            connection: index,
            request,
            response,
        });
    }
    warnings.extend(overlaps(&exchanges, &connections));
    Ok(Analysis {
        source: Source::Har { creator },
        started_at_unix: Some(t0 as f64 / 1e9),
        duration: end,
        connections,
        exchanges,
        other_traffic: skipped.into_iter().collect(),
        packets: 0,
        bytes,
        warnings,
    })
}

/// How far (in seconds) two exchanges on one connection may seem to overlap before it counts.
const OVERLAP_SLACK: f64 = 0.002;

/// HTTP/1.x carries one exchange at a time on a connection; entries that overlap on one
/// `connection` value show that the HAR's field does not name TCP connections (Firefox writes
/// a port there), or that the exchanges were HTTP/2 streams.
fn overlaps(exchanges: &[Exchange], connections: &[Connection]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (index, connection) in connections.iter().enumerate() {
        let on: Vec<&Exchange> = exchanges.iter().filter(|x| x.connection == index).collect();
        let http1 = on
            .iter()
            .all(|x| x.request.version.to_ascii_uppercase().starts_with("HTTP/1"));
        let overlapping = on.windows(2).any(|pair| match pair {
            [a, b] => a
                .response
                .as_ref()
                // startedDateTime has millisecond precision, so a request sent just after the
                // previous response can seem to start up to 1 ms before it ended.
                .is_some_and(|r| b.request.at + OVERLAP_SLACK < r.end_at),
            _ => false,
        });
        if http1 && overlapping {
            warnings.push(Warning::Other(format!(
                "on connection \"{}\" HTTP/1.x exchanges overlap in time: the HAR's \
                 \"connection\" field seems not to name one TCP connection, so connection reuse \
                 is not shown reliably",
                connection.har_id.as_deref().unwrap_or("?")
            )));
        }
    }
    warnings
}

enum Read {
    Entry(Box<Entry>),
    /// Not an HTTP exchange on the network: a URL scheme, or served from the browser's cache.
    Skipped(String),
}

struct Entry {
    /// Unix nanoseconds of `startedDateTime`.
    started: i128,
    connection_id: Option<String>,
    server: Option<SocketAddr>,
    /// The server as `serverIPAddress` or the URL's host, with the port: the fallback key.
    server_key: String,
    /// Times here are seconds from `started`; `analyse` makes them relative to the first.
    request: Request,
    response: Option<Response>,
}

/// Times beyond a year (in milliseconds) are taken as unknown: they are not real timings, and
/// sums of them would overflow to infinity.
const MAX_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

fn read_entry(entry: &Value, path: &str) -> Result<Read, String> {
    if !entry.is_object() {
        return Err(format!("{path} is not an object"));
    }
    let request = entry
        .get("request")
        .filter(|r| r.is_object())
        .ok_or_else(|| format!("{path} has no \"request\" object"))?;
    let method = required_str(request, "method", &format!("{path}.request"))?;
    let url = required_str(request, "url", &format!("{path}.request"))?;
    let Some(url) = Url::parse(url) else {
        let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
        let kind = if scheme.is_empty() || scheme.len() > 20 || scheme.contains('/') {
            "entries with an unreadable URL".to_string()
        } else {
            format!("{scheme}: URLs")
        };
        return Ok(Read::Skipped(kind));
    };
    if let Some(from) = entry.get("_fromCache").and_then(Value::as_str) {
        return Ok(Read::Skipped(format!(
            "served from the browser's {from} cache (not sent)"
        )));
    }
    let started_text = required_str(entry, "startedDateTime", path)?;
    let started = parse_date(started_text).ok_or_else(|| {
        format!("{path}.startedDateTime is not an RFC 3339 date: {started_text:?}")
    })?;
    let timings = entry.get("timings");
    let timing = |name: &str| {
        timings
            .and_then(|t| t.get(name))
            .and_then(Value::as_f64)
            .filter(|v| (0.0..MAX_MS).contains(v))
            .map(|ms| ms / 1000.0)
    };
    let total = entry
        .get("time")
        .and_then(Value::as_f64)
        .filter(|v| (0.0..MAX_MS).contains(v))
        .map(|ms| ms / 1000.0);
    // The request leaves after waiting for a socket, DNS and the connection (`ssl` is part of
    // `connect` in HAR 1.2).
    let before = ["blocked", "dns", "connect"]
        .iter()
        .filter_map(|n| timing(n))
        .sum::<f64>();
    let sent_at = before;
    let first_byte = sent_at + timing("send").unwrap_or(0.0) + timing("wait").unwrap_or(0.0);
    let end_at = match (total, timing("receive")) {
        (Some(total), _) => total.max(first_byte),
        (None, Some(receive)) => first_byte + receive,
        (None, None) => first_byte,
    };

    let version = str_or(request, "httpVersion", "");
    let headers = name_values(request.get("headers"));
    let target = url.target.clone();
    let head_bytes = size(request, "headersSize")
        .unwrap_or_else(|| head_size(&format!("{method} {target} {version}"), &headers));
    let body_bytes = size(request, "bodySize")
        .or_else(|| {
            request
                .get("postData")
                .and_then(|p| p.get("text"))
                .and_then(Value::as_str)
                .map(|t| t.len() as u64)
        })
        .unwrap_or(0);
    let request = Request {
        at: sent_at,
        method: method.to_string(),
        target,
        version: version.to_string(),
        headers,
        head_bytes,
        body_bytes,
    };
    let response = entry
        .get("response")
        .filter(|r| r.is_object())
        .and_then(|r| read_response(r, first_byte, end_at));

    let ip = entry
        .get("serverIPAddress")
        .and_then(Value::as_str)
        .map(|s| s.trim().trim_start_matches('[').trim_end_matches(']'))
        .and_then(|s| s.parse::<IpAddr>().ok());
    let server = ip.map(|ip| SocketAddr::new(ip, url.port));
    let server_key = match server {
        Some(s) => s.to_string(),
        None => format!("{}:{}", url.host, url.port),
    };
    let connection_id = entry.get("connection").and_then(|c| match c {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Ok(Read::Entry(Box::new(Entry {
        started,
        connection_id,
        server,
        server_key,
        request,
        response,
    })))
}

/// The response of an entry; `None` for Chromium's `status: 0` (cancelled, blocked, failed).
fn read_response(response: &Value, at: f64, end_at: f64) -> Option<Response> {
    let status = response.get("status").and_then(Value::as_u64)?;
    let status = u16::try_from(status).ok().filter(|s| *s > 0)?;
    let headers = name_values(response.get("headers"));
    let version = str_or(response, "httpVersion", "").to_string();
    let reason = str_or(response, "statusText", "").to_string();
    let head_bytes = size(response, "headersSize")
        .unwrap_or_else(|| head_size(&format!("{version} {status} {reason}"), &headers));
    let content_length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    let encoded = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-encoding"));
    let transfer = size(response, "_transferSize");
    // bodySize is what came over the wire (-1 when the browser does not know); failing that,
    // the transfer size less the head, the Content-Length, or the decoded size when no
    // content coding was applied.
    let body_bytes = size(response, "bodySize")
        .or_else(|| {
            transfer
                .zip(size(response, "headersSize"))
                .map(|(t, h)| t.saturating_sub(h))
        })
        .or(content_length)
        .or_else(|| {
            (!encoded)
                .then(|| response.get("content").and_then(|c| size(c, "size")))
                .flatten()
        })
        .unwrap_or(0);
    Some(Response {
        at,
        end_at,
        version,
        status,
        reason,
        headers,
        head_bytes,
        body_wire_bytes: body_bytes,
        body_bytes,
        complete: true,
    })
}

fn required_str<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a str, String> {
    match value.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{path}.{key} is not a string")),
        None => Err(format!("{path} has no \"{key}\"")),
    }
}

fn str_or<'a>(value: &'a Value, key: &str, default: &'a str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or(default)
}

/// A HAR size: non-negative, `-1` (or absent) meaning unknown.
fn size(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

fn name_values(list: Option<&Value>) -> Vec<(String, String)> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|h| {
                    let name = h.get("name")?.as_str()?;
                    let value = h.get("value").and_then(Value::as_str).unwrap_or("");
                    Some((name.to_string(), value.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The size of an HTTP/1.1 head with this first line and fields, when the HAR does not say.
fn head_size(first_line: &str, headers: &[(String, String)]) -> u64 {
    let fields: usize = headers.iter().map(|(n, v)| n.len() + 2 + v.len() + 2).sum();
    (first_line.len() + 2 + fields + 2) as u64
}

/// The parts of an http: or https: URL the report needs.
struct Url {
    host: String,
    port: u16,
    /// Path and query, as on the request line.
    target: String,
}

impl Url {
    fn parse(url: &str) -> Option<Url> {
        let (scheme, rest) = url.split_once("://")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        let authority = authority.rsplit('@').next().unwrap_or("");
        let (host, port) = match authority.rfind(':') {
            // An IPv6 literal's colons are inside the brackets.
            Some(colon) if !authority.get(colon..).unwrap_or("").contains(']') => {
                let port = authority.get(colon + 1..).unwrap_or("");
                let port = if port.is_empty() {
                    default_port
                } else {
                    port.parse().ok()?
                };
                (authority.get(..colon).unwrap_or(""), port)
            }
            _ => (authority, default_port),
        };
        if host.is_empty() {
            return None;
        }
        let target = match target.strip_prefix('?') {
            Some(_) => format!("/{target}"),
            None if target.is_empty() => "/".to_string(),
            None => target.to_string(),
        };
        Some(Url {
            host: host.to_string(),
            port,
            target,
        })
    }
}

/// Unix nanoseconds of an RFC 3339 date with any number of fraction digits and a `Z` or
/// `±hh:mm` offset (Firefox writes local time with its offset).
fn parse_date(text: &str) -> Option<i128> {
    let text = text.trim();
    // The offset's sign comes after the seconds, never in the date part.
    let (local, offset) = match text.get(19..).and_then(|tail| tail.find(['+', '-'])) {
        Some(at) => {
            let at = at + 19;
            let sign = if text.get(at..=at) == Some("-") {
                -1
            } else {
                1
            };
            let digits: String = text.get(at + 1..)?.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i128 = digits.get(..2)?.parse().ok()?;
            let minutes: i128 = digits.get(2..)?.parse().ok()?;
            (text.get(..at)?, sign * (hours * 3600 + minutes * 60))
        }
        None => (text, 0),
    };
    let time = humantime::parse_rfc3339_weak(local).ok()?;
    let unix = time.duration_since(UNIX_EPOCH).ok()?.as_nanos() as i128;
    Some(unix - offset * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Chromium's "Save all as HAR" writes for the lab: keep-alive, a second socket,
    /// a data: URL and a cached file.
    pub(crate) fn chromium_har() -> String {
        r#"{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [], "entries": [
          {"startedDateTime": "2026-03-01T10:00:00.000Z", "time": 12.5,
           "_resourceType": "document", "connection": "1234", "serverIPAddress": "127.0.0.1",
           "request": {"method": "GET", "url": "http://127.0.0.1:5000/?q=1#top", "httpVersion": "HTTP/1.1",
             "headers": [{"name": "Host", "value": "127.0.0.1:5000"},
                         {"name": "Accept-Language", "value": "zh-CN,zh;q=0.9,en;q=0.8"}],
             "headersSize": 420, "bodySize": 0},
           "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
             "headers": [{"name": "Content-Length", "value": "4389"},
                         {"name": "ETag", "value": "\"abc\""}],
             "content": {"size": 4389, "mimeType": "text/html"}, "headersSize": 250,
             "bodySize": 4389, "_transferSize": 4639},
           "timings": {"blocked": 1, "dns": -1, "connect": 0.5, "ssl": -1, "send": 0.1, "wait": 8, "receive": 2.9}},
          {"startedDateTime": "2026-03-01T10:00:00.050Z", "time": 30,
           "connection": "1240", "serverIPAddress": "127.0.0.1",
           "request": {"method": "GET", "url": "http://127.0.0.1:5000/a.mp3", "httpVersion": "http/1.1",
             "headers": [{"name": "Range", "value": "bytes=0-"}], "headersSize": -1, "bodySize": -1},
           "response": {"status": 206, "statusText": "Partial Content", "httpVersion": "http/1.1",
             "headers": [{"name": "Content-Range", "value": "bytes 0-73177/73178"}],
             "content": {"size": 73178}, "headersSize": 300, "bodySize": -1, "_transferSize": 73478},
           "timings": {"send": 0, "wait": 5, "receive": 25}},
          {"startedDateTime": "2026-03-01T10:00:00.020Z", "time": 3,
           "connection": "1234", "serverIPAddress": "127.0.0.1",
           "request": {"method": "GET", "url": "http://127.0.0.1:5000/style.css", "httpVersion": "http/1.1",
             "headers": [], "headersSize": 100, "bodySize": 0},
           "response": {"status": 404, "statusText": "Not Found", "httpVersion": "http/1.1",
             "headers": [], "content": {"size": 0}, "headersSize": 80, "bodySize": 0},
           "timings": {"send": 0, "wait": 2, "receive": 1}},
          {"startedDateTime": "2026-03-01T10:00:00.021Z", "time": 0,
           "request": {"method": "GET", "url": "data:image/png;base64,AAAA", "httpVersion": "",
             "headers": []},
           "response": {"status": 200, "statusText": "OK", "headers": [], "content": {"size": 3}}},
          {"startedDateTime": "2026-03-01T10:00:00.022Z", "time": 0, "_fromCache": "memory",
           "request": {"method": "GET", "url": "http://127.0.0.1:5000/logo.svg", "headers": []},
           "response": {"status": 200, "statusText": "OK", "headers": [], "content": {"size": 3}}}
        ]}}"#
            .to_string()
    }

    #[test]
    fn chromium_har_gives_connections_exchanges_and_times() {
        let a = analyse(&chromium_har()).unwrap();
        assert_eq!(
            a.source,
            Source::Har {
                creator: "WebInspector 537.36".into()
            }
        );
        assert_eq!(a.connections.len(), 2);
        assert_eq!(a.connections[0].har_id.as_deref(), Some("1234"));
        assert_eq!(
            a.connections[0].server,
            Some("127.0.0.1:5000".parse().unwrap())
        );
        assert!(a.connections[0].handshake.is_none() && a.connections[0].close.is_none());
        let targets: Vec<&str> = a
            .exchanges
            .iter()
            .map(|x| x.request.target.as_str())
            .collect();
        assert_eq!(targets, ["/?q=1", "/style.css", "/a.mp3"]);
        let connections: Vec<usize> = a.exchanges.iter().map(|x| x.connection).collect();
        assert_eq!(connections, [0, 0, 1]);
        let first = &a.exchanges[0];
        assert!(
            (first.request.at - 0.0015).abs() < 1e-9,
            "{}",
            first.request.at
        );
        let response = first.response.as_ref().unwrap();
        assert_eq!((response.status, response.body_bytes), (200, 4389));
        assert!((response.end_at - 0.0125).abs() < 1e-9);
        // bodySize -1: the transfer size less the head.
        let audio = a.exchanges[2].response.as_ref().unwrap();
        assert_eq!(audio.body_bytes, 73178);
        assert_eq!(a.exchanges[2].request.header("range"), Some("bytes=0-"));
        assert!(a.exchanges[2].request.head_bytes > 0);
        assert_eq!(a.started_at_unix, Some(1_772_359_200.0));
        assert!((a.duration - 0.08).abs() < 1e-9, "{}", a.duration);
        assert_eq!(a.other_traffic.len(), 2, "{:?}", a.other_traffic);
        assert!(a.other_traffic.contains(&("data: URLs".into(), 1)));
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    }

    #[test]
    fn profile_serve_har_is_read() {
        use crate::serve::trace::har_document_text;
        // An entry as serve::trace::har_entry writes it, in the document it writes.
        let entry = r#"{"startedDateTime": "2026-12-01T22:43:52.150Z", "time": 1.2,
          "request": {"method": "GET", "url": "http://127.0.0.1:5000/", "httpVersion": "HTTP/1.1",
            "cookies": [], "headers": [{"name": "If-None-Match", "value": "\"x\""}],
            "queryString": [], "headersSize": 80, "bodySize": 0},
          "response": {"status": 304, "statusText": "Not Modified", "httpVersion": "HTTP/1.1",
            "cookies": [], "headers": [{"name": "ETag", "value": "\"x\""}],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": 120, "bodySize": 0},
          "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0,
            "wait": 1.0, "receive": 0.2},
          "serverIPAddress": "127.0.0.1", "connection": "3"}"#;
        let a = analyse(&har_document_text(&[entry.to_string()])).unwrap();
        assert!(matches!(&a.source, Source::Har { creator } if creator.starts_with("profile ")));
        assert_eq!(a.exchanges.len(), 1);
        assert_eq!(a.exchanges[0].response.as_ref().unwrap().status, 304);
        assert_eq!(a.connections[0].har_id.as_deref(), Some("3"));
    }

    #[test]
    fn firefox_offsets_ipv6_and_no_connection_field() {
        let text = r#"{"log": {"creator": {"name": "Firefox", "version": "128.0"}, "entries": [
          {"startedDateTime": "2026-03-01T18:00:00.5+08:00", "time": 10,
           "serverIPAddress": "::1",
           "request": {"method": "GET", "url": "http://[::1]:5000/x?y", "httpVersion": "HTTP/1.1", "headers": []},
           "response": {"status": 301, "statusText": "Moved Permanently", "httpVersion": "HTTP/1.1",
             "headers": [], "content": {"size": 0}, "bodySize": 0}, "timings": {}},
          {"startedDateTime": "2026-03-01T10:00:01.5Z", "time": 10,
           "request": {"method": "GET", "url": "https://example.org", "headers": []},
           "response": {"status": 0, "headers": []}}
        ]}}"#;
        let a = analyse(text).unwrap();
        assert_eq!(a.started_at_unix, Some(1_772_359_200.5));
        assert_eq!(a.connections.len(), 2);
        assert_eq!(a.connections[0].server, Some("[::1]:5000".parse().unwrap()));
        assert_eq!(a.connections[1].server, None);
        assert_eq!(a.exchanges[0].request.target, "/x?y");
        assert_eq!(a.exchanges[1].request.target, "/");
        assert!((a.exchanges[1].request.at - 1.0).abs() < 1e-9);
        assert!(a.exchanges[1].response.is_none());
        assert_eq!(a.warnings.len(), 2, "{:?}", a.warnings);
    }

    #[test]
    fn overlapping_exchanges_on_one_connection_are_warned_of_beyond_rounding() {
        let har = |second_start: &str| {
            let entry = |start: &str| {
                format!(
                    r#"{{"startedDateTime": "2026-03-01T10:00:00.{start}Z", "time": 10,
                    "connection": "5", "request": {{"method": "GET", "url": "http://a/",
                    "httpVersion": "HTTP/1.1"}}, "response": {{"status": 200}}}}"#
                )
            };
            format!(
                r#"{{"log": {{"entries": [{}, {}]}}}}"#,
                entry("000"),
                entry(second_start)
            )
        };
        assert!(analyse(&har("009")).unwrap().warnings.is_empty());
        let warnings = analyse(&har("005")).unwrap().warnings;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn malformed_files_name_the_path() {
        let cases = [
            ("[]", "no \"log\""),
            (r#"{"log": {}}"#, "log has no \"entries\""),
            (
                r#"{"log": {"entries": [1]}}"#,
                "log.entries[0] is not an object",
            ),
            (
                r#"{"log": {"entries": [{"request": {"url": "http://a/"}}]}}"#,
                "log.entries[0].request has no \"method\"",
            ),
            (
                r#"{"log": {"entries": [{"request": {"method": "GET", "url": "http://a/"}}]}}"#,
                "log.entries[0] has no \"startedDateTime\"",
            ),
            (
                r#"{"log": {"entries": [{"startedDateTime": "yesterday", "request": {"method": "GET", "url": "http://a/"}}]}}"#,
                "log.entries[0].startedDateTime is not",
            ),
            ("{", "does not parse"),
        ];
        for (text, expected) in cases {
            let err = analyse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let empty = analyse(r#"{"log": {"entries": []}}"#).unwrap();
        assert!(empty.exchanges.is_empty());
    }

    #[test]
    fn dates_parse_with_fractions_and_offsets() {
        const S: i128 = 1_000_000_000;
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(S));
        assert_eq!(parse_date("1970-01-01T01:00:01.25+01:00"), Some(S + S / 4));
        assert_eq!(
            parse_date("1970-01-01T00:00:01.000000-0030"),
            Some(1801 * S)
        );
        assert_eq!(parse_date("1970-01-01T00:00:01"), Some(S));
        for bad in [
            "",
            "1970-01-01",
            "1970-01-01T00:00:01+1",
            "１９７０-01-01T00:00:01Z",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn mutated_hars_never_panic() {
        let seed = chromium_har();
        let mut rng = fastrand::Rng::with_seed(7);
        let pieces = [
            "null",
            "-1",
            "1e308",
            "\"\"",
            "[]",
            "{}",
            "\"http://[\"",
            "\"data:\"",
            "0",
            "\"€\"",
        ];
        for _ in 0..3000 {
            let mut bytes = seed.clone().into_bytes();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..bytes.len());
                match rng.u8(..3) {
                    0 => bytes[at] = rng.u8(..),
                    1 => {
                        let end = (at + rng.usize(..40)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => {
                        let piece = pieces[rng.usize(..pieces.len())];
                        bytes.splice(at..at, piece.bytes());
                    }
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = analyse(&text);
        }
        // Byte mutations mostly break the JSON; also replace one value anywhere with another
        // of any type, which keeps it parsing.
        let tree: Value = serde_json::from_str(&seed).unwrap();
        let mut pointers = Vec::new();
        collect_pointers(&tree, String::new(), &mut pointers);
        for _ in 0..3000 {
            let mut tree = tree.clone();
            for _ in 0..rng.usize(1..3) {
                let pointer = &pointers[rng.usize(..pointers.len())];
                let piece = pieces[rng.usize(..pieces.len())];
                if let Some(slot) = tree.pointer_mut(pointer) {
                    *slot = serde_json::from_str(piece).unwrap();
                }
            }
            if let Ok(a) = analyse(&tree.to_string()) {
                for x in &a.exchanges {
                    assert!(x.connection < a.connections.len());
                    assert!(x.request.at.is_finite() && x.request.at >= 0.0);
                    assert!(x.response.as_ref().is_none_or(|r| r.at <= r.end_at));
                }
            }
        }
    }

    fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    collect_pointers(child, format!("{at}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    collect_pointers(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
}
