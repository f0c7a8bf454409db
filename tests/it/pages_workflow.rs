//! The GitHub Pages workflow, `.github/workflows/pages.yml`: it parses as YAML, triggers on a push
//! to `main`, builds with the README's build command, uploads `dist/` and deploys it in a second
//! job with the permissions, concurrency group and environment GitHub documents for Pages, pins
//! every action, and names no file the repository lacks or has not committed.
//!
//! Nothing here runs GitHub Actions; these are checks on the file's structure that catch the
//! mistakes a push would otherwise only reveal on GitHub.

use crate::common;

use common::workflow::*;
use serde_norway::Value;

const WORKFLOW: &str = ".github/workflows/pages.yml";

/// The directory `cargo run --release -- build` writes to (README: "builds ... into dist/").
/// It is made by the workflow, so it need not exist in the repository.
const BUILD_OUTPUT: &str = "dist";

/// The parsed workflow. Any YAML error (syntax, tabs, a duplicated key) fails here.
fn workflow() -> Value {
    load(WORKFLOW)
}

// ---------------------------------------------------------------------------------------------
// Parsing and triggers

/// The test relies on the YAML parser failing on a broken file; make sure it does.
#[test]
fn the_parser_rejects_broken_yaml() {
    for broken in [
        "on: [push",                                  // unclosed flow sequence
        "jobs:\n\tbuild: {}",                         // a tab in indentation
        "on: push\non: workflow_dispatch",            // the same key twice
        "jobs:\n  build:\n    steps:\n  - x\n   - y", // bad indentation
    ] {
        assert!(
            serde_norway::from_str::<Value>(broken).is_err(),
            "serde_norway accepted broken YAML {broken:?}"
        );
    }
}

/// YAML 1.1 parsers (PyYAML, for one) read the unquoted key `on` as the boolean `true`; GitHub's
/// parser, like YAML 1.2's core schema, reads it as the string "on". serde_norway follows YAML
/// 1.2 (only `true`/`false` are booleans), so the key arrives as the string "on", and a lookup of
/// "on" below finds it. This pins that behaviour, so a parser change shows up here and not as a
/// confusing "no `on`" failure.
#[test]
fn on_is_read_as_a_string_key() {
    let parsed: Value = serde_norway::from_str("on: 1\ntrue: 2").unwrap();
    let map = parsed.as_mapping().unwrap();
    assert_eq!(map.get("on"), Some(&Value::from(1)));
    assert_eq!(map.get(Value::Bool(true)), Some(&Value::from(2)));

    let wf = workflow();
    let top = wf.as_mapping().unwrap();
    assert!(top.contains_key("on"), "{WORKFLOW} has no `on:` key");
    assert!(
        !top.contains_key(Value::Bool(true)),
        "{WORKFLOW} has a `true:` key (a YAML 1.1 reading of `on`?)"
    );
}

#[test]
fn triggers_on_push_to_main_and_by_hand() {
    let wf = workflow();
    let on = at(&wf, "", "on");
    let push = at(on, "on", "push");
    assert_eq!(strings(at(push, "on.push", "branches")), ["main"]);
    assert!(
        on.get("workflow_dispatch").is_some(),
        "{WORKFLOW}: `on` lacks `workflow_dispatch`"
    );
    for other in ["pull_request", "pull_request_target"] {
        assert!(
            on.get(other).is_none(),
            "{WORKFLOW}: a {other} must not deploy the site"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Permissions, concurrency, jobs

#[test]
fn has_the_pages_permissions() {
    let wf = workflow();
    let expected: Value =
        serde_norway::from_str("contents: read\npages: write\nid-token: write").unwrap();
    assert_eq!(
        at(&wf, "", "permissions"),
        &expected,
        "{WORKFLOW}: `permissions`"
    );
    for (name, job) in jobs(&wf) {
        if let Some(own) = job.get("permissions") {
            assert_eq!(own, &expected, "{WORKFLOW}: `jobs.{name:?}.permissions`");
        }
    }
}

#[test]
fn deployments_queue_in_the_pages_group() {
    let wf = workflow();
    let concurrency = at(&wf, "", "concurrency");
    assert_eq!(
        string(at(concurrency, "concurrency", "group"), "group"),
        "pages"
    );
    assert_eq!(
        at(concurrency, "concurrency", "cancel-in-progress").as_bool(),
        Some(false),
        "{WORKFLOW}: a deployment in progress must not be cancelled"
    );
}

#[test]
fn build_job_builds_with_a_toolchain_and_uploads_dist() {
    let wf = workflow();
    let build = job(&wf, "build");
    let runs_on = string(at(build, "jobs.build", "runs-on"), "jobs.build.runs-on");
    assert!(
        runs_on.starts_with("ubuntu-"),
        "{WORKFLOW}: build runs on {runs_on}"
    );
    let steps = steps(build, "build");

    let checkout = one_step(steps, "uses actions/checkout", |s| {
        uses(s).map(action) == Some("actions/checkout")
    });
    let toolchain = one_step(steps, "installs Rust", |s| {
        uses(s).is_some_and(|u| action(u) == "dtolnay/rust-toolchain")
            || run(s).is_some_and(|r| r.contains("rustup toolchain install"))
    });
    let cache = one_step(steps, "uses Swatinem/rust-cache", |s| {
        uses(s).map(action) == Some("Swatinem/rust-cache")
    });
    let cargo = one_step(steps, "runs `cargo run --release`", |s| {
        run(s).is_some_and(|r| r.contains("cargo run --release"))
    });
    let upload = one_step(steps, "uses actions/upload-pages-artifact", |s| {
        uses(s).map(action) == Some("actions/upload-pages-artifact")
    });
    // rust-cache keys its cache on the compiler version, so it comes after the toolchain.
    assert!(
        checkout < toolchain && toolchain < cache && cache < cargo && cargo < upload,
        "{WORKFLOW}: build steps out of order: checkout {checkout}, toolchain {toolchain}, \
         cache {cache}, build {cargo}, upload {upload}"
    );

    let with = at(&steps[upload], "the upload step", "with");
    let path = string(at(with, "the upload step's with", "path"), "path");
    assert_eq!(
        normalise_path(path),
        BUILD_OUTPUT,
        "{WORKFLOW}: artifact path"
    );
}

#[test]
fn deploy_job_deploys_the_build_to_the_pages_environment() {
    let wf = workflow();
    let deploy = job(&wf, "deploy");
    assert_eq!(strings(at(deploy, "jobs.deploy", "needs")), ["build"]);

    let environment = at(deploy, "jobs.deploy", "environment");
    assert_eq!(
        string(at(environment, "environment", "name"), "environment.name"),
        "github-pages"
    );
    let url = string(at(environment, "environment", "url"), "environment.url");
    let steps = steps(deploy, "deploy");
    let step = one_step(steps, "uses actions/deploy-pages", |s| {
        uses(s).map(action) == Some("actions/deploy-pages")
    });
    let id = string(
        at(&steps[step], "the deploy step", "id"),
        "the deploy step's id",
    );
    assert_eq!(
        url.split_whitespace().collect::<String>(),
        format!("${{{{steps.{id}.outputs.page_url}}}}"),
        "{WORKFLOW}: environment.url should be the deploy step's page_url output"
    );
}

// ---------------------------------------------------------------------------------------------
// Actions pinned, files present

#[test]
fn pin_check_tells_tags_from_branches() {
    for good in [
        "actions/checkout@v5",
        "Swatinem/rust-cache@v2",
        "github/codeql-action/init@v3",
        "actions/checkout@0123456789abcdef0123456789abcdef01234567",
    ] {
        assert!(is_pinned(good), "{good} should count as pinned");
    }
    for bad in [
        "actions/checkout",
        "actions/checkout@main",
        "dtolnay/rust-toolchain@stable",
        "actions/checkout@v4.1",
        "actions/checkout@v",
        "checkout@v4",
    ] {
        assert!(!is_pinned(bad), "{bad} should not count as pinned");
    }
}

#[test]
fn every_action_is_pinned_to_a_major_tag_or_a_commit() {
    let seen = assert_actions_pinned(WORKFLOW, &workflow());
    assert!(seen >= 4, "{WORKFLOW}: only {seen} `uses:` found");
}

#[test]
fn steps_name_only_files_the_repository_has() {
    assert_named_files_committed(WORKFLOW, &workflow(), &[BUILD_OUTPUT]);
}

// ---------------------------------------------------------------------------------------------
// The README and the workflow agree

/// The words of every `cargo run ... --release ... -- build` in `text`: in an inline code span
/// (which may wrap across lines) up to its closing backtick, in a code block up to the end of the
/// line or a `#` comment. Debug builds and other subcommands (`-- serve`) are skipped.
fn cargo_build_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for (at, _) in text.match_indices("cargo run") {
        let rest = &text[at..];
        let inline = text[..at].ends_with('`');
        let end = if inline {
            rest.find('`')
        } else {
            rest.find(['\n', '#'])
        };
        let words: Vec<String> = rest[..end.unwrap_or(rest.len())]
            .split_whitespace()
            .map(String::from)
            .collect();
        if !words.iter().any(|w| w == "--release") {
            continue;
        }
        let subcommand = words.iter().skip_while(|w| *w != "--").nth(1);
        if subcommand.map(String::as_str) == Some("build") {
            commands.push(words);
        }
    }
    commands
}

/// The workflow's build command: the `cargo run --release` line of the build job.
fn workflow_build_command(wf: &Value) -> Vec<String> {
    let commands: Vec<Vec<String>> = steps(job(wf, "build"), "build")
        .iter()
        .filter_map(run)
        .flat_map(cargo_build_commands)
        .collect();
    assert_eq!(
        commands.len(),
        1,
        "{WORKFLOW}: expected one build command, found {commands:?}"
    );
    commands.into_iter().next().unwrap()
}

fn without_locked(words: &[String]) -> Vec<String> {
    words.iter().filter(|w| *w != "--locked").cloned().collect()
}

#[test]
fn finds_build_commands_in_markdown() {
    let text = "```sh\ncargo run --release -- build    # into dist/\ncargo test\n```\n\
                Run `cargo run --release -- serve`, or `cargo run\n--release --locked -- build`, \
                not `cargo run -- build`.";
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        cargo_build_commands(text),
        [
            words("cargo run --release -- build"),
            words("cargo run --release --locked -- build")
        ]
    );
}

#[test]
fn readme_and_workflow_build_the_same_way() {
    let wf = workflow();
    let workflow_command = workflow_build_command(&wf);
    assert!(
        workflow_command.iter().any(|w| w == "--locked"),
        "{WORKFLOW}: build with --locked, so CI uses the committed Cargo.lock"
    );
    let expected = without_locked(&workflow_command);

    let readme = read("README.md");
    let documented = cargo_build_commands(&readme);
    assert!(
        !documented.is_empty(),
        "README.md documents no `cargo run --release -- build`"
    );
    assert!(
        documented.contains(&expected),
        "README.md never gives the build command as {:?}",
        expected.join(" ")
    );
    for command in &documented {
        assert_eq!(
            without_locked(command),
            expected,
            "README.md's `{}` differs from {WORKFLOW}'s `{}`",
            command.join(" "),
            workflow_command.join(" ")
        );
    }
    assert!(
        readme.contains(WORKFLOW),
        "README.md does not mention {WORKFLOW} (see its Publishing section)"
    );
}
