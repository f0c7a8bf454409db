//! Live reload of `profile serve` over real sockets (`profile::serve::start` on 127.0.0.1,
//! port 0): the Server-Sent Events stream at `/_profile/events` (`hello`, `reload`, `css`,
//! `build-error`), the rebuild after each kind of edit an editor makes (plain write, rename over,
//! bursts, swap files, folders deleted and made again), what is served meanwhile, and the script
//! that goes into served HTML but never into `dist/`.
//!
//! Every wait is bounded: events are read with a deadline, pages are polled a bounded number of
//! times, and every server is stopped when its test ends (also on panic, by `Drop`).

use crate::common;

use std::fs;
use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use common::http::{self, Conn, Response};
use common::serve::Served;
use common::{fingerprint_of, fingerprinted, html_files, line_of, nav_titles, Site};
use serde_json::Value;

/// The longest wait for an event or a page that should come.
const WAIT: Duration = Duration::from_secs(10);
/// How long "no event" is watched for.
const QUIET: Duration = Duration::from_millis(500);
/// Between two polls of a page.
const POLL: Duration = Duration::from_millis(20);

/// The path of the event stream.
const EVENTS: &str = "/_profile/events";

// ---------------------------------------------------------------------------------------------
// A running server on a scratch site.

impl Served {
    /// `GET target`, which must answer 200; the body as text.
    fn text(&self, target: &str) -> String {
        let response = self.get(target);
        assert_eq!(response.status, 200, "GET {target}: {}", response.text());
        response.text()
    }

    /// Polls `GET target` until its body contains `needle` (at most [`WAIT`]).
    fn wait_for_text(&self, target: &str, needle: &str) -> Response {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < WAIT {
            let response = self.get(target);
            if response.status == 200 && response.text().contains(needle) {
                return response;
            }
            last = format!("{} {}", response.status, response.text());
            thread::sleep(POLL);
        }
        panic!("GET {target} never contained {needle:?} within {WAIT:?}; last answer: {last}");
    }

    /// Opens an event stream and reads its `hello`.
    fn events(&self) -> (Events, Event) {
        let mut events = Events::open(self.addr);
        let hello = events.expect("hello");
        (events, hello)
    }
}

// ---------------------------------------------------------------------------------------------
// A Server-Sent Events client.

/// One event block of the stream.
#[derive(Debug, Clone, Default)]
struct Event {
    /// The `event:` field (empty when absent).
    name: String,
    /// The `data:` lines, joined with `\n`.
    data: String,
    /// The `retry:` field.
    retry: Option<u64>,
}

impl Event {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("`{}` data is not JSON ({e}): {:?}", self.name, self.data))
    }

    fn build(&self) -> u64 {
        self.json()["build"]
            .as_u64()
            .unwrap_or_else(|| panic!("no numeric build in {self:?}"))
    }

    fn error(&self) -> Value {
        self.json()["error"].clone()
    }
}

/// An open `GET /_profile/events`, read with deadlines.
struct Events {
    conn: Conn,
    /// Bytes received and not yet parsed into events.
    buf: Vec<u8>,
}

impl Events {
    /// Connects, checks the response head, and reads the `retry: 500` block that comes first.
    fn open(addr: SocketAddr) -> Events {
        let mut conn = Conn::open(addr);
        conn.send(&http::request_bytes(
            "GET",
            EVENTS,
            &[("Accept", "text/event-stream")],
        ));
        let mut events = Events {
            conn,
            buf: Vec::new(),
        };
        let deadline = Instant::now() + WAIT;
        let head_end = loop {
            if let Some(at) = find(&events.buf, b"\r\n\r\n") {
                break at;
            }
            assert!(
                events.fill(deadline),
                "no event stream head within {WAIT:?}: {:?}",
                String::from_utf8_lossy(&events.buf)
            );
        };
        let head = String::from_utf8(events.buf[..head_end].to_vec()).expect("UTF-8 head");
        events.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap();
        assert!(status.starts_with("HTTP/1.1 200 "), "{head}");
        let fields: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        assert_eq!(
            field("content-type").map(String::as_str),
            Some("text/event-stream"),
            "{head}"
        );
        assert_eq!(field("content-length"), None, "{head}");
        assert_eq!(
            field("cache-control").map(String::as_str),
            Some("no-store"),
            "{head}"
        );
        let first = events
            .next_block(Instant::now() + WAIT)
            .expect("a first block within the deadline");
        assert_eq!(first.retry, Some(500), "{first:?}");
        assert!(first.name.is_empty() && first.data.is_empty(), "{first:?}");
        events
    }

    /// Reads more bytes, waiting until `deadline`. False on timeout; panics when the server
    /// closed the stream.
    fn fill(&mut self, deadline: Instant) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            self.conn
                .set_read_timeout((deadline - now).max(Duration::from_millis(1)));
            match self.conn.stream().read(&mut chunk) {
                Ok(0) => panic!(
                    "the server closed the event stream (unparsed: {:?})",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return true;
                }
                Err(e) if http::is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("reading the event stream: {e}"),
            }
        }
    }

    /// The next block up to a blank line, or `None` when `deadline` passes first.
    fn next_block(&mut self, deadline: Instant) -> Option<Event> {
        let end = loop {
            if let Some(at) = find(&self.buf, b"\n\n") {
                break at;
            }
            if !self.fill(deadline) {
                return None;
            }
        };
        let block = String::from_utf8(self.buf[..end].to_vec()).expect("UTF-8 events");
        self.buf.drain(..end + 2);
        let mut event = Event::default();
        let mut data = Vec::new();
        for line in block.split('\n') {
            if line.starts_with(':') {
                continue; // a comment
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event.name = value.to_string(),
                "data" => data.push(value.to_string()),
                "retry" => event.retry = Some(value.parse().expect("numeric retry")),
                other => panic!("unknown field {other:?} in {block:?}"),
            }
        }
        event.data = data.join("\n");
        Some(event)
    }

    /// The next named event within `within`, or `None`.
    fn next_within(&mut self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            let event = self.next_block(deadline)?;
            if !event.name.is_empty() {
                return Some(event);
            }
        }
    }

    /// The next event, which must be `name` and come within [`WAIT`].
    fn expect(&mut self, name: &str) -> Event {
        let event = self
            .next_within(WAIT)
            .unwrap_or_else(|| panic!("no `{name}` event within {WAIT:?}"));
        assert_eq!(event.name, name, "expected `{name}`, got {event:?}");
        event
    }

    /// Every event until `quiet` passes without one (at most `longest` in all).
    fn drain(&mut self, quiet: Duration, longest: Duration) -> Vec<Event> {
        let started = Instant::now();
        let mut seen = Vec::new();
        while started.elapsed() < longest {
            let left = longest.saturating_sub(started.elapsed());
            match self.next_within(quiet.min(left)) {
                Some(event) => seen.push(event),
                None => break,
            }
        }
        seen
    }

    /// Whether the server ends the stream within `within`.
    fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut chunk = [0u8; 4096];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            self.conn
                .set_read_timeout((deadline - now).max(Duration::from_millis(1)));
            match self.conn.stream().read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if http::is_reset(&e) => return true,
                Err(e) if http::is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("reading the event stream: {e}"),
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Waits for `reload` events until `GET target` contains `needle` right after one of them (an
/// edit may reach the watcher as two bursts, each with its own rebuild, but the one after the
/// last must serve the new text: the build is swapped before the event goes out). Returns the
/// last `reload`.
fn expect_reload_serving(
    served: &Served,
    events: &mut Events,
    target: &str,
    needle: &str,
) -> Event {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let event = events.expect("reload");
        let body = served.text(target);
        seen.push(event.build());
        if body.contains(needle) {
            return event;
        }
    }
    panic!("after `reload` events {seen:?}, GET {target} still lacks {needle:?}");
}

/// A self-introduction page whose body carries `marker`.
fn index_with(marker: &str) -> String {
    format!("+++\ndescription = \"live reload test\"\n+++\n\nThe marker is {marker}.\n")
}

/// A content page with a title and a body.
fn page(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n\n{body}\n")
}

/// Saves a file of the site the way careful editors do: the whole text into a hidden file next
/// to it, then a rename over it. The watcher sees one complete change, never a truncated file,
/// which keeps the tests that look at the exact first event deterministic on a busy machine
/// (plain `fs::write` saves are tested too, by the tests that tolerate a save seen in two
/// bursts).
fn save(site: &Site, relative: &str, text: &str) {
    let path = site.path(relative);
    let name = path.file_name().unwrap().to_str().unwrap();
    let temporary = path.with_file_name(format!(".{name}.saving"));
    fs::write(&temporary, text).unwrap();
    fs::rename(&temporary, &path).unwrap();
}

/// Replaces the one `from` in a file of the site with `to`, saved with [`save`].
fn save_replacing(site: &Site, relative: &str, from: &str, to: &str) {
    let text = site.read(relative);
    assert_eq!(text.matches(from).count(), 1, "one `{from}` in {relative}");
    save(site, relative, &text.replacen(from, to, 1));
}

/// The build number in the live-reload script of a served page.
fn script_build(html: &str) -> u64 {
    let at = html.find("let build=").expect("a live-reload script") + "let build=".len();
    let digits: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a build number")
}

// ---------------------------------------------------------------------------------------------
// 1. An edit reloads the page.

#[test]
fn an_edit_reloads_open_pages_and_the_new_text_is_served() {
    let served = Served::start(Site::example());
    let (mut first, hello) = served.events();
    let (mut second, hello2) = served.events();
    let build = hello.build();
    assert_eq!(hello.error(), Value::Null, "{hello:?}");
    assert_eq!(hello2.build(), build);
    assert_eq!(script_build(&served.text("/")), build);

    let marker = "LIVE-RELOAD-7c1f";
    assert!(!served.text("/").contains(marker));
    served.site.write("content/index.md", index_with(marker));

    let reload = expect_reload_serving(&served, &mut first, "/", marker);
    assert!(reload.build() > build, "{reload:?} after build {build}");
    let page = served.text("/");
    assert_eq!(
        script_build(&page),
        reload.build(),
        "the page carries its build"
    );
    // Every open stream hears of it.
    let other = second.expect("reload");
    assert!(other.build() > build);
    // A page loaded now says hello with the new build.
    let (_third, hello3) = served.events();
    assert_eq!(hello3.build(), reload.build());
    assert_eq!(hello3.error(), Value::Null);
}

// ---------------------------------------------------------------------------------------------
// 2. A build error is reported, the last good build stays, and a fix reloads.

#[test]
fn a_broken_site_toml_is_reported_while_the_last_build_is_served() {
    let site = Site::example();
    site.write("content/index.md", index_with("OLD-BUILD-MARKER"));
    let served = Served::start(site);
    let (mut events, hello) = served.events();
    let build = hello.build();

    save_replacing(&served.site, "site.toml", "major = ", "majr = ");
    let line = line_of(&served.site.read("site.toml"), "majr = ");
    let failed = events.expect("build-error");
    assert_eq!(failed.build(), build, "the build being served: {failed:?}");
    let error = failed.error();
    let file = error["file"].as_str().unwrap_or_else(|| panic!("{error}"));
    assert!(file.ends_with("site.toml"), "{error}");
    assert_eq!(error["line"].as_u64(), Some(line as u64), "{error}");
    assert!(error["column"].as_u64().is_some(), "{error}");
    let place = error["where"].as_str().unwrap();
    assert!(place.contains(&format!("site.toml:{line}:")), "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("majr") || message.contains("major"),
        "the message names the key: {error}"
    );

    // The last good build is still served, whole.
    let page = served.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("OLD-BUILD-MARKER"));
    assert_eq!(script_build(&page.text()), build);
    assert!(fs::read_to_string(served.dist().join("index.html"))
        .unwrap()
        .contains("OLD-BUILD-MARKER"));

    // A page opened now learns of the error at once.
    let (_late, late_hello) = served.events();
    assert_eq!(late_hello.build(), build);
    assert_eq!(late_hello.error(), error, "hello repeats the error");

    // The fix reloads, and the error is gone for pages opened afterwards.
    save_replacing(&served.site, "site.toml", "majr = ", "major = ");
    let reload = events.expect("reload");
    assert!(reload.build() > build);
    let (_fixed, fixed_hello) = served.events();
    assert_eq!(fixed_hello.error(), Value::Null, "{fixed_hello:?}");
    assert_eq!(fixed_hello.build(), reload.build());
    assert_eq!(script_build(&served.text("/")), reload.build());
}

/// A photo logo that an edit breaks (a copy cut short) is reported, the last good build with
/// its picture stays, and a new photo reloads with new copies.
#[test]
fn a_broken_photo_is_reported_while_the_last_build_is_served() {
    let site = Site::example();
    let photo = |shade: u8| {
        let image = image::RgbImage::from_fn(300, 200, |x, _| image::Rgb([shade, x as u8, 90]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
            .encode(image.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
            .unwrap();
        bytes
    };
    let good = photo(40);
    site.write("assets/phone.jpg", &good);
    site.replace("site.toml", "assets/logo.svg", "assets/phone.jpg");
    let served = Served::start(site);
    let (mut events, hello) = served.events();
    let build = hello.build();
    let old_copy = common::fingerprinted(&served.dist(), "phone-128x128", "webp");

    fs::write(
        served.site.path("assets/phone.jpg"),
        &good[..good.len() / 2],
    )
    .unwrap();
    let failed = events.expect("build-error");
    assert_eq!(failed.build(), build, "the build being served: {failed:?}");
    let error = failed.error();
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("phone.jpg")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("cut short")),
        "{error}"
    );
    // The last good build is still served, with its picture.
    assert!(served.text("/").contains(&old_copy));
    assert_eq!(served.get(&format!("/{old_copy}")).status, 200);

    fs::write(served.site.path("assets/phone.jpg"), photo(200)).unwrap();
    let reload = events.expect("reload");
    assert!(reload.build() > build);
    // dist/ is written after the reload, on a thread of its own: ask the server.
    let html = served.text("/");
    assert!(
        !html.contains(&old_copy),
        "the old copy is still on the page"
    );
    let at = html
        .find("assets/phone-128x128.")
        .expect("a 128x128 copy on the page");
    let new_copy = html[at..].split([' ', '"']).next().unwrap();
    assert_eq!(served.get(&format!("/{new_copy}")).status, 200);
}

/// A broken page goes through the incremental path (only that page is re-read): the error is
/// reported the same way, an edit to another page meanwhile does not hide it, and the fix
/// reloads.
#[test]
fn a_broken_page_is_reported_until_it_is_fixed() {
    let site = Site::example();
    site.write("content/notes.md", page("Notes", "Notes body NOTES-OLD."));
    let served = Served::start(site);
    let (mut events, hello) = served.events();
    let build = hello.build();

    save(
        &served.site,
        "content/notes.md",
        "+++\ntitle = \"Notes\nweight = 1\n+++\n\nBroken.\n",
    );
    let failed = events.expect("build-error");
    let error = failed.error();
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.replace('\\', "/").ends_with("content/notes.md")),
        "{error}"
    );
    assert!(error["line"].as_u64().is_some(), "{error}");
    assert!(served.text("/notes/").contains("NOTES-OLD"));

    // Another page saved meanwhile: the site is still broken, so no reload hides the error.
    save(
        &served.site,
        "content/index.md",
        &index_with("INDEX-WHILE-BROKEN"),
    );
    let again = events.expect("build-error");
    assert_eq!(again.error(), error, "{again:?}");
    let (_late, late_hello) = served.events();
    assert_eq!(late_hello.error(), error);

    save(
        &served.site,
        "content/notes.md",
        &page("Notes", "Notes body NOTES-FIXED."),
    );
    let reload = expect_reload_serving(&served, &mut events, "/notes/", "NOTES-FIXED");
    assert!(reload.build() > build);
    assert!(served.text("/").contains("INDEX-WHILE-BROKEN"));
    let (_fixed, fixed_hello) = served.events();
    assert_eq!(fixed_hello.error(), Value::Null);
}

// ---------------------------------------------------------------------------------------------
// 3. A burst of saves.

#[test]
fn two_hundred_saves_in_a_second_are_debounced() {
    let served = Served::start(Site::example());
    let (mut events, hello) = served.events();
    let build = hello.build();

    let saves = 200;
    let started = Instant::now();
    for i in 1..=saves {
        // Save i at i × 5 ms: 200 saves in one second.
        let at = started + Duration::from_millis(5 * i);
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        served
            .site
            .write("content/index.md", index_with(&format!("SAVE-{i:03}-END")));
    }
    let last_save = Instant::now();
    let writing = started.elapsed();

    // The final text is served within a few seconds of the last save.
    let final_marker = format!("SAVE-{saves:03}-END");
    let mut served_final = None;
    while last_save.elapsed() < Duration::from_secs(5) {
        let page = served.get("/");
        assert_eq!(page.status, 200, "the server stays up");
        if page.text().contains(&final_marker) {
            served_final = Some(last_save.elapsed());
            break;
        }
        thread::sleep(POLL);
    }
    let served_final = served_final.unwrap_or_else(|| {
        panic!("{final_marker} not served within 5 s of the last save (saves took {writing:?})")
    });

    let seen = events.drain(Duration::from_millis(800), Duration::from_secs(5));
    let reloads: Vec<u64> = seen
        .iter()
        .filter(|e| e.name == "reload")
        .map(Event::build)
        .collect();
    // A rebuild that starts while the burst goes on may read the file between a save's truncate
    // and its write ("is empty"): that is reported, and the next rebuild clears it.
    let errors: Vec<Value> = seen
        .iter()
        .filter(|e| e.name == "build-error")
        .map(Event::error)
        .collect();
    eprintln!(
        "{saves} saves in {writing:?}: {} reloads and {} build errors, final text served \
         {served_final:?} after the last save; errors: {errors:?}",
        reloads.len(),
        errors.len()
    );
    assert!(
        seen.iter()
            .all(|e| e.name == "reload" || e.name == "build-error"),
        "{seen:?}"
    );
    assert!(!reloads.is_empty(), "at least one rebuild");
    assert!(
        seen.len() <= saves as usize / 5,
        "{} rebuilds for {saves} saves: not debounced",
        seen.len()
    );
    assert_eq!(
        seen.last().map(|e| e.name.as_str()),
        Some("reload"),
        "the last rebuild, after the last save, succeeds: {seen:?}"
    );
    assert!(
        reloads.windows(2).all(|w| w[1] > w[0]) && reloads[0] > build,
        "build numbers only grow: {build} then {reloads:?}"
    );
    // What is served is the last build announced, and no error is left.
    let page = served.text("/");
    assert!(page.contains(&final_marker));
    assert_eq!(script_build(&page), *reloads.last().unwrap());
    let (_late, hello) = served.events();
    assert_eq!(hello.error(), Value::Null);
    assert_eq!(hello.build(), *reloads.last().unwrap());
}

// ---------------------------------------------------------------------------------------------
// 4. Saves through a temporary file.

#[test]
fn a_save_through_rename_over_is_picked_up() {
    let served = Served::start(Site::example());
    let (mut events, hello) = served.events();

    // Write a new file next to it, then rename it over the page (atomic save).
    let new = served.site.path("content/index.md.new");
    fs::write(&new, index_with("RENAMED-OVER-1")).unwrap();
    fs::rename(&new, served.site.path("content/index.md")).unwrap();
    let reload = expect_reload_serving(&served, &mut events, "/", "RENAMED-OVER-1");
    assert!(reload.build() > hello.build());

    // Vim's way with `writebackup`: move the page aside as a backup, write a new file, remove
    // the backup.
    let page = served.site.path("content/index.md");
    let backup = served.site.path("content/index.md~");
    fs::rename(&page, &backup).unwrap();
    fs::write(&page, index_with("RENAMED-OVER-2")).unwrap();
    fs::remove_file(&backup).unwrap();
    expect_reload_serving(&served, &mut events, "/", "RENAMED-OVER-2");
}

// ---------------------------------------------------------------------------------------------
// 5. The script: in served HTML only.

#[test]
fn the_script_is_served_in_html_but_never_written_to_dist() {
    let site = Site::example();
    site.write("content/notes.md", page("Notes", "Some notes."));
    let served = Served::start(site);
    let (mut events, _hello) = served.events();
    served
        .site
        .write("content/index.md", index_with("DIST-CHECK-MARKER"));
    let reload = expect_reload_serving(&served, &mut events, "/", "DIST-CHECK-MARKER");

    // dist/ is written after the event, by a thread of its own: wait for it.
    let index = served.dist().join("index.html");
    let started = Instant::now();
    while !fs::read_to_string(&index).is_ok_and(|t| t.contains("DIST-CHECK-MARKER")) {
        assert!(
            started.elapsed() < WAIT,
            "dist/index.html was not rewritten"
        );
        thread::sleep(POLL);
    }
    let pages = html_files(&served.dist());
    assert!(pages.len() >= 3, "{:?}", pages.keys());
    for (name, html) in &pages {
        assert!(
            !html.contains(EVENTS),
            "dist/{name} holds the live-reload script"
        );
        assert!(!html.contains("live reload"), "dist/{name}");
    }

    // Served HTML is the file in dist/ plus the script, with a Content-Length to match.
    for (target, file) in [("/", "index.html"), ("/notes/", "notes/index.html")] {
        let response = served.get(target);
        assert_eq!(response.status, 200);
        assert!(response.text().contains(EVENTS), "{target}");
        let on_disk = fs::read(served.dist().join(file)).unwrap();
        let expected = profile::serve::reload::inject(&on_disk, reload.build());
        assert!(
            response.body == expected,
            "GET {target} is not dist/{file} + the script"
        );
        assert_eq!(
            response.content_length(),
            Some(response.body.len() as u64),
            "{target}"
        );
        let head = http::head_with(served.addr, target, &[]);
        assert_eq!(head.content_length(), Some(response.body.len() as u64));
        assert_eq!(head.header("ETag"), response.header("ETag"));
    }
    let missing = served.get("/no-such-page/");
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains(EVENTS), "the 404 page reloads too");
    assert_eq!(missing.content_length(), Some(missing.body.len() as u64));
    // Not in anything else.
    let css = served.get(&format!(
        "/{}",
        fingerprinted(&served.dist(), "style", "css")
    ));
    assert_eq!(css.status, 200);
    assert!(!css.text().contains(EVENTS));
}

#[test]
fn without_live_reload_html_is_served_as_built() {
    let served = Served::start_with(Site::example(), |c| c.live_reload = false);
    let response = served.get("/");
    assert_eq!(response.status, 200);
    assert!(!response.text().contains(EVENTS));
    assert!(response.body == fs::read(served.dist().join("index.html")).unwrap());
    assert_eq!(response.content_length(), Some(response.body.len() as u64));
    let missing = served.get("/no-such-page/");
    assert_eq!(missing.status, 404);
    assert!(!missing.text().contains(EVENTS));
    // No event stream either.
    let stream = served.get(EVENTS);
    assert_eq!(stream.status, 404, "{:?}", stream.headers);
    // Edits are still rebuilt and served, without the script.
    served
        .site
        .write("content/index.md", index_with("NO-SCRIPT-MARKER"));
    let after = served.wait_for_text("/", "NO-SCRIPT-MARKER");
    assert!(!after.text().contains(EVENTS));
}

// ---------------------------------------------------------------------------------------------
// 6. A stylesheet-only change.

/// The built-in `style.css`.
fn default_css() -> &'static str {
    profile::theme::DEFAULT_FILES
        .iter()
        .find(|(name, _)| *name == profile::theme::STYLESHEET)
        .expect("a built-in stylesheet")
        .1
}

#[test]
fn a_stylesheet_change_swaps_the_stylesheet_in_place() {
    let site = Site::example();
    site.write("theme/style.css", default_css());
    let served = Served::start(site);
    let (mut events, hello) = served.events();
    let old = fingerprinted(&served.dist(), "style", "css");
    assert!(served.text("/").contains(&old));

    let rule = ".live-reload-test { color: #123456; }";
    let css = format!("{}\n{rule}\n", default_css());
    save(&served.site, "theme/style.css", &css);
    let event = events.expect("css");
    let data = event.json();
    let name = data["stylesheet"]
        .as_str()
        .unwrap_or_else(|| panic!("{data}"));
    assert_eq!(
        name,
        format!("style.{}.css", fingerprint_of(css.as_bytes()))
    );
    assert_ne!(format!("assets/{name}"), old);
    assert!(event.build() > hello.build());

    let response = served.get(&format!("/assets/{name}"));
    assert_eq!(response.status, 200);
    assert!(response.text().contains(rule));
    assert!(response
        .expect_header("Content-Type")
        .starts_with("text/css"));
    // Pages loaded from now on link the new stylesheet and carry the new build.
    let page = served.text("/");
    assert!(page.contains(&format!("assets/{name}")), "{page}");
    assert_eq!(script_build(&page), event.build());
    // The 404 page has the stylesheet inline: it is rebuilt too.
    assert!(served.get("/no-such-page/").text().contains(rule));
}

/// The `css` event must name the theme's fingerprinted stylesheet, which the script swaps in by
/// replacing `style.<8 hex>.css` in every `<link>`. A site may also publish a file of its own
/// called `assets/style.css`; it must not be taken for the theme's stylesheet.
#[test]
fn the_css_event_names_the_theme_stylesheet_not_a_user_asset() {
    let site = Site::example();
    site.write("theme/style.css", default_css());
    site.write(
        "assets/style.css",
        "/* the site's own stylesheet, published as is */\n",
    );
    let served = Served::start(site);
    let (mut events, _hello) = served.events();

    // An edit whose fingerprint starts with `e`, so that it sorts after `style.css`.
    let css = (0..10_000)
        .map(|n| format!("{}\n.edit-{n} {{ color: red; }}\n", default_css()))
        .find(|css| fingerprint_of(css.as_bytes()).starts_with('e'))
        .expect("one in sixteen edits has such a fingerprint");
    save(&served.site, "theme/style.css", &css);
    let event = events.expect("css");
    assert_eq!(
        event.json()["stylesheet"].as_str(),
        Some(format!("style.{}.css", fingerprint_of(css.as_bytes())).as_str()),
        "{event:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Incremental rebuilds.

#[test]
fn editing_one_page_changes_only_that_page_and_a_title_changes_every_nav() {
    let site = Site::example();
    site.write("content/alpha.md", page("Alpha page", "Alpha body."));
    site.write("content/beta.md", page("Beta page", "Beta body."));
    site.write("content/gamma.md", page("Gamma page", "Gamma body."));
    // With live reload, every HTML ETag carries the build number; without, only the bytes.
    let served = Served::start_with(site, |c| c.live_reload = false);
    let targets = ["/", "/alpha/", "/beta/", "/gamma/"];
    let etags = |served: &Served| -> Vec<String> {
        targets
            .iter()
            .map(|t| {
                let r = served.get(t);
                assert_eq!(r.status, 200, "{t}");
                r.expect_header("ETag").to_string()
            })
            .collect()
    };
    let before = etags(&served);
    for target in targets {
        assert!(nav_titles(&served.text(target)).contains(&"Beta page".to_string()));
    }

    // The body of one page.
    served.site.write(
        "content/beta.md",
        page("Beta page", "Beta body, EDITED-BETA."),
    );
    served.wait_for_text("/beta/", "EDITED-BETA");
    let after = etags(&served);
    for (i, target) in targets.iter().enumerate() {
        if *target == "/beta/" {
            assert_ne!(before[i], after[i], "{target} changed");
        } else {
            assert_eq!(before[i], after[i], "{target} did not change");
            // A browser's cached copy is still good.
            let revalidated = http::get_with(served.addr, target, &[("If-None-Match", &before[i])]);
            assert_eq!(revalidated.status, 304, "{target}");
        }
    }

    // A title: the navigation of every page changes.
    served
        .site
        .write("content/alpha.md", page("Alpha renamed", "Alpha body."));
    served.wait_for_text("/alpha/", "Alpha renamed");
    let renamed = etags(&served);
    for (i, target) in targets.iter().enumerate() {
        let nav = nav_titles(&served.text(target));
        assert!(
            nav.contains(&"Alpha renamed".to_string()),
            "{target}: {nav:?}"
        );
        assert!(
            !nav.contains(&"Alpha page".to_string()),
            "{target}: {nav:?}"
        );
        assert_ne!(after[i], renamed[i], "{target}");
    }
    let missing = served.get("/no-such-page/");
    let nav = nav_titles(&missing.text());
    assert!(
        nav.is_empty() || nav.contains(&"Alpha renamed".to_string()),
        "404: {nav:?}"
    );
}

#[test]
fn a_translation_edit_changes_only_its_page_and_a_new_language_rebuilds_everything() {
    let served = Served::start_with(Site::bilingual(), |c| c.live_reload = false);
    // `/en/` is served like `/`.
    let english = served.get("/en/");
    assert_eq!(english.status, 200);
    assert!(english.text().contains(r#"<html lang="en">"#));
    let targets = ["/", "/en/"];
    let etags = |served: &Served| -> Vec<String> {
        targets
            .iter()
            .map(|t| served.get(t).expect_header("ETag").to_string())
            .collect()
    };
    let before = etags(&served);

    served
        .site
        .write("content/index.en.md", "Hello, EDITED-ENGLISH.\n");
    served.wait_for_text("/en/", "EDITED-ENGLISH");
    let after = etags(&served);
    assert_eq!(before[0], after[0], "/ did not change");
    assert_ne!(before[1], after[1], "/en/ changed");

    // A language added in site.toml: its pages appear, and every switcher links to them.
    assert_eq!(served.get("/zh-TW/").status, 404);
    let config = served.site.read("site.toml");
    served
        .site
        .write("site.toml", format!("{config}\n[languages.zh-tw]\n"));
    served.wait_for_text("/zh-TW/", "學號");
    served.wait_for_text("/", "zh-TW/index.html");
    served.wait_for_text("/en/", "../zh-TW/index.html");
}

// ---------------------------------------------------------------------------------------------
// 8. Folders that go away and come back.

#[test]
fn a_folder_deleted_and_made_again_is_picked_up() {
    let site = Site::example();
    site.write("content/notes/lab1.md", page("Lab one", "NOTES-V1"));
    let served = Served::start(site);
    let (mut events, _hello) = served.events();
    assert!(served.text("/notes/lab1/").contains("NOTES-V1"));

    fs::remove_dir_all(served.site.path("content/notes")).unwrap();
    events.expect("reload");
    let gone = served.get("/notes/lab1/");
    assert_eq!(gone.status, 404);
    assert!(!nav_titles(&served.text("/")).contains(&"Lab one".to_string()));

    fs::create_dir(served.site.path("content/notes")).unwrap();
    served
        .site
        .write("content/notes/lab1.md", page("Lab one again", "NOTES-V2"));
    expect_reload_serving(&served, &mut events, "/notes/lab1/", "NOTES-V2");
    assert!(nav_titles(&served.text("/")).contains(&"Lab one again".to_string()));
    events.drain(Duration::from_millis(200), Duration::from_secs(2));

    // The new folder is watched: a later edit inside it is seen.
    served
        .site
        .write("content/notes/lab1.md", page("Lab one again", "NOTES-V3"));
    expect_reload_serving(&served, &mut events, "/notes/lab1/", "NOTES-V3");
}

#[test]
fn the_content_folder_deleted_and_made_again_is_watched_again() {
    let site = Site::example();
    site.write("content/index.md", index_with("CONTENT-V1"));
    let served = Served::start(site);
    let (mut events, _hello) = served.events();

    fs::remove_dir_all(served.site.path("content")).unwrap();
    // Without content/ the site is the profile alone, or an error: either way an event.
    let first = events.next_within(WAIT).expect("an event for the removal");
    assert!(
        first.name == "reload" || first.name == "build-error",
        "{first:?}"
    );
    events.drain(Duration::from_millis(200), Duration::from_secs(2));

    served
        .site
        .write("content/index.md", index_with("CONTENT-V2"));
    served.wait_for_text("/", "CONTENT-V2");
    events.drain(Duration::from_millis(200), Duration::from_secs(2));

    served
        .site
        .write("content/index.md", index_with("CONTENT-V3"));
    expect_reload_serving(&served, &mut events, "/", "CONTENT-V3");
}

/// Renaming a folder reports only the folder's old and new names. A folder with a dot in its
/// name (`v1.2`) is still a folder of pages.
#[test]
fn a_folder_with_a_dot_in_its_name_renamed_is_picked_up() {
    let site = Site::example();
    site.write(
        "content/v1.2/notes.md",
        page("Release notes", "RELEASE-NOTES"),
    );
    let served = Served::start(site);
    let (mut events, _hello) = served.events();
    assert!(served.text("/v1.2/notes/").contains("RELEASE-NOTES"));

    fs::rename(
        served.site.path("content/v1.2"),
        served.site.path("content/v1.3"),
    )
    .unwrap();
    let event = events
        .next_within(Duration::from_secs(3))
        .expect("a rebuild after the folder was renamed");
    assert_eq!(event.name, "reload", "{event:?}");
    assert_eq!(served.get("/v1.2/notes/").status, 404);
    assert!(served.text("/v1.3/notes/").contains("RELEASE-NOTES"));
}

// ---------------------------------------------------------------------------------------------
// 9. Editor litter.

#[test]
fn editor_swap_and_backup_files_cause_no_rebuild() {
    let site = Site::example();
    // A theme folder of its own (making one is a change that rebuilds).
    site.write("theme/style.css", default_css());
    let served = Served::start(site);
    let (mut events, _hello) = served.events();

    served.site.write("content/.index.md.swp", "vim swap");
    served.site.write("content/index.md~", "backup");
    served.site.write("content/.#index.md", "emacs lock");
    served.site.write("content/4913", "");
    served.site.remove("content/4913");
    served
        .site
        .write("content/index.md___jb_tmp___", "jetbrains");
    served
        .site
        .write("theme/.style.css.swp", "vim swap of a theme file");
    let stray = events.next_within(QUIET);
    assert!(stray.is_none(), "editor litter caused {stray:?}");

    // The stream still works: a real edit is announced.
    served
        .site
        .write("content/index.md", index_with("AFTER-LITTER"));
    expect_reload_serving(&served, &mut events, "/", "AFTER-LITTER");
}

// ---------------------------------------------------------------------------------------------
// Stopping.

/// `RunningServer::stop` stops the server: open event streams end too (a browser then retries
/// and finds nothing, rather than holding a connection to a stopped server).
#[test]
fn stopping_the_server_ends_the_event_streams() {
    let mut served = Served::start(Site::example());
    let addr = served.addr;
    let (mut events, _hello) = served.events();
    served.stop_server();
    assert!(
        Conn::try_open(addr).is_err(),
        "still accepting after stop()"
    );
    assert!(
        events.closed_within(Duration::from_secs(3)),
        "the event stream stayed open after stop()"
    );
}

/// After `stop`, the sources are no longer watched: an edit does not rewrite `dist/`.
#[test]
fn stopping_the_server_stops_the_rebuilds() {
    let mut served = Served::start(Site::example());
    let (events, _hello) = served.events();
    served.stop_server();
    // Instead of waiting for a while: a second server on the same sources, writing elsewhere,
    // watches on. Once it has rebuilt for two edits made after the stop, a watcher that stop()
    // left running would have rebuilt for the first of them as well.
    let control = served.site.outside("control");
    let mut config = profile::serve::ServeConfig::new(served.site.root());
    config.out = control.clone();
    config.port = 0;
    config.quiet = true;
    let watching = profile::serve::start(&config).unwrap_or_else(|e| panic!("serve::start: {e}"));
    for marker in ["AFTER-STOP", "AFTER-STOP-AGAIN"] {
        served.site.write("content/index.md", index_with(marker));
        let deadline = Instant::now() + WAIT;
        while !fs::read_to_string(control.join("index.html")).is_ok_and(|h| h.contains(marker)) {
            assert!(
                Instant::now() < deadline,
                "{marker} not rebuilt by the second server"
            );
            thread::sleep(POLL);
        }
    }
    watching.stop();
    let html = fs::read_to_string(served.dist().join("index.html")).unwrap();
    assert!(
        !html.contains("AFTER-STOP"),
        "a stopped server rewrote dist/"
    );
    // The event stream itself is closed by stop() (see the test above): no event can come.
    drop(events);
}

/// Open tabs hold no thread that answers requests (when there were 8 workers, 40 streams would
/// have held them all): pages are still served at once, and every stream gets the next reload.
#[test]
fn many_open_tabs_do_not_use_up_the_server() {
    let served = Served::start(Site::example());
    let mut tabs: Vec<Events> = (0..40).map(|_| served.events().0).collect();
    let started = Instant::now();
    assert_eq!(served.get("/").status, 200);
    // Used up, the page would wait for a stream to end, which none does; a bound of seconds
    // rather than the milliseconds it takes, so that a loaded machine does not fail the test.
    assert!(
        started.elapsed() < WAIT,
        "GET / beside 40 event streams took {:?}",
        started.elapsed()
    );
    save(&served.site, "content/index.md", &index_with("FORTY-TABS"));
    for (n, tab) in tabs.iter_mut().enumerate() {
        let event = tab.expect("reload");
        assert_eq!(event.name, "reload", "tab {n}");
    }
    served.wait_for_text("/", "FORTY-TABS");
}
