//! `profile serve` as a person runs it: the binary on a scratch copy of the example site, its
//! start-up lines, its access log, its errors, and a large recording streamed from disk. Every
//! child process is killed when its guard is dropped, and tests only connect to 127.0.0.1.

use crate::common;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use common::http::{self, Conn, Response};
use common::{fingerprinted, Site};

/// How long a start-up (a build, then binding) may take before a test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long to wait for one line of output that should come at once.
const LINE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `profile serve`, killed when dropped.
struct Serve {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stdout line read so far.
    seen: Vec<String>,
}

impl Serve {
    /// Starts `profile ARGS` in `dir`, reading its stdout and stderr line by line.
    fn spawn(dir: &Path, args: &[&str]) -> Serve {
        let (child, stdout, stderr) = common::spawn(dir, args);
        Serve {
            child,
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    #[cfg(unix)]
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, or None at the end of output or after `timeout`.
    fn next_stdout(&mut self, timeout: Duration) -> Option<String> {
        let line = self.stdout.recv_timeout(timeout).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// The next stderr line, or None at the end of output or after `timeout`.
    fn next_stderr(&self, timeout: Duration) -> Option<String> {
        self.stderr.recv_timeout(timeout).ok()
    }

    /// Reads stdout up to the first ` * Running on http://127.0.0.1:PORT/` line and returns
    /// that address; panics with what was printed if it does not come.
    fn loopback_addr(&mut self) -> SocketAddr {
        let deadline = Instant::now() + START_TIMEOUT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Some(line) = self.next_stdout(left) else {
                break;
            };
            if let Some(port) = running_on_loopback(&line) {
                assert_ne!(port, 0, "the real port, not 0: {line:?}");
                return SocketAddr::from(([127, 0, 0, 1], port));
            }
        }
        let status = self.child.try_wait().ok().flatten();
        let errors: Vec<String> = self.stderr.try_iter().collect();
        panic!(
            "no ` * Running on http://127.0.0.1:PORT/` line (exit status {status:?})\nstdout: {:#?}\nstderr: {errors:#?}",
            self.seen
        );
    }

    /// The loopback address among the lines already read.
    fn loopback_addr_from_seen(&self) -> SocketAddr {
        let port = self
            .seen
            .iter()
            .find_map(|l| running_on_loopback(l))
            .unwrap_or_else(|| panic!("no loopback URL in {:#?}", self.seen));
        assert_ne!(port, 0);
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// Reads stdout up to the line `Press Ctrl-C to stop.`; returns every line read so far.
    fn start_up_lines(&mut self) -> Vec<String> {
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.seen.iter().any(|l| l == "Press Ctrl-C to stop.") {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("no `Press Ctrl-C to stop.` in {:#?}", self.seen));
            if self.next_stdout(left).is_none() {
                panic!("no `Press Ctrl-C to stop.` in {:#?}", self.seen);
            }
        }
        self.seen.clone()
    }

    /// Kills the process and returns the stderr lines it had not yet been asked for.
    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader threads end at the end of output, which the kill brings.
        let mut rest = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(LINE_TIMEOUT) {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of a ` * Running on http://127.0.0.1:PORT/` line.
fn running_on_loopback(line: &str) -> Option<u16> {
    line.strip_prefix(" * Running on http://127.0.0.1:")?
        .strip_suffix('/')?
        .parse()
        .ok()
}

/// Runs `profile ARGS` in `dir` to its end (killing it after `START_TIMEOUT`); returns the exit
/// status, stdout and stderr.
fn run_to_end(dir: &Path, args: &[&str]) -> (ExitStatus, Vec<String>, Vec<String>) {
    let mut serve = Serve::spawn(dir, args);
    let deadline = Instant::now() + START_TIMEOUT;
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "`profile {}` is still running after {START_TIMEOUT:?}",
            args.join(" ")
        );
        thread::sleep(Duration::from_millis(20));
    };
    let collect = |rx: &Receiver<String>| {
        let mut lines = Vec::new();
        loop {
            match rx.recv_timeout(LINE_TIMEOUT) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break lines,
                Err(RecvTimeoutError::Timeout) => panic!("output did not end"),
            }
        }
    };
    let stdout = collect(&serve.stdout);
    let stderr = collect(&serve.stderr);
    (status, stdout, stderr)
}

/// Request header fields, name and value.
type Fields<'a> = Vec<(&'a str, &'a str)>;

// ---- start-up ----

#[test]
fn port_zero_prints_the_real_url_and_serves() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0"]);
    let lines = serve.start_up_lines();
    let running: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(" * Running on "))
        .collect();
    assert_eq!(running.len(), 1, "{lines:#?}");
    let addr = serve.loopback_addr_from_seen();
    assert!(lines[0].starts_with("Built "), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains("Warning")), "{lines:#?}");
    let response = http::get(addr, "/");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert!(response.text().contains("李华"));
    assert_eq!(http::get(addr, "/missing").status, 404);
}

#[test]
fn no_reload_sends_pages_exactly_as_dist_holds_them() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0", "--no-reload"]);
    serve.start_up_lines();
    let addr = serve.loopback_addr_from_seen();
    let page = http::get(addr, "/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body,
        std::fs::read(site.dist().join("index.html")).unwrap()
    );
    assert_eq!(http::get(addr, "/_profile/events").status, 404);
    // Without the flag, the same page carries the script.
    drop(serve);
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0"]);
    serve.start_up_lines();
    let page = http::get(serve.loopback_addr_from_seen(), "/");
    assert!(page.text().contains("/_profile/events"));
}

#[test]
fn host_0_0_0_0_warns_and_lists_the_loopback_url() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--host", "0.0.0.0", "--port", "0"]);
    let lines = serve.start_up_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Warning: ") && l.contains("0.0.0.0")),
        "no warning about serving the network: {lines:#?}"
    );
    let urls: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(" * Running on http://"))
        .collect();
    assert!(!urls.is_empty(), "{lines:#?}");
    assert!(
        running_on_loopback(urls[0]).is_some(),
        "the loopback URL comes first: {urls:#?}"
    );
    // Every URL has the same real port; only the loopback one is ever connected to.
    let addr = serve.loopback_addr_from_seen();
    let port = format!(":{}/", addr.port());
    for url in &urls {
        assert!(url.ends_with(&port), "{url}");
        assert!(!url.contains("0.0.0.0"), "{url}");
    }
    assert_eq!(http::get(addr, "/").status, 200);
}

#[test]
fn a_port_in_use_is_one_clear_error() {
    let site = Site::example();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    // What the message suggests instead (src/serve/listen.rs).
    let next = if port == 8000 { 8080 } else { 8000 };
    let (status, stdout, stderr) = run_to_end(site.root(), &["serve", "--port", &port.to_string()]);
    assert!(!status.success(), "{status}");
    assert_eq!(status.code(), Some(1));
    assert!(
        !stdout.iter().any(|l| l.contains("Running on")),
        "{stdout:#?}"
    );
    let errors: Vec<&String> = stderr.iter().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one `error:` line: {stderr:#?}");
    assert_eq!(stderr.len(), 1, "{stderr:#?}");
    let error = errors[0];
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(error.contains("in use"), "{error}");
    assert!(error.contains(&format!("--port {next}")), "{error}");
    assert!(!error.contains("panicked"), "{error}");
    drop(taken);
}

#[test]
fn an_unknown_host_is_a_clear_error() {
    let site = Site::example();
    let (status, stdout, stderr) = run_to_end(
        site.root(),
        &["serve", "--host", "not-a-host.invalid", "--port", "0"],
    );
    assert_eq!(status.code(), Some(1), "{stdout:#?} {stderr:#?}");
    assert!(
        !stdout.iter().any(|l| l.contains("Running on")),
        "{stdout:#?}"
    );
    assert_eq!(stderr.len(), 1, "{stderr:#?}");
    let error = &stderr[0];
    assert!(error.starts_with("error: "), "{error}");
    assert!(error.contains("not-a-host.invalid"), "{error}");
    assert!(error.contains("--host 127.0.0.1"), "{error}");
    assert!(!error.contains("panicked"), "{error}");
}

// ---- the access log ----

/// The parts of one Common Log Format line.
#[derive(Debug)]
struct LogLine {
    host: String,
    request: String,
    status: u16,
    /// None for `-`.
    bytes: Option<u64>,
}

/// Parses `127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] "GET / HTTP/1.1" 200 3142`, checking
/// every fixed part of the format; None if anything does not match.
fn parse_log_line(line: &str) -> Option<LogLine> {
    let (host, rest) = line.split_once(" - - [")?;
    let (date, rest) = rest.split_once("] \"")?;
    let (request, rest) = rest.rsplit_once("\" ")?;
    let (status, bytes) = rest.split_once(' ')?;
    // 25/Nov/2026:22:10:31 +0000
    let d = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| d[r].iter().all(u8::is_ascii_digit);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let date_ok = d.len() == 26
        && digits(0..2)
        && d[2] == b'/'
        && months.contains(&&date[3..6])
        && d[6] == b'/'
        && digits(7..11)
        && d[11] == b':'
        && digits(12..14)
        && d[14] == b':'
        && digits(15..17)
        && d[17] == b':'
        && digits(18..20)
        && &date[20..] == " +0000";
    if !date_ok || host.is_empty() || host.contains(' ') {
        return None;
    }
    if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = match bytes {
        "-" => None,
        n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0') => {
            Some(n.parse().ok()?)
        }
        _ => return None,
    };
    Some(LogLine {
        host: host.to_string(),
        request: request.to_string(),
        status: status.parse().ok()?,
        bytes,
    })
}

#[test]
fn log_line_parser_accepts_the_documented_example_only() {
    let line =
        parse_log_line("127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] \"GET / HTTP/1.1\" 200 3142")
            .unwrap();
    assert_eq!(line.host, "127.0.0.1");
    assert_eq!(line.request, "GET / HTTP/1.1");
    assert_eq!(line.status, 200);
    assert_eq!(line.bytes, Some(3142));
    for bad in [
        "127.0.0.1 - - [25/Nov/2026:22:10:31] \"GET / HTTP/1.1\" 200 3142",
        "127.0.0.1 - - [2026-11-25 22:10:31 +0000] \"GET / HTTP/1.1\" 200 3142",
        "127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] \"GET / HTTP/1.1\" 200",
        "127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] \"GET / HTTP/1.1\" 200 0",
        "127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] GET / HTTP/1.1 200 3142",
        "\u{1b}[32m127.0.0.1 - - [25/Nov/2026:22:10:31 +0000] \"GET / HTTP/1.1\" 200 3142\u{1b}[0m",
    ] {
        let parsed = parse_log_line(bad);
        assert!(
            parsed.is_none() || parsed.is_some_and(|p| p.host.contains('\u{1b}')),
            "{bad}"
        );
    }
}

#[test]
fn the_access_log_has_one_common_log_format_line_per_request() {
    let site = Site::example();
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\n+++\n\nNotes.\n",
    );
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0"]);
    let addr = serve.loopback_addr();
    serve.start_up_lines();
    let mp3 = format!("/{}", fingerprinted(&site.dist(), "introduction", "mp3"));
    let etag = {
        let first = http::get(addr, "/");
        let line = serve.next_stderr(LINE_TIMEOUT).expect("a log line");
        check_log_line(&line, "GET / HTTP/1.1", &first, false);
        first.expect_header("ETag").to_string()
    };

    let cases: Vec<(&str, String, Fields, u16)> = vec![
        ("HEAD", "/".into(), vec![], 200),
        ("GET", "/".into(), vec![("If-None-Match", &etag)], 304),
        ("GET", mp3.clone(), vec![("Range", "bytes=0-99")], 206),
        ("GET", mp3.clone(), vec![], 200),
        ("GET", "/missing".into(), vec![], 404),
        ("GET", "/notes".into(), vec![], 301),
        ("GET", "/notes/".into(), vec![], 200),
        ("GET", "/%zz".into(), vec![], 400),
        ("DELETE", "/".into(), vec![], 405),
    ];
    for (method, target, headers, status) in &cases {
        let mut all = vec![("Connection", "close")];
        all.extend_from_slice(headers);
        let raw = http::request_bytes(method, target, &all);
        let response = http::exchange(addr, &raw, *method == "HEAD");
        assert_eq!(response.status, *status, "{method} {target}");
        let line = serve
            .next_stderr(LINE_TIMEOUT)
            .unwrap_or_else(|| panic!("no log line for {method} {target}"));
        check_log_line(
            &line,
            &format!("{method} {target} HTTP/1.1"),
            &response,
            *method == "HEAD",
        );
    }
    // Exactly one line per request: nothing else was logged.
    let rest = serve.kill();
    assert!(rest.is_empty(), "more log lines than requests: {rest:#?}");
}

/// Checks `line` is the log line of `response` to `request_line`: the format, no colour, the
/// status, and the body bytes (`-` for none).
fn check_log_line(line: &str, request_line: &str, response: &Response, head_request: bool) {
    assert!(
        !line.contains('\u{1b}'),
        "colour when not a terminal: {line:?}"
    );
    let parsed = parse_log_line(line).unwrap_or_else(|| panic!("not Common Log Format: {line:?}"));
    assert_eq!(parsed.host, "127.0.0.1", "{line}");
    assert_eq!(parsed.request, request_line, "{line}");
    assert_eq!(parsed.status, response.status, "{line}");
    let sent = if head_request || response.status == 304 {
        0
    } else {
        let length = response
            .content_length()
            .unwrap_or_else(|| panic!("no Content-Length: {:?}", response.headers));
        assert_eq!(length, response.body.len() as u64);
        length
    };
    let expected = (sent > 0).then_some(sent);
    assert_eq!(parsed.bytes, expected, "{line}");
}

#[test]
fn quiet_silences_the_access_log() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0", "--quiet"]);
    let addr = serve.loopback_addr();
    serve.start_up_lines();
    for target in ["/", "/missing", "/%zz"] {
        http::get(addr, target);
    }
    let mut conn = Conn::open(addr);
    conn.send(&http::request_bytes("GET", "/", &[("Connection", "close")]));
    assert_eq!(conn.read_response().unwrap().status, 200);
    // A log line, were there one, is written right after its response: give it a moment.
    let late = serve.next_stderr(Duration::from_millis(500));
    assert_eq!(late, None, "--quiet still logged");
    let rest = serve.kill();
    assert!(rest.is_empty(), "--quiet still logged: {rest:#?}");
}

// ---- bugs ----

/// A `Content-Length` that fits in a usize but not in memory (1 TiB here) makes tiny_http's
/// `EqualReader::drop` call `vec![0; remaining]` on a worker: the allocation fails and Rust
/// aborts the whole process ("memory allocation of 1099511627776 bytes failed", SIGABRT). One
/// request of 80 bytes stops the server.
#[test]
fn an_unallocatable_content_length_does_not_abort_the_server() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0", "--quiet"]);
    let addr = serve.loopback_addr();
    let mut conn = Conn::open(addr);
    conn.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1099511627776\r\n\r\nabc");
    conn.shutdown_write();
    let _ = conn.wait_closed(Duration::from_secs(5));
    thread::sleep(Duration::from_millis(200));
    if let Some(status) = serve.child.try_wait().unwrap() {
        let stderr: Vec<String> = serve.stderr.try_iter().collect();
        panic!(
            "the server exited ({status}) after one request: {:?}",
            stderr.first()
        );
    }
    assert_eq!(http::get(addr, "/").status, 200);
}

// ---- large files ----

/// Reads `VmRSS` (in KiB) of process `pid`.
#[cfg(target_os = "linux")]
fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or_else(|| panic!("no VmRSS in {status}"));
    line.trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap()
}

/// A 1 GiB recording (a real MP3 start, then a hole) is served from disk: 20 clients reading
/// different 8 MiB ranges and one reading all of it at the same time, while the server's
/// resident memory stays under 50 MiB.
#[cfg(target_os = "linux")]
#[test]
fn a_one_gib_asset_is_streamed_from_disk() {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SIZE: u64 = 1 << 30;
    const PIECE: u64 = 8 << 20;
    const CLIENTS: u64 = 20;
    const RSS_LIMIT_KIB: u64 = 50 * 1024;

    // A file under assets/ other than the recording (which is read whole to be checked, and
    // must stay under 200 MB): a lecture video, say.
    let site = Site::example();
    let audio = site.path("assets/lecture.bin");
    let header = vec![0u8; 4096];
    {
        let mut file = std::fs::File::create(&audio).unwrap();
        file.write_all(&header).unwrap();
        file.set_len(SIZE).unwrap();
    }

    let started = Instant::now();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0", "--quiet"]);
    let addr = serve.loopback_addr();
    let build_time = started.elapsed();
    let url = "/assets/lecture.bin".to_string();
    let pid = serve.pid();
    let idle_rss = vm_rss_kib(pid);

    /// Checks that the piece of the file at `offset` is what was written: the header, then
    /// zeros. Compared slice against slice (memcmp), so it is quick even unoptimised.
    fn check_piece(header: &[u8], offset: u64, piece: &[u8]) -> bool {
        static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
        let mut at = 0usize;
        let mut ok = true;
        while at < piece.len() && ok {
            let position = offset + at as u64;
            if position < header.len() as u64 {
                let h = position as usize;
                let n = (header.len() - h).min(piece.len() - at);
                ok = piece[at..at + n] == header[h..h + n];
                at += n;
            } else {
                let n = (piece.len() - at).min(ZEROS.len());
                ok = piece[at..at + n] == ZEROS[..n];
                at += n;
            }
        }
        ok
    }

    let finished = AtomicUsize::new(0);
    let transfer_started = Instant::now();
    let (peak_rss, results) = thread::scope(|scope| {
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            let (url, header, finished) = (&url, &header, &finished);
            clients.push(scope.spawn(move || {
                // Spread over the file, 4 KiB aligned; the first one covers the header.
                let start = (SIZE / CLIENTS * i) / 4096 * 4096;
                let end = start + PIECE - 1;
                let result = (|| {
                    let mut conn = Conn::try_open(addr).map_err(|e| e.to_string())?;
                    conn.send(&http::request_bytes(
                        "GET",
                        url,
                        &[
                            ("Range", &format!("bytes={start}-{end}")),
                            ("Connection", "close"),
                        ],
                    ));
                    let mut offset = start;
                    let mut good = true;
                    let (response, received) = conn
                        .read_response_streaming(&mut |piece| {
                            good &= check_piece(header, offset, piece);
                            offset += piece.len() as u64;
                        })
                        .map_err(|e| format!("range {start}-{end}: {e}"))?;
                    if response.status != 206
                        || response.header("Content-Range")
                            != Some(format!("bytes {start}-{end}/{SIZE}").as_str())
                        || received != PIECE
                        || !good
                    {
                        return Err(format!(
                            "range {start}-{end}: {} {:?}, {received} bytes, content right: {good}",
                            response.status, response.headers
                        ));
                    }
                    Ok(received)
                })();
                finished.fetch_add(1, Ordering::SeqCst);
                result
            }));
        }
        let (url, header, finished) = (&url, &header, &finished);
        clients.push(scope.spawn(move || {
            let result = (|| {
                let mut conn = Conn::try_open(addr).map_err(|e| e.to_string())?;
                conn.send(&http::request_bytes("GET", url, &[("Connection", "close")]));
                let mut offset = 0u64;
                let mut good = true;
                let (response, received) = conn
                    .read_response_streaming(&mut |piece| {
                        good &= check_piece(header, offset, piece);
                        offset += piece.len() as u64;
                    })
                    .map_err(|e| format!("whole file: {e}"))?;
                if response.status != 200
                    || response.content_length() != Some(SIZE)
                    || received != SIZE
                    || !good
                {
                    return Err(format!(
                        "whole file: {} {:?}, {received} bytes, content right: {good}",
                        response.status, response.headers
                    ));
                }
                Ok(received)
            })();
            finished.fetch_add(1, Ordering::SeqCst);
            result
        }));

        // Sample the server's memory until every client is done (each read has a timeout, and
        // so does this loop).
        let mut peak = idle_rss;
        let deadline = Instant::now() + Duration::from_secs(120);
        while finished.load(Ordering::SeqCst) < clients.len() && Instant::now() < deadline {
            peak = peak.max(vm_rss_kib(pid));
            thread::sleep(Duration::from_millis(10));
        }
        let results: Vec<Result<u64, String>> = clients
            .into_iter()
            .map(|c| c.join().unwrap_or_else(|_| Err("client panicked".into())))
            .collect();
        (peak, results)
    });
    let transfer_time = transfer_started.elapsed();
    let total: u64 = results.iter().filter_map(|r| r.as_ref().ok()).sum();
    println!(
        "1 GiB recording: build and start {build_time:?}; {} MiB sent to {} clients in {transfer_time:?}; server VmRSS {idle_rss} KiB idle, {peak_rss} KiB at most",
        total >> 20,
        results.len()
    );
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(total, SIZE + CLIENTS * PIECE);
    assert!(
        peak_rss < RSS_LIMIT_KIB,
        "the server's VmRSS reached {peak_rss} KiB while streaming (idle: {idle_rss} KiB)"
    );
    assert!(
        serve.child.try_wait().unwrap().is_none(),
        "the server is still up"
    );
}

/// Ctrl-C (SIGINT) stops the server cleanly: a closing line, exit status 0, no panic.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() {
    let site = Site::example();
    let mut serve = Serve::spawn(site.root(), &["serve", "--port", "0", "--quiet"]);
    let addr = serve.loopback_addr();
    serve.start_up_lines();
    assert_eq!(http::get(addr, "/").status, 200);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &serve.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = serve.child.try_wait().expect("wait for profile") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 5 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status after Ctrl-C: {status:?}");
    let mut out = Vec::new();
    while let Some(line) = serve.next_stdout(LINE_TIMEOUT) {
        out.push(line);
    }
    assert!(out.iter().any(|l| l == "Stopped."), "{out:?}");
    let errors: Vec<String> = serve.stderr.try_iter().collect();
    assert!(!errors.iter().any(|l| l.contains("panicked")), "{errors:?}");
}
