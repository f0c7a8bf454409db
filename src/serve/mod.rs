//! `profile serve`: the preview server.
//!
//! tiny_http (patched: see `vendor/tiny_http/PATCHES.md`) accepts connections and parses request
//! heads; everything on the way back is ours: [`respond`] decides the status and headers as a
//! pure function, and the connection's thread writes the exact bytes through
//! `Request::into_writer`, so that `Content-Length`, `Connection`, ranges and 304s are right on
//! the wire (upstream tiny_http drops a `Connection` header, sends big bodies chunked, and adds
//! its own `Date`).

pub mod http;
pub mod listen;
pub mod log;
mod rebuild;
pub mod reload;
pub mod resolve;
pub mod respond;
#[cfg(test)]
mod testing;
pub mod trace;
pub mod watch;

use std::io::{IoSlice, IsTerminal, Read, Seek, SeekFrom, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::output::{Body, Output};

use respond::{Reply, ReplyBody, RequestInfo};

/// Timeouts and caps on client connections (from the patched tiny_http).
pub use tiny_http::ConnectionLimits;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The site's directory, holding `site.toml`.
    pub root: PathBuf,
    /// Where the build is also written (the same `dist/` that `profile build` makes).
    pub out: PathBuf,
    /// The address to listen on (`127.0.0.1`, `0.0.0.0`, `::1`, `localhost`).
    pub host: String,
    /// The port; 0 takes a free one.
    pub port: u16,
    /// No access log.
    pub quiet: bool,
    /// Timeouts and caps on connections.
    pub limits: ConnectionLimits,
    /// Rebuild when the sources change.
    pub watch: bool,
    /// Add the live-reload script to HTML responses.
    pub live_reload: bool,
    /// `--trace` and `--har`.
    pub trace: trace::TraceOptions,
}

impl ServeConfig {
    /// The defaults of `profile serve` for the site at `root`.
    pub fn new(root: impl Into<PathBuf>) -> ServeConfig {
        let root = root.into();
        ServeConfig {
            out: crate::text::display_path(&root, "dist".as_ref()),
            root,
            host: "127.0.0.1".into(),
            port: 5000,
            quiet: false,
            limits: ConnectionLimits {
                // GET and HEAD only: request bodies are never read (see respond::wants_close).
                read_request_bodies: false,
                ..ConnectionLimits::default()
            },
            watch: true,
            live_reload: true,
            trace: trace::TraceOptions::default(),
        }
    }
}

/// A built site as served: the output, the time it was built (every entry's `Last-Modified`)
/// and its build number (which the live-reload script compares).
struct Snapshot {
    output: Output,
    built: SystemTime,
    build: u64,
    /// Its pages with the live-reload script, made as they are asked for.
    preview: reload::Preview,
}

impl Snapshot {
    fn new(output: Output, built: SystemTime, build: u64) -> Snapshot {
        Snapshot {
            output,
            built,
            build,
            preview: reload::Preview::new(build),
        }
    }
}

/// What the connections' threads and the rebuild thread share.
struct Shared {
    /// The build being served; replaced whole, so a request never sees two builds.
    current: RwLock<Arc<Snapshot>>,
    /// The last failed rebuild, shown by every page that connects until a build succeeds.
    error: RwLock<Option<serde_json::Value>>,
    /// The live-reload streams.
    hub: reload::Hub,
    live_reload: bool,
    quiet: bool,
    colour: bool,
    /// `--trace` / `--har`, when asked for.
    recorder: Option<trace::Recorder>,
    addr: SocketAddr,
    /// Set by [`RunningServer::stop`]: the rebuild thread ends at its next wake-up.
    stopped: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether a request for `target` goes into the access log or a trace.
    fn records(&self, target: &str) -> bool {
        !self.quiet || self.recorder.as_ref().is_some_and(|r| r.wants(target))
    }
}

/// A server running in background threads.
pub struct RunningServer {
    addr: SocketAddr,
    server: tiny_http::Server,
    /// The watcher and rebuild thread, when watching.
    rebuilding: Option<rebuild::Rebuilding>,
    /// What the first build made, for the start-up message.
    pub report: crate::BuildReport,
    shared: Arc<Shared>,
}

impl RunningServer {
    /// The address it listens on (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks until the process ends: the server runs in threads of its own.
    pub fn wait(self) {
        loop {
            thread::park();
        }
    }

    /// Stops accepting requests, closes the open connections, and waits for the rebuild thread
    /// to end, so that the site's folders are no longer watched or written when it returns.
    pub fn stop(self) {
        self.shared
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.hub.close_all();
        // Dropping the `Server` closes the listening socket and the connections.
        drop(self.server);
        if let Some(rebuilding) = self.rebuilding {
            rebuilding.stop();
        }
    }
}

/// Builds the site, writes it to `config.out`, and starts serving it (and, with
/// `config.watch`, rebuilding it when its sources change).
pub fn start(config: &ServeConfig) -> Result<RunningServer> {
    let started = std::time::Instant::now();
    crate::output::check_out_dir(&config.root, &config.out)?;
    crate::output::recover(&config.out);
    // Bind first: a port in use is reported before anything is built or written.
    let listener = listen::bind(&config.host, config.port)?;
    let site = crate::site::Site::load(&config.root)?;
    let output = crate::render::render(&site)?;
    let bytes = output.write_atomically(&config.out)?;
    let pages = output.page_count();
    let report = crate::BuildReport {
        pages,
        assets: output.len() - pages,
        bytes,
        elapsed: started.elapsed(),
        out: config.out.clone(),
        privacy: output.privacy.clone(),
    };

    let addr = listener
        .local_addr()
        .map_err(|e| Error::new(format!("cannot listen: {}", crate::error::describe_io(&e))))?;
    let recorder = if config.trace.enabled() {
        Some(trace::Recorder::new(config.trace.clone())?)
    } else {
        None
    };
    let shared = Arc::new(Shared {
        current: RwLock::new(Arc::new(Snapshot::new(
            output,
            http::whole_seconds(SystemTime::now()),
            rebuild::first_build_number(),
        ))),
        error: RwLock::new(None),
        hub: reload::Hub::default(),
        live_reload: config.live_reload,
        quiet: config.quiet,
        colour: log::use_colour(std::io::stderr().is_terminal()),
        recorder,
        addr,
        stopped: std::sync::atomic::AtomicBool::new(false),
    });
    let rebuilding = if config.watch {
        rebuild::spawn(site, config, Arc::clone(&shared))
    } else {
        None
    };
    if config.live_reload {
        spawn_heartbeat(Arc::clone(&shared));
    }
    // Each request is answered on its connection's thread: handing it to a pool of workers
    // cost a thread wake-up each way, more system calls than the read and write themselves.
    let handler_shared = Arc::clone(&shared);
    let handler = Arc::new(move |request| handle(request, &handler_shared));
    let server =
        tiny_http::Server::from_listener_with_handler(listener, None, config.limits, handler)
            .map_err(|e| Error::new(format!("cannot listen on {addr}: {e}")))?;
    Ok(RunningServer {
        addr,
        server,
        rebuilding,
        report,
        shared,
    })
}

/// How often open event streams get a comment line. A closed page's stream is only noticed
/// when a write to it fails (the second after the peer has gone), so this bounds how long a
/// closed tab holds a socket.
const HEARTBEAT: Duration = Duration::from_secs(2);

fn spawn_heartbeat(shared: Arc<Shared>) {
    thread::spawn(move || loop {
        thread::sleep(HEARTBEAT);
        if shared.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        shared.hub.broadcast(b": ping\n\n");
    });
}

/// The URLs a person can open: the loopback one, and for a wildcard host one per network
/// address of this machine.
pub fn local_urls(addr: SocketAddr) -> Vec<String> {
    let url = |ip: IpAddr| match ip {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
    };
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let mut urls = vec![url(IpAddr::V4(Ipv4Addr::LOCALHOST))];
    if let Ok(interfaces) = if_addrs::get_if_addrs() {
        let mut ips: Vec<IpAddr> = interfaces
            .iter()
            .map(|i| i.ip())
            .filter(|ip| !ip.is_loopback() && (ip.is_ipv4() || addr.is_ipv6()))
            .filter(|ip| !matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80))
            .collect();
        ips.sort();
        ips.dedup();
        urls.extend(ips.into_iter().map(url));
    }
    urls
}

fn handle(request: tiny_http::Request, shared: &Arc<Shared>) {
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
    let reply = respond::respond(&info, &snapshot.output, snapshot.built, now, preview);
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

/// What actually left for one response.
struct Sent {
    head_bytes: u64,
    body_bytes: u64,
    first_byte: Duration,
    total: Duration,
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

/// A writer that counts the bytes it passes on and notes when the first one left.
struct Counting {
    inner: Box<dyn Write + Send>,
    since: Instant,
    written: u64,
    first: Option<Duration>,
}

impl Counting {
    fn new(inner: Box<dyn Write + Send>, since: Instant) -> Counting {
        Counting {
            inner,
            since,
            written: 0,
            first: None,
        }
    }
}

impl Counting {
    /// Notes that `n` more bytes left; returns `n`.
    fn count(&mut self, n: usize) -> usize {
        self.written += n as u64;
        if n > 0 && self.first.is_none() {
            self.first = Some(self.since.elapsed());
        }
        n
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        Ok(self.count(n))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
        let n = self.inner.write_vectored(bufs)?;
        Ok(self.count(n))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes all of `bufs` in as few writes as `writer` allows (`Write::write_all_vectored` is
/// not stable yet).
fn write_all_vectored(
    writer: &mut impl Write,
    mut bufs: &mut [IoSlice<'_>],
) -> std::io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match writer.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes the head and body of `reply`, in one write (a writev) when the body is in memory,
/// and says what left (on an error, what left before it).
fn write_reply(mut writer: Counting, head: Vec<u8>, reply: &Reply, output: &Output) -> Sent {
    let head_len = head.len() as u64;
    // Errors mean the client went away: what was sent until then is what is reported.
    let _ = write_head_and_body(&mut writer, head, reply, output);
    let written = writer.written;
    Sent {
        head_bytes: written.min(head_len),
        body_bytes: written.saturating_sub(head_len),
        first_byte: writer.first.unwrap_or_else(|| writer.since.elapsed()),
        total: writer.since.elapsed(),
    }
}

fn write_head_and_body(
    writer: &mut Counting,
    head: Vec<u8>,
    reply: &Reply,
    output: &Output,
) -> std::io::Result<()> {
    // The body is not copied after the head: both go to one writev.
    let with_body = |writer: &mut Counting, body: &[u8]| {
        write_all_vectored(writer, &mut [IoSlice::new(&head), IoSlice::new(body)])
    };
    match &reply.body {
        ReplyBody::Empty => writer.write_all(&head)?,
        ReplyBody::Owned(bytes) => with_body(writer, bytes)?,
        ReplyBody::Shared { bytes, start, len } => {
            let body = bytes
                .get(*start..start + len)
                .ok_or_else(|| std::io::Error::other("range outside the page"))?;
            with_body(writer, body)?;
        }
        ReplyBody::Entry { key, start, len } => {
            let entry = output
                .get(key)
                .ok_or_else(|| std::io::Error::other("entry vanished"))?;
            match &entry.body {
                Body::Bytes(bytes) => {
                    let start = usize::try_from(*start).map_err(std::io::Error::other)?;
                    let end = start + usize::try_from(*len).map_err(std::io::Error::other)?;
                    let body = bytes
                        .get(start..end)
                        .ok_or_else(|| std::io::Error::other("range outside the entry"))?;
                    with_body(writer, body)?;
                }
                Body::File { path, .. } => {
                    let mut file = std::fs::File::open(path)?;
                    file.seek(SeekFrom::Start(*start))?;
                    writer.write_all(&head)?;
                    let copied = std::io::copy(&mut file.take(*len), writer)?;
                    if copied != *len {
                        // The file shrank under us: the promised Content-Length cannot be kept,
                        // and the error drops the connection so the client sees a short read.
                        return Err(std::io::Error::other("file shrank while being sent"));
                    }
                }
            }
        }
    }
    writer.flush()
}
