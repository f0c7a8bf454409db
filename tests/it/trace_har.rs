//! `profile serve --trace` and `--har` as a person runs them: the binary on a scratch copy of the
//! example site, a fixed set of exchanges made with a raw HTTP client (a plain GET, two requests
//! on one kept-alive connection, a HEAD, a conditional GET answered `304`, a range answered
//! `206`, a `404`, the live-reload stream, and a request carrying a cookie), then the HAR file
//! and the printed trace read back and checked:
//!
//! - every HAR entry has the fields of HAR 1.2 with the values of the exchange, and the document
//!   passes the npm package `har-validator` (the HAR 1.2 JSON schema);
//! - the trace shows each request line, each status line and header as sent, and which
//!   connection was new and which reused;
//! - cookie and authorization values are masked unless `--trace-secrets`, and the live-reload
//!   requests are left out unless `--trace-internal`;
//! - the trace's `<` lines and the HAR's response status, headers and sizes are byte for byte
//!   what a client received on the socket.
//!
//! Schema validation needs `node` and `har-validator` in `$PROFILE_NPM_TOOLS` (default
//! `target/npm-tools`; `npm install --prefix target/npm-tools har-validator@5`). Without them the
//! test prints a `skipped: …` line and passes, unless `PROFILE_REQUIRE_TOOLS=1` (CI sets it).
//!
//! Every server is killed when its guard is dropped, and tests only connect to 127.0.0.1.

use crate::common;

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::http::{self, Conn};
use common::{fingerprinted, Site};

/// How long a start-up (a build, then binding) may take.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long anything else may take: a response, a trace line, a HAR entry.
const WAIT: Duration = Duration::from_secs(10);
/// What the trace and the HAR show instead of a secret header's value.
const MASKED: &str = "(masked; --trace-secrets shows it)";

// ---- the server ----

/// A running `profile serve --trace --har FILE`, killed when dropped.
struct Server {
    child: Child,
    stdout: Receiver<String>,
    /// Every stdout line read so far.
    lines: Vec<String>,
    addr: SocketAddr,
    har: PathBuf,
    stderr: PathBuf,
}

impl Server {
    /// Starts `profile serve --port 0 --quiet --trace --har <tmp>/NAME EXTRA...` on `site` and
    /// waits for its ` * Running on` line.
    fn start(site: &Site, har_name: &str, extra: &[&str]) -> Server {
        let har = site.outside(har_name);
        let stderr = site.outside(&format!("{har_name}.stderr"));
        let mut args = vec![
            "serve",
            "--port",
            "0",
            "--quiet",
            "--trace",
            "--har",
            har.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut child = common::command(site.root(), &args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("start the profile binary");
        let stdout = common::lines_of(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            stdout,
            lines: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            har,
            stderr,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match server.stdout.recv_timeout(left) {
                Ok(line) => {
                    let port = line
                        .strip_prefix(" * Running on http://127.0.0.1:")
                        .and_then(|rest| rest.strip_suffix('/'))
                        .and_then(|port| port.parse::<u16>().ok());
                    server.lines.push(line);
                    if let Some(port) = port {
                        break port;
                    }
                }
                Err(_) => panic!(
                    "no ` * Running on http://127.0.0.1:PORT/` line\nstdout: {:#?}\nstderr: {}",
                    server.lines,
                    std::fs::read_to_string(&server.stderr).unwrap_or_default()
                ),
            }
        };
        assert_ne!(port, 0, "the real port, not 0");
        server.addr = SocketAddr::from(([127, 0, 0, 1], port));
        server
    }

    /// Waits until the HAR file holds `n` entries and the trace `n` exchanges (both are written
    /// just after the response, so a client can be faster than them).
    fn wait_for_exchanges(&mut self, n: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            while let Ok(line) = self.stdout.try_recv() {
                self.lines.push(line);
            }
            let traced = self.lines.iter().filter(|l| l.starts_with("── ")).count();
            let recorded = std::fs::read_to_string(&self.har)
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .and_then(|har| har["log"]["entries"].as_array().map(Vec::len))
                .unwrap_or(0);
            if traced >= n && recorded >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} exchanges, the trace has {traced} and the HAR {recorded}\n{}",
                self.lines.join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server; returns the HAR file's text and everything printed on stdout.
    fn stop(mut self) -> (String, Vec<String>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        loop {
            match self.stdout.recv_timeout(WAIT) {
                Ok(line) => self.lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("stdout did not end after the kill"),
            }
        }
        let har = std::fs::read_to_string(&self.har)
            .unwrap_or_else(|e| panic!("{}: {e}", self.har.display()));
        (har, std::mem::take(&mut self.lines))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- requests ----

/// The bytes of `METHOD TARGET HTTP/1.1` with `Host`, `X-Step: STEP` (which names the exchange
/// in the trace and the HAR) and `headers`.
fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    step: &str,
    headers: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nX-Step: {step}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Sends `raw` on a new connection and returns every byte received until the server closes it
/// (the requests ask for `Connection: close`, so that is exactly one response).
fn raw_exchange(addr: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&addr, WAIT).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all(raw).unwrap();
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(raw)));
    received
}

/// A connection to `server` from local port `port`, bound with `SO_REUSEADDR` so that the port
/// of an earlier connection can be bound again at once. (`std` cannot choose a client's port.)
#[cfg(target_os = "linux")]
fn connect_from(port: u16, server: SocketAddr) -> std::io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(server) = server else {
        panic!("the test server listens on IPv4: {server}")
    };
    let address = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let check = |result: libc::c_int| {
        if result < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(result)
        }
    };
    let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a new socket, owned by the `TcpStream` (closed when it drops) before anything
    // can fail; every pointer passed points to a live value of the size given.
    unsafe {
        let fd = check(libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
        ))?;
        let stream = TcpStream::from_raw_fd(fd);
        let one: libc::c_int = 1;
        check(libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ))?;
        let local = address(std::net::Ipv4Addr::LOCALHOST, port);
        check(libc::bind(
            fd,
            (&local as *const libc::sockaddr_in).cast(),
            size,
        ))?;
        let remote = address(*server.ip(), server.port());
        check(libc::connect(
            fd,
            (&remote as *const libc::sockaddr_in).cast(),
            size,
        ))?;
        Ok(stream)
    }
}

/// A response as received: status line, header lines (as sent, without CRLF), the size of the
/// head (through the blank line) and of the body.
#[derive(Debug)]
struct Received {
    status_line: String,
    header_lines: Vec<String>,
    head_size: usize,
    body_size: usize,
}

fn split_response(bytes: &[u8]) -> Received {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..end]).expect("the head is UTF-8");
    let mut lines = head.split("\r\n").map(str::to_string);
    Received {
        status_line: lines.next().unwrap(),
        header_lines: lines.collect(),
        head_size: end + 4,
        body_size: bytes.len() - end - 4,
    }
}

// ---- the trace ----

/// One exchange as printed by `--trace`.
#[derive(Debug, Clone)]
struct Block {
    /// `── 127.0.0.1:46710 · connection #1 (new, request 1 on it)`
    intro: String,
    /// The `> ` lines without the prefix.
    request: Vec<String>,
    /// The `< ` lines without the prefix.
    response: Vec<String>,
    /// `  body 42 bytes · first byte … · total …`
    body: String,
}

impl Block {
    /// The number in `connection #N`.
    fn connection(&self) -> u64 {
        let rest = &self.intro[self.intro.find("connection #").expect("connection #") + 12..];
        rest[..rest.find(' ').unwrap()].parse().unwrap()
    }

    /// The response header `name`, as printed.
    fn response_header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}: ");
        self.response.iter().find_map(|l| l.strip_prefix(&prefix))
    }
}

/// The exchanges in the trace output `lines` (start-up lines are skipped).
fn blocks(lines: &[String]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in lines {
        if line.starts_with("── ") {
            assert!(
                current.is_none(),
                "an exchange without a body line before {line:?}"
            );
            current = Some(Block {
                intro: line.clone(),
                request: Vec::new(),
                response: Vec::new(),
                body: String::new(),
            });
            continue;
        }
        let Some(block) = current.as_mut() else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("> ") {
            assert!(
                block.response.is_empty(),
                "a request line after the response: {line:?}"
            );
            block.request.push(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("< ") {
            block.response.push(rest.to_string());
        } else if line.starts_with("  body ") {
            block.body = line.clone();
            blocks.push(current.take().unwrap());
        } else {
            panic!(
                "unexpected line in the trace: {line:?}\n{}",
                lines.join("\n")
            );
        }
    }
    assert!(current.is_none(), "the last exchange has no body line");
    blocks
}

/// The one block whose request carries `X-Step: step`.
fn block<'a>(blocks: &'a [Block], step: &str) -> &'a Block {
    let wanted = format!("X-Step: {step}");
    let found: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.request.contains(&wanted))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one traced exchange `{step}` in {blocks:#?}"
    );
    found[0]
}

// ---- the HAR ----

/// The value of the `{name, value}` pair named `name` in `pairs`.
fn pair<'a>(pairs: &'a Value, name: &str) -> Option<&'a str> {
    pairs
        .as_array()
        .expect("an array of {name, value}")
        .iter()
        .find(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|p| p["value"].as_str().expect("a string value"))
}

fn entries(har: &Value) -> &Vec<Value> {
    har["log"]["entries"].as_array().expect("log.entries")
}

/// The one HAR entry whose request carries `X-Step: step`.
fn entry<'a>(har: &'a Value, step: &str) -> &'a Value {
    let found: Vec<&Value> = entries(har)
        .iter()
        .filter(|e| pair(&e["request"]["headers"], "X-Step") == Some(step))
        .collect();
    assert_eq!(found.len(), 1, "one HAR entry `{step}`");
    found[0]
}

fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

/// Checks the fields HAR 1.2 requires of an entry, and those whose values are the same for every
/// exchange of these tests.
fn check_entry_shape(entry: &Value, addr: SocketAddr) {
    let step = pair(&entry["request"]["headers"], "X-Step").unwrap_or("?");
    let what = |field: &str| format!("`{step}` {field}");
    let started = string(&entry["startedDateTime"], &what("startedDateTime"));
    // 2026-11-25T22:10:31.250Z
    assert!(
        started.len() == 24 && started.ends_with('Z') && started.as_bytes()[10] == b'T',
        "{started}"
    );
    let time = number(&entry["time"], &what("time"));
    assert!(time >= 0.0, "{}", what("time"));

    let request = &entry["request"];
    let method = string(&request["method"], &what("method"));
    assert!(["GET", "HEAD", "POST"].contains(&method), "{method}");
    let url = string(&request["url"], &what("url"));
    assert!(url.starts_with(&format!("http://{addr}/")), "{url}");
    assert_eq!(
        request["httpVersion"],
        "HTTP/1.1",
        "{}",
        what("httpVersion")
    );
    assert!(request["cookies"].is_array(), "{}", what("request.cookies"));
    assert!(request["queryString"].is_array(), "{}", what("queryString"));
    for header in request["headers"].as_array().expect("request.headers") {
        string(&header["name"], &what("header name"));
        string(&header["value"], &what("header value"));
    }
    assert!(number(&request["headersSize"], &what("request.headersSize")) > 0.0);
    assert_eq!(request["bodySize"], 0, "{}", what("request.bodySize"));

    let response = &entry["response"];
    let status = number(&response["status"], &what("status")) as u16;
    assert_eq!(
        string(&response["statusText"], &what("statusText")),
        reason(status),
        "{}",
        what("statusText")
    );
    assert_eq!(
        response["httpVersion"],
        "HTTP/1.1",
        "{}",
        what("response.httpVersion")
    );
    assert!(
        response["cookies"].is_array(),
        "{}",
        what("response.cookies")
    );
    for header in response["headers"].as_array().expect("response.headers") {
        string(&header["name"], &what("header name"));
        string(&header["value"], &what("header value"));
    }
    let content_type = pair(&response["headers"], "Content-Type").unwrap_or("");
    assert_eq!(
        string(&response["content"]["mimeType"], &what("mimeType")),
        content_type,
        "{}",
        what("content.mimeType")
    );
    number(&response["content"]["size"], &what("content.size"));
    string(&response["redirectURL"], &what("redirectURL"));
    assert!(number(&response["headersSize"], &what("response.headersSize")) > 0.0);
    let body_size = number(&response["bodySize"], &what("response.bodySize"));
    assert!(body_size >= 0.0);

    assert!(entry["cache"].is_object(), "{}", what("cache"));
    let timings = &entry["timings"];
    let mut sum = 0.0;
    for phase in ["send", "wait", "receive"] {
        let t = number(&timings[phase], &what(phase));
        assert!(t >= 0.0, "{}: {t}", what(phase));
        sum += t;
    }
    assert!(
        (time - sum).abs() < 0.01,
        "{}: time {time} is not send + wait + receive = {sum}",
        what("timings")
    );
    assert_eq!(
        entry["serverIPAddress"],
        "127.0.0.1",
        "{}",
        what("serverIPAddress")
    );
    let connection = string(&entry["connection"], &what("connection"));
    assert!(connection.parse::<u64>().is_ok(), "{connection}");
}

/// RFC 9110's reason phrases for the statuses these tests see.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        other => panic!("no reason phrase known for {other}"),
    }
}

// ---- the session every test looks at ----

/// What one session of the standard exchanges left behind.
struct Session {
    addr: SocketAddr,
    har_text: String,
    har: Value,
    trace: Vec<String>,
    blocks: Vec<Block>,
    /// The URL paths of the stylesheet and the audio, and the audio's size.
    css: String,
    mp3: String,
    mp3_len: u64,
    /// The ETag of `/`.
    etag: String,
    /// The bytes of each request, by step.
    sent: Vec<(&'static str, Vec<u8>)>,
}

impl Session {
    fn sent(&self, step: &str) -> &[u8] {
        &self.sent.iter().find(|(s, _)| *s == step).unwrap().1
    }
}

/// The steps of [`session`] that are always recorded, in order.
const STEPS: [&str; 7] = [
    "get",
    "keepalive",
    "head",
    "conditional",
    "range",
    "missing",
    "cookie",
];

/// Serves a copy of the example site with `--trace --har FILE EXTRA...`, makes the standard
/// exchanges (each named by its `X-Step` header), stops the server and reads back what it
/// recorded.
fn session(extra: &[&str]) -> Session {
    let site = Site::example();
    let mut server = Server::start(&site, "x.har", extra);
    let addr = server.addr;
    let css = format!("/{}", fingerprinted(&site.dist(), "style", "css"));
    let mp3 = format!("/{}", fingerprinted(&site.dist(), "introduction", "mp3"));
    let mp3_len = std::fs::metadata(site.dist().join(&mp3[1..]))
        .unwrap()
        .len();
    let mut sent: Vec<(&'static str, Vec<u8>)> = Vec::new();

    // Two requests on one connection, kept alive (HTTP/1.1's default).
    let mut conn = Conn::open(addr);
    let get = request(addr, "GET", "/", "get", &[]);
    conn.send(&get);
    let page = conn.read_response().unwrap();
    assert_eq!(page.status, 200);
    let etag = page.expect_header("ETag").to_string();
    let keepalive = request(addr, "GET", &css, "keepalive", &[]);
    conn.send(&keepalive);
    assert_eq!(conn.read_response().unwrap().status, 200);
    sent.push(("get", get));
    sent.push(("keepalive", keepalive));
    drop(conn);

    // Then one connection each, closed by the server after the response.
    let close = ("Connection", "close");
    let mut one = |step: &'static str, method: &str, target: &str, headers: &[(&str, &str)]| {
        let mut all = vec![close];
        all.extend_from_slice(headers);
        let raw = request(addr, method, target, step, &all);
        let response = http::exchange(addr, &raw, method == "HEAD");
        sent.push((step, raw));
        response
    };
    let head = one("head", "HEAD", "/", &[]);
    assert_eq!((head.status, head.body.len()), (200, 0));
    let conditional = one("conditional", "GET", "/", &[("If-None-Match", &etag)]);
    assert_eq!(conditional.status, 304);
    let range = one("range", "GET", &mp3, &[("Range", "bytes=0-99")]);
    assert_eq!((range.status, range.body.len()), (206, 100));
    assert_eq!(one("missing", "GET", "/missing", &[]).status, 404);

    // The live-reload stream: opened, its first event read, closed.
    let mut events = TcpStream::connect_timeout(&addr, WAIT).unwrap();
    events.set_read_timeout(Some(WAIT)).unwrap();
    events
        .write_all(&request(addr, "GET", "/_profile/events", "events", &[]))
        .unwrap();
    let mut first = Vec::new();
    let mut chunk = [0u8; 4096];
    while !http::contains(&first, b"event: hello") {
        let n = events.read(&mut chunk).expect("the event stream answers");
        assert_ne!(
            n,
            0,
            "the event stream closed: {:?}",
            String::from_utf8_lossy(&first)
        );
        first.extend_from_slice(&chunk[..n]);
    }
    assert!(
        first.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    assert!(http::contains(
        &first,
        b"Content-Type: text/event-stream\r\n"
    ));
    drop(events);

    // Last, so that a late record of the event stream would still be seen.
    let cookie = one(
        "cookie",
        "GET",
        "/",
        &[
            ("Cookie", "session=s3cret"),
            ("Authorization", "Bearer t0ken-xyz"),
        ],
    );
    assert_eq!(cookie.status, 200);

    let internal = extra.contains(&"--trace-internal");
    let expected = STEPS.len() + usize::from(internal);
    server.wait_for_exchanges(expected);
    thread::sleep(Duration::from_millis(200));
    let (har_text, trace) = server.stop();
    let har: Value = serde_json::from_str(&har_text).expect("the HAR file is JSON");
    assert_eq!(entries(&har).len(), expected, "{har_text}");
    let blocks = blocks(&trace);
    assert_eq!(blocks.len(), expected, "{}", trace.join("\n"));
    Session {
        addr,
        har_text,
        har,
        trace,
        blocks,
        css,
        mp3,
        mp3_len,
        etag,
        sent,
    }
}

// ---- the tests ----

#[test]
fn har_entries_have_the_fields_and_values_of_the_exchanges() {
    let s = session(&[]);
    let log = &s.har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "profile");
    assert!(log["creator"]["version"].is_string());
    for entry in entries(&s.har) {
        check_entry_shape(entry, s.addr);
    }
    let targets = [
        ("get", "GET", "/".to_string(), 200),
        ("keepalive", "GET", s.css.clone(), 200),
        ("head", "HEAD", "/".to_string(), 200),
        ("conditional", "GET", "/".to_string(), 304),
        ("range", "GET", s.mp3.clone(), 206),
        ("missing", "GET", "/missing".to_string(), 404),
        ("cookie", "GET", "/".to_string(), 200),
    ];
    for (step, method, target, status) in &targets {
        let e = entry(&s.har, step);
        assert_eq!(e["request"]["method"], *method, "{step}");
        assert_eq!(
            e["request"]["url"],
            format!("http://{}{target}", s.addr),
            "{step}"
        );
        assert_eq!(e["response"]["status"], *status, "{step}");
        // The request head as sent: every field had single spaces, so the sizes agree exactly.
        assert_eq!(
            e["request"]["headersSize"],
            s.sent(step).len(),
            "{step}: request.headersSize"
        );
        let headers = &e["response"]["headers"];
        if let Some(length) = pair(headers, "Content-Length") {
            let length: u64 = length.parse().unwrap();
            let sent = if *method == "HEAD" { 0 } else { length };
            assert_eq!(e["response"]["bodySize"], sent, "{step}: bodySize");
        }
    }

    // Kept alive: the second request shares the first one's connection; every later request
    // came on a connection of its own.
    let first = string(&entry(&s.har, "get")["connection"], "connection");
    assert_eq!(entry(&s.har, "keepalive")["connection"], first);
    let mut seen = HashSet::from([first.to_string()]);
    for step in ["head", "conditional", "range", "missing", "cookie"] {
        let connection = string(&entry(&s.har, step)["connection"], "connection");
        assert!(
            seen.insert(connection.to_string()),
            "{step} reuses connection {connection}"
        );
    }

    let page = entry(&s.har, "get");
    assert_eq!(page["response"]["statusText"], "OK");
    assert_eq!(
        page["response"]["content"]["mimeType"],
        "text/html; charset=utf-8"
    );
    assert_eq!(
        page["response"]["content"]["size"], page["response"]["bodySize"],
        "no compression: content.size is bodySize"
    );

    let head = entry(&s.har, "head");
    assert_eq!(head["response"]["bodySize"], 0);

    let conditional = entry(&s.har, "conditional");
    assert_eq!(conditional["response"]["statusText"], "Not Modified");
    assert_eq!(conditional["response"]["bodySize"], 0);
    assert_eq!(
        pair(&conditional["request"]["headers"], "If-None-Match"),
        Some(s.etag.as_str())
    );
    assert_eq!(
        pair(&conditional["response"]["headers"], "ETag"),
        Some(s.etag.as_str())
    );

    let range = entry(&s.har, "range");
    assert_eq!(range["response"]["statusText"], "Partial Content");
    assert_eq!(range["response"]["bodySize"], 100, "the range's length");
    assert_eq!(range["response"]["content"]["size"], 100);
    assert_eq!(range["response"]["content"]["mimeType"], "audio/mpeg");
    assert_eq!(
        pair(&range["response"]["headers"], "Content-Range"),
        Some(format!("bytes 0-99/{}", s.mp3_len).as_str())
    );

    let missing = entry(&s.har, "missing");
    assert_eq!(missing["response"]["statusText"], "Not Found");
    assert_eq!(
        missing["response"]["content"]["mimeType"],
        "text/html; charset=utf-8"
    );

    let cookie = entry(&s.har, "cookie");
    assert_eq!(
        cookie["request"]["cookies"],
        serde_json::json!([{ "name": "session", "value": "(masked)" }])
    );
}

#[test]
fn har_validates_against_the_har_1_2_schema() {
    let Some(validator) = common::npm::package(
        "tests/it/trace_har.rs schema validation",
        "har-validator",
        "har-validator@5",
    ) else {
        return;
    };
    for flags in [&[][..], &["--trace-secrets", "--trace-internal"][..]] {
        let s = session(flags);
        validate(
            &validator,
            &s.har_text,
            &format!("the HAR of a session with {flags:?}"),
        );
    }
}

#[test]
fn trace_shows_request_lines_status_lines_and_headers() {
    let s = session(&[]);
    let mp3_len = s.mp3_len;
    let get_css = format!("GET {}", s.css);
    let get_mp3 = format!("GET {}", s.mp3);
    let cases = [
        ("get", "GET /", "HTTP/1.1 200 OK"),
        ("keepalive", get_css.as_str(), "HTTP/1.1 200 OK"),
        ("head", "HEAD /", "HTTP/1.1 200 OK"),
        ("conditional", "GET /", "HTTP/1.1 304 Not Modified"),
        ("range", get_mp3.as_str(), "HTTP/1.1 206 Partial Content"),
        ("missing", "GET /missing", "HTTP/1.1 404 Not Found"),
        ("cookie", "GET /", "HTTP/1.1 200 OK"),
    ];
    for (step, request_line, status_line) in cases {
        let b = block(&s.blocks, step);
        assert_eq!(b.request[0], format!("{request_line} HTTP/1.1"), "{b:#?}");
        assert_eq!(b.request[1], format!("Host: {}", s.addr), "{b:#?}");
        assert_eq!(b.response[0], status_line, "{b:#?}");
        assert!(b.response_header("Date").is_some(), "{b:#?}");
        assert_eq!(b.response_header("Server"), Some("profile/0.1.0"), "{b:#?}");
        assert!(b.intro.starts_with("── 127.0.0.1:"), "{}", b.intro);
        // The trace and the HAR name the same connection.
        assert_eq!(
            entry(&s.har, step)["connection"],
            b.connection().to_string(),
            "{step}"
        );
        // The printed lines, as a person sees them in the output.
        assert!(
            s.trace.contains(&format!("> {request_line} HTTP/1.1")),
            "{step}"
        );
        assert!(s.trace.contains(&format!("< {status_line}")), "{step}");
    }
    let get = block(&s.blocks, "get");
    assert!(
        get.intro.ends_with("(new, request 1 on it)"),
        "{}",
        get.intro
    );
    let keepalive = block(&s.blocks, "keepalive");
    assert!(keepalive.intro.contains("(reused"), "{}", keepalive.intro);
    assert!(
        keepalive.intro.ends_with("(reused, request 2 on it)"),
        "{}",
        keepalive.intro
    );
    assert_eq!(keepalive.connection(), get.connection());
    let head = block(&s.blocks, "head");
    assert!(
        head.intro.ends_with("(new, request 1 on it)"),
        "{}",
        head.intro
    );
    assert_ne!(head.connection(), get.connection());

    let range = block(&s.blocks, "range");
    let content_range = format!("bytes 0-99/{mp3_len}");
    assert_eq!(
        range.response_header("Content-Range"),
        Some(content_range.as_str())
    );
    assert!(s
        .trace
        .contains(&format!("< Content-Range: {content_range}")));
    assert_eq!(range.response_header("Content-Length"), Some("100"));
    assert!(
        range.body.starts_with("  body 100 bytes · first byte "),
        "{}",
        range.body
    );
    assert!(range.body.ends_with(" ms"), "{}", range.body);

    let conditional = block(&s.blocks, "conditional");
    assert!(conditional
        .request
        .contains(&format!("If-None-Match: {}", s.etag)));
    assert_eq!(conditional.response_header("ETag"), Some(s.etag.as_str()));
    assert!(
        conditional.body.starts_with("  body 0 bytes · "),
        "{}",
        conditional.body
    );
    assert!(head.body.starts_with("  body 0 bytes · "), "{}", head.body);
    assert_eq!(
        block(&s.blocks, "missing").response_header("Connection"),
        Some("close")
    );
}

#[test]
fn cookie_and_authorization_values_are_masked_unless_trace_secrets() {
    let s = session(&[]);
    for (name, text) in [("HAR", s.har_text.clone()), ("trace", s.trace.join("\n"))] {
        assert!(
            !text.contains("s3cret"),
            "the cookie's value is in the {name}:\n{text}"
        );
        assert!(
            !text.contains("t0ken-xyz"),
            "the token is in the {name}:\n{text}"
        );
    }
    let b = block(&s.blocks, "cookie");
    assert!(b.request.contains(&format!("Cookie: {MASKED}")), "{b:#?}");
    assert!(
        b.request.contains(&format!("Authorization: {MASKED}")),
        "{b:#?}"
    );
    let e = entry(&s.har, "cookie");
    assert_eq!(pair(&e["request"]["headers"], "Cookie"), Some(MASKED));
    assert_eq!(
        pair(&e["request"]["headers"], "Authorization"),
        Some(MASKED)
    );

    let s = session(&["--trace-secrets"]);
    let b = block(&s.blocks, "cookie");
    assert!(
        b.request.contains(&"Cookie: session=s3cret".to_string()),
        "{b:#?}"
    );
    assert!(
        b.request
            .contains(&"Authorization: Bearer t0ken-xyz".to_string()),
        "{b:#?}"
    );
    assert!(s.trace.contains(&"> Cookie: session=s3cret".to_string()));
    let e = entry(&s.har, "cookie");
    assert_eq!(
        pair(&e["request"]["headers"], "Cookie"),
        Some("session=s3cret")
    );
    assert_eq!(
        e["request"]["cookies"],
        serde_json::json!([{ "name": "session", "value": "s3cret" }])
    );
    assert!(
        !s.har_text.contains("masked"),
        "nothing masked with --trace-secrets"
    );
}

#[test]
fn live_reload_requests_are_left_out_unless_trace_internal() {
    let s = session(&[]);
    assert!(!s.har_text.contains("/_profile/"), "{}", s.har_text);
    assert!(
        !s.trace.iter().any(|l| l.contains("/_profile/")),
        "{}",
        s.trace.join("\n")
    );

    let s = session(&["--trace-internal"]);
    let e = entry(&s.har, "events");
    check_entry_shape(e, s.addr);
    assert_eq!(
        e["request"]["url"],
        format!("http://{}/_profile/events", s.addr)
    );
    assert_eq!(e["response"]["status"], 200);
    assert_eq!(e["response"]["content"]["mimeType"], "text/event-stream");
    let b = block(&s.blocks, "events");
    assert_eq!(b.request[0], "GET /_profile/events HTTP/1.1");
    assert_eq!(b.response[0], "HTTP/1.1 200 OK");
    assert_eq!(b.response_header("Content-Type"), Some("text/event-stream"));
}

/// "Trace and HAR report what was actually sent on the socket": for a range of responses, the
/// exact bytes a client received are compared with the trace's `<` lines and the HAR's status,
/// headers, `headersSize` and `bodySize`.
#[test]
fn trace_and_har_report_the_bytes_sent_on_the_socket() {
    let site = Site::example();
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\n+++\n\nNotes.\n",
    );
    let mut server = Server::start(&site, "wire.har", &[]);
    let addr = server.addr;
    let css = format!("/{}", fingerprinted(&site.dist(), "style", "css"));
    let mp3 = format!("/{}", fingerprinted(&site.dist(), "introduction", "mp3"));

    let close = ("Connection", "close");
    let first = raw_exchange(addr, &request(addr, "GET", "/", "page", &[close]));
    let etag = split_response(&first)
        .header_lines
        .iter()
        .find_map(|l| l.strip_prefix("ETag: "))
        .expect("an ETag")
        .to_string();
    let mut cases: Vec<(&str, Vec<u8>, Vec<u8>)> = Vec::new();
    cases.push(("page", request(addr, "GET", "/", "page", &[close]), first));
    let more: Vec<(&str, Vec<u8>)> = vec![
        ("head", request(addr, "HEAD", "/", "head", &[close])),
        ("css", request(addr, "GET", &css, "css", &[close])),
        // 73 KB: the head and the body leave in two writes.
        ("mp3", request(addr, "GET", &mp3, "mp3", &[close])),
        (
            "304",
            request(addr, "GET", "/", "304", &[close, ("If-None-Match", &etag)]),
        ),
        (
            "206",
            request(
                addr,
                "GET",
                &mp3,
                "206",
                &[close, ("Range", "bytes=100-199")],
            ),
        ),
        (
            "416",
            request(
                addr,
                "GET",
                &mp3,
                "416",
                &[close, ("Range", "bytes=99999999-")],
            ),
        ),
        (
            "404",
            request(addr, "GET", "/no/such/page", "404", &[close]),
        ),
        ("301", request(addr, "GET", "/notes", "301", &[close])),
        (
            "405",
            request(addr, "POST", "/", "405", &[close, ("Content-Length", "0")]),
        ),
        (
            "1.0",
            format!("GET / HTTP/1.0\r\nHost: {addr}\r\nX-Step: 1.0\r\n\r\n").into_bytes(),
        ),
    ];
    for (step, raw) in more {
        let received = raw_exchange(addr, &raw);
        cases.push((step, raw, received));
    }
    server.wait_for_exchanges(cases.len());
    let (har_text, trace) = server.stop();
    let har: Value = serde_json::from_str(&har_text).expect("the HAR file is JSON");
    let blocks = blocks(&trace);
    assert_eq!(blocks.len(), cases.len());
    assert_eq!(entries(&har).len(), cases.len());

    for (step, raw, received) in &cases {
        let got = split_response(received);
        let b = block(&blocks, step);
        let e = entry(&har, step);
        let response = &e["response"];

        // The trace: `< ` + each line of the head as received, then the body's size.
        let mut lines = vec![got.status_line.clone()];
        lines.extend(got.header_lines.iter().cloned());
        assert_eq!(b.response, lines, "{step}: the trace's `<` lines");
        assert!(
            b.body
                .starts_with(&format!("  body {} bytes · ", got.body_size)),
            "{step}: {} but {} body bytes arrived",
            b.body,
            got.body_size
        );

        // The HAR: status line, each header field exactly, the sizes of head and body.
        let (version, rest) = got.status_line.split_once(' ').unwrap();
        let (code, phrase) = rest.split_once(' ').unwrap();
        assert_eq!(response["httpVersion"], version, "{step}");
        assert_eq!(response["status"], code.parse::<u16>().unwrap(), "{step}");
        assert_eq!(response["statusText"], phrase, "{step}");
        let fields: Vec<(String, String)> = got
            .header_lines
            .iter()
            .map(|l| {
                let (n, v) = l
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{step}: {l:?}"));
                (n.to_string(), v.to_string())
            })
            .collect();
        let har_fields: Vec<(String, String)> = response["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["name"].as_str().unwrap().to_string(),
                    h["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(har_fields, fields, "{step}: the HAR's response headers");
        assert_eq!(
            response["headersSize"], got.head_size,
            "{step}: headersSize"
        );
        assert_eq!(response["bodySize"], got.body_size, "{step}: bodySize");
        if *step != "head" {
            assert_eq!(
                response["content"]["size"], got.body_size,
                "{step}: content.size"
            );
        }
        assert_eq!(
            e["request"]["headersSize"],
            raw.len(),
            "{step}: request.headersSize"
        );
    }
    // HTTP/1.0 is answered in kind, and the status line says so in both records.
    assert_eq!(block(&blocks, "1.0").response[0], "HTTP/1.0 200 OK");
    assert_eq!(entry(&har, "1.0")["request"]["httpVersion"], "HTTP/1.0");
}

/// Pipelined requests (several sent before the first answer) are answered in order, and the
/// trace numbers them in the order they came on the connection: the first is `(new, request 1
/// on it)`, the next `(reused, request 2 on it)`, and so on.
#[test]
fn pipelined_requests_are_numbered_in_the_order_sent() {
    const CONNECTIONS: usize = 20;
    const PIPELINED: usize = 8;
    let site = Site::example();
    let mut server = Server::start(&site, "pipe.har", &[]);
    let addr = server.addr;
    let css = format!("/{}", fingerprinted(&site.dist(), "style", "css"));
    for c in 0..CONNECTIONS {
        let mut conn = Conn::open(addr);
        let mut all = Vec::new();
        for n in 0..PIPELINED {
            let target = if n % 2 == 0 { "/" } else { css.as_str() };
            all.extend(request(
                addr,
                "GET",
                target,
                &format!("c{c}-p{}", n + 1),
                &[],
            ));
        }
        conn.send(&all);
        for _ in 0..PIPELINED {
            assert_eq!(conn.read_response().unwrap().status, 200);
        }
    }
    server.wait_for_exchanges(CONNECTIONS * PIPELINED);
    let (har_text, trace) = server.stop();
    let har: Value = serde_json::from_str(&har_text).unwrap();
    let blocks = blocks(&trace);
    let mut wrong = Vec::new();
    for c in 0..CONNECTIONS {
        let connection = block(&blocks, &format!("c{c}-p1")).connection();
        for n in 1..=PIPELINED {
            let step = format!("c{c}-p{n}");
            let b = block(&blocks, &step);
            let reuse = if n == 1 { "new" } else { "reused" };
            if !b.intro.ends_with(&format!("({reuse}, request {n} on it)")) {
                wrong.push(format!("{step}: {}", b.intro));
            }
            assert_eq!(b.connection(), connection, "{step}");
            assert_eq!(entry(&har, &step)["connection"], connection.to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "numbered out of order:\n{}",
        wrong.join("\n")
    );
}

/// A new TCP connection that happens to come from the port of an earlier, closed one (ports are
/// reused: Linux hands them out again after some ten thousand connections to one server, and a
/// client may bind one on purpose) is a new connection.
#[cfg(target_os = "linux")]
#[test]
fn a_new_connection_from_a_reused_client_port_is_a_new_connection() {
    let site = Site::example();
    let mut server = Server::start(&site, "ports.har", &[]);
    let addr = server.addr;
    // Each exchange reads until the server closes, so the server closes first and its side,
    // not the client's port, waits in TIME_WAIT. A new connection from that port may still be
    // refused while the server's side waits (its answer to the SYN depends on the kernel), so
    // up to three ports are tried; every refusal is reported.
    let mut sent = 0;
    let mut reused = None;
    let mut refusals = Vec::new();
    for attempt in 0..3 {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut answered = 0;
        for step in ["r1", "r2"] {
            let raw = request(
                addr,
                "GET",
                "/",
                &format!("{step}-{attempt}"),
                &[("Connection", "close")],
            );
            match connect_from(port, addr) {
                Ok(mut stream) => {
                    stream.set_read_timeout(Some(WAIT)).unwrap();
                    stream.write_all(&raw).unwrap();
                    let mut received = Vec::new();
                    stream.read_to_end(&mut received).unwrap();
                    assert!(received.starts_with(b"HTTP/1.1 200"), "{step}-{attempt}");
                    answered += 1;
                    sent += 1;
                }
                Err(e) => {
                    refusals.push(format!("{step}-{attempt} from port {port}: {e}"));
                    break;
                }
            }
        }
        if answered == 2 {
            reused = Some(attempt);
            break;
        }
    }
    let Some(attempt) = reused else {
        panic!("no port could be used twice: {refusals:?}");
    };
    let (r1, r2) = (format!("r1-{attempt}"), format!("r2-{attempt}"));
    server.wait_for_exchanges(sent);
    let (har_text, trace) = server.stop();
    let har: Value = serde_json::from_str(&har_text).unwrap();
    let blocks = blocks(&trace);
    let second = block(&blocks, &r2);
    assert!(
        second.intro.ends_with("(new, request 1 on it)"),
        "{}",
        second.intro
    );
    assert_ne!(
        entry(&har, &r1)["connection"],
        entry(&har, &r2)["connection"]
    );
}

/// HAR 1.2: `content.size` is the "length of the returned content", equal to `bodySize` without
/// compression. A `HEAD` returns none, whatever its `Content-Length` announces.
#[test]
fn har_content_size_of_a_head_is_zero() {
    let site = Site::example();
    let mut server = Server::start(&site, "head.har", &[]);
    let addr = server.addr;
    raw_exchange(
        addr,
        &request(addr, "HEAD", "/", "head", &[("Connection", "close")]),
    );
    server.wait_for_exchanges(1);
    let (har_text, _) = server.stop();
    let har: Value = serde_json::from_str(&har_text).unwrap();
    let response = &entry(&har, "head")["response"];
    assert_eq!(response["bodySize"], 0);
    assert_eq!(response["content"]["size"], 0, "{response:#}");
}

/// Found while recording docs/http-walkthrough.md: after the browser closed the connection that
/// carried the live-reload stream, the server's `FIN` only came when the server stopped. A closed
/// stream's socket must be let go of, or every page load leaves a descriptor behind until the
/// next rebuild.
#[cfg(target_os = "linux")]
#[test]
fn closed_live_reload_streams_do_not_hold_sockets() {
    let site = Site::example();
    let server = Server::start(&site, "events.har", &[]);
    let addr = server.addr;
    let fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", server.child.id()))
            .unwrap()
            .count()
    };
    let before = fds();
    for n in 0..20 {
        let mut stream = TcpStream::connect_timeout(&addr, WAIT).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let step = format!("e{n}");
        stream
            .write_all(&request(addr, "GET", "/_profile/events", &step, &[]))
            .unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while !http::contains(&got, b"event: hello") {
            let read = stream.read(&mut chunk).unwrap();
            assert_ne!(read, 0, "the stream closed early");
            got.extend_from_slice(&chunk[..read]);
        }
    }
    // The server pings open streams every 2 s and drops one on the second failed write.
    let deadline = Instant::now() + Duration::from_secs(10);
    while fds() > before + 2 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    assert!(
        fds() <= before + 2,
        "{} descriptors open after 20 closed event streams, {before} before",
        fds()
    );
}

// ---- har-validator ----

/// Runs `require('<package>').har(doc)` on `har_text` with node; panics with the schema errors.
fn validate(package: &Path, har_text: &str, what: &str) {
    let script = format!(
        "const doc = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n\
         require({}).har(doc).then(\n\
           () => console.log('valid HAR 1.2'),\n\
           (e) => {{ console.error(JSON.stringify(e && e.errors ? e.errors : String(e), null, 2)); process.exit(1); }});",
        serde_json::to_string(package.to_str().unwrap()).unwrap()
    );
    let mut child = Command::new("node")
        .arg("-e")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(har_text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what} does not validate against the HAR 1.2 schema:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "valid HAR 1.2"
    );
}

// ---- Chromium's DevTools HAR importer ----

/// "The HAR opens in the browser's DevTools": the HAR of a session (the live-reload stream
/// included) is given to the HAR importer of the DevTools frontend bundled in Chromium, the code
/// that runs when a `.har` file is dropped on the Network panel (`NetworkPanel.onLoadFromFile`:
/// `new HARFormat.HARRoot(JSON.parse(text))`, then `Importer.requestsFromHARLog(root.log)`).
/// Every entry must come back as one request with the entry's URL, method, status, headers,
/// sizes and start time; and a copy whose first entry lost its `request` must be refused, as
/// the Network panel refuses it.
///
/// Needs Chromium, under the rule of tests/it/browser.rs: `$CHROME_PATH`, else `/usr/bin/chromium`;
/// without it the test prints a `skipped: …` line and passes, unless `PROFILE_REQUIRE_BROWSER=1`.
/// The browser loads nothing but its own `devtools://` pages (same flags as tests/it/browser.rs).
#[test]
fn har_imports_into_chromium_devtools() {
    let Some(chromium) = chromium() else { return };
    let s = session(&["--trace-internal"]);
    let browser = DevTools::launch(&chromium);

    let imported = browser
        .import_har(&s.har_text)
        .unwrap_or_else(|e| panic!("DevTools refused the HAR: {e}\n{}", s.har_text));
    let har_entries = entries(&s.har);
    assert_eq!(
        imported.len(),
        har_entries.len(),
        "DevTools imported {} requests from {} HAR entries: {imported:#?}",
        imported.len(),
        har_entries.len()
    );
    let mut statuses = HashSet::new();
    for e in har_entries {
        let step = pair(&e["request"]["headers"], "X-Step").expect("an X-Step header");
        let found: Vec<&Value> = imported
            .iter()
            .filter(|r| r["step"].as_str() == Some(step))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one imported request `{step}`: {imported:#?}"
        );
        let r = found[0];
        let (request, response) = (&e["request"], &e["response"]);
        assert_eq!(r["url"], request["url"], "{step}: url");
        assert_eq!(r["method"], request["method"], "{step}: method");
        assert_eq!(r["status"], response["status"], "{step}: status");
        assert_eq!(
            r["statusText"], response["statusText"],
            "{step}: statusText"
        );
        assert_eq!(
            r["protocol"],
            string(&response["httpVersion"], "httpVersion").to_ascii_lowercase(),
            "{step}: protocol"
        );
        assert_eq!(
            r["requestHeaders"], request["headers"],
            "{step}: request headers"
        );
        assert_eq!(
            r["responseHeaders"], response["headers"],
            "{step}: response headers"
        );
        let mime = string(&response["content"]["mimeType"], "mimeType");
        if !mime.is_empty() {
            assert_eq!(r["mimeType"], mime, "{step}: mimeType");
        }
        let transfer = number(&response["headersSize"], "headersSize")
            + number(&response["bodySize"], "bodySize");
        assert_eq!(
            number(&r["transferSize"], "transferSize"),
            transfer,
            "{step}: transferSize is headersSize + bodySize"
        );
        assert_eq!(r["started"], e["startedDateTime"], "{step}: start time");
        assert_eq!(r["finished"], true, "{step}: finished");
        statuses.insert(number(&r["status"], "status") as u16);
    }
    for status in [200, 206, 304, 404] {
        assert!(
            statuses.contains(&status),
            "no imported {status} in {statuses:?}"
        );
    }
    let events = imported
        .iter()
        .find(|r| r["step"] == "events")
        .expect("the live-reload stream");
    assert_eq!(events["mimeType"], "text/event-stream");

    // Broken: the first entry without its request. The importer must refuse it, not drop it.
    let mut broken = s.har.clone();
    broken["log"]["entries"][0]
        .as_object_mut()
        .unwrap()
        .remove("request");
    match browser.import_har(&broken.to_string()) {
        Err(e) => assert!(
            e.contains("First parameter is expected to be an object"),
            "refused for another reason: {e}"
        ),
        Ok(requests) => {
            panic!("DevTools imported a HAR whose first entry has no request: {requests:#?}")
        }
    }
    browser.close();
}

/// The Chromium binary, as tests/it/browser.rs finds it; `None` (after saying so) to skip.
fn chromium() -> Option<PathBuf> {
    common::chromium::find("tests/it/trace_har.rs har_imports_into_chromium_devtools")
}

/// A headless Chromium with a fresh profile and one tab on the bundled DevTools frontend.
struct DevTools {
    browser: headless_chrome::Browser,
    tab: std::sync::Arc<headless_chrome::Tab>,
    _profile_dir: tempfile::TempDir,
}

impl DevTools {
    /// The page whose origin the frontend's modules load from.
    const PAGE: &'static str = "devtools://devtools/bundled/devtools_app.html";
    /// The HAR model: `HARFormat` (the parser) and `Importer`.
    const HAR_MODULE: &'static str = "devtools://devtools/bundled/models/har/har.js";

    fn launch(chromium: &Path) -> DevTools {
        let profile_dir = tempfile::tempdir().expect("create a temporary profile directory");
        let options = headless_chrome::LaunchOptions::default_builder()
            .path(Some(chromium.to_path_buf()))
            .headless(true)
            .sandbox(false)
            .user_data_dir(Some(profile_dir.path().to_path_buf()))
            .port(Some(0))
            .idle_browser_timeout(Duration::from_secs(60))
            .args(
                common::chromium::ARGS
                    .iter()
                    .map(std::ffi::OsStr::new)
                    .collect(),
            )
            .build()
            .expect("valid launch options");
        let browser = headless_chrome::Browser::new(options).unwrap_or_else(|e| {
            panic!(
                "Chromium at {} is installed but did not start: {e:#}",
                chromium.display()
            )
        });
        let tab = browser.new_tab().expect("open a tab");
        tab.set_default_timeout(Duration::from_secs(15));
        tab.navigate_to(Self::PAGE)
            .and_then(|tab| tab.wait_until_navigated())
            .unwrap_or_else(|e| panic!("cannot load {}: {e:#}", Self::PAGE));
        DevTools {
            browser,
            tab,
            _profile_dir: profile_dir,
        }
    }

    /// Imports `har_text` as the Network panel does; the requests DevTools made of it (each as
    /// the fields the tests compare), or why it refused the file.
    fn import_har(&self, har_text: &str) -> Result<Vec<Value>, String> {
        let expression = format!(
            "(async () => {{\n\
               const HAR = await import({module});\n\
               let requests;\n\
               try {{\n\
                 const root = new HAR.HARFormat.HARRoot(JSON.parse({text}));\n\
                 requests = HAR.Importer.Importer.requestsFromHARLog(root.log);\n\
               }} catch (e) {{\n\
                 return JSON.stringify({{ refused: String(e && e.message || e) }});\n\
               }}\n\
               const pair = h => ({{ name: h.name, value: h.value }});\n\
               return JSON.stringify({{ requests: requests.map(r => ({{\n\
                 step: r.requestHeaderValue('X-Step') ?? null,\n\
                 url: r.url(),\n\
                 method: r.requestMethod,\n\
                 status: r.statusCode,\n\
                 statusText: r.statusText,\n\
                 protocol: r.protocol,\n\
                 mimeType: r.mimeType,\n\
                 requestHeaders: r.requestHeaders().map(pair),\n\
                 responseHeaders: r.responseHeaders.map(pair),\n\
                 transferSize: r.transferSize,\n\
                 started: new Date(Math.round(r.issueTime() * 1000)).toISOString(),\n\
                 finished: r.finished,\n\
               }})) }});\n\
             }})()",
            module = serde_json::to_string(Self::HAR_MODULE).unwrap(),
            text = serde_json::to_string(har_text).unwrap(),
        );
        let answer = self
            .tab
            .call_method(common::chromium::evaluate(expression, true))
            .unwrap_or_else(|e| panic!("cannot run the DevTools HAR importer: {e:#}"));
        if let Some(details) = answer.exception_details {
            panic!("the DevTools HAR importer did not run: {details:?}");
        }
        let text = answer.result.value.expect("a value");
        let mut out: Value =
            serde_json::from_str(text.as_str().expect("a JSON string")).expect("JSON");
        if let Some(reason) = out["refused"].as_str() {
            return Err(reason.to_string());
        }
        Ok(out["requests"].take().as_array().expect("requests").clone())
    }

    /// Closes the browser and waits for its process to end.
    fn close(self) {
        drop(self.tab);
        drop(self.browser);
    }
}

#[test]
fn profile_report_reads_the_har_profile_writes() {
    let s = session(&[]);
    let analysis = profile::report::har::analyse(&s.har_text)
        .unwrap_or_else(|e| panic!("{e}\n{}", s.har_text));
    assert_eq!(analysis.exchanges.len(), entries(&s.har).len());
    let statuses: Vec<u16> = analysis
        .exchanges
        .iter()
        .filter_map(|x| x.response.as_ref().map(|r| r.status))
        .collect();
    for status in [200, 206, 304, 404] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
    // The first two requests shared a kept-alive connection; every later one had its own.
    let on: Vec<usize> = analysis.exchanges.iter().map(|x| x.connection).collect();
    assert_eq!(on.first(), on.get(1), "{on:?}");
    assert_eq!(analysis.connections.len(), on.len() - 1, "{on:?}");
    assert_eq!(analysis.connections[0].server, Some(s.addr));
    let range = analysis
        .exchanges
        .iter()
        .find(|x| x.request.target == s.mp3)
        .and_then(|x| x.response.as_ref())
        .expect("the range request");
    assert_eq!((range.status, range.body_bytes), (206, 100));
    assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
}
