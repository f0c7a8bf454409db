//! The browser lab of tests/it/browser.rs and tests/it/static_hosts.rs: a headless Chromium with a
//! fresh profile (launched by the `headless_chrome` crate with [`super::chromium::ARGS`]), tabs
//! that record their DevTools (CDP) events, and what those events say about a visit: the
//! requests, their answers, and the errors logged.
//!
//! Every wait gives up after [`WAIT`].

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::Tab;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Log, Network, Runtime};
use headless_chrome::{Browser, LaunchOptions};

/// The longest any one wait on the browser lasts.
pub const WAIT: Duration = Duration::from_secs(15);

/// A headless Chromium with a profile of its own, in a temporary directory.
pub struct Lab {
    browser: Browser,
    _profile_dir: tempfile::TempDir,
}

impl Lab {
    /// Starts `chromium`; panics if it is there but cannot run or does not start.
    pub fn launch(chromium: &Path) -> Lab {
        Lab::launch_with(chromium, &[])
    }

    /// [`Lab::launch`] with more command-line flags, e.g. `--force-device-scale-factor=3`.
    pub fn launch_with(chromium: &Path, extra: &[&str]) -> Lab {
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
            .args(
                extra
                    .iter()
                    .chain(super::chromium::ARGS)
                    .map(OsStr::new)
                    .collect(),
            )
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
    pub fn tab(&self) -> LabTab {
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
    pub fn close(self) {
        drop(self.browser);
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

/// A tab of the lab, with the log of its events. Dropping it closes it.
pub struct LabTab {
    tab: Arc<Tab>,
    /// Everything the tab reported: take a [`EventLog::mark`] before a visit, and what the
    /// browser saw with [`EventLog::since`] after it.
    pub log: EventLog,
}

impl LabTab {
    /// Records the tab's `Network` events from now on, to make the HAR DevTools would save.
    pub fn record_network(&self) -> super::devtools_har::NetworkEvents {
        let events = super::devtools_har::NetworkEvents::default();
        let sink = events.clone();
        self.tab
            .add_event_listener(Arc::new(move |event: &Event| sink.record(event)))
            .expect("listen to the tab's events");
        events
    }

    /// Navigates (a plain navigation, like typing the URL or following a link) and waits for
    /// the load.
    pub fn visit(&self, url: &str) {
        self.tab
            .navigate_to(url)
            .and_then(|tab| tab.wait_until_navigated())
            .unwrap_or_else(|e| panic!("cannot load {url}: {e:#}"));
    }

    /// Evaluates `expression` in the page: `None` for `null` or `undefined`, else the value as
    /// text (a string as it is, a number or boolean written out). Panics if it cannot.
    pub fn eval(&self, expression: &str) -> Option<String> {
        self.try_eval(expression).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`LabTab::eval`], with an error when the expression throws or the page cannot run it
    /// (as while a navigation replaces its document).
    pub fn try_eval(&self, expression: &str) -> Result<Option<String>, String> {
        let answer = self
            .tab
            .call_method(super::chromium::evaluate(expression.to_string(), false))
            .map_err(|e| format!("cannot evaluate `{expression}`: {e:#}"))?;
        if let Some(details) = answer.exception_details {
            return Err(format!("`{expression}` threw: {details:?}"));
        }
        let Some(value) = answer.result.value.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        Ok(Some(
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        ))
    }

    /// The value of `expression`, a promise, once it settles: as text, or why it failed.
    pub fn eval_async(&self, expression: &str) -> Result<String, String> {
        let answer = self
            .tab
            .call_method(super::chromium::evaluate(expression.to_string(), true))
            .map_err(|e| format!("cannot evaluate `{expression}`: {e:#}"))?;
        if let Some(details) = answer.exception_details {
            return Err(format!("`{expression}` threw: {details:?}"));
        }
        let value = answer.result.value.ok_or("no value")?;
        Ok(value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned))
    }

    /// Polls `expression` until it gives a number, for at most [`WAIT`]; on timeout, says
    /// `what` and the value of `state`. A failed evaluation counts as "not yet": it happens
    /// while a navigation (a clicked link, a reload) replaces the document.
    pub fn poll(&self, what: &str, expression: &str, state: &str) -> Result<f64, String> {
        let start = Instant::now();
        loop {
            let last = match self.try_eval(expression) {
                Ok(Some(value)) => {
                    return value
                        .parse()
                        .map_err(|_| format!("`{expression}` gave {value:?}, not a number"))
                }
                Ok(None) => String::new(),
                Err(error) => format!(" (last evaluation: {error})"),
            };
            if start.elapsed() > WAIT {
                return Err(format!(
                    "{what} within {WAIT:?}; the page says: {}{last}",
                    self.try_eval(state).ok().flatten().unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the document has loaded and every request made since `mark` has an answer
    /// (a response, with the status the server sent when Chromium announced one, or a failure).
    pub fn wait_for_network_quiet(&self, mark: usize) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let complete = self.try_eval("document.readyState") == Ok(Some("complete".into()));
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

    /// `None` once the profile page's logo (`img.logo`) has decoded.
    pub fn logo_problem(&self) -> Option<String> {
        match self.poll(
            "the logo did not finish loading",
            "(() => { const i = document.querySelector('img.logo'); \
                      return i && i.complete ? i.naturalWidth : null })()",
            "(() => { const i = document.querySelector('img.logo'); \
                      return i ? JSON.stringify({src: i.currentSrc, complete: i.complete}) \
                               : 'no img.logo in ' + document.body.outerHTML.slice(0, 2000) })()",
        ) {
            Ok(width) if width > 0.0 => None,
            Ok(width) => Some(format!(
                "the logo did not decode: img.logo is complete but its naturalWidth is {width}"
            )),
            Err(problem) => Some(problem),
        }
    }

    /// `None` once the profile page's audio has loaded its metadata: no media error,
    /// `readyState` at least 1 (HAVE_METADATA), a duration.
    pub fn audio_problem(&self) -> Option<String> {
        let state = "(() => { const a = document.querySelector('audio'); \
            return a ? JSON.stringify({src: a.currentSrc, duration: String(a.duration), \
                       readyState: a.readyState, networkState: a.networkState, \
                       seekable: [...Array(a.seekable.length).keys()] \
                           .map(i => [a.seekable.start(i), a.seekable.end(i)]), \
                       buffered: [...Array(a.buffered.length).keys()] \
                           .map(i => [a.buffered.start(i), a.buffered.end(i)]), \
                       error: a.error && {code: a.error.code, message: a.error.message}}) \
                     : 'no audio element' })()";
        self.poll(
            "the audio's metadata did not load",
            "(() => { const a = document.querySelector('audio'); \
                      return a && !a.error && a.readyState >= 1 && a.duration > 0 \
                          ? a.duration : null })()",
            state,
        )
        .err()
    }

    /// Checks the event log against the page's own Resource Timing entries: the CDP events are
    /// parsed by a crate that may not know every value a newer Chromium sends (such an event
    /// would be dropped silently), so every resource the page reports must have been seen.
    pub fn cross_check(&self, seen: &Seen) -> Vec<String> {
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

    /// Closes the tab (as dropping it does).
    pub fn close(self) {
        drop(self);
    }
}

impl Drop for LabTab {
    fn drop(&mut self) {
        let _ = self.tab.close(false);
    }
}

/// One request as the browser reported it.
#[derive(Clone, Default)]
pub struct Exchange {
    pub id: String,
    pub url: String,
    pub kind: String,
    /// The status the page got (`Network.responseReceived`): after a revalidation, the cached
    /// response's; `file://` responses are reported as 200s.
    pub status: Option<u32>,
    /// The status the server sent (`Network.responseReceivedExtraInfo`): `None` when nothing
    /// went over the wire.
    pub wire_status: Option<u32>,
    /// Whether Chromium announced a `responseReceivedExtraInfo` for the response.
    pub expects_wire_status: bool,
    pub from_disk_cache: bool,
    /// `Network.requestServedFromCache`: answered from the memory cache.
    pub cached: bool,
    pub failed: Option<String>,
    /// The failure was Chromium cancelling the request itself.
    pub canceled: bool,
}

impl Exchange {
    pub fn cache_hit(&self) -> bool {
        self.from_disk_cache || self.cached
    }

    /// Whether the request still waits for an answer (its response, the response's wire status,
    /// or a failure).
    pub fn pending(&self) -> bool {
        let answered = self.status.is_some() || self.cached;
        // A memory-cache answer never went on the wire, even when Chromium announced that the
        // response had wire details (seen when a page is left and its stylesheet asked again).
        let wire_known = !self.expects_wire_status || self.wire_status.is_some() || self.cached;
        self.failed.is_none() && !(answered && wire_known)
    }

    /// A media request that Chromium cancelled after it had a good response: the audio player
    /// does that once it has read what `preload="metadata"` needs, and asks again for more when
    /// it plays. Not a failure.
    pub fn media_paused(&self) -> bool {
        self.canceled && self.kind == "Media" && self.status.is_some_and(|s| s < 400)
    }

    /// The URL's path below `origin`, without query or fragment.
    pub fn path<'a>(&'a self, origin: &str) -> &'a str {
        let rest = self.url.strip_prefix(origin).unwrap_or(&self.url);
        rest.split(['?', '#']).next().unwrap_or(rest)
    }
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A data: URL (the audio controls' icons) is long and says nothing more than its start.
        let url: String = if self.url.starts_with("data:") {
            self.url.chars().take(40).chain("…".chars()).collect()
        } else {
            self.url.clone()
        };
        write!(f, "{} {url} [{}]", self.id, self.kind)?;
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
pub struct EventLog(Arc<Mutex<Vec<Record>>>);

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
    pub fn mark(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The requests started after `mark` (with all their events, whenever they came) and the
    /// errors logged after it.
    pub fn since(&self, mark: usize) -> Seen {
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
pub struct Seen {
    exchanges: Vec<Exchange>,
    pub errors: Vec<String>,
}

impl Seen {
    /// The requests, in the order they were made.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter()
    }

    pub fn exchanges_matching(&self, keep: impl Fn(&Exchange) -> bool) -> Vec<&Exchange> {
        self.exchanges.iter().filter(|e| keep(e)).collect()
    }

    /// The request for the document at `url`.
    pub fn document(&self, url: &str) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .find(|e| e.url == url && e.kind == "Document")
    }
}
