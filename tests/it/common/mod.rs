//! Helpers shared by the integration tests: scratch copies of the example site, running the
//! `profile` binary, snapshots of output trees, and a small HTML/URL toolkit for link checks.
//!
//! Some helpers serve only tests that are compiled for Unix alone, or that are kept for the
//! next test that needs them (nginx's error log).
#![allow(dead_code)]
pub mod browser_lab;
pub mod capture;
pub mod chromium;
pub mod devtools_har;
pub mod firefox;
pub mod hosts;
pub mod http;
pub mod npm;
pub mod serve;
pub mod workflow;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The `profile` binary built by Cargo for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_profile");

/// The example site at the root of the repository.
pub fn example_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of a site in its own temporary directory. The site lives in `<tmp>/site`, so
/// tests can put output directories next to it (`<tmp>/out`) as well as inside it (`dist`).
pub struct Site {
    tmp: TempDir,
    root: PathBuf,
}

/// Whether these tests run as Windows programs under Wine (`.ci/windows-tests` sets
/// `WINEPREFIX`, which Wine passes on to the programs it runs).
pub fn under_wine() -> bool {
    cfg!(windows) && std::env::var_os("WINEPREFIX").is_some()
}

impl Site {
    /// Leaves the site's folder on disk when the `Site` is dropped.
    pub fn leave_on_disk(&mut self) {
        self.tmp.disable_cleanup(true);
    }

    /// A copy of the example site: `site.toml`, `content/` and `assets/` (no `theme/`, so the
    /// built-in theme is used).
    pub fn example() -> Site {
        Site::example_at("site")
    }

    /// The example site in both its languages (Chinese, and English under `en/`), as the
    /// repository has it; [`Site::example`] is its Chinese half alone.
    pub fn bilingual() -> Site {
        let site = Site::example_at("site");
        fs::copy(
            example_root().join("site.toml"),
            site.root.join("site.toml"),
        )
        .unwrap();
        fs::copy(
            example_root().join("content/index.en.md"),
            site.root.join("content/index.en.md"),
        )
        .unwrap();
        site
    }

    /// A copy of the example site at `relative` inside its temporary directory, e.g. under a
    /// path with spaces and Chinese characters as a Windows user's desktop has.
    pub fn example_at(relative: &str) -> Site {
        let tmp = tempfile::tempdir().expect("create a temporary directory");
        let root = tmp.path().join(relative);
        fs::create_dir_all(&root).unwrap();
        let from = example_root();
        fs::write(root.join("site.toml"), one_language_example()).unwrap();
        copy_dir(&from.join("content"), &root.join("content"));
        // The one-language example: most tests are about what does not depend on languages.
        fs::remove_file(root.join("content/index.en.md")).unwrap();
        copy_dir(&from.join("assets"), &root.join("assets"));
        Site { tmp, root }
    }

    /// The site's directory (the one holding `site.toml`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the site.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// A path next to the site's directory, outside it.
    pub fn outside(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Where `profile build` writes by default.
    pub fn dist(&self) -> PathBuf {
        self.path("dist")
    }

    /// Writes a file in the site, creating its directories.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
    }

    /// Reads a text file of the site.
    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).unwrap()
    }

    /// Replaces the one occurrence of `from` in a file of the site with `to`.
    pub fn replace(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert_eq!(
            text.matches(from).count(),
            1,
            "expected exactly one `{from}` in {relative}:\n{text}"
        );
        self.write(relative, text.replacen(from, to, 1));
    }

    /// Removes a file of the site.
    pub fn remove(&self, relative: &str) {
        fs::remove_file(self.path(relative)).unwrap();
    }

    /// Runs `profile ARGS` in the site's directory.
    pub fn run(&self, args: &[&str]) -> Run {
        profile(&self.root, args)
    }

    /// Runs `profile build` in the site's directory and asserts that it succeeded.
    pub fn build(&self) -> Run {
        let run = self.run(&["build"]);
        run.assert_ok();
        run
    }

    /// Runs `profile build --out OUT` and asserts that it succeeded.
    pub fn build_into(&self, out: &Path) -> Run {
        let run = self.run(&["build", "--out", out.to_str().unwrap()]);
        run.assert_ok();
        run
    }

    /// A built HTML page of `dist/`, e.g. `index.html`.
    pub fn page(&self, relative: &str) -> String {
        let path = self.dist().join(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `text` with its `/`-separated paths as messages show them on this system: profile names
/// files in its messages the way the system writes paths (`content\\about.md` on Windows, as
/// cargo and rustc do there), while the tests write them with `/`. Only for text whose every `/`
/// is a path separator.
pub fn native(text: &str) -> String {
    if cfg!(windows) {
        text.replace('/', "\\")
    } else {
        text.to_string()
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The outcome of a finished run.
    pub fn of(output: std::process::Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Asserts exit status 0.
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts the shape every user mistake is reported in: exit status 1, stderr starting with
    /// `error: `, and no trace of a panic. Returns stderr.
    pub fn assert_user_error(&self) -> &str {
        assert_eq!(
            self.code,
            Some(1),
            "expected exit status 1\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(
            self.stderr.starts_with("error: "),
            "stderr should start with `error: `: {:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(!self.stderr.contains("RUST_BACKTRACE"), "{}", self.stderr);
        &self.stderr
    }
}

/// `profile ARGS` in `cwd`, set up as every test runs it.
pub fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(cwd)
        // A panic would then print its "run with RUST_BACKTRACE=1" note, which the checks catch.
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    command
}

/// Runs `profile ARGS` in `cwd`.
pub fn profile(cwd: &Path, args: &[&str]) -> Run {
    Run::of(command(cwd, args).output().expect("run the profile binary"))
}

/// Starts `profile ARGS` in `cwd` with no input, its stdout and stderr read line by line.
pub fn spawn(
    cwd: &Path,
    args: &[&str],
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    std::sync::mpsc::Receiver<String>,
) {
    use std::process::Stdio;
    let mut child = command(cwd, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the profile binary");
    let stdout = lines_of(child.stdout.take().expect("stdout is piped"));
    let stderr = lines_of(child.stderr.take().expect("stderr is piped"));
    (child, stdout, stderr)
}

/// Every file under a directory (hidden ones included): `/`-separated relative path → bytes.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Reads every file under `dir`.
pub fn snapshot(dir: &Path) -> Tree {
    fn walk(dir: &Path, prefix: &str, tree: &mut Tree) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().into_string().expect("UTF-8 file name");
            let relative = format!("{prefix}{name}");
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{relative}/"), tree);
            } else {
                tree.insert(relative, fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut tree = Tree::new();
    walk(dir, "", &mut tree);
    tree
}

/// Asserts two trees hold the same files with the same bytes, naming the ones that differ.
pub fn assert_same_tree(expected: &Tree, actual: &Tree) {
    let expected_names: Vec<_> = expected.keys().collect();
    let actual_names: Vec<_> = actual.keys().collect();
    assert_eq!(expected_names, actual_names, "the file lists differ");
    let differing: Vec<_> = expected
        .iter()
        .filter(|(name, bytes)| actual[*name] != **bytes)
        .map(|(name, _)| name)
        .collect();
    assert!(differing.is_empty(), "these files differ: {differing:?}");
}

/// Staging (`.NAME.tmp-*`), retired (`.NAME.old-*`) and half-removed (`.NAME.del-*`)
/// directories, and replacing files (`.NAME.new-*`), left next to output `out`.
pub fn leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_str().unwrap();
    let prefixes = [
        format!(".{name}.tmp-"),
        format!(".{name}.old-"),
        format!(".{name}.del-"),
        format!(".{name}.new-"),
    ];
    fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| prefixes.iter().any(|p| n.starts_with(p)))
        .collect()
}

/// Every `.html` file under `dir`: relative path → text.
pub fn html_files(dir: &Path) -> BTreeMap<String, String> {
    snapshot(dir)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(name, bytes)| (name, String::from_utf8(bytes).expect("HTML is UTF-8")))
        .collect()
}

/// The 1-based number of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not found in:\n{text}"))
        + 1
}

/// One start tag of an HTML document.
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    /// Attribute name (lower case) → value with character references decoded.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of `html`, in order. Enough of HTML for generated pages: comments, doctype
/// and end tags are skipped, attribute values may be quoted either way or unquoted.
pub fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        i += offset + 1;
        if html[i..].starts_with("!--") {
            i += html[i..].find("-->").map_or(html.len() - i, |e| e + 3);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_end = i + html[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(html.len() - i);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attrs = Vec::new();
        loop {
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
            {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let attr_end = i + html[i..]
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                .unwrap_or(html.len() - i);
            let attr = html[i..attr_end].to_ascii_lowercase();
            i = attr_end;
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&quote) if quote == b'"' || quote == b'\'' => {
                        let end = i + 1 + html[i + 1..].find(quote as char).expect("closed quote");
                        value = html[i + 1..end].to_string();
                        i = end + 1;
                    }
                    _ => {
                        let end = i + html[i..]
                            .find(|c: char| c.is_ascii_whitespace() || c == '>')
                            .unwrap_or(html.len() - i);
                        value = html[i..end].to_string();
                        i = end;
                    }
                }
            }
            attrs.push((attr, decode_entities(&value)));
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

/// Decodes the character references generated pages use.
pub fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Every `href` and `src` value in `html`.
pub fn urls(html: &str) -> Vec<String> {
    start_tags(html)
        .iter()
        .flat_map(|tag| tag.attrs.iter())
        .filter(|(name, _)| name == "href" || name == "src")
        .map(|(_, value)| value.clone())
        .collect()
}

/// Whether `url` starts with a scheme (`https:`, `mailto:`, `data:`, but also `a:` in `a:b/c`),
/// which makes a browser read it as an absolute URL.
pub fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Decodes `%XX` escapes; the result must be UTF-8.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| panic!("`{text}` does not decode to UTF-8"))
}

/// Resolves relative URL path `url` against the page at `page` (both relative to the site root,
/// `/`-separated); `None` if it climbs above the root.
pub fn resolve(page: &str, url: &str) -> Option<String> {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop(); // the page's own file name
    let segments: Vec<&str> = url.split('/').collect();
    for (n, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {}
            "" if n + 1 < segments.len() => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Asserts every `href` and `src` in every page of `dist` is either one of `external` (the
/// user's own links), a `data:` URL, or relative and resolving to a file in `dist` (and, for
/// `#fragment` links within a page, to an element with that id).
pub fn assert_links_resolve(dist: &Path, external: &[&str]) {
    let pages = html_files(dist);
    assert!(!pages.is_empty(), "no HTML in {}", dist.display());
    let mut problems = Vec::new();
    for (page, html) in &pages {
        for url in urls(html) {
            if external.contains(&url.as_str()) || url.starts_with("data:") {
                continue;
            }
            if url.starts_with('/') || has_scheme(&url) {
                problems.push(format!("{page}: `{url}` is not relative"));
                continue;
            }
            let (path, fragment) = match url.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (url.as_str(), None),
            };
            let path = path.split('?').next().unwrap();
            if path.is_empty() {
                if let Some(id) = fragment.filter(|f| !f.is_empty()) {
                    let id = percent_decode(id);
                    let found = start_tags(html).iter().any(|t| t.attr("id") == Some(&id));
                    if !found {
                        problems.push(format!("{page}: `{url}` names no element"));
                    }
                }
                continue;
            }
            match resolve(page, &percent_decode(path)) {
                Some(target) if dist.join(&target).is_file() => {}
                Some(target) => problems.push(format!("{page}: `{url}` → `{target}` is missing")),
                None => problems.push(format!("{page}: `{url}` leaves the site")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The one file in `dist/assets/` named `STEM.<8 hex>.EXT`; returns its path relative to `dist`.
pub fn fingerprinted(dist: &Path, stem: &str, ext: &str) -> String {
    let found: Vec<String> = fs::read_dir(dist.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            name.strip_prefix(&format!("{stem}."))
                .and_then(|rest| rest.strip_suffix(&format!(".{ext}")))
                .is_some_and(|hash| {
                    hash.len() == 8
                        && hash
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                })
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one assets/{stem}.<8 hex>.{ext}, found {found:?}"
    );
    format!("assets/{}", found[0])
}

/// The first 8 hex digits of the SHA-256 of `bytes`, computed by the library.
pub fn fingerprint_of(bytes: &[u8]) -> String {
    hex::encode(&profile::hashing::sha256(bytes)[..4])
}

/// The link texts of the page's `<nav>`, in order.
pub fn nav_titles(html: &str) -> Vec<String> {
    // The site's navigation, not the language switcher before it.
    let Some(start) = html.find("<nav class=\"site-nav\"") else {
        return Vec::new();
    };
    let end = start + html[start..].find("</nav>").expect("closed <nav>");
    let nav = &html[start..end];
    nav.split("<a ")
        .skip(1)
        .map(|a| {
            let text = &a[a.find('>').unwrap() + 1..a.find("</a>").unwrap()];
            decode_entities(text.trim())
        })
        .collect()
}

/// The `href`s of the page's `<nav>` links, in order.
pub fn nav_urls(html: &str) -> Vec<String> {
    // The site's navigation, not the language switcher before it.
    let Some(start) = html.find("<nav class=\"site-nav\"") else {
        return Vec::new();
    };
    let end = start + html[start..].find("</nav>").expect("closed <nav>");
    urls(&html[start..end])
}

/// The parts of a summary line `Built N pages, M assets (SIZE) in T ms → OUT`.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub pages: usize,
    pub assets: usize,
    pub size: String,
    pub millis: u64,
    pub out: String,
}

/// Parses the summary line `build` prints, or says why it does not match.
pub fn parse_summary(line: &str) -> Result<Summary, String> {
    let bad = |what: &str| format!("{what} in {line:?}");
    let rest = line
        .strip_prefix("Built ")
        .ok_or_else(|| bad("no `Built `"))?;
    let (pages, rest) = rest.split_once(' ').ok_or_else(|| bad("no page count"))?;
    let pages: usize = pages.parse().map_err(|_| bad("bad page count"))?;
    let unit = if pages == 1 { "page, " } else { "pages, " };
    let rest = rest.strip_prefix(unit).ok_or_else(|| bad("no `pages, `"))?;
    let (assets, rest) = rest.split_once(' ').ok_or_else(|| bad("no asset count"))?;
    let assets: usize = assets.parse().map_err(|_| bad("bad asset count"))?;
    let unit = if assets == 1 { "asset (" } else { "assets (" };
    let rest = rest
        .strip_prefix(unit)
        .ok_or_else(|| bad("no `assets (`"))?;
    let (size, rest) = rest.split_once(") in ").ok_or_else(|| bad("no `) in `"))?;
    let (millis, out) = rest
        .split_once(" ms → ")
        .ok_or_else(|| bad("no ` ms → `"))?;
    let millis: u64 = millis.parse().map_err(|_| bad("bad time"))?;
    if size.is_empty() || out.is_empty() {
        return Err(bad("empty size or path"));
    }
    Ok(Summary {
        pages,
        assets,
        size: size.to_string(),
        millis,
        out: out.to_string(),
    })
}

/// Sends each line of `source` to the returned channel, on a thread of its own (for reading a
/// child's stdout and stderr with timeouts).
pub fn lines_of(source: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Set in the test process that [`alone`] starts, to the one test it runs.
const ALONE: &str = "PROFILE_TEST_ALONE";

/// For a test that measures the whole test process (its threads, its memory, a panic hook): in
/// the one test program, other modules' tests run in the same process at the same time and
/// would be counted too. Called first in such a test with its own name (`module_path!()` and the
/// function's name): in the test run, it runs that test alone in a new process of this test
/// program, fails if it fails (with its output), and returns `true`, so the caller returns; in
/// that new process it returns `false`, and the caller goes on to its body.
pub fn alone(module: &str, test: &str) -> bool {
    // `it::hostile_http` is listed as `hostile_http::…`: the crate's name is not in test names.
    let module = module.split_once("::").map_or("", |(_, rest)| rest);
    let name = format!("{module}::{test}");
    if std::env::var_os(ALONE).is_some_and(|running| running == *name) {
        return false;
    }
    let exe = std::env::current_exe().expect("the test program's path");
    let output = Command::new(exe)
        .args([&name, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE, &name)
        .output()
        .unwrap_or_else(|e| panic!("running {name} alone: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "{name}, run alone, failed ({})",
        output.status
    );
    // A name that selects nothing passes too: make sure it ran.
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{name}, run alone, did not run"
    );
    true
}

/// Says that a test skips, and why, in a line `skipped: {why}`: straight to the process's
/// stderr (the harness would hide an `eprintln!` of a passing test, and `.ci/windows-tests`
/// counts these lines), and appended to the file `PROFILE_SKIP_LOG` names, if set, so that
/// `.ci/run` can list every skip of a run after it.
pub fn skip(why: impl std::fmt::Display) {
    use std::io::Write;
    let line = format!("skipped: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(log) = std::env::var_os("PROFILE_SKIP_LOG") {
        // One write of one line in append mode: lines of tests running at once do not mix.
        let _ = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut file| file.write_all(line.as_bytes()));
    }
}

/// The example `site.toml` without its further languages (what `profile init` writes).
pub fn one_language_example() -> String {
    let text = fs::read_to_string(example_root().join("site.toml")).unwrap();
    match text.split_once("\n# Further languages:") {
        Some((one, _)) => one.to_string(),
        None => text,
    }
}
