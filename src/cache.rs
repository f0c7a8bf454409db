//! `.profile-cache/` at the site root: files made from the site's media (resized logos,
//! stripped and compressed recordings), kept between builds so that only the first build pays
//! for decoding a photo or encoding a recording.
//!
//! An entry is named by a key — a hash of everything that went into it: the source's content
//! hash, the settings, the encoder's version and a pipeline version — and by the hash of its
//! own bytes, which is checked on every read: a corrupt entry is made again, never published.
//! Keys never use paths or modification times, so an edited photo gets a new entry and a fresh
//! checkout finds the old ones. Writes go to a temporary file renamed into place. A cache that
//! cannot be written (read-only site, full disk) only costs time: the bytes are kept in memory.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::output::{hex, sha256, Body, FileStamp};

/// The cache directory's name at the site root; hidden, so no walk of the site reads it.
pub const CACHE_DIR: &str = ".profile-cache";
/// Entries larger than this are served from the cache file rather than kept in memory.
const IN_MEMORY_LIMIT: usize = 1024 * 1024;
/// The standard tag (bford.info/cachedir) that backup tools honour.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This directory holds files profile made from the site's media; delete it at any time.\n";

/// A cache directory, and the entries one build used (the rest are pruned after it).
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    /// Key → file name, listed once on first use.
    listing: OnceLock<HashMap<String, String>>,
    used: Mutex<BTreeSet<String>>,
}

/// A made file: its body (in memory, or the cache file) and the SHA-256 of its bytes.
#[derive(Debug, Clone)]
pub struct Made {
    /// Where the bytes are.
    pub body: Body,
    /// SHA-256 of the bytes.
    pub hash: [u8; 32],
}

impl Made {
    /// The output entry that publishes it under a fingerprinted name, made from `source`.
    pub fn entry(self, mime: &str, source: &Path) -> crate::output::Entry {
        let mut entry =
            crate::output::Entry::new(self.body, self.hash, mime, source.display().to_string());
        entry.immutable = true;
        entry
    }
}

impl Cache {
    /// The cache of the site at `root`; nothing is created until an entry is written.
    pub fn new(root: &Path) -> Cache {
        Cache {
            dir: root.join(CACHE_DIR),
            listing: OnceLock::new(),
            used: Mutex::new(BTreeSet::new()),
        }
    }

    /// A key from the parts that decide an entry's bytes; each part is length-prefixed so that
    /// no two different lists of parts give the same key.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hex(&hasher.finalize()[..16])
    }

    /// The entry for `key`, or, when it is missing or corrupt, the bytes `make` returns, stored
    /// for next time.
    pub fn get_or_make<E>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Made, E> {
        if let Some(made) = self.read(key) {
            self.mark_used(key);
            return Ok(made);
        }
        let bytes = make()?;
        let hash = sha256(&bytes);
        if let Some(path) = self.write(key, &bytes, &hash) {
            self.mark_used(key);
            if bytes.len() > IN_MEMORY_LIMIT {
                if let Ok(stamp) = FileStamp::of(&path) {
                    return Ok(Made {
                        body: Body::File { path, stamp },
                        hash,
                    });
                }
            }
        }
        Ok(Made {
            body: Body::Bytes(Arc::from(bytes)),
            hash,
        })
    }

    fn mark_used(&self, key: &str) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(key.to_string());
        }
    }

    fn listing(&self) -> &HashMap<String, String> {
        self.listing.get_or_init(|| {
            let mut names = HashMap::new();
            if let Ok(dir) = fs::read_dir(&self.dir) {
                for entry in dir.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if let Some((key, _)) = name.split_once('-') {
                        names.insert(key.to_string(), name);
                    }
                }
            }
            names
        })
    }

    fn read(&self, key: &str) -> Option<Made> {
        let name = self.listing().get(key)?;
        let (_, expected) = name.split_once('-')?;
        let path = self.dir.join(name);
        let bytes = fs::read(&path).ok()?;
        let hash = sha256(&bytes);
        if hex(&hash) != expected {
            // Damaged on disk (a crash mid-write on a file system without ordered renames, a
            // stray edit): made again, and the bad copy goes.
            let _ = fs::remove_file(&path);
            return None;
        }
        let body = match FileStamp::of(&path) {
            Ok(stamp) if bytes.len() > IN_MEMORY_LIMIT => Body::File { path, stamp },
            _ => Body::Bytes(Arc::from(bytes)),
        };
        Some(Made { body, hash })
    }

    fn write(&self, key: &str, bytes: &[u8], hash: &[u8; 32]) -> Option<PathBuf> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir).ok()?;
            let _ = fs::write(self.dir.join("CACHEDIR.TAG"), CACHEDIR_TAG);
        }
        let path = self.dir.join(format!("{key}-{}", hex(hash)));
        let temp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let written = fs::write(&temp, bytes).and_then(|()| fs::rename(&temp, &path));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
            return None;
        }
        Some(path)
    }

    /// Removes the entries this build did not use: older versions of an edited photo, a
    /// recording that was replaced. Called after a complete build only.
    pub fn prune(&self) {
        let Ok(used) = self.used.lock() else { return };
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = match name.split_once('-') {
                Some((".tmp", _)) => is_old(&entry.path()),
                Some((key, _)) => !used.contains(key),
                None => false,
            };
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// A temporary file left by a build that was killed an hour or more ago (a younger one may
/// belong to a build running now).
fn is_old(path: &Path) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(made: &Made) -> Vec<u8> {
        match &made.body {
            Body::Bytes(bytes) => bytes.to_vec(),
            Body::File { path, .. } => fs::read(path).unwrap(),
        }
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(Cache::key(&[b"ab", b"c"]), Cache::key(&[b"a", b"bc"]));
        assert_eq!(Cache::key(&[b"x"]).len(), 32);
    }

    #[test]
    fn a_second_build_reads_what_the_first_made() {
        let root = tempfile::tempdir().unwrap();
        let first = Cache::new(root.path());
        let made = first
            .get_or_make::<()>("k1", || Ok(b"webp bytes".to_vec()))
            .unwrap();
        assert_eq!(bytes_of(&made), b"webp bytes");
        let second = Cache::new(root.path());
        let again = second
            .get_or_make::<()>("k1", || panic!("made again"))
            .unwrap();
        assert_eq!(again.hash, made.hash);
        assert!(root.path().join(CACHE_DIR).join("CACHEDIR.TAG").is_file());
    }

    #[test]
    fn a_corrupt_entry_is_made_again() {
        let root = tempfile::tempdir().unwrap();
        Cache::new(root.path())
            .get_or_make::<()>("k", || Ok(b"good".to_vec()))
            .unwrap();
        let dir = root.path().join(CACHE_DIR);
        let entry = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("k-"))
            .unwrap();
        fs::write(entry.path(), b"bad!").unwrap();
        let made = Cache::new(root.path())
            .get_or_make::<()>("k", || Ok(b"good".to_vec()))
            .unwrap();
        assert_eq!(bytes_of(&made), b"good");
    }

    #[test]
    fn unused_entries_are_pruned() {
        let root = tempfile::tempdir().unwrap();
        let first = Cache::new(root.path());
        for key in ["old", "kept"] {
            first
                .get_or_make::<()>(key, || Ok(key.as_bytes().to_vec()))
                .unwrap();
        }
        let second = Cache::new(root.path());
        second
            .get_or_make::<()>("kept", || panic!("made again"))
            .unwrap();
        second.prune();
        let names: Vec<String> = fs::read_dir(root.path().join(CACHE_DIR))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("kept-")), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("old-")), "{names:?}");
        assert!(names.contains(&"CACHEDIR.TAG".to_string()));
    }

    #[test]
    fn an_unwritable_cache_still_gives_the_bytes() {
        let root = tempfile::tempdir().unwrap();
        // A file where the directory should be.
        fs::write(root.path().join(CACHE_DIR), b"").unwrap();
        let made = Cache::new(root.path())
            .get_or_make::<()>("k", || Ok(b"bytes".to_vec()))
            .unwrap();
        assert_eq!(bytes_of(&made), b"bytes");
    }
}
