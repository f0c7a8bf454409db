//! `report::har::analyse` on any text: never panics; errors are one line; every exchange
//! points at a connection, and times are finite and not before the first request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profile::report::har::analyse;

fuzz_target!(|text: &str| {
    match analyse(text) {
        Ok(analysis) => {
            for x in &analysis.exchanges {
                assert!(x.connection < analysis.connections.len());
                assert!(x.request.at.is_finite() && x.request.at >= 0.0, "{}", x.request.at);
                if let Some(r) = &x.response {
                    assert!(r.at <= r.end_at, "{} {}", r.at, r.end_at);
                }
            }
            assert!(analysis.duration.is_finite());
        }
        Err(message) => assert!(!message.is_empty() && !message.contains('\n'), "{message}"),
    }
});
