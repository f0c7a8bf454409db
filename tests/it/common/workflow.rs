//! Reading GitHub Actions workflow files (`.github/workflows/*.yml`) for the tests that check
//! them (`pages_workflow.rs`, `release_workflow.rs`, `ci_workflow.rs`): loading and walking the
//! YAML, the checks every workflow gets (actions pinned, named files committed), and running the
//! shell scripts of steps and installers with a time limit.
//!
//! Every panic message names the workflow file: [`load`] records which file the test's thread
//! read, and the helpers, which take the parsed `Value`, name it along with the YAML path.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_norway::{Mapping, Value};

thread_local! {
    /// The file [`load`] last read on this thread, for messages.
    static FILE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The workflow file this test is looking at (the last one [`load`] read on this thread).
pub fn file() -> String {
    FILE.with(|f| {
        let f = f.borrow();
        if f.is_empty() {
            "the workflow".to_string()
        } else {
            f.clone()
        }
    })
}

/// The root of the repository.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A text file of the repository.
pub fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative))
        .unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// The parsed YAML file at `relative` in the repository. Any YAML error (syntax, tabs, a
/// duplicated key) fails here, naming the file.
pub fn load(relative: &str) -> Value {
    FILE.with(|f| *f.borrow_mut() = relative.to_string());
    let value: Value = serde_norway::from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}"));
    assert!(
        value.is_mapping(),
        "{relative}: the top level is not a mapping"
    );
    value
}

/// The workflow's `on:`, checking that it was read as the string key "on" and not as YAML 1.1's
/// boolean `true`.
pub fn triggers(wf: &Value) -> &Value {
    let top = wf.as_mapping().expect("a workflow is a mapping");
    assert!(
        !top.contains_key(Value::Bool(true)),
        "{}: has a `true:` key (a YAML 1.1 reading of `on`?)",
        file()
    );
    at(wf, "", "on")
}

/// `value[key]`, failing with the path when it is missing.
pub fn at<'a>(value: &'a Value, path: &str, key: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("{}: `{path}` has no `{key}`", file()))
}

/// `value` as a string, failing with `what` when it is something else.
pub fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{}: `{what}` is not a string: {value:?}", file()))
}

pub fn jobs(wf: &Value) -> &Mapping {
    at(wf, "", "jobs")
        .as_mapping()
        .unwrap_or_else(|| panic!("{}: `jobs` is not a mapping", file()))
}

pub fn job<'a>(wf: &'a Value, name: &str) -> &'a Value {
    jobs(wf)
        .get(name)
        .unwrap_or_else(|| panic!("{}: no job `{name}`", file()))
}

pub fn steps<'a>(job: &'a Value, name: &str) -> &'a [Value] {
    at(job, &format!("jobs.{name}"), "steps")
        .as_sequence()
        .unwrap_or_else(|| panic!("{}: `jobs.{name}.steps` is not a list", file()))
}

/// Every step of every job, with its job's name.
pub fn all_steps(wf: &Value) -> Vec<(String, &Value)> {
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

pub fn uses(step: &Value) -> Option<&str> {
    step.get("uses").and_then(Value::as_str)
}

pub fn run(step: &Value) -> Option<&str> {
    step.get("run").and_then(Value::as_str)
}

/// The index of the one step in `steps` that `matches`, failing when there is none or several.
pub fn one_step(steps: &[Value], what: &str, matches: impl Fn(&Value) -> bool) -> usize {
    let found: Vec<usize> = (0..steps.len()).filter(|&i| matches(&steps[i])).collect();
    assert_eq!(
        found.len(),
        1,
        "{}: expected one step that {what}, found {found:?}",
        file()
    );
    found[0]
}

/// The action a `uses:` names, without its version: `actions/checkout@v5` → `actions/checkout`.
pub fn action(uses: &str) -> &str {
    uses.split_once('@').map_or(uses, |(name, _)| name)
}

/// A string or a list of strings, as `branches:` and `needs:` may be written.
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `./dist/` → `dist`.
pub fn normalise_path(path: &str) -> &str {
    let path = path.trim();
    let path = path.strip_prefix("./").unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path)
}

/// `text` with the whitespace inside every `${{ ... }}` expression removed, so that each
/// expression is one word: `--target ${{ matrix.target }}` → `--target ${{matrix.target}}`.
pub fn compact_expressions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 3..start + end];
        out.push_str("${{");
        out.extend(inner.chars().filter(|c| !c.is_whitespace()));
        out.push_str("}}");
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// `owner/repo[/path]@vN` (a major version tag) or `@<40 hex digits>` (a commit).
pub fn is_pinned(uses: &str) -> bool {
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

/// Asserts that every `uses:` of workflow `file` (a job's or a step's) other than a local
/// `./...` one is pinned to a major version tag or a commit. Returns how many `uses:` it saw
/// (at least one).
pub fn assert_actions_pinned(file: &str, wf: &Value) -> usize {
    let mut seen = 0;
    for (name, job) in jobs(wf) {
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
                continue; // a local action or workflow: see assert_named_files_committed
            }
            assert!(
                is_pinned(used),
                "{file}: job {name} uses {used}, not pinned to @vN or a SHA"
            );
        }
    }
    assert!(seen > 0, "{file}: no `uses:` found");
    seen
}

/// Relative paths a step names: a local action, a `with:` path or file, a `working-directory`,
/// a `hashFiles(...)` argument, or a word of a `run:` script that looks like a relative path.
/// Paths made of `${{ ... }}` expressions are left out: what they are is known only on GitHub.
pub fn referenced_paths(step: &Value) -> Vec<String> {
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
                        .filter(|l| !l.is_empty() && !l.contains("${{"))
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
        // One word per expression, which the `$` test below then leaves out.
        let script = compact_expressions(script);
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

/// Asserts that every path a step of workflow `file` names (see [`referenced_paths`]) is in the
/// repository and committed, except glob patterns and the paths under `made` (directories the
/// workflow itself writes, such as `dist`); and that Cargo.lock is committed when a step runs
/// cargo with `--locked`. Returns how many paths it checked (at least one).
pub fn assert_named_files_committed(file: &str, wf: &Value, made: &[&str]) -> usize {
    let mut checked = 0;
    for (job, step) in all_steps(wf) {
        for path in referenced_paths(step) {
            checked += 1;
            let normal = normalise_path(&path);
            let is_made = made
                .iter()
                .any(|m| normal == *m || normal.starts_with(&format!("{m}/")));
            if is_made || normal.contains(['*', '?', '[']) {
                continue; // written by the workflow, or a pattern
            }
            assert!(
                repo().join(normal).exists(),
                "{file}: a step of job {job} names {path}, which is not in the repository"
            );
            assert_committed(normal);
        }
        // `cargo ... --locked` fails without a committed Cargo.lock.
        if run(step).is_some_and(|r| r.contains("--locked")) {
            assert_committed("Cargo.lock");
        }
    }
    assert!(
        checked > 0,
        "{file}: no file references found (an artifact path at least)"
    );
    checked
}

/// `relative` (a file or a directory) exists, is not ignored by `.gitignore`, and, in a git
/// checkout, is tracked.
pub fn assert_committed(relative: &str) {
    let file = file();
    assert!(
        repo().join(relative).exists(),
        "{file} needs {relative}, which is missing"
    );
    for line in read(".gitignore").lines().map(str::trim) {
        let ignored = line == relative || line == format!("/{relative}") || line == "*.lock";
        assert!(
            !ignored,
            ".gitignore ignores {relative} ({line:?}), but {file} needs it"
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
        assert!(
            tracked.status.success(),
            "{file} needs {relative}, which is not committed (git ls-files does not list it)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Running scripts

/// Whether an executable named `name` is on `PATH`.
pub fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(name);
        candidate.is_file() || (cfg!(windows) && candidate.with_extension("exe").is_file())
    })
}

/// Whether every tool of `tools` is on `PATH` (an entry `a|b` wants either); `false` after
/// saying that `test` skips. Panics instead when tools are required (`PROFILE_REQUIRE_TOOLS=1`,
/// as in `common::hosts`).
pub fn have_tools(test: &str, tools: &[&str]) -> bool {
    let absent: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| !tool.split('|').any(on_path))
        .collect();
    if absent.is_empty() {
        return true;
    }
    let what = absent.join(", ").replace('|', " or ");
    if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} requires {what} on PATH (PROFILE_REQUIRE_TOOLS=1)");
    }
    super::skip(format_args!(
        "{test} needs {what} on PATH; set PROFILE_REQUIRE_TOOLS=1 to make this an error"
    ));
    false
}

/// Says that `test` skips, and why (for what no tool can change, such as the operating system).
pub fn skip(test: &str, why: &str) {
    super::skip(format_args!("{test}: {why}"));
}

/// Runs `command` with no input, its output captured, failing when it takes longer than
/// `limit` (it is then killed).
pub fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    let collect = |mut source: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = source.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            // Not joining the readers: a grandchild may still hold the pipes.
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("read stdout"),
        stderr: stderr.join().expect("read stderr"),
    }
}

/// Writes an executable shell script (for stand-ins of tools such as `7z` or `jq`).
pub fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// `PATH` with `dir` in front.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("a valid PATH")
}
