//! `profile report` on real captures: dumpcap records the loopback interface while headless
//! Chromium opens the example page, revisits it and asks for a page that does not exist, served
//! in turn by `profile serve`, nginx, `python3 -m http.server` and the lab's Flask app. The
//! report's counts of TCP connections and HTTP exchanges, and its statuses, must be what tshark
//! itself reads from the same file (`-z conv,tcp`, `-Y http.request`, `-Y http.response`); the visit must show what
//! the lab is about (200, a 206 for the audio where the host answers ranges, 304 on the revisit,
//! 404), and the HTML report must be one self-contained page.
//!
//! Chromium, dumpcap/tshark, nginx and python3 come from Debian packages, Flask from PyPI
//! (`.ci/run` installs them); without them a test says `skipped: …` and passes, unless
//! `PROFILE_REQUIRE_BROWSER=1` / `PROFILE_REQUIRE_TOOLS=1`. Capturing needs root (CI runs as
//! root).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::browser_lab::{Lab, LabTab};
use common::capture::{self, Capture, CaptureFile, TsharkView};
use common::hosts;
use common::serve::Served;
use serde_json::Value;

#[test]
fn report_of_a_visit_to_profile_serve_agrees_with_tshark() {
    let test = "tests/it/report.rs profile serve";
    let Some(chromium) = ready(test) else {
        return;
    };
    let served = Served::start(common::Site::example());
    let port = served.addr.port();
    let capture = visit(&chromium, &format!("http://{}", served.addr), port);
    drop(served);
    let statuses = check_against_tshark(&capture, port);
    expect_statuses(&statuses, &[200, 206, 304, 404]);
    check_cut_capture(&capture);
}

#[test]
fn report_of_a_visit_to_nginx_agrees_with_tshark() {
    let test = "tests/it/report.rs nginx";
    let Some(chromium) = ready(test) else {
        return;
    };
    if !hosts::have_nginx(test) {
        return;
    }
    let statuses = static_host_visit(&chromium, |dist| {
        let server = hosts::start_nginx(dist, "/", "");
        let addr = server.addr();
        (Box::new(server), addr)
    });
    expect_statuses(&statuses, &[200, 206, 304, 404]);
}

#[test]
fn report_of_a_visit_to_python_http_server_agrees_with_tshark() {
    let test = "tests/it/report.rs python3 -m http.server";
    let Some(chromium) = ready(test) else {
        return;
    };
    if !hosts::have_python3(test) {
        return;
    }
    let statuses = static_host_visit(&chromium, |dist| {
        let server = hosts::start_python(dist);
        let addr = server.addr();
        (Box::new(server), addr)
    });
    // http.server ignores Range (the audio comes whole, 200) and answers If-Modified-Since.
    expect_statuses(&statuses, &[200, 304, 404]);
}

#[test]
fn report_of_a_visit_to_the_flask_development_server_agrees_with_tshark() {
    let test = "tests/it/report.rs Flask";
    let Some(chromium) = ready(test) else {
        return;
    };
    if !hosts::have_flask(test) {
        return;
    }
    let statuses = static_host_visit(&chromium, |dist| {
        let server = hosts::start_flask(dist);
        let addr = server.addr();
        (Box::new(server), addr)
    });
    // Werkzeug answers ranges (206) and both validators (304), and closes every connection.
    expect_statuses(&statuses, &[200, 206, 304, 404]);
}

/// The example built into a `dist/`, served by what `start` starts (its guard, which stops it
/// when dropped, and its address), visited under capture and checked against tshark; returns
/// the statuses of the exchanges.
fn static_host_visit(
    chromium: &Path,
    start: impl FnOnce(&Path) -> (Box<dyn std::any::Any>, std::net::SocketAddr),
) -> Vec<u16> {
    let site = common::Site::example();
    let dist = site.outside("dist");
    site.build_into(&dist);
    let (server, addr) = start(&dist);
    let capture = visit(chromium, &format!("http://{addr}"), addr.port());
    drop(server);
    check_against_tshark(&capture, addr.port())
}

/// Fails unless every status of `wanted` is among `statuses`.
fn expect_statuses(statuses: &[u16], wanted: &[u16]) {
    for status in wanted {
        assert!(statuses.contains(status), "no {status} in {statuses:?}");
    }
}

/// Chromium and the Wireshark tools, or `None` after saying why the test skips.
fn ready(test: &str) -> Option<std::path::PathBuf> {
    let chromium = common::chromium::find(test)?;
    capture::have_wireshark_tools(test).then_some(chromium)
}

/// The lab's visit to `origin` (`http://127.0.0.1:PORT`), captured: the page, the same page
/// again (a revisit: revalidations), a missing page; then the browser is closed, which closes
/// its connections.
fn visit(chromium: &Path, origin: &str, port: u16) -> CaptureFile {
    let capture = Capture::start(port);
    let lab = Lab::launch(chromium);
    let tab = lab.tab();
    lab_visit(&tab, origin);
    drop(tab);
    lab.close();
    capture.stop()
}

/// The page, away and back to it (as a person comes back to a page: a reload would make
/// Chromium revalidate everything whatever the headers say), then a page that does not exist.
fn lab_visit(tab: &LabTab, origin: &str) {
    let pages = [
        format!("{origin}/"),
        "about:blank".to_owned(),
        format!("{origin}/"),
        format!("{origin}/no-such-page"),
    ];
    for page in pages {
        let mark = tab.log.mark();
        tab.visit(&page);
        // On the profile page, the audio's answer must have arrived (its metadata loaded):
        // otherwise Chromium may cancel the request after the server has answered it, and the
        // two sides of the visit would rightly disagree about that exchange.
        if page == format!("{origin}/") {
            if let Some(problem) = tab.audio_problem() {
                panic!("visiting {page}: {problem}");
            }
        }
        tab.wait_for_network_quiet(mark)
            .unwrap_or_else(|e| panic!("visiting {page}: {e}"));
    }
}

/// Runs `profile report` on `capture` and checks its JSON against tshark's view of the same
/// file; returns the statuses.
fn check_against_tshark(capture: &CaptureFile, port: u16) -> Vec<u16> {
    let json = capture.beside("report.json");
    let html = capture.beside("report.html");
    run_report(
        capture.path(),
        &[
            "-o",
            html.to_str().expect("UTF-8 path"),
            "--json",
            json.to_str().expect("UTF-8 path"),
            "--lang",
            "en",
        ],
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("read JSON"))
        .expect("the JSON report parses");
    let tshark = capture::tshark_view(capture.path(), port);
    let ours = view_of(&report);
    assert_eq!(
        ours,
        tshark,
        "profile report (left) and tshark (right) disagree on {}",
        capture.path().display()
    );
    let page = std::fs::read_to_string(&html).expect("read the HTML report");
    assert!(page.starts_with("<!DOCTYPE html>") || page.starts_with("<!doctype html>"));
    assert!(!page.contains("<script"), "the report needs no JavaScript");
    ours.statuses
}

/// The report's JSON seen as tshark sees a capture.
fn view_of(report: &Value) -> TsharkView {
    let connections = report["connections"].as_array().map_or(0, Vec::len);
    let exchanges = report["exchanges"].as_array().cloned().unwrap_or_default();
    let requests: Vec<(String, String)> = exchanges
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let statuses: Vec<u16> = exchanges
        .iter()
        .filter_map(|e| e["status"].as_u64())
        .filter_map(|s| u16::try_from(s).ok())
        .collect();
    TsharkView::sorted(connections, requests, statuses)
}

#[test]
fn har_from_chromium_and_from_profile_serve_give_the_same_exchanges() {
    let test = "tests/it/report.rs HAR from Chromium and from profile serve";
    let Some(chromium) = common::chromium::find(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let served_har = dir.path().join("served.har");
    let browser_har = dir.path().join("chromium.har");
    let served = Served::start_with(common::Site::example(), |config| {
        config.trace.har = Some(served_har.clone());
        // The page exactly as dist/ holds it: no live-reload event stream, which the browser
        // records and the server's HAR leaves out.
        config.live_reload = false;
        config.watch = false;
    });
    let lab = Lab::launch(&chromium);
    let tab = lab.tab();
    let network = tab.record_network();
    lab_visit(&tab, &format!("http://{}", served.addr));
    let har = serde_json::to_string_pretty(&network.har()).expect("HAR as JSON");
    std::fs::write(&browser_har, har).expect("write Chromium's HAR");
    drop(tab);
    lab.close();
    drop(served);
    let from_server = exchanges_of(&report_json(&served_har));
    let from_browser = exchanges_of(&report_json(&browser_har));
    assert!(
        [200, 206, 304, 404]
            .iter()
            .all(|s| from_server.iter().any(|(_, _, status)| status == s)),
        "the visit should show 200, 206, 304 and 404: {from_server:?}"
    );
    assert_eq!(
        from_server, from_browser,
        "profile serve --har (left) and Chromium's HAR (right) disagree"
    );
}

#[test]
fn the_html_report_is_valid_and_needs_nothing_from_outside() {
    let test = "tests/it/report.rs HTML validation";
    let Some(validator) = common::npm::package(test, "html-validate", "html-validate@9") else {
        return;
    };
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let har = dir.path().join("visit.har");
    let served = Served::start_with(common::Site::example(), |config| {
        config.trace.har = Some(har.clone());
    });
    for (target, headers) in [
        ("/", vec![]),
        ("/assets/no-such-file.mp3", vec![]),
        (
            "/<script>alert(1)</script>",
            vec![("Accept-Language", "\"><b>x</b>")],
        ),
    ] {
        served.get_with(target, &headers);
    }
    drop(served);
    for lang in ["en", "zh-CN"] {
        let html = dir.path().join(format!("report.{lang}.html"));
        run_report(
            &har,
            &["-o", html.to_str().expect("UTF-8 path"), "--lang", lang],
        );
        let page = std::fs::read_to_string(&html).expect("read the report");
        assert!(
            !page.contains("<script"),
            "{lang}: a script (or unescaped input) in the report"
        );
        assert!(
            !page.contains("<b>x</b>"),
            "{lang}: a header value was not escaped"
        );
        let output = Command::new("node")
            .arg(validator.join("bin/html-validate.mjs"))
            .arg(&html)
            .output()
            .expect("run html-validate");
        assert!(
            output.status.success(),
            "html-validate rejects the {lang} report:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Rendered from disk by Chromium: nothing asked of any server, nothing logged as an error.
    let Some(chromium) = common::chromium::find(test) else {
        return;
    };
    let lab = Lab::launch(&chromium);
    let tab = lab.tab();
    for lang in ["en", "zh-CN"] {
        let url = hosts::file_url(&dir.path().join(format!("report.{lang}.html")));
        let mark = tab.log.mark();
        tab.visit(&url);
        tab.wait_for_network_quiet(mark)
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let seen = tab.log.since(mark);
        let elsewhere: Vec<_> = seen.exchanges().filter(|e| e.url != url).collect();
        assert!(
            elsewhere.is_empty(),
            "{lang}: the report asked for {elsewhere:?}"
        );
        assert!(
            seen.errors.is_empty(),
            "{lang}: errors logged: {:?}",
            seen.errors
        );
    }
    drop(tab);
    lab.close();
}

/// `profile report INPUT ARGS…`, which must succeed.
fn run_report(input: &Path, args: &[&str]) {
    let output = Command::new(common::BIN)
        .arg("report")
        .arg(input)
        .args(args)
        .output()
        .expect("run profile report");
    assert!(
        output.status.success(),
        "profile report {} failed: {}",
        input.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON analysis of `input`.
fn report_json(input: &Path) -> Value {
    let json = input.with_extension("json");
    let html = input.with_extension("html");
    run_report(
        input,
        &[
            "-o",
            html.to_str().expect("UTF-8 path"),
            "--json",
            json.to_str().expect("UTF-8 path"),
        ],
    );
    serde_json::from_str(&std::fs::read_to_string(&json).expect("read the JSON"))
        .expect("the JSON report parses")
}

/// `(method, target, status)` of every exchange, sorted.
fn exchanges_of(report: &Value) -> Vec<(String, String, u16)> {
    let mut all: Vec<(String, String, u16)> = report["exchanges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
                e["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0),
            )
        })
        .collect();
    all.sort();
    all
}

/// The same capture cut in the middle of a record, as a capture still being written or an
/// interrupted copy is: a report of what was read, with the warning.
fn check_cut_capture(capture: &CaptureFile) {
    let bytes = std::fs::read(capture.path()).expect("read the capture");
    let cut = capture.beside("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 1]).expect("write the cut capture");
    let whole = report_json(capture.path());
    let part = report_json(&cut);
    let warnings = part["warnings"].to_string();
    assert!(
        warnings.contains("middle of a record"),
        "no warning about the cut: {warnings}"
    );
    let count = |report: &Value| report["exchanges"].as_array().map_or(0, Vec::len);
    assert!(
        (1..=count(&whole)).contains(&count(&part)),
        "the cut capture should report some of the {} exchanges, not {}",
        count(&whole),
        count(&part)
    );
}

#[test]
fn what_is_not_a_capture_is_one_line_saying_what_it_looks_like() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let notes = dir.path().join("lab notes.txt");
    std::fs::write(&notes, "HTTP 实验笔记\n").expect("write a text file");
    let output = Command::new(common::BIN)
        .arg("report")
        .arg(&notes)
        .output()
        .expect("run profile report");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("lab notes.txt") && stderr.contains("looks like text"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("report.html").exists(),
        "nothing is written"
    );
}

#[test]
fn a_har_without_http_gives_a_report_that_says_so() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let har = dir.path().join("empty.har");
    std::fs::write(
        &har,
        r#"{"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": []}}"#,
    )
    .expect("write a HAR");
    let report = report_json(&har);
    assert_eq!(report["exchanges"], serde_json::json!([]));
    // Tests run in the repository's root, the example site (lang = "zh-CN"): without --lang,
    // the report is in the site's language.
    let html = std::fs::read_to_string(har.with_extension("html")).expect("read the report");
    assert!(
        html.contains("<html lang=\"zh-CN\""),
        "not in the site's language"
    );
    assert!(
        html.contains("这份输入中没有 HTTP 交互"),
        "the report should say there is no HTTP"
    );
}
