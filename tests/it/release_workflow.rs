//! The release workflow, `.github/workflows/release.yml`, and what it publishes: it parses as
//! YAML, runs on a push of a `v*` tag or by hand, with a read-only token by default; a `plan` job
//! refuses a tag that is not Cargo.toml's version; the `build` matrix builds exactly the six
//! targets (the Windows and musl ones with a static C runtime) with `--release --locked`, packs
//! each into `profile-<target>.zip` (Windows) or `.tar.gz` with a `.sha256` beside it, attests
//! their provenance and uploads both; and the `release` job, for a tag push only and after every
//! build, publishes them with the two installers. Every action is pinned and every file named is
//! committed.
//!
//! Around it: Cargo.toml's `[package.metadata.binstall]` names exactly the archives and the paths
//! in them that the pack step makes; Cargo.toml, `install/profile-installer.sh` and
//! `install/profile-installer.ps1` name the same repository; and the shell installer, run against
//! a local HTTP server, installs a checked binary, and installs nothing when the checksum does
//! not match or the archive is missing.
//!
//! The plan and pack steps' scripts and the installer are run for real (with bash or sh, tar and
//! sha256sum; stand-ins for `cargo metadata`, `jq` and, when it is missing, 7-Zip). Without those
//! tools, or on Windows, those tests skip, saying why; `PROFILE_REQUIRE_TOOLS=1` makes a missing
//! tool a failure. Nothing here runs GitHub Actions.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::workflow::*;
use serde_norway::Value;
use sha2::{Digest, Sha256};

const WORKFLOW: &str = ".github/workflows/release.yml";
const SH_INSTALLER: &str = "install/profile-installer.sh";
const PS_INSTALLER: &str = "install/profile-installer.ps1";

/// What the release is built for.
const TARGETS: [&str; 6] = [
    "x86_64-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
];

/// Directories the workflow writes, so they need not be in the repository.
const MADE: [&str; 2] = ["artifacts", "target"];

/// The most a step's script may take here (they run in moments).
const SCRIPT_TIME: Duration = Duration::from_secs(60);
/// The most the installer may take: hashing, unpacking and copying a debug build of ~200 MB.
const INSTALL_TIME: Duration = Duration::from_secs(180);

/// The parsed workflow. Any YAML error (syntax, tabs, a duplicated key) fails here.
fn workflow() -> Value {
    load(WORKFLOW)
}

fn is_windows(target: &str) -> bool {
    target.contains("-windows-")
}

fn is_musl(target: &str) -> bool {
    target.ends_with("-linux-musl")
}

/// `${{ matrix.target }}` (whatever its spacing) for comparisons.
fn expression(inner: &str) -> String {
    format!("${{{{{inner}}}}}")
}

/// The step of `job` with `id: ID`.
fn step_with_id<'a>(wf: &'a Value, job_name: &str, id: &str) -> &'a Value {
    let steps = steps(job(wf, job_name), job_name);
    &steps[with_id(steps, id)]
}

/// The index of the step of `steps` with `id: ID`.
fn with_id(steps: &[Value], id: &str) -> usize {
    one_step(steps, &format!("has id `{id}`"), |s| {
        s.get("id").and_then(Value::as_str) == Some(id)
    })
}

/// The index of the step of `steps` whose `run:` script contains `command`.
fn running(steps: &[Value], command: &str) -> usize {
    one_step(steps, &format!("runs `{command}`"), |s| {
        run(s).is_some_and(|r| r.contains(command))
    })
}

/// The index of the step of `steps` that uses `name` (any version).
fn using(steps: &[Value], name: &str) -> usize {
    one_step(steps, &format!("uses {name}"), |s| {
        uses(s).map(action) == Some(name)
    })
}

/// `script` with every `${{ expr }}` replaced by its value in `values`; fails on any other.
fn substitute(script: &str, values: &[(&str, &str)]) -> String {
    fill(script, ("${{", "}}"), values, WORKFLOW)
}

/// `template` with each placeholder between `delimiters` replaced by its value in `values`;
/// fails, naming `file`, on an unclosed or unknown one.
fn fill(template: &str, delimiters: (&str, &str), values: &[(&str, &str)], file: &str) -> String {
    let (open, close) = delimiters;
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(close)
            .unwrap_or_else(|| panic!("{file}: an unclosed {open} in {template:?}"));
        let key = rest[start + open.len()..start + end].trim();
        let value = values
            .iter()
            .find(|(name, _)| *name == key)
            .unwrap_or_else(|| panic!("{file}: the test cannot stand in for {open} {key} {close}"))
            .1;
        out.push_str(value);
        rest = &rest[start + end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// `bash` as GitHub runs a step's script with `shell: bash`.
fn bash(script_file: &Path) -> Command {
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(script_file);
    command
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SHA-256 of a file, read in pieces (the archive of a debug build is large).
fn sha256_file(path: &Path) -> String {
    let mut file = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buffer).expect("read a file to hash");
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Parsing, triggers, permissions

#[test]
fn parses_and_runs_on_version_tags_and_by_hand() {
    let wf = workflow();
    let on = triggers(&wf);
    let push = at(on, "on", "push");
    assert_eq!(
        strings(at(push, "on.push", "tags")),
        ["v*"],
        "{WORKFLOW}: `on.push.tags`"
    );
    assert!(
        push.get("branches").is_none(),
        "{WORKFLOW}: a push to a branch must not start a release"
    );
    assert!(
        on.get("workflow_dispatch").is_some(),
        "{WORKFLOW}: `on` lacks `workflow_dispatch`"
    );
    for other in ["pull_request", "pull_request_target", "schedule"] {
        assert!(
            on.get(other).is_none(),
            "{WORKFLOW}: `on.{other}` has no place in a release"
        );
    }
}

#[test]
fn the_token_only_reads_unless_a_job_asks_for_more() {
    let wf = workflow();
    let permissions = at(&wf, "", "permissions")
        .as_mapping()
        .unwrap_or_else(|| panic!("{WORKFLOW}: `permissions` is not a mapping"));
    assert_eq!(
        permissions.get("contents").and_then(Value::as_str),
        Some("read"),
        "{WORKFLOW}: `permissions.contents`"
    );
    for (scope, access) in permissions {
        assert_eq!(
            access.as_str(),
            Some("read"),
            "{WORKFLOW}: the top-level `permissions` gives {scope:?} {access:?}"
        );
    }
}

/// The scripts are run with bash below, as on every runner (Git Bash on Windows).
#[test]
fn scripts_run_in_bash() {
    let wf = workflow();
    let defaults = at(&wf, "", "defaults");
    let shell = at(at(defaults, "defaults", "run"), "defaults.run", "shell");
    assert_eq!(
        shell.as_str(),
        Some("bash"),
        "{WORKFLOW}: defaults.run.shell"
    );
    for (job, step) in all_steps(&wf) {
        assert!(
            step.get("shell").is_none_or(|s| s.as_str() == Some("bash")),
            "{WORKFLOW}: a step of job {job} runs in another shell"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The build matrix

/// The build matrix's `include` entries.
fn matrix(wf: &Value) -> &[Value] {
    let strategy = at(job(wf, "build"), "jobs.build", "strategy");
    let matrix = at(strategy, "jobs.build.strategy", "matrix");
    at(matrix, "jobs.build.strategy.matrix", "include")
        .as_sequence()
        .unwrap_or_else(|| panic!("{WORKFLOW}: the build matrix's `include` is not a list"))
}

/// An entry's value as a string (`""` for an empty `rustflags`).
fn entry<'a>(item: &'a Value, key: &str) -> &'a str {
    string(at(item, "a build matrix entry", key), key)
}

#[test]
fn builds_exactly_the_six_targets_each_on_its_own_system() {
    let wf = workflow();
    let build = job(&wf, "build");
    let targets: Vec<&str> = matrix(&wf).iter().map(|i| entry(i, "target")).collect();
    let unique: BTreeSet<&str> = targets.iter().copied().collect();
    assert_eq!(
        unique.len(),
        targets.len(),
        "{WORKFLOW}: a target is built twice: {targets:?}"
    );
    assert_eq!(
        unique,
        TARGETS.into_iter().collect::<BTreeSet<_>>(),
        "{WORKFLOW}: the build targets"
    );
    assert_eq!(
        compact_expressions(string(at(build, "jobs.build", "runs-on"), "runs-on")),
        expression("matrix.runner"),
        "{WORKFLOW}: jobs.build.runs-on"
    );
    for item in matrix(&wf) {
        let (target, runner) = (entry(item, "target"), entry(item, "runner"));
        let system = if is_windows(target) {
            "windows-"
        } else if target.ends_with("-apple-darwin") {
            "macos-"
        } else {
            "ubuntu-"
        };
        assert!(
            runner.starts_with(system),
            "{WORKFLOW}: {target} is built on {runner}, not {system}*"
        );
    }
    assert!(
        strings(at(build, "jobs.build", "needs")).contains(&"plan"),
        "{WORKFLOW}: the build must wait for the plan job's tag check"
    );
}

#[test]
fn windows_and_musl_binaries_link_the_c_runtime_statically() {
    let wf = workflow();
    let steps = steps(job(&wf, "build"), "build");
    let build = running(steps, "cargo build");
    let env = at(&steps[build], "the build step", "env");
    for item in matrix(&wf) {
        let target = entry(item, "target");
        if !(is_windows(target) || is_musl(target)) {
            continue;
        }
        let flags = entry(item, "rustflags");
        assert!(
            flags.contains("target-feature=+crt-static"),
            "{WORKFLOW}: {target} is built without +crt-static: rustflags {flags:?}"
        );
        // The flags reach cargo through the per-target variable, for that target only.
        let variable = format!(
            "CARGO_TARGET_{}_RUSTFLAGS",
            target.to_uppercase().replace('-', "_")
        );
        let value = env.get(variable.as_str()).and_then(Value::as_str);
        assert_eq!(
            value.map(compact_expressions),
            Some(expression("matrix.rustflags")),
            "{WORKFLOW}: the build step's env.{variable}"
        );
    }
}

#[test]
fn each_target_is_built_for_release_with_the_lock_file() {
    let wf = workflow();
    let steps = steps(job(&wf, "build"), "build");
    let build = running(steps, "cargo build");
    let script = compact_expressions(run(&steps[build]).unwrap());
    let commands: Vec<Vec<&str>> = script
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.starts_with(&["cargo", "build"]))
        .collect();
    assert_eq!(
        commands.len(),
        1,
        "{WORKFLOW}: expected one `cargo build` in the build step: {commands:?}"
    );
    let words = &commands[0];
    for flag in ["--release", "--locked"] {
        assert!(
            words.contains(&flag),
            "{WORKFLOW}: `{}` lacks {flag}",
            words.join(" ")
        );
    }
    let target = words.iter().position(|w| *w == "--target");
    assert_eq!(
        target.and_then(|i| words.get(i + 1)).copied(),
        Some(expression("matrix.target").as_str()),
        "{WORKFLOW}: `{}` should build --target ${{{{ matrix.target }}}}",
        words.join(" ")
    );
}

// ---------------------------------------------------------------------------------------------
// Packing, attesting, uploading

/// What the pack step made for one target.
struct Packed {
    target: &'static str,
    /// The archive's file name, as the step's `archive` output gives it.
    archive: String,
    /// The files in the archive: path → bytes.
    files: BTreeMap<String, Vec<u8>>,
}

/// The stand-in for the binary cargo built for `target`.
fn fake_binary(target: &str) -> Vec<u8> {
    format!("the profile binary for {target}\n").into_bytes()
}

/// Every file under `dir`, as `prefix/relative/path` → bytes.
fn files_under(dir: &Path, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            files.extend(files_under(&entry.path(), &name));
        } else {
            files.insert(name, fs::read(entry.path()).unwrap());
        }
    }
    files
}

fn tar_gz_files(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = BTreeMap::new();
    for entry in archive.entries().expect("a .tar.gz") {
        let mut entry = entry.expect("a .tar.gz entry");
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(name.trim_start_matches("./").to_string(), bytes);
    }
    files
}

fn zip_files(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).expect("a .zip");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        if !file.is_file() {
            continue;
        }
        let name = file.name().expect("a zip entry name").replace('\\', "/");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        files.insert(name, bytes);
    }
    files
}

/// Runs the pack step's script for every target, in a directory holding what the steps before
/// it leave (the built binary, a stand-in, and the repository's README.md and LICENSE). 7-Zip,
/// which makes the Windows archives, is replaced by a stand-in that records what it was asked
/// when it is not installed. `None` when the tools are missing.
fn pack_every_target(test: &str) -> Option<Vec<Packed>> {
    if cfg!(windows) {
        skip(test, "runs the pack step with bash on Unix only");
        return None;
    }
    if !have_tools(test, &["bash", "tar", "gzip", "sha256sum|shasum"]) {
        return None;
    }
    let wf = workflow();
    let pack = step_with_id(&wf, "build", "pack");
    let script = string(at(pack, "the pack step", "run"), "the pack step's run");
    let tmp = tempfile::tempdir().unwrap();
    let real_7z = on_path("7z");
    let shims = tmp.path().join("shims");
    fs::create_dir(&shims).unwrap();
    if !real_7z {
        write_script(
            &shims.join("7z"),
            "#!/bin/sh\n# 7-Zip's stand-in: records its arguments, one a line; makes an empty file.\n\
             printf '%s\\n' \"$@\" > \"$SHIM_7Z_LOG\"\n: > \"$3\"\n",
        );
    }
    let mut packed = Vec::new();
    for target in TARGETS {
        let work = tmp.path().join(target);
        let exe = if is_windows(target) { ".exe" } else { "" };
        let release = work.join("target").join(target).join("release");
        fs::create_dir_all(&release).unwrap();
        fs::write(release.join(format!("profile{exe}")), fake_binary(target)).unwrap();
        fs::copy(repo().join("README.md"), work.join("README.md")).unwrap();
        if repo().join("LICENSE").is_file() {
            fs::copy(repo().join("LICENSE"), work.join("LICENSE")).unwrap();
        }
        let script_file = tmp.path().join(format!("pack-{target}.sh"));
        fs::write(
            &script_file,
            substitute(script, &[("matrix.target", target)]),
        )
        .unwrap();
        let github_output = tmp.path().join(format!("output-{target}"));
        let log_7z = tmp.path().join(format!("7z-{target}"));
        let output = run_bounded(
            bash(&script_file)
                .current_dir(&work)
                .env("PATH", path_with(&shims))
                .env("GITHUB_OUTPUT", &github_output)
                .env("SHIM_7Z_LOG", &log_7z),
            SCRIPT_TIME,
        );
        assert!(
            output.status.success(),
            "{WORKFLOW}: the pack step failed for {target}: {}",
            describe(&output)
        );

        let outputs = fs::read_to_string(&github_output).unwrap_or_default();
        let archives: Vec<&str> = outputs
            .lines()
            .filter_map(|l| l.strip_prefix("archive="))
            .collect();
        assert_eq!(
            archives.len(),
            1,
            "{WORKFLOW}: the pack step for {target} should set one `archive` output: {outputs:?}"
        );
        let archive = archives[0].to_string();
        let archive_path = work.join(&archive);
        assert!(
            archive_path.is_file(),
            "{WORKFLOW}: the pack step's output names {archive}, which it did not make"
        );

        let checksum = fs::read_to_string(work.join(format!("{archive}.sha256")))
            .unwrap_or_else(|e| panic!("{WORKFLOW}: no {archive}.sha256 for {target}: {e}"));
        assert_eq!(
            checksum,
            format!("{}  {archive}\n", sha256_file(&archive_path)),
            "{WORKFLOW}: {archive}.sha256 is not what sha256sum writes for it"
        );

        let files = if archive.ends_with(".tar.gz") {
            tar_gz_files(&archive_path)
        } else if archive.ends_with(".zip") && real_7z {
            zip_files(&archive_path)
        } else if archive.ends_with(".zip") {
            // What the stand-in was asked: `7z a -tzip ARCHIVE DIR` stores DIR's files as DIR/....
            let asked = fs::read_to_string(&log_7z)
                .unwrap_or_else(|_| panic!("{WORKFLOW}: 7z was not run for {archive}"));
            let args: Vec<&str> = asked.lines().collect();
            let dir = archive.strip_suffix(".zip").unwrap();
            assert_eq!(
                args,
                ["a", "-tzip", archive.as_str(), dir],
                "{WORKFLOW}: the pack step's 7z arguments for {target}"
            );
            files_under(&work.join(dir), dir)
        } else {
            panic!("{WORKFLOW}: {archive} is neither a .tar.gz nor a .zip");
        };
        packed.push(Packed {
            target,
            archive,
            files,
        });
    }
    Some(packed)
}

#[test]
fn pack_step_makes_an_archive_and_its_sha256_for_every_target() {
    let Some(packed) =
        pack_every_target("pack_step_makes_an_archive_and_its_sha256_for_every_target")
    else {
        return;
    };
    for Packed {
        target,
        archive,
        files,
    } in &packed
    {
        let (extension, exe) = if is_windows(target) {
            ("zip", ".exe")
        } else {
            ("tar.gz", "")
        };
        assert_eq!(
            *archive,
            format!("profile-{target}.{extension}"),
            "{WORKFLOW}: the archive for {target}"
        );
        // The layout both installers unpack: profile-<target>/profile[.exe].
        let binary = format!("profile-{target}/profile{exe}");
        assert_eq!(
            files.get(&binary),
            Some(&fake_binary(target)),
            "{WORKFLOW}: {archive} should hold the built binary as {binary}: {:?}",
            files.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            files.get(&format!("profile-{target}/README.md")),
            Some(&fs::read(repo().join("README.md")).unwrap()),
            "{WORKFLOW}: {archive} should hold README.md"
        );
    }
}

#[test]
fn the_upload_holds_each_archive_and_its_sha256() {
    let wf = workflow();
    let steps = steps(job(&wf, "build"), "build");
    let pack = with_id(steps, "pack");
    let upload = using(steps, "actions/upload-artifact");
    assert!(
        pack < upload,
        "{WORKFLOW}: the upload comes before the pack step"
    );
    let with = at(&steps[upload], "the upload step", "with");
    let mut paths: Vec<String> = string(at(with, "the upload step's with", "path"), "path")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(compact_expressions)
        .collect();
    paths.sort();
    let archive = expression("steps.pack.outputs.archive");
    assert_eq!(
        paths,
        [archive.clone(), format!("{archive}.sha256")],
        "{WORKFLOW}: the upload step's paths"
    );
    assert_eq!(
        at(with, "the upload step's with", "if-no-files-found").as_str(),
        Some("error"),
        "{WORKFLOW}: a missing archive must fail the upload"
    );
    // The release job downloads every upload named profile-*.
    let name = compact_expressions(string(at(with, "the upload step's with", "name"), "name"));
    assert_eq!(
        name,
        format!("profile-{}", expression("matrix.target")),
        "{WORKFLOW}: the upload's name"
    );
}

#[test]
fn provenance_is_attested_with_the_permissions_it_needs() {
    let wf = workflow();
    let build = job(&wf, "build");
    let steps = steps(build, "build");
    let attest = using(steps, "actions/attest-build-provenance");
    let pack = with_id(steps, "pack");
    let upload = using(steps, "actions/upload-artifact");
    assert!(
        pack < attest && attest < upload,
        "{WORKFLOW}: steps out of order: pack {pack}, attest {attest}, upload {upload}"
    );
    let with = at(&steps[attest], "the attest step", "with");
    let subject = string(
        at(with, "the attest step's with", "subject-path"),
        "subject-path",
    );
    assert_eq!(
        compact_expressions(subject),
        expression("steps.pack.outputs.archive"),
        "{WORKFLOW}: the attestation's subject"
    );
    let permissions = at(build, "jobs.build", "permissions");
    for (scope, access) in [
        ("id-token", "write"),
        ("attestations", "write"),
        ("contents", "read"),
    ] {
        assert_eq!(
            permissions.get(scope).and_then(Value::as_str),
            Some(access),
            "{WORKFLOW}: jobs.build.permissions.{scope}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// cargo binstall

/// `template` with `{ key }` placeholders filled from `values`; fails on an unknown one.
fn render(template: &str, values: &[(&str, &str)]) -> String {
    fill(template, ("{", "}"), values, "Cargo.toml")
}

/// Cargo.toml, parsed.
fn manifest() -> toml::Table {
    read("Cargo.toml")
        .parse()
        .unwrap_or_else(|e| panic!("Cargo.toml is not valid TOML: {e}"))
}

/// `[package]`'s string `key`.
fn package_string(manifest: &toml::Table, key: &str) -> String {
    manifest
        .get("package")
        .and_then(|p| p.get(key))
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("Cargo.toml: [package] has no string `{key}`"))
        .to_string()
}

#[test]
fn binstall_metadata_names_the_archives_the_pack_step_makes() {
    let manifest = manifest();
    let (name, version, repository) = (
        package_string(&manifest, "name"),
        package_string(&manifest, "version"),
        package_string(&manifest, "repository"),
    );
    let binstall = manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("binstall"))
        .and_then(toml::Value::as_table)
        .expect("Cargo.toml has [package.metadata.binstall]");
    let overrides = binstall
        .get("overrides")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    for target in overrides.keys() {
        assert!(
            TARGETS.contains(&target.as_str()),
            "Cargo.toml: a binstall override for {target}, which the release does not build"
        );
    }
    for target in TARGETS.into_iter().filter(|t| is_windows(t)) {
        assert!(
            overrides.contains_key(target),
            "Cargo.toml: no binstall override for {target}, whose archive is a .zip"
        );
    }

    let Some(packed) =
        pack_every_target("binstall_metadata_names_the_archives_the_pack_step_makes")
    else {
        return;
    };
    for Packed {
        target,
        archive,
        files,
    } in &packed
    {
        // The target's settings: the override's, else the general ones.
        let setting = |key: &str| -> String {
            overrides
                .get(*target)
                .and_then(|o| o.get(key))
                .or_else(|| binstall.get(key))
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("Cargo.toml: no binstall `{key}` for {target}"))
                .to_string()
        };
        let binary_ext = if is_windows(target) { ".exe" } else { "" };
        let values = [
            ("repo", repository.as_str()),
            ("version", version.as_str()),
            ("name", name.as_str()),
            ("target", *target),
            ("bin", "profile"),
            ("binary-ext", binary_ext),
        ];
        // The release is the tag v<version> (see the plan job).
        assert_eq!(
            render(&setting("pkg-url"), &values),
            format!("{repository}/releases/download/v{version}/{archive}"),
            "Cargo.toml: binstall's pkg-url for {target}"
        );
        let format = setting("pkg-fmt");
        let expected_format = if archive.ends_with(".zip") {
            "zip"
        } else {
            "tgz"
        };
        assert_eq!(
            format, expected_format,
            "Cargo.toml: binstall's pkg-fmt for {target} ({archive})"
        );
        let bin_dir = render(&setting("bin-dir"), &values);
        assert_eq!(
            files.get(&bin_dir),
            Some(&fake_binary(target)),
            "Cargo.toml: binstall's bin-dir for {target} is {bin_dir}, but {archive} holds {:?}",
            files.keys().collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The release job

#[test]
fn release_job_publishes_everything_after_every_build_of_a_tag_push() {
    let wf = workflow();
    let release = job(&wf, "release");
    let needs = strings(at(release, "jobs.release", "needs"));
    assert!(
        needs.contains(&"build") && needs.contains(&"plan"),
        "{WORKFLOW}: the release job needs {needs:?}, not build and plan"
    );
    let condition: String = string(at(release, "jobs.release", "if"), "jobs.release.if")
        .split_whitespace()
        .collect();
    assert_eq!(
        condition.trim_start_matches("${{").trim_end_matches("}}"),
        "github.event_name=='push'",
        "{WORKFLOW}: the release job must run for a tag push only (not a dry run)"
    );
    let expected: Value = serde_norway::from_str("contents: write").unwrap();
    assert_eq!(
        at(release, "jobs.release", "permissions"),
        &expected,
        "{WORKFLOW}: jobs.release.permissions"
    );

    let steps = steps(release, "release");
    let download = using(steps, "actions/download-artifact");
    let with = at(&steps[download], "the download step", "with");
    assert_eq!(
        with.get("pattern").and_then(Value::as_str),
        Some("profile-*"),
        "{WORKFLOW}: the download's pattern"
    );
    assert_eq!(
        with.get("merge-multiple").and_then(Value::as_bool),
        Some(true),
        "{WORKFLOW}: the archives go into one directory"
    );
    let dir = normalise_path(string(at(with, "the download's with", "path"), "path"));

    let publish = running(steps, "gh release create");
    assert!(
        download < publish,
        "{WORKFLOW}: publishing before downloading"
    );
    let script = run(&steps[publish]).unwrap();
    let lines: Vec<Vec<&str>> = script
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let copied = lines.iter().any(|words| {
        words.first() == Some(&"cp")
            && words.contains(&SH_INSTALLER)
            && words.contains(&PS_INSTALLER)
            && words.last().map(|w| normalise_path(w)) == Some(dir)
    });
    assert!(
        copied,
        "{WORKFLOW}: the release step should copy {SH_INSTALLER} and {PS_INSTALLER} into {dir}"
    );
    let create = lines
        .iter()
        .find(|words| words.starts_with(&["gh", "release", "create"]))
        .unwrap();
    assert_eq!(
        create.last().copied(),
        Some(format!("{dir}/*").as_str()),
        "{WORKFLOW}: `gh release create` should publish every file of {dir}"
    );
}

// ---------------------------------------------------------------------------------------------
// The plan job: the tag against Cargo.toml

/// Runs the plan step's script as GitHub would for `event` on `ref_type` `ref_name` in
/// repository `repository`, with `cargo` and `jq` standing in for the real ones and giving
/// `version` and `repository_url`. Returns the output and what it wrote to `GITHUB_OUTPUT`.
fn run_plan(
    event: &str,
    ref_type: &str,
    ref_name: &str,
    repository: &str,
    manifest_version: &str,
    manifest_repository: &str,
) -> (Output, String) {
    let wf = workflow();
    let step = step_with_id(&wf, "plan", "version");
    let script = substitute(string(at(step, "the plan step", "run"), "run"), &[]);
    let tmp = tempfile::tempdir().unwrap();
    let shims = tmp.path().join("shims");
    fs::create_dir(&shims).unwrap();
    write_script(&shims.join("cargo"), "#!/bin/sh\necho '{}'\n");
    write_script(
        &shims.join("jq"),
        "#!/bin/sh\n# jq's stand-in: answers the two questions the plan step asks.\ncat >/dev/null\n\
         case \"$*\" in\n  *'| .version'*) printf '%s\\n' \"$SHIM_VERSION\" ;;\n  \
         *'| .repository'*) printf '%s\\n' \"$SHIM_REPOSITORY\" ;;\n  \
         *) echo \"jq stand-in: unexpected filter $*\" >&2; exit 2 ;;\nesac\n",
    );
    let script_file = tmp.path().join("plan.sh");
    fs::write(&script_file, script).unwrap();
    let github_output = tmp.path().join("output");
    let output = run_bounded(
        bash(&script_file)
            .current_dir(repo())
            .env("PATH", path_with(&shims))
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_REF_TYPE", ref_type)
            .env("GITHUB_REF_NAME", ref_name)
            .env("GITHUB_REPOSITORY", repository)
            .env("SHIM_VERSION", manifest_version)
            .env("SHIM_REPOSITORY", manifest_repository),
        SCRIPT_TIME,
    );
    (
        output,
        fs::read_to_string(github_output).unwrap_or_default(),
    )
}

#[test]
fn plan_job_refuses_a_tag_that_is_not_cargo_tomls_version() {
    let wf = workflow();
    let manifest = manifest();
    let name = package_string(&manifest, "name");
    let version = package_string(&manifest, "version");
    let url = package_string(&manifest, "repository");
    let owner_repo = url.strip_prefix("https://github.com/").unwrap_or(&url);

    // The version and repository come from Cargo.toml, through cargo metadata.
    let step = step_with_id(&wf, "plan", "version");
    let script = run(step).unwrap();
    assert!(
        script.contains("cargo metadata")
            && script.contains(&format!("select(.name == \"{name}\")")),
        "{WORKFLOW}: the plan step should read package {name}'s version with cargo metadata"
    );
    let outputs = at(job(&wf, "plan"), "jobs.plan", "outputs");
    assert_eq!(
        compact_expressions(string(
            at(outputs, "jobs.plan.outputs", "version"),
            "version"
        )),
        expression("steps.version.outputs.version"),
        "{WORKFLOW}: jobs.plan.outputs.version"
    );

    if cfg!(windows) {
        skip(
            "plan_job_refuses_a_tag_that_is_not_cargo_tomls_version",
            "runs the plan step with bash on Unix only",
        );
        return;
    }
    if !have_tools(
        "plan_job_refuses_a_tag_that_is_not_cargo_tomls_version",
        &["bash"],
    ) {
        return;
    }
    let tag = format!("v{version}");
    let (output, written) = run_plan("push", "tag", &tag, owner_repo, &version, &url);
    assert!(
        output.status.success(),
        "{WORKFLOW}: the plan step refused tag {tag} for version {version}: {}",
        describe(&output)
    );
    assert!(
        written.lines().any(|l| l == format!("version={version}")),
        "{WORKFLOW}: the plan step's outputs: {written:?}"
    );

    for wrong in [
        format!("v{version}.1"),
        version.clone(),
        "v0.0.0-wrong".to_string(),
    ] {
        let (output, _) = run_plan("push", "tag", &wrong, owner_repo, &version, &url);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success() && stdout.contains("::error::"),
            "{WORKFLOW}: the plan step accepted tag {wrong} for version {version}: {}",
            describe(&output)
        );
    }

    // A dry run from a branch builds and publishes nothing, so it passes.
    let (output, _) = run_plan(
        "workflow_dispatch",
        "branch",
        "main",
        owner_repo,
        &version,
        &url,
    );
    assert!(
        output.status.success(),
        "{WORKFLOW}: a dry run failed: {}",
        describe(&output)
    );

    // A tag pushed in another repository than Cargo.toml's: the installers would not find it.
    let (output, _) = run_plan("push", "tag", &tag, "someone/fork", &version, &url);
    assert!(
        !output.status.success(),
        "{WORKFLOW}: the plan step accepted a release in someone/fork for {url}: {}",
        describe(&output)
    );
}

// ---------------------------------------------------------------------------------------------
// Cargo.toml and the installers

/// The value of the first line of `text` starting with `prefix`, without quotes.
fn assigned(text: &str, prefix: &str, file: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix(prefix))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{file}: expected one line starting with `{prefix}`, found {lines:?}"
    );
    lines[0].trim().trim_matches(['"', '\'']).to_string()
}

#[test]
fn cargo_toml_and_the_installers_name_the_same_repository() {
    let url = package_string(&manifest(), "repository");
    let owner_repo = url
        .strip_prefix("https://github.com/")
        .unwrap_or_else(|| panic!("Cargo.toml: repository {url} is not on https://github.com/"));
    let parts: Vec<&str> = owner_repo.split('/').collect();
    assert!(
        parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.ends_with(".git")),
        "Cargo.toml: repository {url} is not https://github.com/OWNER/REPO"
    );
    assert_eq!(
        assigned(&read(SH_INSTALLER), "REPOSITORY=", SH_INSTALLER),
        owner_repo,
        "{SH_INSTALLER}: REPOSITORY"
    );
    assert_eq!(
        assigned(&read(PS_INSTALLER), "$ProfileRepository =", PS_INSTALLER),
        owner_repo,
        "{PS_INSTALLER}: $ProfileRepository"
    );
}

#[test]
fn installers_fetch_the_archives_the_release_publishes() {
    // The names and layout the pack step makes (checked by running it, above).
    let sh = read(SH_INSTALLER);
    for needle in [
        "archive=\"profile-$target.tar.gz\"",
        "binary=\"$tmp/profile-$target/profile\"",
        "\"$base/$archive.sha256\"",
    ] {
        assert!(sh.contains(needle), "{SH_INSTALLER} lacks {needle}");
    }
    let ps1 = read(PS_INSTALLER);
    for needle in [
        "$target = \"$arch-pc-windows-msvc\"",
        "$archive = \"profile-$target.zip\"",
        "\"profile-$target\\profile.exe\"",
        "\"$base/$archive.sha256\"",
        "'AMD64' { $arch = 'x86_64' }",
        "'ARM64' { $arch = 'aarch64' }",
    ] {
        assert!(ps1.contains(needle), "{PS_INSTALLER} lacks {needle}");
    }
}

/// The shell function `name() { ... }` of `script`, up to its closing `}` line.
fn shell_function(script: &str, name: &str) -> String {
    let start = script
        .find(&format!("\n{name}() {{\n"))
        .unwrap_or_else(|| panic!("{SH_INSTALLER} has no function {name}"))
        + 1;
    let end = start
        + script[start..]
            .find("\n}\n")
            .unwrap_or_else(|| panic!("{SH_INSTALLER}: {name} is not closed"))
        + 3;
    script[start..end].to_string()
}

/// A script that prints the target the installer picks here, made of its own functions.
fn detect_target_script() -> String {
    let installer = read(SH_INSTALLER);
    format!(
        "REPOSITORY={}\n{}{}detect_target\n",
        assigned(&installer, "REPOSITORY=", SH_INSTALLER),
        shell_function(&installer, "fail"),
        shell_function(&installer, "detect_target"),
    )
}

#[test]
fn installer_picks_a_released_target_for_each_system() {
    if cfg!(windows) {
        skip(
            "installer_picks_a_released_target_for_each_system",
            "runs sh on Unix only",
        );
        return;
    }
    if !have_tools("installer_picks_a_released_target_for_each_system", &["sh"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let shims = tmp.path().join("shims");
    fs::create_dir(&shims).unwrap();
    write_script(
        &shims.join("uname"),
        "#!/bin/sh\ncase \"$1\" in -s) echo \"$SHIM_OS\" ;; -m) echo \"$SHIM_ARCH\" ;; *) exit 2 ;; esac\n",
    );
    write_script(
        &shims.join("sysctl"),
        "#!/bin/sh\n[ -n \"$SHIM_TRANSLATED\" ] || exit 1\necho \"$SHIM_TRANSLATED\"\n",
    );
    let script = detect_target_script();
    let detect = |os: &str, arch: &str, translated: &str| {
        run_bounded(
            Command::new("sh")
                .args(["-c", &script])
                .env("PATH", path_with(&shims))
                .env("SHIM_OS", os)
                .env("SHIM_ARCH", arch)
                .env("SHIM_TRANSLATED", translated),
            SCRIPT_TIME,
        )
    };
    for (os, arch, translated, expected) in [
        ("Linux", "x86_64", "", "x86_64-unknown-linux-musl"),
        ("Linux", "aarch64", "", "aarch64-unknown-linux-musl"),
        ("Darwin", "arm64", "", "aarch64-apple-darwin"),
        ("Darwin", "x86_64", "0", "x86_64-apple-darwin"),
        // A shell under Rosetta on Apple silicon.
        ("Darwin", "x86_64", "1", "aarch64-apple-darwin"),
    ] {
        let output = detect(os, arch, translated);
        assert!(
            output.status.success(),
            "{SH_INSTALLER} found no target for {os} {arch}: {}",
            describe(&output)
        );
        let target = String::from_utf8_lossy(&output.stdout).trim().to_string();
        assert_eq!(
            target, expected,
            "{SH_INSTALLER}: the target for {os} {arch}"
        );
        assert!(
            TARGETS.contains(&target.as_str()),
            "{SH_INSTALLER} picks {target}, which the release does not build"
        );
    }
    for (os, arch, says) in [
        ("Linux", "riscv64", "riscv64"),
        ("FreeBSD", "amd64", "FreeBSD"),
        ("MINGW64_NT-10.0-19045", "x86_64", "PowerShell"),
    ] {
        let output = detect(os, arch, "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(says),
            "{SH_INSTALLER} on {os} {arch} should fail mentioning {says}: {}",
            describe(&output)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The shell installer, end to end, against a local server

/// How long the server waits for a request's head, and for a client to take a response.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A plain HTTP server on 127.0.0.1 answering `GET /NAME` with a file or 404, one connection at
/// a time, on a thread of its own that stops when the server is dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `files`: URL path (`/name`) → file.
    fn start(files: BTreeMap<String, PathBuf>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = std::thread::spawn({
            let (stop, requests) = (stop.clone(), requests.clone());
            move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => answer(stream, &files, &requests),
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            }
        });
        Server {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request lines so far: `GET /name`.
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from `stream` and answers it.
fn answer(mut stream: TcpStream, files: &BTreeMap<String, PathBuf>, log: &Mutex<Vec<String>>) {
    // An accepted socket inherits the listener's non-blocking mode on some systems.
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(READ_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(n) if n > 0 && head.len() < 16 * 1024 => head.extend_from_slice(&buffer[..n]),
            _ => return, // closed, timed out, or too long
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    log.lock().unwrap().push(format!("{method} {target}"));
    let found = files.get(target).filter(|_| method == "GET");
    let _ = match found.and_then(|path| fs::File::open(path).ok()) {
        Some(mut file) => {
            let length = file.metadata().map(|m| m.len()).unwrap_or(0);
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {length}\r\nConnection: close\r\n\r\n"
            )
            .and_then(|()| std::io::copy(&mut file, &mut stream).map(drop))
        }
        None => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\
              Connection: close\r\n\r\nnot found\n",
        ),
    };
    let _ = stream.flush();
}

/// A scratch directory for one run of the installer: the archives the server hands out in
/// `site/`, and a home (`home/`, installing into `home/bin`) and `TMPDIR` (`tmp/`) of its own.
struct Scratch {
    tmp: tempfile::TempDir,
    target: String,
}

impl Scratch {
    /// `None` (after saying why) when the installer cannot run here.
    fn new(test: &str) -> Option<Scratch> {
        if cfg!(windows) {
            skip(test, "the shell installer is for macOS and Linux");
            return None;
        }
        if !have_tools(
            test,
            &["sh", "tar", "gzip", "sha256sum|shasum", "curl|wget"],
        ) {
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["site", "home", "tmp", "stage"] {
            fs::create_dir(tmp.path().join(dir)).unwrap();
        }
        // The target exactly as the installer works it out.
        let output = run_bounded(
            Command::new("sh").args(["-c", &detect_target_script()]),
            SCRIPT_TIME,
        );
        if !output.status.success() {
            skip(
                test,
                &format!(
                    "the installer has no binary for this system: {}",
                    describe(&output)
                ),
            );
            return None;
        }
        let target = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(
                target, "x86_64-unknown-linux-musl",
                "{SH_INSTALLER}: this system"
            );
        }
        Some(Scratch { tmp, target })
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.tmp.path().join(relative)
    }

    fn archive_name(&self) -> String {
        format!("profile-{}.tar.gz", self.target)
    }

    /// Where the installer puts the binary.
    fn install_dir(&self) -> PathBuf {
        self.path("home/bin")
    }

    /// Packs a copy of `binary` as the release does, `profile-<target>/profile` in
    /// `site/profile-<target>.tar.gz`; returns the archive.
    fn pack(&self, binary: &Path) -> PathBuf {
        let dir = format!("profile-{}", self.target);
        let stage = self.path("stage").join(&dir);
        fs::create_dir_all(&stage).unwrap();
        let copy = stage.join("profile");
        fs::copy(binary, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", binary.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let archive = self.path("site").join(self.archive_name());
        let output = run_bounded(
            Command::new("tar")
                .arg("-czf")
                .arg(&archive)
                .arg("-C")
                .arg(self.path("stage"))
                .arg(&dir),
            INSTALL_TIME,
        );
        assert!(output.status.success(), "tar failed: {}", describe(&output));
        archive
    }

    /// Writes `site/<archive>.sha256` as sha256sum does, with `hex`.
    fn write_checksum(&self, hex: &str) -> PathBuf {
        let path = self
            .path("site")
            .join(format!("{}.sha256", self.archive_name()));
        fs::write(&path, format!("{hex}  {}\n", self.archive_name())).unwrap();
        path
    }

    /// Serves the files of `site/`.
    fn serve(&self) -> Server {
        let files = fs::read_dir(self.path("site"))
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (format!("/{}", e.file_name().to_string_lossy()), e.path()))
            .collect();
        Server::start(files)
    }

    /// Runs `sh install/profile-installer.sh` against `server`.
    fn install(&self, server: &Server) -> Output {
        let mut command = Command::new("sh");
        command
            .arg(repo().join(SH_INSTALLER))
            .current_dir(self.tmp.path())
            .env("PROFILE_INSTALL_BASE_URL", server.url())
            .env("PROFILE_INSTALL_DIR", self.install_dir())
            .env("HOME", self.path("home"))
            .env("TMPDIR", self.path("tmp"))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        for proxy in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "WGETRC",
            "CURL_HOME",
        ] {
            command.env_remove(proxy);
        }
        run_bounded(&mut command, INSTALL_TIME)
    }

    /// The names in the install directory (none when it does not exist).
    fn installed(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.install_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Asserts the installer's temporary directory is gone.
    fn assert_cleaned_up(&self) {
        let left: Vec<_> = fs::read_dir(self.path("tmp")).unwrap().collect();
        assert!(
            left.is_empty(),
            "{SH_INSTALLER} left {} entries in TMPDIR",
            left.len()
        );
    }
}

/// An older `profile` already in the install directory.
const OLD_PROFILE: &[u8] = b"#!/bin/sh\necho 'profile 0.0.1 (the one installed before)'\n";

/// A small stand-in binary that runs (so the installer would take it but for what is tested).
const STAND_IN: &[u8] = b"#!/bin/sh\necho 'profile 9.9.9'\n";

/// Runs the installer with nothing in the install directory and then with an older `profile`
/// there, asserting it fails saying `says`, installs nothing and leaves the older one as it was.
fn assert_installs_nothing(scratch: &Scratch, server: &Server, says: &str) {
    let output = scratch.install(server);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains(says),
        "{SH_INSTALLER} should fail saying {says:?}: {}",
        describe(&output)
    );
    assert!(
        !scratch.install_dir().join("profile").exists(),
        "{SH_INSTALLER} installed profile anyway"
    );
    scratch.assert_cleaned_up();

    fs::create_dir_all(scratch.install_dir()).unwrap();
    let old = scratch.install_dir().join("profile");
    fs::write(&old, OLD_PROFILE).unwrap();
    let output = scratch.install(server);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains(says),
        "{SH_INSTALLER} should fail saying {says:?}: {}",
        describe(&output)
    );
    assert_eq!(
        fs::read(&old).unwrap(),
        OLD_PROFILE,
        "{SH_INSTALLER} changed the installed profile"
    );
    assert_eq!(
        scratch.installed(),
        ["profile"],
        "{SH_INSTALLER} left files in the install directory"
    );
    scratch.assert_cleaned_up();
}

#[test]
fn installer_installs_the_checked_binary_for_this_system() {
    let Some(scratch) = Scratch::new("installer_installs_the_checked_binary_for_this_system")
    else {
        return;
    };
    let binary = Path::new(common::BIN);
    let archive = scratch.pack(binary);
    scratch.write_checksum(&sha256_file(&archive));
    let server = scratch.serve();

    let output = scratch.install(&server);
    assert!(
        output.status.success(),
        "{SH_INSTALLER} failed: {}",
        describe(&output)
    );
    let name = scratch.archive_name();
    assert_eq!(
        server.requests(),
        [format!("GET /{name}"), format!("GET /{name}.sha256")],
        "{SH_INSTALLER}: what it downloaded"
    );
    assert_eq!(
        scratch.installed(),
        ["profile"],
        "{SH_INSTALLER}: the install directory"
    );
    let installed = scratch.install_dir().join("profile");
    assert_eq!(
        sha256_file(&installed),
        sha256_file(binary),
        "{SH_INSTALLER}: the installed profile differs from the one packed"
    );
    scratch.assert_cleaned_up();

    let version = run_bounded(Command::new(&installed).arg("--version"), SCRIPT_TIME);
    let printed = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.status.success() && printed.starts_with("profile "),
        "the installed profile --version: {}",
        describe(&version)
    );

    // The install directory is not on PATH here, so the installer says how to add it.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = scratch.install_dir().display().to_string();
    assert!(
        stdout.contains(&format!("{dir} is not on your PATH"))
            && stdout.contains(&format!("export PATH=\"{dir}:$PATH\"")),
        "{SH_INSTALLER} should say how to put {dir} on PATH: {}",
        describe(&output)
    );
}

#[test]
fn installer_refuses_an_archive_whose_checksum_does_not_match() {
    let Some(scratch) = Scratch::new("installer_refuses_an_archive_whose_checksum_does_not_match")
    else {
        return;
    };
    let stand_in = scratch.path("stand-in");
    fs::write(&stand_in, STAND_IN).unwrap();
    scratch.pack(&stand_in);
    // Well-formed, but of other bytes.
    scratch.write_checksum(&sha256_hex(b"something else"));
    let server = scratch.serve();
    assert_installs_nothing(&scratch, &server, "checksum mismatch");
}

#[test]
fn installer_installs_nothing_when_the_archive_is_missing() {
    let Some(scratch) = Scratch::new("installer_installs_nothing_when_the_archive_is_missing")
    else {
        return;
    };
    // Only the checksum is there: the archive is a 404.
    scratch.write_checksum(&sha256_hex(STAND_IN));
    let server = scratch.serve();
    let url = format!("{}/{}", server.url(), scratch.archive_name());
    assert_installs_nothing(&scratch, &server, &format!("could not download {url}"));
}

// ---------------------------------------------------------------------------------------------
// Actions pinned, files present

#[test]
fn every_action_is_pinned_to_a_major_tag_or_a_commit() {
    assert_actions_pinned(WORKFLOW, &workflow());
}

#[test]
fn steps_name_only_files_the_repository_has() {
    let wf = workflow();
    assert_named_files_committed(WORKFLOW, &wf, &MADE);
    // The release step copies the installers from the checkout.
    let named: Vec<String> = all_steps(&wf)
        .into_iter()
        .flat_map(|(_, step)| referenced_paths(step))
        .collect();
    for installer in [SH_INSTALLER, PS_INSTALLER] {
        assert!(
            named.iter().any(|p| p == installer),
            "{WORKFLOW}: no step names {installer}: {named:?}"
        );
    }
}
