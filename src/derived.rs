//! Files made from the site's media rather than copied as they are: the logo's resized copies
//! that the theme asked for with `image()`, each made once and kept in `.profile-cache/`
//! ([`crate::cache`]) so that a warm build reads them back without decoding the photo; and
//! every image and recording published without its private metadata ([`crate::strip`]).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::cache::Cache;
use crate::error::{describe_io, Error, Result};
use crate::hashing::sha256;
use crate::media::{self, MediaKind};
use crate::output::{Body, Entry, Output};
use crate::picture;
use crate::responsive::{variant_key, Job};
use crate::site::{Media, Site};
use crate::strip::{self, Found};

/// Makes (or reads from the cache) every copy in `jobs` that `output` does not hold yet.
pub fn image_copies(
    site: &Site,
    jobs: BTreeMap<String, Job>,
    output: &Output,
    cache: &Cache,
) -> Result<Vec<(String, Entry)>> {
    let missing: Vec<(String, Job)> = jobs
        .into_iter()
        .filter(|(path, _)| output.get(path).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let logo = &site.logo;
    let hash = hex::encode(logo.hash);
    // Decoded at most once, and only when some copy is not in the cache.
    let decoded: OnceLock<std::result::Result<picture::Decoded, String>> = OnceLock::new();
    let made: Vec<Result<(String, Entry)>> = missing
        .par_iter()
        .map(|(path, job)| {
            let key = variant_key(&hash, &job.variant);
            let made = cache
                .get_or_make(&key, || {
                    let decoded = decoded
                        .get_or_init(|| {
                            let bytes = logo.bytes().map_err(|e| describe_io(&e))?;
                            picture::decode(&bytes)
                        })
                        .as_ref()
                        .map_err(String::clone)?;
                    picture::make(decoded, &job.variant)
                })
                .map_err(|why| {
                    Error::in_file(
                        site.shown(&logo.path),
                        format!("cannot use this logo: {why}"),
                    )
                    .hint("open it in an image editor and export it again as JPEG or PNG")
                })?;
            Ok((
                path.clone(),
                made.entry(job.variant.encoding.mime(), &logo.path),
            ))
        })
        .collect();
    made.into_iter().collect()
}

/// What a build removed from the files it publishes, and what it was told to keep.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Privacy {
    /// Each file that carried metadata (as the user names it), with what it carried.
    pub stripped: BTreeMap<String, Found>,
    /// With `keep_metadata`: the files whose GPS position is published.
    pub located: Vec<String>,
}

impl Privacy {
    /// `Removed location and camera data from 2 files (phone.jpg, memo.m4a)`, or nothing.
    pub fn summary(&self) -> Option<String> {
        if self.stripped.is_empty() {
            return None;
        }
        let all = self
            .stripped
            .values()
            .fold(Found::default(), |all, found| all.union(*found));
        let mut kinds = Vec::new();
        if all.location {
            kinds.push("location");
        }
        if all.camera {
            kinds.push("camera");
        }
        if all.other || kinds.is_empty() {
            kinds.push("other");
        }
        let kinds = match kinds.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        let count = self.stripped.len();
        let names: Vec<&str> = self
            .stripped
            .keys()
            .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name))
            .collect();
        Some(format!(
            "Removed {kinds} data from {count} {} ({})",
            if count == 1 { "file" } else { "files" },
            names.join(", ")
        ))
    }

    /// The warnings to print: a position about to be published on purpose.
    pub fn warnings(&self) -> Vec<String> {
        self.located
            .iter()
            .map(|file| {
                format!(
                    "warning: {file} carries a GPS position, and keep_metadata = true publishes it"
                )
            })
            .collect()
    }
}

/// How a build treats the metadata of the images and recordings it publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    /// Remove it (the default).
    Strip,
    /// Publish files as they are (`[build] keep_metadata = true`).
    Keep,
}

/// `entry`, a file copied from the site (`shown` as the user names it), as it may be published:
/// an image or recording loses its private metadata, an SVG is sanitised; anything else, or a
/// file with nothing to remove, is returned unchanged.
pub fn publishable(
    entry: Entry,
    shown: &str,
    metadata: Metadata,
    privacy: &mut Privacy,
    cache: &Cache,
) -> Result<Entry> {
    let Some(format) = sniff(&entry, shown)? else {
        return Ok(entry);
    };
    if format == &media::SVG {
        let bytes = read_body(&entry.body, shown)?;
        let text = String::from_utf8_lossy(&bytes);
        let clean = strip::svg::sanitise(&text).map_err(|why| svg_error(shown, &why))?;
        if clean.text.as_bytes() == &bytes[..] || metadata == Metadata::Keep {
            return Ok(entry);
        }
        if clean.found.any() {
            privacy.stripped.insert(shown.to_string(), clean.found);
        }
        return Ok(replace_body(
            entry,
            Body::Bytes(Arc::from(clean.text.into_bytes())),
        ));
    }
    let (strip, inspect): (StripFn, InspectFn) = match format.kind {
        MediaKind::Image => (strip::image::strip, strip::image::inspect),
        MediaKind::Audio => (strip::audio::strip, strip::audio::inspect),
    };
    let bad = |why: String| {
        Error::in_file(shown, format!("cannot publish this file: {why}"))
            .hint("export it again from the app that made it")
    };
    // A large file (a long recording) is stripped once: what was found, and the stripped
    // copy, are kept in the cache by the file's hash, so a warm build does not read it.
    let large = match &entry.body {
        Body::Bytes(bytes) => bytes.len() > LARGE,
        Body::File { stamp, .. } => stamp.len > LARGE as u64,
    };
    let read = || read_body(&entry.body, shown).map_err(|e| e.message);
    let version = strip::VERSION.to_le_bytes();
    if metadata == Metadata::Keep {
        let located = if large {
            cache.fact(&[b"located", &entry.hash, &version], || {
                Ok::<_, String>(inspect(&read()?)?.to_fact())
            })
        } else {
            read().and_then(|bytes| inspect(&bytes)).map(Found::to_fact)
        };
        if Found::from_fact(&located.map_err(bad)?).location {
            privacy.located.push(shown.to_string());
        }
        return Ok(entry);
    }
    if !large {
        let bytes = read().map_err(bad)?;
        return match strip(&bytes).map_err(bad)? {
            None => Ok(entry),
            Some(stripped) => {
                privacy.stripped.insert(shown.to_string(), stripped.found);
                Ok(replace_body(entry, Body::Bytes(Arc::from(stripped.bytes))))
            }
        };
    }
    let copy_key = Cache::key(&[b"stripped", &entry.hash, &version]);
    let strip_to_cache = || -> std::result::Result<Option<Found>, String> {
        match strip(&read()?)? {
            None => Ok(None),
            Some(stripped) => {
                cache.get_or_make::<String>(&copy_key, || Ok(stripped.bytes))?;
                Ok(Some(stripped.found))
            }
        }
    };
    // `-` for a file with nothing to remove.
    let found = cache
        .fact(&[b"strip", &entry.hash, &version], || {
            strip_to_cache().map(|found| found.map_or("-".to_string(), Found::to_fact))
        })
        .map_err(bad)?;
    if found == "-" {
        return Ok(entry);
    }
    let made = cache
        .get_or_make(&copy_key, || {
            let again = strip(&read()?)?;
            again
                .map(|stripped| stripped.bytes)
                .ok_or_else(|| "it changed while it was read".to_string())
        })
        .map_err(bad)?;
    privacy
        .stripped
        .insert(shown.to_string(), Found::from_fact(&found));
    Ok(replace_body(entry, made.body))
}

/// Files above this size are stripped through the cache.
const LARGE: usize = 1024 * 1024;

type StripFn = fn(&[u8]) -> std::result::Result<Option<strip::Stripped>, String>;
type InspectFn = fn(&[u8]) -> std::result::Result<Found, String>;

/// The format of an entry's bytes, if it is an image or recording (read from its first bytes).
fn sniff(entry: &Entry, shown: &str) -> Result<Option<&'static media::Format>> {
    let head = match &entry.body {
        Body::Bytes(bytes) => bytes[..bytes.len().min(4096)].to_vec(),
        Body::File { path, .. } => {
            use std::io::Read;
            let mut head = Vec::new();
            std::fs::File::open(path)
                .and_then(|file| file.take(4096).read_to_end(&mut head))
                .map_err(|e| Error::io(std::path::Path::new(shown), &e))?;
            head
        }
    };
    Ok(media::detect(&head).ok())
}

fn read_body(body: &Body, shown: &str) -> Result<Arc<[u8]>> {
    match body {
        Body::Bytes(bytes) => Ok(Arc::clone(bytes)),
        Body::File { path, .. } => std::fs::read(path)
            .map(Arc::from)
            .map_err(|e| Error::io(std::path::Path::new(shown), &e)),
    }
}

/// The entry with new bytes. Its hash is derived from the source's and the stripper's version
/// rather than computed over the bytes (which the stripping made from that source alone):
/// hashing a long WAV again on every build costs more than the rest of the build.
fn replace_body(entry: Entry, body: Body) -> Entry {
    let hash = sha256(&[&entry.hash[..], b"stripped", &strip::VERSION.to_le_bytes()].concat());
    let mut new = Entry::new(body, hash, entry.mime, entry.source);
    new.immutable = entry.immutable;
    new
}

/// The sanitiser says `line 12: ...`: that line goes where an editor can jump to it.
fn svg_error(shown: &str, why: &str) -> Error {
    let hint = "remove it in an editor, or export the SVG again as plain SVG (Inkscape: \"Plain SVG\"; Illustrator: SVG Tiny, no DOCTYPE)";
    let parsed = why.strip_prefix("line ").and_then(|rest| {
        let (line, message) = rest.split_once(": ")?;
        Some((line.parse::<usize>().ok()?, message))
    });
    match parsed {
        Some((line, message)) => Error::in_file(shown, message).at(line, 1).hint(hint),
        None => Error::in_file(shown, why).hint(hint),
    }
}

/// Where the Opus copy of a lossless recording (WAV, FLAC) is published; `None` when the
/// recording is already compressed or `[build] audio = "keep"`.
pub fn speech_copy_path(site: &Site, audio: &Media) -> Option<String> {
    let lossless = audio.format == &media::WAV || audio.format == &media::FLAC;
    if site.config.build.keep_audio || !lossless {
        return None;
    }
    Some(format!(
        "{}/{}.{}.webm",
        crate::site::ASSETS_DIR,
        audio.stem(),
        &speech_key(audio)[..8]
    ))
}

/// Everything the Opus copy's bytes depend on.
fn speech_key(audio: &Media) -> String {
    Cache::key(&[
        &audio.hash,
        &crate::speech::PIPELINE_VERSION.to_le_bytes(),
        crate::speech::encoder_id().as_bytes(),
    ])
}

/// The MIME type of the Opus copy, with its codec so that a browser without Opus skips it.
pub const SPEECH_MIME: &str = "audio/webm; codecs=opus";

/// Makes (or reads from the cache) the Opus copy of a lossless recording, unless `output`
/// holds it already.
pub fn speech_copy(
    site: &Site,
    audio: &Media,
    output: &Output,
    cache: &Cache,
) -> Result<Option<(String, Entry)>> {
    let Some(path) = speech_copy_path(site, audio) else {
        return Ok(None);
    };
    if output.get(&path).is_some() {
        return Ok(None);
    }
    let made = cache
        .get_or_make(&speech_key(audio), || {
            let bytes = audio.bytes().map_err(|e| describe_io(&e))?;
            crate::speech::compress_speech(&bytes)
        })
        .map_err(|why| {
            Error::in_file(
                site.shown(&audio.path),
                format!("cannot compress this recording: {why}"),
            )
            .hint("export it again, or set audio = \"keep\" under [build] in site.toml")
        })?;
    let entry = made.entry("audio/webm", &audio.path);
    Ok(Some((path, entry)))
}
