//! Packages from the npm registry that tests run with Node.js: `har-validator` (the HAR 1.2
//! schema) and `html-validate` (the HTML of `profile report`).
//! `.ci/run` installs them into `$PROFILE_NPM_TOOLS` (default `target/npm-tools`).
//!
//! A missing package or `node` skips the test with a `skipped: …` line, unless
//! `PROFILE_REQUIRE_TOOLS=1` (CI sets it) makes it a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of npm package `name` (installed as `spec`, e.g. `har-validator@5`), or `None`
/// after saying that `test` skips. Panics when it or `node` is missing but required.
pub fn package(test: &str, name: &str, spec: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("PROFILE_NPM_TOOLS")
        .filter(|p| !p.is_empty())
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/npm-tools"),
            PathBuf::from,
        );
    let package = tools.join("node_modules").join(name);
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing = match (node, package.join("package.json").is_file()) {
        (true, true) => return Some(package),
        (false, true) => "node".to_string(),
        (true, false) => format!("{}", package.display()),
        (false, false) => format!("node and {}", package.display()),
    };
    let install = format!(
        "install Node.js (apt-get install nodejs npm) and run `npm install --prefix \
         target/npm-tools {spec}` (or point PROFILE_NPM_TOOLS at the --prefix used)"
    );
    if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} requires {missing} (PROFILE_REQUIRE_TOOLS=1): {install}");
    }
    super::skip(format_args!(
        "{test} needs {missing}: {install}; set PROFILE_REQUIRE_TOOLS=1 to make this an error"
    ));
    None
}
