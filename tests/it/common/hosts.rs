//! Other static hosts for a built `dist/`: Debian's nginx (at `/` or under a sub-path) and
//! `python3 -m http.server`, each on 127.0.0.1 and a free port, each stopped when its guard is
//! dropped (on a panic too); and the `file://` URL of a page on disk.
//!
//! A missing nginx or python3 makes the test skip with one `skipped: …` line on stderr, unless
//! `PROFILE_REQUIRE_TOOLS=1` (CI sets it), which makes it a failure. A tool that is there but does
//! not start is always a failure, with what it said.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tempfile::TempDir;

/// How many times a server is started on a new free port when the last one was taken between
/// probing it and the server binding it.
const ATTEMPTS: usize = 5;
/// Readiness polls (an HTTP request each) and the pause between them: 5 s in all, 30 s at worst
/// (when something that is not the server accepts connections on the port and never answers).
const POLLS: usize = 100;
const POLL: Duration = Duration::from_millis(50);
/// How long one readiness poll waits to connect, send and read.
const PROBE: Duration = Duration::from_millis(250);

/// nginx: `$NGINX_PATH`, else Debian's `/usr/sbin/nginx` (which is not on a non-root `PATH`).
fn nginx_path() -> PathBuf {
    std::env::var_os("NGINX_PATH")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/sbin/nginx"), PathBuf::from)
}

/// Whether nginx is installed; `false` after printing that `test` skips. Panics when it is
/// missing but required (`PROFILE_REQUIRE_TOOLS=1`).
pub fn have_nginx(test: &str) -> bool {
    let path = nginx_path();
    path.is_file()
        || missing(
            test,
            &format!("nginx ({} does not exist)", path.display()),
            "apt-get install nginx-light, or set NGINX_PATH",
        )
}

/// Whether `python3` on `PATH` runs; `false` after printing that `test` skips. Panics when it is
/// missing but required (`PROFILE_REQUIRE_TOOLS=1`).
pub fn have_python3(test: &str) -> bool {
    Command::new("python3")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
        || missing(
            test,
            "python3 (not on PATH, or does not run)",
            "apt-get install python3",
        )
}

/// Panics when tools are required; otherwise says that `test` skips and returns `false`.
pub fn missing(test: &str, what: &str, install: &str) -> bool {
    if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} requires {what} (PROFILE_REQUIRE_TOOLS=1): {install}");
    }
    super::skip(format_args!(
        "{test} needs {what} ({install}); set PROFILE_REQUIRE_TOOLS=1 to make this an error"
    ));
    false
}

/// A port that was free a moment ago on 127.0.0.1. Another process may take it before the server
/// binds it, hence the retries in [`start`].
pub fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    probe.local_addr().expect("the probe's address").port()
}

/// A server process listening on 127.0.0.1: killed and waited for when dropped.
struct Process {
    child: Child,
    addr: SocketAddr,
}

/// What the readiness probe asks for and how it recognises the server.
struct Probe<'a> {
    /// A request target the server answers (any status).
    target: &'a str,
    /// A word of the server's `Server` header (`nginx`, `SimpleHTTP`).
    server: &'a str,
}

impl Probe<'_> {
    /// Whether `addr` answers `HEAD target` with the expected `Server` header: another process
    /// that took the port meanwhile would accept a connection too, and nginx keeps running for a
    /// while when it cannot bind (it tries again for 2 s), so a connection alone proves nothing.
    fn answered(&self, addr: SocketAddr) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, PROBE) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(PROBE));
        let _ = stream.set_write_timeout(Some(PROBE));
        let request = format!("HEAD {} HTTP/1.0\r\nHost: {addr}\r\n\r\n", self.target);
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut head = Vec::new();
        let _ = stream.take(16 * 1024).read_to_end(&mut head);
        String::from_utf8_lossy(&head).lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.eq_ignore_ascii_case("server") && value.contains(self.server)
            })
        })
    }
}

impl Process {
    /// Polls until the server answers `probe` (`Ok`), exits (`Err` with its status), or
    /// [`POLLS`] polls have passed (`Err(None)`).
    fn wait_listening(&mut self, probe: &Probe) -> Result<(), Option<std::process::ExitStatus>> {
        for _ in 0..POLLS {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Some(status));
            }
            if probe.answered(self.addr) {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
        Err(None)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command(port)` until one listens, waiting for each until it answers `probe`; a server
/// that exits because its port was taken meanwhile is tried again on another (at most
/// [`ATTEMPTS`] ports). `describe` says what the server logged, for the failure message.
fn start(
    what: &str,
    probe: Probe,
    mut command: impl FnMut(u16) -> Command,
    describe: impl Fn() -> String,
) -> Process {
    let mut failures = Vec::new();
    for _ in 0..ATTEMPTS {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = command(port)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        // Dropped (killed) unless it turns out to listen.
        let mut process = Process { child, addr };
        let status = match process.wait_listening(&probe) {
            Ok(()) => return process,
            Err(Some(status)) => status,
            Err(None) => panic!(
                "{what} did not listen on {addr} after {POLLS} tries {POLL:?} apart:\n{}",
                describe()
            ),
        };
        let said = describe();
        // nginx: "bind() to … failed (98: Address already in use)"; Python: "OSError: [Errno
        // 98] Address already in use". Anything else will not go away with another port.
        if !said.contains("Address already in use") {
            panic!("{what} exited ({status}) instead of listening on {addr}:\n{said}");
        }
        failures.push(format!("port {port}: {said}"));
    }
    panic!(
        "{what} found no free port in {ATTEMPTS} attempts:\n{}",
        failures.join("\n")
    );
}

/// Reads a log file, or says why not.
fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
}

/// nginx serving a `dist/` under a mount point, with its configuration and logs in a temporary
/// directory of its own.
pub struct Nginx {
    process: Process,
    mount: String,
    dir: TempDir,
}

/// Starts nginx serving `dist` at `mount` (`/` or a sub-path such as `/~student/profile/`,
/// starting and ending with `/`), with `error_page 404` pointing at the site's `404.html` as a
/// host of the site would be configured, and `extra` lines of configuration added to the
/// `server` block (`gzip_static on;`, say). Check [`have_nginx`] first.
pub fn start_nginx(dist: &Path, mount: &str, extra: &str) -> Nginx {
    let binary = nginx_path();
    assert!(
        mount.starts_with('/') && mount.ends_with('/'),
        "a mount point starts and ends with `/`: {mount:?}"
    );
    let dist = dist.canonicalize().expect("the dist directory exists");
    let dir = tempfile::tempdir().expect("create nginx's temporary directory");
    let tmp = dir.path().canonicalize().unwrap();
    let tmp = tmp.display();
    let dist = dist.display();
    // Debian's nginx-common ships mime.types; a minimal table for what a profile site holds
    // otherwise, so that the logo, audio and stylesheet still get their real types.
    let types = if Path::new("/etc/nginx/mime.types").is_file() {
        "include /etc/nginx/mime.types;".to_string()
    } else {
        "types { text/html html; text/css css; image/svg+xml svg; image/png png; \
         image/jpeg jpg jpeg; image/gif gif; image/webp webp; audio/mpeg mp3; audio/ogg ogg opus; \
         audio/wav wav; audio/mp4 m4a; audio/flac flac; }"
            .to_string()
    };
    // `root` at `/` (the usual set-up); `alias` under a sub-path, so that the URL's prefix is not
    // a directory on disk: only the page's relative URLs can make the sub-path work.
    let site = if mount == "/" {
        format!("location / {{ root {dist}; }}")
    } else {
        format!("location {mount} {{ alias {dist}/; }}")
    };
    let config_path = dir.path().join("nginx.conf");
    let log = dir.path().join("error.log");
    let probe = Probe {
        target: mount,
        server: "nginx",
    };
    let process = start(
        "nginx",
        probe,
        |port| {
            // In the foreground and one process (no master, no workers switching to another
            // user who could not read the temporary directory); every file it writes is in the
            // temporary directory, so it needs no root and leaves nothing behind.
            let config = format!(
                "daemon off;\n\
                 master_process off;\n\
                 worker_processes 1;\n\
                 pid {tmp}/nginx.pid;\n\
                 error_log {tmp}/error.log notice;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n\
                 \x20 {types}\n\
                 \x20 default_type application/octet-stream;\n\
                 \x20 access_log {tmp}/access.log;\n\
                 \x20 client_body_temp_path {tmp}/client_body;\n\
                 \x20 proxy_temp_path {tmp}/proxy;\n\
                 \x20 fastcgi_temp_path {tmp}/fastcgi;\n\
                 \x20 uwsgi_temp_path {tmp}/uwsgi;\n\
                 \x20 scgi_temp_path {tmp}/scgi;\n\
                 \x20 server {{\n\
                 \x20   listen 127.0.0.1:{port};\n\
                 \x20   server_name localhost;\n\
                 \x20   error_page 404 {mount}404.html;\n\
                 \x20   {site}\n\
                 \x20   {extra}\n\
                 \x20 }}\n\
                 }}\n"
            );
            fs::write(&config_path, config).expect("write nginx.conf");
            // Each attempt's failure in its own words, not the last attempt's.
            let _ = fs::remove_file(&log);
            let mut command = Command::new(&binary);
            // -e: the error log before the configuration is read (else /var/log/nginx).
            command
                .arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(&log)
                .arg("-c")
                .arg(&config_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            command
        },
        || {
            format!(
                "{}\nnginx.conf:\n{}",
                read_log(&log),
                read_log(&config_path)
            )
        },
    );
    Nginx {
        process,
        mount: mount.to_string(),
        dir,
    }
}

impl Nginx {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.process.addr)
    }

    /// The site's URL: the origin and the mount point.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin(), self.mount)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr
    }

    /// The lines of the access log so far (nginx writes each request as it ends).
    pub fn access_log(&self) -> Vec<String> {
        read_log(&self.dir.path().join("access.log"))
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The error log so far.
    pub fn error_log(&self) -> String {
        read_log(&self.dir.path().join("error.log"))
    }
}

/// `python3 -m http.server` serving a `dist/` at `/`, killed when dropped.
pub struct PythonServer {
    process: Process,
    _dir: TempDir,
}

/// Starts `python3 -m http.server` on `dist`. Check [`have_python3`] first.
pub fn start_python(dist: &Path) -> PythonServer {
    let dir = tempfile::tempdir().expect("create a temporary directory for the server's log");
    let log = dir.path().join("server.log");
    let probe = Probe {
        target: "/",
        server: "SimpleHTTP",
    };
    let process = start(
        "python3 -m http.server",
        probe,
        |port| {
            // Its log goes to a file: a pipe nobody reads could fill up and stall the server.
            let file = fs::File::create(&log).expect("create the server's log");
            let mut command = Command::new("python3");
            command
                .args(["-m", "http.server", "--bind", "127.0.0.1"])
                .arg(port.to_string())
                .arg("--directory")
                .arg(dist)
                .stdout(file.try_clone().expect("share the log file"))
                .stderr(file);
            command
        },
        || read_log(&log),
    );
    PythonServer { process, _dir: dir }
}

impl PythonServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.process.addr)
    }

    /// The site's URL (`/`).
    pub fn url(&self) -> String {
        format!("{}/", self.origin())
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr
    }
}

/// The lab's original server: a Flask app on Werkzeug's development server, answering every path
/// from `dist` with `send_from_directory` (ETag and Last-Modified validators, ranges, 404).
const FLASK_APP: &str = r#"
import sys
from flask import Flask, send_from_directory
dist, port = sys.argv[1], int(sys.argv[2])
app = Flask(__name__, static_folder=None)

@app.route("/", defaults={"path": "index.html"})
@app.route("/<path:path>")
def files(path):
    if path.endswith("/"):
        path += "index.html"
    return send_from_directory(dist, path)

app.run(host="127.0.0.1", port=port)
"#;

/// Whether `python3` can import Flask; `false` after printing that `test` skips. Panics when it
/// is missing but required (`PROFILE_REQUIRE_TOOLS=1`).
pub fn have_flask(test: &str) -> bool {
    Command::new("python3")
        .args(["-c", "import flask"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
        || missing(
            test,
            "Flask for python3 (import flask fails)",
            "python3 -m pip install flask",
        )
}

/// Starts the lab's Flask app on `dist`. Check [`have_flask`] first.
pub fn start_flask(dist: &Path) -> PythonServer {
    let dir = tempfile::tempdir().expect("create a temporary directory for the server's log");
    let log = dir.path().join("server.log");
    let app = dir.path().join("app.py");
    fs::write(&app, FLASK_APP).expect("write the Flask app");
    let probe = Probe {
        target: "/",
        server: "Werkzeug",
    };
    let process = start(
        "the Flask development server",
        probe,
        |port| {
            let file = fs::File::create(&log).expect("create the server's log");
            let mut command = Command::new("python3");
            command
                .arg(&app)
                .arg(dist)
                .arg(port.to_string())
                .stdout(file.try_clone().expect("share the log file"))
                .stderr(file);
            command
        },
        || read_log(&log),
    );
    PythonServer { process, _dir: dir }
}

/// Everything but the unreserved characters and `/` is escaped in a `file://` path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The `file://` URL of an absolute path, percent-encoded (UTF-8) so that spaces, `#`, `%` and
/// non-ASCII names survive.
pub fn file_url(path: &Path) -> String {
    let path = path.canonicalize().expect("the file exists");
    let text = path.to_str().expect("a UTF-8 path");
    format!("file://{}", utf8_percent_encode(text, PATH))
}
