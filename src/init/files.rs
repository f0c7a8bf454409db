//! The person's own photo and recording: reading a path as people paste it, and checking the
//! file the way the build will, so that a site `init` writes always builds.

use std::path::{Path, PathBuf};

use crate::config::Lang;
use crate::media::{self, Format, MediaKind};

/// A photo or recording that passed every check the build makes, held in memory so that what
/// is written is exactly what was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    /// Where it was read from, as the user gave it (after quote and escape removal).
    pub source: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
    /// What its contents are.
    pub format: &'static Format,
}

impl MediaFile {
    /// The name to give it in the new site's `assets/`: its own name when that is a plain file
    /// name with an extension (spaces and Chinese are fine: the build percent-encodes URLs),
    /// else `fallback` with the format's extension (a hidden or editor-litter name, which the
    /// build would skip, or characters Windows cannot store, so the site can move there).
    pub fn asset_name(&self, fallback: &str) -> String {
        let own = self.source.file_name().and_then(|n| n.to_str());
        match own {
            Some(name) if usable_name(name) => name.to_string(),
            _ => self.fallback_name(fallback),
        }
    }

    /// `fallback.<ext>`, the extension being the format's usual one.
    pub fn fallback_name(&self, fallback: &str) -> String {
        format!("{fallback}.{}", self.format.extensions[0])
    }
}

fn usable_name(name: &str) -> bool {
    let has_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty());
    has_extension
        && !crate::text::is_ignored_name(name)
        && !name.ends_with(['.', ' '])
        && !name
            .chars()
            .any(|c| c.is_control() || "\\/:*?\"<>|".contains(c))
}

/// Why a file cannot be the logo or the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing at that path.
    NotFound,
    /// A folder, not a file.
    IsDirectory,
    /// Could not be read (permissions...): the reason.
    Unreadable(String),
    /// Larger than the build reads: its size.
    TooLarge(String),
    /// Not an image / not audio: what it is instead.
    WrongKind(String),
    /// The right kind, but the build could not use it (damaged, cut short, an SVG with a
    /// script): why.
    Unusable(String),
}

impl Problem {
    /// One line for the person, in the language of the questions; `kind` is what was asked for.
    pub fn describe(&self, kind: MediaKind, lang: Lang) -> String {
        let accepted = kind.accepted();
        match (lang, self) {
            (Lang::En, Problem::NotFound) => "no such file: check the path".into(),
            (Lang::En, Problem::IsDirectory) => "that is a folder: give the file inside it".into(),
            (Lang::En, Problem::Unreadable(why)) => format!("cannot read it: {why}"),
            (Lang::En, Problem::TooLarge(size)) => format!(
                "it is {size}, over the limit of {}: use a smaller file",
                crate::human_size(crate::site::MAX_MEDIA_BYTES)
            ),
            (Lang::En, Problem::WrongKind(what)) => match kind {
                MediaKind::Image => format!("not an image: it is {what} (use {accepted})"),
                MediaKind::Audio => format!("not a recording: it is {what} (use {accepted})"),
            },
            (Lang::En, Problem::Unusable(why)) => format!("it cannot be used: {why}"),
            (Lang::ZhCn | Lang::ZhTw, Problem::NotFound) => "找不到这个文件，请检查路径".into(),
            (Lang::ZhCn | Lang::ZhTw, Problem::IsDirectory) => {
                "这是一个文件夹，请给出其中的文件".into()
            }
            (Lang::ZhCn | Lang::ZhTw, Problem::Unreadable(why)) => format!("无法读取：{why}"),
            (Lang::ZhCn | Lang::ZhTw, Problem::TooLarge(size)) => format!(
                "文件有 {size}，超过了 {} 的上限，请换一个小一些的文件",
                crate::human_size(crate::site::MAX_MEDIA_BYTES)
            ),
            (Lang::ZhCn | Lang::ZhTw, Problem::WrongKind(what)) => match kind {
                MediaKind::Image => format!("这不是图片，而是 {what}（请用 {accepted}）"),
                MediaKind::Audio => format!("这不是录音，而是 {what}（请用 {accepted}）"),
            },
            (Lang::ZhCn | Lang::ZhTw, Problem::Unusable(why)) => format!("无法使用：{why}"),
        }
    }
}

/// Reads the file at `path` and checks it as the build will check the logo (`kind` Image) or
/// the audio (`kind` Audio): the format from its contents, then the header or length the build
/// reads, so a damaged, truncated or unsafe file is refused now rather than by the first build.
pub fn check(path: &Path, kind: MediaKind) -> Result<MediaFile, Problem> {
    let unreadable = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Problem::NotFound,
        _ => Problem::Unreadable(crate::error::describe_io(&e)),
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(Problem::IsDirectory);
    }
    if meta.len() > crate::site::MAX_MEDIA_BYTES {
        return Err(Problem::TooLarge(crate::human_size(meta.len())));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let format = match media::detect(&bytes) {
        Ok(format) if format.kind == kind => format,
        Ok(format) => return Err(Problem::WrongKind(crate::site::with_article(format.name))),
        Err(looks_like) => return Err(Problem::WrongKind(looks_like)),
    };
    let usable = if format == &media::SVG {
        std::str::from_utf8(&bytes)
            .map_err(|_| "the SVG is not UTF-8 text".to_string())
            .and_then(crate::strip::svg::sanitise)
            .map(drop)
    } else if kind == MediaKind::Image {
        // The build reads the header when it loads the site and decodes every pixel to make the
        // small copies; a photo cut short fails only the second.
        crate::picture::inspect(&bytes)
            .and_then(|_| crate::picture::decode(&bytes))
            .map(drop)
    } else {
        crate::speech::duration(&bytes).map(drop)
    };
    usable.map_err(Problem::Unusable)?;
    Ok(MediaFile {
        source: path.to_path_buf(),
        bytes,
        format,
    })
}

/// How typed or pasted paths are read: where `~` is, and whether `\` separates folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStyle {
    /// The home folder, for `~/...`.
    pub home: Option<PathBuf>,
    /// Windows: `\` is a separator, never an escape.
    pub windows: bool,
}

impl PathStyle {
    /// This machine's: `HOME` (`USERPROFILE` on Windows).
    pub fn of_this_machine() -> PathStyle {
        let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        PathStyle {
            home: std::env::var_os(var)
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            windows: cfg!(windows),
        }
    }

    /// The path a person meant by `typed`: surrounding spaces and quotes removed (Windows
    /// Explorer's "Copy as path" adds `"..."`, Linux file managers dropped into a terminal add
    /// `'...'`), backslash escapes undone outside Windows (macOS Terminal's drag and drop writes
    /// `My\ Photo.jpg`) unless the path exists as typed, and a leading `~` made the home folder.
    pub fn read(&self, typed: &str) -> PathBuf {
        let trimmed = typed.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|&q| {
                trimmed
                    .strip_prefix(q)
                    .and_then(|rest| rest.strip_suffix(q))
            })
            .map(str::trim);
        let text = match unquoted {
            Some(inner) => inner.to_string(),
            None if !self.windows && trimmed.contains('\\') && !Path::new(trimmed).exists() => {
                unescape(trimmed)
            }
            None => trimmed.to_string(),
        };
        self.expand_home(&text)
    }

    fn expand_home(&self, text: &str) -> PathBuf {
        let Some(home) = &self.home else {
            return PathBuf::from(text);
        };
        if text == "~" {
            return home.clone();
        }
        let rest = text
            .strip_prefix("~/")
            .or_else(|| text.strip_prefix("~\\").filter(|_| self.windows));
        match rest {
            Some(rest) => home.join(rest),
            None => PathBuf::from(text),
        }
    }
}

/// `My\ Photo\ \(1\).jpg` → `My Photo (1).jpg`: each `\x` becomes `x`, as a shell reads it.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix() -> PathStyle {
        PathStyle {
            home: Some(PathBuf::from("/home/ann")),
            windows: false,
        }
    }

    fn windows() -> PathStyle {
        PathStyle {
            home: Some(PathBuf::from(r"C:\Users\ann")),
            windows: true,
        }
    }

    #[test]
    fn pasted_paths_are_cleaned() {
        let u = unix();
        assert_eq!(u.read("  /tmp/a.jpg \n"), PathBuf::from("/tmp/a.jpg"));
        assert_eq!(
            u.read("\"/tmp/my photo.jpg\""),
            PathBuf::from("/tmp/my photo.jpg")
        );
        assert_eq!(
            u.read(" '/tmp/my photo.jpg' "),
            PathBuf::from("/tmp/my photo.jpg")
        );
        assert_eq!(
            u.read(r"/Users/x/My\ Photo\ \(1\).jpg "),
            PathBuf::from("/Users/x/My Photo (1).jpg")
        );
        assert_eq!(
            u.read("~/Pictures/me.png"),
            PathBuf::from("/home/ann/Pictures/me.png")
        );
        assert_eq!(u.read("~"), PathBuf::from("/home/ann"));
        // Only a leading `~/` is the home folder.
        assert_eq!(u.read("a/~/b"), PathBuf::from("a/~/b"));
        assert_eq!(u.read("~ann/x"), PathBuf::from("~ann/x"));
        // A mismatched quote is part of the name.
        assert_eq!(u.read("\"a.jpg'"), PathBuf::from("\"a.jpg'"));
    }

    #[test]
    fn windows_backslashes_are_separators() {
        let w = windows();
        assert_eq!(
            w.read("\"C:\\Users\\ann\\My Photo.jpg\""),
            PathBuf::from(r"C:\Users\ann\My Photo.jpg")
        );
        assert_eq!(w.read(r"D:\a\ b.jpg"), PathBuf::from(r"D:\a\ b.jpg"));
        assert_eq!(
            w.read(r"~\me.png"),
            PathBuf::from(r"C:\Users\ann").join("me.png")
        );
    }

    #[test]
    #[cfg(unix)] // elsewhere `\` cannot be in a file name
    fn a_backslash_in_an_existing_name_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let literal = tmp.path().join(r"odd\ name.png");
        std::fs::write(&literal, b"x").unwrap();
        let typed = literal.to_str().unwrap();
        assert_eq!(unix().read(typed), literal);
    }

    #[test]
    fn asset_names_keep_the_persons_file_name_when_they_can() {
        let file = |name: &str| MediaFile {
            source: PathBuf::from("/x").join(name),
            bytes: Vec::new(),
            format: &media::JPEG,
        };
        assert_eq!(file("me.jpg").asset_name("photo"), "me.jpg");
        assert_eq!(file("我的 照片.JPG").asset_name("photo"), "我的 照片.JPG");
        let mut odd_names = vec![
            ".hidden.jpg",
            "noext",
            "a\"b.jpg",
            "a|b.jpg",
            "x.jpg~",
            "trail.",
        ];
        // On Windows `a:` is a drive, so `a:b.jpg` is not a file name there.
        if !cfg!(windows) {
            odd_names.push("a:b.jpg");
        }
        for odd in odd_names {
            assert_eq!(file(odd).asset_name("photo"), "photo.jpg", "{odd}");
        }
    }

    #[test]
    fn problems_are_one_line_in_both_languages() {
        let problems = [
            Problem::NotFound,
            Problem::IsDirectory,
            Problem::Unreadable("permission denied".into()),
            Problem::TooLarge("300 MB".into()),
            Problem::WrongKind("a PDF document".into()),
            Problem::Unusable("the file is cut short".into()),
        ];
        for problem in &problems {
            for lang in [Lang::ZhCn, Lang::En] {
                for kind in [MediaKind::Image, MediaKind::Audio] {
                    let text = problem.describe(kind, lang);
                    assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
                }
            }
        }
        assert_eq!(
            Problem::WrongKind("a PDF document".into()).describe(MediaKind::Image, Lang::En),
            "not an image: it is a PDF document (use PNG, JPEG, GIF, WebP or SVG)"
        );
    }

    #[test]
    fn files_are_checked_as_the_build_checks_them() {
        let tmp = tempfile::tempdir().unwrap();
        let at = |name: &str, bytes: &[u8]| {
            let path = tmp.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        assert_eq!(
            check(&tmp.path().join("missing.png"), MediaKind::Image),
            Err(Problem::NotFound)
        );
        assert_eq!(
            check(tmp.path(), MediaKind::Image),
            Err(Problem::IsDirectory)
        );
        let pdf = at("doc.pdf", b"%PDF-1.7\n");
        assert_eq!(
            check(&pdf, MediaKind::Image),
            Err(Problem::WrongKind("a PDF document".into()))
        );
        let svg = at("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        assert_eq!(check(&svg, MediaKind::Image).unwrap().format, &media::SVG);
        assert!(matches!(
            check(&svg, MediaKind::Audio),
            Err(Problem::WrongKind(what)) if what == "an SVG image"
        ));
        let scripted = at(
            "bad.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x()</script></svg>",
        );
        assert!(matches!(
            check(&scripted, MediaKind::Image),
            Err(Problem::Unusable(_))
        ));
        // A PNG signature with nothing after it is recognised, then refused as the build would.
        let cut = at("cut.png", b"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR");
        assert!(matches!(
            check(&cut, MediaKind::Image),
            Err(Problem::Unusable(_))
        ));
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/introduction.mp3");
        assert_eq!(
            check(&sample, MediaKind::Audio).unwrap().format,
            &media::MP3
        );
    }
}
