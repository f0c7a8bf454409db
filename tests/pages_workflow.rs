//! The GitHub Pages workflow, `.github/workflows/pages.yml`: it parses as YAML, triggers on a push
//! to `main`, builds with the README's build command, uploads `dist/` and deploys it in a second
//! job with the permissions, concurrency group and environment GitHub documents for Pages, pins
//! every action, and names no file the repository lacks.
//!
//! Nothing here runs GitHub Actions; these are checks on the file's structure that catch the
//! mistakes a push would otherwise only reveal on GitHub.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use serde_norway::{Mapping, Value};

const WORKFLOW: &str = ".github/workflows/pages.yml";

/// The directory `cargo run --release -- build` writes to (README: "builds ... into dist/").
/// It is made by the workflow, so it need not exist in the repository.
const BUILD_OUTPUT: &str = "dist";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// The parsed workflow. Any YAML error (syntax, tabs, a duplicated key) fails here.
fn workflow() -> Value {
    let value: Value = serde_norway::from_str(&read(WORKFLOW))
        .unwrap_or_else(|e| panic!("{WORKFLOW} is not valid YAML: {e}"));
    assert!(
        value.is_mapping(),
        "{WORKFLOW}: the top level is not a mapping"
    );
    value
}

/// `value[key]`, failing with the path when it is missing.
fn at<'a>(value: &'a Value, path: &str, key: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("{WORKFLOW}: `{path}` has no `{key}`"))
}

fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{WORKFLOW}: `{what}` is not a string: {value:?}"))
}

fn jobs(wf: &Value) -> &Mapping {
    at(wf, "", "jobs")
        .as_mapping()
        .unwrap_or_else(|| panic!("{WORKFLOW}: `jobs` is not a mapping"))
}

fn job<'a>(wf: &'a Value, name: &str) -> &'a Value {
    jobs(wf)
        .get(name)
        .unwrap_or_else(|| panic!("{WORKFLOW}: no job `{name}`"))
}

fn steps<'a>(job: &'a Value, name: &str) -> &'a [Value] {
    at(job, &format!("jobs.{name}"), "steps")
        .as_sequence()
        .unwrap_or_else(|| panic!("{WORKFLOW}: `jobs.{name}.steps` is not a list"))
}

/// Every step of every job, with its job's name.
fn all_steps(wf: &Value) -> Vec<(String, &Value)> {
    let mut all = Vec::new();
    for (name, job) in jobs(wf) {
        let name = string(name, "a job name").to_string();
        if job.get("steps").is_some() {
            for step in steps(job, &name) {
                all.push((name.clone(), step));
            }
        }
    }
    all
}

fn uses(step: &Value) -> Option<&str> {
    step.get("uses").and_then(Value::as_str)
}

fn run(step: &Value) -> Option<&str> {
    step.get("run").and_then(Value::as_str)
}

/// The index of the one step in `steps` that `matches`, failing when there is none or several.
fn one_step(steps: &[Value], what: &str, matches: impl Fn(&Value) -> bool) -> usize {
    let found: Vec<usize> = (0..steps.len()).filter(|&i| matches(&steps[i])).collect();
    assert_eq!(
        found.len(),
        1,
        "{WORKFLOW}: expected one step that {what}, found {found:?}"
    );
    found[0]
}

/// The action a `uses:` names, without its version: `actions/checkout@v5` → `actions/checkout`.
fn action(uses: &str) -> &str {
    uses.split_once('@').map_or(uses, |(name, _)| name)
}

/// A string or a list of strings, as `branches:` and `needs:` may be written.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `./dist/` → `dist`.
fn normalise_path(path: &str) -> &str {
    let path = path.trim();
    let path = path.strip_prefix("./").unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path)
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

/// `owner/repo[/path]@vN` (a major version tag) or `@<40 hex digits>` (a commit).
fn is_pinned(uses: &str) -> bool {
    let Some((name, version)) = uses.split_once('@') else {
        return false;
    };
    let mut parts = name.split('/');
    let owner_repo = matches!((parts.next(), parts.next()), (Some(o), Some(r)) if !o.is_empty() && !r.is_empty());
    let major = version
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let sha = version.len() == 40 && version.bytes().all(|b| b.is_ascii_hexdigit());
    owner_repo && (major || sha)
}

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
    let wf = workflow();
    let mut seen = 0;
    for (name, job) in jobs(&wf) {
        let name = string(name, "a job name");
        let mut all: Vec<&str> = job
            .get("uses")
            .and_then(Value::as_str)
            .into_iter()
            .collect();
        if job.get("steps").is_some() {
            all.extend(steps(job, name).iter().filter_map(uses));
        }
        for used in all {
            seen += 1;
            if used.starts_with("./") {
                continue; // a local action or workflow: checked by the next test
            }
            assert!(
                is_pinned(used),
                "{WORKFLOW}: job {name} uses {used}, not pinned to @vN or a SHA"
            );
        }
    }
    assert!(seen >= 4, "{WORKFLOW}: only {seen} `uses:` found");
}

/// Relative paths a step names: a local action, a `with:` path or file, a `working-directory`,
/// a `hashFiles(...)` argument, or a word of a `run:` script that looks like a relative path.
fn referenced_paths(step: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    if let Some(local) = uses(step).filter(|u| u.starts_with("./")) {
        paths.push(local.to_string());
    }
    if let Some(dir) = step.get("working-directory").and_then(Value::as_str) {
        paths.push(dir.to_string());
    }
    if let Some(with) = step.get("with").and_then(Value::as_mapping) {
        for (key, value) in with {
            let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                continue;
            };
            if key == "path" || key == "files" || key.ends_with("-path") || key.ends_with("-file") {
                paths.extend(
                    value
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from),
                );
            }
        }
    }
    let text = serde_norway::to_string(step).unwrap();
    for (at, _) in text.match_indices("hashFiles(") {
        let args = &text[at + "hashFiles(".len()..];
        let args = &args[..args.find(')').unwrap_or(args.len())];
        paths.extend(
            args.split(',')
                .map(|a| a.trim().trim_matches(['\'', '"']).to_string()),
        );
    }
    if let Some(script) = run(step) {
        let words = script.split(|c: char| c.is_whitespace() || ";&|<>()\"'".contains(c));
        paths.extend(
            words
                .filter(|w| w.contains('/') || w.starts_with("./"))
                .filter(|w| !w.starts_with('/') && !w.starts_with('-') && !w.starts_with('~'))
                .filter(|w| !w.contains("://") && !w.contains('$') && !w.contains('='))
                .map(String::from),
        );
    }
    paths
}

#[test]
fn steps_name_only_files_the_repository_has() {
    let wf = workflow();
    let mut checked = 0;
    for (job, step) in all_steps(&wf) {
        for path in referenced_paths(step) {
            checked += 1;
            let normal = normalise_path(&path);
            if normal == BUILD_OUTPUT || normal.starts_with(&format!("{BUILD_OUTPUT}/")) {
                continue; // written by the build step
            }
            let pattern = normal.contains(['*', '?', '[']);
            assert!(
                pattern || repo().join(normal).exists(),
                "{WORKFLOW}: a step of job {job} names {path}, which is not in the repository"
            );
        }
        // `cargo ... --locked` fails without a committed Cargo.lock.
        if run(step).is_some_and(|r| r.contains("--locked")) {
            assert_committed("Cargo.lock");
        }
    }
    assert!(
        checked > 0,
        "{WORKFLOW}: no file references found (the artifact path at least)"
    );
}

/// `relative` exists, is not ignored by `.gitignore`, and, in a git checkout, is tracked.
fn assert_committed(relative: &str) {
    assert!(repo().join(relative).is_file(), "{relative} is missing");
    for line in read(".gitignore").lines().map(str::trim) {
        let ignored = line == relative || line == format!("/{relative}") || line == "*.lock";
        assert!(
            !ignored,
            ".gitignore ignores {relative} ({line:?}), but the workflow needs it"
        );
    }
    let in_git = Command::new("git")
        .arg("-C")
        .arg(repo())
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success());
    if in_git {
        let tracked = Command::new("git")
            .arg("-C")
            .arg(repo())
            .args(["ls-files", "--error-unmatch", "--", relative])
            .output()
            .expect("run git ls-files");
        assert!(tracked.status.success(), "{relative} is not committed");
    }
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
