//! Watching the site's sources: which paths matter ([`plan`], pure and unit-tested), and the
//! notify watcher that turns a burst of file events into one batch of changed paths.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::config::CONFIG_FILE;
use crate::site::{ASSETS_DIR, CONTENT_DIR};
use crate::text::is_ignored_name;
use crate::theme::{STYLESHEET, THEME_DIR};

/// What a batch of changed paths forces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redo {
    /// Nothing the site is built from.
    Nothing,
    /// Only these content files (relative to `content/`): re-read them, re-render their pages.
    Pages(BTreeSet<String>),
    /// Only the theme's stylesheet: rebuild, and browsers can swap the stylesheet in place.
    Stylesheet,
    /// `site.toml`, a template, the logo or audio, the assets, or the layout of `content/`:
    /// load and render everything again.
    Everything,
}

/// What the site at `root` must redo after `changed` paths changed on disk. `out` is the output
/// directory (ignored, it is ours), `media` the logo and audio files (which may live outside
/// `root`).
pub fn plan(root: &Path, out: &Path, media: &[PathBuf], changed: &[PathBuf]) -> Redo {
    let mut pages = BTreeSet::new();
    let mut stylesheet = false;
    for path in changed {
        match classify(root, out, media, path) {
            Redo::Nothing => {}
            Redo::Pages(more) => pages.extend(more),
            Redo::Stylesheet => stylesheet = true,
            Redo::Everything => return Redo::Everything,
        }
    }
    match (stylesheet, pages.is_empty()) {
        (false, true) => Redo::Nothing,
        (false, false) => Redo::Pages(pages),
        (true, true) => Redo::Stylesheet,
        (true, false) => Redo::Everything,
    }
}

/// Whether a change to `path` matters to the site (what [`plan`] does not ignore).
pub fn is_source(root: &Path, out: &Path, media: &[PathBuf], path: &Path) -> bool {
    classify(root, out, media, path) != Redo::Nothing
}

fn classify(root: &Path, out: &Path, media: &[PathBuf], path: &Path) -> Redo {
    // An empty path stands for "events were lost".
    if path.as_os_str().is_empty() {
        return Redo::Everything;
    }
    if media.iter().any(|m| m == path) {
        return Redo::Everything;
    }
    let Ok(relative) = path.strip_prefix(root) else {
        return Redo::Nothing;
    };
    if out
        .strip_prefix(root)
        .is_ok_and(|out| relative.starts_with(out))
    {
        return Redo::Nothing;
    }
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    // Editor litter (swap, backup, lock files) and hidden files are never site input.
    if parts.iter().any(|name| is_ignored_name(name)) {
        return Redo::Nothing;
    }
    match parts.as_slice() {
        [] => Redo::Nothing,
        [file] if file == CONFIG_FILE => Redo::Everything,
        [dir, file] if dir == THEME_DIR && file == STYLESHEET => Redo::Stylesheet,
        [dir, ..] if dir == THEME_DIR || dir == ASSETS_DIR => Redo::Everything,
        [dir, rest @ ..] if dir == CONTENT_DIR => {
            match rest.last() {
                Some(name) if name.ends_with(".md") => Redo::Pages([rest.join("/")].into()),
                // `content/` itself, or a folder in it (`notes`, `v1.2`: a name alone does not
                // say), appeared, vanished or was renamed: the pages it held are found by a
                // full load. A stray non-Markdown file costs one needless rebuild.
                _ => Redo::Everything,
            }
        }
        _ => Redo::Nothing,
    }
}

/// Watches a site's sources and yields batches of changed paths.
pub struct SourceWatcher {
    // Kept alive: dropping it stops the events.
    watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// Another way into `events`, for [`Waker`].
    wake: Sender<notify::Result<notify::Event>>,
}

/// Wakes a thread waiting in [`SourceWatcher::next_batch`] with an empty batch, so that it can
/// see it is asked to stop without waiting for a file to change.
#[derive(Clone)]
pub struct Waker(Sender<notify::Result<notify::Event>>);

impl Waker {
    /// Wakes the waiting thread (nothing, if the watcher has gone).
    pub fn wake(&self) {
        let _ = self
            .0
            .send(Ok(notify::Event::new(notify::EventKind::Other)));
    }
}

impl SourceWatcher {
    /// Watches `root` (its top level, for `site.toml` and for source folders that are deleted
    /// and made again), `content/`, `theme/` and `assets/` recursively, and the folders of
    /// `media` files outside those.
    pub fn new(root: &Path, media: &[PathBuf]) -> notify::Result<SourceWatcher> {
        let (sender, events) = mpsc::channel();
        let wake = sender.clone();
        let mut watcher = notify::recommended_watcher(sender)?;
        watcher.watch(root, RecursiveMode::NonRecursive)?;
        let mut this = SourceWatcher {
            watcher,
            events,
            wake,
        };
        this.rewatch(root, media);
        Ok(this)
    }

    /// Watches the source folders that exist now (again): a folder deleted and made again is
    /// a new folder to the OS.
    pub fn rewatch(&mut self, root: &Path, media: &[PathBuf]) {
        let watcher = &mut self.watcher;
        for dir in [CONTENT_DIR, THEME_DIR, ASSETS_DIR] {
            let dir = root.join(dir);
            if dir.is_dir() {
                // Failing here (a folder removed meanwhile) only means less to watch.
                let _ = watcher.watch(&dir, RecursiveMode::Recursive);
            }
        }
        for file in media {
            if let Some(parent) = file.parent() {
                let _ = watcher.watch(parent, RecursiveMode::NonRecursive);
            }
        }
    }

    /// A handle that wakes [`SourceWatcher::next_batch`] from another thread.
    pub fn waker(&self) -> Waker {
        Waker(self.wake.clone())
    }

    /// Blocks until something changes, then collects the burst: events are gathered until
    /// `quiet` passes without one (or `longest` since the first), so that a save through a
    /// temporary file and a rename, or twenty saves in a row, make one batch. `None` when the
    /// watcher has stopped.
    pub fn next_batch(&self, quiet: Duration, longest: Duration) -> Option<Vec<PathBuf>> {
        let mut paths = BTreeSet::new();
        let first = self.events.recv().ok()?;
        let started = Instant::now();
        add_paths(&mut paths, first);
        loop {
            let left = longest.saturating_sub(started.elapsed());
            match self.events.recv_timeout(quiet.min(left)) {
                Ok(event) => add_paths(&mut paths, event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if started.elapsed() >= longest {
                break;
            }
        }
        Some(paths.into_iter().collect())
    }
}

fn add_paths(paths: &mut BTreeSet<PathBuf>, event: notify::Result<notify::Event>) {
    match event {
        Ok(event) if !matches!(event.kind, notify::EventKind::Access(_)) => {
            paths.extend(event.paths);
        }
        Ok(_) => {}
        // The OS dropped events (its queue overflowed): rebuild everything to be sure.
        Err(_) => {
            paths.insert(PathBuf::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redo(paths: &[&str]) -> Redo {
        let root = Path::new("/site");
        let media = [
            PathBuf::from("/site/assets/logo.svg"),
            PathBuf::from("/music/intro.mp3"),
        ];
        let changed: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        plan(root, &root.join("dist"), &media, &changed)
    }

    fn pages(names: &[&str]) -> Redo {
        Redo::Pages(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_save_on_windows_is_a_change() {
        // ReadDirectoryChangesW reports a save as FILE_ACTION_MODIFIED, which notify gives as
        // Modify(Any); Zola's live reload ignored it and was dead on Windows (zola#2593).
        use notify::event::{DataChange, ModifyKind};
        let path = PathBuf::from("/site/content/index.md");
        for kind in [
            ModifyKind::Any,
            ModifyKind::Data(DataChange::Any),
            ModifyKind::Data(DataChange::Content),
        ] {
            let mut paths = BTreeSet::new();
            let event = notify::Event::new(notify::EventKind::Modify(kind)).add_path(path.clone());
            add_paths(&mut paths, Ok(event));
            assert_eq!(
                paths.into_iter().collect::<Vec<_>>(),
                std::slice::from_ref(&path),
                "{kind:?}"
            );
        }
        // Reading a file is not changing it.
        let mut paths = BTreeSet::new();
        let read = notify::Event::new(notify::EventKind::Access(notify::event::AccessKind::Any))
            .add_path(path);
        add_paths(&mut paths, Ok(read));
        assert!(paths.is_empty());
    }

    #[test]
    fn one_page() {
        assert_eq!(redo(&["/site/content/about.md"]), pages(&["about.md"]));
        assert_eq!(
            redo(&["/site/content/notes/lab1.md", "/site/content/关于.md"]),
            pages(&["notes/lab1.md", "关于.md"])
        );
    }

    #[test]
    fn sources_that_change_everything() {
        for path in [
            "/site/site.toml",
            "/site/theme/base.html",
            "/site/theme/partials/nav.html",
            "/site/assets/photo.jpg",
            "/site/assets/logo.svg",
            "/music/intro.mp3",
            "/site/content",
            "/site/content/notes",
            "/site/content/v1.2",
        ] {
            assert_eq!(redo(&[path]), Redo::Everything, "{path}");
        }
        assert_eq!(
            redo(&["/site/content/a.md", "/site/site.toml"]),
            Redo::Everything
        );
    }

    #[test]
    fn stylesheet_alone_can_be_swapped() {
        assert_eq!(redo(&["/site/theme/style.css"]), Redo::Stylesheet);
        assert_eq!(
            redo(&["/site/theme/style.css", "/site/content/a.md"]),
            Redo::Everything
        );
    }

    #[test]
    fn noise_is_ignored() {
        for path in [
            "/site/dist/index.html",
            "/site/content/.about.md.swp",
            "/site/content/about.md~",
            "/site/content/.#about.md",
            "/site/content/4913",
            "/site/content/about.md___jb_tmp___",
            "/site/theme/.style.css.swx",
            "/site/README.md",
            "/site/target/debug/profile",
            "/elsewhere/site.toml",
            "/site",
        ] {
            assert_eq!(redo(&[path]), Redo::Nothing, "{path}");
        }
    }
}
