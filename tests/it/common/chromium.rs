//! Finding Debian's Chromium for the browser tests, and the flags that keep it off the network.

use std::path::PathBuf;

/// Chromium flags on top of `headless_chrome`'s defaults (which already disable background
/// networking, sync, extensions, the first-run UI and the GPU): nothing but the test's server.
pub const ARGS: &[&str] = &[
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--no-pings",
    "--mute-audio",
    // Replaces the defaults' list (the last --disable-features wins), keeping its two.
    "--disable-features=TranslateUI,BlinkGenPropertyTrees,NetworkTimeServiceQuerying,\
     OptimizationHints,MediaRouter",
    // Even so, Chromium 156 still asks accounts.google.com and update.googleapis.com: every
    // host name fails to resolve here (no DNS query, no connection), but the loopback ones.
    // Checked with --log-net-log: the only connections are to the test's server.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    // The start-up tab (Debian's default start page otherwise).
    "about:blank",
];

/// The Chromium binary (`$CHROME_PATH`, else `/usr/bin/chromium`), or `None` after printing
/// that `test` skips. Panics when Chromium is missing but required (`PROFILE_REQUIRE_BROWSER=1`,
/// which CI sets).
pub fn find(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("CHROME_PATH")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("PROFILE_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
        panic!(
            "Chromium is required (PROFILE_REQUIRE_BROWSER=1) but {} does not exist: install it \
             with `apt-get install -y chromium`, or set CHROME_PATH to a Chromium binary",
            path.display()
        );
    }
    super::skip(format_args!(
        "{test} needs Chromium (apt-get install chromium); set PROFILE_REQUIRE_BROWSER=1 to make \
         this an error"
    ));
    None
}

/// A CDP `Runtime.evaluate` of `expression` returning its value, silently (errors come back as
/// exception details), waiting for a promise when `await_promise`.
pub fn evaluate(
    expression: String,
    await_promise: bool,
) -> headless_chrome::protocol::cdp::Runtime::Evaluate {
    headless_chrome::protocol::cdp::Runtime::Evaluate {
        expression,
        return_by_value: Some(true),
        await_promise: Some(await_promise),
        object_group: None,
        include_command_line_api: None,
        silent: Some(true),
        context_id: None,
        generate_preview: None,
        user_gesture: None,
        throw_on_side_effect: None,
        timeout: None,
        disable_breaks: None,
        repl_mode: None,
        allow_unsafe_eval_blocked_by_csp: None,
        unique_context_id: None,
        serialization_options: None,
    }
}
