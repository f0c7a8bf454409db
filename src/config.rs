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
    "languages",
];
/// Every key of a `[languages.<tag>]` table.
const LANGUAGE_KEYS: &[&str] = &["title", "description", "profile"];
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
    /// The default language, e.g. `zh-CN` or `en`: its pages are at the top of the output.
    pub lang: Language,
    /// The meta description; defaults to name, major and school.
    pub description: String,
    /// Where the site will be published (`https://example.com/~lihua/`), always ending in `/`;
    /// when set, pages carry an absolute canonical link and link-preview (Open Graph) tags.
    pub base_url: Option<String>,
    /// The person the page is about.
    pub profile: Profile,
    /// The `[build]` options.
    pub build: BuildOptions,
    /// The further languages (`[languages.<tag>]`), in the order written, each complete: what a
    /// table does not override is the default language's.
    pub translations: Vec<Translation>,
}

/// One further language of the site: the default's values with its own overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// Its tag and labels; its pages are under `<tag>/`.
    pub lang: Language,
    /// The page title in this language.
    pub title: String,
    /// The meta description in this language.
    pub description: String,
    /// The profile table in this language (the logo is always the default's).
    pub profile: Profile,
}

/// A language of the site: a BCP 47 tag, and the interface words its pages are shown with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The tag in its canonical case (`zh-cn` → `zh-CN`): `<html lang>`, `hreflang`, and the
    /// folder a further language's pages go in.
    pub tag: String,
    /// The labels: the language's own, or English for a language profile has no words for.
    pub labels: Lang,
}

impl Language {
    /// Parses a BCP 47 language tag (`zh-CN`, `en`, `zh-Hant-TW`, `fr`); `None` if the text is
    /// not one.
    pub fn parse(tag: &str) -> Option<Language> {
        let id = icu_locale_core::LanguageIdentifier::try_from_str(tag.trim()).ok()?;
        // `und` (undetermined) names no language a reader could choose.
        if id.language.is_unknown() {
            return None;
        }
        let tag = id.to_string();
        let labels = Lang::parse(&tag).unwrap_or(Lang::En);
        Some(Language { tag, labels })
    }

    /// The language profile has labels for.
    pub fn of(lang: Lang) -> Language {
        Language {
            tag: lang.tag().to_string(),
            labels: lang,
        }
    }

    /// Whether `tag` names this language (tags are case-insensitive).
    pub fn is(&self, tag: &str) -> bool {
        self.tag.eq_ignore_ascii_case(tag.trim())
    }
}

impl SiteConfig {
    /// Every language of the site, the default first.
    pub fn languages(&self) -> impl Iterator<Item = &Language> {
        std::iter::once(&self.lang).chain(self.translations.iter().map(|t| &t.lang))
    }
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

/// A language profile knows the interface words of (`labels`, `init`'s questions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (`zh-CN`, `zh`, `zh-Hans`).
    ZhCn,
    /// Traditional Chinese (`zh-TW`, `zh-HK`, `zh-Hant`).
    ZhTw,
    /// English (`en`, `en-US`, ...).
    En,
}

impl Lang {
    /// Recognises a language tag, case-insensitively.
    pub fn parse(tag: &str) -> Option<Lang> {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"];
        match lower.as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" | "zh-sg" => Some(Lang::ZhCn),
            _ if traditional.iter().any(|t| lower.starts_with(t)) => Some(Lang::ZhTw),
            _ if lower == "en" || lower.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    /// The value for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
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
    profile: Option<Spanned<RawProfile>>,
    build: Option<RawBuild>,
    #[serde(default)]
    languages: IndexMap<Spanned<String>, RawLanguage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    title: Option<String>,
    description: Option<String>,
    profile: Option<RawProfile>,
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

/// `[profile]`, or a language's overrides of it: every key optional here, the default
/// language's required ones checked by [`resolve_profile`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Option<Spanned<String>>,
    student_id: Option<Spanned<StringOrNumber>>,
    major: Option<Spanned<String>>,
    school: Option<String>,
    logo: Option<Spanned<String>>,
    audio: Option<Spanned<String>>,
    transcript: Option<String>,
    email: Option<Spanned<String>>,
    links: Option<IndexMap<String, Spanned<String>>>,
    extra: Option<IndexMap<String, StringOrNumber>>,
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
    let checker = Checker { source, file, root };

    let Some(raw_profile) = raw.profile else {
        return Err(Error::in_file(file, "missing the [profile] table")
            .hint("add [profile] with name, student_id, major, logo and audio; see README.md"));
    };
    let profile_at = at(raw_profile.span());
    let profile = checker.profile(raw_profile.into_inner(), None, "profile", profile_at)?;

    let lang = match raw.lang {
        None => Language::of(Lang::En),
        Some(tag) => {
            let (line, column) = at(tag.span());
            Language::parse(tag.get_ref()).ok_or_else(|| {
                Error::in_file(
                    file,
                    format!("lang `{}` is not a language tag", tag.get_ref()),
                )
                .at(line, column)
                .hint("write a BCP 47 tag, like lang = \"zh-CN\", \"zh-TW\" or \"en\"")
            })?
        }
    };

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

    let title = non_empty(raw.title);
    let description = non_empty(raw.description);
    let mut translations: Vec<Translation> = Vec::new();
    for (tag, table) in raw.languages {
        let (line, column) = at(tag.span());
        let written = tag.into_inner();
        let at_tag = |message: String| Error::in_file(file, message).at(line, column);
        let Some(language) = Language::parse(&written) else {
            return Err(at_tag(format!(
                "[languages.{written}]: `{written}` is not a language tag"
            ))
            .hint(
                "name each language by its BCP 47 tag, like [languages.en] or [languages.zh-TW]",
            ));
        };
        if lang.is(&language.tag) {
            return Err(at_tag(format!(
                "[languages.{written}] is the default language (lang = \"{}\")",
                lang.tag
            ))
            .hint("the [profile] table is already in the default language: remove this table or change lang"));
        }
        if translations.iter().any(|t| t.lang.is(&language.tag)) {
            return Err(at_tag(format!("language `{written}` is declared twice"))
                .hint("tags are case-insensitive: merge the two tables into one"));
        }
        let label = format!("languages.{written}.profile");
        let profile = checker.profile(
            table.profile.unwrap_or_default(),
            Some(&profile),
            &label,
            (line, column),
        )?;
        translations.push(Translation {
            lang: language,
            title: non_empty(table.title)
                .or_else(|| title.clone())
                .unwrap_or_else(|| profile.name.clone()),
            description: non_empty(table.description)
                .or_else(|| description.clone())
                .unwrap_or_else(|| default_description(&profile)),
            profile,
        });
    }

    Ok(SiteConfig {
        base_url,
        build,
        title: title.unwrap_or_else(|| profile.name.clone()),
        lang,
        description: description.unwrap_or_else(|| default_description(&profile)),
        profile,
        translations,
    })
}

/// Name, major and school: the meta description when `site.toml` gives none.
fn default_description(profile: &Profile) -> String {
    let mut parts = vec![profile.name.clone(), profile.major.clone()];
    parts.extend(profile.school.clone());
    parts.join(" · ")
}

/// What checking a profile table needs of the file it is in.
struct Checker<'a> {
    source: &'a str,
    file: &'a Path,
    root: &'a Path,
}

impl Checker<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> (usize, usize) {
        crate::error::line_column(self.source, span.start)
    }

    /// Checks `[profile]` (`base` is `None`) or a language's overrides of it (`base` is the
    /// default language's profile, which supplies every key the table leaves out). `table` names
    /// it in messages; `position` is where it starts.
    fn profile(
        &self,
        raw: RawProfile,
        base: Option<&Profile>,
        table: &str,
        position: (usize, usize),
    ) -> Result<Profile> {
        let file = self.file;
        let missing = |key: &str| {
            Error::in_file(file, format!("[{table}] is missing `{key}`"))
                .at(position.0, position.1)
                .hint(missing_hint(key))
        };
        let required = |value: Option<Spanned<String>>,
                        key: &str,
                        inherited: Option<&String>|
         -> Result<String> {
            let Some(value) = value else {
                return inherited.cloned().ok_or_else(|| missing(key));
            };
            let (line, column) = self.at(value.span());
            let text = value.into_inner().trim().to_string();
            if text.is_empty() {
                return Err(
                    Error::in_file(file, format!("`{key}` in [{table}] is empty"))
                        .at(line, column)
                        .hint(format!(
                            "write your {} between the quotes",
                            key.replace('_', " ")
                        )),
                );
            }
            Ok(text)
        };
        let student_id = raw.student_id.map(|value| {
            let span = value.span();
            Spanned::new(span, value.into_inner().into_string())
        });
        let student_id = required(student_id, "student_id", base.map(|b| &b.student_id))?;
        let name = required(raw.name, "name", base.map(|b| &b.name))?;
        let major = required(raw.major, "major", base.map(|b| &b.major))?;

        let email = match raw.email {
            None => base.and_then(|b| b.email.clone()),
            Some(value) => {
                let (line, column) = self.at(value.span());
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

        let links = match raw.links {
            None => base.map(|b| b.links.clone()).unwrap_or_default(),
            Some(table) => {
                let mut links = Vec::new();
                for (label, url) in table {
                    let (line, column) = self.at(url.span());
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
                links
            }
        };

        let logo = match (raw.logo, base) {
            (Some(value), Some(_)) => {
                let (line, column) = self.at(value.span());
                return Err(Error::in_file(
                    file,
                    format!("`logo` in [{table}]: the logo is the same in every language"),
                )
                .at(line, column)
                .hint("remove this line; the logo in [profile] is used on every page"));
            }
            (Some(value), None) => file_ref(value, self.source, self.root),
            (None, Some(base)) => base.logo.clone(),
            (None, None) => return Err(missing("logo")),
        };
        let audio = match (raw.audio, base) {
            (Some(value), _) => file_ref(value, self.source, self.root),
            (None, Some(base)) => base.audio.clone(),
            (None, None) => return Err(missing("audio")),
        };
        let or_base = |value: Option<String>, inherited: Option<&Option<String>>| match value {
            Some(_) => non_empty(value),
            None => inherited.cloned().flatten(),
        };
        Ok(Profile {
            name,
            student_id,
            major,
            school: or_base(raw.school, base.map(|b| &b.school)),
            logo,
            audio,
            transcript: or_base(raw.transcript, base.map(|b| &b.transcript)),
            email,
            links,
            extra: match raw.extra {
                Some(extra) => extra
                    .into_iter()
                    .map(|(k, v)| (k, v.into_string()))
                    .collect(),
                None => base.map(|b| b.extra.clone()).unwrap_or_default(),
            },
        })
    }
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
            (PROFILE_KEYS, "profile")
        } else if message.contains("`precompress`") {
            (BUILD_KEYS, "build")
        } else if message.contains("`lang`") {
            (TOP_KEYS, "")
        } else {
            (LANGUAGE_KEYS, "languages")
        };
        // `[languages.en.profile]` rather than `[profile]`, when the key is in that table.
        let table = match table_before(source, offset) {
            Some(header) if !table.is_empty() && header.split('.').any(|part| part == table) => {
                format!(" in [{header}]")
            }
            _ if table.is_empty() => String::new(),
            _ => format!(" in [{table}]"),
        };
        let err = Error::in_file(file, format!("unknown key `{unknown}`{table}"));
        let (line, column) = crate::error::line_column(source, offset);
        let err = err.at(line, column);
        return match text::closest(unknown, known) {
            Some(best) => err.hint(format!("did you mean `{best}`?")),
            None => err.hint(format!("known keys: {}", known.join(", "))),
        };
    }
    let message = message.lines().next().unwrap_or("invalid TOML").to_string();
    Error::in_file(file, message)
        .at_offset(source, offset)
        .hint("see the site.toml reference in README.md")
}

/// The name of the `[table]` whose header is the last one before `offset`.
fn table_before(source: &str, offset: usize) -> Option<&str> {
    let before = source.get(..offset)?;
    before.lines().rev().find_map(|line| {
        let line = line.trim();
        let inner = line.strip_prefix('[')?.split(']').next()?;
        Some(inner.trim_start_matches('[').trim())
    })
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
        assert_eq!(config.lang, Language::of(Lang::ZhCn));
        assert!(config.translations.is_empty());
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
        let err = parse_str(&GOOD.replace("zh-CN", "中文")).unwrap_err();
        assert_eq!(err.message, "lang `中文` is not a language tag");
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
        assert_eq!(Lang::parse("zh-Hant-HK"), Some(Lang::ZhTw));
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        let tag = |t: &str| Language::parse(t).map(|l| (l.tag, l.labels));
        assert_eq!(tag("zh-cn"), Some(("zh-CN".into(), Lang::ZhCn)));
        assert_eq!(tag("ZH-tw"), Some(("zh-TW".into(), Lang::ZhTw)));
        assert_eq!(tag("en-gb"), Some(("en-GB".into(), Lang::En)));
        // A valid tag profile has no words for is shown with the English labels.
        assert_eq!(tag("fr"), Some(("fr".into(), Lang::En)));
        for bad in ["", "x", "en_US!", "zh-", "und", "中文", "en--US"] {
            assert_eq!(tag(bad), None, "{bad}");
        }
    }

    const EN: &str = r#"
[languages.en]
title = "Li Hua · Profile"
[languages.en.profile]
name = "Li Hua"
major = "Computer Science and Technology"
audio = "assets/intro.en.mp3"
[languages.en.profile.extra]
"Year" = "Class of 2027"
"#;

    #[test]
    fn a_further_language_inherits_what_it_does_not_override() {
        let config = parse_str(&format!("{GOOD}{EN}")).unwrap();
        let [en] = config.translations.as_slice() else {
            panic!("{:?}", config.translations)
        };
        assert_eq!(en.lang, Language::of(Lang::En));
        assert_eq!(en.title, "Li Hua · Profile");
        assert_eq!(en.description, "Li Hua · Computer Science and Technology");
        assert_eq!(en.profile.name, "Li Hua");
        assert_eq!(en.profile.student_id, "2023123456");
        assert_eq!(en.profile.logo, config.profile.logo);
        assert_eq!(en.profile.audio.written, "assets/intro.en.mp3");
        assert_eq!(en.profile.extra, [("Year".into(), "Class of 2027".into())]);
        let tags: Vec<_> = config.languages().map(|l| l.tag.as_str()).collect();
        assert_eq!(tags, ["zh-CN", "en"]);

        // Nothing overridden: everything is the default's, the written title included.
        let config = parse_str(&format!("{GOOD}\n[languages.zh-tw]\n")).unwrap();
        let [tw] = config.translations.as_slice() else {
            panic!()
        };
        assert_eq!(tw.lang.tag, "zh-TW");
        assert_eq!(tw.lang.labels, Lang::ZhTw);
        assert_eq!(tw.title, "李华的主页");
        assert_eq!(tw.profile, config.profile);
    }

    #[test]
    fn bad_languages_are_explained_at_their_line() {
        let err = parse_str(&format!("{GOOD}{EN}\n[languages.EN]\n")).unwrap_err();
        assert_eq!(err.message, "language `EN` is declared twice");
        assert_eq!(err.position.map(|p| p.0), Some(26));

        let err = parse_str(&format!("{GOOD}\n[languages.en_GB]\n")).unwrap_err();
        assert_eq!(
            err.message,
            "[languages.en_GB]: `en_GB` is not a language tag"
        );
        assert_eq!(err.position.map(|p| p.0), Some(17));

        let err = parse_str(&format!("{GOOD}\n[languages.zh-cn]\n")).unwrap_err();
        assert!(err.message.contains("default language"), "{err}");

        let err =
            parse_str(&format!("{GOOD}{EN}").replace("major = \"Computer", "majr = \"Computer"))
                .unwrap_err();
        assert_eq!(err.message, "unknown key `majr` in [languages.en.profile]");
        assert_eq!(err.hint.as_deref(), Some("did you mean `major`?"));
        assert_eq!(err.position, Some((21, 1)));

        let err =
            parse_str(&format!("{GOOD}{EN}").replace("title = \"Li", "titel = \"Li")).unwrap_err();
        assert_eq!(err.message, "unknown key `titel` in [languages.en]");
        assert_eq!(err.hint.as_deref(), Some("did you mean `title`?"));

        let err =
            parse_str(&format!("{GOOD}{EN}").replace("name = \"Li Hua\"", "logo = \"x.png\""))
                .unwrap_err();
        assert!(
            err.message
                .contains("the logo is the same in every language"),
            "{err}"
        );
        assert_eq!(err.position, Some((20, 8)));

        let err = parse_str(&format!("{GOOD}{EN}").replace("name = \"Li Hua\"", "name = \" \""))
            .unwrap_err();
        assert_eq!(err.message, "`name` in [languages.en.profile] is empty");
    }
}
