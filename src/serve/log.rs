//! The access log: one Common Log Format line per exchange, coloured by status on a terminal.

use std::net::SocketAddr;
use std::time::SystemTime;

/// Formats one Common Log Format line:
/// `127.0.0.1 - - [23/Nov/2026:22:10:31 +0000] "GET / HTTP/1.1" 200 3144`.
pub fn common_log_line(
    client: Option<SocketAddr>,
    when: SystemTime,
    request_line: &str,
    status: u16,
    body_bytes: u64,
) -> String {
    let host = client.map_or_else(|| "-".to_string(), |a| a.ip().to_string());
    // CLF writes "-" for an empty body.
    let bytes = if body_bytes == 0 {
        "-".to_string()
    } else {
        body_bytes.to_string()
    };
    let request_line = request_line.replace('"', "\\\"");
    format!(
        "{host} - - [{}] \"{request_line}\" {status} {bytes}",
        clf_date(when)
    )
}

/// `23/Nov/2026:22:10:31 +0000`, rearranged from the IMF-fixdate `httpdate` gives
/// (`Mon, 23 Nov 2026 22:10:31 GMT`).
fn clf_date(when: SystemTime) -> String {
    let imf = httpdate::fmt_http_date(when);
    let parts: Vec<&str> = imf.split(' ').collect();
    match parts.as_slice() {
        [_, day, month, year, time, _] => format!("{day}/{month}/{year}:{time} +0000"),
        _ => imf,
    }
}

/// Whether to colour what goes to a stream, given whether it is a terminal: never with `NO_COLOR`
/// set, always with `CLICOLOR_FORCE`, otherwise only on a terminal that takes ANSI escapes. On
/// Windows that means switching the console to them first (`ENABLE_VIRTUAL_TERMINAL_PROCESSING`);
/// a console that refuses gets no colour rather than raw `←[32m` codes.
pub fn use_colour(is_terminal: bool) -> bool {
    decide_colour(
        is_terminal,
        anstyle_query::no_color(),
        anstyle_query::clicolor_force(),
        || anstyle_query::windows::enable_ansi_colors().unwrap_or(true),
    )
}

/// [`use_colour`]'s rule, with the environment and the console passed in.
fn decide_colour(
    is_terminal: bool,
    no_color: bool,
    force: bool,
    console_takes_escapes: impl FnOnce() -> bool,
) -> bool {
    if no_color {
        return false;
    }
    if force {
        // Still switch a Windows console over, so that forced colours show as colours.
        let _ = console_takes_escapes();
        return true;
    }
    is_terminal && console_takes_escapes()
}

/// The ANSI colour code for `status`: green 2xx, cyan 3xx, yellow 4xx, red 5xx.
pub fn status_colour(status: u16) -> &'static str {
    match status {
        200..=299 => "32",
        300..=399 => "36",
        400..=499 => "33",
        _ => "31",
    }
}

/// Wraps `line` in the ANSI colour for `status`.
pub fn colour(line: &str, status: u16) -> String {
    format!("\x1b[{}m{line}\x1b[0m", status_colour(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_where_escapes_are_understood() {
        let yes = || true;
        let no = || false;
        assert!(decide_colour(true, false, false, yes));
        // Piped, redirected to a file, or read by a test.
        assert!(!decide_colour(false, false, false, yes));
        // A Windows console that cannot be switched to ANSI escapes.
        assert!(!decide_colour(true, false, false, no));
        // NO_COLOR wins over everything; CLICOLOR_FORCE over the rest.
        assert!(!decide_colour(true, true, true, yes));
        assert!(decide_colour(false, false, true, no));
    }
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_common_log_format() {
        let when = UNIX_EPOCH + Duration::from_secs(1_795_472_231);
        let client = "127.0.0.1:50123".parse().ok();
        let line = common_log_line(
            client,
            when,
            "GET /assets/intro.4b1e0a2c.mp3 HTTP/1.1",
            206,
            65536,
        );
        assert_eq!(
            line,
            "127.0.0.1 - - [23/Nov/2026:22:17:11 +0000] \"GET /assets/intro.4b1e0a2c.mp3 HTTP/1.1\" 206 65536"
        );
        let line = common_log_line(client, when, "GET / HTTP/1.1", 304, 0);
        assert!(line.ends_with("\" 304 -"));
    }
}
