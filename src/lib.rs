//! `profile` builds a personal profile page — text information, a logo and a spoken
//! self-introduction — from `site.toml`, Markdown and a Tera theme, and serves it.
//!
//! The flow is one way: [`config`] and [`content`] are loaded into a [`site::Site`] (every user
//! mistake is found there), [`render`] turns it into an [`output::Output`] (URL → bytes), and
//! [`output`] writes that to disk atomically; [`bundle`] packs it into one archive.

pub mod bundle;
pub mod cache;
pub mod coding;
pub mod config;
pub mod content;
pub mod derived;
pub mod error;
pub mod fs_retry;
pub mod hashing;
pub mod hosting;
pub mod init;
pub mod labels;
pub mod media;
pub mod output;
pub mod picture;
pub mod render;
pub mod report;
pub mod responsive;
pub mod serve;
pub mod site;
pub mod speech;
pub mod strip;
pub mod text;
pub mod theme;
pub mod walk;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use error::{Error, Result};
use output::Output;
use site::Site;

/// What a build produced, for the summary line.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages written.
    pub pages: usize,
    /// Other files written (stylesheet, logo, audio, assets).
    pub assets: usize,
    /// Total bytes written.
    pub bytes: u64,
    /// Wall time of load, render and write.
    pub elapsed: Duration,
    /// Where it went.
    pub out: PathBuf,
    /// What was removed from the published images and recordings.
    pub privacy: derived::Privacy,
}

impl std::fmt::Display for BuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Built {} {}, {} {} ({}) in {} ms → {}",
            self.pages,
            if self.pages == 1 { "page" } else { "pages" },
            self.assets,
            if self.assets == 1 { "asset" } else { "assets" },
            human_size(self.bytes),
            self.elapsed.as_millis(),
            self.out.display()
        )?;
        if let Some(summary) = self.privacy.summary() {
            write!(f, "\n{summary}")?;
        }
        for warning in self.privacy.warnings() {
            write!(f, "\n{warning}")?;
        }
        Ok(())
    }
}

/// Loads and renders the site at `root` without writing anything: every check `build` makes.
pub fn check(root: &Path) -> Result<(Site, Output)> {
    let site = Site::load_without_writing(root)?;
    let output = render::render(&site)?;
    Ok((site, output))
}

/// Builds the site at `root` into `out`, replacing it atomically.
pub fn build(root: &Path, out: &Path) -> Result<BuildReport> {
    let started = Instant::now();
    prepare_out(root, out)?;
    Ok(build_prepared(root, out, started)?.report)
}

/// Makes sure `out` may receive a build of the site at `root` (see [`output::check_out_dir`]),
/// and repairs what a build killed half-way left beside it. Before anything can fail: a build
/// killed between its two renames left the previous tree aside, and even a build that fails on
/// a mistake in the site must leave it in place.
pub fn prepare_out(root: &Path, out: &Path) -> Result<()> {
    output::check_out_dir(root, out)?;
    output::recover(out);
    Ok(())
}

/// What a build made: the loaded site (which `serve` keeps, to rebuild from), its output and
/// the report.
pub struct Built {
    /// The site as loaded.
    pub site: Site,
    /// What was rendered and written.
    pub output: Output,
    /// The summary line's figures; its time counts from `started`.
    pub report: BuildReport,
}

/// Loads, renders and writes the site at `root` into `out`, which [`prepare_out`] has made
/// ready; `started` is when the command began, for the report's time. `build` and `serve` both
/// build this way.
pub fn build_prepared(root: &Path, out: &Path, started: Instant) -> Result<Built> {
    let mut timings = Timings::from_env();
    let site = Site::load(root)?;
    timings.lap("load");
    let output = render::render(&site)?;
    timings.lap("render");
    let bytes = output.write_atomically(out)?;
    timings.lap("write");
    let pages = output.page_count();
    let report = BuildReport {
        pages,
        assets: output.len() - pages,
        bytes,
        elapsed: started.elapsed(),
        out: out.to_path_buf(),
        privacy: output.privacy.clone(),
    };
    Ok(Built {
        site,
        output,
        report,
    })
}

/// With `PROFILE_TIMINGS` set in the environment, the time each step of a build took, printed
/// to stderr: how the figures in docs/performance.md were broken down.
struct Timings {
    last: Option<Instant>,
}

impl Timings {
    fn from_env() -> Timings {
        Timings {
            last: std::env::var_os("PROFILE_TIMINGS").map(|_| Instant::now()),
        }
    }

    fn lap(&mut self, step: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!(
                "timing: {step:<7} {:>8.2} ms",
                (now - last).as_secs_f64() * 1e3
            );
            self.last = Some(now);
        }
    }
}

/// `412 B`, `3.4 KB`, `12 MB`.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The modules that docs/architecture.md calls pure: its line starting `Pure:`.
    fn pure_modules(root: &Path) -> Vec<PathBuf> {
        let map = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
        let line = map
            .lines()
            .find(|line| line.starts_with("Pure: "))
            .expect("docs/architecture.md lists the pure modules on a line starting `Pure: `");
        let names: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
        assert!(names.len() >= 5, "{line}");
        let mut files = Vec::new();
        for name in names {
            let path = root.join("src").join(name);
            if name.ends_with('/') {
                for entry in std::fs::read_dir(&path).unwrap() {
                    let file = entry.unwrap().path();
                    if file.extension().is_some_and(|e| e == "rs") {
                        files.push(file);
                    }
                }
            } else {
                assert!(
                    path.is_file(),
                    "{name} in docs/architecture.md is not a file"
                );
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn pure_modules_touch_no_files() {
        // Calls that reach the file system (or the process, or the environment); a module
        // that needs what they give is passed the result instead.
        const IMPURE: [&str; 12] = [
            "std::fs",
            "fs::",
            "File::",
            "OpenOptions",
            "read_dir",
            "metadata(",
            "canonicalize",
            "hash_file",
            "FileStamp::of",
            "std::process",
            "std::env",
            "std::net",
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in pure_modules(root) {
            let text = std::fs::read_to_string(&file).unwrap();
            // Tests may make files; the module's code may not.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for (number, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                if let Some(call) = IMPURE.iter().find(|call| line.contains(*call)) {
                    panic!(
                        "{}:{}: `{call}` in a module docs/architecture.md calls pure: pass in \
                         what it needs instead\n{line}",
                        file.display(),
                        number + 1
                    );
                }
            }
        }
    }
}
