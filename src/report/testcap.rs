//! Test-only: captures made in memory. A pcap and pcapng writer (writing, not parsing) and a
//! TCP conversation builder on etherparse's `PacketBuilder`, so the tests describe exchanges
//! rather than bytes.

use etherparse::{PacketBuilder, TcpHeader, TcpOptionElement};

/// A link-layer framing to wrap IP packets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    EthernetVlan,
    Sll,
    Sll2,
    /// BSD loopback in little-endian (macOS, Npcap) or big-endian byte order.
    Null {
        big_endian: bool,
    },
    /// Linktype 108: network byte order.
    Loop,
    Raw,
    RawIpv4,
    RawIpv6,
}

impl Link {
    /// The pcap link type number.
    pub fn number(self) -> u16 {
        match self {
            Link::Ethernet | Link::EthernetVlan => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Null { .. } => 0,
            Link::Loop => 108,
            Link::Raw => 101,
            Link::RawIpv4 => 228,
            Link::RawIpv6 => 229,
        }
    }

    /// `ip` (an IPv4 or IPv6 packet) in this framing.
    pub fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ether_type: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mut out = Vec::new();
        match self {
            Link::Ethernet | Link::EthernetVlan => {
                out.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
                if self == Link::EthernetVlan {
                    out.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
                }
                out.extend_from_slice(&ether_type);
            }
            Link::Sll => {
                out.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
                out.extend_from_slice(&ether_type);
            }
            Link::Sll2 => {
                out.extend_from_slice(&ether_type);
                out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            }
            Link::Null { big_endian } => {
                let family: u32 = if v6 { 30 } else { 2 };
                if big_endian {
                    out.extend_from_slice(&family.to_be_bytes());
                } else {
                    out.extend_from_slice(&family.to_le_bytes());
                }
            }
            Link::Loop => {
                let family: u32 = if v6 { 24 } else { 2 };
                out.extend_from_slice(&family.to_be_bytes());
            }
            Link::Raw | Link::RawIpv4 | Link::RawIpv6 => {}
        }
        out.extend_from_slice(ip);
        out
    }
}

/// One record: time in nanoseconds since the epoch, bytes as captured, length on the wire.
#[derive(Debug, Clone)]
pub struct Record {
    pub ns: u64,
    pub data: Vec<u8>,
    pub origlen: u32,
}

/// The 24-byte pcap file header.
pub fn pcap_header(link: u16, nanos: bool, big_endian: bool) -> Vec<u8> {
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let fields: [u32; 6] = [magic, 0x0004_0002, 0, 0, 262_144, u32::from(link)];
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        // Version is two u16s: major then minor, each in the file's byte order.
        if i == 1 {
            for half in [2u16, 4] {
                out.extend_from_slice(&if big_endian {
                    half.to_be_bytes()
                } else {
                    half.to_le_bytes()
                });
            }
            continue;
        }
        out.extend_from_slice(&if big_endian {
            field.to_be_bytes()
        } else {
            field.to_le_bytes()
        });
    }
    out
}

/// One pcap record.
pub fn pcap_record(record: &Record, nanos: bool, big_endian: bool) -> Vec<u8> {
    let fraction = if nanos {
        record.ns % 1_000_000_000
    } else {
        record.ns % 1_000_000_000 / 1000
    };
    let fields = [
        (record.ns / 1_000_000_000) as u32,
        fraction as u32,
        record.data.len() as u32,
        record.origlen,
    ];
    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(&if big_endian {
            field.to_be_bytes()
        } else {
            field.to_le_bytes()
        });
    }
    out.extend_from_slice(&record.data);
    out
}

/// A whole little-endian pcap file.
pub fn pcap(link: u16, nanos: bool, records: &[Record]) -> Vec<u8> {
    let mut out = pcap_header(link, nanos, false);
    for record in records {
        out.extend(pcap_record(record, nanos, false));
    }
    out
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(8 + padded, 0);
    out.extend_from_slice(&total.to_le_bytes());
    out
}

/// A little-endian pcapng file: interfaces as (link type, if_tsresol), records as
/// (interface, record); times are written in each interface's resolution (10^-tsresol s).
pub fn pcapng(interfaces: &[(u16, u8)], records: &[(u32, Record)]) -> Vec<u8> {
    let mut out = block(
        0x0a0d_0d0a,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    for (link, tsresol) in interfaces {
        let mut body = Vec::new();
        body.extend_from_slice(&link.to_le_bytes());
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&262_144u32.to_le_bytes());
        // if_tsresol (9), length 1, padded; then opt_endofopt.
        body.extend_from_slice(&[9, 0, 1, 0, *tsresol, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(block(1, &body));
    }
    for (interface, record) in records {
        let tsresol = interfaces.get(*interface as usize).map_or(6, |i| i.1);
        let ticks = u128::from(record.ns) * 10u128.pow(u32::from(tsresol)) / 1_000_000_000;
        let ticks = ticks as u64;
        let mut body = Vec::new();
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ticks as u32).to_le_bytes());
        body.extend_from_slice(&(record.data.len() as u32).to_le_bytes());
        body.extend_from_slice(&record.origlen.to_le_bytes());
        body.extend_from_slice(&record.data);
        out.extend(block(6, &body));
    }
    out
}

/// A TCP conversation between a client and a server, as IP packets with times.
#[derive(Debug, Clone)]
pub struct Flow {
    pub v6: bool,
    pub client_port: u16,
    pub server_port: u16,
    /// Next sequence numbers.
    pub client_seq: u32,
    pub server_seq: u32,
    /// Nanoseconds since the epoch of the next packet; each packet adds `step`.
    pub ns: u64,
    pub step: u64,
    pub packets: Vec<(u64, Vec<u8>)>,
}

impl Flow {
    pub fn new(v6: bool, client_port: u16, server_port: u16) -> Flow {
        Flow {
            v6,
            client_port,
            server_port,
            client_seq: 1000,
            server_seq: 0xffff_ff00, // wraps during the conversation
            ns: 1_700_000_000_000_000_000,
            step: 1_000_000,
            packets: Vec::new(),
        }
    }

    /// Builds one segment with explicit numbers; does not advance the sequence numbers.
    pub fn build(
        &self,
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: &str,
        payload: &[u8],
    ) -> Vec<u8> {
        let (sport, dport) = if from_client {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        };
        let mut header = TcpHeader::new(sport, dport, seq, 64_240);
        header.acknowledgment_number = ack;
        header.syn = flags.contains('S');
        header.ack = flags.contains('A');
        header.fin = flags.contains('F');
        header.rst = flags.contains('R');
        header.psh = flags.contains('P');
        if header.syn {
            let _ = header.set_options(&[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                TcpOptionElement::Timestamp(1, 0),
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(7),
            ]);
        }
        let mut out = Vec::new();
        if self.v6 {
            let client = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
            let server = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
            let (s, d) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            let _ = PacketBuilder::ipv6(s, d, 64)
                .tcp_header(header)
                .write(&mut out, payload);
        } else {
            let (s, d) = if from_client {
                ([192, 0, 2, 1], [192, 0, 2, 2])
            } else {
                ([192, 0, 2, 2], [192, 0, 2, 1])
            };
            let _ = PacketBuilder::ipv4(s, d, 64)
                .tcp_header(header)
                .write(&mut out, payload);
        }
        out
    }

    /// Adds a packet at the next time.
    pub fn push(&mut self, packet: Vec<u8>) {
        self.packets.push((self.ns, packet));
        self.ns += self.step;
    }

    /// Sends a segment with the current numbers and advances the sender's.
    pub fn seg(&mut self, from_client: bool, flags: &str, payload: &[u8]) {
        let (seq, ack) = if from_client {
            (self.client_seq, self.server_seq)
        } else {
            (self.server_seq, self.client_seq)
        };
        let ack = if flags.contains('A') { ack } else { 0 };
        let packet = self.build(from_client, seq, ack, flags, payload);
        self.push(packet);
        let used =
            payload.len() as u32 + u32::from(flags.contains('S')) + u32::from(flags.contains('F'));
        if from_client {
            self.client_seq = self.client_seq.wrapping_add(used);
        } else {
            self.server_seq = self.server_seq.wrapping_add(used);
        }
    }

    pub fn handshake(&mut self) {
        self.seg(true, "S", b"");
        self.seg(false, "SA", b"");
        self.seg(true, "A", b"");
    }

    /// Sends bytes in segments of at most `mss`, each acknowledged by the peer.
    pub fn send(&mut self, from_client: bool, bytes: &[u8], mss: usize) {
        for chunk in bytes.chunks(mss.max(1)) {
            self.seg(from_client, "PA", chunk);
        }
        self.seg(!from_client, "A", b"");
    }

    /// The client closes first, the server follows: FIN, ACK, FIN, ACK.
    pub fn close(&mut self) {
        self.seg(true, "FA", b"");
        self.seg(false, "A", b"");
        self.seg(false, "FA", b"");
        self.seg(true, "A", b"");
    }

    /// The packets as records in `link`.
    pub fn records(&self, link: Link) -> Vec<Record> {
        self.packets
            .iter()
            .map(|(ns, ip)| {
                let data = link.wrap(ip);
                Record {
                    ns: *ns,
                    origlen: data.len() as u32,
                    data,
                }
            })
            .collect()
    }

    /// A pcap file of this flow in `link`.
    pub fn pcap(&self, link: Link) -> Vec<u8> {
        pcap(link.number(), false, &self.records(link))
    }
}
