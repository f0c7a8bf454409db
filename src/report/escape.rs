//! Text from a capture (attacker-controlled bytes) made safe for HTML and SVG.

/// Escapes `text` for HTML or XML content and quoted attributes, and shows control characters
/// (which XML forbids and HTML renders invisibly) as `\u{..}` escapes.
pub fn text(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' || is_noncharacter(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    crate::theme::escape_html(&shown)
}

/// U+FFFE, U+FFFF and the like are not allowed in XML either.
fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// The first `max` characters of `text`, with "…" when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(
            text("<a href=\"x\">&'\u{1}\u{ffff}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\\u{1}\\u{ffff}"
        );
        assert_eq!(text("路径 /é\t"), "路径 /é\t");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
