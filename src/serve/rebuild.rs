//! The rebuild loop of `profile serve`: wait for a batch of source changes, redo what they force
//! (see [`watch::plan`]), swap the served build whole, tell the open pages, and write `dist/`.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::http::whole_seconds;
use super::reload;
use super::watch::{self, Redo, SourceWatcher};
use super::{ServeConfig, Shared, Snapshot};
use crate::error::Result;
use crate::output::Output;
use crate::site::{ContentChange, Site};

/// Events closer together than this belong to one save.
const QUIET: Duration = Duration::from_millis(15);
/// However busy the files, a batch is rebuilt after this long.
const LONGEST: Duration = Duration::from_millis(250);

/// The first build's number: different for every run of the server, so that a page left open
/// across a restart notices it is stale when its event stream reconnects.
pub(super) fn first_build_number() -> u64 {
    // Milliseconds since 1970 fit in a JavaScript number (2^53) for the next 280,000 years.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_millis() as u64)
}

/// The rebuild thread, for [`Rebuilding::stop`].
pub(super) struct Rebuilding {
    waker: watch::Waker,
    thread: thread::JoinHandle<()>,
}

impl Rebuilding {
    /// Wakes the rebuild thread (which sees `Shared::stopped`, set before) and waits until it
    /// has ended: its last write to the output has finished and the watcher is closed. On
    /// Windows a watched folder cannot be deleted while the watch is open, so a caller that
    /// removes the site afterwards (a test, an editor's plug-in) must not be left racing it.
    pub(super) fn stop(self) {
        self.waker.wake();
        let _ = self.thread.join();
    }
}

/// Starts the watcher and the rebuild thread. Failing to watch is not fatal: the server still
/// serves the first build, and says that it will not follow changes.
pub(super) fn spawn(site: Site, config: &ServeConfig, shared: Arc<Shared>) -> Option<Rebuilding> {
    let root = dunce::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
    let out = crate::text::absolute(&config.out);
    let media = media_paths(&site);
    let mut watcher = match SourceWatcher::new(&root, &media) {
        Ok(watcher) => watcher,
        Err(e) => {
            eprintln!(
                "warning: cannot watch {} for changes ({e}); restart profile serve to see edits",
                root.display()
            );
            return None;
        }
    };
    let waker = watcher.waker();
    let (dist, writer) = spawn_dist_writer(config.out.clone());
    let mut state = Rebuilder {
        site,
        root,
        shown_root: config.root.clone(),
        out,
        media,
        full_next: false,
        shared,
        dist,
    };
    let thread = thread::spawn(move || {
        while let Some(batch) = watcher.next_batch(QUIET, LONGEST) {
            if state
                .shared
                .stopped
                .load(std::sync::atomic::Ordering::SeqCst)
            {
                // The server was stopped: no rebuild may write into a folder being removed.
                break;
            }
            let redo = watch::plan(&state.root, &state.out, &state.media, &batch);
            if redo == Redo::Nothing {
                continue;
            }
            let everything = matches!(redo, Redo::Everything | Redo::Stylesheet);
            state.rebuild(redo, &batch);
            if everything {
                // Folders may have appeared (a re-created `content/`): watch them too.
                watcher.rewatch(&state.root, &state.media);
            }
        }
        drop(watcher);
        // Closing the channel ends the writer once the build it is writing is written.
        drop(state);
        let _ = writer.join();
    });
    Some(Rebuilding { waker, thread })
}

struct Rebuilder {
    site: Site,
    /// Canonical, to compare with the paths the watcher reports.
    root: PathBuf,
    /// As the user gave it, for messages.
    shown_root: PathBuf,
    out: PathBuf,
    media: Vec<PathBuf>,
    /// A page-only update failed half-way: the next rebuild starts from scratch.
    full_next: bool,
    shared: Arc<Shared>,
    dist: mpsc::Sender<Arc<Snapshot>>,
}

impl Rebuilder {
    fn rebuild(&mut self, redo: Redo, batch: &[PathBuf]) {
        let started = Instant::now();
        let current = self.shared.snapshot();
        let stylesheet_only = redo == Redo::Stylesheet && !self.full_next;
        let result = match redo {
            Redo::Pages(sources) if !self.full_next => {
                let sources: Vec<String> = sources.into_iter().collect();
                self.update_pages(&current.output, &sources)
            }
            _ => self.load_everything(),
        };
        match result {
            Ok(output) => {
                self.full_next = false;
                self.media = media_paths(&self.site);
                let snapshot = Arc::new(Snapshot::new(
                    output,
                    whole_seconds(SystemTime::now()),
                    current.build + 1,
                ));
                *self
                    .shared
                    .current
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) = Arc::clone(&snapshot);
                *self.shared.error.write().unwrap_or_else(|e| e.into_inner()) = None;
                let stylesheet = crate::render::stylesheet_path(&self.site);
                let message = match stylesheet.rsplit('/').next() {
                    Some(name) if stylesheet_only => reload::event(
                        "css",
                        &json!({ "build": snapshot.build, "stylesheet": name }),
                    ),
                    _ => reload::event("reload", &json!({ "build": snapshot.build })),
                };
                self.shared.hub.broadcast(&message);
                println!(
                    "Rebuilt in {} ms ({})",
                    started.elapsed().as_millis(),
                    self.describe(batch, &current.output)
                );
                let _ = self.dist.send(snapshot);
            }
            Err(err) => {
                eprintln!("error: {err}");
                eprintln!("(still serving the last good build; fix the file and save to rebuild)");
                let error = reload::error_json(&err);
                *self.shared.error.write().unwrap_or_else(|e| e.into_inner()) = Some(error.clone());
                self.shared.hub.broadcast(&reload::event(
                    "build-error",
                    &json!({ "build": current.build, "error": error }),
                ));
            }
        }
    }

    /// Re-reads the changed pages and renders what they affect: their own pages, or every page
    /// when the navigation changed.
    fn update_pages(&mut self, previous: &Output, sources: &[String]) -> Result<Output> {
        let result = self
            .site
            .update_pages(sources)
            .and_then(|change| match change {
                ContentChange::Pages(sources) => {
                    crate::render::render_changed_pages(&self.site, previous, &sources)
                }
                ContentChange::Navigation => crate::render::render(&self.site),
            });
        // The site may hold the new pages while the output does not: start afresh next time.
        self.full_next = result.is_err();
        result
    }

    fn load_everything(&mut self) -> Result<Output> {
        let site = Site::load(&self.shown_root)?;
        let output = crate::render::render(&site)?;
        self.site = site;
        Ok(output)
    }
}

impl Rebuilder {
    /// The source files of a batch, for the terminal: `content/index.md`, or
    /// `content/a.md, theme/base.html and 3 more`. `previous` is the build before this one.
    fn describe(&self, batch: &[PathBuf], previous: &Output) -> String {
        let sources: Vec<&PathBuf> = batch
            .iter()
            .filter(|p| watch::is_source(&self.root, &self.out, &self.media, p))
            .collect();
        let built_from: std::collections::HashSet<&str> = previous
            .iter()
            .map(|(_, entry)| entry.source.as_str())
            .collect();
        describe_changes(
            &self.root,
            &sources,
            |path| path.exists(),
            |shown| built_from.contains(shown),
        )
    }
}

/// Names the changed `sources` that matter, relative to `root`: a file there now, one the
/// previous build was made from (`was_built_from`, for a page or asset deleted), or a name
/// profile reads (a Markdown page, a template, the stylesheet, `site.toml`). What an editor
/// wrote and removed again while saving (`sed -i`'s `content/sedM6i2IO`, JetBrains'
/// `index.md___jb_tmp___`) is none of those, and is left out.
fn describe_changes(
    root: &Path,
    sources: &[&PathBuf],
    exists: impl Fn(&Path) -> bool,
    was_built_from: impl Fn(&str) -> bool,
) -> String {
    let read_by_profile = |shown: &str| {
        shown == crate::config::CONFIG_FILE
            || [".md", ".html", ".css"]
                .iter()
                .any(|ext| shown.ends_with(ext))
    };
    let names: Vec<String> = sources
        .iter()
        .filter_map(|path| {
            let shown = path.strip_prefix(root).unwrap_or(path);
            let shown = crate::text::portable_path(&shown.to_string_lossy());
            let matters = exists(path) || was_built_from(&shown) || read_by_profile(&shown);
            matters.then_some(shown)
        })
        .collect();
    match names.len() {
        0 => "changes on disk".to_string(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more", names[..2].join(", "), n - 2),
    }
}

/// The logo and every language's recording: their changes rebuild everything.
fn media_paths(site: &Site) -> Vec<PathBuf> {
    let recordings = site.translations.iter().map(|t| &t.audio.path);
    [&site.logo.path, &site.audio.path]
        .into_iter()
        .chain(recordings)
        .map(|p| crate::text::absolute(p))
        .collect()
}

/// Writes each new build to `out` on a thread of its own, so that the pages reload without
/// waiting for the disk; when builds come faster than they are written, only the newest is.
///
/// The writing runs on a one-thread pool of its own, not rayon's global pool: a rebuild's
/// rendering uses the global pool, and would otherwise queue behind the writing of the previous
/// build (seen as 0.9 s reloads on a 10,000-page site).
fn spawn_dist_writer(out: PathBuf) -> (mpsc::Sender<Arc<Snapshot>>, thread::JoinHandle<()>) {
    let (sender, builds) = mpsc::channel::<Arc<Snapshot>>();
    let writer = thread::spawn(move || {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "dist writer".into())
            .build();
        while let Ok(mut snapshot) = builds.recv() {
            while let Ok(newer) = builds.try_recv() {
                snapshot = newer;
            }
            let write = || snapshot.output.write_atomically(&out);
            let written = match &pool {
                Ok(pool) => pool.install(write),
                Err(_) => write(),
            };
            if let Err(e) = written {
                // One line: the pages are still served from memory, and the next rebuild tries
                // again (it also puts back a tree a kill left aside).
                eprintln!(
                    "warning: could not update {}: {e}; still serving the new build, the next rebuild tries again",
                    out.display()
                );
            }
        }
    });
    (sender, writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temporaries_are_not_named() {
        let root = Path::new("/site");
        let paths: Vec<PathBuf> = [
            "content/index.md",
            "content/sedM6i2IO",
            "content/index.md___jb_tmp___",
            "assets/old-photo.jpg",
            "assets/new-photo.jpg",
            "theme/base.html",
        ]
        .iter()
        .map(|p| root.join(p))
        .collect();
        let sources: Vec<&PathBuf> = paths.iter().collect();
        // Only the saved page and the new photo are on disk; the old photo was published.
        let exists = |p: &Path| p.ends_with("content/index.md") || p.ends_with("new-photo.jpg");
        let built_from = |shown: &str| shown == "assets/old-photo.jpg";
        assert_eq!(
            describe_changes(root, &sources[..2], exists, built_from),
            "content/index.md"
        );
        assert_eq!(
            describe_changes(root, &sources, exists, built_from),
            "content/index.md, assets/old-photo.jpg and 2 more"
        );
        assert_eq!(
            describe_changes(root, &sources[1..3], exists, built_from),
            "changes on disk"
        );
    }
}
