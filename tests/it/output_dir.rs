//! Where `build` writes: atomically, and never over a directory profile did not create.

use crate::common;

use std::fs;
use std::path::Path;

use common::*;

/// Builds the good site into `<tmp>/out`, breaks the site with `break_it`, builds again into the
/// same place, and checks the failed build left `out` exactly as it was.
fn failed_rebuild_leaves_out_untouched(break_it: impl FnOnce(&Site)) {
    let site = Site::example();
    let out = site.outside("out");
    site.build_into(&out);
    let before = snapshot(&out);
    assert!(before.contains_key("index.html"));

    break_it(&site);
    site.run(&["build", "--out", out.to_str().unwrap()])
        .assert_user_error();

    assert_same_tree(&before, &snapshot(&out));
    assert_eq!(leftovers(&out), Vec::<String>::new(), "staging left behind");
}

#[test]
fn bad_site_toml_leaves_previous_output_untouched() {
    failed_rebuild_leaves_out_untouched(|site| {
        site.replace("site.toml", "name = \"李华\"", "name = \"李华");
    });
}

#[test]
fn template_syntax_error_leaves_previous_output_untouched() {
    failed_rebuild_leaves_out_untouched(|site| {
        site.write(
            "theme/page.html",
            "{% extends \"base.html\" %}\n{% block main %}{% if %}{% endblock main %}\n",
        );
    });
}

#[test]
fn broken_content_page_leaves_previous_output_untouched() {
    failed_rebuild_leaves_out_untouched(|site| {
        site.write("content/about.md", "+++\ntitle = \"About\n+++\nbody\n");
    });
}

#[test]
fn successful_rebuild_replaces_the_output_and_cleans_up() {
    let site = Site::example();
    let out = site.outside("out");
    site.write("content/old.md", "# Old page\n");
    site.build_into(&out);
    assert!(out.join("old/index.html").is_file());

    site.remove("content/old.md");
    site.write("content/new.md", "# New page\n");
    site.build_into(&out);
    assert!(out.join("new/index.html").is_file());
    assert!(
        !out.join("old").exists(),
        "a stale page survived the rebuild"
    );
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn output_may_be_nested_in_missing_directories() {
    let site = Site::example();
    let out = site.outside("a/b/out");
    site.build_into(&out);
    assert!(out.join("index.html").is_file());
}

/// Runs `profile build --out OUT` in the site and checks it was refused; returns stderr.
fn refused(site: &Site, out: &str) -> String {
    let run = site.run(&["build", "--out", out]);
    let stderr = run.assert_user_error();
    assert!(stderr.contains("refusing"), "{stderr}");
    stderr.to_string()
}

#[test]
fn refuses_a_directory_the_user_made() {
    let site = Site::example();
    let mine = site.outside("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("thesis.docx"), "my only copy").unwrap();

    let stderr = refused(&site, mine.to_str().unwrap());
    assert!(stderr.contains(".profile-dist"), "{stderr}");

    assert_eq!(
        fs::read_to_string(mine.join("thesis.docx")).unwrap(),
        "my only copy"
    );
    assert_eq!(
        snapshot(&mine).len(),
        1,
        "something was added to the directory"
    );
    assert_eq!(leftovers(&mine), Vec::<String>::new());
}

#[test]
fn refuses_a_directory_holding_only_hidden_files() {
    let site = Site::example();
    let mine = site.outside("mine");
    fs::create_dir_all(mine.join(".git")).unwrap();
    fs::write(mine.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    refused(&site, mine.to_str().unwrap());
    assert!(mine.join(".git/HEAD").is_file());
}

#[test]
fn refuses_the_site_root() {
    let site = Site::example();
    let before = snapshot(site.root());
    refused(&site, ".");
    assert_same_tree(&before, &snapshot(site.root()));
}

#[test]
fn refuses_a_parent_of_the_site() {
    let site = Site::example();
    refused(&site, "..");
    assert!(site.path("site.toml").is_file());
}

#[test]
fn refuses_the_content_directory() {
    let site = Site::example();
    let before = snapshot(&site.path("content"));
    refused(&site, "content");
    assert_same_tree(&before, &snapshot(&site.path("content")));
}

#[test]
fn refuses_the_assets_directory() {
    let site = Site::example();
    let before = snapshot(&site.path("assets"));
    refused(&site, "assets");
    assert_same_tree(&before, &snapshot(&site.path("assets")));
}

#[test]
fn refuses_a_directory_inside_the_sources() {
    let site = Site::example();
    refused(&site, "content/dist");
    assert!(!site.path("content/dist").exists());
}

#[test]
fn refuses_a_file() {
    let site = Site::example();
    let file = site.outside("notes.txt");
    fs::write(&file, "keep me").unwrap();
    refused(&site, file.to_str().unwrap());
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn accepts_an_empty_directory() {
    let site = Site::example();
    let empty = site.outside("empty");
    fs::create_dir(&empty).unwrap();
    site.build_into(&empty);
    assert!(empty.join("index.html").is_file());
    assert!(empty.join(".profile-dist").is_file());
}

#[test]
fn replaces_a_previous_profile_output() {
    let site = Site::example();
    let out = site.outside("out");
    site.build_into(&out);
    // Something left in it (by hand, or by an older build) goes with the rest.
    fs::write(out.join("stale.html"), "old").unwrap();
    site.build_into(&out);
    assert!(!out.join("stale.html").exists());
    assert!(out.join("index.html").is_file());
}

#[test]
fn default_output_is_dist_and_is_replaced_on_rebuild() {
    let site = Site::example();
    site.build();
    site.build();
    assert!(site.dist().join("index.html").is_file());
    assert_eq!(leftovers(&site.dist()), Vec::<String>::new());
}

#[test]
fn library_refuses_a_foreign_directory() {
    let site = Site::example();
    let mine = site.outside("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("keep.txt"), "x").unwrap();
    let err = profile::build(site.root(), &mine).unwrap_err();
    assert_eq!(err.file.as_deref(), Some(Path::new(&mine)));
    assert!(err.message.contains("refusing"), "{err}");
    assert!(mine.join("keep.txt").is_file());
}

#[test]
fn cleans_up_staging_left_by_a_killed_build() {
    let site = Site::example();
    let out = site.outside("out");
    // What a build killed half-way leaves: a staging directory that carries the marker.
    let staging = site.outside(".out.tmp-999999");
    fs::create_dir(&staging).unwrap();
    fs::write(staging.join(".profile-dist"), "").unwrap();
    fs::write(staging.join("index.html"), "half").unwrap();
    site.build_into(&out);
    assert!(!staging.exists(), "the killed build's staging survived");
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn removes_a_replacing_file_left_by_a_killed_build() {
    let site = Site::example();
    let out = site.outside("out");
    site.build_into(&out);
    // A build killed after writing the one file it replaces, before renaming it into `out`.
    let replacing = site.outside(".out.new-999999");
    fs::write(&replacing, "half").unwrap();
    let lookalike = site.outside(".out.new-notes");
    fs::write(&lookalike, "mine").unwrap();
    site.build_into(&out);
    assert!(!replacing.exists(), "the killed build's file survived");
    assert!(
        lookalike.exists(),
        "a file profile did not name was removed"
    );
}

/// Inode and modification time of `dir` and of everything under it, by relative path.
#[cfg(unix)]
fn identities(dir: &Path) -> std::collections::BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            let relative = e.path().strip_prefix(dir).unwrap();
            (
                relative.to_string_lossy().replace('\\', "/"),
                (meta.ino(), meta.modified().unwrap()),
            )
        })
        .collect()
}

/// The paths whose inode or modification time differ between two [`identities`].
#[cfg(unix)]
fn touched(
    before: &std::collections::BTreeMap<String, (u64, std::time::SystemTime)>,
    after: &std::collections::BTreeMap<String, (u64, std::time::SystemTime)>,
) -> Vec<String> {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the file lists differ"
    );
    before
        .iter()
        .filter(|(path, id)| after[*path] != **id)
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
#[cfg(unix)]
fn a_build_that_changes_nothing_writes_nothing() {
    let site = Site::example();
    let out = site.outside("out");
    site.write("content/about.md", "# About\n\nHello.\n");
    site.build_into(&out);
    let before = identities(&out);
    // Touched sources with the same bytes make the same output.
    site.write("content/about.md", "# About\n\nHello.\n");
    site.build_into(&out);
    assert_eq!(touched(&before, &identities(&out)), Vec::<String>::new());
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
#[cfg(unix)]
fn a_build_that_changes_one_page_replaces_that_file_alone() {
    let site = Site::example();
    let out = site.outside("out");
    site.write("content/about.md", "# About\n\nHello.\n");
    site.write("content/more.md", "# More\n\nMore.\n");
    site.build_into(&out);
    let before = identities(&out);
    site.write("content/about.md", "# About\n\nHello again.\n");
    site.build_into(&out);
    // The directory keeps its inode, but a new file in it changes its modification time.
    assert_eq!(
        touched(&before, &identities(&out)),
        ["about", "about/index.html"]
    );
    let page = fs::read_to_string(out.join("about/index.html")).unwrap();
    assert!(page.contains("Hello again."), "{page}");
    assert_eq!(leftovers(&out), Vec::<String>::new());

    // And a rebuild from scratch agrees with it, byte for byte.
    let fresh = site.outside("fresh");
    site.build_into(&fresh);
    assert_same_tree(&snapshot(&fresh), &snapshot(&out));
}

#[test]
fn files_changed_by_hand_in_the_output_are_put_right() {
    let site = Site::example();
    let out = site.outside("out");
    site.write("content/about.md", "# About\n\nHello.\n");
    site.build_into(&out);
    let built = snapshot(&out);
    type Change = fn(&Path);
    let changes: [(&str, Change); 5] = [
        ("one page edited, same length", |out| {
            let page = out.join("about/index.html");
            let text = fs::read_to_string(&page)
                .unwrap()
                .replace("Hello.", "Hullo.");
            fs::write(page, text).unwrap();
        }),
        ("two pages edited", |out| {
            fs::write(out.join("about/index.html"), "x").unwrap();
            fs::write(out.join("index.html"), "x").unwrap();
        }),
        ("a file added", |out| {
            fs::write(out.join("notes.txt"), "x").unwrap()
        }),
        ("a page removed", |out| {
            fs::remove_dir_all(out.join("about")).unwrap()
        }),
        ("an empty directory added", |out| {
            fs::create_dir(out.join("drafts")).unwrap()
        }),
    ];
    for (what, change) in changes {
        change(&out);
        site.build_into(&out);
        let after = snapshot(&out);
        assert_same_tree(&built, &after);
        assert!(
            !out.join("drafts").exists(),
            "{what}: an empty directory stayed"
        );
        assert_eq!(leftovers(&out), Vec::<String>::new(), "{what}");
    }
}

#[test]
fn keeps_a_lookalike_directory_it_did_not_create() {
    let site = Site::example();
    let out = site.outside("out");
    let lookalike = site.outside(".out.tmp-notes");
    fs::create_dir(&lookalike).unwrap();
    fs::write(lookalike.join("mine.txt"), "mine").unwrap();
    site.build_into(&out);
    assert_eq!(
        fs::read_to_string(lookalike.join("mine.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn refuses_a_foreign_directory_named_through_a_missing_directory() {
    let site = Site::example();
    let mine = site.path("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("thesis.txt"), "my only copy").unwrap();
    let run = site.run(&["build", "--out", "missing/../mine"]);
    let kept = mine.join("thesis.txt").is_file();
    let stderr = run.assert_user_error();
    assert!(stderr.contains("refusing"), "{stderr}");
    assert!(kept, "the user's directory was replaced");
}

/// A recording over the in-memory limit: 3 MB of silence in a WAV (8 kHz mono 16-bit).
#[cfg(unix)]
fn with_long_recording(site: &Site) -> std::path::PathBuf {
    let data = 3u32 << 20;
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&(36 + data).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0");
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&16000u32.to_le_bytes());
    bytes.extend_from_slice(b"\x02\0\x10\0data");
    bytes.extend_from_slice(&data.to_le_bytes());
    bytes.resize(bytes.len() + data as usize, 0);
    let audio = site.path("assets/long.wav");
    fs::write(&audio, bytes).unwrap();
    site.replace("site.toml", "assets/introduction.mp3", "assets/long.wav");
    audio
}

#[test]
#[cfg(unix)]
fn an_unchanged_long_recording_is_linked_from_the_previous_build_not_copied() {
    use std::os::unix::fs::MetadataExt;
    let site = Site::example();
    let audio = with_long_recording(&site);
    site.build();
    let name = common::fingerprinted(&site.dist(), "long", "wav");
    let first = fs::metadata(site.dist().join(&name)).unwrap();
    site.write("content/index.md", "# 你好\n\nA changed page.\n");
    site.build();
    let second = fs::metadata(site.dist().join(&name)).unwrap();
    assert_eq!(first.ino(), second.ino(), "the recording was copied again");
    assert_eq!(
        fs::read(site.dist().join(&name)).unwrap(),
        fs::read(&audio).unwrap()
    );
    assert!(common::leftovers(&site.dist()).is_empty());

    // A copy in dist/ that is not what the build wrote (another size) is replaced.
    fs::remove_file(site.dist().join(&name)).unwrap();
    fs::write(site.dist().join(&name), b"damaged").unwrap();
    site.build();
    assert_eq!(
        fs::read(site.dist().join(&name)).unwrap(),
        fs::read(&audio).unwrap()
    );
}
