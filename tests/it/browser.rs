//! The profile page in a real browser: headless Chromium, driven over the DevTools protocol (CDP)
//! by the `headless_chrome` crate, loads the example site served by `profile::serve` (a scratch
//! copy, on 127.0.0.1 and a free port, live-reload script included) and checks what a visitor
//! gets, from the browser's own records:
//!
//! - every visit: the logo decodes (`img.logo` complete with a `naturalWidth`), the audio's
//!   metadata loads (`audio.duration > 0`), no request fails (`Network.loadingFailed`; the one
//!   exception is the audio player cancelling its own range request once it has the metadata)
//!   or gets a status of 400 or more, nothing is logged as an error (`console.error`, an uncaught
//!   exception, a `Log` entry of level error), nothing asks for `/favicon.ico`, nothing goes
//!   anywhere but the test's server, and every resource the page's Resource Timing lists was
//!   seen in the CDP events;
//! - first visit: the HTML is a `200` and the server answers a request for the `.mp3` with
//!   `206 Partial Content`;
//! - revisit (the lab's "open the page again": a new navigation in the same browser, not a
//!   reload): the server answers the HTML with `304 Not Modified`, and every other resource is a
//!   `304` or comes from the browser's cache (but the live-reload event stream).
//!
//! The statuses are the ones the server sent (`Network.responseReceivedExtraInfo`): after a
//! revalidation, `Network.responseReceived` reports the cached `200`.
//!
//! Chromium is `$CHROME_PATH`, else `/usr/bin/chromium`. Without it each test prints one
//! `skipped: …` line to stderr (straight to the process's stderr, so a plain `cargo test` shows
//! it too) and passes, unless `PROFILE_REQUIRE_BROWSER=1` (CI sets it), which makes a missing
//! Chromium a failure. A Chromium that is there but does not start is always a failure.
//!
//! The browser never loads anything but the test's server: its background services are switched
//! off, and its host resolver answers "not found" for every name, so nothing reaches the network.
//! Each test has a browser with a fresh profile; every wait on the page gives up after 15 s.

use crate::common;

use std::path::PathBuf;

use common::browser_lab::{Lab, LabTab, Seen};
use profile::serve::{RunningServer, ServeConfig};

#[test]
fn browser_first_visit_loads_logo_and_audio_cleanly() {
    let Some(chromium) = chromium() else { return };
    let served = Served::example();
    let browser = Lab::launch(&chromium);
    let tab = browser.tab();
    let page = served.url();

    let (seen, mut problems) = tab.load(&page, &served.origin);
    let mp3 = seen.exchanges_matching(|e| e.path(&served.origin).ends_with(".mp3"));
    if !mp3.iter().any(|e| e.wire_status == Some(206)) {
        problems.push(format!(
            "the server answered no request for the .mp3 with 206 Partial Content; the .mp3 \
             requests: {mp3:?}"
        ));
    }
    match seen.document(&page) {
        Some(doc) if doc.status == Some(200) && doc.wire_status == Some(200) => {}
        other => problems.push(format!("the HTML was not a 200: {other:?}")),
    }
    report("first visit", &problems, &seen);
    tab.close();
    browser.close();
    served.stop();
}

#[test]
fn browser_revisit_gets_304_or_cache_hits() {
    let Some(chromium) = chromium() else { return };
    let served = Served::example();
    let browser = Lab::launch(&chromium);
    let tab = browser.tab();
    let page = served.url();

    // The first visit, checked as in the test above (but for the details of its answers).
    let (seen, problems) = tab.load(&page, &served.origin);
    report("first visit, before the revisit", &problems, &seen);
    // Away and back again: a new navigation to the page, as a person who comes back to it,
    // not a reload (which would make Chromium revalidate everything whatever the headers say).
    tab.visit("about:blank");
    let (seen, mut problems) = tab.load(&page, &served.origin);
    match seen.document(&page) {
        Some(doc) if doc.wire_status == Some(304) => {}
        other => problems.push(format!(
            "the HTML (Cache-Control: no-cache, with an ETag) should have been revalidated \
             with a 304 Not Modified; it was: {other:?}"
        )),
    }
    for exchange in seen.exchanges() {
        // A data: URL (the audio controls' icons) never reaches the server; an event stream
        // (live reload's /_profile/events) is a fresh connection by nature.
        if exchange.url.starts_with("data:") || exchange.kind == "EventSource" {
            continue;
        }
        if exchange.wire_status != Some(304) && !exchange.cache_hit() {
            problems.push(format!(
                "{} was fetched again instead of coming back 304 or from the cache: \
                 {exchange:?}",
                exchange.url
            ));
        }
    }
    report("revisit", &problems, &seen);
    tab.close();
    browser.close();
    served.stop();
}

/// The live-reload loop in a real browser: the page is open, a source file is saved, and the
/// open page shows the new text by itself, with no reload by the test.
#[test]
fn browser_shows_an_edit_without_a_manual_reload() {
    let Some(chromium) = chromium() else { return };
    let served = Served::watching(common::Site::example());
    let browser = Lab::launch(&chromium);
    let tab = browser.tab();
    let page = served.url();
    let (seen, problems) = tab.load(&page, &served.origin);
    report("before the edit", &problems, &seen);

    let index = served.site.path("content/index.md");
    let text = std::fs::read_to_string(&index).expect("content/index.md");
    std::fs::write(&index, format!("{text}\nEDITED-IN-THE-OPEN-PAGE\n")).expect("write");
    let shows_edit = tab.poll(
        "the open page did not show the edit",
        "document.body && document.body.innerText.includes('EDITED-IN-THE-OPEN-PAGE') ? 1 : null",
        "document.body ? document.body.innerText.slice(0, 500) : 'no body yet'",
    );
    if let Err(problem) = shows_edit {
        panic!("live reload: {problem}");
    }
    tab.close();
    browser.close();
    served.stop();
}

/// A page left open while the server restarts reconnects by itself, notices the new build and
/// reloads, showing what changed while the server was down.
#[test]
fn browser_reconnects_after_a_restart_and_reloads() {
    let Some(chromium) = chromium() else { return };
    let site = common::Site::example();
    let config = |port: u16| {
        let mut config = ServeConfig::new(site.root());
        config.host = "127.0.0.1".into();
        config.port = port;
        config.quiet = true;
        config.watch = false;
        config
    };
    let first = profile::serve::start(&config(0)).expect("first server");
    let addr = first.addr();
    let origin = format!("http://{addr}");
    let page = format!("{origin}/");
    let browser = Lab::launch(&chromium);
    let tab = browser.tab();
    let (seen, problems) = tab.load(&page, &origin);
    report("before the restart", &problems, &seen);

    first.stop();
    let index = site.path("content/index.md");
    let text = std::fs::read_to_string(&index).expect("content/index.md");
    std::fs::write(&index, format!("{text}\nCHANGED-WHILE-DOWN\n")).expect("write");
    // The port is free once the first server has stopped, but until the second binds it the
    // kernel may hand it out as the local port of a connection (the page retrying its event
    // stream, say): a few tries, bounded.
    let mut tries = 0;
    let second = loop {
        match profile::serve::start(&config(addr.port())) {
            Ok(second) => break second,
            Err(e) if tries < 20 && e.message.contains("already in use") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("second server, same port: {e}"),
        }
    };
    let shows_change = tab.poll(
        "the open page did not reload after the restart",
        "document.body && document.body.innerText.includes('CHANGED-WHILE-DOWN') ? 1 : null",
        "document.body ? document.body.innerText.slice(0, 500) : 'no body yet'",
    );
    tab.close();
    browser.close();
    second.stop();
    if let Err(problem) = shows_change {
        panic!("live reload across a restart: {problem}");
    }
}

/// Checks both visits share: every request went to the server and got an answer below 400,
/// none failed or asked for `/favicon.ico`, and nothing was logged as an error.
fn common_problems(seen: &Seen, origin: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if seen.exchanges().next().is_none() {
        problems.push("the browser made no request at all".to_string());
    }
    for exchange in seen.exchanges() {
        if !exchange.url.starts_with(&format!("{origin}/")) && !exchange.url.starts_with("data:") {
            problems.push(format!("a request left the test server: {exchange:?}"));
        }
        if exchange.path(origin) == "/favicon.ico" {
            problems.push(format!(
                "the browser asked for /favicon.ico (the page's <link rel=icon> should make \
                 that unnecessary): {exchange:?}"
            ));
        }
        if let Some(error) = &exchange.failed {
            if !exchange.media_paused() {
                problems.push(format!("{} failed: {error} ({exchange:?})", exchange.url));
            }
        }
        let statuses = exchange.status.into_iter().chain(exchange.wire_status);
        if let Some(status) = statuses.filter(|s| *s >= 400).max() {
            problems.push(format!(
                "{} was answered {status}: {exchange:?}",
                exchange.url
            ));
        }
        if exchange.status.is_none() && exchange.failed.is_none() && !exchange.cached {
            problems.push(format!("{} got no response: {exchange:?}", exchange.url));
        }
    }
    for message in &seen.errors {
        problems.push(format!("an error was logged: {message}"));
    }
    problems
}

/// Fails with every problem found, and what the browser saw, if there is any problem.
fn report(visit: &str, problems: &[String], seen: &Seen) {
    if problems.is_empty() {
        return;
    }
    let mut exchanges = String::new();
    for exchange in seen.exchanges() {
        exchanges.push_str(&format!("\n  {exchange:?}"));
    }
    panic!(
        "{visit}: {} problem(s) in the browser:\n- {}\nrequests seen:{exchanges}",
        problems.len(),
        problems.join("\n- ")
    );
}

/// The Chromium binary to use; `None` (after saying so) to skip.
fn chromium() -> Option<PathBuf> {
    common::chromium::find("tests/it/browser.rs")
}

/// A scratch copy of the example site, served by the library on 127.0.0.1 and a free port.
struct Served {
    site: common::Site,
    server: RunningServer,
    origin: String,
}

impl Served {
    fn example() -> Served {
        Served::of(common::Site::example())
    }

    fn of(site: common::Site) -> Served {
        Served::start(site, false)
    }

    /// Served with the watcher on, as `profile serve` runs.
    fn watching(site: common::Site) -> Served {
        Served::start(site, true)
    }

    fn start(site: common::Site, watch: bool) -> Served {
        let mut config = ServeConfig::new(site.root());
        config.host = "127.0.0.1".into();
        config.port = 0;
        config.quiet = true;
        // The page as `profile serve` sends it (live-reload script included); the watcher only
        // where a test edits the site.
        config.watch = watch;
        let server = profile::serve::start(&config)
            .unwrap_or_else(|e| panic!("cannot serve the example site: {e}"));
        let origin = format!("http://{}", server.addr());
        Served {
            site,
            server,
            origin,
        }
    }

    /// The page's URL.
    fn url(&self) -> String {
        format!("{}/", self.origin)
    }

    fn stop(self) {
        self.server.stop();
        drop(self.site);
    }
}

impl LabTab {
    /// Loads `page` (a plain navigation), waits until it has settled, and returns what the
    /// browser saw with the problems every visit is checked for: the logo must decode, the
    /// audio's metadata load, and [`common_problems`] none.
    fn load(&self, page: &str, origin: &str) -> (Seen, Vec<String>) {
        let mark = self.log.mark();
        self.visit(page);
        let mut problems = Vec::new();
        problems.extend(self.logo_problem());
        problems.extend(self.audio_problem());
        if let Err(problem) = self.wait_for_network_quiet(mark) {
            problems.push(problem);
        }
        let seen = self.log.since(mark);
        problems.extend(common_problems(&seen, origin));
        problems.extend(self.cross_check(&seen));
        (seen, problems)
    }
}
