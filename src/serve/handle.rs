//! Answering one request on its connection's thread: the live-reload event stream, or what
//! [`respond`] decides, written by `write.rs`; then the access log line and the trace record.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::respond::{self, Reply, ReplyBody, RequestInfo};
use super::write::{write_reply, Counting, Sent};
use super::{http, log, reload, trace, Shared, Snapshot};

/// Answers `request` from the build being served, and logs the exchange.
pub(super) fn handle(request: tiny_http::Request, shared: &Arc<Shared>) {
    let received = Instant::now();
    let now = SystemTime::now();
    let snapshot = shared.snapshot();
    // Borrowed from the request, and copied (into an `Exchange`) only when a log line or a
    // trace will show them: the copies cost an allocation per name and value.
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|h| (h.field.as_str().as_str(), h.value.as_str()))
        .collect();
    let info = RequestInfo {
        method: request.method().as_str(),
        target: request.url(),
        version: (request.http_version().0, request.http_version().1),
        headers: &headers,
    };
    let exchange = shared
        .records(info.target)
        .then(|| Exchange::new(&request, &info, now));
    let events = shared.live_reload
        && info.method == "GET"
        && info.target == reload::EVENTS_PATH
        && info.host_is_valid();
    if events {
        let (reply, head, hello) = events_reply(shared, &snapshot, now, info.version);
        let sent = shared.hub.subscribe(request.into_writer(), &head, &hello);
        let sent = Sent {
            head_bytes: if sent { head.len() as u64 } else { 0 },
            body_bytes: if sent { hello.len() as u64 } else { 0 },
            first_byte: received.elapsed(),
            total: received.elapsed(),
        };
        Exchange::finish(exchange, shared, reply, sent);
        return;
    }
    let preview = shared.live_reload.then_some(&snapshot.preview);
    let file_stamp = |path: &std::path::Path| crate::hashing::FileStamp::of(path).ok();
    let reply = respond::respond(
        &info,
        &snapshot.output,
        snapshot.built,
        now,
        preview,
        &file_stamp,
    );
    let head = respond::head_bytes(&reply, info.version);
    // Written on the connection's thread whatever the size: that thread could not read the
    // connection's next request before this response is written anyway.
    let writer = Counting::new(request.into_writer(), received);
    let sent = write_reply(writer, head, &reply, &snapshot.output);
    Exchange::finish(exchange, shared, reply, sent);
}

/// The head of an event stream and its first event. The body has no length: it ends when the
/// connection does (RFC 9112 §6.3), which is what `text/event-stream` expects.
fn events_reply(
    shared: &Shared,
    snapshot: &Snapshot,
    now: SystemTime,
    version: (u8, u8),
) -> (Reply, Vec<u8>, Vec<u8>) {
    let reply = Reply {
        status: 200,
        headers: vec![
            ("Date", http::http_date(now).into()),
            ("Server", respond::SERVER.into()),
            ("Content-Type", "text/event-stream".into()),
            ("Cache-Control", "no-store".into()),
            ("X-Content-Type-Options", "nosniff".into()),
        ],
        body: ReplyBody::Empty,
    };
    let head = respond::head_bytes(&reply, version);
    let error = shared.error.read().map(|e| e.clone()).unwrap_or(None);
    let hello = reload::opening(&serde_json::json!({ "build": snapshot.build, "error": error }));
    (reply, head, hello)
}

/// One request, as read, waiting for its response to be sent.
struct Exchange {
    client: Option<SocketAddr>,
    connection: trace::ConnectionInfo,
    when: SystemTime,
    method: String,
    target: String,
    version: (u8, u8),
    headers: Vec<(String, String)>,
}

impl Exchange {
    /// A copy of what the log and the trace show of `request` (read as `info`).
    fn new(request: &tiny_http::Request, info: &RequestInfo, when: SystemTime) -> Exchange {
        let (number, on_connection) = request.connection();
        Exchange {
            client: request.remote_addr().copied(),
            connection: trace::ConnectionInfo {
                number,
                request: on_connection,
            },
            when,
            method: info.method.to_string(),
            target: info.target.to_string(),
            version: info.version,
            headers: info
                .headers
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        }
    }

    /// Logs the exchange (access log, trace, HAR) with what was sent; `None` when neither the
    /// log nor a trace wanted it (see [`Shared::records`]).
    fn finish(exchange: Option<Exchange>, shared: &Shared, reply: Reply, sent: Sent) {
        let Some(exchange) = exchange else { return };
        exchange.log(shared, reply, sent);
    }

    fn log(self, shared: &Shared, reply: Reply, sent: Sent) {
        if !shared.quiet {
            let request_line = format!(
                "{} {} HTTP/{}.{}",
                self.method, self.target, self.version.0, self.version.1
            );
            let line = log::common_log_line(
                self.client,
                self.when,
                &request_line,
                reply.status,
                sent.body_bytes,
            );
            if shared.colour {
                eprintln!("{}", log::colour(&line, reply.status));
            } else {
                eprintln!("{line}");
            }
        }
        if let Some(recorder) = shared.recorder.as_ref().filter(|r| r.wants(&self.target)) {
            recorder.record(&trace::Record {
                started: self.when,
                client: self.client,
                server: shared.addr,
                connection: self.connection,
                method: self.method,
                target: self.target,
                version: self.version,
                request_headers: self.headers,
                reply,
                head_bytes: sent.head_bytes,
                body_bytes: sent.body_bytes,
                first_byte: sent.first_byte,
                total: sent.total,
            });
        }
    }
}
