//! A pcap or pcapng capture, streamed, turned into an [`Analysis`]: records read with
//! pcap-parser's streaming readers (constant memory, a cut last record reported rather than
//! refused), link and IP/TCP headers sliced with etherparse, TCP and HTTP left to `tcp` and
//! `http1`. Reads only from the `Read` it is given.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use core::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TcpOptionElement, TransportSlice};
use pcap_parser::data::{get_packetdata, PacketData};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use super::model::{Analysis, Source, TcpOptions, Warning};
use super::sniff::{self, Format};
use super::tcp::{Flags, TcpSegment, Tracker};

/// What the reader is asked to look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Only connections to this server port are read as HTTP (`--port`); by default every
    /// stream whose first bytes are an HTTP request line is.
    pub port: Option<u16>,
}

/// The reader's buffer: a record must fit; it grows up to [`MAX_BUFFER`] for jumbo records.
const BUFFER: usize = 256 * 1024;
const MAX_BUFFER: usize = 16 * 1024 * 1024;
/// `progress` is called after about this many bytes.
const PROGRESS_EVERY: u64 = 1024 * 1024;
/// The order kinds of other traffic are listed in.
const OTHER_KINDS: [&str; 7] = [
    "DNS",
    "TLS",
    "QUIC",
    "other TCP",
    "other UDP",
    "ARP",
    "other",
];

/// Reads a capture (pcap or pcapng) and explains its HTTP. `progress` is called now and then
/// with the bytes read so far. A file that is not a capture is an `Err` (one sentence); a
/// capture cut in the middle of a record gives what was before it and a `Truncated` warning.
pub fn analyse<R: Read>(
    reader: R,
    options: &CaptureOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Analysis, String> {
    analyse_measured(reader, options, progress).map(|(analysis, _)| analysis)
}

/// [`analyse`], also returning the most payload bytes the TCP and HTTP state held at once
/// (sampled), which tests keep small.
pub(crate) fn analyse_measured<R: Read>(
    mut reader: R,
    options: &CaptureOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<(Analysis, usize), String> {
    let prefix = read_prefix(&mut reader)?;
    let format =
        sniff::recognise(&prefix).map_err(|what| format!("this is {what}, not a capture"))?;
    let input = Cursor::new(prefix).chain(reader);
    let mut state = State::new(options.port);
    match format {
        Format::Pcap => {
            let reader = LegacyPcapReader::new(BUFFER, input).map_err(header_error)?;
            state.format = "pcap";
            read_all(reader, &mut state, progress)?;
        }
        Format::PcapNg => {
            let reader = PcapNGReader::new(BUFFER, input).map_err(header_error)?;
            state.format = "pcapng";
            read_all(reader, &mut state, progress)?;
        }
        Format::Har => return Err("this is a HAR file, not a capture".into()),
    }
    Ok(state.finish())
}

fn header_error(error: PcapError<&[u8]>) -> String {
    match error {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            "the file ends inside the capture's header".into()
        }
        PcapError::ReadError => "the capture could not be read".into(),
        _ => "the capture's header is damaged".into(),
    }
}

/// The first bytes, enough to recognise the format and hold the header.
fn read_prefix(reader: &mut impl Read) -> Result<Vec<u8>, String> {
    let mut prefix = Vec::new();
    reader
        .by_ref()
        .take(64 * 1024)
        .read_to_end(&mut prefix)
        .map_err(|e| format!("the capture could not be read: {e}"))?;
    Ok(prefix)
}

/// One pcapng interface.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: Linktype,
    /// Timestamp units per second (None: an invalid if_tsresol).
    per_second: Option<u64>,
    /// if_tsoffset, seconds.
    offset: i64,
}

/// What is known so far.
struct State {
    format: &'static str,
    tracker: Tracker,
    packets: u64,
    bytes: u64,
    first_ns: Option<i128>,
    last_ns: i128,
    link_types: Vec<&'static str>,
    other: BTreeMap<&'static str, u64>,
    cut: u64,
    warnings: Vec<Warning>,
    /// pcap: the file's link type and whether its times are in nanoseconds.
    legacy: Option<(Linktype, bool)>,
    interfaces: Vec<Interface>,
    peak_buffered: usize,
}

fn read_all(
    mut reader: impl PcapReaderIterator,
    state: &mut State,
    progress: &mut dyn FnMut(u64),
) -> Result<(), String> {
    let mut capacity = BUFFER;
    let mut reported = 0u64;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                state.block(block);
                reader.consume(offset);
                let consumed = reader.consumed() as u64;
                if consumed - reported >= PROGRESS_EVERY {
                    reported = consumed;
                    progress(consumed);
                }
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::UnexpectedEof) => {
                state.warnings.push(Warning::Truncated {
                    packets_read: state.packets,
                });
                break;
            }
            Err(PcapError::Incomplete(_)) => {
                let before = reader.data().len();
                reader
                    .refill()
                    .map_err(|_| "the capture could not be read".to_string())?;
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // The buffer is full and still holds no whole record.
                    if !grow(&mut reader, &mut capacity, state) {
                        break;
                    }
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if !grow(&mut reader, &mut capacity, state) {
                    break;
                }
                reader
                    .refill()
                    .map_err(|_| "the capture could not be read".to_string())?;
            }
            Err(PcapError::ReadError) => return Err("the capture could not be read".into()),
            Err(_) => {
                damaged(state);
                break;
            }
        }
    }
    progress(reader.consumed() as u64);
    Ok(())
}

/// Doubles the reader's buffer for a big record; false (with a warning) past the limit.
fn grow(reader: &mut impl PcapReaderIterator, capacity: &mut usize, state: &mut State) -> bool {
    if *capacity >= MAX_BUFFER || !reader.grow(*capacity * 2) {
        damaged(state);
        return false;
    }
    *capacity *= 2;
    true
}

fn damaged(state: &mut State) {
    state.warnings.push(Warning::Other(format!(
        "The capture is damaged after packet {}: the rest of the file is not read.",
        state.packets
    )));
}

/// The Wireshark name of a link type, when it is one `profile report` reads.
fn link_name(linktype: Linktype) -> &'static str {
    match linktype.0 {
        1 => "Ethernet",
        113 => "Linux cooked (SLL)",
        276 => "Linux cooked v2 (SLL2)",
        0 | 108 => "BSD loopback",
        12 | 14 | 101 | 228 | 229 => "raw IP",
        _ => "other link type",
    }
}

impl State {
    fn new(port: Option<u16>) -> State {
        State {
            format: "pcap",
            tracker: Tracker::new(port),
            packets: 0,
            bytes: 0,
            first_ns: None,
            last_ns: 0,
            link_types: Vec::new(),
            other: BTreeMap::new(),
            cut: 0,
            warnings: Vec::new(),
            legacy: None,
            interfaces: Vec::new(),
            peak_buffered: 0,
        }
    }

    fn block(&mut self, block: PcapBlockOwned<'_>) {
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                self.legacy = Some((header.network, header.is_nanosecond_precision()));
            }
            PcapBlockOwned::Legacy(record) => {
                let Some((linktype, nanos)) = self.legacy else {
                    return;
                };
                let fraction = i128::from(record.ts_usec) * if nanos { 1 } else { 1000 };
                let ns = i128::from(record.ts_sec) * 1_000_000_000 + fraction;
                self.packet(ns, linktype, record.data, record.origlen);
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => self.interfaces.clear(),
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                self.interfaces.push(Interface {
                    linktype: idb.linktype,
                    per_second: idb.ts_resolution(),
                    offset: idb.ts_offset(),
                });
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let Some(interface) = self.interfaces.get(epb.if_id as usize).copied() else {
                    return;
                };
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ns = match interface.per_second {
                    Some(per_second) if per_second > 0 => {
                        i128::from(ticks) * 1_000_000_000 / i128::from(per_second)
                            + i128::from(interface.offset) * 1_000_000_000
                    }
                    _ => self.last_ns,
                };
                self.packet(ns, interface.linktype, epb.packet_data(), epb.origlen);
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                // No timestamp: it is taken as the previous packet's.
                let Some(interface) = self.interfaces.first().copied() else {
                    return;
                };
                let ns = self.last_ns;
                self.packet(ns, interface.linktype, spb.packet_data(), spb.origlen);
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn count(&mut self, kind: &'static str) {
        *self.other.entry(kind).or_default() += 1;
    }

    fn packet(&mut self, ns: i128, linktype: Linktype, data: &[u8], origlen: u32) {
        self.packets += 1;
        self.bytes += data.len() as u64;
        let first = *self.first_ns.get_or_insert(ns);
        self.last_ns = self.last_ns.max(ns);
        let at = (ns - first) as f64 / 1e9;
        let missing = origlen.saturating_sub(data.len() as u32);
        if missing > 0 {
            self.cut += 1;
        }
        let name = link_name(linktype);
        if !self.link_types.contains(&name) {
            self.link_types.push(name);
        }
        match slice(linktype, data) {
            Some(packet) => self.sliced(at, &packet, missing),
            None => self.count("other"),
        }
        if self.packets.is_multiple_of(4096) {
            self.peak_buffered = self.peak_buffered.max(self.tracker.buffered());
        }
    }

    fn sliced(&mut self, at: f64, packet: &LaxSlicedPacket<'_>, missing: u32) {
        let (source, destination, payload) = match &packet.net {
            Some(LaxNetSlice::Arp(_)) => return self.count("ARP"),
            Some(LaxNetSlice::Ipv4(ip)) => (
                IpAddr::V4(ip.header().source_addr()),
                IpAddr::V4(ip.header().destination_addr()),
                ip.payload(),
            ),
            Some(LaxNetSlice::Ipv6(ip)) => (
                IpAddr::V6(ip.header().source_addr()),
                IpAddr::V6(ip.header().destination_addr()),
                ip.payload(),
            ),
            None => return self.count("other"),
        };
        if payload.fragmented {
            return self.count("other");
        }
        match &packet.transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let segment = TcpSegment {
                    seq: tcp.sequence_number(),
                    ack: tcp.acknowledgment_number(),
                    flags: Flags {
                        fin: tcp.fin(),
                        syn: tcp.syn(),
                        rst: tcp.rst(),
                        psh: tcp.psh(),
                        ack: tcp.ack(),
                        urg: tcp.urg(),
                        ece: tcp.ece(),
                        cwr: tcp.cwr(),
                    },
                    window: tcp.window_size(),
                    options: options(tcp.options_iterator()),
                    payload: tcp.payload(),
                    missing: if payload.incomplete { missing } else { 0 },
                };
                self.tracker.segment(
                    at,
                    SocketAddr::new(source, tcp.source_port()),
                    SocketAddr::new(destination, tcp.destination_port()),
                    &segment,
                );
            }
            Some(TransportSlice::Udp(udp)) => {
                let ports = [udp.source_port(), udp.destination_port()];
                if ports.contains(&53) {
                    self.count("DNS");
                } else if ports.contains(&443) {
                    self.count("QUIC");
                } else {
                    self.count("other UDP");
                }
            }
            _ => self.count("other"),
        }
    }

    fn finish(mut self) -> (Analysis, usize) {
        self.peak_buffered = self
            .peak_buffered
            .max(self.tracker.buffered())
            .max(self.tracker.peak());
        let tracked = self.tracker.finish();
        for (kind, n) in tracked.other {
            *self.other.entry(kind).or_default() += n;
        }
        let mut warnings = Vec::new();
        if self.cut > 0 {
            warnings.push(Warning::SnapLength { packets: self.cut });
        }
        warnings.extend(tracked.warnings);
        warnings.extend(self.warnings);
        let first = self.first_ns.unwrap_or(0);
        let analysis = Analysis {
            source: Source::Capture {
                format: self.format,
                link_types: self.link_types,
            },
            started_at_unix: self.first_ns.map(|ns| ns as f64 / 1e9),
            duration: (self.last_ns - first).max(0) as f64 / 1e9,
            connections: tracked.connections,
            exchanges: tracked.exchanges,
            other_traffic: OTHER_KINDS
                .iter()
                .filter_map(|kind| {
                    self.other
                        .get(kind)
                        .filter(|n| **n > 0)
                        .map(|n| (kind.to_string(), *n))
                })
                .collect(),
            packets: self.packets,
            bytes: self.bytes,
            warnings,
        };
        (analysis, self.peak_buffered)
    }
}

/// The link, IP and transport headers of one record, whatever its link type.
fn slice(linktype: Linktype, data: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    match linktype.0 {
        1 => LaxSlicedPacket::from_ethernet(data).ok(),
        // BSD loopback: a 4-byte address family in the capturing host's byte order (0), or in
        // network byte order (108, OpenBSD); macOS lo0 and Npcap's loopback use 0.
        0 | 108 => {
            let family = data.get(..4)?;
            let little = u32::from_le_bytes(family.try_into().ok()?);
            let big = u32::from_be_bytes(family.try_into().ok()?);
            let family = if little < 256 { little } else { big };
            let ether_type = match family {
                2 => EtherType::IPV4,
                24 | 28 | 30 => EtherType::IPV6,
                _ => return None,
            };
            Some(LaxSlicedPacket::from_ether_type(ether_type, data.get(4..)?))
        }
        12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).ok(),
        113 | 276 => match get_packetdata(data, linktype, data.len())? {
            PacketData::L3(ether_type, rest) => Some(LaxSlicedPacket::from_ether_type(
                EtherType(ether_type),
                rest,
            )),
            _ => None,
        },
        _ => None,
    }
}

fn options(iterator: etherparse::TcpOptionsIterator<'_>) -> TcpOptions {
    let mut options = TcpOptions::default();
    for option in iterator.flatten() {
        match option {
            TcpOptionElement::MaximumSegmentSize(mss) => options.mss = Some(mss),
            TcpOptionElement::WindowScale(shift) => options.window_scale = Some(shift),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_permitted = true,
            TcpOptionElement::Timestamp(..) => options.timestamps = true,
            _ => {}
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Close, Direction, Exchange};
    use crate::report::testcap::{pcap, pcap_header, pcap_record, pcapng, Flow, Link, Record};

    fn run(bytes: &[u8]) -> Analysis {
        run_with(bytes, None)
    }

    fn run_with(bytes: &[u8], port: Option<u16>) -> Analysis {
        let options = CaptureOptions { port };
        analyse(Cursor::new(bytes.to_vec()), &options, &mut |_| {}).unwrap()
    }

    fn statuses(analysis: &Analysis) -> Vec<(String, Option<u16>)> {
        analysis
            .exchanges
            .iter()
            .map(|e| {
                (
                    e.request.target.clone(),
                    e.response.as_ref().map(|r| r.status),
                )
            })
            .collect()
    }

    fn response(exchange: &Exchange) -> &crate::report::model::Response {
        exchange.response.as_ref().unwrap()
    }

    /// One GET / answered with 200 and a 5-byte body, on a fresh connection.
    fn simple(v6: bool) -> Flow {
        let mut flow = Flow::new(v6, 50_000, 8080);
        flow.handshake();
        flow.send(true, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1460);
        flow.send(
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            1460,
        );
        flow.close();
        flow
    }

    /// The visit a lab asks about: four requests on one keep-alive connection.
    fn visit(v6: bool) -> Flow {
        let mut flow = Flow::new(v6, 50_000, 8080);
        flow.handshake();
        flow.send(true, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1460);
        let page = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\nETag: \"x\"\r\n\r\n{}",
            "p".repeat(3000)
        );
        flow.send(false, page.as_bytes(), 1460);
        flow.send(
            true,
            b"GET /a.mp3 HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99\r\n\r\n",
            1460,
        );
        let part = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-99/5000\r\nContent-Length: 100\r\n\r\n{}",
            "m".repeat(100)
        );
        flow.send(false, part.as_bytes(), 1460);
        flow.send(
            true,
            b"GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n\r\n",
            1460,
        );
        flow.send(
            false,
            b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
            1460,
        );
        flow.send(true, b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 1460);
        flow.send(
            false,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            1460,
        );
        flow.close();
        flow
    }

    #[test]
    fn a_keep_alive_visit_is_explained() {
        let flow = visit(false);
        let analysis = run(&flow.pcap(Link::Ethernet));
        assert_eq!(analysis.packets, flow.packets.len() as u64);
        assert_eq!(
            analysis.source,
            Source::Capture {
                format: "pcap",
                link_types: vec!["Ethernet"]
            }
        );
        assert_eq!(analysis.started_at_unix, Some(1_700_000_000.0));
        assert!((analysis.duration - (flow.packets.len() - 1) as f64 * 0.001).abs() < 1e-9);
        assert_eq!(analysis.connections.len(), 1);
        assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
        assert!(analysis.other_traffic.is_empty());
        assert_eq!(
            statuses(&analysis),
            [("/", 200), ("/a.mp3", 206), ("/", 304), ("/missing", 404)]
                .map(|(t, s)| (t.to_string(), Some(s)))
        );
        let page = response(&analysis.exchanges[0]);
        assert_eq!((page.body_bytes, page.complete), (3000, true));
        assert!(page.end_at > page.at);
        assert_eq!(response(&analysis.exchanges[1]).body_bytes, 100);
        assert_eq!(
            analysis.exchanges[1].request.header("range"),
            Some("bytes=0-99")
        );
        assert!(response(&analysis.exchanges[2]).complete);
        assert_eq!(response(&analysis.exchanges[3]).reason, "Not Found");

        let connection = &analysis.connections[0];
        assert_eq!(connection.client.unwrap().port(), 50_000);
        assert_eq!(connection.server.unwrap().port(), 8080);
        let handshake = connection.handshake.as_ref().unwrap();
        assert_eq!(
            (
                handshake.syn.flags.as_str(),
                handshake.syn.seq,
                handshake.syn.ack
            ),
            ("SYN", 0, 0)
        );
        assert_eq!(handshake.syn.raw_seq, 1000);
        assert_eq!(handshake.syn.options.mss, Some(1460));
        assert_eq!(handshake.syn.options.window_scale, Some(7));
        assert!(handshake.syn.options.sack_permitted && handshake.syn.options.timestamps);
        let syn_ack = handshake.syn_ack.as_ref().unwrap();
        assert_eq!(
            (syn_ack.flags.as_str(), syn_ack.seq, syn_ack.ack),
            ("SYN, ACK", 0, 1)
        );
        assert_eq!(syn_ack.direction, Direction::ToClient);
        let ack = handshake.ack.as_ref().unwrap();
        assert_eq!((ack.flags.as_str(), ack.seq, ack.ack), ("ACK", 1, 1));
        assert_eq!(connection.close, Some(Close::Fin));
        assert_eq!(connection.closed_by, Some(Direction::ToServer));
        let teardown: Vec<(&str, Direction)> = connection
            .teardown
            .iter()
            .map(|s| (s.flags.as_str(), s.direction))
            .collect();
        assert_eq!(
            teardown,
            [
                ("FIN, ACK", Direction::ToServer),
                ("ACK", Direction::ToClient),
                ("FIN, ACK", Direction::ToClient),
                ("ACK", Direction::ToServer)
            ]
        );
        let requests: u64 = analysis
            .exchanges
            .iter()
            .map(|e| e.request.head_bytes)
            .sum();
        assert_eq!(connection.bytes_to_server, requests);
        assert_eq!(
            (connection.retransmissions, connection.out_of_order),
            (0, 0)
        );
    }

    #[test]
    fn every_link_type_and_ipv6() {
        let links = [
            Link::Ethernet,
            Link::EthernetVlan,
            Link::Sll,
            Link::Sll2,
            Link::Null { big_endian: false },
            Link::Null { big_endian: true },
            Link::Loop,
            Link::Raw,
            Link::RawIpv4,
        ];
        for link in links {
            let analysis = run(&simple(false).pcap(link));
            assert_eq!(
                statuses(&analysis),
                [("/".to_string(), Some(200))],
                "{link:?}"
            );
            assert!(analysis.other_traffic.is_empty(), "{link:?}");
        }
        for link in [
            Link::Ethernet,
            Link::Sll2,
            Link::Null { big_endian: false },
            Link::RawIpv6,
        ] {
            let analysis = run(&simple(true).pcap(link));
            assert_eq!(
                statuses(&analysis),
                [("/".to_string(), Some(200))],
                "{link:?}"
            );
            let client = analysis.connections[0].client.unwrap();
            assert!(client.is_ipv6());
        }
        let analysis = run(&visit(true).pcap(Link::Ethernet));
        assert_eq!(analysis.exchanges.len(), 4);
    }

    #[test]
    fn pcapng_with_interfaces_of_different_link_types_and_resolutions() {
        let first = simple(false);
        // Half a second and 123 ns after the first, on an interface in nanoseconds.
        let second = {
            let mut flow = Flow::new(true, 50_001, 8080);
            flow.ns = first.packets[0].0 + 500_000_123;
            flow.handshake();
            flow.send(true, b"GET /v6 HTTP/1.1\r\n\r\n", 1460);
            flow.send(false, b"HTTP/1.1 204 No Content\r\n\r\n", 1460);
            flow
        };
        let mut records: Vec<(u32, Record)> = first
            .records(Link::Ethernet)
            .into_iter()
            .map(|r| (0, r))
            .chain(second.records(Link::Sll).into_iter().map(|r| (1, r)))
            .collect();
        records.sort_by_key(|(_, r)| r.ns);
        let analysis = run(&pcapng(&[(1, 6), (113, 9)], &records));
        assert_eq!(
            analysis.source,
            Source::Capture {
                format: "pcapng",
                link_types: vec!["Ethernet", "Linux cooked (SLL)"]
            }
        );
        assert_eq!(statuses(&analysis).len(), 2);
        assert_eq!(analysis.exchanges[1].request.target, "/v6");
        assert_eq!(analysis.connections[1].close, Some(Close::Open));
        // The nanosecond interface keeps its precision.
        let opened = analysis.connections[1].opened_at;
        assert!((opened - 0.500_000_123).abs() < 1e-9, "{opened}");
    }

    #[test]
    fn nanosecond_and_big_endian_pcaps() {
        let flow = simple(false);
        let records = flow.records(Link::Raw);
        for (nanos, big_endian) in [(true, false), (false, true), (true, true)] {
            let mut bytes = pcap_header(101, nanos, big_endian);
            for record in &records {
                bytes.extend(pcap_record(record, nanos, big_endian));
            }
            let analysis = run(&bytes);
            assert_eq!(analysis.exchanges.len(), 1, "{nanos} {big_endian}");
            assert!((analysis.duration - 0.010).abs() < 1e-9);
        }
    }

    #[test]
    fn chunked_bodies_across_segments() {
        let mut flow = Flow::new(false, 50_000, 80);
        flow.handshake();
        flow.send(true, b"GET /c HTTP/1.1\r\nHost: a\r\n\r\n", 1460);
        let body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n3\r\nxyz\r\n0\r\n\r\n";
        flow.send(false, body.as_bytes(), 7);
        flow.close();
        let analysis = run(&flow.pcap(Link::Ethernet));
        let r = response(&analysis.exchanges[0]);
        assert_eq!((r.body_bytes, r.complete), (19, true));
        assert_eq!(r.body_wire_bytes, 4 + 18 + 3 + 5 + 5);
    }

    #[test]
    fn pipelined_requests_are_paired_in_order() {
        let mut flow = Flow::new(false, 50_000, 80);
        flow.handshake();
        flow.send(
            true,
            b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nHEAD /3 HTTP/1.1\r\n\r\n",
            1460,
        );
        flow.send(
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
            1460,
        );
        let analysis = run(&flow.pcap(Link::Ethernet));
        assert_eq!(
            statuses(&analysis),
            [("/1", 200), ("/2", 404), ("/3", 200)].map(|(t, s)| (t.to_string(), Some(s)))
        );
        assert!(analysis.exchanges.iter().all(|e| response(e).complete));
    }

    #[test]
    fn http_1_0_reads_until_close() {
        let mut flow = Flow::new(false, 50_000, 80);
        flow.handshake();
        flow.send(true, b"GET / HTTP/1.0\r\n\r\n", 1460);
        flow.send(
            false,
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
            20,
        );
        flow.seg(false, "FA", b"");
        flow.seg(true, "A", b"");
        flow.seg(true, "FA", b"");
        flow.seg(false, "A", b"");
        let analysis = run(&flow.pcap(Link::Ethernet));
        let r = response(&analysis.exchanges[0]);
        assert_eq!(
            (r.version.as_str(), r.body_bytes, r.complete),
            ("HTTP/1.0", 9, true)
        );
        assert_eq!(analysis.connections[0].closed_by, Some(Direction::ToClient));
    }

    /// The full visit with its packets reordered or repeated: the same exchanges.
    fn visit_with(edit: impl Fn(&mut Vec<(u64, Vec<u8>)>)) -> Analysis {
        let mut flow = visit(false);
        edit(&mut flow.packets);
        run(&flow.pcap(Link::Ethernet))
    }

    fn index_of_body(packets: &[(u64, Vec<u8>)], needle: &[u8]) -> usize {
        packets
            .iter()
            .position(|(_, p)| memchr::memmem::find(p, needle).is_some())
            .unwrap()
    }

    #[test]
    fn out_of_order_segments_are_put_back() {
        let analysis = visit_with(|packets| {
            // The page's first segment arrives after its second.
            let i = index_of_body(packets, b"HTTP/1.1 200 OK");
            packets.swap(i, i + 1);
        });
        assert_eq!(statuses(&analysis).len(), 4);
        assert_eq!(response(&analysis.exchanges[0]).body_bytes, 3000);
        assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
        assert_eq!(analysis.connections[0].out_of_order, 1);
    }

    #[test]
    fn retransmissions_and_overlaps_are_counted_once() {
        let plain = visit_with(|_| {});
        let analysis = visit_with(|packets| {
            let i = index_of_body(packets, b"HTTP/1.1 206");
            let copy = packets[i].clone();
            packets.insert(i + 1, copy);
        });
        assert_eq!(analysis.connections[0].retransmissions, 1);
        assert_eq!(statuses(&analysis), statuses(&plain));
        assert_eq!(
            analysis.connections[0].bytes_to_client,
            plain.connections[0].bytes_to_client
        );

        // A segment that repeats the end of one and adds new bytes.
        let mut flow = Flow::new(false, 50_000, 80);
        flow.handshake();
        let request = b"GET /overlap HTTP/1.1\r\nHost: a\r\n\r\n";
        let start = flow.client_seq;
        let ack = flow.server_seq;
        let first = flow.build(true, start, ack, "PA", &request[..20]);
        let second = flow.build(true, start.wrapping_add(10), ack, "PA", &request[10..]);
        flow.push(first);
        flow.push(second);
        flow.client_seq = start.wrapping_add(request.len() as u32);
        flow.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1460);
        let analysis = run(&flow.pcap(Link::Ethernet));
        assert_eq!(statuses(&analysis), [("/overlap".to_string(), Some(200))]);
        assert_eq!(
            analysis.connections[0].bytes_to_server,
            request.len() as u64
        );
        assert_eq!(analysis.connections[0].retransmissions, 1);
    }

    #[test]
    fn a_gap_never_filled_is_stated_and_not_guessed() {
        let analysis = visit_with(|packets| {
            // The page's second segment (1460 bytes of body) was never captured.
            let i = index_of_body(packets, b"HTTP/1.1 200 OK");
            packets.remove(i + 1);
        });
        let missing: Vec<&Warning> = analysis
            .warnings
            .iter()
            .filter(|w| matches!(w, Warning::MissingData { .. }))
            .collect();
        assert_eq!(missing.len(), 1, "{:?}", analysis.warnings);
        let Warning::MissingData {
            connection,
            direction,
            bytes,
            ..
        } = missing[0]
        else {
            unreachable!()
        };
        assert_eq!(
            (*connection, *direction, *bytes),
            (0, Direction::ToClient, 1460)
        );
        // The page is incomplete, and no later response is guessed.
        assert!(!response(&analysis.exchanges[0]).complete);
        assert_eq!(analysis.exchanges.len(), 4);
        assert!(analysis.exchanges[1..].iter().all(|e| e.response.is_none()));
    }

    #[test]
    fn resets_and_port_reuse() {
        let mut flow = Flow::new(false, 50_000, 8080);
        flow.handshake();
        flow.send(true, b"GET /first HTTP/1.1\r\n\r\n", 1460);
        flow.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1460);
        flow.seg(false, "RA", b"");
        // The same ports again, with a new ISN.
        flow.client_seq = 777_777;
        flow.server_seq = 5;
        flow.handshake();
        flow.send(true, b"GET /second HTTP/1.1\r\n\r\n", 1460);
        flow.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1460);
        let analysis = run(&flow.pcap(Link::Ethernet));
        assert_eq!(analysis.connections.len(), 2);
        assert_eq!(analysis.connections[0].close, Some(Close::Rst));
        assert_eq!(analysis.connections[0].closed_by, Some(Direction::ToClient));
        assert_eq!(analysis.connections[0].teardown[0].flags, "RST, ACK");
        assert_eq!(analysis.connections[1].close, Some(Close::Open));
        assert_eq!(analysis.exchanges[1].connection, 1);
        assert_eq!(analysis.exchanges[1].request.target, "/second");
    }

    #[test]
    fn a_cut_file_reports_what_came_before() {
        let bytes = visit(false).pcap(Link::Ethernet);
        let packets = visit(false).packets.len() as u64;
        let analysis = run(&bytes[..bytes.len() - 10]);
        assert_eq!(analysis.packets, packets - 1);
        assert_eq!(
            analysis.warnings.last(),
            Some(&Warning::Truncated {
                packets_read: packets - 1
            })
        );
        assert_eq!(analysis.exchanges.len(), 4);
        // Cut in the middle of a record header too, and a pcapng cut in a block.
        let analysis = run(&bytes[..24 + 8]);
        assert_eq!(analysis.warnings, [Warning::Truncated { packets_read: 0 }]);
        let records: Vec<(u32, Record)> = simple(false)
            .records(Link::Ethernet)
            .into_iter()
            .map(|r| (0, r))
            .collect();
        let ng = pcapng(&[(1, 6)], &records);
        let analysis = run(&ng[..ng.len() - 3]);
        assert!(matches!(
            analysis.warnings.last(),
            Some(Warning::Truncated { .. })
        ));
    }

    #[test]
    fn files_that_are_not_captures_are_errors() {
        let options = CaptureOptions::default();
        for bytes in [
            &b""[..],
            b"\x89PNG\r\n\x1a\n....",
            b"{\"log\": {}}",
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0],
        ] {
            let result = analyse(Cursor::new(bytes), &options, &mut |_| {});
            assert!(result.is_err(), "{bytes:?}");
        }
    }

    /// A TLS ClientHello's first bytes.
    const CLIENT_HELLO: &[u8] = b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03";

    fn udp(source: u16, destination: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = etherparse::PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 53], 64)
            .udp(source, destination)
            .write(&mut out, b"\x12\x34\x01\x00\x00\x01");
        out
    }

    #[test]
    fn other_traffic_is_counted_not_reported() {
        let mut tls = Flow::new(false, 50_002, 443);
        tls.handshake();
        tls.send(true, CLIENT_HELLO, 1460);
        tls.close();
        let mut ssh = Flow::new(false, 50_003, 22);
        ssh.handshake();
        ssh.send(false, b"SSH-2.0-OpenSSH_9.6\r\n", 1460);
        let mut http = simple(false);
        let mut packets = tls.records(Link::Ethernet);
        packets.extend(ssh.records(Link::Ethernet));
        packets.extend(http.records(Link::Ethernet));
        for (source, destination) in [(5353, 53), (53, 5353), (50_000, 443), (1234, 5678)] {
            let data = Link::Ethernet.wrap(&udp(source, destination));
            packets.push(Record {
                ns: http.ns,
                origlen: data.len() as u32,
                data,
            });
        }
        let arp = [
            2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2,
            192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
        ];
        packets.push(Record {
            ns: http.ns,
            origlen: arp.len() as u32,
            data: arp.to_vec(),
        });
        http.packets.clear();
        let analysis = run(&pcap(1, false, &packets));
        assert_eq!(analysis.connections.len(), 1);
        let expected: Vec<(String, u64)> = [
            ("DNS", 2),
            ("TLS", tls.packets.len() as u64),
            ("QUIC", 1),
            ("other TCP", ssh.packets.len() as u64),
            ("other UDP", 1),
            ("ARP", 1),
        ]
        .iter()
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
        assert_eq!(analysis.other_traffic, expected);
    }

    #[test]
    fn the_port_option_narrows_to_one_server_port() {
        let mut other = Flow::new(false, 50_010, 3000);
        other.handshake();
        other.send(true, b"GET /dev HTTP/1.1\r\n\r\n", 1460);
        let mut packets = simple(false).records(Link::Ethernet);
        packets.extend(other.records(Link::Ethernet));
        let bytes = pcap(1, false, &packets);
        assert_eq!(run(&bytes).exchanges.len(), 2);
        let narrowed = run_with(&bytes, Some(8080));
        assert_eq!(statuses(&narrowed), [("/".to_string(), Some(200))]);
        assert_eq!(
            narrowed.other_traffic,
            [("other TCP".to_string(), other.packets.len() as u64)]
        );
    }

    #[test]
    fn snap_length_cuts_are_stated() {
        let flow = visit(false);
        let records: Vec<Record> = flow
            .records(Link::Ethernet)
            .into_iter()
            .map(|mut r| {
                r.data.truncate(200);
                r
            })
            .collect();
        let analysis = run(&pcap(1, false, &records));
        let cut = records
            .iter()
            .filter(|r| (r.data.len() as u32) < r.origlen)
            .count() as u64;
        assert!(analysis
            .warnings
            .contains(&Warning::SnapLength { packets: cut }));
        // The page's head is read; its body is cut, so what follows is not guessed.
        assert_eq!(response(&analysis.exchanges[0]).status, 200);
        assert!(!response(&analysis.exchanges[0]).complete);
        assert!(analysis.warnings.iter().any(|w| matches!(
            w,
            Warning::MissingData {
                direction: Direction::ToClient,
                ..
            }
        )));
    }

    #[test]
    fn mid_stream_captures_find_the_client_by_its_request() {
        let mut flow = Flow::new(false, 50_000, 8080);
        flow.handshake();
        flow.send(true, b"GET /a HTTP/1.1\r\n\r\n", 1460);
        flow.send(
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
            1460,
        );
        // The capture starts after the handshake, with the server's ACK first.
        flow.packets.drain(..3);
        flow.packets.swap(0, 1);
        let analysis = run(&flow.pcap(Link::Ethernet));
        assert_eq!(statuses(&analysis), [("/a".to_string(), Some(200))]);
        assert_eq!(analysis.connections[0].client.unwrap().port(), 50_000);
        assert!(analysis.connections[0].handshake.is_none());
    }

    /// A capture produced on the fly as it is read, never held whole.
    struct Generator<F: FnMut() -> Option<Vec<u8>>> {
        pending: Vec<u8>,
        position: usize,
        next: F,
        produced: u64,
    }

    impl<F: FnMut() -> Option<Vec<u8>>> Read for Generator<F> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            while self.position == self.pending.len() {
                match (self.next)() {
                    Some(bytes) => {
                        self.pending = bytes;
                        self.position = 0;
                    }
                    None => return Ok(0),
                }
            }
            let n = buf.len().min(self.pending.len() - self.position);
            buf[..n].copy_from_slice(&self.pending[self.position..self.position + n]);
            self.position += n;
            self.produced += n as u64;
            Ok(n)
        }
    }

    #[test]
    fn memory_stays_bounded_on_a_200_mb_capture() {
        const RESPONSES: usize = 20;
        const BODY: usize = 10_000_000;
        const MSS: usize = 1448;
        let mut flow = Flow::new(false, 50_000, 80);
        flow.handshake();
        let mut queue: std::collections::VecDeque<Vec<u8>> =
            flow.packets.drain(..).map(|(_, p)| p).collect();
        let mut records = vec![pcap_header(101, false, false)];
        records.extend(queue.drain(..).map(|data| {
            pcap_record(
                &Record {
                    ns: 0,
                    origlen: data.len() as u32,
                    data,
                },
                false,
                false,
            )
        }));
        let mut pending: std::collections::VecDeque<Vec<u8>> = records.into();
        let mut answered = 0;
        let mut sent = 0usize;
        let chunk = vec![b'x'; MSS];
        let mut ns = 1_700_000_000_000_000_000u64;
        let mut make = move || {
            if let Some(bytes) = pending.pop_front() {
                return Some(bytes);
            }
            if answered == RESPONSES {
                return None;
            }
            let mut ips = Vec::new();
            if sent == 0 {
                flow.seg(true, "PA", b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {BODY}\r\n\r\n");
                flow.seg(false, "PA", head.as_bytes());
                ips.extend(flow.packets.drain(..).map(|(_, p)| p));
            }
            // Two segments at a time, every 50th pair out of order.
            for _ in 0..2 {
                let n = MSS.min(BODY - sent);
                if n == 0 {
                    break;
                }
                flow.seg(false, "A", &chunk[..n]);
                sent += n;
            }
            let mut pair: Vec<Vec<u8>> = flow.packets.drain(..).map(|(_, p)| p).collect();
            if (sent / MSS).is_multiple_of(100) && pair.len() == 2 {
                pair.swap(0, 1);
            }
            ips.extend(pair);
            if sent == BODY {
                sent = 0;
                answered += 1;
                flow.seg(true, "A", b"");
                ips.extend(flow.packets.drain(..).map(|(_, p)| p));
            }
            let mut out = Vec::new();
            for data in ips {
                ns += 10_000;
                out.extend(pcap_record(
                    &Record {
                        ns,
                        origlen: data.len() as u32,
                        data,
                    },
                    false,
                    false,
                ));
            }
            Some(out)
        };
        let generator = Generator {
            pending: Vec::new(),
            position: 0,
            next: &mut make,
            produced: 0,
        };
        let mut calls = 0;
        let (analysis, peak) =
            analyse_measured(generator, &CaptureOptions::default(), &mut |_| calls += 1).unwrap();
        assert!(analysis.bytes > 200_000_000, "{}", analysis.bytes);
        assert_eq!(analysis.exchanges.len(), RESPONSES);
        assert!(analysis
            .exchanges
            .iter()
            .all(|e| response(e).complete && response(e).body_bytes == BODY as u64));
        assert!(analysis.connections[0].out_of_order > 0);
        assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
        // Out-of-order pieces and heads only: nowhere near the bodies' size.
        assert!(peak > 0 && peak < 4 * 1024 * 1024, "{peak}");
        // Progress now and then, not per packet.
        assert!(calls > 100 && calls < 1000, "{calls}");
    }

    #[test]
    fn mutated_captures_never_panic() {
        let mut seeds = vec![
            visit(false).pcap(Link::Ethernet),
            simple(true).pcap(Link::Sll2),
        ];
        let records: Vec<(u32, Record)> = visit(true)
            .records(Link::Null { big_endian: false })
            .into_iter()
            .map(|r| (0, r))
            .collect();
        seeds.push(pcapng(&[(0, 9)], &records));
        let mut rng = fastrand::Rng::with_seed(7);
        let options = CaptureOptions { port: None };
        for round in 0..600 {
            let mut bytes = seeds[round % seeds.len()].clone();
            for _ in 0..rng.usize(1..8) {
                let at = rng.usize(..bytes.len());
                match rng.u8(..4) {
                    0 => bytes[at] = rng.u8(..),
                    1 => bytes.truncate(at.max(1)),
                    2 => bytes.insert(at, rng.u8(..)),
                    _ => {
                        let end = (at + rng.usize(1..64)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                }
                if bytes.is_empty() {
                    bytes.push(0);
                }
            }
            let _ = analyse(Cursor::new(&bytes), &options, &mut |_| {});
        }
    }

    #[test]
    fn random_segments_never_panic() {
        let mut rng = fastrand::Rng::with_seed(11);
        let pieces: [&[u8]; 8] = [
            b"GET / HTTP/1.1\r\n",
            b"Host: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"5\r\nhello\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n",
            b"\x16\x03\x01\x00",
            b"zzzz",
            b"",
        ];
        for _ in 0..200 {
            let mut flow = Flow::new(rng.bool(), 50_000, 80);
            if rng.bool() {
                flow.handshake();
            }
            for _ in 0..rng.usize(1..40) {
                let from_client = rng.bool();
                let flags = ["PA", "A", "FA", "RA", "S", "SA"][rng.usize(..6)];
                let payload = pieces[rng.usize(..pieces.len())];
                if rng.u8(..4) == 0 {
                    let packet = flow.build(from_client, rng.u32(..), rng.u32(..), flags, payload);
                    flow.push(packet);
                } else {
                    flow.seg(from_client, flags, payload);
                }
            }
            if rng.bool() {
                flow.packets.reverse();
            }
            let _ = analyse(
                Cursor::new(flow.pcap(Link::Raw)),
                &CaptureOptions { port: None },
                &mut |_| {},
            );
        }
    }
}
