//! `resolve` on any request target: never panics, never asks `exists` about (let alone finds) a
//! key that could leave the output, and only redirects to a same-origin ASCII path.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use profile::serve::resolve::{resolve, Resolution};

const KEYS: &[&str] = &[
    "index.html",
    "about/index.html",
    "assets/logo.1a2b3c4d.svg",
    "关于/index.html",
    "a b/index.html",
    "100%/index.html",
    "deep/er/page.html",
];

/// What resolve.rs promises about every key it hands to `exists`.
fn assert_safe_key(key: &str) {
    assert!(!key.is_empty() && !key.starts_with('/'), "{key:?}");
    assert!(!key.contains('\\') && !key.contains(':'), "{key:?}");
    assert!(!key.chars().any(char::is_control), "{key:?}");
    for segment in key.split('/') {
        assert!(!segment.is_empty() && !segment.starts_with('.'), "{key:?}");
    }
    assert!(std::path::Path::new(key)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_))));
}

fuzz_target!(|input: (bool, &str)| {
    let (everything_exists, target) = input;
    let asked = RefCell::new(Vec::new());
    let exists = |key: &str| {
        assert_safe_key(key);
        asked.borrow_mut().push(key.to_owned());
        // A trap: a traversal that reached /etc/passwd would be "found".
        everything_exists || KEYS.contains(&key) || key.contains("passwd")
    };
    match resolve(target, exists) {
        Resolution::Found(key) => {
            assert_safe_key(&key);
            assert!(asked.borrow().contains(&key), "{target:?} → {key:?}");
        }
        Resolution::Redirect(location) => {
            assert!(location.starts_with('/') && !location.starts_with("//"));
            assert!(
                location.bytes().all(|b| b.is_ascii_graphic()),
                "{location:?}"
            );
        }
        Resolution::NotFound | Resolution::BadRequest => {}
    }
});
