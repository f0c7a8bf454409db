//! `profile serve`: the preview server.
//!
//! tiny_http (patched: see `vendor/tiny_http/PATCHES.md`) accepts connections and parses request
//! heads; everything on the way back is ours: [`respond`] decides the status and headers as a
//! pure function, and the connection's thread writes the exact bytes through
//! `Request::into_writer`, so that `Content-Length`, `Connection`, ranges and 304s are right on
//! the wire (upstream tiny_http drops a `Connection` header, sends big bodies chunked, and adds
//! its own `Date`).
//!
//! This file holds the server's lifecycle (start, the shared state, stop); `listen.rs` binds,
//! `handle.rs` answers and logs one request, `write.rs` puts its bytes on the wire, and
//! `rebuild.rs` follows the sources.

pub mod args;
mod handle;
pub mod http;
pub mod listen;
pub mod log;
mod rebuild;
pub mod reload;
pub mod resolve;
pub mod respond;
pub mod trace;
pub mod watch;
mod write;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::output::Output;

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
    let started = Instant::now();
    crate::prepare_out(&config.root, &config.out)?;
    // Bind first: a port in use is reported before anything is built or written.
    let listener = listen::bind(&config.host, config.port)?;
    let crate::Built {
        site,
        output,
        report,
    } = crate::build_prepared(&config.root, &config.out, started)?;

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
    let handler = Arc::new(move |request| handle::handle(request, &handler_shared));
    // The responses tiny_http writes itself (400, 408, 414, 431, 503, 505) name this server
    // too, whatever limits the caller chose.
    let limits = ConnectionLimits {
        server_name: respond::SERVER,
        ..config.limits
    };
    let server = tiny_http::Server::from_listener_with_handler(listener, None, limits, handler)
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
