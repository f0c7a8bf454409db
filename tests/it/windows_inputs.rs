//! Files as Windows users save them: CRLF line endings, a UTF-8 byte-order mark, `\` in paths,
//! Chinese file names.

use crate::common;

use std::fs;

use common::*;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `text` with CRLF line endings and a UTF-8 BOM, as Notepad saves it.
fn notepad(text: &str) -> Vec<u8> {
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    bytes
}

#[test]
fn site_toml_with_crlf_and_bom_builds() {
    let site = Site::example();
    site.write("site.toml", notepad(&site.read("site.toml")));
    site.build();
    let index = site.page("index.html");
    assert!(index.contains("李华"));
    assert!(index.contains(r#"<html lang="zh-CN">"#));
    assert!(
        !index.contains('\r'),
        "a carriage return leaked into the page"
    );
    assert!(!index.contains('\u{FEFF}'), "the BOM leaked into the page");
}

#[test]
fn content_page_with_crlf_and_bom_builds() {
    let site = Site::example();
    site.write(
        "content/about.md",
        notepad("+++\ntitle = \"关于\"\ndescription = \"about\"\nweight = 1\n+++\n\n## 小节\n\n第一段。\n"),
    );
    site.write("content/index.md", notepad(&site.read("content/index.md")));
    site.build();
    let about = site.page("about/index.html");
    assert!(
        about.contains("<title>关于 · "),
        "front matter was read: {about}"
    );
    assert!(about.contains("第一段。"));
    assert!(!about.contains("+++"), "front matter leaked into the page");
    assert!(!about.contains('\r') && !about.contains('\u{FEFF}'));
    let index = site.page("index.html");
    assert!(index.contains("<strong>李华</strong>"));
    assert!(!index.contains('\u{FEFF}') && !index.contains("+++"));
}

#[test]
fn bom_and_crlf_errors_still_point_at_the_right_line() {
    let site = Site::example();
    let text = site
        .read("site.toml")
        .replace("name = \"李华\"", "nmae = \"李华\"");
    let line = line_of(&text, "nmae");
    site.write("site.toml", notepad(&text));
    let run = site.run(&["build"]);
    let stderr = run.assert_user_error();
    assert!(
        stderr.starts_with(&format!("error: site.toml:{line}:1: ")),
        "{stderr}"
    );
}

#[test]
fn logo_path_with_backslash_builds() {
    let site = Site::example();
    site.replace(
        "site.toml",
        "logo = \"assets/logo.svg\"",
        r"logo = 'assets\logo.svg'",
    );
    site.replace(
        "site.toml",
        "audio = \"assets/introduction.mp3\"",
        r#"audio = "assets\\introduction.mp3""#,
    );
    site.build();
    let dist = site.dist();
    let logo = fingerprinted(&dist, "logo", "svg");
    fingerprinted(&dist, "introduction", "mp3");
    assert!(site.page("index.html").contains(&format!("src=\"{logo}\"")));
    // Recognised as the same files, so not copied a second time under their own names.
    assert!(!dist.join("assets/logo.svg").exists());
    assert!(!dist.join("assets/introduction.mp3").exists());
}

#[test]
fn chinese_file_name_builds_to_a_chinese_directory() {
    let site = Site::example();
    site.write("content/关于我.md", "# 关于我\n\n我喜欢羽毛球。\n");
    site.build();
    let page = site.dist().join("关于我/index.html");
    assert!(page.is_file(), "关于我/index.html was not built");
    assert!(fs::read_to_string(page).unwrap().contains("我喜欢羽毛球。"));
}

#[test]
fn navigation_link_to_a_chinese_page_is_percent_encoded_and_resolves() {
    let site = Site::example();
    site.write("content/关于我.md", "# 关于我\n");
    site.build();
    let index = site.page("index.html");
    let encoded = "%E5%85%B3%E4%BA%8E%E6%88%91/index.html";
    assert!(
        nav_urls(&index).contains(&encoded.to_string()),
        "{:?}",
        nav_urls(&index)
    );
    let page = site.page("关于我/index.html");
    assert!(
        nav_urls(&page).contains(&format!("../{encoded}")),
        "{:?}",
        nav_urls(&page)
    );
    assert_links_resolve(
        &site.dist(),
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
}

#[test]
fn chinese_logo_file_name_builds() {
    let site = Site::example();
    fs::rename(site.path("assets/logo.svg"), site.path("assets/标志.svg")).unwrap();
    site.replace("site.toml", "assets/logo.svg", "assets/标志.svg");
    site.build();
    let logo = fingerprinted(&site.dist(), "标志", "svg");
    assert_links_resolve(
        &site.dist(),
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
    let index = site.page("index.html");
    let icon = start_tags(&index)
        .into_iter()
        .find(|t| t.name == "link" && t.attr("rel") == Some("icon"))
        .unwrap();
    assert_eq!(percent_decode(icon.attr("href").unwrap()), logo);
}

/// Where a Windows student keeps the site: a user name with a space, Chinese folder names.
const DESKTOP_SITE: &str = "Users/李 华/Desktop/我的主页";

#[test]
fn a_site_under_spaces_and_chinese_folders_builds_and_serves() {
    let site = Site::example_at(DESKTOP_SITE);
    // Run from the site's folder, as after `cd`, and with the folder named as an argument.
    profile(site.root(), &["build"]).assert_ok();
    let root = site.root().to_str().unwrap().to_string();
    let other = site.outside("其他 输出");
    profile(
        &site.outside(""),
        &["build", "--root", &root, "--out", other.to_str().unwrap()],
    )
    .assert_ok();
    assert_eq!(snapshot(&site.dist()), snapshot(&other));

    let served = common::serve::Served::start(site);
    let page = served.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("李华"));
    let audio = fingerprinted(&served.dist(), "introduction", "mp3");
    let part = common::http::get_with(
        served.addr,
        &format!("/{audio}"),
        &[("Range", "bytes=0-99")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body.len(), 100);
}

#[test]
fn messages_name_paths_as_typed_never_verbatim() {
    // On Windows, fs::canonicalize gives `\\?\C:\...` (rust-lang/rust#42869); no message may.
    let site = Site::example_at(DESKTOP_SITE);
    let inside = site.path("content/out");
    let run = profile(site.root(), &["build", "--out", inside.to_str().unwrap()]);
    let message = run.assert_user_error();
    assert!(message.contains("inside the site's content"), "{message}");
    assert!(!message.contains(r"\\?\"), "{message}");

    site.write("content/index.md", "+++\ntitle = 1\n+++\n");
    let run = profile(site.root(), &["build"]);
    let message = run.assert_user_error();
    assert!(message.contains("index.md"), "{message}");
    assert!(!message.contains(r"\\?\"), "{message}");
}

/// Windows only: a file of dist/ held open by another program (an antivirus scan, an editor,
/// Explorer's preview) without FILE_SHARE_DELETE, so that renaming over it fails with error 5 —
/// under Wine exactly as on Windows.
#[cfg(windows)]
mod held_open {
    use super::*;
    use std::os::windows::fs::OpenOptionsExt;
    use std::time::{Duration, Instant};

    /// FILE_SHARE_READ only: others may read, not rename or delete.
    const SHARE_READ: u32 = 1;

    fn hold(path: &std::path::Path) -> fs::File {
        fs::OpenOptions::new()
            .read(true)
            .share_mode(SHARE_READ)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
    }

    #[test]
    fn a_file_released_within_a_second_is_waited_for() {
        let site = Site::example();
        site.build();
        let handle = hold(&site.path("dist/index.html"));
        site.replace("content/index.md", "我是**李华**", "我是**李华（已编辑）**");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(handle);
        });
        let started = Instant::now();
        let run = site.build();
        release.join().unwrap();
        assert!(site.page("index.html").contains("已编辑"));
        drop(run);
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_file_held_longer_is_named_and_the_old_site_kept() {
        let site = Site::example();
        site.build();
        let before = snapshot(&site.dist());
        let handle = hold(&site.path("dist/index.html"));
        site.replace("content/index.md", "我是**李华**", "我是**李华（已编辑）**");
        let run = site.run(&["build"]);
        drop(handle);
        let message = run.assert_user_error();
        assert!(message.contains("index.html"), "{message}");
        assert!(message.contains("in use by another program"), "{message}");
        assert!(message.contains("close the programs"), "{message}");
        assert_same_tree(&before, &snapshot(&site.dist()));
        assert!(
            leftovers(&site.dist()).is_empty(),
            "{:?}",
            leftovers(&site.dist())
        );
    }
}
