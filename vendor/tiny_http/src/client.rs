use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};

use std::net::SocketAddr;

use crate::common::{HTTPVersion, Method, StatusCode};
use crate::util::{RefinedTcpStream, VectoredBufWriter};
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::Request;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<BufReader<RefinedTcpStream>>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<VectoredBufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<BufReader<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // profile patch: bounds on request heads
    limits: crate::ConnectionLimits,
    // profile patch: bytes of the current request head read so far, and when it started
    head_bytes: usize,
    head_started: Option<std::time::Instant>,
    // profile patch: the bytes of the current request head, kept for the next one
    head: Vec<u8>,
    // profile patch: whether the socket's read timeout is shortened to the head's deadline
    head_deadline_set: bool,
    // profile patch: this connection's number, and how many requests it has carried
    id: u64,
    requests: u64,
}

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    WrongHeader,
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed,
    ReadIoError(IoError),
    /// profile patch: the request head is larger than `max_head_bytes`
    HeadTooLarge,
    /// profile patch: the connection was idle (no byte of a new request) until the timeout
    Idle,
    /// profile patch: the request line alone is larger than `max_head_bytes` (414)
    TargetTooLong,
    /// profile patch: the method alone is larger than `max_head_bytes`: not one this server
    /// implements (501; 414 is about the target, RFC 9110 §15.5.15)
    MethodTooLong,
    /// profile patch: a chunked body whose framing is faulty (RFC 9112 §7.1: 400)
    FaultyBody,
    /// profile patch: a chunked body longer than `max_discarded_body` (413)
    BodyTooLarge,
}

impl ReadError {
    /// profile patch: the status of the response that refuses the request, or `None` when the
    /// connection is closed without a word (idle, gone, or failed).
    fn status(&self) -> Option<u16> {
        match self {
            ReadError::WrongRequestLine | ReadError::WrongHeader | ReadError::FaultyBody => {
                Some(400)
            }
            ReadError::ReadIoError(e) if e.kind() == ErrorKind::TimedOut => Some(408),
            ReadError::ReadIoError(_) | ReadError::Idle => None,
            ReadError::ExpectationFailed => Some(417),
            ReadError::HeadTooLarge => Some(431),
            ReadError::TargetTooLong => Some(414),
            ReadError::MethodTooLong => Some(501),
            ReadError::BodyTooLarge => Some(413),
        }
    }
}

/// profile patch: writes the response with which tiny_http itself refuses a request or a
/// connection (400, 408, 413, 414, 417, 431, 501, 503, 505): no body, and `Connection: close`,
/// as the connection is closed after it (where a next request would start is not known). It carries
/// `Server: server_name` (`ConnectionLimits::server_name`), so that it names the same server as
/// the application's responses, and a `Date` (RFC 9110 §6.6.1). Written raw: `Response` drops
/// any `Connection` field it is given. Errors are ignored: the connection closes anyway.
pub(crate) fn write_refusal(mut writer: impl Write, status: u16, server_name: &str) {
    let reason = StatusCode(status).default_reason_phrase();
    let server_name = crate::request::valid_server_name(server_name);
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    // A client turned away for a moment (503) is told when to come back.
    let retry = if status == 503 {
        "Retry-After: 1\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nServer: {server_name}\r\nDate: {date}\r\n\
         Content-Length: 0\r\nConnection: close\r\n{retry}\r\n"
    );
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.flush();
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
        limits: crate::ConnectionLimits,
        id: u64,
    ) -> ClientConnection {
        let remote_addr = read_socket.peer_addr();
        let secure = read_socket.secure();

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        ClientConnection {
            source,
            sink: SequentialWriterBuilder::new(VectoredBufWriter::with_capacity(
                1024,
                write_socket,
            )),
            remote_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            limits,
            head_bytes: 0,
            head_started: None,
            head: Vec::new(),
            head_deadline_set: false,
            id,
            requests: 0,
        }
    }

    /// Reads the next line of the request head from self.next_header_source onto the end of
    /// `head`, its CRLF included. The next read will start at the first byte of the next line.
    fn read_line(&mut self, head: &mut Vec<u8>) -> Result<(), ReadError> {
        // profile patch: scans what is buffered for the line's end, rather than a call per byte
        // through `bytes()` (a fifth of the server's instructions under wrk).
        loop {
            // Only bytes that need a new read from the socket can be late: the clock is read
            // once per read, not per byte.
            let arrives_now = self.next_header_source.buffered() == 0;
            if arrives_now {
                self.wait_until_head_deadline()?;
            }
            let chunk = match self.next_header_source.fill_buf() {
                Ok([]) => {
                    return Err(ReadError::ReadIoError(IoError::new(
                        ErrorKind::ConnectionAborted,
                        "Unexpected EOF",
                    )))
                }
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // profile patch: a keep-alive connection that stays silent is closed quietly
                // (a read timeout shows as WouldBlock on Unix and TimedOut on Windows)
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(match self.head_started {
                        None => ReadError::Idle,
                        Some(_) => ReadError::ReadIoError(IoError::new(
                            ErrorKind::TimedOut,
                            "request head incomplete",
                        )),
                    });
                }
                Err(e) => return Err(ReadError::ReadIoError(e)),
            };

            // profile patch: bound the size of a request head and the time it may take, so a
            // client trickling bytes cannot hold a connection (and its thread) forever.
            let started = *self
                .head_started
                .get_or_insert_with(std::time::Instant::now);
            let room = self.limits.max_head_bytes.saturating_sub(self.head_bytes);
            if room == 0 {
                return Err(ReadError::HeadTooLarge);
            }
            if arrives_now && started.elapsed() > self.limits.head_timeout {
                return Err(ReadError::ReadIoError(IoError::new(
                    ErrorKind::TimedOut,
                    "request head too slow",
                )));
            }

            let (used, complete) = scan_head_line(head, chunk, room)?;
            self.next_header_source.consume(used);
            self.head_bytes += used;
            if complete {
                return Ok(());
            }
        }
    }

    /// profile patch: once a request head has begun, a read waits no longer than the head's
    /// deadline (`head_timeout` from its first byte), rather than `idle_timeout`: a client that
    /// sends half a head and goes silent gets its 408 when the head's time is up (10 s by
    /// default), not when the idle timer runs out after its last byte (15 s more). The socket's
    /// timeout is set again before each read that has to wait, so that it shrinks as the
    /// deadline nears; `end_head_deadline` puts back `idle_timeout` once the head is read. A
    /// head that comes whole in one read (nearly all) costs no system call for this.
    fn wait_until_head_deadline(&mut self) -> Result<(), ReadError> {
        let Some(started) = self.head_started else {
            return Ok(());
        };
        self.wait_until(started, self.limits.head_timeout)
    }

    /// profile patch: lets the next read wait no longer than what is left of `limit` from
    /// `started` (a request head's, or a discarded body's: `discard_chunked_body`); a time
    /// already up is a timeout (408).
    fn wait_until(
        &mut self,
        started: std::time::Instant,
        limit: std::time::Duration,
    ) -> Result<(), ReadError> {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(ReadError::ReadIoError(IoError::new(
                ErrorKind::TimedOut,
                "request too slow",
            )));
        }
        let wait = self.limits.idle_timeout.map_or(left, |idle| idle.min(left));
        // Not this reader's turn (a previous request still holds the socket): its wait is then
        // bounded by the idle timer alone, as upstream's.
        if let Some(socket) = self.next_header_source.get_ref() {
            if socket.set_read_timeout(Some(wait)).is_ok() {
                self.head_deadline_set = true;
            }
        }
        Ok(())
    }

    /// profile patch: reads a chunked request body that is not to be read by the application
    /// (`read_request_bodies` off) and throws it away, checking its framing as it arrives
    /// (`framing::ChunkedBody`): at most `max_discarded_body` bytes (413) within
    /// `body_timeout` (408); a fault in the framing is a 400. Then the connection's next
    /// request starts right after it, so the connection may stay open.
    fn discard_chunked_body(&mut self) -> Result<(), ReadError> {
        let started = std::time::Instant::now();
        let mut body = crate::framing::ChunkedBody::new(self.limits.max_discarded_body);
        let timed_out = || ReadError::ReadIoError(IoError::new(ErrorKind::TimedOut, "body"));
        let result = loop {
            if self.next_header_source.buffered() == 0 {
                if let Err(e) = self.wait_until(started, self.limits.body_timeout) {
                    break Err(e);
                }
            }
            let chunk = match self.next_header_source.fill_buf() {
                Ok([]) => {
                    break Err(ReadError::ReadIoError(IoError::new(
                        ErrorKind::ConnectionAborted,
                        "Unexpected EOF",
                    )))
                }
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break Err(timed_out());
                }
                Err(e) => break Err(ReadError::ReadIoError(e)),
            };
            match body.feed(chunk) {
                Ok(used) => {
                    self.next_header_source.consume(used);
                    if body.is_done() {
                        break Ok(());
                    }
                }
                Err(crate::framing::ChunkedError::Malformed) => break Err(ReadError::FaultyBody),
                Err(crate::framing::ChunkedError::TooLarge) => break Err(ReadError::BodyTooLarge),
            }
        };
        self.end_head_deadline();
        result
    }

    /// profile patch: puts back the idle timeout after a head read with its deadline.
    fn end_head_deadline(&mut self) {
        if std::mem::take(&mut self.head_deadline_set) {
            if let Some(socket) = self.next_header_source.get_ref() {
                let _ = socket.set_read_timeout(self.limits.idle_timeout);
            }
        }
    }

    /// profile patch: reads a request head up to its empty line and parses it (`parse_head`).
    /// The bytes are checked as they arrive (`scan_head_line`), and the request line as soon as
    /// it is complete: a client that sends a bad request line and then waits gets its 400 at
    /// once, not when the head's time runs out.
    fn read_head(&mut self) -> Result<Head, ReadError> {
        // The head's bytes go into a buffer kept from one request to the next.
        let mut head = std::mem::take(&mut self.head);
        head.clear();
        let parsed = self.read_head_into(&mut head);
        self.head = head;
        parsed
    }

    fn read_head_into(&mut self, head: &mut Vec<u8>) -> Result<Head, ReadError> {
        // A request line larger than the whole head may be is a request-target longer than we
        // parse: 414, as RFC 9112 §3 requires; or, when no space has ended the method, a method
        // longer than any we implement: 501 (RFC 9110 §9.1; 414 is about the target).
        let too_long = |e, head: &[u8]| match e {
            ReadError::HeadTooLarge if head.contains(&b' ') => ReadError::TargetTooLong,
            ReadError::HeadTooLarge => ReadError::MethodTooLong,
            e => e,
        };
        self.read_line(head).map_err(|e| too_long(e, head))?;
        // One empty line before the request line is ignored, as RFC 9112 §2.2 asks for
        // robustness (a client may end a body it sent with an extra CRLF).
        if head.as_slice() == b"\r\n" {
            head.clear();
            self.read_line(head).map_err(|e| too_long(e, head))?;
        }
        let request_line = parse_request_line(head)?;
        loop {
            let start = head.len();
            self.read_line(head)?;
            if head.len() - start == 2 {
                // The empty line that ends the head.
                let fields = &head[request_line.len..];
                return parse_head(request_line, fields);
            }
        }
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        // profile patch: the next request is read once the previous response has been written.
        // Upstream read on while responses were still being written, so a client pipelining
        // thousands of requests without reading had them all in flight at once: with `profile`
        // streaming each large body from a thread of its own, one connection could make the
        // server start a thread per request (3,000 pipelined GETs of a 3 MiB file: 3,000
        // threads). Responses on a connection go out in order anyway.
        self.sink.wait_for_previous();
        let Head {
            method,
            target: path,
            version,
            headers,
        } = self.read_head()?;

        // profile patch: the next request head starts afresh
        self.head_bytes = 0;
        self.head_started = None;
        self.end_head_deadline();

        // profile patch: the body's framing is decided first, for every method (RFC 9112
        // §6.3). When bodies are not read, a chunked one is still read (bounded), its framing
        // checked and its data thrown away, so that a fault in it is a 400 whatever the method,
        // and the connection can go on after it; any other body is left unread, and the
        // connection closes after the response.
        let framing = crate::framing::body_framing(
            (version.0, version.1),
            headers
                .iter()
                .map(|h| (h.field.as_str().as_str(), h.value.as_str())),
        );
        let discarded = !self.limits.read_request_bodies
            && version == HTTPVersion(1, 1)
            && framing == Ok(crate::framing::Framing::Chunked);
        if discarded {
            self.discard_chunked_body()?;
        }
        let left_unread = !self.limits.read_request_bodies
            && !discarded
            && !matches!(
                framing,
                Ok(crate::framing::Framing::NoBody | crate::framing::Framing::Length(0))
            );

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // profile patch: a request whose bytes end with its head leaves the reader where it is,
        // for the next head; only one that may go on (a body, an upgrade) hands it over, which
        // costs a channel and its allocations.
        let data_source: Box<dyn Read + Send> = if !discarded && may_read_on(&headers) {
            // follow-up for next potential request
            let mut data_source = self.source.next().unwrap();
            std::mem::swap(&mut self.next_header_source, &mut data_source);
            Box::new(data_source)
        } else {
            Box::new(std::io::empty())
        };

        // profile patch: with `read_request_bodies` off, a request whose body is left unread
        // is the last one
        let read_body = self.limits.read_request_bodies || !announces_body(&headers);
        if left_unread {
            self.no_more_requests = true;
        }

        // building the next reader
        let mut request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            // profile patch: a client gone before its address was read has none (upstream
            // panicked)
            self.remote_addr.as_ref().ok().copied().flatten(),
            data_source,
            writer,
            read_body,
        )
        .map_err(|e| {
            use crate::request;
            match e {
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => ReadError::ExpectationFailed,
            }
        })?;

        // profile patch: numbered here, in the connection's own thread, so pipelined requests
        // keep their order whichever worker takes them
        self.requests += 1;
        request.connection = (self.id, self.requests);
        request.server_name = self.limits.server_name;

        // return the request
        Ok(request)
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        let rq = match self.read() {
            Ok(rq) => rq,
            Err(e) => {
                if let Some(status) = e.status() {
                    let writer = self.sink.next().unwrap();
                    write_refusal(writer, status, self.limits.server_name);
                }
                // we don't know where the next request would start, so we have to close
                return None;
            }
        };

        // checking HTTP version
        // profile patch: below 1.0 too (`GET / HTTP/0.9` was answered 200 in HTTP/1.1), and
        // the 505 goes out through the request's own writer, then the connection closes.
        // Upstream wrote it through the next writer, which waits until the request's writer
        // is dropped, while `rq` still held it: the connection's thread waited for good,
        // holding its place under `max_connections` (1,024 such requests and the server
        // answered nobody); and it then read on, taking an unread body for a next request.
        if *rq.http_version() > (1, 1) || *rq.http_version() < (1, 0) {
            write_refusal(rq.into_writer(), 505, self.limits.server_name);
            return None;
        }

        // updating the status of the connection
        let connection_header = rq
            .headers()
            .iter()
            .find(|h| h.field.equiv("Connection"))
            .map(|h| h.value.as_str());

        let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

        match lowercase {
            Some(ref val) if val.contains("close") => self.no_more_requests = true,
            Some(ref val) if val.contains("upgrade") => self.no_more_requests = true,
            Some(ref val)
                if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
            {
                self.no_more_requests = true
            }
            None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
            _ => (),
        };

        // returning the request
        Some(rq)
    }
}

/// profile patch: moves the bytes of `chunk` up to the end of the line (its CRLF included) onto
/// the end of `line`, at most `room` of them (the rest of the head's allowance); returns how
/// many bytes of `chunk` were taken and whether the line is complete. `line` holds what earlier
/// chunks gave (and the head's earlier lines, each ending in LF); a CR can only be its last byte
/// while a line is incomplete, so a CRLF split between two chunks is still found.
///
/// A byte no request head may hold is a bad request as soon as it arrives, not when (if ever)
/// a CRLF follows: a bare LF or CR, NUL and the other control characters but HTAB (RFC 9112
/// §2.2, RFC 9110 §5.5: a field value with CR, LF or NUL MUST be rejected or cleaned), and any
/// byte that is not ASCII (a TLS handshake, say). Upstream kept a bare LF or CR inside the line,
/// so `Host: a\nX: b` was one field whose value held a line break.
fn scan_head_line(
    line: &mut Vec<u8>,
    chunk: &[u8],
    room: usize,
) -> Result<(usize, bool), ReadError> {
    let taken = |at: usize| if at >= room { Err(ReadError::HeadTooLarge) } else { Ok(at) };
    // A CR that ended the previous chunk must be followed by this chunk's LF.
    if line.last() == Some(&b'\r') {
        return match chunk.first() {
            None => Ok((0, false)),
            Some(b'\n') => {
                taken(0)?;
                line.push(b'\n');
                Ok((1, true))
            }
            Some(_) => {
                taken(0)?;
                Err(ReadError::WrongRequestLine)
            }
        };
    }
    // Most bytes are plain (visible ASCII, SP, HTAB): skip to the first one that is not.
    let limit = chunk.len().min(room);
    let Some(at) = chunk[..limit].iter().position(|&b| !is_plain_head_byte(b)) else {
        if limit < chunk.len() {
            return Err(ReadError::HeadTooLarge);
        }
        line.extend_from_slice(chunk);
        return Ok((chunk.len(), false));
    };
    if chunk[at] != b'\r' {
        return Err(ReadError::WrongRequestLine);
    }
    match chunk.get(at + 1) {
        None => {
            line.extend_from_slice(chunk);
            Ok((chunk.len(), false))
        }
        Some(&next) => {
            taken(at + 1)?;
            if next != b'\n' {
                return Err(ReadError::WrongRequestLine);
            }
            line.extend_from_slice(&chunk[..at + 2]);
            Ok((at + 2, true))
        }
    }
}

/// profile patch: whether `byte` may appear in a request head line (before its CRLF): visible
/// ASCII, SP and HTAB. CR only as the first half of the line's end, checked by the caller.
fn is_plain_head_byte(byte: u8) -> bool {
    matches!(byte, b'\t' | b' '..=b'~')
}

/// profile patch: whether a request announces a body (RFC 9112 §6.3). A `Content-Length` that
/// does not parse counts too: its bytes must not be taken for a next request.
pub(crate) fn announces_body(headers: &[crate::Header]) -> bool {
    headers.iter().any(|h| {
        h.field.equiv("Transfer-Encoding")
            || (h.field.equiv("Content-Length") && h.value.as_str().trim() != "0")
    })
}

/// profile patch: whether a request's bytes may go on past its head: a body, or another
/// protocol after `Connection: upgrade`. Otherwise its body reader is empty whatever it asks.
fn may_read_on(headers: &[crate::Header]) -> bool {
    announces_body(headers)
        || headers.iter().any(|h| {
            h.field.equiv("Connection")
                && h.value
                    .as_bytes()
                    .windows(b"upgrade".len())
                    .any(|w| w.eq_ignore_ascii_case(b"upgrade"))
        })
}

/// profile patch: a request head, parsed (`parse_head`). Its field values are as httparse
/// validated them, without the whitespace around them.
#[derive(Debug)]
struct Head {
    method: Method,
    target: String,
    version: HTTPVersion,
    headers: Vec<crate::Header>,
}

/// profile patch: a request line, parsed (`parse_request_line`).
#[derive(Debug)]
struct RequestLine {
    method: Method,
    target: String,
    version: HTTPVersion,
    /// Its length, CRLF included: where the field lines start.
    len: usize,
}

/// profile patch: how httparse reads a request line. The request line is parsed alone (as
/// soon as it arrives, see `read_head_into`), so only the options about it matter: single
/// spaces between its three words (RFC 9112 §3), as is the default, set here so that it is
/// seen to be chosen.
fn request_line_parser() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config.allow_multiple_spaces_in_request_line_delimiters(false);
    config
}

/// profile patch: parses a request line, `line` (its CRLF included), with httparse: a method
/// that is a token, one space, a target, one space, a version, and nothing else (upstream split
/// the line on spaces by hand and served `GET / HTTP/1.1 junk`).
///
/// What httparse leaves to us, and why:
/// - it skips any number of empty lines before the request line; one is allowed (RFC 9112
///   §2.2) and skipped by the caller, so an empty line here is a second one: 400;
/// - it accepts bytes above 0x7E in a target, and a bare LF as a line's end: both never get
///   here, as `scan_head_line` refuses them as they arrive;
/// - it knows only `HTTP/1.0` and `HTTP/1.1`: other versions are read by `other_version`.
fn parse_request_line(line: &[u8]) -> Result<RequestLine, ReadError> {
    if line.starts_with(b"\r\n") {
        return Err(ReadError::WrongRequestLine);
    }
    let mut no_fields = [];
    let mut request = httparse::Request::new(&mut no_fields);
    let version = match request_line_parser().parse_request(&mut request, line) {
        // The line alone is a head whose fields have not come yet.
        Ok(httparse::Status::Partial) => match request.version {
            Some(minor) => HTTPVersion(1, minor),
            None => return Err(ReadError::WrongRequestLine),
        },
        Err(httparse::Error::Version) => {
            // The method and the target were read, each followed by one space: the version
            // is the rest of the line.
            let (Some(method), Some(target)) = (request.method, request.path) else {
                return Err(ReadError::WrongRequestLine);
            };
            let word = line
                .get(method.len() + target.len() + 2..line.len() - 2)
                .ok_or(ReadError::WrongRequestLine)?;
            other_version(word)?
        }
        _ => return Err(ReadError::WrongRequestLine),
    };
    match (request.method, request.path) {
        (Some(method), Some(target)) => Ok(RequestLine {
            method: method.parse().map_err(|_| ReadError::WrongRequestLine)?,
            target: target.to_owned(),
            version,
            len: line.len(),
        }),
        _ => Err(ReadError::WrongRequestLine),
    }
}

/// profile patch: a version that httparse does not take, `HTTP/` DIGIT `.` DIGIT (RFC 9112
/// §2.3). A higher minor version of HTTP/1 is read as HTTP/1.1, the highest this server
/// speaks, and so answered as HTTP/1.1 (RFC 9110 §2.5, RFC 9112 §2.6; upstream answered 400).
/// Another major version (`HTTP/2.0` in an HTTP/1 request line, `HTTP/0.9`) is returned as it
/// is, for a 505.
fn other_version(word: &[u8]) -> Result<HTTPVersion, ReadError> {
    match *word {
        [b'H', b'T', b'T', b'P', b'/', major @ b'0'..=b'9', b'.', minor @ b'0'..=b'9'] => {
            Ok(match (major - b'0', minor - b'0') {
                (1, _) => HTTPVersion(1, 1),
                (major, minor) => HTTPVersion(major, minor),
            })
        }
        _ => Err(ReadError::WrongRequestLine),
    }
}

/// profile patch: parses the field lines of a request head with httparse: `fields` holds them
/// and the empty line that ends the head, every line ending in CRLF (as `read_head_into` reads
/// them). `httparse::parse_headers` applies httparse's strict defaults, which are what we want:
/// a field line starting with whitespace (obs-fold, RFC 9112 §5.2; or whitespace before the
/// first field, §2.2), whitespace before the colon (§5.1), a name that is not a token (RFC 9110
/// §5.1: upstream took `: v` as a field with an empty name) and a line without a colon are
/// errors (400), not fields to skip or to join.
fn parse_head(line: RequestLine, fields: &[u8]) -> Result<Head, ReadError> {
    let refused = || ReadError::WrongHeader;
    // One entry per line is enough: every line but the last (empty) one holds one field.
    let lines = fields.iter().filter(|&&b| b == b'\n').count();
    let mut on_stack = [httparse::EMPTY_HEADER; 32];
    let mut on_heap = Vec::new();
    let slots = if lines <= on_stack.len() {
        &mut on_stack[..lines]
    } else {
        on_heap.resize(lines, httparse::EMPTY_HEADER);
        &mut on_heap[..]
    };
    let parsed = match httparse::parse_headers(fields, slots) {
        Ok(httparse::Status::Complete((len, parsed))) if len == fields.len() => parsed,
        _ => return Err(refused()),
    };
    let mut headers = Vec::with_capacity(parsed.len());
    for field in parsed {
        // httparse allows bytes above 0x7E in a value; `scan_head_line` refused them already.
        let header = crate::Header::from_bytes(field.name.as_bytes(), field.value)
            .map_err(|_| refused())?;
        headers.push(header);
    }
    Ok(Head {
        method: line.method,
        target: line.target,
        version: line.version,
        headers,
    })
}

#[cfg(test)]
mod test {
    use crate::common::HTTPVersion;

    /// Parses `line` as a request line (a CRLF is added).
    fn request_line(line: &str) -> Result<super::RequestLine, super::ReadError> {
        super::parse_request_line(format!("{line}\r\n").as_bytes())
    }

    #[test]
    fn test_parse_request_line() {
        let line = request_line("GET /hello HTTP/1.1").unwrap();

        assert!(line.method == crate::Method::Get);
        assert!(line.target == "/hello");
        assert!(line.version == HTTPVersion(1, 1));
        assert_eq!(line.len, "GET /hello HTTP/1.1\r\n".len());

        assert!(request_line("GET /hello").is_err());
        assert!(request_line("qsd qsd qsd").is_err());
    }

    // profile patch: the checks that turn malformed heads into a 400 at once.
    #[test]
    fn a_request_line_has_three_words() {
        for bad in [
            "GET / HTTP/1.1 junk",
            "GET / HTTP/1.1 ",
            "GET  / HTTP/1.1",
            "GET /  HTTP/1.1",
            " GET / HTTP/1.1",
            "GET\t/\tHTTP/1.1",
            "GET / ",
            "GET /",
            "GET",
            "",
        ] {
            assert!(request_line(bad).is_err(), "{:?}", bad);
        }
        // A second empty line (the caller skips the first).
        assert!(super::parse_request_line(b"\r\nGET / HTTP/1.1\r\n").is_err());
        let line = request_line("get /a?b=c HTTP/1.0").unwrap();
        assert_eq!(line.method.as_str(), "get", "methods are case-sensitive");
        assert_eq!((line.target.as_str(), line.version), ("/a?b=c", HTTPVersion(1, 0)));
    }

    #[test]
    fn a_higher_minor_version_of_http_1_is_read_as_1_1() {
        for version in ["HTTP/1.2", "HTTP/1.9"] {
            let line = request_line(&format!("GET / {version}")).unwrap();
            assert_eq!(line.version, HTTPVersion(1, 1), "{}", version);
        }
        // Other major versions are kept as they are, for a 505.
        for (version, parsed) in [
            ("HTTP/0.9", HTTPVersion(0, 9)),
            ("HTTP/2.0", HTTPVersion(2, 0)),
            ("HTTP/3.0", HTTPVersion(3, 0)),
        ] {
            let line = request_line(&format!("PRI * {version}")).unwrap();
            assert_eq!(line.version, parsed, "{version}");
        }
        // Not a version at all: 400.
        for bad in [
            "HTTP/1.10",
            "HTTP/11.1",
            "HTTP/1",
            "HTTP/1.",
            "http/1.1",
            "HTTP/1.1x",
            "HTTP/a.b",
            "HTTPS/1.1",
        ] {
            assert!(request_line(&format!("GET / {bad}")).is_err(), "{}", bad);
        }
    }

    /// Parses `fields` (each line ending in CRLF, then the empty line) after `GET / HTTP/1.1`.
    fn head(fields: &str) -> Result<super::Head, super::ReadError> {
        let line = request_line("GET / HTTP/1.1").unwrap();
        super::parse_head(line, format!("{fields}\r\n").as_bytes())
    }

    #[test]
    fn fields_are_parsed_and_their_values_trimmed() {
        let parsed = head("Host: a\r\nX-Empty:\r\nX-Spaced: \t b c \t\r\n").unwrap();
        let fields: Vec<(&str, &str)> = parsed
            .headers
            .iter()
            .map(|h| (h.field.as_str().as_str(), h.value.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("Host", "a"), ("X-Empty", ""), ("X-Spaced", "b c")]
        );
        assert!(head("").unwrap().headers.is_empty());
        // More fields than fit on the stack.
        let many: String = (0..100).map(|n| format!("X-{n}: {n}\r\n")).collect();
        assert_eq!(head(&many).unwrap().headers.len(), 100);
    }

    #[test]
    fn malformed_field_lines_are_refused() {
        for bad in [
            "X-A: a\r\n b\r\n",
            " Host: x\r\n",
            "\tHost: x\r\n",
            "Host : x\r\n",
            "Host\t: x\r\n",
            "foo\r\n",
            ": v\r\n",
            "X(A): v\r\n",
            "X\"A: v\r\n",
            "X@A: v\r\n",
            "X/A: v\r\n",
            "X A: v\r\n",
        ] {
            assert!(
                matches!(head(bad), Err(super::ReadError::WrongHeader)),
                "{:?}",
                bad
            );
        }
        for good in ["Host: x\r\n", "x-a: 1\r\n", "a!#$%&'*+-.^_`|~9: v\r\n"] {
            assert!(head(good).is_ok(), "{:?}", good);
        }
    }

    #[test]
    fn head_bytes_are_visible_ascii_sp_and_htab() {
        for byte in 0u8..=255 {
            let allowed = byte == b'\t' || (b' '..=b'~').contains(&byte);
            assert_eq!(super::is_plain_head_byte(byte), allowed, "{byte:#04x}");
        }
    }

    /// Feeds `chunks` to `scan_head_line` one after the other, as successive reads would.
    fn scan(chunks: &[&[u8]], room: usize) -> Result<(Vec<u8>, usize), super::ReadError> {
        let mut line = Vec::new();
        let mut room = room;
        for chunk in chunks {
            let (used, complete) = super::scan_head_line(&mut line, chunk, room)?;
            room -= used;
            if complete {
                // The line is kept with its CRLF; the checks below look at what precedes it.
                assert!(line.ends_with(b"\r\n"), "{:?}", line);
                line.truncate(line.len() - 2);
                return Ok((line, used));
            }
            assert_eq!(used, chunk.len(), "an incomplete line takes the whole chunk");
        }
        panic!("no end of line in {:?}", chunks);
    }

    #[test]
    fn a_line_ends_at_its_crlf_and_leaves_the_rest() {
        let (line, used) = scan(&[b"GET / HTTP/1.1\r\nHost: a\r\n"], 100).unwrap();
        assert_eq!(line, b"GET / HTTP/1.1");
        assert_eq!(used, 16, "the next line starts after the LF");
        let (line, used) = scan(&[b"\r\nGET"], 100).unwrap();
        assert_eq!((line.len(), used), (0, 2), "an empty line");
    }

    #[test]
    fn a_line_split_across_reads_is_joined() {
        let (line, used) = scan(&[b"GET /a", b"bc HTT", b"P/1.1\r\nX"], 100).unwrap();
        assert_eq!(line, b"GET /abc HTTP/1.1");
        assert_eq!(used, 7);
        // One byte at a time, as a trickling client sends it.
        let bytes = b"Host: x\r\n";
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        let (line, used) = scan(&chunks, 100).unwrap();
        assert_eq!((&line[..], used), (&b"Host: x"[..], 1));
    }

    #[test]
    fn a_crlf_split_across_reads_ends_the_line() {
        let (line, used) = scan(&[b"Host: x\r", b"\nAccept: */*\r\n"], 100).unwrap();
        assert_eq!((&line[..], used), (&b"Host: x"[..], 1));
        // A CR at the end of one read and anything but LF at the start of the next is a bare CR.
        assert!(matches!(
            scan(&[b"Host: x\r", b"X: y\r\n"], 100),
            Err(super::ReadError::WrongRequestLine)
        ));
    }

    #[test]
    fn a_line_longer_than_the_room_left_is_too_large() {
        let long = [b'a'; 3000];
        let chunks: Vec<&[u8]> = long.chunks(1024).collect();
        assert!(matches!(
            scan(&chunks, 2048),
            Err(super::ReadError::HeadTooLarge)
        ));
        // Exactly the room, CRLF included, fits.
        let (line, used) = scan(&[b"abc\r", b"\n"], 5).unwrap();
        assert_eq!((&line[..], used), (&b"abc"[..], 1));
        assert!(matches!(
            scan(&[b"abc\r", b"\n"], 4),
            Err(super::ReadError::HeadTooLarge)
        ));
    }

    #[test]
    fn bad_bytes_are_refused_wherever_they_fall() {
        for bad in [&b"Host: a\nX: b\r\n"[..], b"Ho\0st\r\n", b"a\rb\r\n", b"\x16\x03\x01"] {
            for split in 0..bad.len() {
                let (first, second) = bad.split_at(split);
                assert!(
                    matches!(
                        scan(&[first, second, b"\r\n"], 100),
                        Err(super::ReadError::WrongRequestLine)
                    ),
                    "{:?} split at {}",
                    bad,
                    split
                );
            }
        }
    }

    #[test]
    fn refusals_name_the_server_and_close() {
        let mut written = Vec::new();
        super::write_refusal(&mut written, 431, "profile/1.0");
        let text = String::from_utf8(written).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{}",
            text
        );
        for field in ["Server: profile/1.0", "Content-Length: 0", "Connection: close"] {
            assert!(text.contains(&format!("\r\n{field}\r\n")), "{}", text);
        }
        assert!(text.contains("\r\nDate: "), "{}", text);
        assert!(text.ends_with("\r\n\r\n") && !text.contains("Retry-After"), "{}", text);
        let mut written = Vec::new();
        super::write_refusal(&mut written, 503, "profile/1.0");
        let text = String::from_utf8(written).unwrap();
        assert!(text.contains("\r\nRetry-After: 1\r\n"), "{}", text);
        // A name that would end the field is not sent.
        let mut written = Vec::new();
        super::write_refusal(&mut written, 400, "x\r\nSet-Cookie: a=b");
        let text = String::from_utf8(written).unwrap();
        assert!(text.contains("\r\nServer: tiny-http (Rust)\r\n"), "{}", text);
        assert!(!text.contains("Set-Cookie"), "{}", text);
    }

    #[test]
    fn only_a_body_or_an_upgrade_reads_on_past_the_head() {
        let reads_on = |fields: &[&str]| {
            let headers: Vec<crate::Header> = fields.iter().map(|f| f.parse().unwrap()).collect();
            super::may_read_on(&headers)
        };
        assert!(!reads_on(&[]));
        assert!(!reads_on(&["Host: a", "Content-Length: 0", "Connection: keep-alive"]));
        assert!(reads_on(&["Content-Length: 5"]));
        assert!(reads_on(&["Transfer-Encoding: chunked"]));
        assert!(reads_on(&["Connection: keep-alive, Upgrade"]));
        assert!(reads_on(&["Host: a", "connection: UPGRADE"]));
    }
}
