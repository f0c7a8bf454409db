//! `site.toml` → [`SiteConfig`], with messages that point at the line to fix.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::text;

/// The name of the configuration file at the site root.
pub const CONFIG_FILE: &str = "site.toml";

/// Every top-level key, for "did you mean" suggestions.
const TOP_KEYS: &[&str] = &[
    "title",
    "lang",
    "description",
    "base_url",
    "profile",
    "build",
];
/// Every key of `[build]`.
const BUILD_KEYS: &[&str] = &["headers", "precompress", "keep_metadata", "audio"];
/// Every key of `[profile]`.
const PROFILE_KEYS: &[&str] = &[
    "name",
    "student_id",
    "major",
    "school",
    "logo",
    "audio",
    "transcript",
    "email",
    "links",
    "extra",
];

/// The validated contents of `site.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    /// The page title; defaults to the person's name.
    pub title: String,
    /// The page language, e.g. `zh-CN` or `en`.
    pub lang: Lang,
    /// The meta description; defaults to name, major and school.
    pub description: String,
    /// Where the site will be published (`https://example.com/~lihua/`), always ending in `/`;
    /// when set, pages carry an absolute canonical link and link-preview (Open Graph) tags.
    pub base_url: Option<String>,
    /// The person the page is about.
    pub profile: Profile,
    /// The `[build]` options.
    pub build: BuildOptions,
}

/// The `[build]` table: extra files a build writes for static hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Write `_headers` (Netlify, Cloudflare Pages) with each file's caching policy.
    pub headers: bool,
    /// Write `.gz` and `.br` beside each text file where they are smaller.
    pub precompress: bool,
    /// Publish images and recordings with their metadata (GPS position, camera, names).
    pub keep_metadata: bool,
    /// `audio = "keep"`: publish a WAV or FLAC recording only as it is, without the Opus copy.
    pub keep_audio: bool,
}

/// `[build] audio`: what happens to a lossless recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum AudioMode {
    /// Also publish a copy compressed for speech, played first (the default).
    #[default]
    Compress,
    /// Publish the original only.
    Keep,
}

/// The `[profile]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// 姓名 / Name.
    pub name: String,
    /// 学号 / Student ID.
    pub student_id: String,
    /// 专业 / Major.
    pub major: String,
    /// 学校 / School.
    pub school: Option<String>,
    /// The logo file, resolved against the site root.
    pub logo: FileRef,
    /// The self-introduction audio file, resolved against the site root.
    pub audio: FileRef,
    /// What the audio says, shown under the player.
    pub transcript: Option<String>,
    /// A contact address, shown as a `mailto:` link.
    pub email: Option<String>,
    /// Labelled links (GitHub, a blog...), in the order written.
    pub links: Vec<(String, String)>,
    /// Extra labelled rows (hobbies, hometown...), in the order written.
    pub extra: Vec<(String, String)>,
}

/// A file named in `site.toml`: where it was named and where it resolves.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    /// The path as written, with `\` already turned into `/`.
    pub written: String,
    /// The path on disk.
    pub path: PathBuf,
    /// 1-based line and column of the value in `site.toml`.
    pub position: (usize, usize),
}

/// A page language profile knows labels for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (`zh-CN`, `zh`, `zh-Hans`).
    ZhCn,
    /// English (`en`, `en-US`, ...).
    En,
}

impl Lang {
    /// Recognises a language tag, case-insensitively.
    pub fn parse(tag: &str) -> Option<Lang> {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" | "zh-sg" => Some(Lang::ZhCn),
            _ if lower == "en" || lower.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    /// The value for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    lang: Option<Spanned<String>>,
    description: Option<String>,
    base_url: Option<Spanned<String>>,
    profile: Option<RawProfile>,
    build: Option<RawBuild>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    #[serde(default)]
    headers: bool,
    #[serde(default)]
    precompress: bool,
    #[serde(default)]
    keep_metadata: bool,
    #[serde(default)]
    audio: AudioMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    student_id: Spanned<StringOrNumber>,
    major: Spanned<String>,
    school: Option<String>,
    logo: Spanned<String>,
    audio: Spanned<String>,
    transcript: Option<String>,
    email: Option<Spanned<String>>,
    #[serde(default)]
    links: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    extra: IndexMap<String, StringOrNumber>,
}

/// Student IDs are often written as bare numbers (`student_id = 2023123456`); accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Integer(i64),
    Float(f64),
}

impl StringOrNumber {
    fn into_string(self) -> String {
        match self {
            StringOrNumber::String(s) => s,
            StringOrNumber::Integer(i) => i.to_string(),
            StringOrNumber::Float(f) => f.to_string(),
        }
    }
}

/// Reads and validates `<root>/site.toml`.
pub fn load(root: &Path) -> Result<SiteConfig> {
    let file = text::display_path(root, Path::new(CONFIG_FILE));
    let bytes = std::fs::read(root.join(CONFIG_FILE)).map_err(|e| {
        let err = Error::io(&file, &e);
        if e.kind() == std::io::ErrorKind::NotFound {
            err.hint("run `profile init DIR` to create a site, or pass --root DIR")
        } else {
            err
        }
    })?;
    let source = text::decode(&file, &bytes)?;
    parse(&source, &file, root)
}

/// Parses and validates the text of a `site.toml` found at `file`; relative paths in it resolve
/// against `root`.
pub fn parse(source: &str, file: &Path, root: &Path) -> Result<SiteConfig> {
    let raw: RawConfig = toml::from_str(source).map_err(|e| toml_error(&e, source, file))?;
    let at = |span: std::ops::Range<usize>| crate::error::line_column(source, span.start);

    let Some(profile) = raw.profile else {
        return Err(Error::in_file(file, "missing the [profile] table")
            .hint("add [profile] with name, student_id, major, logo and audio; see README.md"));
    };

    let required = |value: Spanned<String>, key: &str| -> Result<String> {
        let (line, column) = at(value.span());
        let text = value.into_inner().trim().to_string();
        if text.is_empty() {
            return Err(
                Error::in_file(file, format!("`{key}` in [profile] is empty"))
                    .at(line, column)
                    .hint(format!(
                        "write your {} between the quotes",
                        key.replace('_', " ")
                    )),
            );
        }
        Ok(text)
    };
    let student_id = {
        let span = profile.student_id.span();
        let id = profile.student_id.into_inner().into_string();
        required(Spanned::new(span, id), "student_id")?
    };
    let name = required(profile.name, "name")?;
    let major = required(profile.major, "major")?;

    let lang = match raw.lang {
        None => Lang::En,
        Some(tag) => {
            let (line, column) = at(tag.span());
            Lang::parse(tag.get_ref()).ok_or_else(|| {
                Error::in_file(file, format!("unsupported lang `{}`", tag.get_ref()))
                    .at(line, column)
                    .hint("use lang = \"zh-CN\" or lang = \"en\"")
            })?
        }
    };

    let email = match profile.email {
        None => None,
        Some(value) => {
            let (line, column) = at(value.span());
            let email = value.into_inner().trim().to_string();
            if !email.contains('@') || email.chars().any(char::is_whitespace) {
                return Err(
                    Error::in_file(file, format!("`{email}` is not an email address"))
                        .at(line, column)
                        .hint("write it like email = \"name@example.com\""),
                );
            }
            Some(email)
        }
    };

    let mut links = Vec::new();
    for (label, url) in profile.links {
        let (line, column) = at(url.span());
        let url = url.into_inner().trim().to_string();
        if !is_safe_link(&url) {
            return Err(Error::in_file(
                file,
                format!("link `{label}` has an unsupported address `{url}`"),
            )
            .at(line, column)
            .hint("links must start with https://, http:// or mailto:"));
        }
        links.push((label, url));
    }

    let logo = file_ref(profile.logo, source, root);
    let audio = file_ref(profile.audio, source, root);
    let school = non_empty(profile.school);
    let description = non_empty(raw.description).unwrap_or_else(|| {
        let mut parts = vec![name.clone(), major.clone()];
        parts.extend(school.clone());
        parts.join(" · ")
    });

    let base_url = match raw.base_url {
        None => None,
        Some(value) => {
            let (line, column) = at(value.span());
            let url = value.into_inner();
            Some(normalize_base_url(&url).ok_or_else(|| {
                Error::in_file(file, format!("base_url `{url}` is not a web address"))
                    .at(line, column)
                    .hint("write the address the site will have, like base_url = \"https://example.com/~lihua/\", or remove the line")
            })?)
        }
    };
    let build = raw
        .build
        .map_or_else(BuildOptions::default, |b| BuildOptions {
            headers: b.headers,
            precompress: b.precompress,
            keep_metadata: b.keep_metadata,
            keep_audio: b.audio == AudioMode::Keep,
        });

    Ok(SiteConfig {
        base_url,
        build,
        title: non_empty(raw.title).unwrap_or_else(|| name.clone()),
        lang,
        description,
        profile: Profile {
            name,
            student_id,
            major,
            school,
            logo,
            audio,
            transcript: non_empty(profile.transcript),
            email,
            links,
            extra: profile
                .extra
                .into_iter()
                .map(|(k, v)| (k, v.into_string()))
                .collect(),
        },
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `https://example.com/a` → `https://example.com/a/`: an absolute http(s) URL with a host and no
/// query, fragment or white space, ending in `/` so page paths can be appended; `None` if not.
fn normalize_base_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))?;
    let host = rest.split('/').next().unwrap_or("");
    let bad =
        |c: char| c.is_whitespace() || c == '?' || c == '#' || c == '"' || c == '<' || c == '>';
    if host.is_empty() || host.starts_with(':') || url.contains(bad) {
        return None;
    }
    Some(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

fn is_safe_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
}

fn file_ref(value: Spanned<String>, source: &str, root: &Path) -> FileRef {
    let position = crate::error::line_column(source, value.span().start);
    let written = text::portable_path(value.get_ref().trim());
    FileRef {
        path: root.join(&written),
        written,
        position,
    }
}

/// Turns a TOML error into one that names the line, and suggests the right key for a typo.
fn toml_error(err: &toml::de::Error, source: &str, file: &Path) -> Error {
    let message = err.message().trim();
    let offset = err.span().map_or(0, |span| span.start);
    if let Some(unknown) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        let (known, table) = if message.contains("`student_id`") {
            (PROFILE_KEYS, " in [profile]")
        } else if message.contains("`precompress`") {
            (BUILD_KEYS, " in [build]")
        } else {
            (TOP_KEYS, "")
        };
        let err = Error::in_file(file, format!("unknown key `{unknown}`{table}"));
        let (line, column) = crate::error::line_column(source, offset);
        let err = err.at(line, column);
        return match text::closest(unknown, known) {
            Some(best) => err.hint(format!("did you mean `{best}`?")),
            None => err.hint(format!("known keys: {}", known.join(", "))),
        };
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let (line, column) = crate::error::line_column(source, offset);
        return Error::in_file(file, format!("[profile] is missing `{field}`"))
            .at(line, column)
            .hint(missing_hint(field));
    }
    let message = message.lines().next().unwrap_or("invalid TOML").to_string();
    Error::in_file(file, message)
        .at_offset(source, offset)
        .hint("see the site.toml reference in README.md")
}

fn missing_hint(field: &str) -> String {
    match field {
        "logo" => "add logo = \"assets/logo.png\" (a PNG, JPEG, GIF, WebP or SVG file)".into(),
        "audio" => "add audio = \"assets/introduction.mp3\" (MP3, Ogg, WAV, M4A or FLAC)".into(),
        other => format!("add {other} = \"...\" under [profile]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "李华的主页"
lang = "zh-CN"

[profile]
name = "李华"
student_id = 2023123456
major = "计算机科学与技术"
logo = 'assets\logo.svg'
audio = "assets/intro.mp3"

[profile.extra]
"爱好" = "羽毛球"
"家乡" = "杭州"
"年级" = 2023
"#;

    fn parse_str(src: &str) -> Result<SiteConfig> {
        parse(src, Path::new("site.toml"), Path::new("/site"))
    }

    #[test]
    fn parses_a_good_config_keeping_row_order() {
        let config = parse_str(GOOD).unwrap();
        assert_eq!(config.lang, Lang::ZhCn);
        assert_eq!(config.profile.student_id, "2023123456");
        assert_eq!(config.profile.logo.written, "assets/logo.svg");
        assert_eq!(config.profile.logo.path, Path::new("/site/assets/logo.svg"));
        assert_eq!(config.profile.logo.position, (9, 8));
        let labels: Vec<_> = config
            .profile
            .extra
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(labels, ["爱好", "家乡", "年级"]);
        assert_eq!(config.description, "李华 · 计算机科学与技术");
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let src = GOOD.replace("major =", "majr =");
        let err = parse_str(&src).unwrap_err();
        // deny_unknown_fields reports the typo before the missing field it causes.
        assert_eq!(err.message, "unknown key `majr` in [profile]");
        assert_eq!(err.hint.as_deref(), Some("did you mean `major`?"));
        assert_eq!(err.position, Some((8, 1)));

        let err = parse_str(&format!("titel = \"x\"\n{GOOD}")).unwrap_err();
        assert_eq!(err.message, "unknown key `titel`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn missing_field_is_named() {
        let src = GOOD.replace("major = \"计算机科学与技术\"\n", "");
        let err = parse_str(&src).unwrap_err();
        assert_eq!(err.message, "[profile] is missing `major`");
    }

    #[test]
    fn syntax_error_has_line_and_excerpt() {
        let src = GOOD.replace("name = \"李华\"", "name = \"李华");
        let err = parse_str(&src).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(6));
        assert_eq!(err.excerpt.as_deref(), Some("name = \"李华"));
    }

    #[test]
    fn bad_values_are_explained() {
        let err = parse_str(&GOOD.replace("zh-CN", "klingon")).unwrap_err();
        assert_eq!(err.message, "unsupported lang `klingon`");
        let err = parse_str(&GOOD.replace("name = \"李华\"", "name = \"  \"")).unwrap_err();
        assert_eq!(err.message, "`name` in [profile] is empty");
        let src = format!("{GOOD}\n[profile.links]\nx = \"javascript:alert(1)\"\n");
        let err = parse_str(&src).unwrap_err();
        assert!(err.message.contains("unsupported address"), "{err}");
    }

    #[test]
    fn base_url_is_checked_and_ends_in_a_slash() {
        let with = |url: &str| parse_str(&format!("base_url = \"{url}\"\n{GOOD}"));
        assert_eq!(parse_str(GOOD).unwrap().base_url, None);
        let config = with("https://example.com/~lihua").unwrap();
        assert_eq!(
            config.base_url.as_deref(),
            Some("https://example.com/~lihua/")
        );
        assert_eq!(
            with("http://127.0.0.1:8080/").unwrap().base_url.as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        for bad in [
            "example.com",
            "ftp://example.com/",
            "https://",
            "https://a b/",
            "https://x/?q",
        ] {
            let err = with(bad).unwrap_err();
            assert_eq!(
                err.message,
                format!("base_url `{bad}` is not a web address")
            );
            assert_eq!(err.position, Some((1, 12)));
        }
    }

    #[test]
    fn build_options() {
        assert_eq!(parse_str(GOOD).unwrap().build, BuildOptions::default());
        let src = format!("{GOOD}\n[build]\nheaders = true\nprecompress = true\n");
        let build = parse_str(&src).unwrap().build;
        assert!(build.headers && build.precompress);
        let err = parse_str(&format!("{GOOD}\n[build]\nprecompres = true\n")).unwrap_err();
        assert_eq!(err.message, "unknown key `precompres` in [build]");
        assert_eq!(err.hint.as_deref(), Some("did you mean `precompress`?"));
        let err = parse_str(&format!("{GOOD}\n[build]\nheaders = \"yes\"\n")).unwrap_err();
        assert!(err.message.contains("bool"), "{err}");
    }

    #[test]
    fn languages() {
        assert_eq!(Lang::parse("zh-cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
