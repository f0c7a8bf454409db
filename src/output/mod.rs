//! [`Output`]: every URL path of a built site with its bytes, MIME type and hash (the model);
//! [`publish`] writes it to disk atomically, without ever touching a directory profile did not
//! create.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use crate::coding::Encoding;
use crate::error::{Error, Result};
use crate::hashing::{sha256, FileStamp};

mod compare;
mod publish;

pub use publish::{check_out_dir, recover, MARKER};

/// A built site: URL path (`index.html`, `about/index.html`, `assets/logo.1a2b3c4d.png`) → entry.
#[derive(Debug, Default, Clone)]
pub struct Output {
    entries: BTreeMap<String, Entry>,
    /// Lower-cased path → path, because two names differing only in case collide on Windows
    /// and macOS file systems.
    folded: HashMap<String, String>,
    /// How many entries are precompressed copies: none in most builds, and then the server
    /// need not look for copies of each file it sends.
    copies: usize,
    /// What was removed from the published media, for the build's summary.
    pub privacy: crate::derived::Privacy,
}

/// One file of the output.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The content.
    pub body: Body,
    /// The `Content-Type` to serve it with.
    pub mime: String,
    /// SHA-256 of the content.
    pub hash: [u8; 32],
    /// What produced it (`content/about.md`, `assets/logo.png`), for collision messages.
    pub source: String,
    /// Whether its name carries its content hash, so a cache may keep it forever.
    pub immutable: bool,
    /// Set on a precompressed copy (`index.html.gz`) of the entry named without the suffix.
    pub encoding: Option<Encoding>,
}

/// Where an entry's bytes are.
#[derive(Debug, Clone)]
pub enum Body {
    /// Rendered in memory; shared between snapshots of the served site.
    Bytes(Arc<[u8]>),
    /// Copied from a source file as it is; `stamp` is the file's size and modification time
    /// when it was hashed, so a later edit can be noticed before the next build.
    File {
        /// The source file.
        path: PathBuf,
        /// Size and modification time when hashed.
        stamp: FileStamp,
    },
}

impl Entry {
    /// An entry from its parts.
    pub fn new(
        body: Body,
        hash: [u8; 32],
        mime: impl Into<String>,
        source: impl Into<String>,
    ) -> Entry {
        Entry {
            body,
            hash,
            mime: mime.into(),
            source: source.into(),
            immutable: false,
            encoding: None,
        }
    }

    /// An entry whose bytes are in memory, hashed here.
    pub fn bytes(bytes: Vec<u8>, mime: impl Into<String>, source: impl Into<String>) -> Entry {
        let hash = sha256(&bytes);
        Entry::new(Body::Bytes(bytes.into()), hash, mime, source)
    }

    /// The first 8 hex digits of the hash, for fingerprinted file names.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.hash[..4])
    }

    /// The content length in bytes.
    pub fn len(&self) -> std::io::Result<u64> {
        match &self.body {
            Body::Bytes(b) => Ok(b.len() as u64),
            Body::File { path, .. } => Ok(fs::metadata(path)?.len()),
        }
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

impl Output {
    /// Adds `entry` at `path`, refusing a path already taken (also up to letter case).
    pub fn insert(&mut self, path: String, entry: Entry) -> Result<()> {
        let folded = path.to_lowercase();
        if let Some(existing) = self.folded.get(&folded) {
            let other = &self.entries[existing].source;
            return Err(Error::new(format!(
                "{} and {} would both write `{existing}`",
                other, entry.source
            ))
            .hint("rename one of them (names that differ only in letter case clash on Windows and macOS)"));
        }
        self.folded.insert(folded, path.clone());
        self.copies += usize::from(entry.encoding.is_some());
        self.entries.insert(path, entry);
        Ok(())
    }

    /// Puts `entry` at `path`, which must already be taken (a page rendered again).
    pub fn replace(&mut self, path: &str, entry: Entry) {
        if let Some(slot) = self.entries.get_mut(path) {
            self.copies = self.copies + usize::from(entry.encoding.is_some())
                - usize::from(slot.encoding.is_some());
            *slot = entry;
        }
    }

    /// The entry at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The precompressed copy of the entry at `path` in `encoding`, if the build made one.
    pub fn variant(&self, path: &str, encoding: Encoding) -> Option<&Entry> {
        if self.copies == 0 {
            return None;
        }
        let entry = self.entries.get(&format!("{path}{}", encoding.suffix()))?;
        (entry.encoding == Some(encoding)).then_some(entry)
    }

    /// Removes the entry at `path`, returning it.
    pub fn remove(&mut self, path: &str) -> Option<Entry> {
        let entry = self.entries.remove(path)?;
        self.folded.remove(&path.to_lowercase());
        self.copies -= usize::from(entry.encoding.is_some());
        Some(entry)
    }

    /// All entries, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter()
    }

    /// How many HTML pages there are.
    pub fn page_count(&self) -> usize {
        self.entries.keys().filter(|p| p.ends_with(".html")).count()
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The total size of the entries in bytes.
    fn size(&self) -> u64 {
        self.entries
            .values()
            .map(|entry| match &entry.body {
                Body::Bytes(bytes) => bytes.len() as u64,
                Body::File { stamp, .. } => stamp.len,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_are_found_up_to_case() {
        let mut out = Output::default();
        out.insert(
            "about/index.html".into(),
            Entry::bytes(vec![1], "text/html", "content/about.md"),
        )
        .unwrap();
        let err = out
            .insert(
                "About/index.html".into(),
                Entry::bytes(vec![2], "text/html", "content/About.md"),
            )
            .unwrap_err();
        assert!(
            err.message
                .contains("content/about.md and content/About.md"),
            "{err}"
        );
    }

    #[test]
    fn fingerprint_is_the_hash_prefix() {
        let e = Entry::bytes(b"abc".to_vec(), "text/plain", "x");
        assert_eq!(e.fingerprint(), "ba7816bf");
    }
}
