//! The starter site's text — the sample `site.toml` and `content/index.md` in each language —
//! and writing a person's answers into it.
//!
//! The answers are written into the sample line by line rather than by serialising a new
//! document: the sample's comments are what teaches a student the file, and a TOML serialiser
//! would drop them. Every value written is encoded by the `toml` crate, so any text (quotes,
//! backslashes, Chinese, emoji) gives a valid file; [`super::create`] parses the result with the
//! real config parser before anything is written, as a last check.

use std::path::Path;

use crate::config::{self, Lang, SiteConfig};

use super::Answers;

/// The Chinese starter is the example site at the root of this repository, so that what `init`
/// writes and what the README shows cannot drift apart.
const ZH_SITE: &str = include_str!("../../site.toml");
const ZH_INDEX: &str = include_str!("../../content/index.md");
/// The English starter is kept as real files beside this module (not strings in code), so it
/// can be read, edited and built like the Chinese one.
const EN_SITE: &str = include_str!("en/site.toml");
const EN_INDEX: &str = include_str!("en/index.md");

/// The example's further languages start at this line of its `site.toml`.
const FURTHER_LANGUAGES: &str = "\n# Further languages:";

/// The example `site.toml` without its further languages, which hold the example person's
/// values in those languages (a one-language starter's answers are written in one).
fn one_language(site: &'static str) -> &'static str {
    site.split_once(FURTHER_LANGUAGES)
        .map_or(site, |(one, _)| one)
}

/// One language's starter: its files and the words used when answers are written in.
pub struct Starter {
    /// The page language the starter is written in.
    pub lang: Lang,
    site: &'static str,
    index: &'static str,
    words: &'static Words,
}

/// What differs between the languages when a person's answers are written in.
struct Words {
    title: fn(&str) -> String,
    description: fn(&str, &str, Option<&str>) -> String,
    page_description: fn(&str) -> String,
    /// The sample's name and major as its page text has them, replaced by the person's.
    page_name: &'static str,
    page_major: &'static str,
    major_in_page: fn(&str) -> String,
    transcript_placeholder: &'static str,
    email_placeholder: &'static str,
    email_note: &'static str,
    /// Said next to the sample recording when a page for someone else keeps it.
    sample_audio_note: &'static str,
    /// The comment above a further language's table (after "# Further languages:"), given its
    /// tag.
    further_note: fn(&str) -> String,
}

static ZH_WORDS: Words = Words {
    title: |name| format!("{name} · 个人主页"),
    description: |name, major, school| match school {
        Some(school) => {
            format!("{name}，{school}{major}专业学生的个人主页：基本信息、标志与语音自我介绍。")
        }
        None => format!("{name}，{major}专业学生的个人主页：基本信息、标志与语音自我介绍。"),
    },
    page_description: |name| format!("{name}的自我介绍"),
    page_name: "**李华**",
    page_major: "计算机科学与技术专业",
    major_in_page: |major| format!("{major}专业"),
    transcript_placeholder: "你在录音里说的话，会显示在播放器下面",
    email_placeholder: "you@example.edu.cn",
    email_note: "你的邮箱，去掉行首的 # 就会显示在页面上",
    sample_audio_note: "示例录音（李华的自我介绍）：换成你自己的录音",
    further_note: |tag| {
        format!(" 这种语言的页面在 {tag}/ 下，没写的项沿用默认语言的；\n# content/index.{tag}.md 是它的自我介绍。")
    },
};

static EN_WORDS: Words = Words {
    title: |name| format!("{name} — Profile"),
    description: |name, major, school| {
        match school {
        Some(school) => format!("Profile page of {name}, {major} student at {school}: basic information, logo and a spoken self-introduction."),
        None => format!("Profile page of {name}, {major} student: basic information, logo and a spoken self-introduction."),
    }
    },
    page_description: |name| format!("About {name}"),
    page_name: "**Li Hua**",
    page_major: "a student of Computer Science and Technology",
    major_in_page: |major| format!("a student of {major}"),
    transcript_placeholder: "What you say in your recording, shown under the player",
    email_placeholder: "you@example.edu.cn",
    email_note: "your email address: remove the # at the start to show it on the page",
    sample_audio_note: "a sample in Chinese: replace it with your own recording",
    further_note: |tag| {
        format!(" this language's pages are under {tag}/; what its tables do not say is the\n# default language's. content/index.{tag}.md is its self-introduction.")
    },
};

impl Starter {
    /// The starter for `lang`.
    pub fn new(lang: Lang) -> Starter {
        match lang {
            // The Traditional Chinese page gets the Simplified starter's text (its labels are
            // its own): a student edits the sample's words anyway.
            Lang::ZhCn | Lang::ZhTw => Starter {
                lang,
                site: one_language(ZH_SITE),
                index: ZH_INDEX,
                words: &ZH_WORDS,
            },
            Lang::En => Starter {
                lang,
                site: EN_SITE,
                index: EN_INDEX,
                words: &EN_WORDS,
            },
        }
    }

    /// The sample's own values (name, student ID, major...): the defaults the questions offer.
    pub fn sample(&self) -> SiteConfig {
        config::parse(self.site, Path::new(config::CONFIG_FILE), Path::new("."))
            .expect("the starter site.toml is valid (checked by the tests)")
    }

    /// The sample's `site.toml` with `answers` written in; `logo` and `audio` are the paths to
    /// write for the person's own photo and recording. Nothing given: the sample as it is.
    pub fn site_toml(&self, answers: &Answers, logo: Option<&str>, audio: Option<&str>) -> String {
        let sample = self.sample().profile;
        let words = self.words;
        let personal = is_personal(answers, &sample.name);
        let name = answers.name.as_deref().unwrap_or(&sample.name);
        let major = answers.major.as_deref().unwrap_or(&sample.major);
        let school = match answers.school.as_deref() {
            Some("") => None,
            Some(school) => Some(school),
            None => sample.school.as_deref(),
        };
        let about_changed =
            answers.name.is_some() || answers.major.is_some() || answers.school.is_some();
        rewrite(self.site, |table, key| match (table, key) {
            ("", "title") => answers
                .name
                .as_ref()
                .map(|_| Change::Value(toml_string(&(words.title)(name)))),
            ("", "description") if about_changed => Some(Change::Value(toml_string(&(words
                .description)(
                name, major, school,
            )))),
            ("profile", "name") => answers.name.as_deref().map(value),
            ("profile", "student_id") => answers.student_id.as_deref().map(value),
            ("profile", "major") => answers.major.as_deref().map(value),
            ("profile", "school") => match answers.school.as_deref() {
                Some("") => Some(Change::CommentOut {
                    value: None,
                    note: None,
                }),
                Some(school) => Some(value(school)),
                None => None,
            },
            ("profile", "logo") => logo.map(value),
            // The note on the sample recording (the English starter's "a sample in Chinese")
            // goes with it.
            ("profile", "audio") => match audio {
                Some(audio) => Some(Change::Bare(toml_string(audio))),
                None if personal => Some(Change::Note(words.sample_audio_note)),
                None => None,
            },
            // The sample's transcript says what the sample recording says, and names the
            // sample person: not shown under another recording, nor on another person's page.
            ("profile", "transcript") if audio.is_some() || personal => Some(Change::CommentOut {
                value: Some(toml_string(words.transcript_placeholder)),
                note: None,
            }),
            // A page for someone else must not show the sample person's address, links and
            // rows; they stay in the file, commented out, as examples to fill in.
            ("profile", "email") if personal => Some(Change::CommentOut {
                value: Some(toml_string(words.email_placeholder)),
                note: Some(words.email_note),
            }),
            ("profile.links" | "profile.extra", _) if personal => Some(Change::CommentOut {
                value: None,
                note: None,
            }),
            _ => None,
        })
    }

    /// `[languages.<tag>]` for a site whose default language is another starter's: this
    /// starter's title, description and profile words with `answers` written in (what it does
    /// not name is the default language's).
    pub fn language_table(
        &self,
        answers: &Answers,
        logo: Option<&str>,
        audio: Option<&str>,
    ) -> String {
        let site = self.site_toml(answers, logo, audio);
        // Written by this starter, so it parses (the caller checks the whole file again).
        let Ok(config) = config::parse(&site, Path::new(config::CONFIG_FILE), Path::new("."))
        else {
            return String::new();
        };
        let tag = self.lang.tag();
        let p = &config.profile;
        let mut out = format!(
            "{FURTHER_LANGUAGES}{}\n[languages.{tag}]\ntitle = {}\ndescription = {}\n\n[languages.{tag}.profile]\nname = {}\nmajor = {}\n",
            (self.words.further_note)(tag),
            toml_string(&config.title),
            toml_string(&config.description),
            toml_string(&p.name),
            toml_string(&p.major),
        );
        if let Some(school) = &p.school {
            out.push_str(&format!("school = {}\n", toml_string(school)));
        }
        if let Some(transcript) = &p.transcript {
            out.push_str(&format!("transcript = {}\n", toml_string(transcript)));
        }
        if !p.extra.is_empty() {
            out.push_str(&format!("\n[languages.{tag}.profile.extra]\n"));
            for (label, text) in &p.extra {
                out.push_str(&format!("{} = {}\n", toml_string(label), toml_string(text)));
            }
        }
        out
    }

    /// The sample's `content/index.md` with the person's name and major written in.
    pub fn index_md(&self, answers: &Answers) -> String {
        let words = self.words;
        let Some((front, body)) = split_front_matter(self.index) else {
            unreachable!("the starter index.md has front matter (checked by the tests)");
        };
        let front = match answers.name.as_deref() {
            Some(name) => rewrite(front, |table, key| {
                (table.is_empty() && key == "description")
                    .then(|| Change::Value(toml_string(&(words.page_description)(name))))
            }),
            None => front.to_string(),
        };
        let mut body = body.to_string();
        if let Some(name) = &answers.name {
            // `**` only opens and closes emphasis next to a letter or digit here (the Chinese
            // text around it is punctuation to CommonMark); a name such as `'Ann'` goes plain.
            let bold =
                name.starts_with(char::is_alphanumeric) && name.ends_with(char::is_alphanumeric);
            let shown = markdown_text(name);
            let shown = if bold { format!("**{shown}**") } else { shown };
            body = body.replacen(words.page_name, &shown, 1);
        }
        if let Some(major) = &answers.major {
            body = body.replacen(
                words.page_major,
                &(words.major_in_page)(&markdown_text(major)),
                1,
            );
        }
        format!("+++\n{front}+++\n{body}")
    }
}

/// Whether the page is for someone other than the sample person: their name was given.
fn is_personal(answers: &Answers, sample_name: &str) -> bool {
    answers
        .name
        .as_deref()
        .is_some_and(|name| name != sample_name)
}

/// `s` as a TOML string, quoted and escaped as needed.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn value(s: &str) -> Change {
    Change::Value(toml_string(s))
}

/// Text that Markdown shows as it is: every ASCII punctuation character is backslash-escaped
/// (CommonMark allows that for all of them), so a name cannot open emphasis, a link or raw HTML.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `+++\nFRONT+++\nBODY` → (FRONT, BODY), FRONT ending in a newline.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++\n")?;
    let end = rest.find("\n+++\n")? + 1;
    Some((&rest[..end], &rest[end + 4..]))
}

/// What to do with one `key = value` line of the sample.
#[derive(Debug)]
enum Change {
    /// A new value (TOML text), keeping the line's comment.
    Value(String),
    /// A new value (TOML text), dropping the line's comment.
    Bare(String),
    /// The same value with this comment.
    Note(&'static str),
    /// The line commented out, with `value` (TOML text) instead of the sample's if given, and
    /// `note` as its comment.
    CommentOut {
        value: Option<String>,
        note: Option<&'static str>,
    },
}

/// Applies `edit(table, key)` to every `key = value` line of a TOML `template` (`table` is
/// `""` before the first header, `profile.links` under `[profile.links]`); other lines, and
/// lines `edit` leaves alone, are kept byte for byte.
fn rewrite(template: &str, mut edit: impl FnMut(&str, &str) -> Option<Change>) -> String {
    let mut table = String::new();
    let mut out = String::with_capacity(template.len() + 256);
    for line in template.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let trimmed = body.trim_start();
        if let Some(header) = trimmed.strip_prefix('[') {
            table = header
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
        } else if let Some(entry) = Entry::parse(body) {
            if let Some(change) = edit(&table, &entry.key) {
                out.push_str(&entry.apply(change));
                out.push_str(newline);
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

/// A `key = value  # comment` line, in pieces.
#[derive(Debug, PartialEq)]
struct Entry<'a> {
    /// The key as written (`name`, `"年级"`).
    written_key: &'a str,
    /// The key itself.
    key: String,
    /// The value as written.
    value: &'a str,
    /// What follows the value: spaces and a comment, or nothing.
    rest: &'a str,
}

impl<'a> Entry<'a> {
    /// The pieces of a line holding one key with a one-line string, number or boolean value;
    /// `None` for anything else (comments, blank lines, headers).
    fn parse(line: &'a str) -> Option<Entry<'a>> {
        let line = line.trim_start();
        let (key, key_len) = if let Some(quoted) = line.strip_prefix('"') {
            let end = quoted.find('"')?;
            (quoted[..end].to_string(), end + 2)
        } else {
            let len = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(line.len());
            (line[..len].to_string(), len)
        };
        if key.is_empty() {
            return None;
        }
        let written_key = &line[..key_len];
        let after_key = line[key_len..].trim_start().strip_prefix('=')?;
        let value_start = line.len() - after_key.trim_start().len();
        let value_text = &line[value_start..];
        let value_len = match value_text.as_bytes().first()? {
            b'"' => closing_quote(value_text, true)?,
            b'\'' => closing_quote(value_text, false)?,
            _ => value_text
                .find(|c: char| c.is_whitespace() || c == '#')
                .unwrap_or(value_text.len()),
        };
        let rest = &value_text[value_len..];
        let comment_or_nothing = rest.trim_start();
        if !(comment_or_nothing.is_empty() || comment_or_nothing.starts_with('#')) {
            return None;
        }
        Some(Entry {
            written_key,
            key,
            value: &value_text[..value_len],
            rest,
        })
    }

    fn apply(&self, change: Change) -> String {
        let key = self.written_key;
        match change {
            Change::Value(value) => format!("{key} = {value}{}", self.rest),
            Change::Bare(value) => format!("{key} = {value}"),
            Change::Note(note) => format!("{key} = {}  # {note}", self.value),
            Change::CommentOut { value, note } => {
                let value = value.as_deref().unwrap_or(self.value);
                match note {
                    Some(note) => format!("# {key} = {value}  # {note}"),
                    None => format!("# {key} = {value}"),
                }
            }
        }
    }
}

/// The length of a one-line string starting at `text[0]`, through its closing quote.
fn closing_quote(text: &str, escapes: bool) -> Option<usize> {
    let quote = text.as_bytes()[0];
    let mut i = 1;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "Zoë \"Zed\" O'Brien",
        r"back\slash \n \u0041 C:\Users\me",
        "'single' and '''triple''' and \"\"\"",
        "张三 🎓 ☃",
        "# not a comment = [x] {y}",
        "trailing backslash \\",
        "tab\tinside",
        "<script>alert(1)</script> **bold** [link](x) &amp;",
    ];

    fn parse(text: &str) -> SiteConfig {
        config::parse(text, Path::new("site.toml"), Path::new("."))
            .unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
    }

    fn given(name: &str, id: &str, major: &str, school: &str) -> Answers {
        Answers {
            name: Some(name.into()),
            student_id: Some(id.into()),
            major: Some(major.into()),
            school: Some(school.into()),
            ..Answers::default()
        }
    }

    #[test]
    fn both_starters_are_valid_and_in_their_language() {
        for (lang, name) in [(Lang::ZhCn, "李华"), (Lang::En, "Li Hua")] {
            let starter = Starter::new(lang);
            let sample = starter.sample();
            assert_eq!(sample.lang, crate::config::Language::of(lang));
            assert_eq!(sample.profile.name, name);
            assert!(sample.profile.transcript.is_some());
            let body = split_front_matter(starter.index).expect("front matter").1;
            assert_eq!(body.matches(starter.words.page_name).count(), 1);
            assert_eq!(body.matches(starter.words.page_major).count(), 1);
        }
    }

    #[test]
    fn nothing_given_writes_the_sample_unchanged() {
        for lang in [Lang::ZhCn, Lang::En] {
            let starter = Starter::new(lang);
            let answers = Answers::default();
            assert_eq!(starter.site_toml(&answers, None, None), starter.site);
            assert_eq!(starter.index_md(&answers), starter.index);
        }
    }

    #[test]
    fn hostile_strings_round_trip_through_the_config_parser() {
        for lang in [Lang::ZhCn, Lang::En] {
            let starter = Starter::new(lang);
            for text in HOSTILE {
                let id = text.replace(char::is_whitespace, "");
                let answers = given(text, &id, text, text);
                let logo = format!("assets/{text}.png");
                let toml = starter.site_toml(&answers, Some(&logo), Some("assets/a \"b\".wav"));
                let config = parse(&toml);
                let profile = &config.profile;
                assert_eq!(profile.name, text.trim());
                assert_eq!(profile.student_id, id);
                assert_eq!(profile.major, text.trim());
                assert_eq!(profile.school.as_deref(), Some(text.trim()));
                assert_eq!(profile.logo.written, crate::text::portable_path(&logo));
                assert_eq!(profile.audio.written, "assets/a \"b\".wav");
                assert_eq!(config.title, (starter.words.title)(text).trim());
                assert!(config.description.contains(text.trim()));
                // The page text: front matter parses, and the name is shown literally.
                let page = starter.index_md(&answers);
                let page = crate::content::parse_page(
                    "index.md",
                    Path::new("content/index.md"),
                    page.as_bytes(),
                    &Default::default(),
                )
                .unwrap_or_else(|e| panic!("{e}\n---\n{page}"));
                assert_eq!(
                    page.description.as_deref(),
                    Some((starter.words.page_description)(text).trim())
                );
                // pulldown-cmark escapes these three in text, and nothing else.
                let shown = text
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                assert!(
                    page.html.contains(&shown),
                    "{text:?} not shown literally in:\n{}",
                    page.html
                );
                assert_eq!(
                    page.html.matches("**").count(),
                    2 * text.matches("**").count(),
                    "{}",
                    page.html
                );
            }
        }
    }

    #[test]
    fn the_comments_of_the_sample_are_kept() {
        for lang in [Lang::ZhCn, Lang::En] {
            let starter = Starter::new(lang);
            let toml = starter.site_toml(&given("Ann", "1", "Physics", "MIT"), None, None);
            let comments = |text: &str| {
                text.lines()
                    .filter(|l| l.trim_start().starts_with('#'))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            for comment in comments(starter.site) {
                assert!(toml.contains(&comment), "lost {comment:?}");
            }
            assert!(
                toml.contains("# \"en\" or \"zh-CN\"") || toml.contains("# \"zh-CN\" or \"en\"")
            );
        }
    }

    #[test]
    fn another_person_does_not_get_the_sample_persons_address_links_or_rows() {
        let starter = Starter::new(Lang::ZhCn);
        let toml = starter.site_toml(&given("张三", "2024000001", "物理学", ""), None, None);
        let config = parse(&toml);
        assert_eq!(config.title, "张三 · 个人主页");
        assert_eq!(
            config.description,
            "张三，物理学专业学生的个人主页：基本信息、标志与语音自我介绍。"
        );
        assert_eq!(config.profile.school, None);
        assert_eq!(config.profile.email, None);
        assert!(config.profile.links.is_empty());
        assert!(config.profile.extra.is_empty());
        assert!(toml.contains("# email = \"you@example.edu.cn\""), "{toml}");
        assert!(
            toml.contains("# GitHub = \"https://github.com/example\""),
            "{toml}"
        );
        assert!(toml.contains("# school = "), "{toml}");
        // The sample recording is kept, and says whose it is.
        assert!(
            toml.contains("audio = \"assets/introduction.mp3\"  # 示例录音"),
            "{toml}"
        );
        assert_eq!(config.profile.transcript, None);
        assert!(toml.contains("# transcript = \"你在录音里说的话"), "{toml}");
        // The same name as the sample's is the sample person.
        let same = starter.site_toml(&given("李华", "1", "物理学", "示例大学"), None, None);
        assert!(parse(&same).profile.email.is_some());
    }

    #[test]
    fn an_own_recording_replaces_the_sample_transcript_with_a_placeholder() {
        let starter = Starter::new(Lang::En);
        let answers = Answers::default();
        let toml = starter.site_toml(&answers, None, Some("assets/me.wav"));
        let config = parse(&toml);
        assert_eq!(config.profile.transcript, None);
        assert!(toml
            .contains("# transcript = \"What you say in your recording, shown under the player\""));
        // The note about the Chinese sample goes with the sample.
        assert!(toml.contains("audio = \"assets/me.wav\"\n"), "{toml}");
        assert!(!toml.contains("a sample in Chinese"), "{toml}");
        // Without one, the English starter says the sample is Chinese speech.
        assert!(starter
            .site
            .contains("audio = \"assets/introduction.mp3\"  # a sample in Chinese"));
    }

    #[test]
    fn english_description_names_the_school_when_there_is_one() {
        let starter = Starter::new(Lang::En);
        let with = parse(&starter.site_toml(&given("Ann Lee", "42", "Physics", "MIT"), None, None));
        assert_eq!(with.title, "Ann Lee — Profile");
        assert_eq!(
            with.description,
            "Profile page of Ann Lee, Physics student at MIT: basic information, logo and a spoken self-introduction."
        );
        let without = parse(&starter.site_toml(&given("Ann Lee", "42", "Physics", ""), None, None));
        assert!(without
            .description
            .starts_with("Profile page of Ann Lee, Physics student:"));
    }

    #[test]
    fn entries_are_split_into_key_value_and_comment() {
        let entry = Entry::parse("lang = \"zh-CN\"   # a \"comment\"").unwrap();
        assert_eq!(
            entry,
            Entry {
                written_key: "lang",
                key: "lang".into(),
                value: "\"zh-CN\"",
                rest: "   # a \"comment\"",
            }
        );
        let entry = Entry::parse("\"年级\" = \"2023 \\\" 级\"").unwrap();
        assert_eq!(
            (entry.key.as_str(), entry.value),
            ("年级", "\"2023 \\\" 级\"")
        );
        assert_eq!(Entry::parse("weight = 10").unwrap().value, "10");
        assert_eq!(Entry::parse("# name = \"x\""), None);
        assert_eq!(Entry::parse("[profile]"), None);
        assert_eq!(Entry::parse("a = \"unclosed"), None);
        assert_eq!(Entry::parse("a = \"x\" junk"), None);
    }

    #[test]
    fn markdown_text_escapes_what_markdown_would_read() {
        assert_eq!(markdown_text("A*B_[c]<d>"), "A\\*B\\_\\[c\\]\\<d\\>");
        assert_eq!(markdown_text("张三"), "张三");
    }
}
