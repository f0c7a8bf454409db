//! `profile init` for a real person: options, the English starter, a person's own photo and
//! recording, refusals that write nothing, no questions without a terminal, and the questions
//! themselves on a real pseudo-terminal.

use crate::common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Builds the site in `dir` (relative to `cwd`) and returns its `index.html`.
fn build_page(cwd: &Path, dir: &str) -> String {
    profile(cwd, &["build", "--root", dir]).assert_ok();
    fs::read_to_string(cwd.join(dir).join("dist/index.html")).unwrap()
}

/// The names of the files of `dir/dist/assets`.
fn published(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("dist/assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A small photo, encoded by the `image` crate in `format`.
fn photo(path: &Path, format: image::ImageFormat) -> PathBuf {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    img.save_with_format(path, format).unwrap();
    path.to_path_buf()
}

/// Half a second of a 440 Hz tone as a 16-bit mono WAV.
fn recording(path: &Path) -> PathBuf {
    let rate: u32 = 16_000;
    let samples: Vec<i16> = (0..rate / 2)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    fs::write(path, wav).unwrap();
    path.to_path_buf()
}

/// Asserts a refusal: one line naming `needles`, exit status 1, and no `dir` (nor anything
/// else) created in `cwd`.
fn assert_refused(cwd: &Path, args: &[&str], needles: &[&str]) {
    let before: Vec<_> = fs::read_dir(cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let run = profile(cwd, args);
    let stderr = run.assert_user_error();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
    let after: Vec<_> = fs::read_dir(cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "{args:?} wrote something");
}

#[test]
fn options_fill_in_the_page_and_it_builds() {
    let tmp = scratch();
    let run = profile(
        tmp.path(),
        &[
            "init",
            "site",
            "--name",
            "张三",
            "--student-id",
            "2024000001",
            "--major",
            "物理学",
            "--school",
            "北京大学",
        ],
    );
    run.assert_ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let page = build_page(tmp.path(), "site");
    for shown in [
        "张三",
        "2024000001",
        "物理学",
        "北京大学",
        "<title>张三 · 个人主页</title>",
    ] {
        assert!(page.contains(shown), "`{shown}` not on the page:\n{page}");
    }
    assert!(page.contains("<html lang=\"zh-CN\""), "{page}");
    // Nothing of the sample person is shown as theirs: not the name, address or rows.
    for sample in [
        "李华",
        "lihua@example.edu.cn",
        "2023123456",
        "网络编程、开源软件",
    ] {
        assert!(!page.contains(sample), "`{sample}` is still on the page");
    }
}

#[test]
fn unspecified_values_are_the_samples() {
    let tmp = scratch();
    profile(tmp.path(), &["init", "site", "--major", "数学"]).assert_ok();
    let page = build_page(tmp.path(), "site");
    for shown in ["李华", "2023123456", "数学", "示例大学"] {
        assert!(page.contains(shown), "`{shown}` not on the page");
    }
}

#[test]
fn a_named_person_is_not_given_the_samples_school() {
    let tmp = scratch();
    profile(
        tmp.path(),
        &["init", "site", "--name", "Ann Lee", "--lang", "en"],
    )
    .assert_ok();
    let page = build_page(tmp.path(), "site");
    assert!(page.contains("Ann Lee"), "{page}");
    assert!(!page.contains("Example University"), "{page}");
}

#[test]
fn school_can_be_left_out() {
    let tmp = scratch();
    profile(
        tmp.path(),
        &["init", "site", "--name", "Ann", "--school", ""],
    )
    .assert_ok();
    let toml = fs::read_to_string(tmp.path().join("site/site.toml")).unwrap();
    assert!(toml.contains("\n# school = "), "{toml}");
    let page = build_page(tmp.path(), "site");
    assert!(!page.contains("学校"), "no school row:\n{page}");
}

#[test]
fn english_starter_has_english_labels_and_text() {
    let tmp = scratch();
    profile(
        tmp.path(),
        &[
            "init", "site", "--lang", "en", "--name", "Ann Lee", "--major", "Physics",
        ],
    )
    .assert_ok();
    let toml = fs::read_to_string(tmp.path().join("site/site.toml")).unwrap();
    assert!(toml.contains("lang = \"en\""), "{toml}");
    assert!(
        toml.contains("a sample in Chinese: replace it with your own recording"),
        "{toml}"
    );
    let page = build_page(tmp.path(), "site");
    assert!(page.contains("<html lang=\"en\""), "{page}");
    for shown in [
        "<title>Ann Lee — Profile</title>",
        "Student ID",
        "Major",
        "Hello! I&#39;m <strong>Ann Lee</strong>, a student of Physics.",
    ] {
        let found = page.contains(shown) || page.contains(&shown.replace("&#39;", "'"));
        assert!(found, "`{shown}` not on the page:\n{page}");
    }
    for chinese in ["姓名", "学号", "专业", "你好"] {
        assert!(!page.contains(chinese), "`{chinese}` on an English page");
    }
}

#[test]
fn the_english_sample_builds_as_it_is() {
    let tmp = scratch();
    profile(tmp.path(), &["init", "site", "--lang", "en"]).assert_ok();
    assert_eq!(
        fs::read(tmp.path().join("site/site.toml")).unwrap(),
        include_bytes!("../../src/init/en/site.toml")
    );
    let page = build_page(tmp.path(), "site");
    assert!(page.contains("Li Hua"), "{page}");
}

#[test]
fn own_png_photo_and_wav_recording_are_used() {
    let tmp = scratch();
    let png = photo(&tmp.path().join("me.png"), image::ImageFormat::Png);
    let wav = recording(&tmp.path().join("hello.wav"));
    profile(
        tmp.path(),
        &[
            "init",
            "site",
            "--photo",
            png.to_str().unwrap(),
            "--recording",
            wav.to_str().unwrap(),
        ],
    )
    .assert_ok();
    let site = tmp.path().join("site");
    assert_eq!(
        fs::read(site.join("assets/me.png")).unwrap(),
        fs::read(&png).unwrap()
    );
    assert_eq!(
        fs::read(site.join("assets/hello.wav")).unwrap(),
        fs::read(&wav).unwrap()
    );
    assert!(
        !site.join("assets/logo.svg").exists(),
        "the sample logo is left out"
    );
    assert!(!site.join("assets/introduction.mp3").exists());
    let toml = fs::read_to_string(site.join("site.toml")).unwrap();
    assert!(toml.contains("logo = \"assets/me.png\""), "{toml}");
    assert!(toml.contains("audio = \"assets/hello.wav\""), "{toml}");
    // The sample transcript says what the sample recording says: not kept for another.
    assert!(toml.contains("# transcript = "), "{toml}");
    let page = build_page(tmp.path(), "site");
    assert!(
        !page.contains("大家好，我叫李华"),
        "the sample transcript is gone"
    );
    let assets = published(&site);
    assert!(
        assets
            .iter()
            .any(|a| a.starts_with("me") && a.ends_with(".webp")),
        "{assets:?}"
    );
    assert!(
        assets
            .iter()
            .any(|a| a.starts_with("hello.") && a.ends_with(".wav")),
        "{assets:?}"
    );
    assert!(!assets
        .iter()
        .any(|a| a.starts_with("logo") || a.starts_with("introduction")));
    assert!(page.contains("assets/hello."), "{page}");
    assert!(page.contains("assets/me"), "{page}");
}

#[test]
fn own_jpeg_photo_with_a_chinese_name_and_spaces_is_used() {
    let tmp = scratch();
    let jpeg = photo(&tmp.path().join("我的 照片.jpg"), image::ImageFormat::Jpeg);
    profile(
        tmp.path(),
        &["init", "site", "--photo", jpeg.to_str().unwrap()],
    )
    .assert_ok();
    let site = tmp.path().join("site");
    assert!(site.join("assets/我的 照片.jpg").is_file());
    let page = build_page(tmp.path(), "site");
    // The build percent-encodes the name in every URL.
    assert!(
        page.contains("assets/%E6%88%91%E7%9A%84%20%E7%85%A7%E7%89%87"),
        "{page}"
    );
    assert!(published(&site).iter().any(|a| a.starts_with("我的 照片")));
}

#[test]
fn a_missing_photo_is_refused_and_nothing_is_written() {
    let tmp = scratch();
    assert_refused(
        tmp.path(),
        &[
            "init",
            "site",
            "--name",
            "Ann",
            "--photo",
            "no-such-photo.jpg",
        ],
        &["--photo", "no-such-photo.jpg", "no such file"],
    );
}

#[test]
fn bad_option_values_are_refused_and_nothing_is_written() {
    let tmp = scratch();
    let png = photo(&tmp.path().join("me.png"), image::ImageFormat::Png);
    fs::write(tmp.path().join("notes.txt"), "hello there").unwrap();
    let png = png.to_str().unwrap();
    assert_refused(
        tmp.path(),
        &["init", "site", "--lang", "fr"],
        &["--lang", "fr", "zh-CN"],
    );
    assert_refused(
        tmp.path(),
        &["init", "site", "--student-id", "2024 001"],
        &["--student-id", "space"],
    );
    assert_refused(
        tmp.path(),
        &["init", "site", "--name", " "],
        &["--name is empty"],
    );
    assert_refused(
        tmp.path(),
        &["init", "site", "--recording", png],
        &["--recording", "me.png", "not a recording", "PNG image"],
    );
    assert_refused(
        tmp.path(),
        &["init", "site", "--photo", "notes.txt"],
        &["--photo", "notes.txt", "not an image", "plain text"],
    );
    let folder = tmp.path().to_str().unwrap();
    assert_refused(
        tmp.path(),
        &["init", "site", "--photo", folder],
        &["--photo", "folder"],
    );
}

#[test]
fn without_a_terminal_and_options_nothing_is_asked_and_the_sample_is_written() {
    let tmp = scratch();
    let mut child = command(tmp.path(), &["init", "site"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Answers that would be taken if it asked: it must not read them (and may have exited,
    // closing the pipe, before they are written).
    let _ = child.stdin.take().unwrap().write_all(b"en\nAnn\n");
    let run = Run::of(child.wait_with_output().unwrap());
    run.assert_ok();
    for prompt in ["Language", "语言", "[", "Name", "姓名"] {
        assert!(
            !run.stdout.contains(prompt),
            "asked `{prompt}`:\n{}",
            run.stdout
        );
    }
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let site = tmp.path().join("site");
    assert_eq!(
        fs::read_to_string(site.join("site.toml")).unwrap(),
        common::one_language_example()
    );
    assert_eq!(
        fs::read(site.join("content/index.md")).unwrap(),
        fs::read(example_root().join("content/index.md")).unwrap()
    );
    build_page(tmp.path(), "site");
}

#[test]
fn a_directory_with_spaces_and_chinese_works_and_the_next_command_quotes_it() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["init", "我的 主页", "--name", "王五"]);
    run.assert_ok();
    assert!(
        run.stdout.contains("Created a new site in 我的 主页:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n  cd \"我的 主页\"\n  profile serve\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("http://127.0.0.1:5000/"),
        "{}",
        run.stdout
    );
    let page = build_page(tmp.path(), "我的 主页");
    assert!(page.contains("王五"));
    // No staging directory is left beside it.
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["我的 主页"]);
}

#[test]
fn a_plain_directory_name_is_not_quoted() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["init", "my-profile", "--lang", "en"]);
    run.assert_ok();
    assert!(run.stdout.contains("\n  cd my-profile\n"), "{}", run.stdout);
}

#[test]
fn hostile_text_in_options_gives_a_site_that_builds() {
    let tmp = scratch();
    let name = r#"Zoë "Z" O'Brien \ <b>🎓</b>"#;
    profile(
        tmp.path(),
        &[
            "init",
            "site",
            "--lang",
            "en",
            "--name",
            name,
            "--major",
            "C:\\Physics \"& Co\"",
        ],
    )
    .assert_ok();
    let page = build_page(tmp.path(), "site");
    assert!(page.contains("Zoë"), "{page}");
    assert!(
        page.contains("&lt;b&gt;🎓&lt;/b&gt;"),
        "escaped, never markup:\n{page}"
    );
    assert!(!page.contains("<b>🎓"), "{page}");
}

// ---- the questions, on a real pseudo-terminal ----

/// Whether util-linux `script` is here to give the binary a terminal; if not, says why the test
/// is skipped (or fails, under PROFILE_REQUIRE_TOOLS=1).
fn have_script() -> bool {
    let found = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("PROFILE_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "PROFILE_REQUIRE_TOOLS=1 but util-linux `script` is missing (apt-get install bsdutils)"
        );
        common::skip("init: util-linux `script` is missing, so there is no terminal to test on");
    }
    found
}

/// Runs `profile ARGS` in `cwd` on a pseudo-terminal made by `script`, typing `input`; returns
/// the exit status and everything the terminal showed. Bounded: killed after a minute.
fn on_terminal(cwd: &Path, args: &[&str], input: &str) -> (Option<i32>, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let line: Vec<String> = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut child = Command::new("script")
        .args(["-qec", &line.join(" "), "/dev/null"])
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("profile init on a terminal did not finish within a minute");
        }
    };
    let shown = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    (output.status.code(), shown)
}

#[test]
fn on_a_terminal_it_asks_and_asks_again_after_a_bad_answer() {
    if !have_script() {
        return;
    }
    let tmp = scratch();
    let png = photo(&tmp.path().join("My Photo.png"), image::ImageFormat::Png);
    let wav = recording(&tmp.path().join("voice.wav"));
    // As macOS Terminal's drag and drop writes it: spaces backslash-escaped.
    let dragged = png.to_str().unwrap().replace(' ', "\\ ");
    let input = format!(
        "en\nAnn Lee\n2024 001\n2024001\nPhysics\n\nmissing.jpg\n{dragged}\n\"{}\"\n",
        wav.display()
    );
    let (code, shown) = on_terminal(tmp.path(), &["init", "site"], &input);
    assert_eq!(code, Some(0), "{shown}");
    for text in [
        "Language / 语言 [zh-CN]: ",
        "Name [Li Hua]: ",
        "a student ID has no spaces",
        "School (optional) [none]: ",
        "missing.jpg: no such file: check the path",
        "Created a new site in site:",
        "cd site",
    ] {
        assert!(shown.contains(text), "`{text}` not shown:\n{shown}");
    }
    let site = tmp.path().join("site");
    assert!(site.join("assets/My Photo.png").is_file());
    assert!(site.join("assets/voice.wav").is_file());
    let page = build_page(tmp.path(), "site");
    assert!(page.contains("<html lang=\"en\""));
    for shown in ["Ann Lee", "2024001", "Physics"] {
        assert!(page.contains(shown), "`{shown}` not on the page");
    }
    assert!(
        !page.contains("Example University"),
        "Enter means no school"
    );
}

#[test]
fn on_a_terminal_end_of_input_cancels_and_writes_nothing() {
    if !have_script() {
        return;
    }
    let tmp = scratch();
    let (code, shown) = on_terminal(tmp.path(), &["init", "site"], "zh-CN\n张三\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("学号 [2023123456]: "), "{shown}");
    assert!(shown.contains("error: cancelled: "), "{shown}");
    assert!(!shown.contains("panicked"), "{shown}");
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn on_a_terminal_options_mean_no_questions() {
    if !have_script() {
        return;
    }
    let tmp = scratch();
    let (code, shown) = on_terminal(tmp.path(), &["init", "site", "--name", "Ann"], "");
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains("[zh-CN]"), "{shown}");
    assert!(tmp.path().join("site/site.toml").is_file());
}

#[test]
fn lang_with_two_languages_writes_a_two_language_starter() {
    let tmp = scratch();
    profile(
        tmp.path(),
        &[
            "init",
            "site",
            "--lang",
            "zh-CN,en",
            "--name",
            "张三",
            "--major",
            "物理学",
        ],
    )
    .assert_ok();
    let site = tmp.path().join("site");
    let config = fs::read_to_string(site.join("site.toml")).unwrap();
    assert!(config.contains("\n[languages.en]\n"), "{config}");
    assert!(site.join("content/index.en.md").is_file());
    let zh = build_page(tmp.path(), "site");
    assert!(zh.contains(r#"<html lang="zh-CN">"#));
    assert!(zh.contains(r#"hreflang="en">English</a>"#), "{zh}");
    let en = fs::read_to_string(site.join("dist/en/index.html")).unwrap();
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains("<h1>张三</h1>"));
    assert!(en.contains(">Student ID<"));

    let run = profile(tmp.path(), &["init", "again", "--lang", "en,EN"]);
    assert!(run.assert_user_error().contains("--lang names en twice"));
    assert!(!tmp.path().join("again").exists());
}
