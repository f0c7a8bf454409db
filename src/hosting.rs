//! What a build adds for static hosts, from `[build]` in site.toml: a `_headers` file with each
//! file's caching policy (Netlify, Cloudflare Pages), and `.gz` / `.br` copies of text files
//! (nginx `gzip_static`, and `profile serve`). Pure functions of an [`Output`].

use std::io::Write;

use crate::coding::Encoding;
use crate::error::{Error, Result};
use crate::output::{Body, Entry, Output};
use crate::text::encode_url_path;

/// Where the caching rules go.
pub const HEADERS_FILE: &str = "_headers";

/// `Cache-Control` for fingerprinted files, as `profile serve` sends it.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` for pages, as `profile serve` sends it.
const REVALIDATE: &str = "no-cache";

/// Files larger than this are left uncompressed: they are not what a profile page is made of,
/// and reading one whole into memory to compress it is not worth it.
const MAX_COMPRESSED_INPUT: u64 = 16 * 1024 * 1024;

/// The `_headers` file for `output`: fingerprinted files are immutable, everything else (pages,
/// files copied from `assets/` under their own names) revalidates, as `profile serve` has it.
///
/// Every rule names one path, never a pattern: when several rules match a path, Netlify and
/// Cloudflare Pages combine their values (`no-cache, public, max-age=…`), which would undo the
/// policy.
pub fn headers_file(output: &Output) -> Entry {
    let mut immutable = String::new();
    let mut pages = String::new();
    for (path, entry) in output.iter() {
        if entry.encoding.is_some() || path == HEADERS_FILE {
            continue;
        }
        if entry.immutable {
            immutable.push_str(&rule(path, IMMUTABLE));
        } else {
            // A page is asked for by its directory's URL more often than by its own.
            if let Some(dir) = path.strip_suffix("index.html") {
                pages.push_str(&rule(dir, REVALIDATE));
            }
            pages.push_str(&rule(path, REVALIDATE));
        }
    }
    let text = format!(
        "# Caching rules for Netlify and Cloudflare Pages, written by `profile build` because\n\
         # site.toml has [build] headers = true.\n\
         # Fingerprinted files change name when their content changes: keep them for a year.\n\
         {immutable}\
         # Pages and other files: keep them, but ask the server each time, so that an update\n\
         # shows at once.\n\
         {pages}"
    );
    Entry::bytes(
        text.into_bytes(),
        "text/plain; charset=utf-8",
        "([build] headers in site.toml)",
    )
}

fn rule(path: &str, cache_control: &str) -> String {
    format!(
        "/{}\n  Cache-Control: {cache_control}\n",
        encode_url_path(path)
    )
}

/// Whether a file of this MIME type gets smaller when compressed (text, SVG, scripts, data).
pub fn compressible(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim();
    essence.starts_with("text/")
        || matches!(
            essence,
            "image/svg+xml"
                | "application/javascript"
                | "application/json"
                | "application/manifest+json"
                | "application/xml"
                | "application/wasm"
        )
}

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// The highest levels (gzip 9, Brotli 11): the work is done once per build and every visitor
    /// benefits.
    Best,
    /// Fast levels (gzip 6, Brotli 5), for a response made on the spot.
    Fast,
}

/// `bytes` compressed in `encoding`. Deterministic (a gzip header without time or name), so
/// builds stay byte-identical.
pub fn compress(bytes: &[u8], encoding: Encoding, effort: Effort) -> Vec<u8> {
    const IN_MEMORY: &str = "writing to memory cannot fail";
    let best = effort == Effort::Best;
    match encoding {
        Encoding::Gzip => {
            let level = if best { 9 } else { 6 };
            let mut encoder = flate2::GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), flate2::Compression::new(level));
            encoder.write_all(bytes).expect(IN_MEMORY);
            encoder.finish().expect(IN_MEMORY)
        }
        Encoding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: if best { 11 } else { 5 },
                lgwin: 22,
                size_hint: bytes.len(),
                ..Default::default()
            };
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect(IN_MEMORY);
            out
        }
    }
}

/// Adds a `.br` and a `.gz` copy beside every compressible entry where the copy is smaller,
/// replacing copies left from an earlier render. Copies of entries whose content is the same as
/// in `previous` are taken from there instead of compressed again (a rebuild of one page).
///
/// `read_source` reads an entry served from its source file (the caller's I/O: this module
/// touches no file).
pub fn add_precompressed(
    output: &mut Output,
    previous: Option<&Output>,
    read_source: &ReadSource,
) -> Result<()> {
    let stale: Vec<String> = output
        .iter()
        .filter(|(_, entry)| entry.encoding.is_some())
        .map(|(path, _)| path.clone())
        .collect();
    for path in stale {
        output.remove(&path);
    }
    let mut reused = Vec::new();
    let mut todo = Vec::new();
    for (path, entry) in output.iter() {
        if path == HEADERS_FILE || !compressible(&entry.mime) {
            continue;
        }
        let unchanged = previous
            .and_then(|p| p.get(path))
            .is_some_and(|old| old.hash == entry.hash);
        match (unchanged, previous) {
            (true, Some(previous)) => {
                for encoding in Encoding::ALL {
                    if let Some(copy) = previous.variant(path, encoding) {
                        reused.push((format!("{path}{}", encoding.suffix()), copy.clone()));
                    }
                }
            }
            _ => todo.push((path.clone(), entry.clone())),
        }
    }
    let made = compress_all(&todo, read_source)?;
    for (path, entry) in reused.into_iter().chain(made) {
        output.insert(path, entry)?;
    }
    Ok(())
}

/// Compresses `entries` on every core: Brotli at its best level is the slowest step of a build.
/// The results come back in order, so the error reported is always the first one's.
fn compress_all(
    entries: &[(String, Entry)],
    read_source: &ReadSource,
) -> Result<Vec<(String, Entry)>> {
    use rayon::prelude::*;
    let made: Vec<Result<Vec<(String, Entry)>>> = entries
        .par_iter()
        .map(|(path, entry)| compress_entry(path, entry, read_source))
        .collect();
    let mut all = Vec::new();
    for result in made {
        all.extend(result?);
    }
    Ok(all)
}

/// The `.br` and `.gz` copies of the entry at `path` that are smaller than it.
fn compress_entry(
    path: &str,
    entry: &Entry,
    read_source: &ReadSource,
) -> Result<Vec<(String, Entry)>> {
    let Some(bytes) = read_small(entry, read_source)? else {
        return Ok(Vec::new());
    };
    let mut made = Vec::new();
    for encoding in Encoding::ALL {
        let compressed = compress(&bytes, encoding, Effort::Best);
        if compressed.len() < bytes.len() {
            let mut copy = Entry::bytes(
                compressed,
                encoding.mime(),
                format!("{} ({})", entry.source, encoding.token()),
            );
            copy.immutable = entry.immutable;
            copy.encoding = Some(encoding);
            made.push((format!("{path}{}", encoding.suffix()), copy));
        }
    }
    Ok(made)
}

/// Reads a source file whole (`std::fs::read` in a build); shared by the threads that compress.
pub type ReadSource = dyn Fn(&std::path::Path) -> std::io::Result<Vec<u8>> + Sync;

/// The entry's bytes, unless it is empty or too large to be worth compressing.
fn read_small<'a>(
    entry: &'a Entry,
    read_source: &ReadSource,
) -> Result<Option<std::borrow::Cow<'a, [u8]>>> {
    match &entry.body {
        Body::Bytes(bytes) if bytes.is_empty() => Ok(None),
        Body::Bytes(bytes) => Ok(Some(std::borrow::Cow::Borrowed(&bytes[..]))),
        Body::File { path, stamp } => {
            if stamp.len == 0 || stamp.len > MAX_COMPRESSED_INPUT {
                return Ok(None);
            }
            let bytes = read_source(path).map_err(|e| Error::io(path, &e))?;
            Ok(Some(std::borrow::Cow::Owned(bytes)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decompress(bytes: &[u8], encoding: Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            Encoding::Gzip => flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap(),
            Encoding::Brotli => brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap(),
        };
        out
    }

    fn site() -> Output {
        let mut output = Output::default();
        let page = "<!DOCTYPE html><p>你好</p>".repeat(40).into_bytes();
        for path in ["index.html", "about/index.html"] {
            let entry = Entry::bytes(page.clone(), "text/html; charset=utf-8", path);
            output.insert(path.into(), entry).unwrap();
        }
        let mut css = Entry::bytes(b"body{color:red}".repeat(20), "text/css", "theme/style.css");
        css.immutable = true;
        output
            .insert("assets/style.1a2b3c4d.css".into(), css)
            .unwrap();
        let tiny = Entry::bytes(b"a{}".to_vec(), "text/css", "assets/tiny.css");
        output.insert("assets/tiny.css".into(), tiny).unwrap();
        let mut png = Entry::bytes(vec![0; 4096], "image/png", "assets/logo.png");
        png.immutable = true;
        output
            .insert("assets/logo.12345678.png".into(), png)
            .unwrap();
        output
    }

    #[test]
    fn copies_decompress_to_the_original_and_are_deterministic() {
        let mut output = site();
        add_precompressed(&mut output, None, &|p| std::fs::read(p)).unwrap();
        for path in [
            "index.html",
            "about/index.html",
            "assets/style.1a2b3c4d.css",
        ] {
            let Body::Bytes(original) = &output.get(path).unwrap().body else {
                panic!()
            };
            for encoding in Encoding::ALL {
                let copy = output.variant(path, encoding).unwrap();
                let Body::Bytes(bytes) = &copy.body else {
                    panic!()
                };
                assert_eq!(decompress(bytes, encoding), original[..], "{path}");
                assert!(bytes.len() < original.len());
                assert_eq!(copy.immutable, path.contains(".1a2b3c4d."));
            }
        }
        // Too small to shrink, or not text: no copies.
        assert!(output.get("assets/tiny.css.gz").is_none());
        assert!(output.get("assets/logo.12345678.png.br").is_none());
        let mut again = site();
        add_precompressed(&mut again, None, &|p| std::fs::read(p)).unwrap();
        let hashes = |o: &Output| {
            o.iter()
                .map(|(p, e)| (p.clone(), e.hash))
                .collect::<Vec<_>>()
        };
        assert_eq!(hashes(&output), hashes(&again));
    }

    #[test]
    fn a_rerender_replaces_stale_copies_and_reuses_current_ones() {
        let mut previous = site();
        add_precompressed(&mut previous, None, &|p| std::fs::read(p)).unwrap();
        let mut output = previous.clone();
        let changed = Entry::bytes(b"<p>new</p>".repeat(50), "text/html", "index.html");
        output.replace("index.html", changed);
        add_precompressed(&mut output, Some(&previous), &|p| std::fs::read(p)).unwrap();
        let Body::Bytes(gz) = &output.variant("index.html", Encoding::Gzip).unwrap().body else {
            panic!()
        };
        assert_eq!(decompress(gz, Encoding::Gzip), b"<p>new</p>".repeat(50));
        let same = |p: &str| {
            output.variant(p, Encoding::Brotli).unwrap().hash
                == previous.variant(p, Encoding::Brotli).unwrap().hash
        };
        assert!(same("about/index.html"));
        assert_eq!(output.len(), previous.len());
    }

    #[test]
    fn headers_file_names_each_path_once() {
        let mut output = site();
        add_precompressed(&mut output, None, &|p| std::fs::read(p)).unwrap();
        let Body::Bytes(text) = headers_file(&output).body else {
            panic!()
        };
        let text = String::from_utf8(text.to_vec()).unwrap();
        let rules: Vec<(&str, &str)> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|pair| (pair[0], pair[1].trim()))
            .collect();
        assert_eq!(
            rules,
            [
                (
                    "/assets/logo.12345678.png",
                    "Cache-Control: public, max-age=31536000, immutable"
                ),
                (
                    "/assets/style.1a2b3c4d.css",
                    "Cache-Control: public, max-age=31536000, immutable"
                ),
                ("/about/", "Cache-Control: no-cache"),
                ("/about/index.html", "Cache-Control: no-cache"),
                ("/assets/tiny.css", "Cache-Control: no-cache"),
                ("/", "Cache-Control: no-cache"),
                ("/index.html", "Cache-Control: no-cache"),
            ]
        );
    }

    #[test]
    fn compressible_types() {
        assert!(compressible("text/html; charset=utf-8"));
        assert!(compressible("image/svg+xml; charset=utf-8"));
        assert!(!compressible("audio/mpeg"));
        assert!(!compressible("image/png"));
    }
}
