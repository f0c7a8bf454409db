//! Debian's Firefox ESR, headless, driven over Marionette (its own remote protocol: messages
//! `LENGTH:JSON` on a TCP socket), for the few checks that must hold in Firefox too. No
//! geckodriver: Debian does not package it, and the registries here do not carry its binary.
//!
//! The browser gets a fresh profile whose `user.js` picks a free Marionette port, so tests can
//! run side by side; it is killed when the [`Firefox`] value is dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long Firefox may take to start, and a script to answer.
const WAIT: Duration = Duration::from_secs(30);

/// Debian's Firefox ESR (`$FIREFOX_PATH`, else `/usr/bin/firefox-esr`), or `None` after
/// printing that `test` skips. Panics when browsers are required (`PROFILE_REQUIRE_BROWSER=1`).
pub fn find(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("FIREFOX_PATH")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/firefox-esr"), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("PROFILE_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
        panic!(
            "Firefox is required (PROFILE_REQUIRE_BROWSER=1) but {} does not exist: install it \
             with `apt-get install -y firefox-esr`, or set FIREFOX_PATH",
            path.display()
        );
    }
    super::skip(format_args!(
        "{test} needs Firefox (apt-get install firefox-esr); set PROFILE_REQUIRE_BROWSER=1 to \
         make this an error"
    ));
    None
}

/// A headless Firefox with a Marionette session.
pub struct Firefox {
    child: Child,
    socket: TcpStream,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Firefox {
    /// Starts `binary` and opens a session; panics if it does not answer within [`WAIT`].
    pub fn launch(binary: &std::path::Path) -> Firefox {
        let profile = tempfile::tempdir().expect("create a Firefox profile directory");
        let port = super::hosts::free_port();
        std::fs::write(
            profile.path().join("user.js"),
            format!(
                "user_pref(\"marionette.port\", {port});\n\
                 user_pref(\"media.autoplay.default\", 0);\n\
                 user_pref(\"app.update.disabledForTesting\", true);\n\
                 user_pref(\"browser.shell.checkDefaultBrowser\", false);\n"
            ),
        )
        .expect("write user.js");
        let child = Command::new(binary)
            .args(["--headless", "--marionette", "--no-remote", "--profile"])
            .arg(profile.path())
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Firefox");
        let started = Instant::now();
        let socket = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(socket) => break socket,
                Err(_) if started.elapsed() < WAIT => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("Firefox's Marionette port {port} never opened: {e}"),
            }
        };
        socket
            .set_read_timeout(Some(WAIT))
            .expect("set a read timeout");
        let mut firefox = Firefox {
            child,
            socket,
            next_id: 0,
            _profile: profile,
        };
        let hello = firefox.receive();
        assert_eq!(hello["applicationType"], "gecko", "{hello}");
        firefox.command("WebDriver:NewSession", json!({ "capabilities": {} }));
        firefox
    }

    /// Loads `url` and waits for it.
    pub fn visit(&mut self, url: &str) {
        self.command("WebDriver:Navigate", json!({ "url": url }));
    }

    /// Runs `script` as an async WebDriver script (it calls `arguments[0]` with its answer).
    pub fn run_async(&mut self, script: &str) -> Value {
        let answer = self.command(
            "WebDriver:ExecuteAsyncScript",
            json!({ "script": script, "args": [] }),
        );
        answer["value"].clone()
    }

    /// Sends one command and returns its result; panics on an error answer.
    fn command(&mut self, name: &str, parameters: Value) -> Value {
        self.next_id += 1;
        let message = json!([0, self.next_id, name, parameters]).to_string();
        self.socket
            .write_all(format!("{}:{message}", message.len()).as_bytes())
            .expect("send to Marionette");
        let answer = self.receive();
        assert!(answer[2].is_null(), "{name} failed: {}", answer[2]);
        answer[3].clone()
    }

    /// One `LENGTH:JSON` message.
    fn receive(&mut self) -> Value {
        let mut length = Vec::new();
        let mut byte = [0u8; 1];
        while byte[0] != b':' {
            self.socket
                .read_exact(&mut byte)
                .expect("read from Marionette");
            length.push(byte[0]);
            assert!(length.len() < 16, "not a Marionette message: {length:?}");
        }
        let length: usize = std::str::from_utf8(&length[..length.len() - 1])
            .ok()
            .and_then(|n| n.parse().ok())
            .expect("a message length");
        let mut body = vec![0u8; length];
        self.socket
            .read_exact(&mut body)
            .expect("read from Marionette");
        serde_json::from_slice(&body).expect("a JSON message")
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
