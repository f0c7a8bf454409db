//! The embedded default theme plus a site's overrides → a compiled [`Theme`].
//!
//! The defaults are the files in this repository's `theme/`, compiled into the binary, so a site
//! without `theme/` builds; each file a site puts in its own `theme/` replaces the built-in file
//! of the same name (and new `*.html` files can be included from the others).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;

use crate::error::{Error, Result};
use crate::text;

/// The name of the theme directory at the site root.
pub const THEME_DIR: &str = "theme";
/// The stylesheet's file name inside the theme.
pub const STYLESHEET: &str = "style.css";

/// The built-in theme files, by name.
pub const DEFAULT_FILES: &[(&str, &str)] = &[
    ("base.html", include_str!("../theme/base.html")),
    ("profile.html", include_str!("../theme/profile.html")),
    ("page.html", include_str!("../theme/page.html")),
    ("404.html", include_str!("../theme/404.html")),
    (STYLESHEET, include_str!("../theme/style.css")),
];

/// Templates compiled once, and the stylesheet.
pub struct Theme {
    /// The compiled templates, each under its file name.
    pub tera: Tera,
    /// The stylesheet's bytes.
    pub stylesheet: String,
    /// Where each template came from and its text, for error messages.
    origins: BTreeMap<String, (PathBuf, String)>,
    /// The image copies the templates asked for with `image()` while rendering.
    pub image_jobs: crate::responsive::Jobs,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("templates", &self.origins.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Theme {
    /// Loads the built-in theme with the site's `theme/` files laid over it.
    pub fn load(root: &Path) -> Result<Theme> {
        let mut files: BTreeMap<String, (String, PathBuf)> = DEFAULT_FILES
            .iter()
            .map(|(name, body)| {
                let origin = PathBuf::from(format!("(built-in theme) {name}"));
                (name.to_string(), (body.to_string(), origin))
            })
            .collect();
        let dir = root.join(THEME_DIR);
        if dir.is_dir() {
            for (name, path) in crate::walk::files(&dir)? {
                let shown = text::display_path(root, &Path::new(THEME_DIR).join(&name));
                if name != STYLESHEET && !name.ends_with(".html") {
                    return Err(Error::in_file(&shown, "unexpected file in the theme")
                        .hint("theme/ holds Tera templates (*.html) and style.css; put images and audio in assets/"));
                }
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&shown, &e))?;
                let body = text::decode(&shown, &bytes)?;
                files.insert(name, (body, shown));
            }
        }
        let (_, (stylesheet, _)) = files
            .remove_entry(STYLESHEET)
            .expect("the built-in theme has a stylesheet");
        Theme::compile(files, stylesheet)
    }

    fn compile(files: BTreeMap<String, (String, PathBuf)>, stylesheet: String) -> Result<Theme> {
        let origins: BTreeMap<String, (PathBuf, String)> = files
            .iter()
            .map(|(name, (body, origin))| (name.clone(), (origin.clone(), body.clone())))
            .collect();
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        let templates = files
            .iter()
            .map(|(name, (body, _))| (name.as_str(), body.as_str()));
        if let Err(e) = tera.add_raw_templates(templates) {
            return Err(tera_error(&e, &origins));
        }
        let image_jobs = crate::responsive::Jobs::default();
        tera.register_function(
            "image",
            crate::responsive::ImageFunction {
                jobs: image_jobs.clone(),
            },
        );
        Ok(Theme {
            tera,
            stylesheet,
            origins,
            image_jobs,
        })
    }

    /// Every literal `id="..."` in the templates: Markdown headings must not take these.
    pub fn element_ids(&self) -> std::collections::HashSet<String> {
        let mut ids = std::collections::HashSet::new();
        for (_, body) in self.origins.values() {
            for chunk in body.split("id=\"").skip(1) {
                if let Some(id) = chunk.split('"').next() {
                    if !id.contains("{{") && !id.contains("{%") {
                        ids.insert(id.to_string());
                    }
                }
            }
        }
        ids
    }

    /// Renders template `name` with `context`, turning Tera's error chain into one line that
    /// names the template file.
    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String> {
        self.tera
            .render(name, context)
            .map_err(|e| tera_error(&e, &self.origins))
    }
}

/// Escapes text for HTML content and quoted attributes. Unlike Tera's default, `/` is left
/// alone: it needs no escaping, and `https:&#x2F;&#x2F;` makes the page source hard to read for
/// people who study it.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Flattens a Tera error and its causes into one message naming the template's file and line.
fn tera_error(err: &tera::Error, origins: &BTreeMap<String, (PathBuf, String)>) -> Error {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cause {
        parts.push(e.to_string());
        cause = e.source();
    }
    // Find which template is at fault: Tera quotes template names in its messages, from the
    // outermost ("Failed to render 'profile.html'") to the innermost cause ("... while
    // rendering 'base.html'"); the innermost one named is where the mistake is.
    let template = parts
        .iter()
        .rev()
        .find_map(|part| {
            origins
                .keys()
                .filter_map(|name| part.rfind(&format!("'{name}'")).map(|at| (at, name)))
                .max()
                .map(|(_, name)| name)
        })
        .cloned();
    let mut file = template
        .as_ref()
        .and_then(|name| origins.get(name))
        .map(|(origin, _)| origin.clone())
        .unwrap_or_else(|| PathBuf::from(THEME_DIR));

    // Tera names the template it was asked to render, not the one of its inheritance chain
    // where an unknown variable is written: look for the variable in the sources.
    let mut position = None;
    let missing = parts.iter().find_map(|p| {
        let rest = p.split("Variable `").nth(1)?;
        rest.split('`').next().map(str::to_string)
    });
    if let Some(variable) = missing {
        let first_use = |(origin, body): &(PathBuf, String)| {
            let at = find_identifier(body, &variable)?;
            Some((origin.clone(), crate::error::line_column(body, at)))
        };
        // The named template first, then the others (which it may extend or include).
        let named = template.as_ref().and_then(|name| origins.get(name));
        if let Some((origin, at)) = named
            .and_then(first_use)
            .or_else(|| origins.values().find_map(first_use))
        {
            file = origin;
            position = Some(at);
        }
    }

    // Parse errors carry a pest report: " --> 3:5", a source excerpt, and "= expected ...".
    let mut summary: Vec<String> = Vec::new();
    for part in &parts {
        for line in part.lines() {
            let line = line.trim();
            if let Some(at) = line.strip_prefix("--> ") {
                let mut nums = at.split(':').filter_map(|n| n.trim().parse::<usize>().ok());
                if let (Some(l), Some(c)) = (nums.next(), nums.next()) {
                    position = Some((l, c));
                }
            } else if let Some(expected) = line.strip_prefix("= ") {
                summary.push(expected.to_string());
            } else if !line.is_empty()
                && !line.starts_with('|')
                && !line.chars().next().is_some_and(|c| c.is_ascii_digit())
            {
                summary.push(line.to_string());
            }
        }
    }
    summary.dedup();
    let mut error = Error::in_file(file, format!("template error: {}", summary.join(": ")))
        .hint("fix the template, or delete it from theme/ to use the built-in one");
    error.position = position;
    error
}

/// Byte offset of `name` used as a whole identifier in `body`.
fn find_identifier(body: &str, name: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    body.match_indices(name).map(|(at, _)| at).find(|&at| {
        let before = body[..at].chars().next_back();
        let after = body[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(name: &str, body: &str) -> Result<Theme> {
        let mut files: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
        files.insert(
            name.to_string(),
            (body.to_string(), PathBuf::from(format!("theme/{name}"))),
        );
        Theme::compile(files, String::new())
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = compile("page.html", "<p>\n{{ title \n</p>").unwrap_err();
        assert_eq!(err.file.as_deref(), Some(Path::new("theme/page.html")));
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.message.starts_with("template error: "), "{err}");
        assert!(!err.to_string().contains('\n'), "{err}");
    }

    #[test]
    fn render_error_keeps_the_cause_chain() {
        let theme = compile("page.html", "{{ missing_variable }}").unwrap();
        let err = theme
            .render("page.html", &tera::Context::new())
            .unwrap_err();
        assert_eq!(err.file.as_deref(), Some(Path::new("theme/page.html")));
        assert!(err.message.contains("missing_variable"), "{err}");
    }
}
