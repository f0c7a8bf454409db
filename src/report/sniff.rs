//! What kind of file `profile report` was given, told from its first bytes (pure): a pcap or
//! pcapng capture, a HAR, or a short description of what it is instead, for a one-line error.

/// The inputs `profile report` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// libpcap's classic format (microsecond or nanosecond, either byte order).
    Pcap,
    /// pcapng, Wireshark's default since 1.8.
    PcapNg,
    /// An HTTP Archive (JSON), as browsers' developer tools save it.
    Har,
}

/// How many bytes [`recognise`] looks at, at most: enough for a HAR's `"log"` key after a
/// browser's pretty-printing.
pub const SNIFF_LEN: usize = 4096;

/// Recognises the input from its first bytes (up to [`SNIFF_LEN`]; fewer for a short file).
/// On failure, says what the file looks like instead ("a PNG image", "an empty file"...).
pub fn recognise(first_bytes: &[u8]) -> Result<Format, String> {
    let bytes = &first_bytes[..first_bytes.len().min(SNIFF_LEN)];
    if bytes.is_empty() {
        return Err("an empty file".into());
    }
    if let Some(magic) = bytes.get(..4) {
        match magic {
            // Microsecond and nanosecond (a1b23c4d) magics, in both byte orders.
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => return Ok(Format::Pcap),
            // The section header block's type is a palindrome, so one value in both orders.
            [0x0a, 0x0d, 0x0d, 0x0a] => return Ok(Format::PcapNg),
            _ => {}
        }
    }
    if let Some(what) = binary_kind(bytes) {
        return Err(what.into());
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = trim_start(text);
    if text.first() == Some(&b'{') {
        // `"log"` may be past what was read in a huge pretty-printed object; a JSON object
        // whose first key is something else is not a HAR.
        if memchr::memmem::find(text, b"\"log\"").is_some() || text.len() < 16 {
            return Ok(Format::Har);
        }
        return Err("JSON that is not a HAR (no \"log\" object)".into());
    }
    if text.first() == Some(&b'[') {
        return Err("JSON that is not a HAR (no \"log\" object)".into());
    }
    let lower: Vec<u8> = text.iter().take(256).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return Err("an HTML page".into());
    }
    if lower.starts_with(b"<?xml") || lower.starts_with(b"<svg") {
        return Err("an XML document".into());
    }
    if looks_like_text(bytes) {
        return Err("text".into());
    }
    Err("binary data of unknown format".into())
}

/// Well-known binary formats a student might pick by mistake.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const KINDS: [(&[u8], &str); 8] = [
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (
            b"PK\x03\x04",
            "a zip archive (a .pcapng.gz? unzip it first)",
        ),
        (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
        (b"%PDF", "a PDF document"),
        (b"GIF8", "a GIF image"),
        (
            b"\xfd7zXZ\x00",
            "an xz-compressed file (decompress it first)",
        ),
        (b"BZh", "a bzip2-compressed file (decompress it first)"),
    ];
    KINDS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// UTF-8 (possibly cut in the middle of a character at the end) without control characters
/// other than whitespace.
fn looks_like_text(bytes: &[u8]) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A character cut by the sniffing length is still text.
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&bytes[..e.valid_up_to()]) {
            Ok(text) => text,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    valid.chars().all(|c| !c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_in_both_byte_orders() {
        for magic in [
            [0xd4, 0xc3, 0xb2, 0xa1],
            [0xa1, 0xb2, 0xc3, 0xd4],
            [0x4d, 0x3c, 0xb2, 0xa1],
            [0xa1, 0xb2, 0x3c, 0x4d],
        ] {
            assert_eq!(recognise(&magic), Ok(Format::Pcap));
        }
        assert_eq!(
            recognise(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]),
            Ok(Format::PcapNg)
        );
    }

    #[test]
    fn hars_with_bom_and_whitespace() {
        assert_eq!(recognise(b"{\"log\": {}}"), Ok(Format::Har));
        assert_eq!(
            recognise(b"\xef\xbb\xbf\r\n  {\n  \"log\": {\"version\": \"1.2\"}}"),
            Ok(Format::Har)
        );
    }

    #[test]
    fn other_files_are_described() {
        let cases: [(&[u8], &str); 13] = [
            (b"", "an empty file"),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a PNG image"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", "a JPEG image"),
            (
                b"PK\x03\x04\x14\0",
                "a zip archive (a .pcapng.gz? unzip it first)",
            ),
            (
                b"\x1f\x8b\x08\0",
                "a gzip-compressed file (decompress it first)",
            ),
            (b"<!DOCTYPE html><html>", "an HTML page"),
            (b"  <html lang=en>", "an HTML page"),
            (
                b"{\"entries\": [1, 2, 3], \"other\": true}",
                "JSON that is not a HAR (no \"log\" object)",
            ),
            (b"[1, 2]", "JSON that is not a HAR (no \"log\" object)"),
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "text"),
            (b"caf\xc3\xa9 \xc3", "text"),
            (b"\x00\x01\x02\x03\x04\x05", "binary data of unknown format"),
            (b"%PDF-1.7\n", "a PDF document"),
        ];
        for (bytes, what) in cases {
            assert_eq!(recognise(bytes), Err(what.to_string()), "{bytes:?}");
        }
    }
}
