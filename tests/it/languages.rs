//! Multilingual sites (`[languages.<tag>]` and `content/*.<tag>.md`): the output tree, the
//! inherited values, the language switcher and the `hreflang` links.

use std::path::{Path, PathBuf};

use crate::common::*;

/// The example in both languages with a content page translated, one untranslated, and one in
/// English only.
fn bilingual_with_pages() -> Site {
    let site = Site::bilingual();
    site.write("content/notes.md", "# 笔记\n\n中文笔记。\n");
    site.write("content/notes.en.md", "# Notes\n\nEnglish notes.\n");
    site.write("content/lab/one.md", "# 实验一\n\n只有中文。\n");
    site.write("content/cv.en.md", "# CV\n\nEnglish only.\n");
    site
}

/// Every built HTML page, relative to `dist`, with `/` separators.
fn html_pages(dist: &Path) -> Vec<String> {
    html_files(dist).into_keys().collect()
}

/// The text between `start` and the next `end` after it, if any.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// The values of every `name="..."` attribute in `html`, in order.
fn attributes(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.split(&needle)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// `href` resolved against the page at `page` (relative to `dist`): the file it names.
fn resolve(dist: &Path, page: &str, href: &str) -> PathBuf {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for part in href.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            other => parts.push(other),
        }
    }
    let mut path = dist.to_path_buf();
    for part in parts {
        path.push(part);
    }
    if href.ends_with('/') {
        path.push("index.html");
    }
    path
}

#[test]
fn every_language_has_its_tree_and_the_assets_are_shared() {
    let site = bilingual_with_pages();
    site.build();
    let dist = site.dist();
    assert_eq!(
        html_pages(&dist),
        [
            "404.html",
            "en/cv/index.html",
            "en/index.html",
            "en/notes/index.html",
            "index.html",
            "lab/one/index.html",
            "notes/index.html",
        ]
    );
    // One stylesheet, one logo, one recording: nothing is published twice.
    let mut assets: Vec<String> = std::fs::read_dir(dist.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assets.sort();
    assert_eq!(assets.len(), 3, "{assets:?}");
    assert!(!dist.join("en/assets").exists());
}

#[test]
fn english_pages_have_english_labels_and_inherit_what_they_do_not_override() {
    let site = bilingual_with_pages();
    site.build();
    let en = site.page("en/index.html");
    assert!(en.contains(r#"<html lang="en">"#));
    for label in [
        ">Name<",
        ">Student ID<",
        ">Major<",
        ">Spoken self-introduction<",
    ] {
        assert!(en.contains(label), "en/index.html lacks {label}");
    }
    assert!(!en.contains(">姓名<"));
    // Overridden: the name, major, and the extra rows (replaced whole).
    assert!(en.contains("<h1>Li Hua</h1>"));
    assert!(en.contains(">Class of 2027<"));
    assert!(!en.contains("2023 级"));
    // Inherited: the student ID, the email address, the links.
    assert!(en.contains("2023123456"));
    assert!(en.contains("lihua@example.edu.cn"));
    assert!(en.contains("https://github.com/example"));
    // The English introduction, not the Chinese one.
    assert!(en.contains("Hello! I"), "{en}");
    let zh = site.page("index.html");
    assert!(zh.contains(r#"<html lang="zh-CN">"#));
    assert!(zh.contains(">姓名<"));
    // Navigation lists only the pages that exist in the page's language.
    let zh_nav = between(&zh, "class=\"site-nav\"", "</nav>").unwrap();
    assert!(zh_nav.contains("笔记") && zh_nav.contains("实验一") && !zh_nav.contains("CV"));
    let en_nav = between(&en, "class=\"site-nav\"", "</nav>").unwrap();
    assert!(en_nav.contains("Notes") && en_nav.contains("CV") && !en_nav.contains("实验一"));
    assert!(en_nav.contains(">Home<"));
}

#[test]
fn the_switcher_links_every_page_to_a_file_in_each_other_language() {
    let site = bilingual_with_pages();
    site.build();
    let dist = site.dist();
    let expected = [
        ("index.html", "en/index.html"),
        ("notes/index.html", "en/notes/index.html"),
        // No English translation: the English profile page.
        ("lab/one/index.html", "en/index.html"),
        ("en/index.html", "index.html"),
        ("en/notes/index.html", "notes/index.html"),
        ("en/cv/index.html", "index.html"),
    ];
    for (page, target) in expected {
        let html = site.page(page);
        let switcher = between(&html, "<nav class=\"language-switcher\"", "</nav>")
            .unwrap_or_else(|| panic!("{page} has no language switcher"));
        let hrefs = attributes(switcher, "href");
        assert_eq!(hrefs.len(), 1, "{page}: {switcher}");
        let file = resolve(&dist, page, &hrefs[0]);
        assert!(file.is_file(), "{page}: {} is not a file", file.display());
        assert_eq!(file, dist.join(target), "{page}");
        // Written in the language it leads to, and saying so.
        let (tag, name) = if target.starts_with("en/") {
            ("en", "English")
        } else {
            ("zh-CN", "中文")
        };
        assert!(switcher.contains(&format!("lang=\"{tag}\" hreflang=\"{tag}\">{name}</a>")));
    }
    // The 404 page offers both home pages.
    let not_found = site.page("404.html");
    let homes = attributes(
        between(&not_found, "class=\"home-links\"", "</ul>").unwrap(),
        "href",
    );
    assert_eq!(homes, ["index.html", "en/index.html"]);
}

#[test]
fn hreflang_links_are_absolute_and_reciprocal_only_with_a_base_url() {
    let site = bilingual_with_pages();
    site.build();
    for page in html_pages(&site.dist()) {
        assert!(
            !site.page(&page).contains("hreflang=\"x-default\""),
            "{page} has hreflang links without base_url"
        );
    }

    let base = "https://example.com/~lihua/";
    site.replace(
        "site.toml",
        "# base_url = \"https://example.github.io/profile/\"",
        &format!("base_url = \"{base}\""),
    );
    site.build();
    let alternates = |page: &str| -> Vec<(String, String)> {
        let html = site.page(page);
        html.lines()
            .filter(|line| line.starts_with("<link rel=\"alternate\""))
            .map(|line| {
                (
                    attributes(line, "hreflang").remove(0),
                    attributes(line, "href").remove(0),
                )
            })
            .collect()
    };
    let pair = |tag: &str, path: &str| (tag.to_string(), format!("{base}{path}"));
    let home = vec![pair("zh-CN", ""), pair("en", "en/"), pair("x-default", "")];
    assert_eq!(alternates("index.html"), home);
    assert_eq!(alternates("en/index.html"), home);
    let notes = vec![
        pair("zh-CN", "notes/"),
        pair("en", "en/notes/"),
        pair("x-default", "notes/"),
    ];
    assert_eq!(alternates("notes/index.html"), notes);
    assert_eq!(alternates("en/notes/index.html"), notes);
    // A page in one language names only itself (and x-default when that is the default's).
    assert_eq!(
        alternates("lab/one/index.html"),
        [pair("zh-CN", "lab/one/"), pair("x-default", "lab/one/")]
    );
    assert_eq!(alternates("en/cv/index.html"), [pair("en", "en/cv/")]);
    assert_eq!(alternates("404.html"), []);
    for page in html_pages(&site.dist()) {
        for (_, href) in alternates(&page) {
            assert!(href.starts_with(base), "{page}: {href}");
        }
    }
}

#[test]
fn each_language_can_have_its_own_recording() {
    let site = Site::bilingual();
    std::fs::copy(
        site.path("assets/introduction.mp3"),
        site.path("assets/introduction.en.mp3"),
    )
    .unwrap();
    site.replace(
        "site.toml",
        "[languages.en.profile]\n",
        "[languages.en.profile]\naudio = \"assets/introduction.en.mp3\"\n",
    );
    site.build();
    let en = attributes(&site.page("en/index.html"), "src");
    let zh = attributes(&site.page("index.html"), "src");
    assert!(
        en.iter()
            .any(|s| s.starts_with("../assets/introduction.en.")),
        "{en:?}"
    );
    assert!(
        zh.iter()
            .any(|s| s.starts_with("assets/introduction.") && !s.contains(".en.")),
        "{zh:?}"
    );
    assert!(!en
        .iter()
        .any(|s| s.contains("introduction.") && !s.contains(".en.")));
}

#[test]
fn a_translation_into_an_undeclared_language_is_an_error() {
    let site = Site::bilingual();
    site.write("content/index.fr.md", "Bonjour\n");
    let run = site.run(&["build"]);
    let stderr = run.assert_user_error();
    assert!(stderr.contains("content/index.fr.md"), "{stderr}");
    assert!(stderr.contains("`fr`"), "{stderr}");
    assert!(stderr.contains("zh-CN, en"), "{stderr}");
}
