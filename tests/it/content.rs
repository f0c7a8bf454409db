//! Markdown pages: front matter, drafts, navigation order and the Markdown features.

use crate::common;

use common::*;

#[test]
fn front_matter_title_is_the_page_title() {
    let site = Site::example();
    site.write(
        "content/about.md",
        "+++\ntitle = \"About me\"\nweight = 3\n+++\n\nSome text.\n",
    );
    site.build();
    let about = site.page("about/index.html");
    assert!(
        about.contains("<title>About me · 李华 · 个人主页</title>"),
        "{about}"
    );
    assert!(about.contains("<h1>About me</h1>"), "{about}");
    assert!(nav_titles(&site.page("index.html")).contains(&"About me".to_string()));
}

#[test]
fn title_falls_back_to_the_first_heading_then_the_file_name() {
    let site = Site::example();
    site.write("content/heading.md", "Intro.\n\n# From the heading\n");
    site.write("content/file-name.md", "No heading here.\n");
    site.build();
    let titles = nav_titles(&site.page("index.html"));
    assert!(
        titles.contains(&"From the heading".to_string()),
        "{titles:?}"
    );
    assert!(titles.contains(&"file-name".to_string()), "{titles:?}");
}

#[test]
fn front_matter_description_is_the_page_meta_description() {
    let site = Site::example();
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ndescription = \"All about 李华's hobbies\"\n+++\nText.\n",
    );
    site.build();
    let about = site.page("about/index.html");
    let description = start_tags(&about)
        .into_iter()
        .find(|t| t.name == "meta" && t.attr("name") == Some("description"))
        .and_then(|t| t.attr("content").map(String::from));
    assert_eq!(description.as_deref(), Some("All about 李华's hobbies"));
}

#[test]
fn drafts_are_not_built() {
    let site = Site::example();
    site.write("content/about.md", "# About\n");
    site.write(
        "content/secret.md",
        "+++\ntitle = \"Secret\"\ndraft = true\n+++\nNot yet.\n",
    );
    site.build();
    assert!(site.dist().join("about/index.html").is_file());
    assert!(!site.dist().join("secret").exists(), "the draft was built");
    for (page, html) in html_files(&site.dist()) {
        assert!(!html.contains("Secret"), "{page} mentions the draft");
        assert!(!html.contains("secret/"), "{page} links to the draft");
    }
}

#[test]
fn only_a_draft_means_no_navigation() {
    let site = Site::example();
    site.write("content/secret.md", "+++\ndraft = true\n+++\n# Secret\n");
    site.build();
    assert_eq!(nav_titles(&site.page("index.html")), Vec::<String>::new());
}

#[test]
fn navigation_is_ordered_by_weight_then_title() {
    let site = Site::example();
    site.write(
        "content/a.md",
        "+++\ntitle = \"Banana\"\nweight = 1\n+++\nb\n",
    );
    site.write(
        "content/b.md",
        "+++\ntitle = \"Apple\"\nweight = 1\n+++\na\n",
    );
    site.write("content/c.md", "+++\ntitle = \"Cherry\"\n+++\nc\n");
    site.write(
        "content/d.md",
        "+++\ntitle = \"Zucchini\"\nweight = -5\n+++\nz\n",
    );
    site.write(
        "content/e.md",
        "+++\ntitle = \"Damson\"\nweight = 10\n+++\nd\n",
    );
    site.build();
    let expected = ["首页", "Zucchini", "Cherry", "Apple", "Banana", "Damson"];
    for page in [
        "index.html",
        "a/index.html",
        "b/index.html",
        "c/index.html",
        "d/index.html",
        "e/index.html",
    ] {
        assert_eq!(
            nav_titles(&site.page(page)),
            expected,
            "navigation of {page}"
        );
    }
}

/// With many pages, each page's navigation lists the first ones and a page listing all of them,
/// so output grows linearly with the number of pages; every page stays reachable.
#[test]
fn navigation_of_a_large_site_is_bounded_and_reaches_every_page() {
    let site = Site::example();
    for n in 0..25 {
        site.write(
            &format!("content/p{n:02}.md"),
            format!("+++\ntitle = \"Page {n:02}\"\n+++\ntext\n"),
        );
    }
    site.build();
    let nav = nav_titles(&site.page("p00/index.html"));
    assert_eq!(nav.len(), 21, "{nav:?}");
    assert_eq!(nav[1], "Page 00");
    assert_eq!(nav[19], "Page 18");
    assert_eq!(nav[20], "全部页面 (25)");
    let all = site.page("pages/index.html");
    for n in 0..25 {
        assert!(
            all.contains(&format!("../p{n:02}/index.html\">Page {n:02}</a>")),
            "{all}"
        );
    }
    assert_links_resolve(
        &site.dist(),
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
}

#[test]
fn navigation_marks_the_current_page() {
    let site = Site::example();
    site.write("content/about.md", "# About\n");
    site.build();
    let current = |html: &str| -> Vec<String> {
        start_tags(html)
            .into_iter()
            .filter(|t| t.name == "a" && t.attr("aria-current") == Some("page"))
            .filter_map(|t| t.attr("href").map(String::from))
            .collect()
    };
    assert_eq!(current(&site.page("index.html")), ["index.html"]);
    assert_eq!(
        current(&site.page("about/index.html")),
        ["../about/index.html"]
    );
}

#[test]
fn nested_pages_build_to_their_own_directories() {
    let site = Site::example();
    site.write("content/notes/lab1.md", "# Lab 1\n");
    site.write("content/notes/index.md", "# Notes\n");
    site.build();
    assert!(site.dist().join("notes/lab1/index.html").is_file());
    assert!(site.dist().join("notes/index.html").is_file());
    let lab = site.page("notes/lab1/index.html");
    assert!(
        nav_urls(&lab).contains(&"../../index.html".to_string()),
        "{lab}"
    );
}

/// Builds one page from `markdown` and returns the HTML of its `<main>`.
fn rendered(markdown: &str) -> String {
    let site = Site::example();
    site.write("content/page.md", markdown);
    site.build();
    let html = site.page("page/index.html");
    let start = html.find("<main").expect("a <main>");
    let end = html.find("</main>").expect("a </main>");
    html[start..end].to_string()
}

#[test]
fn markdown_tables_render() {
    let html = rendered("# T\n\n| 课程 | 成绩 |\n|---|---:|\n| 网络 | 95 |\n");
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<th>课程</th>"), "{html}");
    assert!(
        html.contains("<td style=\"text-align: right\">95</td>"),
        "{html}"
    );
}

#[test]
fn markdown_footnotes_render_and_link_within_the_page() {
    let html = rendered("# T\n\nA claim.[^src]\n\n[^src]: The source.\n");
    assert!(html.contains("footnote-reference"), "{html}");
    assert!(html.contains("footnote-definition"), "{html}");
    assert!(html.contains("The source."), "{html}");
    let site_links = urls(&html);
    assert!(site_links.iter().any(|u| u.starts_with('#')), "{html}");
}

#[test]
fn markdown_strikethrough_renders() {
    let html = rendered("# T\n\n~~old~~ new\n");
    assert!(html.contains("<del>old</del>"), "{html}");
}

#[test]
fn markdown_task_lists_render() {
    let html = rendered("# T\n\n- [x] done\n- [ ] todo\n");
    let boxes: Vec<Tag> = start_tags(&html)
        .into_iter()
        .filter(|t| t.name == "input" && t.attr("type") == Some("checkbox"))
        .collect();
    assert_eq!(boxes.len(), 2, "{html}");
    assert!(boxes[0].attr("checked").is_some());
    assert!(boxes[1].attr("checked").is_none());
}

#[test]
fn headings_get_ids() {
    let html = rendered(
        "# Page\n\n## Hello World\n\n## 网络 编程\n\n## Hello World\n\n## Custom {#mine}\n",
    );
    for id in ["hello-world", "网络-编程", "hello-world-1", "mine"] {
        assert!(
            start_tags(&html).iter().any(|t| t.attr("id") == Some(id)),
            "no id {id:?} in {html}"
        );
    }
}

#[test]
fn raw_html_passes_through() {
    let html = rendered(
        "# T\n\n<div class=\"note\">A <abbr title=\"HyperText\">HTML</abbr> block</div>\n\ninline <kbd>Ctrl</kbd>\n",
    );
    assert!(
        html.contains("<div class=\"note\">A <abbr title=\"HyperText\">HTML</abbr> block</div>"),
        "{html}"
    );
    assert!(html.contains("<kbd>Ctrl</kbd>"), "{html}");
}

#[test]
fn index_md_is_the_introduction_on_the_profile_page() {
    let site = Site::example();
    site.write("content/index.md", "Hello from **index.md**.\n");
    site.build();
    assert!(site
        .page("index.html")
        .contains("Hello from <strong>index.md</strong>."));
    assert!(!site.dist().join("index").exists());
}

#[test]
fn site_without_index_md_builds() {
    let site = Site::example();
    site.remove("content/index.md");
    site.build();
    assert!(site.page("index.html").contains("李华"));
}

#[test]
#[cfg(unix)]
fn colon_in_a_page_name_still_links_relatively() {
    let site = Site::example();
    site.write("content/lab:1.md", "# Lab 1\n");
    site.build();
    assert!(site.dist().join("lab:1/index.html").is_file());
    assert_links_resolve(
        &site.dist(),
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
}

#[test]
fn page_titles_are_html_escaped() {
    let site = Site::example();
    site.write(
        "content/x.md",
        "+++\ntitle = \"<script>alert(1)</script> & more\"\n+++\nText.\n",
    );
    site.build();
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more";
    for page in ["index.html", "x/index.html"] {
        let html = site.page(page);
        assert!(
            !html.contains("<script>alert(1)</script>"),
            "{page}: {html}"
        );
        assert!(html.contains(escaped), "{page}: {html}");
    }
}

/// Every `id` in `html` that appears more than once.
fn repeated_ids(html: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    start_tags(html)
        .iter()
        .filter_map(|t| t.attr("id"))
        .filter(|id| !seen.insert(id.to_string()))
        .map(String::from)
        .collect()
}

#[test]
fn ids_are_unique_on_every_page() {
    let site = Site::example();
    site.write(
        "content/notes.md",
        "# Notes\n\n## Lab\n\n## Lab\n\n## 实验\n\nText.[^1]\n\n[^1]: A note.\n",
    );
    site.build();
    for (page, html) in html_files(&site.dist()) {
        assert_eq!(repeated_ids(&html), Vec::<String>::new(), "in {page}");
    }
}

#[test]
fn heading_ids_do_not_repeat_the_themes_ids() {
    let site = Site::example();
    site.write("content/notes.md", "# Notes\n\n## Main\n\nText.\n");
    site.write("content/index.md", "## Profile heading\n\nHello.\n");
    site.build();
    for page in ["index.html", "notes/index.html"] {
        assert_eq!(
            repeated_ids(&site.page(page)),
            Vec::<String>::new(),
            "in {page}"
        );
    }
}
