//! `--json`: the analysis as a small, stable JSON document for scripts and graders.
//!
//! The schema's fields are never renamed. Besides the required ones, each connection has
//! `har_id`, `last_at`, `bytes_to_server` and `bytes_to_client`; each exchange has `version`,
//! `response_at`, `response_end_at`, `reason`, `response_version` and `response_wire_bytes`;
//! the document has `source`, `duration` and `warnings`.

use serde::Serialize;

use super::explain::warning;
use super::model::{Analysis, Close, Direction, Source};
use crate::config::Lang;

#[derive(Serialize)]
struct Document<'a> {
    source: String,
    duration: f64,
    connections: Vec<ConnectionView<'a>>,
    exchanges: Vec<ExchangeView<'a>>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct ConnectionView<'a> {
    client: Option<String>,
    server: Option<String>,
    syn_at: Option<f64>,
    closed_by: Option<&'static str>,
    close: Option<&'static str>,
    har_id: Option<&'a str>,
    last_at: f64,
    bytes_to_server: u64,
    bytes_to_client: u64,
}

#[derive(Serialize)]
struct ExchangeView<'a> {
    connection: usize,
    method: &'a str,
    target: &'a str,
    version: &'a str,
    status: Option<u16>,
    reason: Option<&'a str>,
    response_version: Option<&'a str>,
    request_at: f64,
    response_at: Option<f64>,
    response_end_at: Option<f64>,
    response_bytes: Option<u64>,
    response_wire_bytes: Option<u64>,
}

/// The analysis as pretty-printed JSON: times in seconds from the first packet (or request),
/// `null` where unknown, socket addresses as `ip:port` (`[::1]:5000` for IPv6).
pub fn to_json(analysis: &Analysis) -> String {
    let document = Document {
        source: match &analysis.source {
            Source::Capture { format, .. } => (*format).to_string(),
            Source::Har { .. } => "har".to_string(),
            Source::Unknown => "unknown".to_string(),
        },
        duration: analysis.duration,
        connections: analysis
            .connections
            .iter()
            .map(|c| ConnectionView {
                client: c.client.map(|a| a.to_string()),
                server: c.server.map(|a| a.to_string()),
                syn_at: c.handshake.as_ref().map(|h| h.syn.at),
                closed_by: c.closed_by.map(|d| match d {
                    Direction::ToServer => "client",
                    Direction::ToClient => "server",
                }),
                close: c.close.map(|close| match close {
                    Close::Fin => "fin",
                    Close::Rst => "rst",
                    Close::Open => "open",
                }),
                har_id: c.har_id.as_deref(),
                last_at: c.last_at,
                bytes_to_server: c.bytes_to_server,
                bytes_to_client: c.bytes_to_client,
            })
            .collect(),
        exchanges: analysis
            .exchanges
            .iter()
            .map(|x| {
                let r = x.response.as_ref();
                ExchangeView {
                    connection: x.connection,
                    method: &x.request.method,
                    target: &x.request.target,
                    version: &x.request.version,
                    status: r.map(|r| r.status),
                    reason: r.map(|r| r.reason.as_str()),
                    response_version: r.map(|r| r.version.as_str()),
                    request_at: x.request.at,
                    response_at: r.map(|r| r.at),
                    response_end_at: r.map(|r| r.end_at),
                    response_bytes: r.map(|r| r.body_bytes),
                    response_wire_bytes: r.map(|r| r.body_wire_bytes),
                }
            })
            .collect(),
        warnings: analysis
            .warnings
            .iter()
            .map(|w| warning(w, Lang::En))
            .collect(),
    };
    // Serialising these plain structs cannot fail (string keys, finite or null numbers).
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::*;
    use serde_json::Value;

    fn segment(at: f64, direction: Direction, flags: &str) -> Segment {
        Segment {
            at,
            direction,
            flags: flags.into(),
            seq: 0,
            ack: 0,
            raw_seq: 0,
            window: 0,
            options: TcpOptions::default(),
            len: 0,
        }
    }

    #[test]
    fn json_has_the_schema() {
        let connection = Connection {
            client: Some("[::1]:40000".parse().unwrap()),
            server: Some("[::1]:5000".parse().unwrap()),
            har_id: None,
            opened_at: 0.0,
            last_at: 2.0,
            handshake: Some(Handshake {
                syn: segment(0.0, Direction::ToServer, "SYN"),
                syn_ack: None,
                ack: None,
            }),
            teardown: Vec::new(),
            close: Some(Close::Rst),
            closed_by: Some(Direction::ToClient),
            bytes_to_server: 1,
            bytes_to_client: 2,
            retransmissions: 0,
            out_of_order: 0,
        };
        let analysis = Analysis {
            connections: vec![
                connection,
                Connection {
                    client: None,
                    server: None,
                    handshake: None,
                    close: None,
                    closed_by: None,
                    ..open()
                },
            ],
            exchanges: vec![Exchange {
                connection: 0,
                request: Request {
                    at: 0.5,
                    method: "GET".into(),
                    target: "/\"x\"".into(),
                    version: "HTTP/1.1".into(),
                    headers: vec![],
                    head_bytes: 10,
                    body_bytes: 0,
                },
                response: Some(Response {
                    at: 0.6,
                    end_at: 0.7,
                    version: "HTTP/1.1".into(),
                    status: 206,
                    reason: "Partial Content".into(),
                    headers: vec![],
                    head_bytes: 100,
                    body_wire_bytes: 80,
                    body_bytes: 70,
                    complete: true,
                }),
            }],
            ..Analysis::default()
        };
        let v: Value = serde_json::from_str(&to_json(&analysis)).unwrap();
        let c = &v["connections"][0];
        assert_eq!(c["client"], "[::1]:40000");
        assert_eq!(c["server"], "[::1]:5000");
        assert_eq!(c["syn_at"], 0.0);
        assert_eq!(c["closed_by"], "server");
        assert_eq!(c["close"], "rst");
        let c = &v["connections"][1];
        for key in ["client", "server", "syn_at", "closed_by", "close"] {
            assert!(c[key].is_null(), "{key}");
        }
        let x = &v["exchanges"][0];
        assert_eq!(x["connection"], 0);
        assert_eq!(x["method"], "GET");
        assert_eq!(x["target"], "/\"x\"");
        assert_eq!(x["status"], 206);
        assert_eq!(x["request_at"], 0.5);
        assert_eq!(x["response_bytes"], 70);
    }

    pub(super) fn open() -> Connection {
        Connection {
            client: None,
            server: None,
            har_id: Some("7".into()),
            opened_at: 1.0,
            last_at: 1.0,
            handshake: None,
            teardown: Vec::new(),
            close: Some(Close::Open),
            closed_by: None,
            bytes_to_server: 0,
            bytes_to_client: 0,
            retransmissions: 0,
            out_of_order: 0,
        }
    }
}
