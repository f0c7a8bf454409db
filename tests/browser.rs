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

mod common;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::Tab;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Log, Network, Runtime};
use headless_chrome::{Browser, LaunchOptions};

use profile::serve::{RunningServer, ServeConfig};

/// The longest any one wait lasts.
const WAIT: Duration = Duration::from_secs(15);

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
    let shows_edit = tab.poll_number(
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
    let second = profile::serve::start(&config(addr.port())).expect("second server, same port");
    let shows_change = tab.poll_number(
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
    common::chromium::find("tests/browser.rs")
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

/// Runs `CHROMIUM --version`, so that a binary that cannot run fails at once, in its own
/// words, rather than after the driver's 30-second wait for a DevTools address.
fn check_runs(chromium: &Path) {
    let shown = chromium.display();
    let mut child = Command::new(chromium)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("Chromium at {shown} is installed but cannot be run: {e}"));
    let start = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if start.elapsed() > WAIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium at {shown} is installed but `--version` did not end within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("read `chromium --version`");
    if !output.status.success() {
        panic!(
            "Chromium at {shown} is installed but `--version` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// A headless Chromium with a profile of its own, in a temporary directory.
struct Lab {
    browser: Browser,
    _profile_dir: tempfile::TempDir,
}

impl Lab {
    fn launch(chromium: &Path) -> Lab {
        check_runs(chromium);
        let profile_dir = tempfile::tempdir().expect("create a temporary profile directory");
        let options = LaunchOptions::default_builder()
            .path(Some(chromium.to_path_buf()))
            .headless(true)
            .sandbox(false)
            .user_data_dir(Some(profile_dir.path().to_path_buf()))
            // Chromium picks a free port and says which; an explicit port also stops the crate
            // from retrying a failed start ten times.
            .port(Some(0))
            .window_size(Some((1280, 900)))
            .idle_browser_timeout(Duration::from_secs(60))
            .args(common::chromium::ARGS.iter().map(OsStr::new).collect())
            .build()
            .expect("valid launch options");
        let browser = Browser::new(options).unwrap_or_else(|e| {
            panic!(
                "Chromium at {} is installed but did not start: {e:#}",
                chromium.display()
            )
        });
        Lab {
            browser,
            _profile_dir: profile_dir,
        }
    }

    /// A new tab that records its network and console events.
    fn tab(&self) -> LabTab {
        let tab = self.browser.new_tab().expect("open a tab");
        tab.set_default_timeout(WAIT);
        let log = EventLog::default();
        let sink = log.clone();
        tab.add_event_listener(Arc::new(move |event: &Event| sink.record(event)))
            .expect("listen to the tab's events");
        tab.call_method(Network::Enable {
            max_total_buffer_size: None,
            max_resource_buffer_size: None,
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        })
        .expect("enable the Network domain");
        tab.enable_runtime().expect("enable the Runtime domain");
        tab.enable_log().expect("enable the Log domain");
        LabTab { tab, log }
    }

    /// Closes the browser and waits for its process to end.
    fn close(self) {
        drop(self.browser);
    }
}

struct LabTab {
    tab: Arc<Tab>,
    log: EventLog,
}

impl LabTab {
    /// Navigates (a plain navigation, like following a link) and waits for the load.
    fn visit(&self, url: &str) {
        self.tab
            .navigate_to(url)
            .and_then(|tab| tab.wait_until_navigated())
            .unwrap_or_else(|e| panic!("cannot load {url}: {e:#}"));
    }

    /// Evaluates `expression` in the page: `None` for `null` or `undefined`, else the value as
    /// text (a string as it is, a number or boolean written out).
    fn eval(&self, expression: &str) -> Option<String> {
        let answer = self
            .tab
            .call_method(common::chromium::evaluate(expression.to_string(), false))
            .unwrap_or_else(|e| panic!("cannot evaluate `{expression}`: {e:#}"));
        if let Some(details) = answer.exception_details {
            panic!("`{expression}` threw: {details:?}");
        }
        let value = answer.result.value.filter(|v| !v.is_null())?;
        Some(
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        )
    }

    /// Loads `page` (a plain navigation), waits until it has settled, and returns what the
    /// browser saw with the problems every visit is checked for: the logo must decode, the
    /// audio's metadata load, and [`common_problems`] none.
    fn load(&self, page: &str, origin: &str) -> (Seen, Vec<String>) {
        let mark = self.log.mark();
        self.visit(page);
        let mut problems = Vec::new();
        match self.wait_for_logo() {
            Ok(width) if width > 0.0 => {}
            Ok(width) => problems.push(format!(
                "the logo did not decode: img.logo is complete but its naturalWidth is {width}"
            )),
            Err(problem) => problems.push(problem),
        }
        if let Err(problem) = self.wait_for_audio_metadata() {
            problems.push(problem);
        }
        if let Err(problem) = self.wait_for_network_quiet(mark) {
            problems.push(problem);
        }
        let seen = self.log.since(mark);
        problems.extend(common_problems(&seen, origin));
        problems.extend(self.cross_check(&seen));
        (seen, problems)
    }

    /// Polls `expression` until it gives a number, for at most [`WAIT`]; on timeout, says
    /// `what` and the value of `state`.
    fn poll_number(&self, what: &str, expression: &str, state: &str) -> Result<f64, String> {
        let start = Instant::now();
        loop {
            if let Some(value) = self.eval(expression) {
                return value
                    .parse()
                    .map_err(|_| format!("`{expression}` gave {value:?}, not a number"));
            }
            if start.elapsed() > WAIT {
                return Err(format!(
                    "{what} within {WAIT:?}; the page says: {}",
                    self.eval(state).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the logo has loaded (or failed); returns its `naturalWidth`.
    fn wait_for_logo(&self) -> Result<f64, String> {
        self.poll_number(
            "the logo did not finish loading",
            "(() => { const i = document.querySelector('img.logo'); \
                      return i && i.complete ? i.naturalWidth : null })()",
            "(() => { const i = document.querySelector('img.logo'); \
                      return i ? JSON.stringify({src: i.currentSrc, complete: i.complete}) \
                               : 'no img.logo in ' + document.body.outerHTML.slice(0, 2000) })()",
        )
    }

    /// Waits until the audio knows its duration (its metadata loaded); returns it.
    fn wait_for_audio_metadata(&self) -> Result<f64, String> {
        self.poll_number(
            "the audio's metadata did not load",
            "(() => { const a = document.querySelector('audio'); \
                      return a && a.duration > 0 ? a.duration : null })()",
            "(() => { const a = document.querySelector('audio'); \
                      return a ? JSON.stringify({src: a.currentSrc, duration: String(a.duration), \
                                 readyState: a.readyState, networkState: a.networkState, \
                                 error: a.error && {code: a.error.code, message: a.error.message}}) \
                               : 'no audio element' })()",
        )
    }

    /// Waits until the document has loaded and every request made since `mark` has an answer
    /// (a response or a failure).
    fn wait_for_network_quiet(&self, mark: usize) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let complete = self.eval("document.readyState").as_deref() == Some("complete");
            let seen = self.log.since(mark);
            let pending: Vec<_> = seen.exchanges().filter(|e| e.pending()).collect();
            if complete && pending.is_empty() {
                return Ok(());
            }
            if start.elapsed() > WAIT {
                return Err(format!(
                    "the page did not settle within {WAIT:?}: readyState complete: {complete}, \
                     requests without an answer: {pending:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Checks the event log against the page's own Resource Timing entries: the CDP events are
    /// parsed by a crate that may not know every value a newer Chromium sends (such an event
    /// would be dropped silently), so every resource the page reports must have been seen.
    fn cross_check(&self, seen: &Seen) -> Vec<String> {
        let names = self
            .eval(
                "performance.getEntriesByType('navigation')\
                     .concat(performance.getEntriesByType('resource'))\
                     .map(e => e.name).join('\\n')",
            )
            .unwrap_or_default();
        let names: Vec<&str> = names.lines().collect();
        let mut problems = Vec::new();
        for &name in &names {
            if !seen.exchanges().any(|e| e.url == name) {
                problems.push(format!(
                    "the page loaded {name}, but no DevTools event reported it (an event the \
                     driver could not parse?)"
                ));
            }
        }
        if names.is_empty() {
            problems.push("the page reports no Resource Timing entries at all".to_string());
        }
        problems
    }

    fn close(self) {
        let _ = self.tab.close(false);
    }
}

/// One request as the browser reported it.
#[derive(Clone, Default)]
struct Exchange {
    id: String,
    url: String,
    kind: String,
    /// The status the page got (`Network.responseReceived`): after a revalidation, the cached
    /// response's.
    status: Option<u32>,
    /// The status the server sent (`Network.responseReceivedExtraInfo`): `None` when nothing
    /// went over the wire.
    wire_status: Option<u32>,
    /// Whether Chromium announced a `responseReceivedExtraInfo` for the response.
    expects_wire_status: bool,
    from_disk_cache: bool,
    /// `Network.requestServedFromCache`: answered from the memory cache.
    cached: bool,
    failed: Option<String>,
    /// The failure was Chromium cancelling the request itself.
    canceled: bool,
}

impl Exchange {
    fn cache_hit(&self) -> bool {
        self.from_disk_cache || self.cached
    }

    /// Whether the request still waits for an answer (its response, the response's wire status,
    /// or a failure).
    fn pending(&self) -> bool {
        let answered = self.status.is_some() || self.cached;
        let wire_known = !self.expects_wire_status || self.wire_status.is_some();
        self.failed.is_none() && !(answered && wire_known)
    }

    /// A media request that Chromium cancelled after it had a good response: the audio player
    /// does that once it has read what `preload="metadata"` needs, and asks again for more when
    /// it plays. Not a failure.
    fn media_paused(&self) -> bool {
        self.canceled && self.kind == "Media" && self.status.is_some_and(|s| s < 400)
    }

    fn path<'a>(&'a self, origin: &str) -> &'a str {
        let rest = self.url.strip_prefix(origin).unwrap_or(&self.url);
        rest.split(['?', '#']).next().unwrap_or(rest)
    }
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} [{}]", self.id, self.url, self.kind)?;
        match self.status {
            Some(status) => write!(f, " → {status}")?,
            None => write!(f, " → no response")?,
        }
        if let Some(wire) = self.wire_status {
            write!(f, " (server sent {wire})")?;
        }
        if self.from_disk_cache {
            write!(f, " (disk cache)")?;
        }
        if self.cached {
            write!(f, " (memory cache)")?;
        }
        if let Some(error) = &self.failed {
            write!(f, " FAILED: {error}")?;
        }
        Ok(())
    }
}

/// What the tab reported, in order.
#[derive(Clone)]
enum Record {
    Request {
        id: String,
        url: String,
        kind: String,
    },
    Response {
        id: String,
        url: String,
        status: u32,
        kind: String,
        from_disk_cache: bool,
        has_extra_info: bool,
    },
    WireStatus {
        id: String,
        status: u32,
    },
    ServedFromCache {
        id: String,
    },
    Failed {
        id: String,
        error: String,
        canceled: bool,
    },
    Error(String),
}

/// Every event of interest, shared with the listener thread.
#[derive(Clone, Default)]
struct EventLog(Arc<Mutex<Vec<Record>>>);

impl EventLog {
    fn record(&self, event: &Event) {
        let record = match event {
            Event::NetworkRequestWillBeSent(e) => Record::Request {
                id: e.params.request_id.clone(),
                url: e.params.request.url.clone(),
                kind: e
                    .params
                    .Type
                    .as_ref()
                    .map(|t| format!("{t:?}"))
                    .unwrap_or_default(),
            },
            Event::NetworkResponseReceived(e) => Record::Response {
                id: e.params.request_id.clone(),
                url: e.params.response.url.clone(),
                status: e.params.response.status,
                kind: format!("{:?}", e.params.Type),
                from_disk_cache: e.params.response.from_disk_cache == Some(true),
                has_extra_info: e.params.has_extra_info,
            },
            Event::NetworkResponseReceivedExtraInfo(e) => Record::WireStatus {
                id: e.params.request_id.clone(),
                status: e.params.status_code,
            },
            Event::NetworkRequestServedFromCache(e) => Record::ServedFromCache {
                id: e.params.request_id.clone(),
            },
            Event::NetworkLoadingFailed(e) => Record::Failed {
                id: e.params.request_id.clone(),
                error: format!(
                    "{}{}{}",
                    e.params.error_text,
                    if e.params.canceled == Some(true) {
                        " (canceled)"
                    } else {
                        ""
                    },
                    e.params
                        .blocked_reason
                        .as_ref()
                        .map(|r| format!(" (blocked: {r:?})"))
                        .unwrap_or_default()
                ),
                canceled: e.params.canceled == Some(true),
            },
            Event::RuntimeConsoleAPICalled(e) => {
                use Runtime::ConsoleAPICalledEventTypeOption as Kind;
                if !matches!(e.params.Type, Kind::Error | Kind::Assert) {
                    return;
                }
                let text: Vec<String> = e
                    .params
                    .args
                    .iter()
                    .map(|a| {
                        a.value
                            .as_ref()
                            .map(|v| v.to_string())
                            .or_else(|| a.description.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                Record::Error(format!("console.{:?}: {}", e.params.Type, text.join(" ")))
            }
            Event::RuntimeExceptionThrown(e) => {
                let details = &e.params.exception_details;
                Record::Error(format!(
                    "uncaught exception: {} {}",
                    details.text,
                    details
                        .exception
                        .as_ref()
                        .and_then(|x| x.description.clone())
                        .unwrap_or_default()
                ))
            }
            Event::LogEntryAdded(e) => {
                if e.params.entry.level != Log::LogEntryLevel::Error {
                    return;
                }
                Record::Error(format!(
                    "{:?} error: {} {}",
                    e.params.entry.source,
                    e.params.entry.text,
                    e.params.entry.url.clone().unwrap_or_default()
                ))
            }
            _ => return,
        };
        self.0.lock().unwrap().push(record);
    }

    /// A position in the log: [`EventLog::since`] takes what came after it.
    fn mark(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The requests started after `mark` (with all their events, whenever they came) and the
    /// errors logged after it.
    fn since(&self, mark: usize) -> Seen {
        let records = self.0.lock().unwrap().clone();
        let mut order = Vec::new();
        let mut exchanges: HashMap<String, Exchange> = HashMap::new();
        let mut errors = Vec::new();
        // The requests first: a request's other events may be reported before it.
        for record in &records[mark.min(records.len())..] {
            match record {
                Record::Request { id, url, kind } => {
                    if !exchanges.contains_key(id) {
                        order.push(id.clone());
                    }
                    exchanges.insert(
                        id.clone(),
                        Exchange {
                            id: id.clone(),
                            url: url.clone(),
                            kind: kind.clone(),
                            ..Exchange::default()
                        },
                    );
                }
                Record::Error(message) => errors.push(message.clone()),
                _ => {}
            }
        }
        for record in records {
            match record {
                Record::Response {
                    id,
                    url,
                    status,
                    kind,
                    from_disk_cache,
                    has_extra_info,
                } => {
                    if let Some(exchange) = exchanges.get_mut(&id) {
                        exchange.url = url;
                        exchange.status = Some(status);
                        exchange.kind = kind;
                        exchange.from_disk_cache = from_disk_cache;
                        exchange.expects_wire_status = has_extra_info;
                    }
                }
                Record::WireStatus { id, status } => {
                    if let Some(exchange) = exchanges.get_mut(&id) {
                        exchange.wire_status = Some(status);
                    }
                }
                Record::ServedFromCache { id } => {
                    if let Some(exchange) = exchanges.get_mut(&id) {
                        exchange.cached = true;
                    }
                }
                Record::Failed {
                    id,
                    error,
                    canceled,
                } => {
                    if let Some(exchange) = exchanges.get_mut(&id) {
                        exchange.failed = Some(error);
                        exchange.canceled = canceled;
                    }
                }
                Record::Request { .. } | Record::Error(_) => {}
            }
        }
        Seen {
            exchanges: order
                .into_iter()
                .map(|id| exchanges.remove(&id).unwrap())
                .collect(),
            errors,
        }
    }
}

/// The requests and errors of one visit.
struct Seen {
    exchanges: Vec<Exchange>,
    errors: Vec<String>,
}

impl Seen {
    fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter()
    }

    fn exchanges_matching(&self, keep: impl Fn(&Exchange) -> bool) -> Vec<&Exchange> {
        self.exchanges.iter().filter(|e| keep(e)).collect()
    }

    /// The request for the page itself.
    fn document(&self, url: &str) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .find(|e| e.url == url && e.kind == "Document")
    }
}
