//! The questions `profile init` asks on a terminal.
//!
//! Plain `read_line` and `write!` rather than a prompt crate (dialoguer, inquire): the questions
//! are seven lines of text with a default each, which needs no raw mode, arrow keys or colour;
//! raw-mode crates also break pasting and drag and drop in some Windows consoles, and would add
//! dependencies for little. Reading from any `BufRead` and writing to any `Write` keeps the whole
//! conversation testable with a `Cursor` and a `Vec`, without a terminal.

use std::io::{BufRead, Write};

use crate::config::Lang;
use crate::error::{Error, Result};
use crate::media::MediaKind;

use super::files::{self, MediaFile, PathStyle};
use super::starter::Starter;
use super::Answers;

/// The words of the questions in one language.
struct Words {
    intro: &'static str,
    name: &'static str,
    student_id: &'static str,
    major: &'static str,
    school: &'static str,
    none: &'static str,
    photo: &'static str,
    keep_logo: &'static str,
    recording: &'static str,
    keep_recording: &'static str,
    paths_tip: &'static str,
    id_has_spaces: &'static str,
    control_chars: &'static str,
    not_utf8: &'static str,
}

static ZH: Words = Words {
    intro: "回答几个问题来生成你的主页；直接按回车就用方括号里的值。按 Ctrl-C 可随时取消，结束前不会写入任何文件。",
    name: "姓名",
    student_id: "学号",
    major: "专业",
    school: "学校（可不填）",
    none: "不填",
    photo: "照片或标志（文件路径）",
    keep_logo: "用示例标志",
    recording: "自我介绍录音（文件路径）",
    keep_recording: "用示例录音",
    paths_tip: "提示：可以把文件拖进这个窗口，路径会自动填上。",
    id_has_spaces: "学号里不能有空格",
    control_chars: "不能包含控制字符",
    not_utf8: "输入的不是 UTF-8 文字",
};

static EN: Words = Words {
    intro: "Answer a few questions to make your page; press Enter to take the value in [brackets]. Ctrl-C cancels at any time; nothing is written before the end.",
    name: "Name",
    student_id: "Student ID",
    major: "Major",
    school: "School (optional)",
    none: "none",
    photo: "Photo or logo (a file path)",
    keep_logo: "keep the sample logo",
    recording: "Recorded self-introduction (a file path)",
    keep_recording: "keep the sample recording",
    paths_tip: "Tip: you can drag a file into this window to type its path.",
    id_has_spaces: "a student ID has no spaces",
    control_chars: "it cannot hold control characters",
    not_utf8: "that is not UTF-8 text",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn | Lang::ZhTw => &ZH,
        Lang::En => &EN,
    }
}

/// Asks for the language, name, student ID, major, school, photo and recording, each with a
/// default that Enter takes, asking again (with the reason) after an answer that would not
/// build. Paths are read as `paths` says. Input ending before the last answer cancels.
pub fn ask(input: &mut impl BufRead, out: &mut impl Write, paths: &PathStyle) -> Result<Answers> {
    let mut io = Conversation { input, out };
    io.say("Language / 语言: zh-CN (中文) or en (English)")?;
    let lang = io.question("Language / 语言 [zh-CN]: ", |answer| {
        if answer.is_empty() {
            return Ok(Lang::ZhCn);
        }
        parse_lang(answer).ok_or_else(|| "answer zh-CN or en / 请输入 zh-CN 或 en".to_string())
    })?;
    let t = words(lang);
    let sample = Starter::new(lang).sample().profile;
    io.say(t.intro)?;

    let text = |answer: &str| -> std::result::Result<Option<String>, String> {
        if answer.chars().any(char::is_control) {
            return Err(t.control_chars.to_string());
        }
        Ok((!answer.is_empty()).then(|| answer.to_string()))
    };
    // An empty answer takes the default, so the name can never be empty here.
    let name = io.question(&format!("{} [{}]: ", t.name, sample.name), text)?;
    let student_id = io.question(
        &format!("{} [{}]: ", t.student_id, sample.student_id),
        |answer| {
            if answer.contains(char::is_whitespace) {
                return Err(t.id_has_spaces.to_string());
            }
            text(answer)
        },
    )?;
    let major = io.question(&format!("{} [{}]: ", t.major, sample.major), text)?;
    let school = io.question(&format!("{} [{}]: ", t.school, t.none), |answer| {
        text(answer).map(Option::unwrap_or_default)
    })?;
    io.say(t.paths_tip)?;
    let photo = io.question(&format!("{} [{}]: ", t.photo, t.keep_logo), |answer| {
        media_answer(answer, MediaKind::Image, lang, paths)
    })?;
    let recording = io.question(
        &format!("{} [{}]: ", t.recording, t.keep_recording),
        |answer| media_answer(answer, MediaKind::Audio, lang, paths),
    )?;
    // A blank line between the conversation and the report of what was made.
    io.say("")?;
    Ok(Answers {
        lang: Some(lang),
        // The questions make a one-language page; `--lang zh-CN,en` makes more.
        further: Vec::new(),
        name,
        student_id,
        major,
        school: Some(school),
        photo,
        recording,
    })
}

/// `zh-CN`, `zh`, `en`, `en-GB`, and the languages' own names.
pub fn parse_lang(answer: &str) -> Option<Lang> {
    let lower = answer.trim().to_lowercase();
    match lower.as_str() {
        "中文" | "汉语" | "简体中文" | "chinese" | "cn" => Some(Lang::ZhCn),
        "english" | "英文" | "英语" => Some(Lang::En),
        _ => Lang::parse(&lower),
    }
}

fn media_answer(
    answer: &str,
    kind: MediaKind,
    lang: Lang,
    paths: &PathStyle,
) -> std::result::Result<Option<MediaFile>, String> {
    if answer.is_empty() {
        return Ok(None);
    }
    let path = paths.read(answer);
    if path.as_os_str().is_empty() {
        // Only quotes, `""`: as good as Enter.
        return Ok(None);
    }
    files::check(&path, kind)
        .map(Some)
        .map_err(|problem| format!("{}: {}", path.display(), problem.describe(kind, lang)))
}

struct Conversation<'a, R, W> {
    input: &'a mut R,
    out: &'a mut W,
}

impl<R: BufRead, W: Write> Conversation<'_, R, W> {
    fn say(&mut self, line: &str) -> Result<()> {
        writeln!(self.out, "{line}").map_err(output_error)
    }

    /// Asks until `check` accepts the trimmed answer, printing its reason after each refusal.
    fn question<T>(
        &mut self,
        prompt: &str,
        mut check: impl FnMut(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        loop {
            write!(self.out, "{prompt}").map_err(output_error)?;
            self.out.flush().map_err(output_error)?;
            let mut line = Vec::new();
            let read = self.input.read_until(b'\n', &mut line).map_err(|e| {
                Error::new(format!(
                    "cannot read the answer: {}",
                    crate::error::describe_io(&e)
                ))
            })?;
            if read == 0 {
                // Ctrl-D leaves the cursor after the prompt: end that line first.
                let _ = writeln!(self.out);
                return Err(cancelled());
            }
            let verdict = match std::str::from_utf8(&line) {
                Ok(answer) => check(answer.trim()),
                Err(_) => {
                    Err(words(Lang::En).not_utf8.to_string() + " / " + words(Lang::ZhCn).not_utf8)
                }
            };
            match verdict {
                Ok(value) => return Ok(value),
                Err(reason) => self.say(&format!("  {reason}"))?,
            }
        }
    }
}

fn cancelled() -> Error {
    Error::new("cancelled: the input ended before every question was answered; nothing was written")
        .hint(
            "run profile init again, or give the answers as options: --name, --student-id, --major",
        )
}

fn output_error(e: std::io::Error) -> Error {
    Error::new(format!(
        "cannot write the questions: {}",
        crate::error::describe_io(&e)
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::{Path, PathBuf};

    use super::*;

    /// This platform's way of reading paths (the tests type real temporary paths), with a
    /// home folder of its own.
    fn paths() -> PathStyle {
        PathStyle {
            home: Some(PathBuf::from("/home/ann")),
            windows: cfg!(windows),
        }
    }

    /// Runs the questions on scripted `input`; returns the answers and everything printed.
    fn script(input: &str) -> (Result<Answers>, String) {
        let mut out = Vec::new();
        let answers = ask(
            &mut Cursor::new(input.as_bytes().to_vec()),
            &mut out,
            &paths(),
        );
        (answers, String::from_utf8(out).unwrap())
    }

    fn sample_png(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        image::RgbImage::from_pixel(4, 3, image::Rgb([200, 30, 30]))
            .save_with_format(&path, image::ImageFormat::Png)
            .unwrap();
        path
    }

    #[test]
    fn enter_everywhere_takes_the_defaults() {
        let (answers, out) = script("\n\n\n\n\n\n\n");
        let answers = answers.unwrap();
        assert_eq!(
            answers,
            Answers {
                lang: Some(Lang::ZhCn),
                school: Some(String::new()),
                ..Answers::default()
            }
        );
        assert!(out.contains("姓名 [李华]: "), "{out}");
        assert!(out.contains("学号 [2023123456]: "), "{out}");
        assert!(
            out.contains("照片或标志（文件路径） [用示例标志]: "),
            "{out}"
        );
    }

    #[test]
    fn answers_are_taken_and_later_questions_use_the_language() {
        let tmp = tempfile::tempdir().unwrap();
        let photo = sample_png(tmp.path(), "my photo.png");
        let recording = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/introduction.mp3");
        let input = format!(
            "en\n  Ann Lee  \n2024 001\n2024001\nPhysics\nMIT\n\"{}\"\n'{}'\n",
            photo.display(),
            recording.display()
        );
        let (answers, out) = script(&input);
        let answers = answers.unwrap();
        assert_eq!(answers.lang, Some(Lang::En));
        assert_eq!(answers.name.as_deref(), Some("Ann Lee"));
        assert_eq!(answers.student_id.as_deref(), Some("2024001"));
        assert_eq!(answers.major.as_deref(), Some("Physics"));
        assert_eq!(answers.school.as_deref(), Some("MIT"));
        assert_eq!(answers.photo.unwrap().source, photo);
        assert_eq!(answers.recording.unwrap().source, recording);
        assert!(out.contains("Name [Li Hua]: "), "{out}");
        assert!(
            out.contains("  a student ID has no spaces\nStudent ID [2023123456]: "),
            "{out}"
        );
        assert!(!out.contains("姓名"), "{out}");
    }

    #[test]
    fn a_missing_file_is_asked_again_with_the_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let photo = sample_png(tmp.path(), "me.png");
        let missing = tmp.path().join("nope.jpg");
        let input = format!(
            "en\n\n\n\n\n{}\n{}\n{}\n\n",
            missing.display(),
            tmp.path().display(),
            photo.display()
        );
        let (answers, out) = script(&input);
        assert_eq!(answers.unwrap().photo.unwrap().source, photo);
        let prompt = "Photo or logo (a file path) [keep the sample logo]: ";
        assert_eq!(out.matches(prompt).count(), 3, "{out}");
        assert!(
            out.contains(&format!(
                "{prompt}  {}: no such file: check the path\n",
                missing.display()
            )),
            "{out}"
        );
        assert!(out.contains("that is a folder"), "{out}");
    }

    #[test]
    fn a_file_of_the_wrong_kind_is_refused_in_the_questions_language() {
        let tmp = tempfile::tempdir().unwrap();
        let photo = sample_png(tmp.path(), "me.png");
        // The photo offered as the recording, then Enter.
        let input = format!("zh-CN\n\n\n\n\n\n{}\n\n", photo.display());
        let (answers, out) = script(&input);
        assert_eq!(answers.unwrap().recording, None);
        assert!(
            out.contains("这不是录音，而是 a PNG image（请用 MP3, M4A/AAC, WebM/Opus, Ogg/Opus, WAV or FLAC）"),
            "{out}"
        );
    }

    #[test]
    fn drag_and_drop_escapes_and_home_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let photo = sample_png(tmp.path(), "My Photo (1).png");
        let style = PathStyle {
            home: Some(tmp.path().to_path_buf()),
            windows: cfg!(windows),
        };
        let mut out = Vec::new();
        let input = "en\n\n\n\n\n~/My Photo (1).png\n\n";
        let answers = ask(&mut Cursor::new(input), &mut out, &style).unwrap();
        assert_eq!(answers.photo.unwrap().source, photo);
        if cfg!(windows) {
            // `\` separates folders there: nothing is unescaped.
            return;
        }
        let escaped = photo
            .display()
            .to_string()
            .replace(' ', "\\ ")
            .replace('(', "\\(")
            .replace(')', "\\)");
        let input = format!("en\n\n\n\n\n{escaped} \n\n");
        let (answers, _) = script(&input);
        assert_eq!(answers.unwrap().photo.unwrap().source, photo);
    }

    #[test]
    fn end_of_input_cancels() {
        for input in ["", "en\n", "en\nAnn\n2024\nPhysics\n\n", "en\nAnn"] {
            let (answers, out) = script(input);
            let err = answers.unwrap_err();
            assert!(err.to_string().starts_with("cancelled: "), "{err}");
            assert!(err.to_string().contains("nothing was written"), "{err}");
            assert!(out.ends_with('\n'), "{out:?}");
        }
    }

    #[test]
    fn a_bad_language_and_bad_text_are_asked_again() {
        let (answers, out) = script("fr\nEnglish\nA\u{7}B\nAnn\n\n\n\n\n\n");
        let answers = answers.unwrap();
        assert_eq!(answers.lang, Some(Lang::En));
        assert_eq!(answers.name.as_deref(), Some("Ann"));
        assert!(
            out.contains("  answer zh-CN or en / 请输入 zh-CN 或 en\n"),
            "{out}"
        );
        assert!(
            out.contains("  it cannot hold control characters\n"),
            "{out}"
        );
        let mut bytes = b"en\n\xFF\xFE\n".to_vec();
        bytes.extend_from_slice(b"Ann\n\n\n\n\n\n");
        let mut out = Vec::new();
        let answers = ask(&mut Cursor::new(bytes), &mut out, &paths()).unwrap();
        assert_eq!(answers.name.as_deref(), Some("Ann"));
        assert!(String::from_utf8(out).unwrap().contains("not UTF-8"));
    }

    #[test]
    fn windows_line_ends_are_read() {
        let (answers, _) = script("en\r\nAnn\r\n42\r\n\r\n\r\n\r\n\r\n");
        let answers = answers.unwrap();
        assert_eq!(answers.name.as_deref(), Some("Ann"));
        assert_eq!(answers.student_id.as_deref(), Some("42"));
    }

    #[test]
    fn languages_are_recognised() {
        for (answer, lang) in [
            ("zh-CN", Lang::ZhCn),
            ("zh", Lang::ZhCn),
            ("中文", Lang::ZhCn),
            ("EN", Lang::En),
            ("en-GB", Lang::En),
            ("English", Lang::En),
        ] {
            assert_eq!(parse_lang(answer), Some(lang), "{answer}");
        }
        assert_eq!(parse_lang("fr"), None);
    }
}
