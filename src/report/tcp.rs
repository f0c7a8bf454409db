//! TCP connections rebuilt from captured segments (pure): keyed by their 4-tuple, each
//! direction's bytes put back in order (out-of-order segments buffered, bounded;
//! retransmissions and overlaps counted once; sequence numbers wrapping), handshakes and
//! teardowns recorded as Wireshark shows them, and the in-order bytes handed to the HTTP/1.x
//! parser. Streams that are not HTTP are only counted.
//!
//! Addresses are `core::net::SocketAddr`, the same type as `std::net`'s: data, no sockets.

use std::collections::{BTreeMap, HashMap};

use core::net::SocketAddr;

use super::http1::{self, Conversation};
use super::model::{
    Close, Connection, Direction, Exchange, Handshake, Segment, TcpOptions, Warning,
};

/// Out-of-order bytes kept per direction while waiting for a gap to fill; past this the gap
/// is taken as never captured.
pub const MAX_OUT_OF_ORDER: usize = 1024 * 1024;
/// Teardown segments kept per connection (a reset storm must not grow the report).
const MAX_TEARDOWN: usize = 16;
/// Payload segments of a connection picked up mid-way, without anything that starts an HTTP
/// message, after which it is taken as not HTTP.
const MAX_UNDECIDED: u32 = 32;

/// The TCP header fields the tracker reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// FIN.
    pub fin: bool,
    /// SYN.
    pub syn: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
    /// ACK.
    pub ack: bool,
    /// URG.
    pub urg: bool,
    /// ECE.
    pub ece: bool,
    /// CWR.
    pub cwr: bool,
}

impl Flags {
    /// As Wireshark's Info column lists them: "SYN, ACK", "FIN, ACK"...
    pub fn describe(&self) -> String {
        let names = [
            (self.fin, "FIN"),
            (self.syn, "SYN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
            (self.urg, "URG"),
            (self.ece, "ECE"),
            (self.cwr, "CWR"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        if set.is_empty() {
            "<None>".into()
        } else {
            set.join(", ")
        }
    }
}

/// One captured TCP segment.
#[derive(Debug, Clone, Default)]
pub struct TcpSegment<'a> {
    /// Raw sequence number.
    pub seq: u32,
    /// Raw acknowledgement number.
    pub ack: u32,
    /// The flags.
    pub flags: Flags,
    /// The window field as sent.
    pub window: u16,
    /// The options of interest.
    pub options: TcpOptions,
    /// The payload as captured.
    pub payload: &'a [u8],
    /// Payload bytes the capture's snap length cut off after `payload`.
    pub missing: u32,
}

/// What the tracker found, once every segment was given.
#[derive(Debug, Default)]
pub struct Tracked {
    /// The HTTP connections by opening time.
    pub connections: Vec<Connection>,
    /// Their exchanges by request time, `connection` indexing `connections`.
    pub exchanges: Vec<Exchange>,
    /// Missing data and streams that stopped being HTTP, with their connection's index.
    pub warnings: Vec<Warning>,
    /// Packets of TCP connections that were not HTTP, by kind ("TLS", "DNS", "other TCP").
    pub other: Vec<(&'static str, u64)>,
}

/// All connections of a capture.
#[derive(Debug, Default)]
pub struct Tracker {
    port: Option<u16>,
    conns: HashMap<(SocketAddr, SocketAddr), Slot>,
    done: Vec<Done>,
    other: BTreeMap<&'static str, u64>,
    /// Connections that opened and carried no byte (a browser's spare connection): reported
    /// with the HTTP ones when their server is an HTTP server of this capture, as Wireshark's
    /// conversation list shows them; at most [`MAX_IDLE`] kept.
    idle: Vec<Done>,
    opened: u64,
    peak: usize,
}

/// How many connections without payload are kept for the report; more are only counted.
const MAX_IDLE: usize = 4096;

#[derive(Debug)]
enum Slot {
    Live(Box<Conn>),
    /// A connection known not to be HTTP: its packets are only counted.
    Other(&'static str),
}

#[derive(Debug)]
struct Done {
    order: u64,
    /// Packets of the connection (counted as other traffic if it is not reported).
    packets: u64,
    connection: Connection,
    exchanges: Vec<Exchange>,
    warnings: Vec<Warning>,
}

#[derive(Debug)]
enum Kind {
    Undecided { tries: u32 },
    Http(Box<Conversation>),
    Other(&'static str),
}

/// A piece of a direction waiting for a gap before it to fill.
#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    /// Captured bytes after `data` that nobody needs (not kept, only counted).
    dropped: u64,
    /// Bytes after those that the capture cut off.
    missing: u64,
    at: f64,
}

impl Piece {
    fn len(&self) -> u64 {
        self.data.len() as u64 + self.dropped + self.missing
    }
}

#[derive(Debug, Default)]
struct Stream {
    /// The sequence number relative numbers count from (the ISN, or one before the first
    /// segment seen).
    base: Option<u32>,
    /// The sequence number of the next byte expected.
    next: Option<u32>,
    /// Bytes of the stream accounted for so far (delivered or declared missing).
    delivered: u64,
    pending: BTreeMap<u64, Piece>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin: Option<u64>,
    ended: bool,
    /// Bytes delivered (captured, once each).
    bytes: u64,
}

#[derive(Debug)]
struct Conn {
    order: u64,
    client: SocketAddr,
    server: SocketAddr,
    saw_syn: bool,
    kind: Kind,
    packets: u64,
    opened_at: f64,
    last_at: f64,
    handshake: Option<Handshake>,
    teardown: Vec<Segment>,
    /// Index 0: from the client; 1: from the server.
    streams: [Stream; 2],
    /// The acknowledgement number that answers each side's FIN, while unanswered.
    fin_ack: [Option<u32>; 2],
    close: Close,
    closed_by: Option<Direction>,
    retransmissions: u64,
    out_of_order: u64,
    warnings: Vec<Warning>,
}

fn direction(side: usize) -> Direction {
    if side == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Whether bytes start with a TLS record header (content type 20–23, version 3.x).
pub fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=23, 3, 0..=4, ..])
}

/// What a TCP connection that is not HTTP is counted as, from its ports.
fn category(a: SocketAddr, b: SocketAddr) -> &'static str {
    if a.port() == 443 || b.port() == 443 {
        "TLS"
    } else if a.port() == 53 || b.port() == 53 {
        "DNS"
    } else {
        "other TCP"
    }
}

impl Tracker {
    /// A tracker; with `port`, only connections to that server port are read as HTTP.
    pub fn new(port: Option<u16>) -> Tracker {
        Tracker {
            port,
            ..Tracker::default()
        }
    }

    /// Bytes of payload held (out-of-order pieces, unfinished heads): bounded whatever the
    /// capture's size.
    pub fn buffered(&self) -> usize {
        self.conns
            .values()
            .map(|slot| match slot {
                Slot::Live(conn) => conn.buffered(),
                Slot::Other(_) => 0,
            })
            .sum()
    }

    /// The most payload bytes one connection held at once so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// One captured segment from `src` to `dst` at `at` seconds.
    pub fn segment(&mut self, at: f64, src: SocketAddr, dst: SocketAddr, segment: &TcpSegment<'_>) {
        let key = key(src, dst);
        let opens = segment.flags.syn && !segment.flags.ack;
        let replace = match self.conns.get(&key) {
            None => true,
            Some(Slot::Other(_)) => opens,
            Some(Slot::Live(conn)) => {
                // A new SYN with another ISN: the port pair is used again.
                opens && conn.handshake.as_ref().map(|h| h.syn.raw_seq) != Some(segment.seq)
            }
        };
        if replace {
            if let Some(Slot::Live(old)) = self.conns.remove(&key) {
                self.finish_conn(*old);
            }
            // A SYN-ACK first: its sender is the server.
            let (client, server) = if segment.flags.syn && segment.flags.ack {
                (dst, src)
            } else {
                (src, dst)
            };
            self.opened += 1;
            let conn = Conn::new(self.opened, client, server, at);
            self.conns.insert(key, Slot::Live(Box::new(conn)));
        }
        let Some(slot) = self.conns.get_mut(&key) else {
            return;
        };
        let conn = match slot {
            Slot::Other(kind) => {
                *self.other.entry(kind).or_default() += 1;
                return;
            }
            Slot::Live(conn) => conn,
        };
        conn.segment(at, src, segment, self.port);
        self.peak = self.peak.max(conn.buffered());
        if let Kind::Other(kind) = conn.kind {
            *self.other.entry(kind).or_default() += conn.packets;
            *slot = Slot::Other(kind);
        }
    }

    /// Everything found, once the capture has ended.
    pub fn finish(mut self) -> Tracked {
        let live: Vec<Slot> = self.conns.drain().map(|(_, slot)| slot).collect();
        for slot in live {
            if let Slot::Live(conn) = slot {
                self.finish_conn(*conn);
            }
        }
        let mut done = std::mem::take(&mut self.done);
        let http_servers: std::collections::HashSet<SocketAddr> =
            done.iter().filter_map(|d| d.connection.server).collect();
        for spare in std::mem::take(&mut self.idle) {
            match spare.connection.server {
                Some(server) if http_servers.contains(&server) => done.push(spare),
                server => {
                    let client = spare.connection.client;
                    let packets = spare.packets;
                    if let (Some(client), Some(server)) = (client, server) {
                        *self.other.entry(category(client, server)).or_default() += packets;
                    }
                }
            }
        }
        done.sort_by(|a, b| {
            a.connection
                .opened_at
                .total_cmp(&b.connection.opened_at)
                .then(a.order.cmp(&b.order))
        });
        let mut tracked = Tracked::default();
        for (index, item) in done.into_iter().enumerate() {
            tracked.connections.push(item.connection);
            tracked
                .exchanges
                .extend(item.exchanges.into_iter().map(|mut e| {
                    e.connection = index;
                    e
                }));
            tracked
                .warnings
                .extend(item.warnings.into_iter().map(|w| with_connection(w, index)));
        }
        tracked
            .exchanges
            .sort_by(|a, b| a.request.at.total_cmp(&b.request.at));
        tracked.other = self.other.into_iter().filter(|(_, n)| *n > 0).collect();
        tracked
    }

    fn finish_conn(&mut self, mut conn: Conn) {
        conn.flush();
        let kind = std::mem::replace(&mut conn.kind, Kind::Other("other TCP"));
        match kind {
            Kind::Http(conversation) => {
                let (exchanges, mut warnings) = conversation.finish();
                let mut all = std::mem::take(&mut conn.warnings);
                all.append(&mut warnings);
                self.done.push(Done {
                    order: conn.order,
                    packets: conn.packets,
                    connection: conn.into_connection(),
                    exchanges,
                    warnings: all,
                });
            }
            Kind::Undecided { .. }
                if conn.saw_syn
                    && conn.streams.iter().all(|s| s.bytes == 0)
                    && self.idle.len() < MAX_IDLE =>
            {
                let packets = conn.packets;
                self.idle.push(Done {
                    order: conn.order,
                    packets,
                    connection: conn.into_connection(),
                    exchanges: Vec::new(),
                    warnings: Vec::new(),
                });
            }
            Kind::Undecided { .. } => {
                *self
                    .other
                    .entry(category(conn.client, conn.server))
                    .or_default() += conn.packets;
            }
            Kind::Other(kind) => *self.other.entry(kind).or_default() += conn.packets,
        }
    }
}

fn with_connection(warning: Warning, index: usize) -> Warning {
    match warning {
        Warning::MissingData {
            direction,
            bytes,
            at,
            ..
        } => Warning::MissingData {
            connection: index,
            direction,
            bytes,
            at,
        },
        Warning::NotHttp { direction, at, .. } => Warning::NotHttp {
            connection: index,
            direction,
            at,
        },
        other => other,
    }
}

impl Conn {
    fn new(order: u64, client: SocketAddr, server: SocketAddr, at: f64) -> Conn {
        Conn {
            order,
            client,
            server,
            saw_syn: false,
            kind: Kind::Undecided { tries: 0 },
            packets: 0,
            opened_at: at,
            last_at: at,
            handshake: None,
            teardown: Vec::new(),
            streams: [Stream::default(), Stream::default()],
            fin_ack: [None, None],
            close: Close::Open,
            closed_by: None,
            retransmissions: 0,
            out_of_order: 0,
            warnings: Vec::new(),
        }
    }

    fn buffered(&self) -> usize {
        let streams: usize = self.streams.iter().map(|s| s.pending_bytes).sum();
        match &self.kind {
            Kind::Http(conversation) => streams + conversation.buffered(),
            _ => streams,
        }
    }

    fn segment(&mut self, at: f64, src: SocketAddr, segment: &TcpSegment<'_>, port: Option<u16>) {
        self.packets += 1;
        self.last_at = self.last_at.max(at);
        let flags = segment.flags;
        if !self.saw_syn
            && matches!(self.kind, Kind::Undecided { .. })
            && !segment.payload.is_empty()
        {
            // Picked up mid-way: the side whose bytes start a request is the client, the
            // one whose bytes start a response the server.
            let from_client = src == self.client;
            if (!from_client && http1::looks_like_request(segment.payload))
                || (from_client && http1::looks_like_response(segment.payload))
            {
                std::mem::swap(&mut self.client, &mut self.server);
                self.streams.swap(0, 1);
                self.fin_ack.swap(0, 1);
            }
        }
        let side = usize::from(src != self.client);
        let other = 1 - side;

        if flags.syn {
            self.handshake_segment(at, side, segment);
        } else if self.streams[side].next.is_none() {
            self.streams[side].next = Some(segment.seq);
            self.streams[side].base = Some(segment.seq.wrapping_sub(1));
        }
        // Described (a String, options copied) only when it is drawn: most segments are not.
        if side == 0 && !flags.syn && flags.ack {
            let answers = self.handshake.as_ref().is_some_and(|h| {
                h.ack.is_none()
                    && h.syn_ack
                        .as_ref()
                        .is_some_and(|s| s.raw_seq.wrapping_add(1) == segment.ack)
            });
            if answers {
                let described = self.describe(at, side, segment);
                if let Some(handshake) = self.handshake.as_mut() {
                    handshake.ack = Some(described);
                }
            }
        }
        // The ACK answering the other side's FIN.
        let mut teardown = flags.fin || flags.rst;
        if flags.ack {
            if let Some(wanted) = self.fin_ack[other] {
                if (segment.ack.wrapping_sub(wanted) as i32) >= 0 {
                    self.fin_ack[other] = None;
                    teardown = true;
                }
            }
        }
        if teardown && self.teardown.len() < MAX_TEARDOWN {
            let described = self.describe(at, side, segment);
            self.teardown.push(described);
        }
        if flags.rst {
            self.close = Close::Rst;
            self.closed_by.get_or_insert(direction(side));
        }

        let len = segment.payload.len() as u64 + u64::from(segment.missing);
        if len > 0 && !flags.syn {
            self.receive(
                side,
                at,
                segment.seq,
                segment.payload,
                u64::from(segment.missing),
                port,
            );
        } else if len > 0 {
            // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
            self.receive(
                side,
                at,
                segment.seq.wrapping_add(1),
                segment.payload,
                u64::from(segment.missing),
                port,
            );
        }
        if flags.fin {
            let fin_seq = segment
                .seq
                .wrapping_add(u32::from(flags.syn))
                .wrapping_add(len as u32);
            if self.close != Close::Rst {
                self.close = Close::Fin;
            }
            self.closed_by.get_or_insert(direction(side));
            self.fin_ack[side].get_or_insert(fin_seq.wrapping_add(1));
            let stream = &mut self.streams[side];
            if stream.fin.is_none() {
                if let Some(next) = stream.next {
                    let offset = i64::from(fin_seq.wrapping_sub(next) as i32);
                    stream.fin = u64::try_from(stream.delivered as i64 + offset).ok();
                }
            }
            self.check_end(side);
        }
        if flags.ack {
            self.acked(other, segment.ack, at, port);
        }
    }

    fn handshake_segment(&mut self, at: f64, side: usize, segment: &TcpSegment<'_>) {
        let stream = &mut self.streams[side];
        if stream.base.is_some() && stream.base == Some(segment.seq) {
            self.retransmissions += 1;
            return;
        }
        if stream.next.is_some() {
            // A SYN in the middle of a stream already going: ignore its numbers.
            return;
        }
        stream.base = Some(segment.seq);
        stream.next = Some(segment.seq.wrapping_add(1));
        self.saw_syn = true;
        let described = self.describe(at, side, segment);
        if side == 0 && !segment.flags.ack {
            self.handshake.get_or_insert(Handshake {
                syn: described,
                syn_ack: None,
                ack: None,
            });
        } else if side == 1 {
            if let Some(handshake) = self.handshake.as_mut() {
                handshake.syn_ack.get_or_insert(described);
            }
        }
    }

    fn describe(&self, at: f64, side: usize, segment: &TcpSegment<'_>) -> Segment {
        let base = |s: usize| self.streams[s].base.unwrap_or(0);
        Segment {
            at,
            direction: direction(side),
            flags: segment.flags.describe(),
            seq: segment.seq.wrapping_sub(base(side)),
            ack: if segment.flags.ack {
                match self.streams[1 - side].base {
                    Some(b) => segment.ack.wrapping_sub(b),
                    None => segment.ack,
                }
            } else {
                0
            },
            raw_seq: segment.seq,
            window: segment.window,
            options: segment.options.clone(),
            len: segment.payload.len() as u32 + segment.missing,
        }
    }

    /// Whether the parser needs `side`'s bytes.
    fn wants(&self, side: usize) -> bool {
        match &self.kind {
            Kind::Undecided { .. } => true,
            Kind::Http(conversation) => conversation.wants(direction(side)),
            Kind::Other(_) => false,
        }
    }

    fn receive(
        &mut self,
        side: usize,
        at: f64,
        seq: u32,
        payload: &[u8],
        missing: u64,
        port: Option<u16>,
    ) {
        let stream = &mut self.streams[side];
        let Some(next) = stream.next else {
            return;
        };
        let offset = i64::from(seq.wrapping_sub(next) as i32);
        let len = payload.len() as u64 + missing;
        let Ok(start) = u64::try_from(stream.delivered as i64 + offset) else {
            // Before the stream's start: old data.
            self.retransmissions += 1;
            return;
        };
        if start + len <= stream.delivered {
            self.retransmissions += 1;
            return;
        }
        if start > stream.delivered {
            self.out_of_order += 1;
            let keep = if self.wants(side) { payload } else { &[][..] };
            let piece = Piece {
                data: keep.to_vec(),
                dropped: (payload.len() - keep.len()) as u64,
                missing,
                at,
            };
            let stream = &mut self.streams[side];
            match stream.pending.get(&start) {
                Some(old) if old.len() >= piece.len() => {
                    self.retransmissions += 1;
                    return;
                }
                Some(old) => {
                    stream.pending_bytes -= old.data.len();
                    self.retransmissions += 1;
                }
                None => {}
            }
            stream.pending_bytes += piece.data.len();
            stream.pending.insert(start, piece);
            if stream.pending_bytes > MAX_OUT_OF_ORDER {
                self.skip_gap(side, at, u64::MAX, port);
            }
            return;
        }
        if start < stream.delivered {
            self.retransmissions += 1;
        }
        let covered = stream.delivered - start;
        self.deliver_piece(side, at, payload, 0, missing, covered, port);
        self.drain(side, port);
    }

    /// Delivers what of a piece lies past `covered` bytes already accounted for.
    #[allow(clippy::too_many_arguments)]
    fn deliver_piece(
        &mut self,
        side: usize,
        at: f64,
        data: &[u8],
        dropped: u64,
        missing: u64,
        covered: u64,
        port: Option<u16>,
    ) {
        let data_len = data.len() as u64;
        if covered < data_len {
            let fresh = data.get(covered as usize..).unwrap_or_default();
            self.deliver(side, at, fresh, port);
        }
        let captured = data_len + dropped;
        if covered < captured {
            let skipped = captured - covered.max(data_len);
            self.advance(side, skipped);
            self.streams[side].bytes += skipped;
        }
        if missing > 0 {
            let total = captured + missing;
            let gap = total - covered.max(captured);
            if gap > 0 {
                self.gap(side, at, gap);
            }
        }
        self.check_end(side);
    }

    fn advance(&mut self, side: usize, n: u64) {
        let stream = &mut self.streams[side];
        stream.delivered += n;
        stream.next = stream.next.map(|next| next.wrapping_add(n as u32));
    }

    fn deliver(&mut self, side: usize, at: f64, bytes: &[u8], port: Option<u16>) {
        self.advance(side, bytes.len() as u64);
        self.streams[side].bytes += bytes.len() as u64;
        if matches!(self.kind, Kind::Undecided { .. }) {
            self.classify(side, bytes, port);
        }
        if let Kind::Http(conversation) = &mut self.kind {
            conversation.feed(direction(side), bytes, at);
        }
    }

    fn classify(&mut self, side: usize, bytes: &[u8], port: Option<u16>) {
        let Kind::Undecided { tries } = &mut self.kind else {
            return;
        };
        let port_ok = port.is_none_or(|p| self.server.port() == p);
        let starts = if side == 0 {
            http1::looks_like_request(bytes)
        } else {
            !self.saw_syn && http1::looks_like_response(bytes)
        };
        self.kind = if starts && port_ok {
            let server_synced =
                side == 1 || self.handshake.as_ref().is_some_and(|h| h.syn_ack.is_some());
            Kind::Http(Box::new(Conversation::new(side == 0, server_synced)))
        } else if looks_like_tls(bytes) {
            Kind::Other("TLS")
        } else if self.saw_syn || starts || *tries + 1 >= MAX_UNDECIDED {
            Kind::Other(category(self.client, self.server))
        } else {
            *tries += 1;
            return;
        };
        if !matches!(self.kind, Kind::Http(_)) {
            for stream in &mut self.streams {
                stream.pending.clear();
                stream.pending_bytes = 0;
            }
        }
    }

    /// Bytes of `side` the capture never had: stated, and the parser stops reading that way.
    fn gap(&mut self, side: usize, at: f64, bytes: u64) {
        self.advance(side, bytes);
        self.warnings.push(Warning::MissingData {
            connection: 0,
            direction: direction(side),
            bytes,
            at,
        });
        if let Kind::Http(conversation) = &mut self.kind {
            conversation.abandon(direction(side));
        }
        for piece in self.streams[side].pending.values_mut() {
            piece.dropped += piece.data.len() as u64;
            piece.data = Vec::new();
        }
        self.streams[side].pending_bytes = 0;
    }

    /// Declares missing the bytes up to the first pending piece or `limit` (a stream
    /// offset), whichever is first, and delivers what then follows in order.
    fn skip_gap(&mut self, side: usize, at: f64, limit: u64, port: Option<u16>) {
        let stream = &self.streams[side];
        let first = stream.pending.keys().next().copied().unwrap_or(u64::MAX);
        let to = first.min(limit);
        if to == u64::MAX || to <= stream.delivered {
            return;
        }
        let gap = to - stream.delivered;
        self.gap(side, at, gap);
        self.drain(side, port);
    }

    fn drain(&mut self, side: usize, port: Option<u16>) {
        loop {
            let stream = &mut self.streams[side];
            let Some(entry) = stream.pending.first_entry() else {
                break;
            };
            if *entry.key() > stream.delivered {
                break;
            }
            let start = *entry.key();
            let piece = entry.remove();
            stream.pending_bytes = stream.pending_bytes.saturating_sub(piece.data.len());
            let covered = stream.delivered - start;
            if covered >= piece.len() {
                continue;
            }
            self.deliver_piece(
                side,
                piece.at,
                &piece.data,
                piece.dropped,
                piece.missing,
                covered,
                port,
            );
        }
        self.check_end(side);
    }

    /// The peer acknowledged `ack`: bytes of `side` before it that were never captured are
    /// missing (the receiver had them, so no retransmission will come).
    fn acked(&mut self, side: usize, ack: u32, at: f64, port: Option<u16>) {
        let stream = &self.streams[side];
        let Some(next) = stream.next else {
            return;
        };
        if stream.ended {
            return;
        }
        let ahead = ack.wrapping_sub(next) as i32;
        if ahead <= 0 {
            return;
        }
        let mut limit = stream.delivered + ahead as u64;
        if let Some(fin) = stream.fin {
            // The FIN takes a sequence number but carries no byte.
            limit = limit.min(fin);
        }
        while self.streams[side].delivered < limit {
            let before = self.streams[side].delivered;
            self.skip_gap(side, at, limit, port);
            if self.streams[side].delivered == before {
                break;
            }
        }
    }

    fn check_end(&mut self, side: usize) {
        let stream = &mut self.streams[side];
        if !stream.ended && stream.fin == Some(stream.delivered) {
            stream.ended = true;
            if let Kind::Http(conversation) = &mut self.kind {
                conversation.end(direction(side));
            }
        }
    }

    /// At the end of the capture: gaps that never filled are missing data.
    fn flush(&mut self) {
        for side in 0..2 {
            while !self.streams[side].pending.is_empty() {
                let before = self.streams[side].delivered;
                let at = self.last_at;
                self.skip_gap(side, at, u64::MAX, None);
                if self.streams[side].delivered == before {
                    break;
                }
            }
        }
    }

    fn into_connection(self) -> Connection {
        Connection {
            client: Some(self.client),
            server: Some(self.server),
            har_id: None,
            opened_at: self.opened_at,
            last_at: self.last_at,
            handshake: self.handshake,
            teardown: self.teardown,
            close: Some(self.close),
            closed_by: self.closed_by,
            bytes_to_server: self.streams[0].bytes,
            bytes_to_client: self.streams[1].bytes,
            retransmissions: self.retransmissions,
            out_of_order: self.out_of_order,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    fn seg<'a>(seq: u32, ack: u32, flags: &str, payload: &'a [u8]) -> TcpSegment<'a> {
        TcpSegment {
            seq,
            ack,
            flags: Flags {
                syn: flags.contains('S'),
                ack: flags.contains('A'),
                fin: flags.contains('F'),
                rst: flags.contains('R'),
                psh: flags.contains('P'),
                ..Flags::default()
            },
            window: 512,
            payload,
            ..TcpSegment::default()
        }
    }

    const C: u16 = 40_000;
    const S: u16 = 80;

    /// A handshake whose sequence numbers wrap right after it.
    fn opened(tracker: &mut Tracker, client_isn: u32, server_isn: u32) {
        tracker.segment(0.0, addr(C), addr(S), &seg(client_isn, 0, "S", b""));
        tracker.segment(
            0.1,
            addr(S),
            addr(C),
            &seg(server_isn, client_isn.wrapping_add(1), "SA", b""),
        );
        tracker.segment(
            0.2,
            addr(C),
            addr(S),
            &seg(
                client_isn.wrapping_add(1),
                server_isn.wrapping_add(1),
                "A",
                b"",
            ),
        );
    }

    #[test]
    fn out_of_order_across_the_sequence_wrap() {
        let mut tracker = Tracker::new(None);
        let isn = u32::MAX - 5;
        opened(&mut tracker, isn, 7);
        let request = b"GET /wrap HTTP/1.1\r\nHost: a\r\n\r\n";
        let start = isn.wrapping_add(1);
        // The second half first (past the wrap), then the first half.
        tracker.segment(
            0.3,
            addr(C),
            addr(S),
            &seg(start.wrapping_add(10), 8, "PA", &request[10..]),
        );
        assert_eq!(tracker.buffered(), request.len() - 10);
        tracker.segment(0.4, addr(C), addr(S), &seg(start, 8, "PA", &request[..10]));
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        tracker.segment(
            0.5,
            addr(S),
            addr(C),
            &seg(8, start.wrapping_add(request.len() as u32), "PA", response),
        );
        let tracked = tracker.finish();
        assert_eq!(tracked.exchanges.len(), 1);
        assert_eq!(tracked.exchanges[0].request.target, "/wrap");
        assert_eq!(tracked.exchanges[0].request.at, 0.4);
        assert_eq!(tracked.connections[0].out_of_order, 1);
        assert_eq!(tracked.connections[0].bytes_to_server, request.len() as u64);
        assert!(tracked.warnings.is_empty());
    }

    #[test]
    fn a_spare_connection_to_an_http_server_is_reported_without_exchanges() {
        let mut tracker = Tracker::new(None);
        opened(&mut tracker, 100, 500);
        let request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        tracker.segment(0.3, addr(C), addr(S), &seg(101, 501, "PA", request));
        let response = b"HTTP/1.1 204 No Content\r\n\r\n";
        let acked = 101 + request.len() as u32;
        tracker.segment(0.4, addr(S), addr(C), &seg(501, acked, "PA", response));
        // The browser's spare connection: opened, never used, closed.
        let spare = SocketAddr::from(([192, 0, 2, 1], C + 1));
        tracker.segment(0.5, spare, addr(S), &seg(9, 0, "S", b""));
        tracker.segment(0.5, addr(S), spare, &seg(70, 10, "SA", b""));
        tracker.segment(0.5, spare, addr(S), &seg(10, 71, "A", b""));
        tracker.segment(0.9, spare, addr(S), &seg(10, 71, "FA", b""));
        // The same to a port that never spoke HTTP: other traffic.
        let elsewhere = SocketAddr::from(([192, 0, 2, 1], 5432));
        tracker.segment(0.6, addr(C + 2), elsewhere, &seg(9, 0, "S", b""));
        tracker.segment(0.6, elsewhere, addr(C + 2), &seg(70, 10, "SA", b""));
        let tracked = tracker.finish();
        assert_eq!(tracked.connections.len(), 2);
        assert_eq!(tracked.connections[1].client, Some(spare));
        assert_eq!(tracked.connections[1].closed_by, Some(Direction::ToServer));
        assert!(tracked.exchanges.iter().all(|e| e.connection == 0));
        assert_eq!(tracked.other, [("other TCP", 2)]);
    }

    #[test]
    fn data_the_peer_acknowledged_but_the_capture_lacks_is_missing() {
        let mut tracker = Tracker::new(None);
        opened(&mut tracker, 100, 500);
        let request = b"GET / HTTP/1.1\r\n\r\n";
        tracker.segment(0.3, addr(C), addr(S), &seg(101, 501, "PA", request));
        let acked = 101 + request.len() as u32;
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        tracker.segment(0.4, addr(S), addr(C), &seg(501, acked, "PA", head));
        // 60 body bytes never captured; the client acknowledges them.
        let next = 501 + head.len() as u32;
        tracker.segment(0.5, addr(C), addr(S), &seg(acked, next + 60, "A", b""));
        tracker.segment(
            0.6,
            addr(S),
            addr(C),
            &seg(next + 60, acked, "PA", &[b'x'; 40]),
        );
        let tracked = tracker.finish();
        assert_eq!(
            tracked.warnings,
            [Warning::MissingData {
                connection: 0,
                direction: Direction::ToClient,
                bytes: 60,
                at: 0.5
            }]
        );
        let response = tracked.exchanges[0].response.as_ref().unwrap();
        assert_eq!((response.body_bytes, response.complete), (0, false));
        assert_eq!(
            tracked.connections[0].bytes_to_client,
            head.len() as u64 + 40
        );
    }

    #[test]
    fn a_gap_still_open_at_the_end_is_missing() {
        let mut tracker = Tracker::new(None);
        opened(&mut tracker, 100, 500);
        tracker.segment(0.3, addr(C), addr(S), &seg(111, 501, "PA", b"never read"));
        let tracked = tracker.finish();
        // Not HTTP as far as the capture shows: nothing reported but the packets counted.
        assert!(tracked.connections.is_empty());
        assert_eq!(tracked.other, [("other TCP", 4)]);
    }

    #[test]
    fn syn_retransmissions_are_one_connection_and_flags_read_like_wireshark() {
        let mut tracker = Tracker::new(None);
        tracker.segment(0.0, addr(C), addr(S), &seg(9, 0, "S", b""));
        opened(&mut tracker, 9, 70);
        tracker.segment(
            0.3,
            addr(C),
            addr(S),
            &seg(10, 71, "PA", b"GET / HTTP/1.1\r\n\r\n"),
        );
        let tracked = tracker.finish();
        assert_eq!(tracked.connections.len(), 1);
        assert_eq!(tracked.connections[0].retransmissions, 1);
        let flags = Flags {
            fin: true,
            psh: true,
            ack: true,
            ..Flags::default()
        };
        assert_eq!(flags.describe(), "FIN, PSH, ACK");
        assert_eq!(Flags::default().describe(), "<None>");
    }
}
