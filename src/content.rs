//! Markdown with TOML front matter → [`Page`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::text;

/// One Markdown file, parsed and rendered to HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The source file relative to `content/`, with `/` separators (`notes/lab1.md`).
    pub source: String,
    /// Where the page is written, relative to the output root (`notes/lab1/index.html`);
    /// `index.html` for `content/index.md`; a translation's under its language's folder
    /// (`en/notes/lab1/index.html` for `notes/lab1.en.md`).
    pub output_path: String,
    /// Where the default language's version of the page is (or would be) written: what the
    /// translations of one page have in common (`notes/lab1/index.html`).
    pub base_path: String,
    /// From front matter, else the first heading, else the file name.
    pub title: String,
    /// From front matter.
    pub description: Option<String>,
    /// Navigation order; lower first, then by title.
    pub weight: i64,
    /// Drafts are checked but not built.
    pub draft: bool,
    /// The rendered body.
    pub html: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    weight: i64,
    #[serde(default)]
    draft: bool,
}

const FRONT_MATTER_KEYS: &[&str] = &["title", "description", "weight", "draft"];

/// Parses one Markdown file. `source` is its path relative to `content/`; `shown` is how to name
/// it in errors.
/// `reserved_ids` are the element ids the theme already uses (`main`...), which headings avoid.
pub fn parse_page(
    source: &str,
    shown: &Path,
    bytes: &[u8],
    reserved_ids: &HashSet<String>,
) -> Result<Page> {
    let text = text::decode(shown, bytes)?;
    if text.trim().is_empty() {
        return Err(
            Error::in_file(shown, "is empty").hint("write some Markdown in it, or delete the file")
        );
    }
    let (front, body) = split_front_matter(&text, shown)?;
    let front: FrontMatter = match front {
        None => FrontMatter::default(),
        Some(toml_text) => {
            toml::from_str(toml_text).map_err(|e| front_matter_error(&e, toml_text, shown))?
        }
    };
    let (html, first_heading) = render_markdown(body, reserved_ids);
    let output_path = output_path_for(source);
    let title = non_empty(front.title)
        .or(first_heading)
        .unwrap_or_else(|| file_stem(source));
    Ok(Page {
        source: source.to_string(),
        base_path: output_path.clone(),
        output_path,
        title,
        description: non_empty(front.description),
        weight: front.weight,
        draft: front.draft,
        html,
    })
}

/// Splits `+++` front matter from the body: the TOML text (if any) and the Markdown.
fn split_front_matter<'a>(text: &'a str, shown: &Path) -> Result<(Option<&'a str>, &'a str)> {
    let Some(rest) = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++ \n"))
    else {
        if text.starts_with("---\n") {
            return Err(
                Error::in_file(shown, "front matter must be TOML between `+++` lines")
                    .at(1, 1)
                    .hint("replace the `---` lines with `+++` and write the keys as TOML"),
            );
        }
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let toml_text = &rest[..offset];
            return Ok((Some(toml_text), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(
        Error::in_file(shown, "front matter opened with `+++` is never closed")
            .at(1, 1)
            .hint("add a line with just `+++` after the front matter"),
    )
}

fn front_matter_error(err: &toml::de::Error, toml_text: &str, shown: &Path) -> Error {
    let message = err.message().trim();
    let offset = err.span().map_or(0, |span| span.start);
    // Front matter starts on line 2 of the file, after the opening `+++`.
    let (line, column) = crate::error::line_column(toml_text, offset);
    let excerpt = toml_text.lines().nth(line - 1).map(str::to_string);
    let mut error = if let Some(unknown) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        let e = Error::in_file(shown, format!("unknown front matter key `{unknown}`"));
        match text::closest(unknown, FRONT_MATTER_KEYS) {
            Some(best) => e.hint(format!("did you mean `{best}`?")),
            None => e.hint(format!("known keys: {}", FRONT_MATTER_KEYS.join(", "))),
        }
    } else {
        Error::in_file(
            shown,
            format!(
                "bad front matter: {}",
                message.lines().next().unwrap_or("invalid TOML")
            ),
        )
        .hint("front matter is TOML, e.g. title = \"About me\"")
    };
    error = error.at(line + 1, column);
    error.excerpt = excerpt;
    error
}

/// `notes/lab1.md` → `notes/lab1/index.html`; `notes/index.md` → `notes/index.html`;
/// `index.md` → `index.html`.
pub fn output_path_for(source: &str) -> String {
    let stem = source.strip_suffix(".md").unwrap_or(source);
    if stem == "index" {
        return "index.html".to_string();
    }
    match stem.strip_suffix("/index") {
        Some(dir) => format!("{dir}/index.html"),
        None => format!("{stem}/index.html"),
    }
}

/// A translation's file name (Zola's convention): `notes/lab1.en.md` → `("notes/lab1.md",
/// "en")`. `None` when the part before `.md` is not a language tag (`notes/v1.2.md`).
pub fn translation_of(source: &str) -> Option<(String, &str)> {
    let stem = source.strip_suffix(".md")?;
    let (base, tag) = stem.rsplit_once('.')?;
    let name = base.rsplit('/').next().unwrap_or(base);
    if name.is_empty() || tag.contains('/') {
        return None;
    }
    crate::config::Language::parse(tag)?;
    Some((format!("{base}.md"), tag))
}

fn file_stem(source: &str) -> String {
    let name = source.rsplit('/').next().unwrap_or(source);
    name.strip_suffix(".md").unwrap_or(name).to_string()
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Renders Markdown (tables, footnotes, strikethrough, task lists, heading ids) to HTML and
/// returns the text of the first heading. Heading ids never repeat each other or `reserved_ids`.
pub fn render_markdown(markdown: &str, reserved_ids: &HashSet<String>) -> (String, Option<String>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut events: Vec<Event> = Parser::new_ext(markdown, options).collect();

    // Give every heading an id (unless written with {#id}) so it can be linked to.
    let mut used: HashSet<String> = reserved_ids.clone();
    let mut first_heading = None;
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[i] {
            let mut heading_text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    heading_text.push_str(t);
                }
                j += 1;
            }
            if let Event::Start(Tag::Heading { id, level, .. }) = &mut events[i] {
                let base = match id {
                    Some(given) => given.to_string(),
                    None => slugify(&heading_text),
                };
                let unique = unique_id(base, &mut used);
                *id = Some(CowStr::from(unique));
                if first_heading.is_none() && *level == HeadingLevel::H1 {
                    first_heading = Some(heading_text.trim().to_string());
                }
            }
            i = j;
        }
        i += 1;
    }

    drop_soft_breaks_between_cjk(&mut events);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (html, first_heading.filter(|t| !t.is_empty()))
}

/// A line break inside a Chinese or Japanese paragraph is not a word break: browsers would show
/// it as a stray space between two characters, so it is dropped there (as Pandoc's
/// `east_asian_line_breaks` does).
fn drop_soft_breaks_between_cjk(events: &mut Vec<Event>) {
    let last_char = |e: &Event| match e {
        Event::Text(t) => t.chars().next_back(),
        _ => None,
    };
    let first_char = |e: &Event| match e {
        Event::Text(t) => t.chars().next(),
        _ => None,
    };
    let mut keep = vec![true; events.len()];
    for i in 1..events.len().saturating_sub(1) {
        if matches!(events[i], Event::SoftBreak)
            && last_char(&events[i - 1]).is_some_and(is_wide)
            && first_char(&events[i + 1]).is_some_and(is_wide)
        {
            keep[i] = false;
        }
    }
    let mut flags = keep.into_iter();
    events.retain(|_| flags.next().unwrap_or(true));
}

/// Han, kana, CJK punctuation and full-width forms: scripts written without spaces between
/// words. (Hangul is written with spaces, so it is not included.)
fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FFF}'
        | '\u{3000}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// A URL fragment for a heading: lower case, words joined by `-`, CJK and other letters kept.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            slug.push(c);
        } else if (c.is_whitespace() || c == '-') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "section".to_string()
    } else {
        slug
    }
}

fn unique_id(base: String, used: &mut HashSet<String>) -> String {
    let mut candidate = base.clone();
    let mut n = 1;
    while used.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

/// Every Markdown file under `content_dir`, as paths relative to it with `/` separators, sorted.
pub fn list_sources(content_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut sources = crate::walk::files(content_dir)?;
    sources.retain(|(_, path)| path.extension().and_then(|e| e.to_str()) == Some("md"));
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(src: &str) -> Result<Page> {
        parse_page(
            "notes/lab1.md",
            Path::new("content/notes/lab1.md"),
            src.as_bytes(),
            &HashSet::new(),
        )
    }

    #[test]
    fn front_matter_and_markdown_features() {
        let p = page(
            "+++\r\ntitle = \"实验一\"\r\nweight = 2\r\n+++\r\n# 标题 One\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ [^1]\n\n- [x] done\n\n[^1]: note\n\n<span class=\"raw\">raw</span>\n",
        )
        .unwrap();
        assert_eq!(p.title, "实验一");
        assert_eq!(p.weight, 2);
        assert_eq!(p.output_path, "notes/lab1/index.html");
        assert!(p.html.contains("<h1 id=\"标题-one\">"), "{}", p.html);
        assert!(p.html.contains("<table>"));
        assert!(p.html.contains("<del>old</del>"));
        assert!(p.html.contains("checkbox"));
        assert!(p.html.contains("footnote-definition"));
        assert!(p.html.contains("<span class=\"raw\">raw</span>"));
    }

    #[test]
    fn title_falls_back_to_heading_then_file_name() {
        assert_eq!(page("# Hello\n\ntext").unwrap().title, "Hello");
        assert_eq!(page("text only").unwrap().title, "lab1");
    }

    #[test]
    fn line_breaks_inside_chinese_text_add_no_space() {
        let (html, _) = render_markdown("第一行，\n第二行 and\nEnglish\n中文", &HashSet::new());
        assert_eq!(html, "<p>第一行，第二行 and\nEnglish\n中文</p>\n");
    }

    #[test]
    fn heading_ids_are_unique() {
        let reserved = HashSet::from(["main".to_string()]);
        let (html, _) = render_markdown("## Main\n## A\n## A\n## B {#custom}\n## !!!\n", &reserved);
        assert!(html.contains("id=\"main-1\""), "{html}");
        assert!(html.contains("id=\"a\""));
        assert!(html.contains("id=\"a-1\""));
        assert!(html.contains("id=\"custom\""));
        assert!(html.contains("id=\"section\""));
    }

    #[test]
    fn bad_inputs_name_the_line() {
        assert_eq!(page("  \n\n").unwrap_err().message, "is empty");
        let err = page("+++\ntitle = \"x\"\ntitel = 1\n+++\nbody").unwrap_err();
        assert_eq!(err.message, "unknown front matter key `titel`");
        assert_eq!(err.position, Some((3, 1)));
        assert_eq!(err.hint.as_deref(), Some("did you mean `title`?"));
        let err = page("+++\ntitle = \"x\n+++\nbody").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(2));
        let err = page("+++\ntitle = \"x\"\nbody").unwrap_err();
        assert!(err.message.contains("never closed"));
        let err = page("---\ntitle: x\n---\nbody").unwrap_err();
        assert!(err.message.contains("+++"));
        let err = page("+++\nweight = \"heavy\"\n+++\nbody").unwrap_err();
        assert!(err.message.starts_with("bad front matter"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(2));
    }

    #[test]
    fn translations_are_named_by_a_language_suffix() {
        assert_eq!(
            translation_of("index.en.md"),
            Some(("index.md".into(), "en"))
        );
        assert_eq!(
            translation_of("notes/lab1.zh-TW.md"),
            Some(("notes/lab1.md".into(), "zh-TW"))
        );
        for plain in [
            "index.md",
            "notes/v1.2.md",
            ".en.md",
            "a.b/c.md",
            "x.en_US.md",
        ] {
            assert_eq!(translation_of(plain), None, "{plain}");
        }
    }

    #[test]
    fn output_paths() {
        assert_eq!(output_path_for("index.md"), "index.html");
        assert_eq!(output_path_for("about.md"), "about/index.html");
        assert_eq!(output_path_for("about/index.md"), "about/index.html");
        assert_eq!(output_path_for("关于.md"), "关于/index.html");
    }
}
