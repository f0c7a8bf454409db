//! A tiny raw HTTP/1.1 client over `std::net::TcpStream`, for the `serve` tests: it sends bytes
//! exactly as given (no URL library normalising `..` away), reads responses by status line,
//! headers and `Content-Length`, and keeps what it read past one response for the next, so
//! pipelined responses on one connection can be read in turn. Every read and write has a
//! timeout, so a server that does not answer fails a test instead of hanging it.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long any single read or write may block unless a test says otherwise.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response head we accept, and the largest body read into memory.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// Where a streamed body goes, piece by piece.
pub type Sink<'a> = &'a mut dyn FnMut(&[u8]);

/// One response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    pub status: u16,
    /// The reason phrase, exactly as sent.
    pub reason: String,
    /// Header fields in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (empty for HEAD, 304, or when streamed to a sink).
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the only field named `name` (case-insensitive); panics if it appears more
    /// than once, since every field of ours must appear at most once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.headers_named(name);
        assert!(
            values.len() <= 1,
            "`{name}` appears {} times: {:?}",
            values.len(),
            self.headers
        );
        values.first().copied()
    }

    /// Every value of fields named `name` (case-insensitive).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of `name`, which must be present.
    pub fn expect_header(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no `{name}` in {:?}", self.headers))
    }

    /// `Content-Length` as a number, if present.
    pub fn content_length(&self) -> Option<u64> {
        self.header("Content-Length").map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("bad Content-Length {v:?}"))
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts that no header name appears twice.
    pub fn assert_no_duplicate_headers(&self) {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(
            before,
            names.len(),
            "duplicated header fields: {:?}",
            self.headers
        );
    }
}

/// One client connection.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read past the last response.
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr` (panics on failure) with [`TIMEOUT`] on reads and writes.
    pub fn open(addr: SocketAddr) -> Conn {
        Conn::try_open(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"))
    }

    /// Connects to `addr`, with [`TIMEOUT`] on reads and writes.
    pub fn try_open(addr: SocketAddr) -> io::Result<Conn> {
        assert!(
            addr.ip().is_loopback(),
            "tests only talk to loopback, not {addr}"
        );
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// The socket, e.g. to change its timeouts.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sets the read timeout.
    pub fn set_read_timeout(&self, timeout: Duration) {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
    }

    /// Writes `bytes` in one `write_all`; panics on failure.
    pub fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes)
            .unwrap_or_else(|e| panic!("send {} bytes: {e}", bytes.len()));
    }

    /// Writes `bytes` in one `write_all`.
    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads one response to a GET-like request (a body unless the status forbids one).
    pub fn read_response(&mut self) -> io::Result<Response> {
        self.read_response_to(false, None)
    }

    /// Reads one response to a HEAD request (never a body, whatever `Content-Length` says).
    pub fn read_head_response(&mut self) -> io::Result<Response> {
        self.read_response_to(true, None)
    }

    /// Reads one response, passing the body to `sink` in pieces instead of keeping it
    /// (`Response::body` stays empty). Returns the response and the number of body bytes.
    pub fn read_response_streaming(
        &mut self,
        sink: &mut dyn FnMut(&[u8]),
    ) -> io::Result<(Response, u64)> {
        let mut total = 0u64;
        let mut counting = |piece: &[u8]| {
            total += piece.len() as u64;
            sink(piece);
        };
        let response = self.read_response_to(false, Some(&mut counting))?;
        Ok((response, total))
    }

    fn read_response_to(
        &mut self,
        head_request: bool,
        mut sink: Option<Sink<'_>>,
    ) -> io::Result<Response> {
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(io::Error::other("response head too large"));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "connection closed before a complete response head (got {:?})",
                        String::from_utf8_lossy(&self.buf)
                    ),
                ));
            }
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec())
            .map_err(|_| io::Error::other("response head is not UTF-8"))?;
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("").to_string();
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
        let reason = parts.next().unwrap_or("").to_string();
        if !version.starts_with("HTTP/1.") {
            return Err(io::Error::other(format!("bad status line {status_line:?}")));
        }
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| io::Error::other(format!("bad header line {line:?}")))?;
            if name.is_empty() || name.contains(' ') {
                return Err(io::Error::other(format!("bad header name in {line:?}")));
            }
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut response = Response {
            version,
            status,
            reason,
            headers,
            body: Vec::new(),
        };

        let bodiless =
            head_request || response.status == 304 || response.status == 204 || status < 200;
        if bodiless {
            return Ok(response);
        }
        match response.content_length() {
            Some(len) => {
                if sink.is_none() && len > MAX_BODY {
                    return Err(io::Error::other(format!("body of {len} bytes is too big")));
                }
                let mut left = len;
                while left > 0 {
                    if self.buf.is_empty() && self.fill()? == 0 {
                        return Err(io::Error::new(
                            ErrorKind::UnexpectedEof,
                            format!("connection closed with {left} of {len} body bytes missing"),
                        ));
                    }
                    let take = self
                        .buf
                        .len()
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    match sink.as_mut() {
                        Some(sink) => sink(&self.buf[..take]),
                        None => response.body.extend_from_slice(&self.buf[..take]),
                    }
                    self.buf.drain(..take);
                    left -= take as u64;
                }
            }
            None => {
                // No length: the body runs to the end of the connection (RFC 9112 §6.3).
                loop {
                    match sink.as_mut() {
                        Some(sink) => sink(&self.buf),
                        None => response.body.extend_from_slice(&self.buf),
                    }
                    self.buf.clear();
                    if response.body.len() as u64 > MAX_BODY {
                        return Err(io::Error::other("unbounded body too big"));
                    }
                    match self.fill() {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) if is_reset(&e) => break,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(response)
    }

    /// Waits up to `within` for the server to close the connection; returns whatever bytes
    /// arrived first (also those already buffered). A reset counts as closed. An error of kind
    /// `TimedOut` means the connection was still open.
    pub fn wait_closed(&mut self, within: Duration) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + within;
        let mut seen = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!(
                        "still open after {within:?} (received {:?})",
                        String::from_utf8_lossy(&seen)
                    ),
                ));
            }
            self.stream
                .set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(seen),
                Ok(n) => {
                    seen.extend_from_slice(&chunk[..n]);
                    if seen.len() > MAX_BODY as usize {
                        return Err(io::Error::other("too much data while waiting for close"));
                    }
                }
                Err(e) if is_reset(&e) => return Ok(seen),
                Err(e) if is_timeout(&e) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the server closed the connection within `within` without sending anything more.
    pub fn closed_quietly(&mut self, within: Duration) -> bool {
        matches!(self.wait_closed(within), Ok(extra) if extra.is_empty())
    }

    /// Closes our side for writing (the server then sees end of input).
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into the buffer; 0 at end of input.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Whether `e` says the peer reset or aborted the connection.
pub fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// Whether `e` is a read or write timeout (WouldBlock on Unix, TimedOut on Windows).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// The bytes of a request: `METHOD TARGET HTTP/1.1`, `Host`, the given fields, blank line.
pub fn request_bytes(method: &str, target: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Sends `raw` on a new connection and reads one response (`head_request`: no body expected).
/// Then checks that nothing but the end of the connection follows when the request asked to
/// close, so a wrong `Content-Length` cannot go unnoticed.
pub fn exchange(addr: SocketAddr, raw: &[u8], head_request: bool) -> Response {
    let mut conn = Conn::open(addr);
    conn.send(raw);
    let response = if head_request {
        conn.read_head_response()
    } else {
        conn.read_response()
    }
    .unwrap_or_else(|e| {
        panic!(
            "{:?}: {e}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        )
    });
    let asked_close = String::from_utf8_lossy(raw)
        .to_ascii_lowercase()
        .contains("\r\nconnection: close\r\n");
    if asked_close {
        let extra = conn
            .wait_closed(TIMEOUT)
            .expect("the server closes after `Connection: close`");
        assert!(
            extra.is_empty(),
            "{} bytes after the response's announced end: {:?}",
            extra.len(),
            String::from_utf8_lossy(&extra[..extra.len().min(200)])
        );
    }
    response
}

/// `GET target` with `Connection: close` and the given extra fields.
pub fn get_with(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Connection", "close")];
    all.extend_from_slice(headers);
    exchange(addr, &request_bytes("GET", target, &all), false)
}

/// `GET target` with `Connection: close`.
pub fn get(addr: SocketAddr, target: &str) -> Response {
    get_with(addr, target, &[])
}

/// `HEAD target` with `Connection: close` and the given extra fields.
pub fn head_with(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Connection", "close")];
    all.extend_from_slice(headers);
    exchange(addr, &request_bytes("HEAD", target, &all), true)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}
