//! How far the tree a previous build left on disk is from a new [`Output`]: a build that
//! changes nothing need write nothing, and one that changes a single file need replace only
//! that file, with one rename, which is as atomic as swapping the whole tree. On a slow disk,
//! where every directory and file created costs a journal write, that is the difference between
//! a rebuild taking milliseconds and taking seconds.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{Body, Entry, Output, MARKER};

/// How the tree on disk differs from an output.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Difference<'a> {
    /// The same files in the same directories, with the same bytes, and nothing else.
    Nothing,
    /// The same files in the same directories, and only the file at this path holds other bytes.
    OneFile(&'a str),
    /// Anything else: files or directories added, removed or of another kind, or several files
    /// with other bytes.
    More,
}

/// Compares the tree at `dir` (a previous build, marker file included) with `output`. Reads
/// every file that could be the same, on every core, until a second difference shows the whole
/// tree must be written anyway. A file that cannot be read counts as different.
pub(super) fn difference<'a>(output: &'a Output, dir: &Path) -> Difference<'a> {
    if !same_layout(output, dir) {
        return Difference::More;
    }
    let differing = AtomicUsize::new(0);
    let found: Vec<&str> = output
        .entries
        .par_iter()
        .filter_map(|(path, entry)| {
            if differing.load(Ordering::Relaxed) >= 2 {
                return None;
            }
            if holds(entry, &dir.join(path)) {
                None
            } else {
                differing.fetch_add(1, Ordering::Relaxed);
                Some(path.as_str())
            }
        })
        .collect();
    match found[..] {
        [] => Difference::Nothing,
        [path] => Difference::OneFile(path),
        _ => Difference::More,
    }
}

/// Whether `dir` holds exactly the directories and files (by name and kind) that `output` would
/// write, plus the marker file. Lists each directory once, on every core; reads no file.
fn same_layout(output: &Output, dir: &Path) -> bool {
    // Directory ("" for the top) → its children's names → whether each is a directory.
    let mut expected: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    expected.entry("").or_default().insert(MARKER, false);
    for path in output.entries.keys() {
        let mut parent = "";
        let mut start = 0;
        while let Some(slash) = path[start..].find('/') {
            let end = start + slash;
            expected
                .entry(parent)
                .or_default()
                .insert(&path[start..end], true);
            parent = &path[..end];
            start = end + 1;
        }
        expected
            .entry(parent)
            .or_default()
            .insert(&path[start..], false);
    }
    expected.par_iter().all(|(sub, children)| {
        let Ok(listing) = fs::read_dir(dir.join(sub)) else {
            return false;
        };
        let mut seen = 0;
        for item in listing {
            let Ok(item) = item else { return false };
            let Ok(kind) = item.file_type() else {
                return false;
            };
            let name = item.file_name();
            // A symlink, or a name that is not UTF-8, is nothing profile writes.
            let as_expected = name
                .to_str()
                .and_then(|name| children.get(name))
                .is_some_and(|&is_dir| {
                    if is_dir {
                        kind.is_dir()
                    } else {
                        kind.is_file()
                    }
                });
            if !as_expected {
                return false;
            }
            seen += 1;
        }
        seen == children.len()
    })
}

/// Whether the file at `path` holds exactly `entry`'s bytes.
fn holds(entry: &Entry, path: &Path) -> bool {
    match &entry.body {
        Body::Bytes(bytes) => holds_bytes(path, bytes).unwrap_or(false),
        Body::File { path: source, .. } => same_contents(source, path).unwrap_or(false),
    }
}

fn holds_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut file = fs::File::open(path)?;
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut on_disk = Vec::with_capacity(bytes.len());
    file.read_to_end(&mut on_disk)?;
    Ok(on_disk == bytes)
}

/// Whether two files hold the same bytes, read a chunk at a time: a recording may be large.
fn same_contents(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut a, mut b) = (fs::File::open(a)?, fs::File::open(b)?);
    if a.metadata()?.len() != b.metadata()?.len() {
        return Ok(false);
    }
    let (mut chunk_a, mut chunk_b) = (vec![0; 64 * 1024], vec![0; 64 * 1024]);
    loop {
        let n = fill(&mut a, &mut chunk_a)?;
        if n != fill(&mut b, &mut chunk_b)? || chunk_a[..n] != chunk_b[..n] {
            return Ok(false);
        }
        if n < chunk_a.len() {
            return Ok(true);
        }
    }
}

/// Reads into `buffer` until it is full or the file ends; returns how much was read.
fn fill(file: &mut fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::FileStamp;
    use crate::output::Entry;

    fn output(files: &[(&str, &str)]) -> Output {
        let mut output = Output::default();
        for (path, text) in files {
            output
                .insert(
                    path.to_string(),
                    Entry::bytes(text.as_bytes().to_vec(), "text/html", *path),
                )
                .unwrap();
        }
        output
    }

    /// A directory holding what `files` describes, as a build writes it.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(MARKER), "").unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    const SITE: &[(&str, &str)] = &[
        ("index.html", "home"),
        ("about/index.html", "about"),
        ("notes/first/index.html", "first"),
        ("notes/second/index.html", "second"),
    ];

    #[test]
    fn the_same_tree_differs_in_nothing() {
        let dir = tree(SITE);
        assert_eq!(difference(&output(SITE), dir.path()), Difference::Nothing);
    }

    #[test]
    fn one_file_with_other_bytes_is_found() {
        let dir = tree(SITE);
        fs::write(dir.path().join("notes/first/index.html"), "frist").unwrap();
        assert_eq!(
            difference(&output(SITE), dir.path()),
            Difference::OneFile("notes/first/index.html")
        );
        // Other length, too.
        fs::write(dir.path().join("notes/first/index.html"), "first draft").unwrap();
        assert_eq!(
            difference(&output(SITE), dir.path()),
            Difference::OneFile("notes/first/index.html")
        );
    }

    #[test]
    fn two_files_with_other_bytes_are_more() {
        let dir = tree(SITE);
        fs::write(dir.path().join("index.html"), "Home").unwrap();
        fs::write(dir.path().join("about/index.html"), "About").unwrap();
        assert_eq!(difference(&output(SITE), dir.path()), Difference::More);
    }

    #[test]
    fn any_change_of_layout_is_more() {
        let site = output(SITE);
        type Change = fn(&Path);
        let changes: [(&str, Change); 8] = [
            ("a file added", |d| {
                fs::write(d.join("extra.html"), "").unwrap()
            }),
            ("a file added deep down", |d| {
                fs::write(d.join("notes/first/extra.html"), "").unwrap()
            }),
            ("an empty directory added", |d| {
                fs::create_dir(d.join("notes/third")).unwrap()
            }),
            ("a file removed", |d| {
                fs::remove_file(d.join("notes/second/index.html")).unwrap()
            }),
            ("a directory removed", |d| {
                fs::remove_dir_all(d.join("notes/second")).unwrap()
            }),
            ("a file where a directory was", |d| {
                fs::remove_dir_all(d.join("about")).unwrap();
                fs::write(d.join("about"), "").unwrap();
            }),
            ("a directory where a file was", |d| {
                fs::remove_file(d.join("index.html")).unwrap();
                fs::create_dir(d.join("index.html")).unwrap();
            }),
            ("the marker removed", |d| {
                fs::remove_file(d.join(MARKER)).unwrap()
            }),
        ];
        for (what, change) in changes {
            let dir = tree(SITE);
            change(dir.path());
            assert_eq!(difference(&site, dir.path()), Difference::More, "{what}");
        }
    }

    #[test]
    #[cfg(unix)]
    fn a_symlink_is_never_the_same_as_a_file() {
        // The link leads, from outside the tree, to a file with the very bytes the output holds,
        // and nothing else in the tree differs: only the link being a link can make it `More`.
        let dir = tree(SITE);
        let elsewhere = tempfile::tempdir().unwrap();
        let linked = elsewhere.path().join("about.html");
        fs::write(&linked, "about").unwrap();
        let page = dir.path().join("about/index.html");
        fs::remove_file(&page).unwrap();
        std::os::unix::fs::symlink(&linked, &page).unwrap();
        assert_eq!(fs::read(&page).unwrap(), b"about");
        assert_eq!(difference(&output(SITE), dir.path()), Difference::More);
    }

    #[test]
    fn copied_files_are_compared_by_their_bytes() {
        let sources = tempfile::tempdir().unwrap();
        let recording = sources.path().join("intro.mp3");
        // Over one chunk, so that the comparison reads several.
        let mut bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&recording, &bytes).unwrap();
        let mut site = output(&[("index.html", "home")]);
        let entry = Entry::new(
            Body::File {
                path: recording.clone(),
                stamp: FileStamp::of(&recording).unwrap(),
            },
            [0; 32],
            "audio/mpeg",
            "assets/intro.mp3",
        );
        site.insert("assets/intro.mp3".into(), entry).unwrap();

        let dir = tree(&[("index.html", "home")]);
        fs::create_dir(dir.path().join("assets")).unwrap();
        fs::write(dir.path().join("assets/intro.mp3"), &bytes).unwrap();
        assert_eq!(difference(&site, dir.path()), Difference::Nothing);

        // One byte in the last chunk.
        bytes[199_999] ^= 1;
        fs::write(dir.path().join("assets/intro.mp3"), &bytes).unwrap();
        assert_eq!(
            difference(&site, dir.path()),
            Difference::OneFile("assets/intro.mp3")
        );
    }
}
