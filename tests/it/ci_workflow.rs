//! The CI workflow, `.github/workflows/ci.yml`: it parses as YAML, runs on a push to `main` and on
//! every pull request, has a `linux` job that runs `.ci/run` with `CI=true` and `windows` and
//! `macos` jobs on those systems' runners that run clippy with `-D warnings` and the test suite
//! with the committed Cargo.lock, gives every job a time limit of at most 90 minutes, pins every
//! action, and names no file the repository lacks or has not committed.
//!
//! Nothing here runs GitHub Actions; these are checks on the file's structure that catch the
//! mistakes a push would otherwise only reveal on GitHub.

use crate::common;

use common::workflow::*;
use serde_norway::Value;

const WORKFLOW: &str = ".github/workflows/ci.yml";

/// The most a job may take, in minutes.
const TIME_LIMIT: u64 = 90;

/// The parsed workflow. Any YAML error (syntax, tabs, a duplicated key) fails here.
fn workflow() -> Value {
    load(WORKFLOW)
}

/// The words of every line of the job's `run:` scripts, expressions as one word each.
fn commands(wf: &Value, name: &str) -> Vec<Vec<String>> {
    steps(job(wf, name), name)
        .iter()
        .filter_map(run)
        .flat_map(|script| {
            compact_expressions(script)
                .lines()
                .map(|line| line.split_whitespace().map(String::from).collect())
                .collect::<Vec<Vec<String>>>()
        })
        .collect()
}

/// Whether `command` runs `cargo SUBCOMMAND` with every word of `with` somewhere after it.
fn runs_cargo(command: &[String], subcommand: &str, with: &[&str]) -> bool {
    let Some(at) = command
        .windows(2)
        .position(|pair| pair[0] == "cargo" && pair[1] == subcommand)
    else {
        return false;
    };
    with.iter()
        .all(|w| command[at + 2..].iter().any(|c| c == w))
}

#[test]
fn parses_and_runs_on_pushes_to_main_and_pull_requests() {
    let wf = workflow();
    let on = triggers(&wf);
    let push = at(on, "on", "push");
    assert_eq!(
        strings(at(push, "on.push", "branches")),
        ["main"],
        "{WORKFLOW}: `on.push.branches`"
    );
    let pull_request = at(on, "on", "pull_request");
    // `pull_request:` with no filter (null) runs for pull requests into every branch.
    assert!(
        pull_request.is_null() || pull_request.get("branches").is_none(),
        "{WORKFLOW}: `on.pull_request` is filtered: {pull_request:?}"
    );
    assert!(
        on.get("pull_request_target").is_none(),
        "{WORKFLOW}: pull_request_target would run pull requests' code with write access"
    );
}

#[test]
fn the_token_only_reads() {
    let wf = workflow();
    let expected: Value = serde_norway::from_str("contents: read").unwrap();
    assert_eq!(
        at(&wf, "", "permissions"),
        &expected,
        "{WORKFLOW}: `permissions`"
    );
    for (name, job) in jobs(&wf) {
        assert!(
            job.get("permissions").is_none(),
            "{WORKFLOW}: job {name:?} asks for permissions of its own"
        );
    }
}

#[test]
fn has_the_linux_windows_and_macos_jobs() {
    let wf = workflow();
    let mut names: Vec<&str> = jobs(&wf).keys().map(|k| string(k, "a job name")).collect();
    names.sort_unstable();
    assert_eq!(names, ["linux", "macos", "windows"], "{WORKFLOW}: jobs");
    for (name, prefix) in [
        ("linux", "ubuntu-"),
        ("windows", "windows-"),
        ("macos", "macos-"),
    ] {
        let runs_on = string(
            at(job(&wf, name), &format!("jobs.{name}"), "runs-on"),
            &format!("jobs.{name}.runs-on"),
        );
        assert!(
            runs_on.starts_with(prefix),
            "{WORKFLOW}: job {name} runs on {runs_on}, not {prefix}*"
        );
    }
}

#[test]
fn linux_runs_the_ci_script_as_ci() {
    let wf = workflow();
    let runs: Vec<Vec<String>> = commands(&wf, "linux")
        .into_iter()
        .filter(|words| {
            words
                .iter()
                .any(|w| normalise_path(w) == ".ci/run" || w.ends_with("/.ci/run"))
        })
        .collect();
    assert_eq!(
        runs.len(),
        1,
        "{WORKFLOW}: expected one command running .ci/run in job linux, found {runs:?}"
    );
    let words = &runs[0];
    let script = words
        .iter()
        .position(|w| normalise_path(w) == ".ci/run")
        .unwrap();
    // `CI=true` must reach the script: an assignment before it (`env CI=true bash .ci/run`, or a
    // plain `CI=true .ci/run`), or the step's or job's `env:`.
    let in_command = words[..script].iter().any(|w| w == "CI=true");
    let linux = job(&wf, "linux");
    let step = one_step(steps(linux, "linux"), "runs .ci/run", |s| {
        run(s).is_some_and(|r| r.contains(".ci/run"))
    });
    let in_env = [linux, &steps(linux, "linux")[step], &wf]
        .iter()
        .filter_map(|v| v.get("env"))
        .filter_map(|env| env.get("CI"))
        .any(|v| v.as_str() == Some("true") || v.as_bool() == Some(true));
    assert!(
        in_command || in_env,
        "{WORKFLOW}: job linux runs `{}` without CI=true",
        words.join(" ")
    );
    // Under `sudo`, the environment is reset unless it is passed on.
    if words[..script].iter().any(|w| w == "sudo") {
        let env = words[..script].iter().position(|w| w == "env");
        let before_env = env.is_some_and(|env| words[env..script].iter().any(|w| w == "CI=true"));
        assert!(
            before_env,
            "{WORKFLOW}: job linux runs .ci/run under sudo; CI=true must come through `env`: {}",
            words.join(" ")
        );
    }
}

#[test]
fn windows_and_macos_run_clippy_and_the_tests_with_the_lock_file() {
    let wf = workflow();
    for name in ["windows", "macos"] {
        let commands = commands(&wf, name);
        let clippy = commands
            .iter()
            .any(|c| runs_cargo(c, "clippy", &["-D", "warnings"]));
        assert!(
            clippy,
            "{WORKFLOW}: job {name} does not run `cargo clippy ... -D warnings`: {commands:?}"
        );
        let tests = commands
            .iter()
            .any(|c| runs_cargo(c, "test", &["--locked"]));
        assert!(
            tests,
            "{WORKFLOW}: job {name} does not run `cargo test --locked`: {commands:?}"
        );
        // -D warnings after `--`, where clippy's lint options go (before it, cargo rejects -D).
        for command in commands.iter().filter(|c| runs_cargo(c, "clippy", &[])) {
            let dashes = command.iter().position(|w| w == "--");
            let deny = command.iter().position(|w| w == "-D");
            assert!(
                matches!((dashes, deny), (Some(d), Some(w)) if d < w),
                "{WORKFLOW}: job {name}: `{}` should end in `-- -D warnings`",
                command.join(" ")
            );
        }
    }
}

#[test]
fn every_job_has_a_time_limit() {
    let wf = workflow();
    for (name, job) in jobs(&wf) {
        let name = string(name, "a job name");
        let limit = at(job, &format!("jobs.{name}"), "timeout-minutes");
        let minutes = limit.as_u64().unwrap_or_else(|| {
            panic!("{WORKFLOW}: `jobs.{name}.timeout-minutes` is not a whole number: {limit:?}")
        });
        assert!(
            (1..=TIME_LIMIT).contains(&minutes),
            "{WORKFLOW}: job {name} may run {minutes} minutes (at most {TIME_LIMIT})"
        );
    }
}

#[test]
fn every_action_is_pinned_to_a_major_tag_or_a_commit() {
    assert_actions_pinned(WORKFLOW, &workflow());
}

#[test]
fn steps_name_only_files_the_repository_has() {
    // .ci/run at least.
    assert_named_files_committed(WORKFLOW, &workflow(), &[]);
}

/// The command check above finds what it should, and not a mention in another command.
#[test]
fn finds_cargo_commands() {
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert!(runs_cargo(
        &words("cargo clippy --locked --all-targets -- -D warnings"),
        "clippy",
        &["-D", "warnings"]
    ));
    assert!(runs_cargo(
        &words("cargo test --locked"),
        "test",
        &["--locked"]
    ));
    assert!(!runs_cargo(&words("cargo test"), "test", &["--locked"]));
    assert!(!runs_cargo(
        &words("echo cargo test --locked"),
        "clippy",
        &[]
    ));
    assert!(!runs_cargo(
        &words("cargo --locked build; cargo test"),
        "test",
        &["--locked"]
    ));
}
