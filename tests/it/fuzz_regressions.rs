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

/// fuzz target `request_framing`, crash-25939d9d31499463c99efa78749f9179cfced415 (run against the
/// code before commit "tiny_http framing: a chunked body's bound is counted byte by byte"): a
/// chunk of 0xffff bytes under a bound of 64 KiB was let through when its size line came in the
/// same read as what preceded it, and refused (413) when the body was split after byte 24.
#[test]
fn a_chunked_body_meets_its_bound_at_the_same_byte_however_it_is_split() {
    let body = [
        102, 102, 102, 102, 59, 102, 102, 61, 32, 42, 32, 32, 32, 59, 32, 32, 9, 9, 87, 102, 102,
        102, 59, 9, 102, 102, 102, 74, 13, 10, 10, 0, 102, 39, 0, 0, 0, 0, 0, 0, 0, 126, 38, 93,
        102, 255, 255, 255, 32, 36, 32, 61, 42, 32, 96,
    ];
    let whole = crate::properties::read_chunked(&body, &[], 1 << 16);
    assert_eq!(
        whole,
        crate::properties::read_chunked(&body, &[53280], 1 << 16)
    );
    assert_eq!(whole, Err(tiny_http::framing::ChunkedError::TooLarge));
}
