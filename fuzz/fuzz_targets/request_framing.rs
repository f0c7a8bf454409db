//! Request framing (issue 18): `tiny_http::framing::body_framing` on any version and fields, and
//! `ChunkedBody` on any bytes, fed whole and in the pieces the input chooses. Never a panic; the
//! same answer however the bytes are split (a socket splits them anywhere); never more bytes
//! taken than given; and a body encoded correctly from the input's chunks is read to its end,
//! taking exactly its own bytes and not those of a request after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tiny_http::framing::{body_framing, ChunkedBody, ChunkedError, Framing};

type Input<'a> = (
    (u8, u8),
    Vec<(&'a str, &'a str)>,
    &'a [u8],
    Vec<u16>,
    Vec<&'a [u8]>,
);

/// Feeds `bytes` to a reader bounded at `max`, cut at `cuts`: how many bytes the body took and
/// whether it is complete, or the error.
fn feed(bytes: &[u8], cuts: &[u16], max: u64) -> Result<(usize, bool), ChunkedError> {
    let mut reader = ChunkedBody::new(max);
    let mut taken = 0;
    let mut at = 0;
    let mut ends: Vec<usize> = cuts
        .iter()
        .map(|&c| usize::from(c) % (bytes.len() + 1))
        .collect();
    ends.sort_unstable();
    ends.push(bytes.len());
    for end in ends {
        if end < at || reader.is_done() {
            continue;
        }
        let piece = &bytes[at..end];
        let used = reader.feed(piece)?;
        assert!(used <= piece.len());
        assert!(
            reader.is_done() || used == piece.len(),
            "an incomplete body takes every byte"
        );
        taken += used;
        at = end;
    }
    Ok((taken, reader.is_done()))
}

fuzz_target!(|input: Input| {
    let (version, fields, body, cuts, chunks) = input;

    // Framing: a length is the one value every Content-Length element says.
    if let Ok(Framing::Length(n)) = body_framing(version, fields.iter().copied()) {
        for (_, value) in fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            for element in value.split(',') {
                assert_eq!(
                    element.trim_matches([' ', '\t']).parse::<u64>().ok(),
                    Some(n)
                );
            }
        }
    }

    // Any bytes: the same answer whole and in pieces.
    let max = 1 << 16;
    assert_eq!(feed(body, &[], max), feed(body, &cuts, max));

    // A valid encoding of the input's chunks, then a next request.
    let mut encoded = Vec::new();
    for chunk in chunks.iter().filter(|c| !c.is_empty()) {
        encoded.extend_from_slice(format!("{:X};ext=\"v\"\r\n", chunk.len()).as_bytes());
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    encoded.extend_from_slice(b"0\r\nTrailer: x\r\n\r\n");
    let len = encoded.len();
    encoded.extend_from_slice(b"GET / HTTP/1.1\r\n");
    assert_eq!(feed(&encoded, &cuts, u64::MAX), Ok((len, true)));
});
