//! One test per kind of user mistake: each must be one clear `error: ` message naming the file
//! (and line:column where there is one) with the key fact, no panic, and the previously built
//! `dist/` untouched.
//!
//! Most cases run the build in this process (`profile::build`, which `profile build` calls), and
//! read the message as the command prints it: `error: ` and the error's `Display`. A few run the
//! `profile` binary too ([`cli_build_error`]): exit status 1, that one message on stderr and
//! nothing else, and the same message the library gives.

use std::path::Path;

use crate::common;

use common::*;

/// Builds the good example site, breaks it with `break_it`, builds again, and checks the failure
/// has the common shape and left `dist/` as it was. Returns the message as `profile build` in
/// the site's folder prints it.
fn build_error(break_it: impl FnOnce(&Site)) -> String {
    let site = Site::example();
    build_error_in(&site, break_it)
}

fn build_error_in(site: &Site, break_it: impl FnOnce(&Site)) -> String {
    let dist = site.dist();
    profile::build(site.root(), &dist).unwrap_or_else(|e| panic!("the good site: {e}"));
    let before = snapshot(&dist);
    break_it(site);
    let stderr = library_error(site.root());
    assert_same_tree(&before, &snapshot(&dist));
    assert_eq!(leftovers(&dist), Vec::<String>::new());
    stderr
}

/// What `profile build` run in `root` prints for the site there, through the library: the
/// message with paths shown from `root` (the command, given no folder, shows `site.toml`; the
/// library, given `root`, shows `root/site.toml`). Panics if the build succeeds.
fn library_error(root: &Path) -> String {
    let err = profile::build(root, &root.join("dist")).expect_err("the broken site built");
    let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);
    format!("error: {err}\n").replace(&prefix, "")
}

/// [`build_error`] with the `profile` binary: exit status 1, the message on stderr, and the same
/// message as the library's.
fn cli_build_error(break_it: impl FnOnce(&Site)) -> String {
    let site = Site::example();
    site.build();
    let before = snapshot(&site.dist());
    break_it(&site);
    let stderr = site.run(&["build"]).assert_user_error().to_string();
    assert_same_tree(&before, &snapshot(&site.dist()));
    assert_eq!(leftovers(&site.dist()), Vec::<String>::new());
    assert_eq!(stderr, library_error(site.root()));
    stderr
}

/// The `site.toml` line number of the first line containing `needle`, in the example site.
fn example_line(needle: &str) -> usize {
    line_of(&Site::example().read("site.toml"), needle)
}

// ---- site.toml ----

#[test]
fn toml_syntax_error_names_the_line_and_shows_it() {
    let line = example_line("name = \"李华\"");
    let stderr =
        cli_build_error(|site| site.replace("site.toml", "name = \"李华\"", "name = \"李华"));
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:")),
        "{stderr}"
    );
    // The offending line is shown under the message, with a caret under the column.
    assert!(
        stderr.contains(&format!(" {line} | name = \"李华\n")),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with('^'), "{stderr}");
}

#[test]
fn missing_required_field_is_named() {
    let stderr =
        build_error(|site| site.replace("site.toml", "major = \"计算机科学与技术\"\n", ""));
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("missing `major`"), "{stderr}");
    assert!(
        stderr.contains("major = "),
        "the hint shows what to add: {stderr}"
    );
}

#[test]
fn missing_profile_table_is_named() {
    let stderr = build_error(|site| {
        let text = site.read("site.toml");
        let cut = text.find("[profile]").unwrap();
        site.write("site.toml", &text[..cut]);
    });
    assert!(stderr.starts_with("error: site.toml: "), "{stderr}");
    assert!(stderr.contains("[profile]"), "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let line = example_line("name = \"李华\"");
    let stderr =
        build_error(|site| site.replace("site.toml", "name = \"李华\"", "nmae = \"李华\""));
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:1: ")),
        "{stderr}"
    );
    assert!(stderr.contains("unknown key `nmae`"), "{stderr}");
    assert!(stderr.contains("did you mean `name`?"), "{stderr}");
}

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let stderr = build_error(|site| site.replace("site.toml", "lang = ", "lnag = "));
    assert!(stderr.contains("unknown key `lnag`"), "{stderr}");
    assert!(stderr.contains("did you mean `lang`?"), "{stderr}");
}

#[test]
fn missing_logo_shows_the_path_tried() {
    let line = example_line("logo = ");
    let stderr =
        build_error(|site| site.replace("site.toml", "assets/logo.svg", "assets/my-logo.png"));
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:")),
        "{stderr}"
    );
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(stderr.contains("(tried "), "{stderr}");
    let tried = &stderr[stderr.find("(tried ").unwrap()..];
    assert!(tried.contains("assets/my-logo.png"), "{stderr}");
}

#[test]
fn text_file_as_logo_is_refused() {
    let line = example_line("logo = ");
    let stderr = build_error(|site| {
        site.write("assets/logo.txt", "my logo will go here\n");
        site.replace("site.toml", "assets/logo.svg", "assets/logo.txt");
    });
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("`assets/logo.txt` is not an image"),
        "{stderr}"
    );
    assert!(stderr.contains("text"), "says what it is instead: {stderr}");
}

#[test]
fn mp3_as_logo_says_it_is_audio() {
    let stderr = build_error(|site| {
        site.replace(
            "site.toml",
            "logo = \"assets/logo.svg\"",
            "logo = \"assets/introduction.mp3\"",
        )
    });
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("is not an image"), "{stderr}");
    assert!(stderr.contains("MP3 audio"), "{stderr}");
}

#[test]
fn png_as_audio_says_it_is_an_image() {
    let line = example_line("audio = ");
    let stderr = build_error(|site| {
        site.write(
            "assets/photo.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
        );
        site.replace("site.toml", "assets/introduction.mp3", "assets/photo.png");
    });
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("`assets/photo.png` is not audio"),
        "{stderr}"
    );
    assert!(stderr.contains("PNG image"), "{stderr}");
}

#[test]
fn html_file_as_audio_is_refused() {
    let stderr = build_error(|site| {
        site.write(
            "assets/intro.mp3",
            "<!DOCTYPE html>\n<html><body>Not Found</body></html>\n",
        );
        site.replace("site.toml", "assets/introduction.mp3", "assets/intro.mp3");
    });
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("is not audio"), "{stderr}");
    assert!(stderr.contains("HTML document"), "{stderr}");
}

#[test]
fn pdf_as_audio_is_refused() {
    let stderr = build_error(|site| {
        site.write("assets/intro.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
        site.replace("site.toml", "assets/introduction.mp3", "assets/intro.pdf");
    });
    assert!(stderr.contains("is not audio"), "{stderr}");
    assert!(stderr.contains("PDF document"), "{stderr}");
}

#[test]
fn missing_site_toml_suggests_profile_init() {
    let stderr = cli_build_error(|site| site.remove("site.toml"));
    assert!(
        stderr.starts_with("error: site.toml: not found"),
        "{stderr}"
    );
    assert!(stderr.contains("profile init"), "{stderr}");
}

// ---- content ----

#[test]
fn empty_markdown_is_refused() {
    let stderr = build_error(|site| site.write("content/about.md", "  \n\n"));
    assert!(
        stderr.starts_with(&native("error: content/about.md: ")),
        "{stderr}"
    );
    assert!(stderr.contains("empty"), "{stderr}");
}

#[test]
fn gbk_markdown_is_refused_at_the_first_bad_byte() {
    let stderr = build_error(|site| {
        let mut bytes = b"# About\n\n".to_vec();
        bytes.extend_from_slice(b"\xc4\xe3\xba\xc3"); // 你好 in GBK
        site.write("content/about.md", bytes);
    });
    assert!(
        stderr.starts_with(&native("error: content/about.md:3:1: ")),
        "{stderr}"
    );
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    assert!(stderr.contains("GBK"), "{stderr}");
}

#[test]
fn utf16_markdown_is_refused() {
    let stderr = build_error(|site| {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "# 关于我\n\n你好\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        site.write("content/about.md", bytes);
    });
    assert!(
        stderr.starts_with(&native("error: content/about.md: ")),
        "{stderr}"
    );
    assert!(stderr.contains("UTF-16"), "{stderr}");
    assert!(
        stderr.contains("UTF-8"),
        "the hint says what to use: {stderr}"
    );
}

#[test]
fn front_matter_syntax_error_names_the_file_line() {
    let stderr = build_error(|site| {
        site.write(
            "content/about.md",
            "+++\nweight = 1\ntitle = \"About\n+++\nbody\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: content/about.md:3:")),
        "{stderr}"
    );
    assert!(stderr.contains("front matter"), "{stderr}");
    assert!(stderr.contains(" 3 | title = \"About\n"), "{stderr}");
}

#[test]
fn front_matter_unknown_key_suggests_the_right_one() {
    let stderr = build_error(|site| {
        site.write(
            "content/about.md",
            "+++\ntitle = \"About\"\nwieght = 2\n+++\nbody\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: content/about.md:3:1: ")),
        "{stderr}"
    );
    assert!(stderr.contains("`wieght`"), "{stderr}");
    assert!(stderr.contains("did you mean `weight`?"), "{stderr}");
}

#[test]
fn yaml_front_matter_is_explained() {
    let stderr =
        build_error(|site| site.write("content/about.md", "---\ntitle: About\n---\nbody\n"));
    assert!(
        stderr.starts_with(&native("error: content/about.md:1:1: ")),
        "{stderr}"
    );
    assert!(stderr.contains("+++"), "{stderr}");
}

#[test]
fn unclosed_front_matter_is_explained() {
    let stderr =
        build_error(|site| site.write("content/about.md", "+++\ntitle = \"About\"\n\n# About\n"));
    assert!(
        stderr.starts_with(&native("error: content/about.md:")),
        "{stderr}"
    );
    assert!(stderr.contains("never closed"), "{stderr}");
}

#[test]
fn two_pages_writing_the_same_url_are_refused() {
    let stderr = build_error(|site| {
        site.write("content/about.md", "# About\n");
        site.write("content/about/index.md", "# About too\n");
    });
    assert!(stderr.contains("content/about.md"), "{stderr}");
    assert!(stderr.contains("content/about/index.md"), "{stderr}");
    assert!(stderr.contains("about/index.html"), "{stderr}");
}

#[test]
fn pages_differing_only_in_letter_case_are_refused() {
    let site = Site::example();
    site.write("content/about.md", "# about\n");
    site.write("content/About.md", "# About\n");
    if site.read("content/about.md") == site.read("content/About.md") {
        common::skip("errors::pages_differing_only_in_letter_case_are_refused: this file system ignores letter case");
        return;
    }
    site.remove("content/about.md");
    site.remove("content/About.md");
    let stderr = build_error_in(&site, |site| {
        site.write("content/about.md", "# about\n");
        site.write("content/About.md", "# About\n");
    });
    assert!(stderr.contains("content/about.md"), "{stderr}");
    assert!(stderr.contains("content/About.md"), "{stderr}");
    assert!(stderr.contains("case"), "{stderr}");
}

#[test]
fn broken_draft_is_still_an_error() {
    let stderr = build_error(|site| {
        site.write(
            "content/draft.md",
            "+++\ndraft = true\ntitel = \"x\"\n+++\nbody\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: content/draft.md:3:1: ")),
        "{stderr}"
    );
}

// ---- theme ----

#[test]
fn template_syntax_error_names_the_template_and_line() {
    let stderr = cli_build_error(|site| {
        site.write(
            "theme/page.html",
            "{% extends \"base.html\" %}\n{% block main %}\n<p>{% if %}</p>\n{% endblock main %}\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: theme/page.html:3:")),
        "{stderr}"
    );
    assert!(stderr.contains("template"), "{stderr}");
}

#[test]
fn template_with_unknown_variable_names_the_template() {
    let stderr = build_error(|site| {
        site.write(
            "theme/profile.html",
            "{% extends \"base.html\" %}\n{% block main %}\n{{ profile.nmae }}{{ no_such_thing }}\n{% endblock main %}\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: theme/profile.html")),
        "{stderr}"
    );
    assert!(stderr.contains("profile.nmae"), "{stderr}");
}

#[test]
fn page_template_with_unknown_variable_names_the_template() {
    let stderr = build_error(|site| {
        site.write("content/about.md", "# About\n");
        site.write(
            "theme/page.html",
            "{% extends \"base.html\" %}\n{% block main %}{{ page_title }}{% endblock main %}\n",
        )
    });
    assert!(
        stderr.starts_with(&native("error: theme/page.html")),
        "{stderr}"
    );
    assert!(stderr.contains("page_title"), "{stderr}");
}

#[test]
fn unknown_variable_in_base_template_names_base_html() {
    let stderr = build_error(|site| {
        let base = profile::theme::DEFAULT_FILES
            .iter()
            .find(|(name, _)| *name == "base.html")
            .unwrap()
            .1;
        // The footer's, which every page renders (the first one is in the base_url block).
        let footer = "<p>{{ site_title }}</p>";
        assert!(base.contains(footer));
        site.write(
            "theme/base.html",
            base.replacen(footer, "<p>{{ site_titel }}</p>", 1),
        );
    });
    assert!(stderr.contains("site_titel"), "{stderr}");
    assert!(
        stderr.starts_with(&native("error: theme/base.html")),
        "{stderr}"
    );
}

#[test]
fn stray_file_in_theme_is_refused() {
    let stderr = build_error(|site| site.write("theme/logo.png", b"\x89PNG\r\n\x1a\n"));
    assert!(
        stderr.starts_with(&native("error: theme/logo.png: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("assets/"),
        "the hint says where it goes: {stderr}"
    );
}

// ---- the same through the library ----

#[test]
fn library_check_returns_the_error_with_its_position() {
    let site = Site::example();
    let line = example_line("name = \"李华\"");
    site.replace("site.toml", "name = \"李华\"", "nmae = \"李华\"");
    let err = profile::check(site.root()).unwrap_err();
    assert!(err.file.as_deref().unwrap().ends_with("site.toml"), "{err}");
    assert_eq!(err.position, Some((line, 1)));
    assert_eq!(err.hint.as_deref(), Some("did you mean `name`?"));
}

#[test]
fn empty_name_is_refused() {
    let line = example_line("name = \"李华\"");
    let stderr = build_error(|site| site.replace("site.toml", "name = \"李华\"", "name = \"  \""));
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:")),
        "{stderr}"
    );
    assert!(stderr.contains("`name`"), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
}

#[test]
fn a_language_that_is_not_a_tag_is_refused() {
    let stderr =
        build_error(|site| site.replace("site.toml", "lang = \"zh-CN\"", "lang = \"中文\""));
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("`中文`"), "{stderr}");
    assert!(
        stderr.contains("zh-CN"),
        "the hint names a supported one: {stderr}"
    );
}

#[test]
fn javascript_link_is_refused() {
    let stderr = build_error(|site| {
        site.replace(
            "site.toml",
            "GitHub = \"https://github.com/example\"",
            "GitHub = \"javascript:alert(1)\"",
        )
    });
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("javascript:alert(1)"), "{stderr}");
    assert!(stderr.contains("https://"), "{stderr}");
}

#[test]
fn email_without_at_sign_is_refused() {
    let stderr = build_error(|site| {
        site.replace("site.toml", "lihua@example.edu.cn", "lihua.example.edu.cn")
    });
    assert!(stderr.starts_with("error: site.toml:"), "{stderr}");
    assert!(stderr.contains("not an email address"), "{stderr}");
}
