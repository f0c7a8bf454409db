//! The lab's exchange built by hand, for the renderers' tests: a keep-alive connection with
//! 200, 206, 404 and (on the revisit) 304, closed by the browser's FIN; a parallel connection
//! for the fingerprinted stylesheet, closed by a reset.

use super::model::*;

fn segment(at: f64, direction: Direction, flags: &str, seq: u32, ack: u32) -> Segment {
    Segment {
        at,
        direction,
        flags: flags.into(),
        seq,
        ack,
        raw_seq: 1_000_000 + seq,
        window: 65535,
        options: TcpOptions::default(),
        len: 0,
    }
}

fn syn_options() -> TcpOptions {
    TcpOptions {
        mss: Some(65495),
        window_scale: Some(7),
        sack_permitted: true,
        timestamps: true,
    }
}

fn handshake(at: f64) -> Handshake {
    let mut syn = segment(at, Direction::ToServer, "SYN", 0, 0);
    syn.options = syn_options();
    let mut syn_ack = segment(at + 0.00012, Direction::ToClient, "SYN, ACK", 0, 1);
    syn_ack.options = syn_options();
    Handshake {
        syn,
        syn_ack: Some(syn_ack),
        ack: Some(segment(at + 0.00020, Direction::ToServer, "ACK", 1, 1)),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn exchange(
    connection: usize,
    at: f64,
    target: &str,
    request_headers: &[(&str, &str)],
    (status, reason): (u16, &str),
    response_headers: &[(&str, &str)],
    body: u64,
) -> Exchange {
    let mut request_headers = headers(request_headers);
    request_headers.insert(0, ("Host".into(), "192.168.1.20:5000".into()));
    request_headers.push(("Accept-Language".into(), "zh-CN,zh;q=0.9,en;q=0.8".into()));
    Exchange {
        connection,
        request: Request {
            at,
            method: "GET".into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            headers: request_headers,
            head_bytes: 420,
            body_bytes: 0,
        },
        response: Some(Response {
            at: at + 0.002,
            end_at: at + 0.004 + body as f64 / 1e8,
            version: "HTTP/1.1".into(),
            status,
            reason: reason.into(),
            headers: headers(response_headers),
            head_bytes: 250,
            body_wire_bytes: body,
            body_bytes: body,
            complete: true,
        }),
    }
}

/// The lab's capture as the capture reader would give it.
pub(crate) fn lab() -> Analysis {
    let page = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "4389"),
        ("ETag", "\"beb479c2\""),
        ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
        ("Cache-Control", "no-cache"),
    ];
    let exchanges = vec![
        exchange(
            0,
            0.0003,
            "/",
            &[("Connection", "keep-alive")],
            (200, "OK"),
            &page,
            4389,
        ),
        exchange(
            0,
            0.0150,
            "/assets/introduction.beb479c2.mp3",
            &[("Range", "bytes=0-")],
            (206, "Partial Content"),
            &[
                ("Content-Type", "audio/mpeg"),
                ("Content-Range", "bytes 0-73177/73178"),
                ("Accept-Ranges", "bytes"),
                ("Content-Length", "73178"),
                ("Last-Modified", "Tue, 01 Dec 2026 09:00:00 GMT"),
            ],
            73178,
        ),
        exchange(
            1,
            0.0160,
            "/assets/style.ba4e2747.css",
            &[],
            (200, "OK"),
            &[
                ("Content-Type", "text/css"),
                ("Content-Length", "5754"),
                ("Cache-Control", "public, max-age=31536000, immutable"),
            ],
            5754,
        ),
        exchange(
            0,
            0.0500,
            "/favicon.ico",
            &[],
            (404, "Not Found"),
            &[("Content-Type", "text/html"), ("Content-Length", "120")],
            120,
        ),
        exchange(
            0,
            5.2000,
            "/",
            &[
                ("If-None-Match", "\"beb479c2\""),
                ("If-Modified-Since", "Tue, 01 Dec 2026 10:00:00 GMT"),
            ],
            (304, "Not Modified"),
            &[("ETag", "\"beb479c2\""), ("Cache-Control", "no-cache")],
            0,
        ),
    ];
    let first = Connection {
        client: "192.168.1.10:51000".parse().ok(),
        server: "192.168.1.20:5000".parse().ok(),
        har_id: None,
        opened_at: 0.0,
        last_at: 20.3,
        handshake: Some(handshake(0.0)),
        teardown: vec![
            segment(20.2, Direction::ToServer, "FIN, ACK", 1681, 83001),
            segment(20.2002, Direction::ToClient, "FIN, ACK", 83001, 1682),
            segment(20.3, Direction::ToServer, "ACK", 1682, 83002),
        ],
        close: Some(Close::Fin),
        closed_by: Some(Direction::ToServer),
        bytes_to_server: 1680,
        bytes_to_client: 83000,
        retransmissions: 0,
        out_of_order: 0,
    };
    let second = Connection {
        client: "192.168.1.10:51002".parse().ok(),
        server: "192.168.1.20:5000".parse().ok(),
        har_id: None,
        opened_at: 0.0120,
        last_at: 1.5,
        handshake: Some(handshake(0.0120)),
        teardown: vec![segment(1.5, Direction::ToServer, "RST, ACK", 421, 6005)],
        close: Some(Close::Rst),
        closed_by: Some(Direction::ToServer),
        bytes_to_server: 420,
        bytes_to_client: 6004,
        retransmissions: 1,
        out_of_order: 0,
    };
    Analysis {
        source: Source::Capture {
            format: "pcapng",
            link_types: vec!["Ethernet"],
        },
        started_at_unix: Some(1_796_119_200.0),
        duration: 20.3,
        connections: vec![first, second],
        exchanges,
        other_traffic: vec![("DNS".into(), 4), ("TLS".into(), 31)],
        packets: 140,
        bytes: 98_000,
        warnings: vec![Warning::SnapLength { packets: 2 }],
    }
}
