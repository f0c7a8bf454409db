//! The one error type every user-facing failure travels in.
//!
//! A user mistake becomes an [`Error`] naming the file, the line and column where there is one,
//! what went wrong and what to do; `main` prints it on one line (plus a source excerpt for syntax
//! errors) and exits non-zero. Nothing here panics or prints a backtrace.

use std::fmt;
use std::path::{Path, PathBuf};

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure with enough context for the user to fix it without reading our code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file at fault, as the user would name it (relative to the site root where possible).
    pub file: Option<PathBuf>,
    /// 1-based line and column within `file`.
    pub position: Option<(usize, usize)>,
    /// What went wrong, one line, lower case.
    pub message: String,
    /// What to do about it, if we can say.
    pub hint: Option<String>,
    /// The offending source line, shown under the message for syntax errors.
    pub excerpt: Option<String>,
}

impl Error {
    /// An error not tied to a file.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            file: None,
            position: None,
            message: message.into(),
            hint: None,
            excerpt: None,
        }
    }

    /// An error about `file`.
    pub fn in_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error {
            file: Some(file.into()),
            ..Error::new(message)
        }
    }

    /// An I/O failure on `path`, worded for a person ("not found" rather than "os error 2").
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Error::in_file(path, describe_io(err))
    }

    /// Adds what the user should do.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Points the error at a 1-based line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    /// Points the error at byte `offset` of `source`, and keeps that line as the excerpt.
    pub fn at_offset(self, source: &str, offset: usize) -> Self {
        let (line, column) = line_column(source, offset);
        let text = source.lines().nth(line - 1).unwrap_or("").to_string();
        let mut err = self.at(line, column);
        err.excerpt = Some(text);
        err
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some((line, column)) = self.position {
                write!(f, ":{line}:{column}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        if let (Some(text), Some((line, column))) = (&self.excerpt, self.position) {
            let gutter = line.to_string();
            let pad = " ".repeat(gutter.len());
            // Column counts characters, so the caret lines up for CJK text in a monospace
            // terminal only approximately; it is still the right character index.
            let caret = " ".repeat(column.saturating_sub(1));
            write!(f, "\n {pad} |\n {gutter} | {text}\n {pad} | {caret}^")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Words an I/O error the way a person would say it.
pub fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    if crate::fs_retry::is_sharing_violation(err) {
        // Windows says "access denied" for a file held open by another program, which sends
        // people looking at permissions; say what it is.
        return "is in use by another program (an editor, Explorer's preview pane, an antivirus scan)"
            .to_string();
    }
    match err.kind() {
        NotFound => "not found".to_string(),
        PermissionDenied => "permission denied".to_string(),
        AlreadyExists => "already exists".to_string(),
        IsADirectory => "is a directory, expected a file".to_string(),
        NotADirectory => "is not a directory".to_string(),
        _ => {
            // Drop Rust's " (os error N)" suffix: it helps nobody who is not debugging profile.
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let src = "a = 1\n名字 = \"x\nc";
        let offset = src.find('=').unwrap();
        assert_eq!(line_column(src, offset), (1, 3));
        let offset = src.rfind('=').unwrap();
        assert_eq!(line_column(src, offset), (2, 4));
        assert_eq!(line_column(src, src.len() + 10), (3, 2));
    }

    #[test]
    fn display_is_one_line_without_excerpt() {
        let e = Error::in_file("site.toml", "missing `name` in [profile]")
            .at(3, 1)
            .hint("add name = \"...\"");
        assert_eq!(
            e.to_string(),
            "site.toml:3:1: missing `name` in [profile] (add name = \"...\")"
        );
    }

    #[test]
    fn excerpt_shows_the_line_and_a_caret() {
        let src = "title = \"x\"\nlang = zh\n";
        let e = Error::in_file("site.toml", "invalid value").at_offset(src, 19);
        let text = e.to_string();
        assert!(text.starts_with("site.toml:2:8: invalid value\n"), "{text}");
        assert!(text.contains(" 2 | lang = zh\n"), "{text}");
        assert!(text.ends_with("|        ^"), "{text:?}");
    }
}
