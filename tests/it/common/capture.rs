//! Real captures for `profile report`'s tests: Wireshark's `dumpcap` on the loopback interface,
//! filtered to one server port, and what `tshark` itself says about the file (its TCP
//! conversations, HTTP requests and responses), to compare the report with.
//!
//! dumpcap needs the right to capture (root, or the `wireshark` group's capabilities); CI runs as
//! root. A missing dumpcap or tshark skips the test with a `skipped: …` line, unless
//! `PROFILE_REQUIRE_TOOLS=1` makes it a failure; one that is there but cannot capture is always a
//! failure, with what it said.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// How long dumpcap may take to start capturing, and to finish the file when told to stop.
const WAIT: Duration = Duration::from_secs(15);

/// Whether dumpcap and tshark run; `false` after printing that `test` skips. Panics when they
/// are missing but required (`PROFILE_REQUIRE_TOOLS=1`).
pub fn have_wireshark_tools(test: &str) -> bool {
    ["dumpcap", "tshark"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
            || super::hosts::missing(
                test,
                &format!("{tool} (not on PATH, or does not run)"),
                "apt-get install tshark",
            )
    })
}

/// A dumpcap writing what crosses the loopback interface to or from one TCP port.
pub struct Capture {
    child: Child,
    file: PathBuf,
    dir: TempDir,
    stderr: mpsc::Receiver<String>,
}

impl Capture {
    /// Starts capturing TCP port `port` on `lo` into a pcapng file, and returns once dumpcap
    /// says it is capturing.
    pub fn start(port: u16) -> Capture {
        let dir = tempfile::tempdir().expect("create a temporary directory for the capture");
        let file = dir.path().join("lab.pcapng");
        let mut child = Command::new("dumpcap")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dumpcap");
        let stderr = child.stderr.take().expect("dumpcap's stderr is piped");
        let (lines, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut said = Vec::new();
        loop {
            match receiver.recv_timeout(WAIT) {
                Ok(line) if line.starts_with("Capturing on") => break,
                Ok(line) => said.push(line),
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "dumpcap did not start capturing on lo within {WAIT:?} (run the tests as \
                         root, or give dumpcap the capture capabilities):\n{}",
                        said.join("\n")
                    );
                }
            }
        }
        Capture {
            child,
            file,
            dir,
            stderr: receiver,
        }
    }

    /// Stops dumpcap as Ctrl-C does (it writes out what it has and closes the file), and returns
    /// the capture.
    pub fn stop(mut self) -> CaptureFile {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT dumpcap failed");
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for dumpcap") {
                let said: Vec<String> = self.stderr.try_iter().collect();
                assert!(
                    status.success() || status.code().is_none(),
                    "dumpcap failed ({status}):\n{}",
                    said.join("\n")
                );
                break;
            }
            if started.elapsed() > WAIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("dumpcap did not stop within {WAIT:?} of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        CaptureFile {
            file: self.file,
            _dir: self.dir,
        }
    }
}

/// A finished capture file, removed with its directory when dropped.
pub struct CaptureFile {
    file: PathBuf,
    _dir: TempDir,
}

impl CaptureFile {
    /// The pcapng file.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// A path beside the capture, for the report's outputs.
    pub fn beside(&self, name: &str) -> PathBuf {
        self.file.with_file_name(name)
    }
}

/// What tshark reports about a capture, with TCP port `port` decoded as HTTP (tshark only
/// guesses HTTP on its registered ports). A response counts once its head is there
/// (`http.desegment_body:FALSE`), as it does in the report: otherwise tshark leaves out a
/// response whose body never ends, such as live reload's event stream.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TsharkView {
    /// TCP conversations (`-z conv,tcp`).
    pub connections: usize,
    /// `(method, URI)` of each request (`-Y http.request`), sorted.
    pub requests: Vec<(String, String)>,
    /// The status of each response (`-Y http.response`), sorted.
    pub statuses: Vec<u16>,
}

/// Runs tshark on `capture` and collects its view.
pub fn tshark_view(capture: &Path, port: u16) -> TsharkView {
    let decode = format!("tcp.port=={port},http");
    let decode = ["-d", &decode, "-o", "http.desegment_body:FALSE"];
    let conversations = tshark(capture, &[&decode[..], &["-q", "-z", "conv,tcp"]].concat());
    let connections = conversations
        .lines()
        .filter(|line| line.contains("<->"))
        .count();
    let requests: Vec<(String, String)> = tshark(
        capture,
        &[
            &decode[..],
            &[
                "-Y",
                "http.request",
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-e",
                "http.request.method",
                "-e",
                "http.request.uri",
            ],
        ]
        .concat(),
    )
    .lines()
    .filter_map(|line| {
        let (method, uri) = line.split_once('\t')?;
        Some((method.to_owned(), uri.to_owned()))
    })
    .collect();
    let statuses: Vec<u16> = tshark(
        capture,
        &[
            &decode[..],
            &[
                "-Y",
                "http.response",
                "-T",
                "fields",
                "-e",
                "http.response.code",
            ],
        ]
        .concat(),
    )
    .lines()
    .filter_map(|line| line.trim().parse::<u16>().ok())
    .collect();
    TsharkView::sorted(connections, requests, statuses)
}

impl TsharkView {
    /// The view with its lists sorted, so that two views compare whatever the order of the
    /// exchanges in the capture.
    pub fn sorted(
        connections: usize,
        mut requests: Vec<(String, String)>,
        mut statuses: Vec<u16>,
    ) -> TsharkView {
        requests.sort();
        statuses.sort_unstable();
        TsharkView {
            connections,
            requests,
            statuses,
        }
    }
}

fn tshark(capture: &Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tshark");
    assert!(
        output.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
