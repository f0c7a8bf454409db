//! `profile init DIR`: a new site that builds at once, made from the example site's own files.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};
use crate::theme::{DEFAULT_FILES, THEME_DIR};

/// The files of a new site, taken from the example site at the root of this repository.
const SITE_FILES: &[(&str, &[u8])] = &[
    ("site.toml", include_bytes!("../site.toml")),
    ("content/index.md", include_bytes!("../content/index.md")),
    ("assets/logo.svg", include_bytes!("../assets/logo.svg")),
    (
        "assets/introduction.mp3",
        include_bytes!("../assets/introduction.mp3"),
    ),
    // What a build makes is not the site's source: keep it out of git.
    (".gitignore", GITIGNORE.as_bytes()),
];

/// The new site's `.gitignore`: the build output and the media cache.
const GITIGNORE: &str = "/dist/\n/.profile-cache/\n";

/// Creates a site in `dir`, which must be missing or empty; with `with_theme`, also copies the
/// built-in templates and stylesheet into `dir/theme/` for editing.
pub fn init(dir: &Path, with_theme: bool) -> Result<()> {
    if dir.exists() {
        let empty = dir
            .read_dir()
            .map_err(|e| Error::io(dir, &e))?
            .next()
            .is_none();
        if !empty {
            return Err(Error::in_file(dir, "is not empty")
                .hint("pass a new or empty directory, e.g. profile init my-profile"));
        }
    }
    let theme_files = DEFAULT_FILES
        .iter()
        .map(|(name, body)| (format!("{THEME_DIR}/{name}"), body.as_bytes()));
    let files = SITE_FILES
        .iter()
        .map(|(name, body)| (name.to_string(), *body))
        .chain(theme_files.filter(|_| with_theme));
    for (name, body) in files {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
        }
        fs::write(&path, body).map_err(|e| Error::io(&path, &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_gitignore_names_the_cache_directory() {
        assert!(super::GITIGNORE.contains(&format!("/{}/", crate::cache::CACHE_DIR)));
    }
}
