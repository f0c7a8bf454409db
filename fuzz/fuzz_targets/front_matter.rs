//! `content::parse_page` on any bytes: never panics; an error has a message and a position
//! inside the file; and saving the same text with CRLF line ends or a UTF-8 BOM changes nothing.
#![no_main]

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use profile::content::{parse_page, Page};
use profile::Result;

fn parse(bytes: &[u8]) -> Result<Page> {
    let reserved = HashSet::from(["main".to_owned()]);
    parse_page(
        "notes/a.md",
        Path::new("content/notes/a.md"),
        bytes,
        &reserved,
    )
}

fuzz_target!(|bytes: &[u8]| {
    let result = parse(bytes);
    if let Err(e) = &result {
        assert!(!e.message.is_empty());
        if let Some((line, column)) = e.position {
            let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
            assert!(line >= 1 && column >= 1, "{e:?}");
            assert!(line <= text.split(['\n', '\r']).count(), "{e:?}");
        }
    }
    // The same text as an editor on Windows would save it.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if text.contains('\r') || text.starts_with('\u{feff}') {
        return;
    }
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(parse(crlf.as_bytes()), result, "CRLF variant of {text:?}");
    let bom = [b"\xEF\xBB\xBF".as_slice(), bytes].concat();
    assert_eq!(parse(&bom), result, "BOM variant of {text:?}");
});
