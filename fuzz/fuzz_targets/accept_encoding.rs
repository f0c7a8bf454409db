//! `negotiate_encoding` on any Accept-Encoding value: never panics, never picks a coding that is
//! not available, nor one that the header refuses with an explicit `q=0`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profile::coding::Encoding;
use profile::serve::http::negotiate_encoding;

/// Whether some element of `header` names `encoding` (or gzip's alias x-gzip) with a zero
/// weight: `q=0`, `q=0.`, `q=0.0`, ... (RFC 9110 §12.4.2).
fn explicitly_refused(header: &str, encoding: Encoding) -> bool {
    let ows = |s: &str| s.trim_matches([' ', '\t']).to_owned();
    header.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = ows(parts.next().unwrap_or("")).to_ascii_lowercase();
        let named =
            coding == encoding.token() || (encoding == Encoding::Gzip && coding == "x-gzip");
        named
            && parts.any(|p| match p.split_once('=') {
                Some((name, value)) => {
                    ows(name).eq_ignore_ascii_case("q") && is_zero_qvalue(&ows(value))
                }
                None => false,
            })
    })
}

/// `"0" [ "." 0*3("0") ]`: a qvalue that means "not acceptable".
fn is_zero_qvalue(value: &str) -> bool {
    match value.split_once('.') {
        None => value == "0",
        Some((int, frac)) => int == "0" && frac.len() <= 3 && frac.bytes().all(|b| b == b'0'),
    }
}

fuzz_target!(|input: (u8, Option<&str>)| {
    let (which, header) = input;
    let available: &[Encoding] = match which % 5 {
        0 => &[],
        1 => &[Encoding::Brotli],
        2 => &[Encoding::Gzip],
        3 => &[Encoding::Brotli, Encoding::Gzip],
        _ => &[Encoding::Gzip, Encoding::Brotli],
    };
    if let Some(chosen) = negotiate_encoding(header, available) {
        assert!(available.contains(&chosen));
        let header = header.unwrap_or_default();
        assert!(
            !explicitly_refused(header, chosen),
            "{header:?} → {chosen:?}"
        );
    }
});
