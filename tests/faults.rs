//! Faults from outside: `profile build` and `profile serve --har` killed with SIGKILL at random
//! moments, the watched sources churning while the server rebuilds, and the output directory
//! vanishing or becoming unwritable while it serves. Every delay comes from a seeded generator,
//! so a failing run can be replayed; every loop is bounded in count and in time; every child
//! process is killed by a guard when a test ends, and tests only talk to 127.0.0.1.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use common::{leftovers, Site, BIN};

/// A small deterministic generator (xorshift64): every run replays the same delays.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A duration spread evenly over `0..=max`.
    fn duration(&mut self, max: Duration) -> Duration {
        let micros = max.as_micros().max(1) as u64;
        Duration::from_micros(self.below(micros + 1))
    }
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

/// SIGKILL at random moments of `profile build` over a site of 1,000 pages: every time, `dist/`
/// is the complete old or the complete new build (or, killed between the two renames of the
/// swap, the complete old build stands aside and the next build puts it back), and after the
/// next build no staging or retired directory is left.
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

    let mut rng = XorShift(0x5eed_f0b1_11d0);
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
            let delay = rng.duration((render + write).mul_f64(1.1));
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
            thread::sleep(rng.duration(write.mul_f64(1.2)));
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

        // The next build finishes what the killed one left, and leaves nothing beside dist/.
        phases.push(timed_build(&root));
        assert_eq!(
            tree_hash(&dist),
            Some(hashes[next]),
            "trial {trial}: the next build"
        );
        assert_eq!(
            leftovers(&dist),
            Vec::<String>::new(),
            "trial {trial} ({outcome:?}): left after the next build"
        );
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

/// What a build killed between its two renames leaves (built here by hand, since a random kill
/// lands in that window of a few microseconds too rarely to count on): no `dist/`, the complete
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
