//! Property tests of the pure functions that read untrusted input: the HTTP header rules
//! (Range, conditional requests, Accept-Encoding), request target → output key resolution, page
//! parsing and `site.toml` parsing. Each property holds for every generated input; proptest
//! shrinks a failure to a small case and saves its seed under `proptest-regressions/`, which is
//! committed so that the case is replayed on every run.
//!
//! The expected values are computed here, independently of the code under test, from the RFCs
//! and the functions' doc comments. Case counts are kept modest so the file runs in seconds.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;

use profile::coding::Encoding;
use profile::config;
use profile::content::{self, Page};
use profile::output::{Entry, Output};
use profile::serve::http::{
    evaluate_preconditions, evaluate_range, http_date, if_range_allows, negotiate_encoding,
    ByteRange, Conditionals, Precondition, RangeOutcome, Validators,
};
use profile::serve::resolve::{resolve, Resolution};
use profile::serve::respond::{respond, ReplyBody, RequestInfo};
use tiny_http::framing::{ChunkedBody, ChunkedError};

/// `n` cases, with failures saved where proptest replays them from on every run. (The default
/// location is derived from `src/lib.rs`, which proptest cannot find from `tests/`.)
fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::with_cases(n)
    }
}

/// What `respond` answers to `GET /data.bin` with `Range: range` from a build holding `data` at
/// `data.bin`: the status, and the bytes of `data` that its reply's body names (the bytes the
/// server writes).
fn served_range(data: &[u8], range: &str) -> (u16, Vec<u8>) {
    let mut output = Output::default();
    let entry = Entry::bytes(data.to_vec(), "application/octet-stream", "data.bin");
    output.insert("data.bin".into(), entry).unwrap();
    let headers = [("Host", "127.0.0.1"), ("Range", range)];
    let request = RequestInfo {
        method: "GET",
        target: "/data.bin",
        version: (1, 1),
        headers: &headers,
    };
    // The entry is bytes in memory: no source file whose stamp could be asked for.
    let reply = respond(&request, &output, UNIX_EPOCH, UNIX_EPOCH, None, &|_| None);
    let sent = match &reply.body {
        ReplyBody::Entry { key, start, len } if key == "data.bin" => {
            let (start, len) = (*start as usize, *len as usize);
            data[start..start + len].to_vec()
        }
        other => panic!("{range}: a reply from elsewhere than data.bin: {other:?}"),
    };
    let length = reply.header("Content-Length").map(str::to_owned);
    assert_eq!(length, Some(sent.len().to_string()), "{range}");
    (reply.status, sent)
}

/// Optional white space (§5.6.3), in the forms a client might send.
fn ows() -> impl Strategy<Value = &'static str> {
    select(vec!["", " ", "\t", " \t "])
}

/// A list separator with optional white space and empty elements, which §5.6.1 tells
/// recipients to ignore.
fn list_separator() -> impl Strategy<Value = &'static str> {
    select(vec![",", ", ", " ,", "\t,\t", ", ,", ",,", " , ,\t"])
}

/// Joins list elements with generated separators; the separators are cycled if too few.
fn join_list(items: &[String], separators: &[&str]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separators.get(i % separators.len().max(1)).unwrap_or(&","));
        }
        out.push_str(item);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Range (RFC 9110 §14)
// ---------------------------------------------------------------------------------------------

/// A representation length: mostly short, where off-by-one mistakes show, sometimes any u64.
fn length() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..300, 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

/// A byte position: near the short lengths, or anywhere.
fn position() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..320, 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

/// One syntactically valid `range-spec` (§14.1.1).
#[derive(Debug, Clone, Copy)]
enum Spec {
    /// `first-pos "-" [ last-pos ]`, with last >= first.
    Int(u64, Option<u64>),
    /// `"-" suffix-length`
    Suffix(u64),
}

/// What a range-spec means for a given length, from §14.1.2's arithmetic.
#[derive(Debug, PartialEq, Eq)]
enum Meaning {
    /// Bytes `first..=last`.
    Bytes(u64, u64),
    /// Satisfiable but zero bytes long (a non-zero suffix of an empty representation).
    Nothing,
    Unsatisfiable,
}

impl Spec {
    fn text(self) -> String {
        match self {
            Spec::Int(first, Some(last)) => format!("{first}-{last}"),
            Spec::Int(first, None) => format!("{first}-"),
            Spec::Suffix(n) => format!("-{n}"),
        }
    }

    /// §14.1.2: `first-last` is the bytes from first to last inclusive, `first-` is from first
    /// to the end, `-n` is the last n bytes; a last-pos past the end, or a suffix longer than
    /// the representation, means "to the end" / "all of it". §14.1.1: an int-range with
    /// first-pos >= length, and a suffix-range of length 0, are unsatisfiable.
    fn meaning(self, len: u64) -> Meaning {
        match self {
            Spec::Int(first, _) if first >= len => Meaning::Unsatisfiable,
            Spec::Int(first, Some(last)) if last < len => Meaning::Bytes(first, last),
            Spec::Int(first, _) => Meaning::Bytes(first, len - 1),
            Spec::Suffix(0) => Meaning::Unsatisfiable,
            Spec::Suffix(_) if len == 0 => Meaning::Nothing,
            Spec::Suffix(n) if n >= len => Meaning::Bytes(0, len - 1),
            Spec::Suffix(n) => Meaning::Bytes(len - n, len - 1),
        }
    }

    /// The bytes of `data` this spec asks for, by walking the data rather than by arithmetic.
    fn select(self, data: &[u8]) -> Vec<u8> {
        let skip = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        match self {
            Spec::Int(first, Some(last)) => data
                .iter()
                .skip(skip(first))
                .take(skip(last - first).saturating_add(1))
                .copied()
                .collect(),
            Spec::Int(first, None) => data.iter().skip(skip(first)).copied().collect(),
            Spec::Suffix(n) => {
                let mut tail: Vec<u8> = data.iter().rev().take(skip(n)).copied().collect();
                tail.reverse();
                tail
            }
        }
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (position(), prop_oneof![0u64..320, any::<u64>()])
            .prop_map(|(first, extra)| Spec::Int(first, Some(first.saturating_add(extra)))),
        position().prop_map(|first| Spec::Int(first, None)),
        position().prop_map(Spec::Suffix),
    ]
}

/// The range unit, which §14.1 compares case-insensitively.
fn bytes_unit() -> impl Strategy<Value = &'static str> {
    select(vec!["bytes", "BYTES", "Bytes", "bYtEs"])
}

/// Builds `bytes=<specs>` with OWS around the value and the list elements, and empty elements.
fn range_header() -> impl Strategy<Value = (Vec<Spec>, String)> {
    (
        vec(spec(), 1..5),
        bytes_unit(),
        ows(),
        ows(),
        vec(list_separator(), 1..5),
        select(vec!["", ",", ", ,", " ,\t"]),
        select(vec!["", ",", ", ,", " ,\t"]),
    )
        .prop_map(|(specs, unit, lead, trail, seps, before, after)| {
            let texts: Vec<String> = specs.iter().map(|s| s.text()).collect();
            let header = format!(
                "{lead}{unit}={before}{}{after}{trail}",
                join_list(&texts, &seps)
            );
            (specs, header)
        })
}

/// A range-spec that is not valid, so the whole header must be ignored (§14.2).
fn invalid_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        // last-pos < first-pos (§14.1.1)
        (1u64..u64::MAX, 1u64..1000)
            .prop_map(|(first, less)| format!("{first}-{}", first.saturating_sub(less))),
        position().prop_map(|n| n.to_string()),
        Just("-".to_owned()),
        position().prop_map(|n| format!("{n}--{n}")),
        position().prop_map(|n| format!("+{n}-")),
        position().prop_map(|n| format!("-+{n}")),
        position().prop_map(|n| format!("{n} -{n}")),
        position().prop_map(|n| format!("{n}- {n}")),
        position().prop_map(|n| format!("0x{n}-")),
        position().prop_map(|n| format!("{n}-{n}-")),
        Just("18446744073709551616-".to_owned()),
        Just("0-18446744073709551616".to_owned()),
        Just("-18446744073709551616".to_owned()),
        Just("a-b".to_owned()),
        Just("١-٢".to_owned()),
        Just("½-".to_owned()),
        Just("0-1;q=1".to_owned()),
    ]
}

/// Strings shaped like Range values, plus anything at all.
fn range_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t]{0,2}[bB][yY][tT][eE][sS]?[ ]?=[0-9 ,\t+-]{0,24}",
        "[ -~]{0,32}",
        range_header().prop_map(|(_, h)| h),
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn range_never_panics_and_partial_is_in_bounds(header in range_like(), len in length()) {
        match evaluate_range(Some(&header), len) {
            RangeOutcome::Partial(r) => {
                prop_assert!(r.start <= r.end && r.end < len, "{header:?} {len} {r:?}");
                prop_assert!(!r.is_empty());
                prop_assert_eq!(r.len(), r.end - r.start + 1);
            }
            RangeOutcome::NotSatisfiable => {
                // Only a bytes range-set can be unsatisfiable; anything else is ignored.
                let unit = header.trim_matches([' ', '\t']).split_once('=').map(|(u, _)| u);
                prop_assert!(unit.is_some_and(|u| u.eq_ignore_ascii_case("bytes")), "{header:?}");
            }
            RangeOutcome::Full => {}
        }
        prop_assert_eq!(evaluate_range(None, len), RangeOutcome::Full);
    }

    #[test]
    fn one_valid_range_follows_the_rfc_arithmetic(
        spec in spec(),
        len in length(),
        unit in bytes_unit(),
        lead in ows(),
        trail in ows(),
        around in select(vec![("", ""), (",", ""), ("", ", ,"), (" , ", "\t,")]),
    ) {
        let header = format!("{lead}{unit}={}{}{}{trail}", around.0, spec.text(), around.1);
        let outcome = evaluate_range(Some(&header), len);
        match spec.meaning(len) {
            Meaning::Bytes(start, end) => {
                prop_assert_eq!(&outcome, &RangeOutcome::Partial(ByteRange { start, end }));
                prop_assert_eq!(ByteRange { start, end }.len(), end - start + 1);
                // The bytes the server's reply sends are exactly the bytes asked for.
                if len <= 4096 {
                    let data: Vec<u8> = (0..len).map(|i| (i * 31 + i / 256) as u8).collect();
                    let (status, sent) = served_range(&data, &header);
                    prop_assert_eq!(status, 206, "{}", header);
                    prop_assert_eq!(sent, spec.select(&data), "{}", header);
                }
            }
            // A 206 cannot describe zero bytes: the (equally empty) 200 is sent.
            Meaning::Nothing => prop_assert_eq!(outcome, RangeOutcome::Full),
            Meaning::Unsatisfiable => prop_assert_eq!(outcome, RangeOutcome::NotSatisfiable),
        }
    }

    #[test]
    fn several_ranges_are_416_only_when_none_is_satisfiable(
        (specs, header) in range_header(),
        len in length(),
    ) {
        let outcome = evaluate_range(Some(&header), len);
        let none_satisfiable = specs.iter().all(|s| s.meaning(len) == Meaning::Unsatisfiable);
        if none_satisfiable {
            prop_assert_eq!(outcome, RangeOutcome::NotSatisfiable, "{}", header);
        } else if specs.len() > 1 {
            // No multipart/byteranges: several ranges get the whole representation.
            prop_assert_eq!(outcome, RangeOutcome::Full, "{}", header);
        } else {
            prop_assert!(matches!(outcome, RangeOutcome::Partial(_) | RangeOutcome::Full));
        }
    }

    #[test]
    fn an_invalid_range_header_is_ignored(
        valid in vec(spec(), 0..4),
        invalid in invalid_spec(),
        at in any::<prop::sample::Index>(),
        len in length(),
        unit in bytes_unit(),
        seps in vec(list_separator(), 1..4),
    ) {
        let mut texts: Vec<String> = valid.iter().map(|s| s.text()).collect();
        texts.insert(at.index(texts.len() + 1), invalid);
        let header = format!("{unit}={}", join_list(&texts, &seps));
        prop_assert_eq!(evaluate_range(Some(&header), len), RangeOutcome::Full, "{}", header);
    }

    #[test]
    fn a_header_that_is_not_a_bytes_range_set_is_ignored(
        spec in spec(),
        len in length(),
        shape in 0usize..6,
        unit in "[a-zA-Z]{1,8}".prop_filter("not bytes", |u| !u.eq_ignore_ascii_case("bytes")),
    ) {
        let header = match shape {
            0 => format!("{unit}={}", spec.text()),
            1 => format!("bytes {}", spec.text()),
            2 => format!("bytes ={}", spec.text()),
            3 => format!("bytes:{}", spec.text()),
            4 => "bytes=".to_owned(),
            _ => "bytes= , ,".to_owned(),
        };
        prop_assert_eq!(evaluate_range(Some(&header), len), RangeOutcome::Full, "{}", header);
    }
}

// ---------------------------------------------------------------------------------------------
// Conditional requests (RFC 9110 §13)
// ---------------------------------------------------------------------------------------------

/// `etagc` characters (§8.8.3): visible ASCII except DQUOTE, and obs-text (any non-ASCII).
fn opaque() -> impl Strategy<Value = String> {
    "[!#-~éü关]{0,10}"
}

fn tag(weak: bool, opaque: &str) -> String {
    format!("{}\"{opaque}\"", if weak { "W/" } else { "" })
}

/// A modification time in the range HTTP-dates can express, sub-second part included.
fn modified() -> impl Strategy<Value = (u64, SystemTime)> {
    (0u64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| (secs, UNIX_EPOCH + Duration::new(secs, nanos)))
}

fn date(secs: u64) -> String {
    http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

/// A header value: arbitrary, or built from tags, dates and list punctuation.
fn conditional_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("W/".to_owned()),
        Just("w/".to_owned()),
        Just("*".to_owned()),
        Just(",".to_owned()),
        Just(" ".to_owned()),
        Just("GMT".to_owned()),
        opaque(),
        (any::<bool>(), opaque()).prop_map(|(w, o)| tag(w, &o)),
        (0u64..253_402_300_799).prop_map(date),
    ];
    prop_oneof![
        any::<String>(),
        "[ -~]{0,30}",
        vec(piece, 0..6).prop_map(|p| p.concat()),
    ]
}

/// Other entity tags than `ours` (weak or strong), as a list with our tag inserted or not.
fn tags_other_than(ours: &str) -> impl Strategy<Value = Vec<String>> {
    let ours = ours.to_owned();
    vec(
        (
            any::<bool>(),
            opaque().prop_filter("not ours", move |o| *o != ours),
        ),
        0..5,
    )
    .prop_map(|tags| tags.iter().map(|(w, o)| tag(*w, o)).collect())
}

/// Our ETag's opaque part, the other tags, and the rest of an If-None-Match / If-Match test.
fn ours_and_others() -> impl Strategy<Value = (String, Vec<String>)> {
    opaque().prop_flat_map(|ours| {
        let others = tags_other_than(&ours);
        (Just(ours), others)
    })
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn preconditions_never_panic(
        etag in conditional_like(),
        headers in [
            option::of(conditional_like()),
            option::of(conditional_like()),
            option::of(conditional_like()),
            option::of(conditional_like()),
            option::of(conditional_like()),
        ],
        secs in any::<u64>(),
        before_epoch in any::<bool>(),
    ) {
        let offset = Duration::from_secs(secs % 400_000_000_000);
        let last_modified = if before_epoch { UNIX_EPOCH - offset } else { UNIX_EPOCH + offset };
        let v = Validators { etag: &etag, last_modified };
        let [if_match, ius, inm, ims, if_range] = &headers;
        let c = Conditionals {
            if_match: if_match.as_deref(),
            if_unmodified_since: ius.as_deref(),
            if_none_match: inm.as_deref(),
            if_modified_since: ims.as_deref(),
        };
        let outcome = evaluate_preconditions(&c, &v);
        let _ = if_range_allows(if_range.as_deref(), &v);
        // If-Match: * is true for an existing representation, so it and If-Unmodified-Since
        // (evaluated only without If-Match) drop out.
        let star = Conditionals { if_match: Some("*"), ..c };
        let neither = Conditionals { if_match: None, if_unmodified_since: None, ..c };
        prop_assert_eq!(evaluate_preconditions(&star, &v), evaluate_preconditions(&neither, &v));
        // If-None-Match: * is false for an existing representation: 304, unless 412 came first.
        let inm_star = Conditionals { if_none_match: Some("*"), ..c };
        let expected = match outcome {
            Precondition::Failed => Precondition::Failed,
            _ => Precondition::NotModified,
        };
        prop_assert_eq!(evaluate_preconditions(&inm_star, &v), expected);
    }

    #[test]
    fn if_none_match_with_our_tag_is_304_whatever_if_modified_since_says(
        (ours, others) in ours_and_others(),
        our_weak in any::<bool>(),
        at in any::<prop::sample::Index>(),
        seps in vec(list_separator(), 1..4),
        lead in ows(),
        trail in ows(),
        (secs, last_modified) in modified(),
        ims_secs in option::of(0u64..253_402_300_799),
    ) {
        let mut tags = others;
        tags.insert(at.index(tags.len() + 1), tag(our_weak, &ours));
        let inm = format!("{lead}{}{trail}", join_list(&tags, &seps));
        let ims = ims_secs.map(date);
        let c = Conditionals {
            if_none_match: Some(&inm),
            if_modified_since: ims.as_deref(),
            ..Default::default()
        };
        let etag = tag(false, &ours);
        let v = Validators { etag: &etag, last_modified };
        prop_assert_eq!(evaluate_preconditions(&c, &v), Precondition::NotModified, "{} {}", inm, secs);
    }

    #[test]
    fn if_none_match_without_our_tag_proceeds_and_silences_if_modified_since(
        (ours, others) in ours_and_others(),
        seps in vec(list_separator(), 1..4),
        (secs, last_modified) in modified(),
        later in 0u64..1_000_000,
    ) {
        let inm = join_list(&others, &seps);
        // On its own this date would mean 304 (not modified since).
        let ims = date(secs + later);
        let etag = tag(false, &ours);
        let v = Validators { etag: &etag, last_modified };
        let c = Conditionals {
            if_none_match: Some(&inm),
            if_modified_since: Some(&ims),
            ..Default::default()
        };
        prop_assert_eq!(evaluate_preconditions(&c, &v), Precondition::Proceed, "{}", inm);
        let alone = Conditionals { if_modified_since: Some(&ims), ..Default::default() };
        prop_assert_eq!(evaluate_preconditions(&alone, &v), Precondition::NotModified);
    }

    #[test]
    fn if_match_without_our_strong_tag_fails(
        (ours, others) in ours_and_others(),
        strong_others in any::<bool>(),
        our_weak_tag in any::<bool>(),
        seps in vec(list_separator(), 1..4),
        (_, last_modified) in modified(),
        inm in option::of(conditional_like()),
        ims in option::of(conditional_like()),
        ius in option::of(conditional_like()),
    ) {
        let mut tags: Vec<String> = if strong_others {
            others.iter().map(|t| t.trim_start_matches("W/").to_owned()).collect()
        } else {
            others
        };
        // Strong comparison: our tag marked weak does not match.
        if our_weak_tag {
            tags.push(tag(true, &ours));
        }
        let im = join_list(&tags, &seps);
        let etag = tag(false, &ours);
        let v = Validators { etag: &etag, last_modified };
        let c = Conditionals {
            if_match: Some(&im),
            if_unmodified_since: ius.as_deref(),
            if_none_match: inm.as_deref(),
            if_modified_since: ims.as_deref(),
        };
        // 412 comes before anything If-None-Match or If-Modified-Since could say.
        prop_assert_eq!(evaluate_preconditions(&c, &v), Precondition::Failed, "{}", im);
    }

    #[test]
    fn if_match_with_our_tag_passes_and_silences_if_unmodified_since(
        (ours, others) in ours_and_others(),
        at in any::<prop::sample::Index>(),
        seps in vec(list_separator(), 1..4),
        (secs, last_modified) in modified(),
        earlier in 1u64..1_000_000,
    ) {
        let mut tags = others;
        tags.insert(at.index(tags.len() + 1), tag(false, &ours));
        let im = join_list(&tags, &seps);
        // On its own this date would mean 412 (modified since).
        let ius = date(secs.saturating_sub(earlier));
        let etag = tag(false, &ours);
        let v = Validators { etag: &etag, last_modified };
        let c = Conditionals {
            if_match: Some(&im),
            if_unmodified_since: Some(&ius),
            ..Default::default()
        };
        prop_assert_eq!(evaluate_preconditions(&c, &v), Precondition::Proceed, "{}", im);
        if secs >= earlier {
            let alone = Conditionals { if_unmodified_since: Some(&ius), ..Default::default() };
            prop_assert_eq!(evaluate_preconditions(&alone, &v), Precondition::Failed);
        }
    }

    #[test]
    fn dates_compare_at_whole_seconds(
        (secs, last_modified) in modified(),
        other in 0u64..253_402_300_799,
        garbage in "[a-zA-Z ,:]{0,20}",
    ) {
        let v = Validators { etag: "\"x\"", last_modified };
        let given = date(other);
        let ims = Conditionals { if_modified_since: Some(&given), ..Default::default() };
        let ius = Conditionals { if_unmodified_since: Some(&given), ..Default::default() };
        // §13.1.3: modified since the date only if strictly later (at HTTP-date resolution).
        let expected_ims = if secs <= other { Precondition::NotModified } else { Precondition::Proceed };
        prop_assert_eq!(evaluate_preconditions(&ims, &v), expected_ims);
        // §13.1.4: unmodified since the date if earlier or equal.
        let expected_ius = if secs <= other { Precondition::Proceed } else { Precondition::Failed };
        prop_assert_eq!(evaluate_preconditions(&ius, &v), expected_ius);
        // An invalid date is ignored (no digits, so never a date).
        let ims = Conditionals { if_modified_since: Some(&garbage), ..Default::default() };
        let ius = Conditionals { if_unmodified_since: Some(&garbage), ..Default::default() };
        prop_assert_eq!(evaluate_preconditions(&ims, &v), Precondition::Proceed);
        prop_assert_eq!(evaluate_preconditions(&ius, &v), Precondition::Proceed);
    }

    #[test]
    fn if_range_needs_our_strong_tag_or_exact_date(
        (ours, others) in ours_and_others(),
        (secs, last_modified) in modified(),
        other in 0u64..253_402_300_799,
        lead in ows(),
        trail in ows(),
    ) {
        let etag = tag(false, &ours);
        let v = Validators { etag: &etag, last_modified };
        prop_assert!(if_range_allows(None, &v));
        let padded = format!("{lead}{etag}{trail}");
        prop_assert!(if_range_allows(Some(&padded), &v));
        prop_assert!(!if_range_allows(Some(&tag(true, &ours)), &v));
        let twice = format!("{etag}, {etag}");
        prop_assert!(!if_range_allows(Some(&twice), &v));
        for t in &others {
            prop_assert!(!if_range_allows(Some(t), &v), "{}", t);
        }
        prop_assert!(if_range_allows(Some(&date(secs)), &v));
        prop_assert_eq!(if_range_allows(Some(&date(other)), &v), other == secs);
    }
}

// ---------------------------------------------------------------------------------------------
// Request target → output key
// ---------------------------------------------------------------------------------------------

/// Segments an attacker would try: dot segments in every encoding, encoded separators, NUL,
/// double encoding, overlong UTF-8, Windows drive letters, hidden files.
const NASTY_SEGMENTS: &[&str] = &[
    ".",
    "..",
    "...",
    "%2e",
    "%2E",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%2f",
    "%2F",
    "..%2f",
    "%2e%2e%2f",
    "%5c",
    "%5C",
    "..%5c",
    "\\",
    "..\\",
    "%00",
    "\u{0}",
    "%252e%252e",
    "%252f",
    "%25",
    "%c0%ae%c0%ae",
    "%c0%af",
    "%e0%80%ae",
    "%c1%9c",
    "%ef%bc%8f",
    "%ef%bc%8e%ef%bc%8e",
    "%ed%a0%80",
    "etc",
    "passwd",
    "windows",
    "win.ini",
    "index.html",
    "about",
    "关于",
    "%E5%85%B3%E4%BA%8E",
    "C:",
    "c%3a",
    "%3a",
    "?",
    "#",
    "%",
    "%zz",
    "%e",
    "~",
    " ",
    "%20",
    "",
    ".git",
    "%2egit",
];

fn nasty_target() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => select(NASTY_SEGMENTS).prop_map(str::to_owned),
        1 => "[a-z.%0-9A-F]{1,6}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    (
        select(vec![
            "/",
            "",
            "//",
            "/..",
            "http://h",
            "https://x:1",
            "http://@",
            "HTTP://h",
        ]),
        vec((segment, select(vec!["/", "//", "\\", "/./", "%2f"])), 0..8),
        select(vec!["", "/", "?q=1", "#f", "?../../x", "/?x#y"]),
    )
        .prop_map(|(prefix, parts, suffix)| {
            let mut target = prefix.to_owned();
            for (i, (segment, separator)) in parts.iter().enumerate() {
                if i > 0 {
                    target.push_str(separator);
                }
                target.push_str(segment);
            }
            target.push_str(suffix);
            target
        })
}

/// What resolve.rs promises about any key it asks about or returns: a relative path inside the
/// output, with no `..`, hidden, empty or drive-letter segment.
fn assert_safe_key(key: &str) -> Result<(), TestCaseError> {
    prop_assert!(!key.is_empty() && !key.starts_with('/'), "{key:?}");
    prop_assert!(!key.contains('\\') && !key.contains(':'), "{key:?}");
    prop_assert!(!key.chars().any(char::is_control), "{key:?}");
    for segment in key.split('/') {
        prop_assert!(!segment.is_empty() && segment != ".." && !segment.starts_with('.'));
    }
    prop_assert!(
        Path::new(key)
            .components()
            .all(|c| matches!(c, Component::Normal(_))),
        "{key:?} would leave the output"
    );
    Ok(())
}

/// One segment of an output key: no '/', '\\', ':', control character or leading '.'.
fn key_segment() -> impl Strategy<Value = String> {
    "[^/\\\\:.\\p{Cc}][^/\\\\:\\p{Cc}]{0,7}"
}

fn output_keys() -> impl Strategy<Value = BTreeSet<String>> {
    btree_set(vec(key_segment(), 1..4).prop_map(|s| s.join("/")), 1..8)
}

/// A path-segment encoding that leaves what it can unencoded (non-ASCII is always encoded).
const MINIMAL: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'?');

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn resolve_never_leaves_the_output(
        target in nasty_target(),
        keys in output_keys(),
        everything_exists in any::<bool>(),
    ) {
        let asked = RefCell::new(Vec::new());
        let exists = |key: &str| {
            asked.borrow_mut().push(key.to_owned());
            // A trap: a traversal to /etc/passwd would be "found".
            everything_exists || keys.contains(key) || key.contains("passwd") || key.contains("etc")
        };
        let resolution = resolve(&target, exists);
        for key in asked.borrow().iter() {
            assert_safe_key(key)?;
        }
        match resolution {
            Resolution::Found(key) => {
                assert_safe_key(&key)?;
                prop_assert!(asked.borrow().contains(&key), "{target:?} → {key:?}");
                if !everything_exists && !key.contains("passwd") && !key.contains("etc") {
                    prop_assert!(keys.contains(&key));
                }
            }
            Resolution::Redirect(location) => {
                prop_assert!(location.starts_with('/') && !location.starts_with("//"));
                prop_assert!(location.bytes().all(|b| b.is_ascii_graphic()), "{location:?}");
            }
            Resolution::NotFound | Resolution::BadRequest => {}
        }
    }

    #[test]
    fn resolve_never_panics_on_any_string(target in any::<String>()) {
        let _ = resolve(&target, |key| {
            !key.starts_with('/') && !key.split('/').any(|s| s == "..")
        });
    }

    #[test]
    fn every_key_is_reachable_by_its_encoded_path(
        keys in output_keys(),
        minimal in any::<bool>(),
    ) {
        let set: &AsciiSet = if minimal { MINIMAL } else { NON_ALPHANUMERIC };
        for key in &keys {
            let target: String = key
                .split('/')
                .map(|segment| format!("/{}", utf8_percent_encode(segment, set)))
                .collect();
            prop_assert_eq!(
                resolve(&target, |k| keys.contains(k)),
                Resolution::Found(key.clone()),
                "{}", target
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accept-Encoding
// ---------------------------------------------------------------------------------------------

/// The orders in which the server may have precompressed copies (best first).
fn available() -> impl Strategy<Value = Vec<Encoding>> {
    select(vec![
        vec![],
        vec![Encoding::Brotli],
        vec![Encoding::Gzip],
        vec![Encoding::Brotli, Encoding::Gzip],
        vec![Encoding::Gzip, Encoding::Brotli],
    ])
}

const ZERO_QVALUES: &[&str] = &["0", "0.", "0.0", "0.00", "0.000"];

/// One Accept-Encoding element: a coding and maybe a weight. Returns the text and, when the
/// weight is an explicit zero, the lower-cased coding it refuses.
fn accept_item() -> impl Strategy<Value = (String, Option<String>)> {
    let coding = select(vec![
        "br", "BR", "Br", "gzip", "GZIP", "x-gzip", "X-Gzip", "*", "identity", "deflate", "zstd",
        "",
    ]);
    let weight = prop_oneof![
        Just((None, false)),
        select(ZERO_QVALUES).prop_map(|q| (Some(q), true)),
        select(vec!["1", "1.", "1.0", "1.000", "0.5", "0.001", "0.9"])
            .prop_map(|q| (Some(q), false)),
        select(vec!["1.5", "abc", "", "2", "0.0001", "-1", "1.001"]).prop_map(|q| (Some(q), false)),
    ];
    (coding, weight, select(vec!["q", "Q"]), ows(), ows(), ows()).prop_map(
        |(coding, (q, zero), name, a, b, c)| {
            let text = match q {
                Some(q) => format!("{a}{coding}{b};{c}{name}={q}"),
                None => format!("{a}{coding}{b}"),
            };
            (text, zero.then(|| coding.to_ascii_lowercase()))
        },
    )
}

fn names(coding: &str, encoding: Encoding) -> bool {
    coding == encoding.token() || (encoding == Encoding::Gzip && coding == "x-gzip")
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn negotiation_never_panics_and_picks_only_what_is_available(
        header in option::of(prop_oneof![
            any::<String>(),
            "[ -~]{0,40}",
            vec(accept_item().prop_map(|(t, _)| t), 0..6).prop_map(|v| v.join(",")),
        ]),
        available in available(),
    ) {
        if let Some(chosen) = negotiate_encoding(header.as_deref(), &available) {
            prop_assert!(available.contains(&chosen));
        }
    }

    #[test]
    fn negotiation_never_picks_a_coding_refused_with_q0(
        items in vec(accept_item(), 0..6),
        seps in vec(list_separator(), 1..4),
        available in available(),
    ) {
        let texts: Vec<String> = items.iter().map(|(t, _)| t.clone()).collect();
        let header = join_list(&texts, &seps);
        if let Some(chosen) = negotiate_encoding(Some(&header), &available) {
            prop_assert!(available.contains(&chosen));
            let refused = items
                .iter()
                .any(|(_, zero)| zero.as_deref().is_some_and(|c| names(c, chosen)));
            prop_assert!(!refused, "{header:?} → {chosen:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pages: front matter and Markdown
// ---------------------------------------------------------------------------------------------

fn reserved() -> HashSet<String> {
    HashSet::from(["main".to_owned(), "nav".to_owned()])
}

fn parse_page(bytes: &[u8]) -> profile::Result<Page> {
    content::parse_page(
        "notes/lab1.md",
        Path::new("content/notes/lab1.md"),
        bytes,
        &reserved(),
    )
}

/// Text built from the pieces page parsing cares about.
fn page_like() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "+++",
        "+++ ",
        "---",
        "\n",
        "\r\n",
        "\r",
        "title = ",
        "\"x\"",
        "'y'",
        "weight = 1",
        "weight = 9999999999999999999",
        "draft = true",
        "description = \"d\"",
        "# H",
        "## H {#main}",
        "\u{feff}",
        "\u{0}",
        "titel = 1",
        "= ",
        "'''",
        "\"\"\"",
        "[x]",
        "é",
        "关",
        " ",
        "\t",
        "[^1]: n",
        "| a |",
        "<div>",
        "```",
    ]);
    prop_oneof![vec(piece, 0..16).prop_map(|p| p.concat()), any::<String>()]
}

#[derive(Debug, serde::Serialize)]
struct FrontMatter {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    weight: i64,
    draft: bool,
}

/// Front matter with the values it should produce, and a Markdown body without CR.
fn valid_page() -> impl Strategy<Value = (FrontMatter, String)> {
    (
        "[^\r\n]{1,24}".prop_filter("a visible title", |t| !t.trim().is_empty()),
        option::of("[^\r\n]{0,24}"),
        any::<i64>(),
        any::<bool>(),
        prop_oneof![
            "[^\r]{0,200}",
            vec(
                select(vec![
                    "# Heading\n",
                    "text ",
                    "\n",
                    "- [x] a\n",
                    "| a | b |\n|---|---|\n",
                    "+++\n",
                    "关于\n"
                ]),
                0..8
            )
            .prop_map(|p| p.concat())
        ],
    )
        .prop_map(|(title, description, weight, draft, body)| {
            (
                FrontMatter {
                    title,
                    description,
                    weight,
                    draft,
                },
                body,
            )
        })
}

/// Page bodies and the HTML they render to, written out by hand (CommonMark, with the extensions
/// and rules of `content::render_markdown`: heading ids, `main` taken by the theme, no break
/// between two Chinese lines); among them bodies holding the `+++` of a closing line.
const KNOWN_BODIES: &[(&str, &str)] = &[
    ("", ""),
    ("text\n", "<p>text</p>\n"),
    ("+++\ntext\n", "<p>+++\ntext</p>\n"),
    ("+++\n+++\n", "<p>+++\n+++</p>\n"),
    (
        "\n\n# Heading\n\ntext \n",
        "<h1 id=\"heading\">Heading</h1>\n<p>text</p>\n",
    ),
    ("# Main\n", "<h1 id=\"main-1\">Main</h1>\n"),
    ("关于\n关于\n", "<p>关于关于</p>\n"),
    (
        "- [x] a\n",
        "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\na</li>\n</ul>\n",
    ),
    (
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n\
         <tr><td>1</td><td>2</td></tr>\n</tbody></table>\n",
    ),
];

/// Parses `text` saved as it is, with CRLF line ends, with a UTF-8 BOM, and with both, and
/// checks that all four give the same result.
fn same_in_every_encoding(text: &str) -> Result<profile::Result<Page>, TestCaseError> {
    let lf = parse_page(text.as_bytes());
    let crlf = text.replace('\n', "\r\n");
    let bom = |s: &str| [b"\xEF\xBB\xBF".as_slice(), s.as_bytes()].concat();
    prop_assert_eq!(
        &parse_page(crlf.as_bytes()),
        &lf,
        "CRLF variant of {:?}",
        text
    );
    prop_assert_eq!(&parse_page(&bom(text)), &lf, "BOM variant of {:?}", text);
    prop_assert_eq!(
        &parse_page(&bom(&crlf)),
        &lf,
        "BOM+CRLF variant of {:?}",
        text
    );
    Ok(lf)
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn page_parsing_never_panics(bytes in vec(any::<u8>(), 0..256), text in page_like()) {
        for input in [bytes.as_slice(), text.as_bytes()] {
            if let Err(e) = parse_page(input) {
                prop_assert!(!e.message.is_empty());
                if let Some((line, column)) = e.position {
                    prop_assert!(line >= 1 && column >= 1, "{e:?}");
                }
            }
        }
    }

    #[test]
    fn line_ends_and_bom_do_not_change_a_page(
        // Text as saved with LF line ends and no BOM: the variants are made from it.
        text in page_like().prop_map(|t| t.replace('\r', "").trim_start_matches('\u{feff}').to_owned()),
    ) {
        let _ = same_in_every_encoding(&text)?;
    }

    #[test]
    fn front_matter_values_and_body_survive_parsing(
        (front, body) in valid_page(),
        open in select(vec!["+++\n", "+++ \n"]),
        close in select(vec!["+++\n", "+++ \n", "+++\t \n"]),
        (known, known_html) in select(KNOWN_BODIES.to_vec()),
    ) {
        let toml_text = toml::to_string(&front).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = format!("{open}{toml_text}{close}{body}");
        let page = same_in_every_encoding(&text)?;
        let page = page.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&page.title, front.title.trim());
        let description = front.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
        prop_assert_eq!(page.description.as_deref(), description);
        prop_assert_eq!(page.weight, front.weight);
        prop_assert_eq!(page.draft, front.draft);
        prop_assert_eq!(page.output_path, "notes/lab1/index.html");
        // The body is the Markdown after the closing line, exactly: what it renders to does
        // not depend on the front matter above it (the same body under another front matter
        // renders the same), and bodies whose HTML is known render to that.
        let bare = parse_page(format!("+++\ntitle = \"t\"\n+++\n{body}").as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&page.html, &bare.html);
        let text = format!("{open}{toml_text}{close}{known}");
        let page = parse_page(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(page.html, known_html, "{}", text);
    }
}

// ---------------------------------------------------------------------------------------------
// site.toml
// ---------------------------------------------------------------------------------------------

fn parse_config(source: &str) -> profile::Result<config::SiteConfig> {
    config::parse(source, Path::new("site.toml"), Path::new("/site"))
}

/// Text built from the pieces `site.toml` validation looks at, so that generated files get past
/// the TOML parser into the checks behind it.
fn config_like() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "[profile]\n",
        "[build]\n",
        "[profile.links]\n",
        "[profile.extra]\n",
        "[[profile]]\n",
        "name = ",
        "student_id = ",
        "major = ",
        "logo = ",
        "audio = ",
        "email = ",
        "lang = ",
        "base_url = ",
        "title = ",
        "description = ",
        "headers = ",
        "precompress = ",
        "gh = ",
        "\"x\"",
        "\"\"",
        "\" \"",
        "'a\\b'",
        "2023",
        "1e400",
        "nan",
        "-0.0",
        "true",
        "\"zh-CN\"",
        "\"fr\"",
        "\"https://e.x/\"",
        "\"http://\"",
        "\"javascript:x\"",
        "\"a@b\"",
        "\"a b\"",
        "\n",
        "\r\n",
        "\r",
        "=",
        "\"",
        "# c\n",
        "é",
        "关于",
        "\t",
        "\u{0}",
        "x = 1\n",
        "titel = 1\n",
        "majr = \"x\"\n",
        "{",
        "}",
        "[",
        "]",
    ]);
    prop_oneof![
        vec(piece, 0..40).prop_map(|p| p.concat()),
        any::<String>(),
        "[ -~\n]{0,80}",
    ]
}

/// The `[profile]` values of a valid file, each a TOML string.
fn valid_profile() -> impl Strategy<Value = [String; 5]> {
    let value = "[^\r\n]{1,16}".prop_filter("visible", |v| !v.trim().is_empty());
    [
        value.clone(),
        value.clone(),
        value.clone(),
        value.clone(),
        value,
    ]
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn site_toml_errors_have_a_message_and_a_line_in_the_file(source in config_like()) {
        if let Err(e) = parse_config(&source) {
            prop_assert!(!e.message.trim().is_empty(), "{e:?}");
            if let Some((line, column)) = e.position {
                // Lines as an editor numbers them: an error at the very end of a file that
                // ends in a newline is on the empty last line.
                let lines: Vec<&str> = source.split('\n').collect();
                prop_assert!(line >= 1 && line <= lines.len(), "{e:?} in {source:?}");
                let width = lines[line - 1].chars().count();
                prop_assert!(column >= 1 && column <= width + 1, "{e:?} in {source:?}");
            }
        }
    }

    #[test]
    fn a_valid_site_toml_keeps_its_values(values in valid_profile()) {
        let quoted: Vec<String> = values
            .iter()
            .map(|v| toml::Value::String(v.clone()).to_string())
            .collect();
        let source = format!(
            "[profile]\nname = {}\nstudent_id = {}\nmajor = {}\nlogo = {}\naudio = {}\n",
            quoted[0], quoted[1], quoted[2], quoted[3], quoted[4]
        );
        let config = parse_config(&source).map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
        prop_assert_eq!(&config.profile.name, values[0].trim());
        prop_assert_eq!(&config.profile.student_id, values[1].trim());
        prop_assert_eq!(&config.profile.major, values[2].trim());
        prop_assert_eq!(&config.profile.logo.written, &values[3].trim().replace('\\', "/"));
        prop_assert_eq!(&config.profile.audio.written, &values[4].trim().replace('\\', "/"));
        prop_assert_eq!(&config.title, values[0].trim());
        prop_assert_eq!(config.profile.logo.position, (5, 8));
    }
}

// ---- chunked request bodies (issue 18; the fuzz target `request_framing` checks the same) ----

/// Feeds `bytes` to a `ChunkedBody` bounded at `max`, cut into pieces at `cuts`: the bytes the
/// body took and whether it is complete, or the error.
pub(crate) fn read_chunked(
    bytes: &[u8],
    cuts: &[usize],
    max: u64,
) -> Result<(usize, bool), ChunkedError> {
    let mut reader = ChunkedBody::new(max);
    let (mut taken, mut at) = (0, 0);
    let mut ends: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    ends.sort_unstable();
    ends.push(bytes.len());
    for end in ends {
        if end < at || reader.is_done() {
            continue;
        }
        let used = reader.feed(&bytes[at..end])?;
        assert!(
            reader.is_done() || used == end - at,
            "an incomplete body takes every byte"
        );
        taken += used;
        at = end;
    }
    Ok((taken, reader.is_done()))
}

/// Bytes made mostly of what chunked framing is made of, so that generated inputs get deep.
fn chunked_like() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            select(b"0123456789abcdefABCDEF;=\"\\ \t\r\n:xX_-+".to_vec()),
            any::<u8>(),
        ],
        0..80,
    )
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn a_chunked_body_reads_the_same_however_it_is_split(
        bytes in chunked_like(),
        cuts in vec(any::<usize>(), 0..8),
    ) {
        let max = 1 << 16;
        prop_assert_eq!(read_chunked(&bytes, &[], max), read_chunked(&bytes, &cuts, max));
    }

    #[test]
    fn a_valid_chunked_body_is_read_to_its_end_and_no_further(
        chunks in vec(vec(any::<u8>(), 1..40), 0..6),
        cuts in vec(any::<usize>(), 0..8),
        upper in any::<bool>(),
    ) {
        let mut body = Vec::new();
        for chunk in &chunks {
            let size = if upper { format!("{:X}", chunk.len()) } else { format!("{:x}", chunk.len()) };
            body.extend_from_slice(format!("{size};a=b;q=\"x y\"\r\n").as_bytes());
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\nX-Trailer: v\r\n\r\n");
        let len = body.len();
        body.extend_from_slice(b"GET / HTTP/1.1\r\n");
        prop_assert_eq!(read_chunked(&body, &cuts, 1 << 20), Ok((len, true)));
    }
}
