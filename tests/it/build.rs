//! Building the example site: what the page says, how it links, and what lands in `dist/`.

use crate::common;

use std::fs;

use common::*;

/// The user's own external links in the example site (site.toml and content/index.md).
const EXAMPLE_EXTERNAL: &[&str] = &["https://github.com/example", "mailto:lihua@example.edu.cn"];

/// Builds the example site and returns it with its `index.html`.
fn built_example() -> (Site, String) {
    let site = Site::example();
    site.build();
    let index = site.page("index.html");
    (site, index)
}

#[test]
fn profile_page_shows_every_field() {
    let (_site, index) = built_example();
    for expected in [
        "李华",
        "2023123456",
        "计算机科学与技术",
        "示例大学 计算机学院",
        "年级",
        "2023 级",
        "爱好",
        "网络编程、开源软件、羽毛球",
        "lihua@example.edu.cn",
        "GitHub",
    ] {
        assert!(index.contains(expected), "index.html lacks {expected:?}");
    }
    let hrefs: Vec<String> = start_tags(&index)
        .iter()
        .filter(|t| t.name == "a")
        .filter_map(|t| t.attr("href").map(String::from))
        .collect();
    assert!(hrefs.contains(&"mailto:lihua@example.edu.cn".to_string()));
    assert!(hrefs.contains(&"https://github.com/example".to_string()));
}

#[test]
fn extra_rows_keep_the_order_written() {
    let site = Site::example();
    site.replace(
        "site.toml",
        "\"年级\" = \"2023 级\"\n\"爱好\" = \"网络编程、开源软件、羽毛球\"",
        "Zulu = \"z-value\"\nAlpha = \"a-value\"\n\"家乡\" = \"杭州\"\nMike = 2023",
    );
    site.build();
    let index = site.page("index.html");
    let positions: Vec<usize> = [
        "Zulu", "z-value", "Alpha", "a-value", "家乡", "杭州", "Mike",
    ]
    .iter()
    .map(|s| {
        index
            .find(s)
            .unwrap_or_else(|| panic!("index.html lacks {s:?}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "extra rows out of order: {positions:?}"
    );
    assert!(
        index.contains(">2023<"),
        "a bare number is shown as written"
    );
}

#[test]
fn profile_values_are_html_escaped() {
    let site = Site::example();
    let evil = r#"<script>alert(1)</script>"&'"#;
    let toml_evil = evil.replace('"', "\\\"");
    site.replace(
        "site.toml",
        "name = \"李华\"",
        &format!("name = \"N{toml_evil}\""),
    );
    site.replace(
        "site.toml",
        "major = \"计算机科学与技术\"",
        &format!("major = \"M{toml_evil}\""),
    );
    site.replace(
        "site.toml",
        "\"年级\" = \"2023 级\"",
        &format!("\"L{toml_evil}\" = \"V{toml_evil}\""),
    );
    site.write("content/about.md", "# About\n\nplain text\n");
    site.build();

    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;";
    let index = site.page("index.html");
    for field in ["N", "M", "L", "V"] {
        let shown = format!("{field}{escaped}");
        assert!(
            index.contains(&shown),
            "index.html lacks the escaped {field}…: {shown}"
        );
        // The apostrophe follows, escaped one way or another.
        let after = &index[index.find(&shown).unwrap() + shown.len()..];
        assert!(
            after.starts_with("&#39;") || after.starts_with("&#x27;"),
            "apostrophe not escaped after {field}…"
        );
    }
    for (page, html) in html_files(&site.dist()) {
        assert!(
            !html.contains("<script>alert(1)</script>"),
            "{page} contains the raw script"
        );
        assert!(!html.contains(r#""&'"#), "{page} contains raw \"&'");
    }
}

#[test]
fn page_language_is_zh_cn() {
    let (_site, index) = built_example();
    assert!(index.contains(r#"<html lang="zh-CN">"#), "{index}");
}

#[test]
fn labels_are_chinese_for_zh_cn() {
    let (_site, index) = built_example();
    for label in ["姓名", "学号", "专业"] {
        assert!(
            index.contains(&format!(">{label}<")),
            "index.html lacks the label {label}"
        );
    }
}

#[test]
fn labels_are_english_for_en() {
    let site = Site::example();
    site.replace("site.toml", "lang = \"zh-CN\"", "lang = \"en\"");
    site.build();
    let index = site.page("index.html");
    assert!(index.contains(r#"<html lang="en">"#));
    for label in ["Name", "Student ID", "Major"] {
        assert!(
            index.contains(&format!(">{label}<")),
            "index.html lacks the label {label}"
        );
    }
    for label in ["姓名", "学号", "专业"] {
        assert!(
            !index.contains(&format!(">{label}<")),
            "index.html still shows the label {label}"
        );
    }
}

#[test]
fn head_has_meta_description_and_viewport() {
    let (_site, index) = built_example();
    let tags = start_tags(&index);
    let meta = |name: &str| {
        tags.iter()
            .find(|t| t.name == "meta" && t.attr("name") == Some(name))
            .and_then(|t| t.attr("content").map(String::from))
            .unwrap_or_else(|| panic!("no <meta name={name:?}>"))
    };
    assert_eq!(
        meta("description"),
        "李华，计算机科学与技术专业学生的个人主页：基本信息、标志与语音自我介绍。"
    );
    assert!(meta("viewport").contains("width=device-width"));
}

#[test]
fn icon_points_at_the_fingerprinted_logo() {
    let (site, index) = built_example();
    let logo = fingerprinted(&site.dist(), "logo", "svg");
    let icon = start_tags(&index)
        .into_iter()
        .find(|t| t.name == "link" && t.attr("rel") == Some("icon"))
        .expect("a <link rel=\"icon\">");
    assert_eq!(icon.attr("href"), Some(logo.as_str()));
}

#[test]
fn audio_player_transcript_and_download_link() {
    let (site, index) = built_example();
    let audio = fingerprinted(&site.dist(), "introduction", "mp3");
    assert!(
        index.contains(r#"<audio controls preload="metadata">"#),
        "{index}"
    );
    let tags = start_tags(&index);
    let source = tags
        .iter()
        .find(|t| t.name == "source")
        .expect("a <source> in the player");
    assert_eq!(source.attr("src"), Some(audio.as_str()));
    assert_eq!(source.attr("type"), Some("audio/mpeg"));
    assert!(
        index.contains("大家好，我叫李华"),
        "the transcript is shown as text"
    );
    let download = tags
        .iter()
        .find(|t| t.name == "a" && t.attrs.iter().any(|(n, _)| n == "download"))
        .expect("a download link");
    assert_eq!(download.attr("href"), Some(audio.as_str()));
}

#[test]
fn example_site_links_are_relative_and_resolve() {
    let (site, _) = built_example();
    assert_links_resolve(&site.dist(), EXAMPLE_EXTERNAL);
}

#[test]
fn links_resolve_from_nested_and_chinese_pages() {
    let site = Site::example();
    site.write(
        "content/notes/lab1.md",
        "# Lab 1\n\nSee [home](../../index.html).\n",
    );
    site.write("content/notes/index.md", "# Notes\n");
    site.write(
        "content/关于 我.md",
        "# 关于我\n\n## 第一节\n\n[跳到第一节](#第一节)\n",
    );
    site.write("assets/files/cv.pdf", "%PDF-1.4\n");
    site.build();
    let dist = site.dist();
    for page in [
        "notes/lab1/index.html",
        "notes/index.html",
        "关于 我/index.html",
    ] {
        assert!(dist.join(page).is_file(), "{page} was not built");
    }
    assert_links_resolve(&dist, EXAMPLE_EXTERNAL);
}

#[test]
fn no_root_relative_or_remote_urls_besides_the_users_links() {
    let (site, _) = built_example();
    for (page, html) in html_files(&site.dist()) {
        for url in urls(&html) {
            let remote = url.starts_with("http:") || url.starts_with("https:");
            assert!(!url.starts_with('/'), "{page}: root-relative `{url}`");
            assert!(
                !remote || EXAMPLE_EXTERNAL.contains(&url.as_str()),
                "{page}: remote `{url}`"
            );
        }
    }
}

#[test]
fn logo_and_audio_are_fingerprinted_copies_of_their_sources() {
    let (site, _) = built_example();
    let dist = site.dist();
    for (stem, ext, source) in [
        ("logo", "svg", "assets/logo.svg"),
        ("introduction", "mp3", "assets/introduction.mp3"),
    ] {
        let built = fingerprinted(&dist, stem, ext);
        let bytes = fs::read(dist.join(&built)).unwrap();
        assert_eq!(
            bytes,
            fs::read(site.path(source)).unwrap(),
            "{built} differs from {source}"
        );
        assert_eq!(
            built,
            format!("assets/{stem}.{}.{ext}", fingerprint_of(&bytes))
        );
    }
}

#[test]
fn stylesheet_is_fingerprinted_by_its_content() {
    let (site, index) = built_example();
    let css = fingerprinted(&site.dist(), "style", "css");
    let bytes = fs::read(site.dist().join(&css)).unwrap();
    assert_eq!(css, format!("assets/style.{}.css", fingerprint_of(&bytes)));
    let linked = start_tags(&index).into_iter().any(|t| {
        t.name == "link"
            && t.attr("rel") == Some("stylesheet")
            && t.attr("href") == Some(css.as_str())
    });
    assert!(linked, "index.html does not link {css}");
}

#[test]
fn logo_and_audio_are_not_also_copied_unfingerprinted() {
    let (site, _) = built_example();
    let assets = site.dist().join("assets");
    assert!(!assets.join("logo.svg").exists());
    assert!(!assets.join("introduction.mp3").exists());
}

#[test]
fn other_assets_are_copied_under_their_own_names() {
    let site = Site::example();
    site.write("assets/files/成绩单.pdf", "%PDF-1.4 transcript\n");
    site.build();
    assert_eq!(
        fs::read(site.dist().join("assets/files/成绩单.pdf")).unwrap(),
        b"%PDF-1.4 transcript\n"
    );
}

#[test]
fn output_is_marked_as_profiles_own() {
    let (site, _) = built_example();
    assert!(site.dist().join(".profile-dist").is_file());
}

#[test]
fn two_builds_are_byte_identical() {
    let site = Site::example();
    site.write(
        "content/notes/lab1.md",
        "+++\nweight = 2\n+++\n# Lab 1\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    );
    site.write("content/关于我.md", "# 关于我\n");
    site.write("assets/extra.txt", "extra\n");
    let first = site.outside("first");
    let second = site.outside("second");
    site.build_into(&first);
    site.build_into(&second);
    let (a, b) = (snapshot(&first), snapshot(&second));
    assert!(a.len() > 5, "too few files: {:?}", a.keys());
    assert_same_tree(&a, &b);
}

#[test]
fn library_and_binary_builds_are_identical() {
    let site = Site::example();
    let from_binary = site.outside("from-binary");
    let from_library = site.outside("from-library");
    site.build_into(&from_binary);
    profile::build(site.root(), &from_library).expect("library build");
    assert_same_tree(&snapshot(&from_binary), &snapshot(&from_library));
}

#[test]
fn summary_line_reports_counts_size_time_and_place() {
    let site = Site::example();
    let run = site.build();
    let line = run.stdout.trim_end();
    assert!(!line.contains('\n'), "one line expected: {line:?}");
    let summary = parse_summary(line).unwrap();
    assert_eq!(summary.pages, html_files(&site.dist()).len());
    // Every other file, except the hidden marker.
    let files = snapshot(&site.dist()).len();
    assert_eq!(summary.assets, files - summary.pages - 1);
    assert_eq!(summary.out, "dist");
    assert!(
        summary.size.ends_with(" B")
            || summary.size.ends_with(" KB")
            || summary.size.ends_with(" MB"),
        "{line}"
    );
}

#[test]
fn quiet_build_prints_nothing() {
    let site = Site::example();
    let run = site.run(&["build", "--quiet"]);
    run.assert_ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
    assert!(site.dist().join("index.html").is_file());
}

#[test]
fn library_report_matches_the_output() {
    let site = Site::example();
    let out = site.outside("out");
    let report = profile::build(site.root(), &out).expect("library build");
    assert_eq!(report.pages, html_files(&out).len());
    assert_eq!(report.out, out);
    let summary = parse_summary(&report.to_string()).unwrap();
    assert_eq!(summary.pages, report.pages);
    assert_eq!(summary.assets, report.assets);
}

#[test]
fn link_checker_rejects_absolute_missing_and_scheme_like_urls() {
    // The checker the tests above rely on must not pass everything.
    for bad in [
        r#"<a href="/index.html">x</a>"#,
        r#"<a href="https://cdn.example.com/x.js">x</a>"#,
        r#"<img src="assets/missing.png">"#,
        r#"<a href="a:b/index.html">x</a>"#,
        r##"<a href="#nowhere">x</a>"##,
        r#"<a href="../../index.html">x</a>"#,
    ] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("index.html"), bad).unwrap();
        let result = std::panic::catch_unwind(|| assert_links_resolve(dir.path(), &[]));
        assert!(result.is_err(), "the link checker accepted {bad}");
    }
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("关于 我")).unwrap();
    fs::write(
        dir.path().join("关于 我/index.html"),
        r##"<a href="../index.html#top">x</a>"##,
    )
    .unwrap();
    fs::write(
        dir.path().join("index.html"),
        r##"<p id="top"><a href="%E5%85%B3%E4%BA%8E%20%E6%88%91/index.html">x</a><a href='#top'>t</a></p>"##,
    )
    .unwrap();
    assert_links_resolve(dir.path(), &[]);
}
