//! # Simple usage
//!
//! ## Creating the server
//!
//! The easiest way to create a server is to call `Server::http()`.
//!
//! The `http()` function returns an `IoResult<Server>` which will return an error
//! in the case where the server creation fails (for example if the listening port is already
//! occupied).
//!
//! ```no_run
//! let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
//! ```
//!
//! A newly-created `Server` will immediately start listening for incoming connections and HTTP
//! requests.
//!
//! ## Receiving requests
//!
//! Calling `server.recv()` will block until the next request is available.
//! This function returns an `IoResult<Request>`, so you need to handle the possible errors.
//!
//! ```no_run
//! # let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
//!
//! loop {
//!     // blocks until the next request is received
//!     let request = match server.recv() {
//!         Ok(rq) => rq,
//!         Err(e) => { println!("error: {}", e); break }
//!     };
//!
//!     // do something with the request
//!     // ...
//! }
//! ```
//!
//! In a real-case scenario, you will probably want to spawn multiple worker tasks and call
//! `server.recv()` on all of them. Like this:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use std::thread;
//! # let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
//! let server = Arc::new(server);
//! let mut guards = Vec::with_capacity(4);
//!
//! for _ in (0 .. 4) {
//!     let server = server.clone();
//!
//!     let guard = thread::spawn(move || {
//!         loop {
//!             let rq = server.recv().unwrap();
//!
//!             // ...
//!         }
//!     });
//!
//!     guards.push(guard);
//! }
//! ```
//!
//! If you don't want to block, you can call `server.try_recv()` instead.
//!
//! ## Handling requests
//!
//! The `Request` object returned by `server.recv()` contains informations about the client's request.
//! The most useful methods are probably `request.method()` and `request.url()` which return
//! the requested method (`GET`, `POST`, etc.) and url.
//!
//! To handle a request, you need to create a `Response` object. See the docs of this object for
//! more infos. Here is an example of creating a `Response` from a file:
//!
//! ```no_run
//! # use std::fs::File;
//! # use std::path::Path;
//! let response = tiny_http::Response::from_file(File::open(&Path::new("image.png")).unwrap());
//! ```
//!
//! All that remains to do is call `request.respond()`:
//!
//! ```no_run
//! # use std::fs::File;
//! # use std::path::Path;
//! # let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
//! # let request = server.recv().unwrap();
//! # let response = tiny_http::Response::from_file(File::open(&Path::new("image.png")).unwrap());
//! let _ = request.respond(response);
//! ```
#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]
#![allow(clippy::match_like_matches_macro)]

use std::error::Error;
use std::io::Error as IoError;
use std::io::ErrorKind as IoErrorKind;
use std::io::Result as IoResult;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use client::ClientConnection;
use connection::Connection;
use util::MessagesQueue;

pub use common::{HTTPVersion, Header, HeaderField, Method, StatusCode};
pub use connection::{ConfigListenAddr, ListenAddr, Listener};
pub use request::{ReadWrite, Request};
pub use response::{Response, ResponseBox};

mod client;
mod common;
mod connection;
mod request;
mod response;
mod util;
// profile patch: request framing (RFC 9112 §6.3) and chunked bodies, shared with the application
pub mod framing;

/// The main class of this library.
///
/// Destroying this object will immediately close the listening socket and the reading
///  part of all the client's connections. Requests that have already been returned by
///  the `recv()` function will not close and the responses will be transferred to the client.
pub struct Server {
    // should be false as long as the server exists
    // when set to true, all the subtasks will close within a few hundreds ms
    close: Arc<AtomicBool>,

    // profile patch: the open connections, closed when the server is dropped
    connections: Arc<OpenConnections>,

    // profile patch: joined on drop, so that the listening socket is closed when drop returns
    accept_thread: Option<thread::JoinHandle<()>>,

    // queue for messages received by child threads
    messages: Arc<MessagesQueue<Message>>,

    // result of TcpListener::local_addr()
    listening_addr: ListenAddr,
}

enum Message {
    Error(IoError),
    NewRequest(Request),
}

impl From<IoError> for Message {
    fn from(e: IoError) -> Message {
        Message::Error(e)
    }
}

impl From<Request> for Message {
    fn from(rq: Request) -> Message {
        Message::NewRequest(rq)
    }
}

// this trait is to make sure that Server implements Share and Send
#[doc(hidden)]
#[allow(dead_code)] // profile patch: a compile-time check, silenced for newer rustc
trait MustBeShareDummy: Sync + Send {}
#[doc(hidden)]
impl MustBeShareDummy for Server {}

pub struct IncomingRequests<'a> {
    server: &'a Server,
}

/// Represents the parameters required to create a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The addresses to try to listen to.
    pub addr: ConfigListenAddr,

    /// If `Some`, then the server will use SSL to encode the communications.
    pub ssl: Option<SslConfig>,
}

/// profile patch: the open connections, so that there can be a cap on them and so that dropping
/// the server closes them (a keep-alive or streaming connection would otherwise outlive it).
#[derive(Default)]
struct OpenConnections {
    sockets: std::sync::Mutex<(u64, std::collections::HashMap<u64, Connection>)>,
}

impl OpenConnections {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, std::collections::HashMap<u64, Connection>)> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().1.len()
    }

    /// Registers `socket` until the returned guard is dropped.
    fn register(self: &Arc<Self>, socket: Connection) -> Registration {
        let mut sockets = self.lock();
        sockets.0 += 1;
        let id = sockets.0;
        sockets.1.insert(id, socket);
        Registration(self.clone(), id)
    }

    fn shutdown_all(&self) {
        for (_, socket) in self.lock().1.drain() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// profile patch: keeps a connection registered while its thread runs.
struct Registration(Arc<OpenConnections>, u64);

impl Drop for Registration {
    fn drop(&mut self) {
        self.0.lock().1.remove(&self.1);
    }
}

/// profile patch: bounds on what clients may hold, so that idle or slow clients cannot starve
/// the server (upstream tiny_http has no timeouts and no cap, tiny-http issue #143).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A connection that sends nothing for this long is closed (also the per-read timeout
    /// while a request head arrives).
    pub idle_timeout: Option<Duration>,
    /// A write that cannot make progress for this long fails and the connection is closed.
    pub write_timeout: Option<Duration>,
    /// A request head (request line and headers) must arrive within this time, however slowly
    /// it trickles in; otherwise 408 and close.
    pub head_timeout: Duration,
    /// The most bytes a request head may have; a larger one gets 431 and close.
    pub max_head_bytes: usize,
    /// The most connections served at once (each holds one thread); further connections get
    /// 503 and are closed at once.
    pub max_connections: usize,
    /// When false, request bodies are never given to the application: a request that
    /// announces one gets an empty body reader. A chunked one (HTTP/1.1) is read and thrown
    /// away first (`max_discarded_body`); after any other (a `Content-Length` other than 0,
    /// or faulty framing) the connection is closed after the response, since the unread bytes
    /// cannot be told apart from a next request. For servers that only answer GET and HEAD: no client can
    /// then hold a thread by trickling a body, or make the server allocate its length.
    pub read_request_bodies: bool,
    /// profile patch: with `read_request_bodies` off, a chunked request body is still read,
    /// its framing checked and its data thrown away (`framing::ChunkedBody`), so that a bad
    /// one gets `400` before the method is looked at and a good one leaves the connection
    /// open: at most this many bytes of it (framing included; `413` and close beyond)...
    pub max_discarded_body: u64,
    /// ...within this time from the end of its head (`408` and close beyond).
    pub body_timeout: Duration,
    /// The `Server` field of the responses tiny_http writes itself (its refusals: 400, 408,
    /// 414, 417, 431, 503, 505; a `500` for a request dropped unanswered; `100 Continue`), so
    /// that they name the same server as the application's own. It must be a valid field value
    /// (visible ASCII and spaces); another is replaced by upstream's name.
    pub server_name: &'static str,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: Some(Duration::from_secs(15)),
            write_timeout: Some(Duration::from_secs(30)),
            head_timeout: Duration::from_secs(10),
            max_head_bytes: 16 * 1024,
            max_connections: 1024,
            read_request_bodies: true,
            max_discarded_body: 1024 * 1024,
            body_timeout: Duration::from_secs(5),
            server_name: "tiny-http (Rust)",
        }
    }
}

/// Configuration of the server for SSL.
#[derive(Debug, Clone)]
pub struct SslConfig {
    /// Contains the public certificate to send to clients.
    pub certificate: Vec<u8>,
    /// Contains the ultra-secret private key used to decode communications.
    pub private_key: Vec<u8>,
}

impl Server {
    /// Shortcut for a simple server on a specific address.
    #[inline]
    pub fn http<A>(addr: A) -> Result<Server, Box<dyn Error + Send + Sync + 'static>>
    where
        A: ToSocketAddrs,
    {
        Server::new(ServerConfig {
            addr: ConfigListenAddr::from_socket_addrs(addr)?,
            ssl: None,
        })
    }

    #[cfg(unix)]
    #[inline]
    /// Shortcut for a UNIX socket server at a specific path
    pub fn http_unix(
        path: &std::path::Path,
    ) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        Server::new(ServerConfig {
            addr: ConfigListenAddr::unix_from_path(path),
            ssl: None,
        })
    }

    /// Builds a new server that listens on the specified address.
    pub fn new(config: ServerConfig) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        let listener = config.addr.bind()?;
        Self::from_listener(listener, config.ssl)
    }

    /// Builds a new server using the specified TCP listener.
    ///
    /// This is useful if you've constructed TcpListener using some less usual method
    /// such as from systemd. For other cases, you probably want the `new()` function.
    pub fn from_listener<L: Into<Listener>>(
        listener: L,
        ssl_config: Option<SslConfig>,
    ) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        Self::from_listener_with_limits(listener, ssl_config, ConnectionLimits::default())
    }

    /// profile patch: like `from_listener`, with explicit `ConnectionLimits`.
    pub fn from_listener_with_limits<L: Into<Listener>>(
        listener: L,
        ssl_config: Option<SslConfig>,
        limits: ConnectionLimits,
    ) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        Self::start(listener, ssl_config, limits, None)
    }

    /// profile patch: like `from_listener_with_limits`, but each request is given to `handler`
    /// on its connection's own thread, and `recv` never returns one. Handing requests to other
    /// threads cost a wake-up on each side and on the way back (ten futex calls a request under
    /// wrk, beside one read and one write); a connection's requests are answered in turn
    /// anyway. A handler that panics ends its connection, not the server.
    pub fn from_listener_with_handler<L: Into<Listener>>(
        listener: L,
        ssl_config: Option<SslConfig>,
        limits: ConnectionLimits,
        handler: Arc<dyn Fn(Request) + Send + Sync>,
    ) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        Self::start(listener, ssl_config, limits, Some(handler))
    }

    fn start<L: Into<Listener>>(
        listener: L,
        ssl_config: Option<SslConfig>,
        limits: ConnectionLimits,
        handler: Option<Arc<dyn Fn(Request) + Send + Sync>>,
    ) -> Result<Server, Box<dyn Error + Send + Sync + 'static>> {
        let listener = listener.into();
        // building the "close" variable
        let close_trigger = Arc::new(AtomicBool::new(false));

        // building the TcpListener
        let (server, local_addr) = {
            let local_addr = listener.local_addr()?;
            log::debug!("Server listening on {}", local_addr);
            (listener, local_addr)
        };

        // profile patch: this copy has no SSL (its `ssl-openssl` and `ssl-rustls` features were
        // removed), as upstream without them.
        if ssl_config.is_some() {
            return Err("this copy of tiny_http is built without SSL".into());
        }

        // creating a task where server.accept() is continuously called
        // and ClientConnection objects are pushed in the messages queue
        let messages = MessagesQueue::with_capacity(8);

        let inside_close_trigger = close_trigger.clone();
        let connections = Arc::new(OpenConnections::default());
        let inside_connections = connections.clone();
        let inside_messages = messages.clone();
        let accept_thread = thread::spawn(move || {
            // a tasks pool is used to dispatch the connections into threads
            // profile patch: one thread per connection (there are at most `max_connections`),
            // not upstream's task pool, which under a burst of keep-alive connections queues new
            // ones behind threads that each hold a connection for its whole life.

            log::debug!("Running accept thread");
            while !inside_close_trigger.load(Relaxed) {
                let mut registration = None;
                let new_client = match server.accept() {
                    Ok((mut sock, _)) => {
                        use util::RefinedTcpStream;
                        if sock.apply_limits(&limits).is_err() {
                            continue;
                        }
                        if inside_connections.len() >= limits.max_connections {
                            // Full: answer at once rather than leave the client waiting.
                            client::write_refusal(&mut sock, 503, limits.server_name);
                            continue;
                        }
                        registration = sock
                            .try_clone()
                            .ok()
                            .map(|s| inside_connections.register(s));
                        // profile patch: splitting the socket takes a file descriptor: out of
                        // them, this connection is closed (its registration dropped), and the
                        // accept thread goes on (it panicked).
                        let (read_closable, write_closable) = match RefinedTcpStream::new(sock) {
                            Ok(split) => split,
                            Err(e) => {
                                log::error!("Cannot split a connection's socket: {}", e);
                                continue;
                            }
                        };

                        let id = registration.as_ref().map_or(0, |r: &Registration| r.1);
                        Ok(ClientConnection::new(
                            write_closable,
                            read_closable,
                            limits,
                            id,
                        ))
                    }
                    Err(e) => Err(e),
                };

                match new_client {
                    Ok(client) => {
                        let messages = inside_messages.clone();
                        let handler = handler.clone();
                        let mut client = Some(client);
                        let guard = registration.take();
                        let spawned = thread::Builder::new().spawn(move || {
                            let _guard = guard;
                            if let Some(client) = client.take() {
                                if let Some(handler) = handler {
                                    for rq in client {
                                        handler(rq);
                                    }
                                } else {
                                    for rq in client {
                                        messages.push(rq.into());
                                    }
                                }
                            }
                        });
                        if let Err(e) = spawned {
                            // Out of threads: this connection is dropped (closed), not the server.
                            log::error!("Cannot start a connection thread: {}", e);
                        }
                    }

                    Err(e) => {
                        // profile patch: upstream stops accepting for good on any error. Running
                        // out of file descriptors (EMFILE) or a connection reset before accept
                        // are transient: wait a moment and go on.
                        log::error!("Error accepting new client: {}", e);
                        thread::sleep(Duration::from_millis(10));
                    }
                }
            }
            log::debug!("Terminating accept thread");
        });

        // result
        Ok(Server {
            messages,
            connections,
            accept_thread: Some(accept_thread),
            close: close_trigger,
            listening_addr: local_addr,
        })
    }

    /// Returns an iterator for all the incoming requests.
    ///
    /// The iterator will return `None` if the server socket is shutdown.
    #[inline]
    pub fn incoming_requests(&self) -> IncomingRequests<'_> {
        IncomingRequests { server: self }
    }

    /// Returns the address the server is listening to.
    #[inline]
    pub fn server_addr(&self) -> ListenAddr {
        self.listening_addr.clone()
    }

    /// Returns the number of clients currently connected to the server.
    pub fn num_connections(&self) -> usize {
        unimplemented!()
        //self.requests_receiver.lock().len()
    }

    /// Blocks until an HTTP request has been submitted and returns it.
    pub fn recv(&self) -> IoResult<Request> {
        match self.messages.pop() {
            Some(Message::Error(err)) => Err(err),
            Some(Message::NewRequest(rq)) => Ok(rq),
            None => Err(IoError::new(IoErrorKind::Other, "thread unblocked")),
        }
    }

    /// Same as `recv()` but doesn't block longer than timeout
    pub fn recv_timeout(&self, timeout: Duration) -> IoResult<Option<Request>> {
        match self.messages.pop_timeout(timeout) {
            Some(Message::Error(err)) => Err(err),
            Some(Message::NewRequest(rq)) => Ok(Some(rq)),
            None => Ok(None),
        }
    }

    /// Same as `recv()` but doesn't block.
    pub fn try_recv(&self) -> IoResult<Option<Request>> {
        match self.messages.try_pop() {
            Some(Message::Error(err)) => Err(err),
            Some(Message::NewRequest(rq)) => Ok(Some(rq)),
            None => Ok(None),
        }
    }

    /// Unblock thread stuck in recv() or incoming_requests().
    /// If there are several such threads, only one is unblocked.
    /// This method allows graceful shutdown of server.
    pub fn unblock(&self) {
        self.messages.unblock();
    }
}

impl Iterator for IncomingRequests<'_> {
    type Item = Request;
    fn next(&mut self) -> Option<Request> {
        self.server.recv().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close.store(true, Relaxed);
        // Connect briefly to ourselves to unblock the accept thread
        let maybe_stream = match &self.listening_addr {
            ListenAddr::IP(addr) => TcpStream::connect(addr).map(Connection::from),
            #[cfg(unix)]
            ListenAddr::Unix(addr) => {
                // TODO: use connect_addr when its stabilized.
                let path = addr.as_pathname().unwrap();
                std::os::unix::net::UnixStream::connect(path).map(Connection::from)
            }
        };
        if let Ok(stream) = maybe_stream {
            let _ = stream.shutdown(Shutdown::Both);
            // profile patch: wait for the accept thread to see the flag and drop the listener,
            // so that no connection is accepted (by the kernel's backlog) after drop returns
            if let Some(accept_thread) = self.accept_thread.take() {
                let _ = accept_thread.join();
            }
        }
        // profile patch: end the open connections too (after the accept thread, which might
        // have registered one more)
        self.connections.shutdown_all();

        #[cfg(unix)]
        if let ListenAddr::Unix(addr) = &self.listening_addr {
            if let Some(path) = addr.as_pathname() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
