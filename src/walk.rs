//! The files of a source folder (`content/`, `theme/`, `assets/`), walked one way for all three:
//! in name order (so builds are deterministic), following links, skipping what editors and
//! systems leave behind ([`text::is_ignored_name`]), named relative to the folder with `/`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::text;

/// Every file under `dir` as (path relative to `dir` with `/` separators, path on disk), sorted;
/// none when `dir` does not exist. A name that is not valid Unicode is an error: it could not be
/// a URL.
pub fn files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !text::is_ignored_name(&e.file_name().to_string_lossy())
        });
    for entry in walker {
        let entry = entry.map_err(|e| walk_error(dir, &e))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let Some(relative) = relative.to_str() else {
            return Err(
                Error::in_file(path, "file name is not valid Unicode").hint("rename the file")
            );
        };
        files.push((text::portable_path(relative), path.to_path_buf()));
    }
    Ok(files)
}

/// Words a directory-walk failure (a loop of symbolic links, an unreadable folder).
pub fn walk_error(dir: &Path, err: &walkdir::Error) -> Error {
    let path = err.path().unwrap_or(dir);
    if err.loop_ancestor().is_some() {
        return Error::in_file(path, "symbolic link loop").hint("remove the link");
    }
    match err.io_error() {
        Some(io) => Error::io(path, io),
        None => Error::in_file(path, err.to_string()),
    }
}
