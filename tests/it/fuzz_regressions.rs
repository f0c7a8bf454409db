//! Inputs the fuzz targets under `fuzz/` found to break a documented property, fed back through
//! the public API exactly as found, so that the bug stays fixed without running a fuzzer.

use profile::coding::Encoding;
use profile::serve::http::negotiate_encoding;

/// fuzz target `accept_encoding`, crash-74c95af7cf2f4cc9e5fe5f88245755d9d3327109 (run against the
/// code before commit "negotiate_encoding: an explicit q=0 is never overridden"): gzip was chosen
/// through its alias `x-gzip` although a later element refused `gzip` (a malformed `q=R`, which
/// counts as 0, then `q=0.`).
#[test]
fn accept_encoding_alias_does_not_override_a_refusal() {
    let header = "x-gzip;g\0\0},gzip;p;\0\0z=;q=R\0=R\0Hz\ts;q=0.";
    let available = [Encoding::Brotli, Encoding::Gzip];
    assert_eq!(negotiate_encoding(Some(header), &available), None);
}
