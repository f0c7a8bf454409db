//! `evaluate_preconditions` and `if_range_allows` on any header values, validators and
//! modification time: never panic, and `*` / an exact copy of our own ETag behave as documented.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use profile::serve::http::{
    evaluate_preconditions, if_range_allows, Conditionals, Precondition, Validators,
};

type Input<'a> = (
    u64,
    u32,
    bool,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fuzz_target!(|input: Input| {
    let (secs, nanos, before_epoch, etag, if_match, ius, inm, ims, if_range) = input;
    let offset = Duration::new(secs % 400_000_000_000, nanos % 1_000_000_000);
    let last_modified = if before_epoch {
        UNIX_EPOCH.checked_sub(offset)
    } else {
        UNIX_EPOCH.checked_add(offset)
    };
    let Some(last_modified) = last_modified else {
        return;
    };
    let v = Validators {
        etag,
        last_modified,
    };
    let c = Conditionals {
        if_match,
        if_unmodified_since: ius,
        if_none_match: inm,
        if_modified_since: ims,
    };
    let outcome = evaluate_preconditions(&c, &v);
    let _ = if_range_allows(if_range, &v);

    // If-Match: * always passes, so with it the outcome is the one without If-Match and
    // If-Unmodified-Since (§13.2.2 steps 1-2 are skipped or true).
    let star = Conditionals {
        if_match: Some("*"),
        ..c
    };
    let without = Conditionals {
        if_match: None,
        if_unmodified_since: None,
        ..c
    };
    assert_eq!(
        evaluate_preconditions(&star, &v),
        evaluate_preconditions(&without, &v)
    );
    // If-None-Match: * on an existing representation is always 304 unless a 412 came first.
    let inm_star = Conditionals {
        if_none_match: Some("*"),
        ..c
    };
    let expected = if outcome == Precondition::Failed {
        Precondition::Failed
    } else {
        Precondition::NotModified
    };
    assert_eq!(evaluate_preconditions(&inm_star, &v), expected);
});
