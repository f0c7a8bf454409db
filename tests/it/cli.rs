//! The command line: `init`, `check`, `--help`, `--version` and exit statuses.

use crate::common;

use std::fs;

use common::*;

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

// ---- init ----

#[test]
fn init_then_build_works() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["init", "my-site"]);
    run.assert_ok();
    assert!(run.stdout.contains("my-site"), "{}", run.stdout);

    let run = profile(tmp.path(), &["build", "--root", "my-site"]);
    run.assert_ok();
    let summary = parse_summary(run.stdout.trim_end()).unwrap();
    assert_eq!(summary.out, native("my-site/dist"));
    let dist = tmp.path().join("my-site/dist");
    assert!(dist.join("index.html").is_file());
    assert!(dist.join("404.html").is_file());
    assert!(dist.join(".profile-dist").is_file());
    fingerprinted(&dist, "logo", "svg");
    fingerprinted(&dist, "introduction", "mp3");
}

#[test]
fn init_creates_the_example_site() {
    let tmp = scratch();
    let dir = tmp.path().join("new");
    profile(tmp.path(), &["init", "new"]).assert_ok();
    for file in [
        "site.toml",
        "content/index.md",
        "assets/logo.svg",
        "assets/introduction.mp3",
    ] {
        assert!(dir.join(file).is_file(), "init did not create {file}");
    }
    assert_eq!(
        fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "/dist/\n/.profile-cache/\n"
    );
    assert!(!dir.join("theme").exists(), "theme/ only with --theme");
    assert!(!dir.join("dist").exists(), "init does not build");
}

#[test]
fn init_into_an_empty_directory_works() {
    let tmp = scratch();
    fs::create_dir(tmp.path().join("empty")).unwrap();
    profile(tmp.path(), &["init", "empty"]).assert_ok();
    assert!(tmp.path().join("empty/site.toml").is_file());
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let tmp = scratch();
    let dir = tmp.path().join("taken");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let run = profile(tmp.path(), &["init", "taken"]);
    let stderr = run.assert_user_error();
    assert!(stderr.starts_with("error: taken: "), "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    assert_eq!(snapshot(&dir).len(), 1, "init wrote into the directory");
}

#[test]
fn init_with_theme_copies_the_templates_and_stylesheet() {
    let tmp = scratch();
    profile(tmp.path(), &["init", "themed", "--theme"]).assert_ok();
    let theme = tmp.path().join("themed/theme");
    for name in [
        "base.html",
        "profile.html",
        "page.html",
        "404.html",
        "style.css",
    ] {
        assert!(theme.join(name).is_file(), "theme/{name} missing");
    }
    for (name, body) in profile::theme::DEFAULT_FILES {
        assert_eq!(
            fs::read_to_string(theme.join(name)).unwrap(),
            *body,
            "theme/{name} differs from the built-in one"
        );
    }
}

#[test]
fn site_made_with_init_theme_builds_like_the_built_in_theme() {
    let tmp = scratch();
    profile(tmp.path(), &["init", "plain"]).assert_ok();
    profile(tmp.path(), &["init", "themed", "--theme"]).assert_ok();
    profile(tmp.path(), &["build", "--root", "plain"]).assert_ok();
    profile(tmp.path(), &["build", "--root", "themed"]).assert_ok();
    assert_same_tree(
        &snapshot(&tmp.path().join("plain/dist")),
        &snapshot(&tmp.path().join("themed/dist")),
    );
}

#[test]
fn library_init_refuses_a_non_empty_directory() {
    let tmp = scratch();
    fs::write(tmp.path().join("keep.txt"), "x").unwrap();
    let err = profile::init::init(tmp.path(), false).unwrap_err();
    assert!(err.message.contains("not empty"), "{err}");
    assert!(!tmp.path().join("site.toml").exists());
}

#[test]
fn library_init_then_check_succeeds() {
    let tmp = scratch();
    let dir = tmp.path().join("site");
    profile::init::init(&dir, true).unwrap();
    profile::check(&dir).expect("a new site checks clean");
}

// ---- check ----

#[test]
fn check_on_a_good_site_succeeds_and_writes_nothing() {
    let site = Site::example();
    let before = snapshot(site.root());
    let run = site.run(&["check"]);
    run.assert_ok();
    assert!(
        !run.stdout.trim().is_empty(),
        "check says something on success"
    );
    assert!(!site.dist().exists(), "check created dist/");
    assert_same_tree(&before, &snapshot(site.root()));
    let parent: Vec<_> = fs::read_dir(site.root().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(parent, ["site"], "check wrote next to the site");
}

#[test]
fn check_with_root_works_from_elsewhere() {
    let site = Site::example();
    let run = profile(site.root().parent().unwrap(), &["check", "--root", "site"]);
    run.assert_ok();
    assert!(!site.dist().exists());
}

#[test]
fn check_on_a_bad_site_fails() {
    let site = Site::example();
    site.replace("site.toml", "name = \"李华\"", "nmae = \"李华\"");
    let run = site.run(&["check"]);
    let stderr = run.assert_user_error();
    assert!(stderr.contains("did you mean `name`?"), "{stderr}");
    assert_eq!(run.stdout, "");
    assert!(!site.dist().exists());
}

#[test]
fn check_finds_template_errors_too() {
    let site = Site::example();
    site.write("content/about.md", "# About\n");
    site.write(
        "theme/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ nope }}{% endblock main %}",
    );
    let stderr = site.run(&["check"]).assert_user_error().to_string();
    assert!(
        stderr.starts_with(&native("error: theme/page.html")),
        "{stderr}"
    );
}

#[test]
fn check_leaves_an_existing_dist_alone() {
    let site = Site::example();
    site.build();
    let before = snapshot(&site.dist());
    site.write("content/about.md", "# A new page\n");
    site.run(&["check"]).assert_ok();
    assert_same_tree(&before, &snapshot(&site.dist()));
}

// ---- help, version, exit statuses ----

#[test]
fn help_lists_the_commands() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["--help"]);
    run.assert_ok();
    let help = &run.stdout;
    assert!(help.contains("Usage: profile"), "{help}");
    for command in ["build", "serve", "check", "init"] {
        let listed = help
            .lines()
            .any(|line| line.trim_start().starts_with(&format!("{command} ")));
        assert!(listed, "--help does not list `{command}`:\n{help}");
    }
    assert!(
        help.contains("profile page"),
        "says what profile does:\n{help}"
    );
}

#[test]
fn each_command_has_help() {
    let tmp = scratch();
    for (command, option) in [("build", "--out"), ("check", "--root"), ("init", "--theme")] {
        let run = profile(tmp.path(), &[command, "--help"]);
        run.assert_ok();
        assert!(
            run.stdout.contains(option),
            "`{command} --help` lacks {option}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn version_prints_name_and_version() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["--version"]);
    run.assert_ok();
    assert_eq!(
        run.stdout.trim_end(),
        format!("profile {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_command_prints_usage_and_fails() {
    let tmp = scratch();
    let run = profile(tmp.path(), &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("Usage: profile"), "{}", run.stderr);
}

#[test]
fn unknown_option_is_a_usage_error() {
    let site = Site::example();
    let run = site.run(&["build", "--nope"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("--nope"), "{}", run.stderr);
    assert!(!site.dist().exists());
}

#[test]
fn build_summary_names_the_output_given() {
    let site = Site::example();
    let run = site.run(&["build", "--out", "public"]);
    run.assert_ok();
    let summary = parse_summary(run.stdout.trim_end()).unwrap();
    assert_eq!(summary.out, "public");
    assert_eq!(summary.pages, 2, "the profile page and 404.html");
    assert_eq!(summary.assets, 3, "stylesheet, logo and audio");
    assert!(site.path("public/index.html").is_file());
}

#[test]
fn build_with_root_from_elsewhere() {
    let site = Site::example();
    let run = profile(site.root().parent().unwrap(), &["build", "--root", "site"]);
    run.assert_ok();
    assert_eq!(
        parse_summary(run.stdout.trim_end()).unwrap().out,
        native("site/dist")
    );
    assert!(site.dist().join("index.html").is_file());
}

#[test]
fn build_of_a_missing_root_fails_cleanly() {
    let tmp = scratch();
    let run = profile(tmp.path(), &["build", "--root", "nowhere"]);
    let stderr = run.assert_user_error();
    assert!(
        stderr.starts_with(&native("error: nowhere/site.toml: ")),
        "{stderr}"
    );
    assert!(stderr.contains("profile init"), "{stderr}");
    assert!(!tmp.path().join("nowhere").exists());
}

#[test]
fn init_refuses_a_file() {
    let tmp = scratch();
    fs::write(tmp.path().join("site"), "a file").unwrap();
    let stderr = profile(tmp.path(), &["init", "site"])
        .assert_user_error()
        .to_string();
    assert!(stderr.starts_with("error: site: "), "{stderr}");
    assert_eq!(
        fs::read_to_string(tmp.path().join("site")).unwrap(),
        "a file"
    );
}
