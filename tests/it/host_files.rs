//! What a build adds for static hosts when site.toml asks for it, and only then: link-preview
//! tags (`base_url`), a `_headers` file and precompressed copies (`[build]`); and how
//! `profile serve` answers from those copies.

use crate::common;

use std::collections::BTreeSet;
use std::io::Read;

use common::serve::Served;
use common::{fingerprinted, html_files, snapshot, start_tags, Site};

const BASE: &str = "https://example.com/~lihua/";

fn with_base_url(site: &Site, url: &str) {
    site.replace(
        "site.toml",
        "lang = ",
        &format!("base_url = \"{url}\"\nlang = "),
    );
}

fn with_build_options(site: &Site, options: &str) {
    let config = site.read("site.toml");
    // A table must come after the top-level keys; [build] at the end is after everything.
    site.write("site.toml", format!("{config}\n[build]\n{options}\n"));
}

/// A site with a second page, so a nested page is checked too.
fn example_with_about() -> Site {
    let site = Site::example();
    site.write(
        "content/about.md",
        "+++\ntitle = \"关于我\"\n+++\n\nSome words about me, repeated to be worth compressing. \
         Some words about me, repeated to be worth compressing.\n",
    );
    site
}

/// `(property or name, content)` of every `<meta>` tag, and the canonical link.
fn preview_tags(html: &str) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    for tag in start_tags(html) {
        match tag.name.as_str() {
            "meta" => {
                if let Some(key) = tag.attr("property").or(tag.attr("name")) {
                    if key.starts_with("og:") || key.starts_with("twitter:") {
                        tags.push((key.to_string(), tag.attr("content").unwrap_or("").into()));
                    }
                }
            }
            "link" if tag.attr("rel") == Some("canonical") => {
                tags.push(("canonical".into(), tag.attr("href").unwrap_or("").into()));
            }
            _ => {}
        }
    }
    tags
}

fn value<'a>(tags: &'a [(String, String)], key: &str) -> &'a str {
    let found: Vec<_> = tags.iter().filter(|(k, _)| k == key).collect();
    assert_eq!(found.len(), 1, "one `{key}` expected in {tags:?}");
    &found[0].1
}

#[test]
fn without_options_a_build_adds_nothing_for_hosts() {
    let site = example_with_about();
    site.build();
    let dist = site.dist();
    assert!(!dist.join("_headers").exists());
    for name in snapshot(&dist).keys() {
        assert!(
            !name.ends_with(".gz") && !name.ends_with(".br"),
            "unexpected {name}"
        );
    }
    for (page, html) in html_files(&dist) {
        assert_eq!(preview_tags(&html), [], "{page}");
        assert!(!html.contains("<base"), "{page}");
    }
    common::assert_links_resolve(
        &dist,
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
}

#[test]
fn base_url_adds_canonical_and_preview_tags_with_absolute_urls() {
    let site = example_with_about();
    // Written without the trailing slash: the tags must still be well-formed.
    with_base_url(&site, "https://example.com/~lihua");
    site.build();
    let dist = site.dist();
    let logo = fingerprinted(&dist, "logo", "svg");
    let audio = fingerprinted(&dist, "introduction", "mp3");

    let home = preview_tags(&site.page("index.html"));
    assert_eq!(value(&home, "canonical"), BASE);
    assert_eq!(value(&home, "og:url"), BASE);
    assert_eq!(value(&home, "og:type"), "profile");
    assert_eq!(value(&home, "og:title"), "李华 · 个人主页");
    assert_eq!(value(&home, "og:locale"), "zh_CN");
    assert_eq!(value(&home, "og:image"), format!("{BASE}{logo}"));
    assert_eq!(value(&home, "og:image:type"), "image/svg+xml");
    assert_eq!(value(&home, "og:audio"), format!("{BASE}{audio}"));
    assert_eq!(value(&home, "og:audio:type"), "audio/mpeg");
    assert_eq!(value(&home, "twitter:card"), "summary");
    assert_eq!(value(&home, "twitter:image"), format!("{BASE}{logo}"));
    assert!(value(&home, "og:description").starts_with("李华，"));

    // A nested page: its own canonical address (directory form, percent-encoded), its own title.
    let (about_path, about) = html_files(&dist)
        .into_iter()
        .find(|(path, html)| path != "index.html" && html.contains("关于我"))
        .expect("the about page");
    let about = preview_tags(&about);
    assert_eq!(about_path, "about/index.html");
    assert_eq!(value(&about, "canonical"), format!("{BASE}about/"));
    assert_eq!(value(&about, "og:type"), "article");
    assert_eq!(value(&about, "og:title"), "关于我");

    // The 404 page has no canonical address, but a <base> naming the site's path on its host,
    // so that its links work at any depth the host serves it from.
    let not_found = site.page("404.html");
    assert_eq!(preview_tags(&not_found), []);
    let bases: Vec<_> = start_tags(&not_found)
        .into_iter()
        .filter(|t| t.name == "base")
        .collect();
    assert_eq!(bases.len(), 1);
    assert_eq!(bases[0].attr("href"), Some("/~lihua/"));

    // Every other URL stays relative.
    let canonical_urls: Vec<String> = html_files(&dist)
        .values()
        .flat_map(|html| preview_tags(html))
        .filter(|(k, _)| k == "canonical")
        .map(|(_, v)| v)
        .collect();
    let mut external: Vec<&str> = canonical_urls.iter().map(String::as_str).collect();
    external.extend([
        "https://github.com/example",
        "mailto:lihua@example.edu.cn",
        "/~lihua/",
    ]);
    common::assert_links_resolve(&dist, &external);
}

#[test]
fn a_bad_base_url_is_one_line_naming_the_line() {
    let site = Site::example();
    with_base_url(&site, "example.com/~lihua");
    let run = site.run(&["build"]);
    let stderr = run.assert_user_error();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: site.toml:5:12: base_url `example.com/~lihua` is not a web address"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("https://"), "{stderr}");
    assert!(!site.dist().exists());
}

#[test]
fn headers_file_marks_fingerprinted_files_immutable_and_the_rest_revalidate() {
    let site = example_with_about();
    // A file copied under its own name, so it cannot be cached forever.
    site.write("assets/notes.txt", "plain text\n");
    with_build_options(&site, "headers = true");
    site.build();
    let dist = site.dist();
    let text = std::fs::read_to_string(dist.join("_headers")).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len() % 2, 0, "{text}");
    let mut seen = BTreeSet::new();
    for rule in lines.chunks(2) {
        let (path, header) = (rule[0], rule[1]);
        assert!(path.starts_with('/'), "{path}");
        assert!(
            seen.insert(path),
            "{path} has two rules: hosts would merge them"
        );
        let file = common::percent_decode(&path[1..]);
        let file = if file.is_empty() || file.ends_with('/') {
            format!("{file}index.html")
        } else {
            file
        };
        assert!(dist.join(&file).is_file(), "{path} names no file");
        let fingerprinted = file.starts_with("assets/") && file.matches('.').count() >= 2;
        let expected = if fingerprinted {
            "  Cache-Control: public, max-age=31536000, immutable"
        } else {
            "  Cache-Control: no-cache"
        };
        assert_eq!(header, expected, "{path}");
    }
    // Every file of the site has its rule (not the marker, nor the rules themselves).
    for name in snapshot(&dist).keys() {
        if name != ".profile-dist" && name != "_headers" {
            let url = format!("/{}", common::percent_decode(name));
            let listed = seen.iter().any(|p| common::percent_decode(p) == url);
            assert!(listed, "{name} has no rule in:\n{text}");
        }
    }
    assert!(seen.contains("/"));
}

fn decompress(bytes: &[u8], coding: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .unwrap(),
        other => panic!("{other}"),
    };
    out
}

#[test]
fn precompressed_copies_decompress_to_the_original_and_builds_stay_identical() {
    let site = example_with_about();
    with_build_options(&site, "precompress = true");
    site.build();
    let tree = snapshot(&site.dist());
    let mut copies = 0;
    for (name, bytes) in &tree {
        let text = [".html", ".css", ".svg"].iter().any(|e| name.ends_with(e));
        for (suffix, coding) in [(".gz", "gzip"), (".br", "br")] {
            let copy = tree.get(&format!("{name}{suffix}"));
            if text {
                let copy = copy.unwrap_or_else(|| panic!("{name}{suffix} missing"));
                assert!(copy.len() < bytes.len(), "{name}{suffix} is not smaller");
                assert_eq!(&decompress(copy, coding), bytes, "{name}{suffix}");
                copies += 1;
            } else if !name.ends_with(".gz") && !name.ends_with(".br") {
                assert!(copy.is_none(), "{name} is not text but has {suffix}");
            }
        }
    }
    assert!(copies >= 8, "{copies}");
    // The gzip header holds no time or name, so a second build is byte-identical.
    std::fs::remove_dir_all(site.dist()).unwrap();
    site.build();
    common::assert_same_tree(&tree, &snapshot(&site.dist()));
}

#[test]
fn serve_sends_a_precompressed_copy_only_to_clients_that_accept_it() {
    let site = example_with_about();
    with_build_options(&site, "precompress = true");
    let served = Served::start_with(site, |config| config.live_reload = false);
    let dist = served.dist();
    let css = fingerprinted(&dist, "style", "css");
    let original = std::fs::read(dist.join(&css)).unwrap();
    let target = format!("/{css}");

    let plain = served.get(&target);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
    assert_eq!(plain.body, original);
    let identity = served.get_with(&target, &[("Accept-Encoding", "identity")]);
    assert_eq!(identity.header("Content-Encoding"), None);

    let mut etags = BTreeSet::from([plain.expect_header("ETag").to_string()]);
    for (accept, coding, suffix) in [
        ("gzip, deflate, br, zstd", "br", ".br"),
        ("gzip, deflate", "gzip", ".gz"),
    ] {
        let reply = served.get_with(&target, &[("Accept-Encoding", accept)]);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Content-Encoding"), Some(coding));
        assert_eq!(reply.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/css; charset=utf-8")
        );
        let file = std::fs::read(dist.join(format!("{css}{suffix}"))).unwrap();
        assert_eq!(reply.body, file);
        assert_eq!(decompress(&reply.body, coding), original);
        let etag = reply.expect_header("ETag").to_string();
        assert!(etags.insert(etag.clone()), "ETag {etag} is not distinct");

        let again = served.get_with(
            &target,
            &[("Accept-Encoding", accept), ("If-None-Match", &etag)],
        );
        assert_eq!(again.status, 304);
        assert_eq!(again.header("Vary"), Some("Accept-Encoding"));

        // A range is a range of the coded bytes, as nginx and the RFC have it.
        let ranged = served.get_with(
            &target,
            &[
                ("Accept-Encoding", accept),
                ("Range", "bytes=10-19"),
                ("If-Range", &etag),
            ],
        );
        assert_eq!(ranged.status, 206);
        assert_eq!(ranged.body, file[10..20]);
        assert_eq!(
            ranged.header("Content-Range").unwrap(),
            format!("bytes 10-19/{}", file.len())
        );
    }

    // Pages too, when no live-reload script has to go into them.
    let page = served.get_with("/", &[("Accept-Encoding", "br")]);
    assert_eq!(page.header("Content-Encoding"), Some("br"));
    assert_eq!(
        decompress(&page.body, "br"),
        std::fs::read(dist.join("index.html")).unwrap()
    );
    // Audio is never compressed, so it does not vary.
    let audio = fingerprinted(&dist, "introduction", "mp3");
    let reply = served.get_with(&format!("/{audio}"), &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(reply.header("Content-Encoding"), None);
    assert_eq!(reply.header("Vary"), None);
}

#[test]
fn with_live_reload_pages_and_assets_go_out_compressed() {
    let site = Site::example();
    with_build_options(&site, "precompress = true");
    let served = Served::start(site);
    let page = served.get_with("/", &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("Content-Encoding"), Some("br"));
    let html = String::from_utf8(decompress(&page.body, "br")).unwrap();
    assert!(
        html.contains("/_profile/events"),
        "the page carries the script"
    );
    let plain = served.get("/");
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.text(), html);
    let css = fingerprinted(&served.dist(), "style", "css");
    let reply = served.get_with(
        &format!("/{css}"),
        &[("Accept-Encoding", "gzip, deflate, br")],
    );
    assert_eq!(reply.header("Content-Encoding"), Some("br"));
}
