//! Faults from outside: `profile build` and `profile serve --har` killed with SIGKILL at random
//! moments, the watched sources churning while the server rebuilds, and the output directory
//! vanishing or becoming unwritable while it serves. Every delay comes from a seeded generator,
//! so a failing run can be replayed; every loop is bounded in count and in time; every child
//! process is killed by a guard when a test ends, and tests only talk to 127.0.0.1.

use crate::common;

use std::fs;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use common::http::{self, Conn};
use common::serve::Served;
use common::{leftovers, Site, BIN};

/// A seeded generator: every run replays the same delays.
type Rng = fastrand::Rng;

/// A duration spread evenly over `0..=max`.
fn random_duration(rng: &mut Rng, max: Duration) -> Duration {
    let micros = max.as_micros().max(1) as u64;
    Duration::from_micros(rng.u64(..=micros))
}

/// A child process, killed (SIGKILL on Unix) and reaped when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch directory for the kill tests. On Linux, in `/dev/shm` (a tmpfs) when there is one:
/// the scratch disk of a shared CI machine takes seconds for the thousands of files of one build,
/// which would leave room for a handful of trials, not fifty. What a SIGKILL can leave behind is
/// the same on every file system (the kernel finishes each system call or does not start it;
/// only a power cut depends on the file system's journal), so the trials lose nothing there.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("profile-faults-")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().expect("create a temporary directory")
}

/// A hash of a whole directory tree: every directory and file name (relative, sorted) and every
/// file's bytes. `None` when `dir` does not exist.
fn tree_hash(dir: &Path) -> Option<[u8; 32]> {
    fn walk(dir: &Path, prefix: &str, hasher: &mut Sha256) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().into_string().expect("UTF-8 file name");
            let relative = format!("{prefix}{name}");
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                hasher.update(format!("D {relative}\0").as_bytes());
                walk(&entry.path(), &format!("{relative}/"), hasher);
            } else {
                let bytes = fs::read(entry.path()).unwrap();
                hasher.update(format!("F {relative}\0{}\0", bytes.len()).as_bytes());
                hasher.update(&bytes);
            }
        }
    }
    if !dir.exists() {
        return None;
    }
    let mut hasher = Sha256::new();
    walk(dir, "", &mut hasher);
    Some(hasher.finalize().into())
}

// ---- profile build, killed ----

/// Pages in the generated site: enough that writing and removing a tree takes a while (each
/// page is a directory and a file), few enough for fifty trials in about a minute.
const PAGES: usize = 1000;
/// Kill trials.
const TRIALS: usize = 50;

/// Writes a site of `PAGES` small pages plus the example's profile under `root`.
fn generate_site(root: &Path) {
    let example = common::example_root();
    fs::create_dir_all(root.join("content")).unwrap();
    fs::copy(example.join("site.toml"), root.join("site.toml")).unwrap();
    common::copy_dir(&example.join("assets"), &root.join("assets"));
    fs::copy(
        example.join("content/index.md"),
        root.join("content/index.md"),
    )
    .unwrap();
    for n in 0..PAGES {
        fs::write(
            root.join(format!("content/page-{n:04}.md")),
            format!(
                "+++\ntitle = \"Page {n}\"\nweight = {}\n+++\n\nPage *{n}* of the generated site.\n\n- one\n- two\n",
                n % 7
            ),
        )
        .unwrap();
    }
}

/// Makes the site version `v` (0 or 1): the description differs, and with it every page.
fn set_version(root: &Path, v: usize) {
    let path = root.join("site.toml");
    let text = fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("description = "))
        .collect();
    let mut lines = kept;
    // Top-level keys must come before the first table.
    let at = lines
        .iter()
        .position(|l| l.starts_with('['))
        .unwrap_or(lines.len());
    let description = format!("description = \"Generated site, version {v}.\"");
    lines.insert(at, &description);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn spawn_build(root: &Path) -> Guard {
    Guard(
        Command::new(BIN)
            .args(["build", "--quiet"])
            .current_dir(root)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start profile build"),
    )
}

/// Whether a staging directory `.dist.tmp-*` exists in `root`.
fn staging_exists(root: &Path) -> bool {
    fs::read_dir(root).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".dist.tmp-"))
    })
}

/// How long one build took: from start to its staging directory appearing (loading and
/// rendering), and from then to its end (writing, swapping, removing the old tree).
#[derive(Debug, Clone, Copy)]
struct Phases {
    render: Duration,
    write: Duration,
}

/// Runs a complete build, watching for its staging directory; panics if it fails.
fn timed_build(root: &Path) -> Phases {
    let started = Instant::now();
    let mut build = spawn_build(root);
    let mut staged = None;
    let deadline = started + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = build.0.try_wait().unwrap() {
            break status;
        }
        if staged.is_none() && staging_exists(root) {
            staged = Some(started.elapsed());
        }
        assert!(Instant::now() < deadline, "a build took over 2 minutes");
        thread::sleep(Duration::from_millis(1));
    };
    let total = started.elapsed();
    let mut stderr = String::new();
    let _ = build.0.stderr.take().unwrap().read_to_string(&mut stderr);
    assert!(status.success(), "build failed: {stderr}");
    let render = staged.unwrap_or(total);
    Phases {
        render,
        write: total.saturating_sub(render),
    }
}

/// What a killed build left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// `dist/` is the complete previous build.
    Old,
    /// `dist/` is the complete new build.
    New,
    /// No `dist/`, the complete previous build aside as `.dist.old-<pid>` (killed between the
    /// two renames), put back by the next build.
    Aside,
}

/// Runs the build after a killed one and checks it finishes what that one left: `dist/` is the
/// tree hashed `expected`, and nothing is left beside it.
fn next_build_finishes(root: &Path, expected: [u8; 32], trial: usize, outcome: Outcome) -> Phases {
    let phases = timed_build(root);
    let dist = root.join("dist");
    assert_eq!(
        tree_hash(&dist),
        Some(expected),
        "trial {trial}: the next build"
    );
    assert_eq!(
        leftovers(&dist),
        Vec::<String>::new(),
        "trial {trial} ({outcome:?}): left after the next build"
    );
    phases
}

/// SIGKILL at random moments of `profile build` over a site of 1,000 pages: every time, `dist/`
/// is the complete old or the complete new build (or, where the swap is two renames rather than
/// Linux's one exchange, killed between them, the complete old build stands aside and the next
/// build puts it back), and after the next build no staging or retired directory is left.
///
/// A third of the kills fall anywhere in the build; two thirds fall in its last phase, once the
/// staging directory exists (writing, the swap, removing the old tree), where the faults are.
#[test]
fn killing_a_build_leaves_the_old_or_the_new_tree() {
    let scratch = scratch();
    let root = scratch.path().join("site");
    generate_site(&root);
    let dist = root.join("dist");
    println!("scratch: {}", scratch.path().display());

    // The two versions' trees, each built whole (twice: the second replaces the first).
    let mut hashes = [[0u8; 32]; 2];
    let mut phases = Vec::new();
    for v in [0, 1, 0] {
        set_version(&root, v);
        phases.push(timed_build(&root));
        hashes[v] = tree_hash(&dist).expect("dist after a build");
    }
    set_version(&root, 1);
    phases.push(timed_build(&root));
    assert_eq!(tree_hash(&dist), Some(hashes[1]));
    assert_ne!(hashes[0], hashes[1]);
    let mut current = 1;

    let mut rng = Rng::with_seed(0x5eed_f0b1_11d0);
    let mut outcomes = std::collections::BTreeMap::new();
    let started = Instant::now();
    for trial in 0..TRIALS {
        // The latest builds' phases, for the delays (the machine's load changes).
        let recent = &phases[phases.len().saturating_sub(3)..];
        let render = recent.iter().map(|p| p.render).max().unwrap();
        let write = recent.iter().map(|p| p.write).max().unwrap();
        let next = 1 - current;
        set_version(&root, next);
        let mut build = spawn_build(&root);
        let spawned = Instant::now();
        let delay = if trial % 3 == 0 {
            let delay = random_duration(&mut rng, (render + write).mul_f64(1.1));
            thread::sleep(delay);
            delay
        } else {
            // Wait for the staging directory (bounded), then a delay within the write phase.
            let deadline = spawned + render * 4 + Duration::from_secs(5);
            while !staging_exists(&root)
                && build.0.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {
                thread::sleep(Duration::from_millis(1));
            }
            thread::sleep(random_duration(&mut rng, write.mul_f64(1.2)));
            spawned.elapsed()
        };
        let _ = build.0.kill();
        let status = build.0.wait().unwrap();

        let aside: Vec<String> = leftovers(&dist)
            .into_iter()
            .filter(|n| n.starts_with(".dist.old-"))
            .collect();
        let outcome = match tree_hash(&dist) {
            Some(h) if h == hashes[current] => Outcome::Old,
            Some(h) if h == hashes[next] => Outcome::New,
            Some(_) => panic!(
                "trial {trial} (killed after {delay:?}, {status}): dist/ is neither build; \
                 beside it: {:?}",
                leftovers(&dist)
            ),
            None => {
                // On Linux the swap is one renameat2(RENAME_EXCHANGE): dist/ is never missing.
                if cfg!(target_os = "linux") {
                    panic!(
                        "trial {trial} (killed after {delay:?}): no dist/ on Linux; beside it {:?}",
                        leftovers(&dist)
                    );
                }
                assert_eq!(
                    aside.len(),
                    1,
                    "trial {trial} (killed after {delay:?}): no dist/, and beside it {:?}",
                    leftovers(&dist)
                );
                assert_eq!(
                    tree_hash(&root.join(&aside[0])),
                    Some(hashes[current]),
                    "trial {trial}: no dist/, and {} is not the complete old build",
                    aside[0]
                );
                Outcome::Aside
            }
        };
        *outcomes.entry(outcome).or_insert(0) += 1;

        phases.push(next_build_finishes(&root, hashes[next], trial, outcome));
        current = next;
    }
    println!(
        "{TRIALS} builds of {PAGES} pages killed in {:?}: {outcomes:?}; phases of the last build: {:?}",
        started.elapsed(),
        phases.last().unwrap()
    );
    assert!(
        outcomes.contains_key(&Outcome::Old) && outcomes.contains_key(&Outcome::New),
        "the kills should land both before and after the swap: {outcomes:?}"
    );
}

/// Makes version `v` of the generated site's first page: its text, and only that page's output,
/// differs between versions (its title, and so every other page, stays).
fn set_page_version(root: &Path, v: usize) {
    fs::write(
        root.join("content/page-0000.md"),
        format!("+++\ntitle = \"Page 0\"\nweight = 0\n+++\n\nPage 0, version {v}.\n"),
    )
    .unwrap();
}

/// Builds that change one page replace that file alone, with one rename in place of the swap of
/// the whole tree. SIGKILL at random moments of such builds, mostly late in them (the comparison
/// with the previous build and the rename come last): every time `dist/` is the complete old or
/// the complete new build, and after the next build nothing is left beside it.
#[test]
fn killing_a_build_that_replaces_one_file_leaves_the_old_or_the_new_tree() {
    let scratch = scratch();
    let root = scratch.path().join("site");
    generate_site(&root);
    let dist = root.join("dist");

    let mut hashes = [[0u8; 32]; 2];
    let mut took = Vec::new();
    for v in [0, 1, 0] {
        set_page_version(&root, v);
        let phases = timed_build(&root);
        took.push(phases.render + phases.write);
        hashes[v] = tree_hash(&dist).expect("dist after a build");
    }
    assert_ne!(hashes[0], hashes[1]);
    let mut current = 0;

    let mut rng = Rng::with_seed(0x0e_f11e_5eed);
    let mut outcomes = std::collections::BTreeMap::new();
    for trial in 0..TRIALS {
        let whole = took[took.len().saturating_sub(3)..]
            .iter()
            .max()
            .copied()
            .unwrap();
        let next = 1 - current;
        set_page_version(&root, next);
        let mut build = spawn_build(&root);
        let delay = whole.mul_f64(0.5) + random_duration(&mut rng, whole.mul_f64(0.8));
        thread::sleep(delay);
        let _ = build.0.kill();
        let status = build.0.wait().unwrap();
        let outcome =
            match tree_hash(&dist) {
                Some(h) if h == hashes[current] => Outcome::Old,
                Some(h) if h == hashes[next] => Outcome::New,
                other => panic!(
                "trial {trial} (killed after {delay:?}, {status}): dist/ is {}; beside it: {:?}",
                if other.is_some() { "neither build" } else { "missing" },
                leftovers(&dist)
            ),
            };
        *outcomes.entry(outcome).or_insert(0) += 1;

        let phases = next_build_finishes(&root, hashes[next], trial, outcome);
        took.push(phases.render + phases.write);
        current = next;
    }
    println!("{TRIALS} one-page builds of {PAGES} pages killed: {outcomes:?}");
    assert!(
        outcomes.contains_key(&Outcome::Old) && outcomes.contains_key(&Outcome::New),
        "the kills should land both before and after the rename: {outcomes:?}"
    );
}

/// What a build killed between its two renames leaves, where the swap is two renames (not on
/// Linux, where it is one exchange; built here by hand, since a random kill lands in that
/// window of a few microseconds too rarely to count on): no `dist/`, the complete
/// previous build as `.dist.old-<pid>` and the complete new one as `.dist.tmp-<pid>`. The next
/// build puts the previous one back before anything else, so that even a build that then fails
/// on a mistake in the site leaves `dist/` as it was; and then nothing is left beside it.
#[test]
fn the_build_after_one_killed_between_the_renames_puts_the_old_tree_back() {
    let site = Site::example();
    site.build();
    let old = tree_hash(&site.dist()).unwrap();
    site.replace("content/index.md", "打羽毛球", "打乒乓球");
    let new_tree = site.outside("new");
    site.build_into(&new_tree);
    fs::rename(&new_tree, site.path(".dist.tmp-4000001")).unwrap();
    fs::rename(site.dist(), site.path(".dist.old-4000001")).unwrap();
    // A half-removed tree of an even earlier build, and a staging directory killed before its
    // marker was written: removed too.
    fs::create_dir(site.path(".dist.del-4000000")).unwrap();
    fs::write(site.path(".dist.del-4000000/.profile-dist"), "").unwrap();
    fs::create_dir(site.path(".dist.tmp-4000002")).unwrap();
    // Lookalikes that are not profile's: kept.
    fs::create_dir(site.path(".dist.old-mine")).unwrap();
    fs::create_dir(site.path(".dist.tmp-4000003")).unwrap();
    fs::write(site.path(".dist.tmp-4000003/notes.txt"), "mine").unwrap();

    // A mistake in the site: the build fails, and dist/ is the previous build again.
    site.write("site.toml", "this is not = = toml");
    let run = site.run(&["build"]);
    run.assert_user_error();
    assert_eq!(tree_hash(&site.dist()), Some(old), "dist/ was not put back");
    let mut left = leftovers(&site.dist());
    left.sort();
    assert_eq!(left, [".dist.old-mine", ".dist.tmp-4000003"]);
    assert_eq!(
        fs::read_to_string(site.path(".dist.tmp-4000003/notes.txt")).unwrap(),
        "mine"
    );
}

// ---- profile serve, as a child process ----

/// A running `profile serve`, killed when dropped, with its output read line by line.
struct ServeChild {
    guard: Guard,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl ServeChild {
    /// Starts `profile serve --port 0 ARGS` in `dir`.
    fn spawn(dir: &Path, args: &[&str]) -> ServeChild {
        let args: Vec<&str> = ["serve", "--port", "0"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        let (child, stdout, stderr) = common::spawn(dir, &args);
        ServeChild {
            guard: Guard(child),
            stdout,
            stderr,
        }
    }

    /// The address from the ` * Running on http://127.0.0.1:PORT/` line, read within `within`.
    fn addr(&self, within: Duration) -> Option<SocketAddr> {
        addr_from(&self.stdout, within)
    }

    /// Every stderr line that arrives within `within`.
    fn stderr_lines(&self, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut lines = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => break,
            }
        }
        lines
    }
}

/// The port of the ` * Running on http://127.0.0.1:PORT/` line among `lines`.
fn addr_from(lines: &Receiver<String>, within: Duration) -> Option<SocketAddr> {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = lines.recv_timeout(left).ok()?;
        if let Some(port) = line
            .strip_prefix(" * Running on http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|port| port.parse::<u16>().ok())
        {
            return Some(SocketAddr::from(([127, 0, 0, 1], port)));
        }
    }
    None
}

/// Polls `check` every 50 ms until it holds or `within` has passed; whether it held.
fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// `GET target` on a connection of its own: status and body, or `None` when the server did not
/// answer (within the client's bounded timeout).
fn try_get(addr: SocketAddr, target: &str) -> Option<(u16, String)> {
    let mut conn = Conn::try_open(addr).ok()?;
    conn.set_read_timeout(Duration::from_secs(5));
    conn.try_send(&http::request_bytes(
        "GET",
        target,
        &[("Connection", "close")],
    ))
    .ok()?;
    let response = conn.read_response().ok()?;
    Some((response.status, response.text()))
}

// ---- profile serve --har, killed ----

/// Kill trials of `serve --har`.
const HAR_TRIALS: usize = 24;

/// SIGKILL at random moments of `profile serve --har FILE` while clients keep it busy: the HAR
/// file is always a whole HAR document (JSON with a `log.entries` array), or not there yet when
/// the kill came before the server wrote it. It is rewritten after every batch of exchanges
/// through a temporary file and a rename, so a kill mid-write leaves the previous document.
#[test]
fn killing_serve_leaves_a_whole_har_file_or_none() {
    let site = Site::example();
    let har = site.outside("capture.har");
    let har_arg = har.to_str().unwrap().to_string();
    let mut rng = Rng::with_seed(0x4a5_c0ffee);
    let (mut missing, mut entries) = (0, Vec::new());
    let started = Instant::now();
    for trial in 0..HAR_TRIALS {
        let _ = fs::remove_file(&har);
        let mut serve = ServeChild::spawn(site.root(), &["--quiet", "--har", &har_arg]);
        // Clients: from the moment the address is printed, three keep-alive connections asking
        // for pages, the stylesheet and missing files as fast as they are answered.
        let stop = Arc::new(AtomicBool::new(false));
        let stdout = std::mem::replace(&mut serve.stdout, std::sync::mpsc::channel().1);
        let clients = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let Some(addr) = addr_from(&stdout, Duration::from_secs(60)) else {
                    return 0;
                };
                let workers: Vec<_> = (0..3)
                    .map(|n| {
                        let stop = Arc::clone(&stop);
                        thread::spawn(move || drive(addr, n, &stop))
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
            })
        };
        // Most kills while it serves (start-up takes about 100 ms in a debug build); some
        // during start-up, before the HAR file exists.
        let delay = random_duration(
            &mut rng,
            Duration::from_millis(if trial % 4 == 0 { 150 } else { 900 }),
        );
        thread::sleep(delay);
        let _ = serve.guard.0.kill();
        let _ = serve.guard.0.wait();
        stop.store(true, Ordering::SeqCst);
        let answered: usize = clients.join().unwrap();

        match fs::read(&har) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing += 1,
            Err(e) => panic!("trial {trial}: {e}"),
            Ok(bytes) => {
                let document: serde_json::Value =
                    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                        panic!(
                            "trial {trial} (killed after {delay:?}, {answered} answered): the \
                             HAR file ({} bytes) is not JSON: {e}",
                            bytes.len()
                        )
                    });
                let list = document["log"]["entries"].as_array().unwrap_or_else(|| {
                    panic!("trial {trial}: no log.entries array in the HAR file")
                });
                assert_eq!(document["log"]["version"], "1.2", "trial {trial}");
                assert!(list.len() <= answered + 3, "trial {trial}");
                entries.push(list.len());
            }
        }
    }
    entries.sort_unstable();
    println!(
        "{HAR_TRIALS} servers killed in {:?}: {missing} before the HAR file existed, {} with a \
         whole HAR document (entries: min {:?}, median {:?}, max {:?})",
        started.elapsed(),
        entries.len(),
        entries.first(),
        entries.get(entries.len() / 2),
        entries.last()
    );
    assert!(
        entries.iter().filter(|&&n| n > 0).count() >= HAR_TRIALS / 2,
        "most kills should find a HAR file with entries: {entries:?}"
    );
}

/// Requests on one keep-alive connection (a new one when it closes) until `stop`; returns how
/// many were answered.
fn drive(addr: SocketAddr, n: usize, stop: &AtomicBool) -> usize {
    let targets = ["/", "/missing", "/index.html", "/nowhere/"];
    let mut answered = 0;
    let mut conn: Option<Conn> = None;
    let mut i = n;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::try_open(addr) {
                Ok(c) => conn.insert(c),
                Err(_) => return answered,
            },
        };
        c.set_read_timeout(Duration::from_secs(2));
        i += 1;
        let ok = c
            .try_send(&http::request_bytes("GET", targets[i % targets.len()], &[]))
            .is_ok()
            && c.read_response().is_ok();
        if ok {
            answered += 1;
        } else {
            conn = None;
            if stop.load(Ordering::SeqCst) {
                break;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
    answered
}

// ---- the sources churning while the server rebuilds ----

/// Files deleted, renamed and rewritten, a directory replaced by a file and back, `site.toml`
/// briefly gone, in a bounded loop while the server rebuilds: it answers `/` throughout, and once
/// the churn stops it converges within a bounded wait: the served pages and `dist/` reflect the
/// final state, and a removed page is a 404.
#[test]
fn the_server_survives_churning_sources_and_converges() {
    let site = Site::example();
    site.write(
        "content/gone.md",
        "# Gone\n\nThis page is removed at the end.\n",
    );
    site.write("content/dir/inner.md", "# Inner\n\nIn a directory.\n");
    let served = Served::start(site);
    let addr = served.addr;
    let site = &served.site;
    assert_eq!(try_get(addr, "/gone/").map(|r| r.0), Some(200));

    let mut rng = Rng::with_seed(0xc4_0a11);
    let started = Instant::now();
    let mut iterations = 0;
    let mut unanswered = Vec::new();
    while iterations < 300 && started.elapsed() < Duration::from_secs(6) {
        iterations += 1;
        let k = rng.u64(..4);
        // Failures are expected: the previous step may have removed what this one touches.
        let _ = match rng.u64(..8) {
            0 => fs::write(
                site.path(&format!("content/churn-{k}.md")),
                format!("# Churn {k}\n\nIteration {iterations}.\n"),
            ),
            1 => fs::remove_file(site.path(&format!("content/churn-{k}.md"))),
            2 => fs::rename(
                site.path(&format!("content/churn-{k}.md")),
                site.path(&format!("content/churn-{}.md", (k + 1) % 4)),
            ),
            3 => fs::remove_dir_all(site.path("content/dir"))
                .and_then(|()| fs::write(site.path("content/dir"), "a file where a directory was")),
            4 => fs::remove_file(site.path("content/dir"))
                .or_else(|_| fs::remove_dir_all(site.path("content/dir")))
                .and_then(|()| fs::create_dir(site.path("content/dir")))
                .and_then(|()| {
                    fs::write(
                        site.path("content/dir/inner.md"),
                        format!("# Inner\n\nIteration {iterations}.\n"),
                    )
                }),
            5 => fs::rename(site.path("site.toml"), site.path("site.toml.away")).and_then(|()| {
                thread::sleep(Duration::from_millis(rng.u64(..30)));
                fs::rename(site.path("site.toml.away"), site.path("site.toml"))
            }),
            6 => fs::write(
                site.path("content/gone.md"),
                format!("# Gone\n\nIteration {iterations}.\n"),
            ),
            _ => fs::write(
                site.path("content/index.md"),
                format!("Hello, iteration {iterations}.\n"),
            ),
        };
        if iterations % 5 == 0 {
            match try_get(addr, "/") {
                Some((200, _)) => {}
                other => unanswered.push((iterations, other.map(|r| r.0))),
            }
        }
        thread::sleep(Duration::from_millis(rng.u64(..25)));
    }
    let churned = started.elapsed();
    assert!(
        unanswered.is_empty(),
        "GET / during the churn: {unanswered:?}"
    );

    // The final state.
    if !site.path("site.toml").exists() {
        fs::rename(site.path("site.toml.away"), site.path("site.toml")).unwrap();
    }
    let _ = fs::remove_file(site.path("content/dir"));
    let _ = fs::remove_dir_all(site.path("content/dir"));
    fs::create_dir(site.path("content/dir")).unwrap();
    site.write("content/dir/inner.md", "# Inner\n\nFINAL-INNER\n");
    site.write("content/final.md", "# Final\n\nFINAL-PAGE\n");
    site.write("content/index.md", "FINAL-HOME\n");
    fs::remove_file(site.path("content/gone.md")).unwrap();
    for k in 0..4 {
        let _ = fs::remove_file(site.path(&format!("content/churn-{k}.md")));
    }
    let settled = Instant::now();
    let converged = eventually(Duration::from_secs(30), || {
        let has = |target: &str, text: &str| {
            try_get(addr, target).is_some_and(|(status, body)| status == 200 && body.contains(text))
        };
        has("/", "FINAL-HOME")
            && has("/final/", "FINAL-PAGE")
            && has("/dir/inner/", "FINAL-INNER")
            && try_get(addr, "/gone/").is_some_and(|(status, _)| status == 404)
            && try_get(addr, "/churn-0/").is_some_and(|(status, _)| status == 404)
    });
    let served_after = settled.elapsed();
    assert!(
        converged,
        "30 s after the churn stopped the server still does not serve the final state: / {:?}, \
         /final/ {:?}, /gone/ {:?}",
        try_get(addr, "/").map(|r| r.0),
        try_get(addr, "/final/").map(|r| r.0),
        try_get(addr, "/gone/").map(|r| r.0)
    );
    let dist = served.dist();
    let on_disk = eventually(Duration::from_secs(30), || {
        fs::read_to_string(dist.join("final/index.html")).is_ok_and(|t| t.contains("FINAL-PAGE"))
            && fs::read_to_string(dist.join("index.html")).is_ok_and(|t| t.contains("FINAL-HOME"))
            && !dist.join("gone").exists()
    });
    assert!(on_disk, "dist/ does not reflect the final state");
    // The writer may still be removing the tree it swapped out the moment the new one shows.
    let cleaned = eventually(Duration::from_secs(30), || leftovers(&dist).is_empty());
    assert!(cleaned, "left beside dist/: {:?}", leftovers(&dist));
    println!("{iterations} changes in {churned:?}; the final state served after {served_after:?}");
}

// ---- the output directory failing while the server runs ----

/// A content edit, and the served home page showing it (from memory) within a bounded wait.
fn edit_and_see(site_root: &Path, addr: SocketAddr, marker: &str) {
    fs::write(
        site_root.join("content/index.md"),
        format!("Hello.\n\n{marker}\n"),
    )
    .unwrap();
    assert!(
        eventually(Duration::from_secs(20), || {
            try_get(addr, "/").is_some_and(|(status, body)| status == 200 && body.contains(marker))
        }),
        "the served page never showed {marker}"
    );
}

fn dist_shows(dist: &Path, marker: &str) -> bool {
    fs::read_to_string(dist.join("index.html")).is_ok_and(|t| t.contains(marker))
}

/// The output directory removed (`rm -rf dist`), its parent replaced by a file, or made
/// read-only while the server runs: the server keeps answering from memory, rebuilds still reach
/// the browser, a write of the output that fails says so in one line on stderr, and once the
/// directory can be written again the next rebuild writes it.
#[test]
fn the_server_outlives_a_vanishing_or_unwritable_output_directory() {
    let site = Site::example();
    let parent = site.outside("published");
    let dist = parent.join("dist");
    let serve = ServeChild::spawn(
        site.root(),
        &["--quiet", "--no-reload", "--out", dist.to_str().unwrap()],
    );
    let addr = serve
        .addr(Duration::from_secs(120))
        .expect("the server's address");
    assert!(dist.join("index.html").is_file());

    // 1. rm -rf dist: served from memory; the next rebuild writes it again.
    fs::remove_dir_all(&dist).unwrap();
    assert_eq!(try_get(addr, "/").map(|r| r.0), Some(200));
    edit_and_see(site.root(), addr, "EDIT-ONE");
    assert!(
        eventually(Duration::from_secs(20), || dist_shows(&dist, "EDIT-ONE")),
        "dist/ was not written again after it vanished"
    );

    // 2. Its parent replaced by a file: the write fails with one line on stderr.
    fs::remove_dir_all(&parent).unwrap();
    fs::write(&parent, "a file where the output's parent was").unwrap();
    assert_eq!(try_get(addr, "/").map(|r| r.0), Some(200));
    edit_and_see(site.root(), addr, "EDIT-TWO");
    let warning = unwritable_warning(&serve, &dist);
    println!("parent replaced by a file: {warning}");
    assert!(warning.contains("is a file, not a directory"), "{warning}");

    // Back: the next rebuild writes it.
    fs::remove_file(&parent).unwrap();
    fs::create_dir(&parent).unwrap();
    edit_and_see(site.root(), addr, "EDIT-THREE");
    assert!(
        eventually(Duration::from_secs(20), || dist_shows(&dist, "EDIT-THREE")),
        "dist/ was not written once its parent was back"
    );

    // 3. Read-only. Mode 555 binds an ordinary user; root ignores it (and CI runs as root), so
    // there the folder is made immutable instead (`chattr +i`, which binds root too).
    match ReadOnly::make(&parent) {
        Some(read_only) => {
            edit_and_see(site.root(), addr, "EDIT-FOUR");
            let warning = unwritable_warning(&serve, &dist);
            println!("parent read-only ({}): {warning}", read_only.how);
            assert!(
                dist_shows(&dist, "EDIT-THREE"),
                "dist/ changed while read-only"
            );
            drop(read_only);
            edit_and_see(site.root(), addr, "EDIT-FIVE");
            assert!(
                eventually(Duration::from_secs(20), || dist_shows(&dist, "EDIT-FIVE")),
                "dist/ was not written once writable again"
            );
        }
        None => {
            let why = "this process can write into a folder with mode 555 (root?) and cannot make \
                       it immutable (chattr +i)";
            if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
                panic!("the read-only case cannot run (PROFILE_REQUIRE_TOOLS=1): {why}");
            }
            common::skip(format_args!(
                "faults::the_server_outlives_a_vanishing_or_unwritable_output_directory, the \
                 read-only case: {why}"
            ));
        }
    }
    assert_eq!(leftovers(&dist), Vec::<String>::new());
    drop(serve);
}

/// Waits for the one-line warning that `dist` could not be written, and checks that nothing but
/// such lines follow (no panic, no second line of the same message).
fn unwritable_warning(serve: &ServeChild, dist: &Path) -> String {
    let lines = serve.stderr_lines(Duration::from_secs(3));
    let warning = lines
        .iter()
        .find(|l| l.starts_with("warning: could not update "))
        .unwrap_or_else(|| panic!("no warning on stderr: {lines:?}"))
        .clone();
    assert!(warning.contains(&dist.display().to_string()), "{warning}");
    for line in &lines {
        assert!(
            line.starts_with("warning: could not update "),
            "unexpected stderr line: {line:?} (all: {lines:?})"
        );
    }
    warning
}

/// A folder this process cannot write into, writable again when dropped (also on a panic,
/// which would otherwise leave an immutable folder that not even root can delete).
struct ReadOnly {
    path: PathBuf,
    /// How: `mode 555` or `chattr +i`.
    how: &'static str,
}

impl ReadOnly {
    /// Makes `path` read-only for this process, if it can: `None` when neither its mode nor an
    /// immutable flag keeps this process from creating a file in it.
    fn make(path: &Path) -> Option<ReadOnly> {
        let read_only = |how| ReadOnly {
            path: path.to_path_buf(),
            how,
        };
        set_mode(path, 0o555);
        let guard = read_only("mode 555");
        if !can_create_in(path) {
            return Some(guard);
        }
        drop(guard);
        if cfg!(target_os = "linux") && chattr(path, "+i") {
            let guard = read_only("chattr +i");
            if !can_create_in(path) {
                return Some(guard);
            }
        }
        None
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        // No panic here: it may run while a failed assertion unwinds.
        if self.how == "chattr +i" && !chattr(&self.path, "-i") {
            eprintln!("could not undo chattr +i on {}", self.path.display());
        }
        set_mode(&self.path, 0o755);
    }
}

/// Whether a file can be created in `dir` (removed again at once).
fn can_create_in(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let created = fs::write(&probe, "x").is_ok();
    let _ = fs::remove_file(&probe);
    created
}

/// Runs `chattr FLAG PATH`; whether it succeeded (false without chattr, or on a file system or
/// for a user that cannot set the flag).
fn chattr(path: &Path, flag: &str) -> bool {
    Command::new("chattr")
        .arg(flag)
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) {
    let mut permissions = fs::metadata(path).unwrap().permissions();
    permissions.set_readonly(mode & 0o200 == 0);
    fs::set_permissions(path, permissions).unwrap();
}
