//! `profile init DIR`: a new site that builds at once — the sample of a fictional student, or a
//! page for the person running it, from questions on a terminal or from options.
//!
//! Everything is checked before anything is written: the answers (a photo or recording is
//! checked as the build will check it), and the `site.toml` made from them, by the real config
//! parser. The files are then written into a staging directory beside `DIR` and renamed into
//! place, so a failure leaves no `DIR` and no half-written site.

pub mod ask;
pub mod files;
pub mod starter;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{self, Lang};
use crate::error::{Error, Result};
use crate::fs_retry;
use crate::media::MediaKind;
use crate::theme::{DEFAULT_FILES, THEME_DIR};

use files::{MediaFile, PathStyle};
use starter::Starter;

/// The sample logo and recording, which a person's own photo and recording replace.
const SAMPLE_LOGO: (&str, &[u8]) = ("assets/logo.svg", include_bytes!("../../assets/logo.svg"));
const SAMPLE_AUDIO: (&str, &[u8]) = (
    "assets/introduction.mp3",
    include_bytes!("../../assets/introduction.mp3"),
);

/// The new site's `.gitignore`: the build output and the media cache.
const GITIGNORE: &str = "/dist/\n/.profile-cache/\n";

/// Where the page opens under `profile serve`'s defaults.
const SERVE_URL: &str = "http://127.0.0.1:5000/";

/// What the person said about themselves. `None` keeps the sample's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    /// The page language (default: Chinese, the sample's).
    pub lang: Option<Lang>,
    /// Further languages, each with its own pages under `<tag>/` (`--lang zh-CN,en`).
    pub further: Vec<Lang>,
    /// 姓名 / Name.
    pub name: Option<String>,
    /// 学号 / Student ID.
    pub student_id: Option<String>,
    /// 专业 / Major.
    pub major: Option<String>,
    /// 学校 / School; `Some("")` for none.
    pub school: Option<String>,
    /// Their own photo or logo.
    pub photo: Option<MediaFile>,
    /// Their own recorded self-introduction.
    pub recording: Option<MediaFile>,
}

/// The options of `profile init` that describe the person, as given on the command line (the
/// doc comments below are their `--help` text).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Flags {
    /// Your name
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Your student ID (no spaces)
    #[arg(long, value_name = "ID")]
    pub student_id: Option<String>,
    /// Your major
    #[arg(long, value_name = "MAJOR")]
    pub major: Option<String>,
    /// Your school; "" for none
    #[arg(long, value_name = "SCHOOL")]
    pub school: Option<String>,
    /// The page's language: zh-CN, zh-TW or en [default: zh-CN]; several, the default first,
    /// for a page in each (zh-CN,en)
    #[arg(long, value_name = "LANG[,LANG...]")]
    pub lang: Option<String>,
    /// A photo or logo (PNG, JPEG, GIF, WebP or SVG), copied into DIR/assets/
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// A recorded self-introduction (MP3, M4A, WebM, Ogg, WAV or FLAC), copied into DIR/assets/
    #[arg(long, value_name = "FILE")]
    pub recording: Option<PathBuf>,
}

impl Flags {
    /// Whether any was given: then no question is asked.
    pub fn any(&self) -> bool {
        self.name.is_some()
            || self.student_id.is_some()
            || self.major.is_some()
            || self.school.is_some()
            || self.lang.is_some()
            || self.photo.is_some()
            || self.recording.is_some()
    }

    /// The answers they give, each checked; an error names the option and what to do.
    pub fn answers(&self) -> Result<Answers> {
        let mut langs = Vec::new();
        for tag in self.lang.iter().flat_map(|list| list.split(',')) {
            let lang = ask::parse_lang(tag).ok_or_else(|| {
                Error::new(format!("--lang `{tag}` is not a language profile knows"))
                    .hint("use --lang zh-CN or --lang en, or several: --lang zh-CN,en")
            })?;
            if langs.contains(&lang) {
                return Err(Error::new(format!("--lang names {} twice", lang.tag()))
                    .hint("name each language once, the default first: --lang zh-CN,en"));
            }
            langs.push(lang);
        }
        let lang = langs.first().copied();
        let further = langs.into_iter().skip(1).collect();
        let text = |value: &Option<String>, flag: &str, what: &str| -> Result<Option<String>> {
            let Some(value) = value else { return Ok(None) };
            let value = value.trim();
            if value.is_empty() {
                return Err(Error::new(format!("{flag} is empty"))
                    .hint(format!("write your {what} after it, e.g. {flag} \"...\"")));
            }
            if value.chars().any(char::is_control) {
                return Err(Error::new(format!(
                    "{flag} holds a line break or another control character"
                ))
                .hint(format!("write your {what} on one line")));
            }
            Ok(Some(value.to_string()))
        };
        let student_id = text(&self.student_id, "--student-id", "student ID")?;
        if let Some(id) = student_id
            .as_deref()
            .filter(|id| id.contains(char::is_whitespace))
        {
            return Err(Error::new(format!("--student-id `{id}` holds a space"))
                .hint("write the student ID without spaces"));
        }
        let school = match self.school.as_deref().map(str::trim) {
            // `--school ""` says there is none.
            Some("") => Some(String::new()),
            // A page for someone named must not claim the sample's school for them.
            None if self.name.is_some() => Some(String::new()),
            _ => text(&self.school, "--school", "school")?,
        };
        Ok(Answers {
            lang,
            further,
            name: text(&self.name, "--name", "name")?,
            student_id,
            major: text(&self.major, "--major", "major")?,
            school,
            photo: flag_media(self.photo.as_deref(), "--photo", MediaKind::Image)?,
            recording: flag_media(self.recording.as_deref(), "--recording", MediaKind::Audio)?,
        })
    }
}

fn flag_media(path: Option<&Path>, flag: &str, kind: MediaKind) -> Result<Option<MediaFile>> {
    let Some(path) = path else { return Ok(None) };
    files::check(path, kind).map(Some).map_err(|problem| {
        let keep = match kind {
            MediaKind::Image => "the sample logo",
            MediaKind::Audio => "the sample recording",
        };
        Error::new(format!(
            "{flag} {}: {}",
            path.display(),
            problem.describe(kind, Lang::En)
        ))
        .hint(format!(
            "give another file, or leave out {flag} to keep {keep}"
        ))
    })
}

/// `profile init DIR`: asks the questions when stdin and stdout are a terminal and no option
/// describing the person was given; otherwise takes the options (the sample's values for the
/// rest). Then creates the site.
pub fn run(dir: &Path, flags: &Flags, with_theme: bool) -> Result<Report> {
    use std::io::IsTerminal;
    // Before the questions: being told the folder is taken after answering them all is worse.
    check_target(dir)?;
    let answers =
        if !flags.any() && std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            ask::ask(
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                &PathStyle::of_this_machine(),
            )?
        } else {
            flags.answers()?
        };
    create(dir, &answers, with_theme)
}

/// Creates the sample site in `dir`, which must be missing or empty; with `with_theme`, also
/// copies the built-in templates and stylesheet into `dir/theme/` for editing.
pub fn init(dir: &Path, with_theme: bool) -> Result<()> {
    create(dir, &Answers::default(), with_theme).map(drop)
}

/// Creates a site with `answers` written in, in `dir`, which must be missing or empty.
pub fn create(dir: &Path, answers: &Answers, with_theme: bool) -> Result<Report> {
    check_target(dir)?;
    let files = plan(answers, with_theme)?;
    write_all(dir, &files)?;
    Ok(Report {
        dir: dir.to_path_buf(),
        files: files.iter().map(|f| (f.path.clone(), f.role)).collect(),
    })
}

/// What a file of the new site is, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `site.toml`.
    Config,
    /// `content/index.md`.
    Page,
    /// The person's photo or logo.
    OwnLogo,
    /// The sample logo.
    SampleLogo,
    /// The person's recording.
    OwnAudio,
    /// The sample recording.
    SampleAudio,
    /// `.gitignore`.
    GitIgnore,
    /// A theme file.
    Theme,
}

/// One file to write: its `/`-separated path in the site, its contents and what it is.
struct File {
    path: String,
    body: Vec<u8>,
    role: Role,
}

/// Every file of the new site, made and checked in memory.
fn plan(answers: &Answers, with_theme: bool) -> Result<Vec<File>> {
    let starter = Starter::new(answers.lang.unwrap_or(Lang::ZhCn));
    let file = |path: &str, body: &[u8], role| File {
        path: path.to_string(),
        body: body.to_vec(),
        role,
    };
    let asset = |name: String| format!("assets/{name}");
    let mut logo = answers.photo.as_ref().map(|p| asset(p.asset_name("photo")));
    let mut audio = answers
        .recording
        .as_ref()
        .map(|r| asset(r.asset_name("introduction")));
    // Two own files of one name (a photo and a recording both called `me`...) must not
    // overwrite each other; nor may an own file take the name of a sample kept beside it.
    let clash = |logo: &Option<String>, audio: &Option<String>| {
        let logo = logo.as_deref().unwrap_or(SAMPLE_LOGO.0);
        logo.eq_ignore_ascii_case(audio.as_deref().unwrap_or(SAMPLE_AUDIO.0))
    };
    if let (true, Some(recording)) = (clash(&logo, &audio), &answers.recording) {
        audio = Some(asset(recording.fallback_name("introduction")));
    }
    if let (true, Some(photo)) = (clash(&logo, &audio), &answers.photo) {
        logo = Some(asset(photo.fallback_name("photo")));
    }

    let mut site_toml = starter.site_toml(answers, logo.as_deref(), audio.as_deref());
    let mut translations = Vec::new();
    for &lang in &answers.further {
        let other = Starter::new(lang);
        site_toml.push_str(&other.language_table(answers, logo.as_deref(), audio.as_deref()));
        translations.push(file(
            &format!("content/index.{}.md", lang.tag()),
            other.index_md(answers).as_bytes(),
            Role::Page,
        ));
    }
    verify(&site_toml, answers, logo.as_deref(), audio.as_deref())?;

    let mut files = vec![
        file(config::CONFIG_FILE, site_toml.as_bytes(), Role::Config),
        file(
            "content/index.md",
            starter.index_md(answers).as_bytes(),
            Role::Page,
        ),
    ];
    files.extend(translations);
    files.push(match (&logo, &answers.photo) {
        (Some(path), Some(photo)) => file(path, &photo.bytes, Role::OwnLogo),
        _ => file(SAMPLE_LOGO.0, SAMPLE_LOGO.1, Role::SampleLogo),
    });
    files.push(match (&audio, &answers.recording) {
        (Some(path), Some(recording)) => file(path, &recording.bytes, Role::OwnAudio),
        _ => file(SAMPLE_AUDIO.0, SAMPLE_AUDIO.1, Role::SampleAudio),
    });
    // What a build makes is not the site's source: keep it out of git.
    files.push(file(".gitignore", GITIGNORE.as_bytes(), Role::GitIgnore));
    if with_theme {
        for (name, body) in DEFAULT_FILES {
            files.push(file(
                &format!("{THEME_DIR}/{name}"),
                body.as_bytes(),
                Role::Theme,
            ));
        }
    }
    Ok(files)
}

/// Parses the `site.toml` about to be written with the real config parser and checks that it
/// says what was answered: a last guard, before anything is written, that the text written in
/// could not have changed the file's meaning.
fn verify(
    site_toml: &str,
    answers: &Answers,
    logo: Option<&str>,
    audio: Option<&str>,
) -> Result<()> {
    let parsed = config::parse(site_toml, Path::new(config::CONFIG_FILE), Path::new("."));
    let faithful = parsed.as_ref().is_ok_and(|config| {
        let p = &config.profile;
        let tags: Vec<&str> = config
            .translations
            .iter()
            .map(|t| t.lang.tag.as_str())
            .collect();
        let wanted: Vec<&str> = answers.further.iter().map(|l| l.tag()).collect();
        let same = |given: &Option<String>, got: &str| given.as_deref().is_none_or(|g| g == got);
        same(&answers.name, &p.name)
            && same(&answers.student_id, &p.student_id)
            && same(&answers.major, &p.major)
            && answers
                .school
                .as_deref()
                .is_none_or(|s| p.school.as_deref().unwrap_or("") == s)
            && logo.is_none_or(|l| p.logo.written == l)
            && audio.is_none_or(|a| p.audio.written == a)
            && tags == wanted
    });
    if faithful {
        return Ok(());
    }
    let why = parsed
        .err()
        .map_or_else(|| "it says something else".to_string(), |e| e.to_string());
    Err(Error::new(format!(
        "could not write the answers into site.toml ({why}); nothing was written"
    ))
    .hint("this is a bug in profile: please report it with the answers given"))
}

/// Refuses a `dir` that exists and is not an empty directory.
fn check_target(dir: &Path) -> Result<()> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::in_file(dir, "is not empty")
                    .hint("pass a new or empty directory, e.g. profile init my-profile"));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if dir.exists() && !dir.is_dir() => {
            Err(Error::in_file(dir, "is a file, not a directory")
                .hint("pass a new or empty directory, e.g. profile init my-profile"))
        }
        Err(e) => Err(Error::io(dir, &e)),
    }
}

/// Writes `files` into `dir` all at once: into a staging directory beside the topmost folder
/// that does not exist yet, renamed into place at the end; or, when `dir` exists (empty), into
/// a staging directory beside it whose entries are then moved in. Any failure removes what was
/// staged, so there is either a whole new site or none. The renames wait out an antivirus that
/// is still scanning a file just written (`fs_retry`).
fn write_all(dir: &Path, files: &[File]) -> Result<()> {
    let existing = dir.exists();
    // The folder that appears: `dir` itself, or its topmost missing ancestor (`a` for `a/b/c`
    // when there is no `a`), so that not even empty parents are left behind by a failure.
    let top = if existing {
        dir.to_path_buf()
    } else {
        dir.ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .last()
            .unwrap_or(dir)
            .to_path_buf()
    };
    let absolute = std::path::absolute(&top).map_err(|e| Error::io(&top, &e))?;
    let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return Err(Error::in_file(dir, "cannot be made into a site")
            .hint("name a new folder, e.g. profile init my-profile"));
    };
    let name = name.to_string_lossy();
    remove_stale_staging(parent, &name);
    let staging = parent.join(format!(".{name}.init-{}", std::process::id()));
    // Where the site is inside the staging directory: `b/c` for `a/b/c`.
    let inner = if existing {
        staging.clone()
    } else {
        staging.join(dir.strip_prefix(&top).unwrap_or(Path::new("")))
    };
    let result = stage(&inner, files).and_then(|()| {
        if existing {
            move_entries(&staging, dir)
        } else {
            fs_retry::rename(&staging, &top).map_err(|e| Error::io(&top, &e))
        }
    });
    if result.is_err() || staging.exists() {
        let _ = fs_retry::remove_dir_all(&staging);
    }
    result
}

fn stage(inner: &Path, files: &[File]) -> Result<()> {
    for file in files {
        let path = inner.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
        }
        fs::write(&path, &file.body).map_err(|e| Error::io(&path, &e))?;
    }
    Ok(())
}

/// Moves every entry of `staging` into the empty `dir`; on a failure, moves those already moved
/// back, so `dir` is left empty.
fn move_entries(staging: &Path, dir: &Path) -> Result<()> {
    let entries: Vec<_> = fs::read_dir(staging)
        .and_then(|entries| entries.map(|e| e.map(|e| e.file_name())).collect())
        .map_err(|e| Error::io(staging, &e))?;
    let mut moved = Vec::new();
    for name in entries {
        let target = dir.join(&name);
        // A file that appeared meanwhile is not replaced.
        let result = if target.exists() {
            Err(Error::in_file(dir, "is not empty any more")
                .hint("something else is writing into it; pass a new or empty directory"))
        } else {
            fs_retry::rename(staging.join(&name), &target).map_err(|e| Error::io(&target, &e))
        };
        if let Err(err) = result {
            for name in moved.iter().rev() {
                let _ = fs_retry::rename(dir.join(name), staging.join(name));
            }
            return Err(err);
        }
        moved.push(name);
    }
    Ok(())
}

/// Staging directories left beside `name` by an `init` that was killed.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.init-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && entry.path().is_dir() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// What `init` created, printed as the list of files and the commands to run next.
#[derive(Debug, Clone)]
pub struct Report {
    /// The new site's directory, as given.
    pub dir: PathBuf,
    /// Every file written (`/`-separated, relative to `dir`) and what it is.
    pub files: Vec<(String, Role)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = crate::text::display_path(&self.dir, Path::new(""));
        let shown = if shown.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            shown
        };
        if shown == Path::new(".") {
            writeln!(f, "Created a new site here:")?;
        } else {
            writeln!(f, "Created a new site in {}:", shown.display())?;
        }
        let mut rows: Vec<(String, &str)> = Vec::new();
        for (path, role) in &self.files {
            let note = match role {
                Role::Config => "the page's details (name, student ID, major...)",
                Role::Page => "the text of the page (Markdown)",
                Role::OwnLogo => "your photo or logo",
                Role::SampleLogo => "a sample logo: replace it with your photo",
                Role::OwnAudio => "your recording",
                Role::SampleAudio => "a sample recording: replace it with your own",
                Role::GitIgnore => "keeps dist/ and .profile-cache/ out of git",
                Role::Theme => continue,
            };
            rows.push((path.clone(), note));
        }
        let themed = self.files.iter().filter(|(_, r)| *r == Role::Theme).count();
        if themed > 0 {
            rows.push((
                format!("{THEME_DIR}/ ({themed} files)"),
                "the templates and stylesheet, to edit",
            ));
        }
        let width = rows
            .iter()
            .map(|(path, _)| display_width(path))
            .max()
            .unwrap_or(0);
        for (path, note) in rows {
            let pad = " ".repeat(width - display_width(&path));
            writeln!(f, "  {path}{pad}  {note}")?;
        }
        writeln!(f, "Next, see your page:")?;
        if shown != Path::new(".") {
            writeln!(f, "  cd {}", shell_quote(&shown.display().to_string()))?;
        }
        writeln!(f, "  profile serve")?;
        write!(
            f,
            "then open {SERVE_URL} in a browser; the page updates as you edit site.toml and content/index.md."
        )
    }
}

/// Columns `text` takes in a terminal: two for each wide (CJK, full-width) character, so the
/// notes after a Chinese file name line up.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// `my-site` as it is; `"my profile"` quoted, so a pasted `cd` works in sh, PowerShell and
/// cmd alike; `'it'\''s'` in POSIX quotes when double quotes would not keep it literal.
pub fn shell_quote(text: &str) -> String {
    let plain =
        |c: char| c.is_alphanumeric() || "-_./:@+,%=".contains(c) || (c == '\\' && cfg!(windows));
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    if cfg!(windows) || !text.contains(['"', '$', '`', '\\', '!']) {
        return format!("\"{text}\"");
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gitignore_names_the_cache_directory() {
        assert!(GITIGNORE.contains(&format!("/{}/", crate::cache::CACHE_DIR)));
    }

    #[test]
    fn directories_are_quoted_when_a_shell_needs_it() {
        assert_eq!(shell_quote("my-profile"), "my-profile");
        assert_eq!(shell_quote("我的主页"), "我的主页");
        assert_eq!(shell_quote("my profile"), "\"my profile\"");
        assert_eq!(shell_quote("我的 主页"), "\"我的 主页\"");
        assert_eq!(shell_quote("it's"), "\"it's\"");
        if !cfg!(windows) {
            assert_eq!(shell_quote("a \"b\" $c"), "'a \"b\" $c'");
        }
    }

    #[test]
    fn flags_are_checked_and_name_the_option() {
        let err = |flags: Flags| flags.answers().unwrap_err().to_string();
        let e = err(Flags {
            lang: Some("fr".into()),
            ..Flags::default()
        });
        assert_eq!(
            e,
            "--lang `fr` is not a language profile knows (use --lang zh-CN or --lang en, or several: --lang zh-CN,en)"
        );
        let ok = Flags {
            lang: Some("en,zh-TW".into()),
            ..Flags::default()
        }
        .answers()
        .unwrap();
        assert_eq!(ok.lang, Some(Lang::En));
        assert_eq!(ok.further, [Lang::ZhTw]);
        let e = err(Flags {
            name: Some("  ".into()),
            ..Flags::default()
        });
        assert!(e.starts_with("--name is empty"), "{e}");
        let e = err(Flags {
            student_id: Some("2024 01".into()),
            ..Flags::default()
        });
        assert!(e.starts_with("--student-id `2024 01` holds a space"), "{e}");
        let e = err(Flags {
            photo: Some("/no/such/photo.jpg".into()),
            ..Flags::default()
        });
        assert_eq!(
            e,
            "--photo /no/such/photo.jpg: no such file: check the path (give another file, or leave out --photo to keep the sample logo)"
        );
        let ok = Flags {
            school: Some(String::new()),
            lang: Some("en".into()),
            ..Flags::default()
        }
        .answers()
        .unwrap();
        assert_eq!(ok.school.as_deref(), Some(""));
        assert_eq!(ok.lang, Some(Lang::En));
    }

    #[test]
    fn a_failure_while_writing_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/site");
        let files = vec![
            File {
                path: "site.toml".into(),
                body: b"x".to_vec(),
                role: Role::Config,
            },
            // A file and a folder of one name: the second cannot be made.
            File {
                path: "site.toml/oops".into(),
                body: b"y".to_vec(),
                role: Role::Page,
            },
        ];
        assert!(write_all(&dir, &files).is_err());
        let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");

        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert!(write_all(&empty, &files).is_err());
        assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only `empty` is there"
        );
    }

    #[test]
    fn nested_new_folders_appear_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/site");
        create(&dir, &Answers::default(), false).unwrap();
        assert!(dir.join("site.toml").is_file());
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a"], "no staging directory is left");
    }

    #[test]
    fn a_stale_staging_directory_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".site.init-99999999")).unwrap();
        fs::create_dir(tmp.path().join(".other.init-1")).unwrap();
        create(&tmp.path().join("site"), &Answers::default(), false).unwrap();
        assert!(!tmp.path().join(".site.init-99999999").exists());
        assert!(
            tmp.path().join(".other.init-1").exists(),
            "another site's is kept"
        );
    }

    #[test]
    fn a_photo_and_a_recording_of_one_name_do_not_collide() {
        let photo = MediaFile {
            source: PathBuf::from("/x/me.dat"),
            bytes: b"p".to_vec(),
            format: &crate::media::PNG,
        };
        let recording = MediaFile {
            source: PathBuf::from("/y/me.dat"),
            bytes: b"r".to_vec(),
            format: &crate::media::WAV,
        };
        let answers = Answers {
            photo: Some(photo),
            recording: Some(recording),
            ..Answers::default()
        };
        let files = plan(&answers, false).unwrap();
        let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"assets/me.dat"), "{paths:?}");
        assert!(paths.contains(&"assets/introduction.wav"), "{paths:?}");
        assert!(
            !paths.contains(&"assets/logo.svg"),
            "the sample logo is left out"
        );
    }
}
