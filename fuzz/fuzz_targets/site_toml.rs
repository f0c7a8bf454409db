//! `config::parse` on any text: never panics, and every error has a message and, when it has a
//! position, one inside the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use profile::config;

fuzz_target!(|source: &str| {
    let Err(e) = config::parse(source, Path::new("site.toml"), Path::new("/site")) else {
        return;
    };
    assert!(!e.message.trim().is_empty(), "{e:?}");
    if let Some((line, column)) = e.position {
        // Lines as an editor numbers them: an error at the very end of a file that ends in a
        // newline is on the empty last line.
        let lines: Vec<&str> = source.split('\n').collect();
        assert!(line >= 1 && line <= lines.len(), "{e:?} in {source:?}");
        assert!(
            column >= 1 && column <= lines[line - 1].chars().count() + 1,
            "{e:?} in {source:?}"
        );
    }
});
