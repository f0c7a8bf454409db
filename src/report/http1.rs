//! HTTP/1.x on one TCP connection, read incrementally from each direction's in-order bytes
//! (pure): message heads with `httparse`, bodies framed as RFC 9112 §6.3 says (Content-Length,
//! chunked, none for HEAD/1xx/204/304, until close), responses paired with requests in order
//! (pipelining, keep-alive). Bodies are counted, never kept; only an unfinished head is buffered.

use std::collections::VecDeque;

use super::model::{Direction, Exchange, Request, Response, Warning};

/// The most a message head (or a chunk-size line, or trailers) may take before the stream is
/// given up as not HTTP: what the parser buffers per direction at most.
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;

/// Whether `bytes` (a stream's first bytes) start like an HTTP/1.x request line: a method
/// token in capitals, a space, and a target; with the version when the line's end is there.
pub fn looks_like_request(bytes: &[u8]) -> bool {
    let method_len = bytes.iter().take(21).position(|&b| b == b' ').unwrap_or(0);
    let method = &bytes[..method_len];
    if method.len() < 3 || !method.iter().all(|b| b.is_ascii_uppercase() || *b == b'-') {
        return false;
    }
    let rest = &bytes[method_len + 1..];
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = &rest[..line_end];
    if line.first().is_none_or(|b| *b == b' ')
        || line.iter().any(|b| b.is_ascii_control() && *b != b'\r')
    {
        return false;
    }
    if line_end == rest.len() {
        // The line goes on in the next segment.
        return true;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.len() >= 9 && line[line.len() - 9..].starts_with(b" HTTP/1.")
}

/// Whether `bytes` start like an HTTP/1.x status line.
pub fn looks_like_response(bytes: &[u8]) -> bool {
    bytes.starts_with(b"HTTP/1.")
}

/// How a message body ends (RFC 9112 §6.3).
#[derive(Debug, Clone, PartialEq)]
enum Framing {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

/// Where a chunked body is.
#[derive(Debug, Clone, PartialEq)]
enum Chunk {
    /// Reading a chunk-size line (buffered).
    Size,
    /// In a chunk's data, this many bytes left.
    Data(u64),
    /// The CRLF after a chunk's data: bytes of it still expected.
    DataEnd(u8),
    /// The trailer section after the last chunk (buffered).
    Trailers,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Between messages or in a head (buffered in `buf`).
    Head,
    Body(Framing),
    /// Given up, or the connection left HTTP (101, CONNECT): bytes are ignored.
    Dead,
}

/// One direction's parser.
#[derive(Debug)]
struct Half {
    state: State,
    buf: Vec<u8>,
    /// When the head in `buf` started.
    head_at: f64,
    /// False when the stream was picked up mid-way: bytes are skipped until a segment starts
    /// with a message.
    synced: bool,
    /// The exchange whose message is being read (None for an interim response or a response
    /// with no request).
    current: Option<usize>,
}

/// Outcome of reading some body bytes.
struct BodyStep {
    used: usize,
    wire: u64,
    data: u64,
    done: bool,
}

/// The HTTP/1.x conversation on one connection.
#[derive(Debug)]
pub struct Conversation {
    requests: Half,
    responses: Half,
    /// Requests waiting for their response, oldest first: (exchange, method was HEAD,
    /// method was CONNECT).
    pending: VecDeque<(usize, bool, bool)>,
    exchanges: Vec<Exchange>,
    warnings: Vec<Warning>,
    unanswered_responses: u64,
}

impl Half {
    fn new(synced: bool) -> Half {
        Half {
            state: State::Head,
            buf: Vec::new(),
            head_at: 0.0,
            synced,
            current: None,
        }
    }
}

impl Conversation {
    /// A conversation whose client side starts at a message; `server_synced` is false when the
    /// server's stream was picked up mid-way (no SYN-ACK seen).
    pub fn new(client_synced: bool, server_synced: bool) -> Conversation {
        Conversation {
            requests: Half::new(client_synced),
            responses: Half::new(server_synced),
            pending: VecDeque::new(),
            exchanges: Vec::new(),
            warnings: Vec::new(),
            unanswered_responses: 0,
        }
    }

    /// Bytes the parser holds (unfinished heads): what memory it uses beyond its results.
    pub fn buffered(&self) -> usize {
        self.requests.buf.capacity() + self.responses.buf.capacity()
    }

    /// Whether the parser still reads this direction's bytes (false once it ended, was given
    /// up or left HTTP): when not, the caller need not keep them.
    pub fn wants(&self, direction: Direction) -> bool {
        let half = match direction {
            Direction::ToServer => &self.requests,
            Direction::ToClient => &self.responses,
        };
        half.state != State::Dead
    }

    /// Whether both directions stopped reading (ended, given up or left HTTP).
    pub fn is_done(&self) -> bool {
        self.requests.state == State::Dead && self.responses.state == State::Dead
    }

    /// The next in-order bytes of one direction, seen at `at` (seconds).
    pub fn feed(&mut self, direction: Direction, mut bytes: &[u8], at: f64) {
        let half = match direction {
            Direction::ToServer => &mut self.requests,
            Direction::ToClient => &mut self.responses,
        };
        if !half.synced {
            let start = match direction {
                Direction::ToServer => looks_like_request(bytes),
                Direction::ToClient => looks_like_response(bytes),
            };
            if !start {
                return;
            }
            half.synced = true;
        }
        while !bytes.is_empty() {
            let half = match direction {
                Direction::ToServer => &mut self.requests,
                Direction::ToClient => &mut self.responses,
            };
            match half.state.clone() {
                State::Dead => return,
                State::Head => {
                    if half.buf.is_empty() {
                        // RFC 9112 §2.2: empty lines before a request line are ignored.
                        let skip = bytes
                            .iter()
                            .position(|b| *b != b'\r' && *b != b'\n')
                            .unwrap_or(bytes.len());
                        bytes = &bytes[skip..];
                        if bytes.is_empty() {
                            return;
                        }
                        half.head_at = at;
                    }
                    let before = half.buf.len();
                    let take = bytes.len().min(MAX_HEAD - before);
                    half.buf.extend_from_slice(&bytes[..take]);
                    let parsed = match direction {
                        Direction::ToServer => self.request_head(at),
                        Direction::ToClient => self.response_head(at),
                    };
                    let half = match direction {
                        Direction::ToServer => &mut self.requests,
                        Direction::ToClient => &mut self.responses,
                    };
                    match parsed {
                        Some(head_len) => {
                            half.buf.clear();
                            half.buf.shrink_to(1024);
                            bytes = &bytes[head_len.saturating_sub(before).min(bytes.len())..];
                        }
                        None => {
                            if half.state != State::Dead && half.buf.len() >= MAX_HEAD {
                                self.give_up(direction, at);
                            }
                            return;
                        }
                    }
                }
                State::Body(mut framing) => {
                    let step = match read_body(&mut framing, &mut half.buf, bytes) {
                        Ok(step) => step,
                        Err(()) => {
                            self.give_up(direction, at);
                            return;
                        }
                    };
                    let half = match direction {
                        Direction::ToServer => &mut self.requests,
                        Direction::ToClient => &mut self.responses,
                    };
                    half.state = if step.done {
                        State::Head
                    } else {
                        State::Body(framing)
                    };
                    let current = if step.done {
                        half.current.take()
                    } else {
                        half.current
                    };
                    if let Some(exchange) = current.and_then(|i| self.exchanges.get_mut(i)) {
                        match direction {
                            Direction::ToServer => exchange.request.body_bytes += step.wire,
                            Direction::ToClient => {
                                if let Some(response) = exchange.response.as_mut() {
                                    response.body_wire_bytes += step.wire;
                                    response.body_bytes += step.data;
                                    response.end_at = at;
                                    response.complete = step.done;
                                }
                            }
                        }
                    }
                    bytes = &bytes[step.used.min(bytes.len())..];
                }
            }
        }
    }

    /// The direction's stream ended (its FIN was reached): a body read until close is
    /// complete; anything else unfinished stays incomplete.
    pub fn end(&mut self, direction: Direction) {
        let half = self.half(direction);
        let until_close = half.state == State::Body(Framing::UntilClose);
        let current = half.current.take();
        half.state = State::Dead;
        if until_close && direction == Direction::ToClient {
            if let Some(response) = current
                .and_then(|i| self.exchanges.get_mut(i))
                .and_then(|e| e.response.as_mut())
            {
                response.complete = true;
            }
        }
    }

    /// Bytes of this direction were never captured: what follows is not read (never guessed).
    pub fn abandon(&mut self, direction: Direction) {
        let half = self.half(direction);
        half.state = State::Dead;
        half.current = None;
        half.buf = Vec::new();
    }

    /// The exchanges in request order (`connection` is 0: the caller knows the index) and the
    /// warnings (with connection 0 too).
    pub fn finish(mut self) -> (Vec<Exchange>, Vec<Warning>) {
        if self.unanswered_responses > 0 {
            self.warnings.push(Warning::Other(format!(
                "{} response(s) came without a request the capture shows; they are not listed.",
                self.unanswered_responses
            )));
        }
        (self.exchanges, self.warnings)
    }

    fn half(&mut self, direction: Direction) -> &mut Half {
        match direction {
            Direction::ToServer => &mut self.requests,
            Direction::ToClient => &mut self.responses,
        }
    }

    fn give_up(&mut self, direction: Direction, at: f64) {
        self.abandon(direction);
        self.warnings.push(Warning::NotHttp {
            connection: 0,
            direction,
            at,
        });
    }

    /// Parses the request head in `requests.buf`: its length when complete.
    fn request_head(&mut self, at: f64) -> Option<usize> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let len = match request.parse(&self.requests.buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return None,
            Err(_) => {
                self.give_up(Direction::ToServer, at);
                return None;
            }
        };
        let fields = owned_fields(request.headers);
        let method = request.method.unwrap_or_default().to_string();
        let version = format!("HTTP/1.{}", request.version.unwrap_or(1));
        let framing = match request_framing(&fields) {
            Some(framing) => framing,
            None => {
                self.give_up(Direction::ToServer, at);
                return None;
            }
        };
        let index = self.exchanges.len();
        self.exchanges.push(Exchange {
            connection: 0,
            request: Request {
                at: self.requests.head_at,
                target: request.path.unwrap_or_default().to_string(),
                version,
                headers: fields,
                head_bytes: len as u64,
                body_bytes: 0,
                method: method.clone(),
            },
            response: None,
        });
        self.pending
            .push_back((index, method == "HEAD", method == "CONNECT"));
        self.requests.current = Some(index);
        self.requests.state = match framing {
            Framing::Length(0) => State::Head,
            framing => State::Body(framing),
        };
        Some(len)
    }

    /// Parses the response head in `responses.buf`: its length when complete.
    fn response_head(&mut self, at: f64) -> Option<usize> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let len = match response.parse(&self.responses.buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return None,
            Err(_) => {
                self.give_up(Direction::ToClient, at);
                return None;
            }
        };
        let status = response.code.unwrap_or(0);
        let fields = owned_fields(response.headers);
        if (100..200).contains(&status) && status != 101 {
            // 100 Continue, 103 Early Hints: interim, the final response still follows.
            return Some(len);
        }
        let (index, head, connect) = match self.pending.pop_front() {
            Some(pending) => (Some(pending.0), pending.1, pending.2),
            None => {
                self.unanswered_responses += 1;
                (None, false, false)
            }
        };
        let framing = response_framing(status, head, &fields);
        let leaves_http = status == 101 || (connect && (200..300).contains(&status));
        let complete = framing == Framing::Length(0) || leaves_http;
        if let Some(exchange) = index.and_then(|i| self.exchanges.get_mut(i)) {
            exchange.response = Some(Response {
                at: self.responses.head_at,
                end_at: at,
                version: format!("HTTP/1.{}", response.version.unwrap_or(1)),
                status,
                reason: response.reason.unwrap_or_default().to_string(),
                headers: fields,
                head_bytes: len as u64,
                body_wire_bytes: 0,
                body_bytes: 0,
                complete,
            });
        }
        if leaves_http {
            // Switching protocols or a tunnel: what follows is not HTTP/1.x.
            self.requests.state = State::Dead;
            self.responses.state = State::Dead;
            return Some(len);
        }
        self.responses.current = index;
        self.responses.state = match framing {
            Framing::Length(0) => State::Head,
            framing => State::Body(framing),
        };
        Some(len)
    }
}

fn owned_fields(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

/// Whether the last transfer coding is chunked (None when there is no Transfer-Encoding).
fn chunked_last(fields: &[(String, String)]) -> Option<bool> {
    let codings: Vec<&str> = fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    codings
        .last()
        .map(|last| last.eq_ignore_ascii_case("chunked"))
}

/// Content-Length: one value, or the same value repeated (RFC 9110 §8.6); None when invalid.
fn content_length(fields: &[(String, String)]) -> Option<Option<u64>> {
    let mut length = None;
    for (_, value) in fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        for part in value.split(',').map(str::trim) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u64 = part.parse().ok()?;
            if length.is_some_and(|l| l != n) {
                return None;
            }
            length = Some(n);
        }
    }
    Some(length)
}

/// RFC 9112 §6.3 for a request; None when the framing is invalid (a server answers 400).
fn request_framing(fields: &[(String, String)]) -> Option<Framing> {
    match chunked_last(fields) {
        Some(true) => Some(Framing::Chunked(Chunk::Size)),
        Some(false) => None,
        None => content_length(fields).map(|l| Framing::Length(l.unwrap_or(0))),
    }
}

/// RFC 9112 §6.3 for a response to a request (HEAD or not).
fn response_framing(status: u16, head: bool, fields: &[(String, String)]) -> Framing {
    if head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Framing::Length(0);
    }
    match chunked_last(fields) {
        Some(true) => Framing::Chunked(Chunk::Size),
        Some(false) => Framing::UntilClose,
        None => match content_length(fields) {
            Some(Some(length)) => Framing::Length(length),
            // No length, or an invalid one a client cannot trust: the body runs to the close.
            _ => Framing::UntilClose,
        },
    }
}

/// Reads body bytes from `input` as `framing` says, keeping only chunk-size lines and
/// trailers in `buf`. Err when the chunked framing is broken.
fn read_body(framing: &mut Framing, buf: &mut Vec<u8>, input: &[u8]) -> Result<BodyStep, ()> {
    let mut step = BodyStep {
        used: 0,
        wire: 0,
        data: 0,
        done: false,
    };
    match framing {
        Framing::Length(left) => {
            let take = (*left).min(input.len() as u64);
            *left -= take;
            step.used = take as usize;
            step.wire = take;
            step.data = take;
            step.done = *left == 0;
        }
        Framing::UntilClose => {
            step.used = input.len();
            step.wire = input.len() as u64;
            step.data = step.wire;
        }
        Framing::Chunked(chunk) => {
            while step.used < input.len() && !step.done {
                let rest = &input[step.used..];
                match chunk {
                    Chunk::Data(left) => {
                        let take = (*left).min(rest.len() as u64);
                        *left -= take;
                        step.used += take as usize;
                        step.wire += take;
                        step.data += take;
                        if *left == 0 {
                            *chunk = Chunk::DataEnd(2);
                        }
                    }
                    Chunk::DataEnd(left) => {
                        let expected: &[u8] = if *left == 2 { b"\r\n" } else { b"\n" };
                        let take = (*left as usize).min(rest.len());
                        if rest[..take] != expected[..take] {
                            return Err(());
                        }
                        *left -= take as u8;
                        step.used += take;
                        step.wire += take as u64;
                        if *left == 0 {
                            *chunk = Chunk::Size;
                        }
                    }
                    Chunk::Size | Chunk::Trailers => {
                        let before = buf.len();
                        let take = rest.len().min(MAX_HEAD - before);
                        buf.extend_from_slice(&rest[..take]);
                        let parsed = if *chunk == Chunk::Size {
                            match httparse::parse_chunk_size(buf) {
                                Ok(httparse::Status::Complete((len, size))) => {
                                    Some((len, Some(size)))
                                }
                                Ok(httparse::Status::Partial) => None,
                                Err(_) => return Err(()),
                            }
                        } else {
                            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                            match httparse::parse_headers(buf, &mut trailers) {
                                Ok(httparse::Status::Complete((len, _))) => Some((len, None)),
                                Ok(httparse::Status::Partial) => None,
                                Err(_) => return Err(()),
                            }
                        };
                        match parsed {
                            None if buf.len() >= MAX_HEAD => return Err(()),
                            None => {
                                step.used += take;
                                step.wire += take as u64;
                            }
                            Some((len, size)) => {
                                let used = len.saturating_sub(before).min(take);
                                step.used += used;
                                step.wire += used as u64;
                                buf.clear();
                                *chunk = match size {
                                    Some(0) => Chunk::Trailers,
                                    Some(size) => Chunk::Data(size),
                                    None => {
                                        step.done = true;
                                        Chunk::Size
                                    }
                                };
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(conversation: &mut Conversation, direction: Direction, parts: &[&[u8]], at: f64) {
        for (i, part) in parts.iter().enumerate() {
            conversation.feed(direction, part, at + i as f64 * 0.001);
        }
    }

    #[test]
    fn request_lines_are_recognised() {
        assert!(looks_like_request(b"GET / HTTP/1.1\r\nHost: x\r\n"));
        assert!(looks_like_request(b"OPTIONS * HTTP/1.0\r\n"));
        assert!(looks_like_request(b"POST /a/long/path?that=goes"));
        assert!(!looks_like_request(b"\x16\x03\x01\x02\x00"));
        assert!(!looks_like_request(b"SSH-2.0-OpenSSH_9.6\r\n"));
        assert!(!looks_like_request(b"GET / SMTP\r\n"));
        assert!(!looks_like_request(b"GET"));
        assert!(looks_like_response(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn content_length_keep_alive_and_pipelining() {
        let mut c = Conversation::new(true, true);
        feed_all(
            &mut c,
            Direction::ToServer,
            &[
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /h HTTP/1.1\r\nHo",
                b"st: a\r\n\r\n",
            ],
            1.0,
        );
        feed_all(
            &mut c,
            Direction::ToClient,
            &[
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234",
                b"56789HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
            ],
            2.0,
        );
        let (exchanges, warnings) = c.finish();
        assert!(warnings.is_empty());
        assert_eq!(exchanges.len(), 2);
        let first = exchanges[0].response.as_ref().unwrap();
        assert_eq!(
            (first.status, first.body_bytes, first.complete),
            (200, 10, true)
        );
        assert_eq!(first.end_at, 2.001);
        assert_eq!(exchanges[1].request.method, "HEAD");
        assert_eq!(exchanges[1].request.at, 1.0);
        let second = exchanges[1].response.as_ref().unwrap();
        assert_eq!((second.body_bytes, second.complete), (0, true));
    }

    #[test]
    fn chunked_bodies_split_anywhere_are_counted() {
        let body: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        // Every split point, byte by byte too.
        for split in 0..body.len() {
            for bytewise in [false, true] {
                let mut c = Conversation::new(true, true);
                c.feed(
                    Direction::ToServer,
                    b"GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
                    0.0,
                );
                if bytewise {
                    for b in body {
                        c.feed(Direction::ToClient, std::slice::from_ref(b), 1.0);
                    }
                } else {
                    c.feed(Direction::ToClient, &body[..split], 1.0);
                    c.feed(Direction::ToClient, &body[split..], 1.0);
                }
                let (exchanges, warnings) = c.finish();
                assert!(warnings.is_empty(), "{split}");
                let r = exchanges[0].response.as_ref().unwrap();
                assert_eq!(r.body_bytes, 11, "{split}");
                assert_eq!(
                    r.body_wire_bytes,
                    b"5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n".len() as u64,
                    "{split}"
                );
                assert!(r.complete);
                assert_eq!(exchanges[1].response.as_ref().unwrap().status, 204);
            }
        }
    }

    #[test]
    fn no_body_for_304_204_1xx_and_until_close_for_http_1_0() {
        let mut c = Conversation::new(true, true);
        c.feed(
            Direction::ToServer,
            b"GET / HTTP/1.1\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabcGET /old HTTP/1.0\r\n\r\n",
            0.0,
        );
        c.feed(
            Direction::ToClient,
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nsome",
            1.0,
        );
        c.feed(Direction::ToClient, b" more", 2.0);
        c.end(Direction::ToClient);
        let (exchanges, _) = c.finish();
        assert_eq!(exchanges.len(), 3);
        assert_eq!(exchanges[0].response.as_ref().unwrap().status, 304);
        assert_eq!(exchanges[1].request.body_bytes, 3);
        assert_eq!(exchanges[1].response.as_ref().unwrap().status, 201);
        let old = exchanges[2].response.as_ref().unwrap();
        assert_eq!((old.body_bytes, old.complete, old.end_at), (9, true, 2.0));
    }

    #[test]
    fn unfinished_bodies_and_garbage() {
        let mut c = Conversation::new(true, true);
        c.feed(Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n", 0.0);
        c.feed(
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
            1.0,
        );
        let (exchanges, _) = c.finish();
        let r = exchanges[0].response.as_ref().unwrap();
        assert_eq!((r.body_bytes, r.complete), (3, false));

        let mut c = Conversation::new(true, true);
        c.feed(
            Direction::ToServer,
            b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
            0.5,
        );
        let (exchanges, warnings) = c.finish();
        assert!(exchanges.is_empty());
        assert_eq!(
            warnings,
            vec![Warning::NotHttp {
                connection: 0,
                direction: Direction::ToServer,
                at: 0.5
            }]
        );

        let mut c = Conversation::new(true, true);
        let huge = vec![b'a'; MAX_HEAD * 2];
        c.feed(Direction::ToServer, b"GET / HTTP/1.1\r\nX: ", 0.0);
        c.feed(Direction::ToServer, &huge, 0.0);
        assert!(c.buffered() <= MAX_HEAD * 2);
        assert_eq!(c.finish().1.len(), 1);
    }

    #[test]
    fn unsynced_server_waits_for_a_status_line() {
        let mut c = Conversation::new(true, false);
        c.feed(Direction::ToClient, b"tail of an earlier body", 0.0);
        c.feed(Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n", 1.0);
        c.feed(
            Direction::ToClient,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            2.0,
        );
        let (exchanges, _) = c.finish();
        assert_eq!(exchanges[0].response.as_ref().unwrap().status, 404);
    }
}
