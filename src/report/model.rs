//! What `profile report` found in a capture or a HAR: connections, their TCP segments of note,
//! and the HTTP exchanges on them. Produced by `capture` (pcap/pcapng) and `har` (HAR 1.2), read
//! by the renderers (HTML, SVG, Mermaid, JSON). Pure data: no I/O here.
//!
//! Times are seconds from the first packet (capture) or the first request (HAR), as `f64`.

use std::net::SocketAddr;

/// Everything the report says, whatever the input was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// What kind of input this came from.
    pub source: Source,
    /// Wall-clock time of `t = 0`, as seconds since the Unix epoch, when the input says.
    pub started_at_unix: Option<f64>,
    /// Seconds from the first to the last packet (capture) or from the first request to the
    /// last response's end (HAR).
    pub duration: f64,
    /// The TCP connections that carried HTTP, in the order they opened (first SYN, else first
    /// segment). `Exchange::connection` indexes this.
    pub connections: Vec<Connection>,
    /// The HTTP exchanges in the order their requests started.
    pub exchanges: Vec<Exchange>,
    /// Packets of everything else, counted and skipped: ("DNS", 4), ("TLS", 31), ("QUIC", 12),
    /// ("other TCP", 3), ("other UDP", 2), ("ARP", 1), ("other", 0)... Only non-zero counts.
    pub other_traffic: Vec<(String, u64)>,
    /// Packets read, and bytes of the packets as captured.
    pub packets: u64,
    /// Bytes of all packets as captured (capture) or of all requests and responses (HAR).
    pub bytes: u64,
    /// Things the reader wants the reader of the report to know: a truncated file, a segment
    /// that was never captured, a HAR entry without a response... One sentence each, English;
    /// the renderer shows them prominently.
    pub warnings: Vec<Warning>,
}

/// A note about the input that makes the report less than complete.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// The capture ends in the middle of a record (the file was cut, or the capture was
    /// still being written): what was read before that is reported.
    Truncated { packets_read: u64 },
    /// Bytes of a TCP stream that were never captured: the HTTP after them on that stream
    /// cannot be read and is not guessed.
    MissingData {
        connection: usize,
        direction: Direction,
        bytes: u64,
        at: f64,
    },
    /// Packets cut by the capture's snap length: the payload beyond it is missing.
    SnapLength { packets: u64 },
    /// A stream whose bytes did not parse as HTTP/1.x from some point on.
    NotHttp {
        connection: usize,
        direction: Direction,
        at: f64,
    },
    /// Anything else, as one English sentence.
    Other(String),
}

/// Where the analysis came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Source {
    /// A pcap or pcapng capture.
    Capture {
        /// "pcap" or "pcapng".
        format: &'static str,
        /// The link types seen, as names: "Ethernet", "Linux cooked (SLL)", "Linux cooked
        /// v2 (SLL2)", "BSD loopback", "raw IP".
        link_types: Vec<&'static str>,
    },
    /// A HAR 1.2 file.
    Har {
        /// The `creator.name` and `creator.version`, e.g. "WebInspector 537.36".
        creator: String,
    },
    /// Nothing read yet.
    #[default]
    Unknown,
}

/// Which way bytes flowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (the side that sent the SYN, or the first request) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// How a connection ended, as far as the capture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// With FIN segments (the four-way teardown, possibly only half of it captured).
    Fin,
    /// With a reset.
    Rst,
    /// Still open when the capture stopped.
    Open,
}

/// One TCP connection that carried HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// The client's address (capture); from a HAR, unknown (`None`).
    pub client: Option<SocketAddr>,
    /// The server's address: from a capture; from a HAR, `serverIPAddress` with the URL's port
    /// when both are there.
    pub server: Option<SocketAddr>,
    /// The HAR's `connection` field (Chromium: the socket id), when the input was a HAR.
    pub har_id: Option<String>,
    /// When the first segment (normally the SYN) was seen; from a HAR, the first request.
    pub opened_at: f64,
    /// When the last segment was seen; from a HAR, the end of the last response.
    pub last_at: f64,
    /// The three-way handshake, when the capture has its SYN (None from a HAR or when the
    /// capture started after it).
    pub handshake: Option<Handshake>,
    /// The FIN and RST segments and the ACKs that answered them, in order: the teardown.
    pub teardown: Vec<Segment>,
    /// How it ended (None from a HAR).
    pub close: Option<Close>,
    /// Who sent the first FIN or the RST (None when still open, or from a HAR).
    pub closed_by: Option<Direction>,
    /// Payload bytes each way (after reassembly, retransmissions counted once).
    pub bytes_to_server: u64,
    /// Payload bytes from the server.
    pub bytes_to_client: u64,
    /// Segments that carried bytes already seen (retransmissions, overlaps).
    pub retransmissions: u64,
    /// Segments that arrived before a gap was filled (out of order).
    pub out_of_order: u64,
}

/// The three segments that open a TCP connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The client's SYN.
    pub syn: Segment,
    /// The server's SYN-ACK, if seen.
    pub syn_ack: Option<Segment>,
    /// The client's ACK of the SYN-ACK, if seen.
    pub ack: Option<Segment>,
}

/// One TCP segment worth drawing: handshake, teardown.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Seconds from t = 0.
    pub at: f64,
    /// Who sent it.
    pub direction: Direction,
    /// Flags, as Wireshark writes them in its Info column: "SYN", "SYN, ACK", "ACK",
    /// "FIN, ACK", "RST", "RST, ACK", "PSH, ACK"...
    pub flags: String,
    /// Sequence number relative to the sender's initial sequence number (as Wireshark shows).
    pub seq: u32,
    /// Acknowledgement number relative to the peer's ISN (0 when ACK is not set).
    pub ack: u32,
    /// The raw sequence number, for the reader who compares with Wireshark's "raw" column.
    pub raw_seq: u32,
    /// The advertised window (unscaled, as in the header).
    pub window: u16,
    /// The TCP options of interest.
    pub options: TcpOptions,
    /// Bytes of payload.
    pub len: u32,
}

/// TCP options a handshake negotiates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale shift count.
    pub window_scale: Option<u8>,
    /// SACK permitted.
    pub sack_permitted: bool,
    /// Timestamps option present.
    pub timestamps: bool,
}

/// One HTTP request and its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Index into `Analysis::connections`.
    pub connection: usize,
    /// The request as sent.
    pub request: Request,
    /// The response, if one was seen.
    pub response: Option<Response>,
}

/// A request as it was on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// When its first byte was seen.
    pub at: f64,
    /// "GET", "HEAD", ...
    pub method: String,
    /// The request target as sent ("/", "/assets/x.mp3", "*", or an absolute URL from a HAR).
    pub target: String,
    /// "HTTP/1.1", "HTTP/1.0" (from a HAR: its `httpVersion`, e.g. "http/2.0" or "h3").
    pub version: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Bytes of the head (request line, fields and the empty line).
    pub head_bytes: u64,
    /// Bytes of the body on the wire (after the head).
    pub body_bytes: u64,
}

/// A response as it was on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// When its first byte was seen.
    pub at: f64,
    /// When its last byte was seen (the end of the body).
    pub end_at: f64,
    /// "HTTP/1.1", "HTTP/1.0"...
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Bytes of the head.
    pub head_bytes: u64,
    /// Bytes of the body on the wire (with chunked framing, if any).
    pub body_wire_bytes: u64,
    /// Bytes of the content after the transfer coding is removed (the chunks' data); the same
    /// as `body_wire_bytes` when not chunked. Content codings (gzip, br) are not undone.
    pub body_bytes: u64,
    /// Whether the body was read to its end (false when the capture stopped, or data was
    /// missing, before it).
    pub complete: bool,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
