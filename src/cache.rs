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

use crate::hashing::{sha256, FileStamp};
use crate::output::Body;

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
    /// Hashes of large files (sources and entries) by stamp, kept between builds.
    pub hashes: HashIndex,
    /// False for `profile check`, which writes nothing: entries are read, never written.
    writes: bool,
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
            hashes: HashIndex::open(root),
            writes: true,
        }
    }

    /// The cache of the site at `root` for a run that must write nothing (`profile check`):
    /// what is there is used, what is missing is made in memory, nothing is pruned.
    pub fn read_only(root: &Path) -> Cache {
        Cache {
            writes: false,
            ..Cache::new(root)
        }
    }

    /// A small fact about a source (a photo's size, a recording's length), as text, kept by a
    /// key made of `parts` (which must include the source's content hash): a warm build need
    /// not read the source to learn it again.
    pub fn fact<E>(
        &self,
        parts: &[&[u8]],
        learn: impl FnOnce() -> Result<String, E>,
    ) -> Result<String, E> {
        let mut keyed: Vec<&[u8]> = vec![b"fact"];
        keyed.extend_from_slice(parts);
        let made = self.get_or_make(&Cache::key(&keyed), || learn().map(String::into_bytes))?;
        Ok(match &made.body {
            Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Body::File { path, .. } => fs::read_to_string(path).unwrap_or_default(),
        })
    }

    /// A key from the parts that decide an entry's bytes; each part is length-prefixed so that
    /// no two different lists of parts give the same key.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hex::encode(&hasher.finalize()[..16])
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
        // A large entry whose stamp the index saw settled with this very hash is not read
        // again: the same trust git gives its index. Any other is read and checked whole.
        let stamp = FileStamp::of(&path).ok()?;
        if stamp.len > IN_MEMORY_LIMIT as u64 {
            if let Some(hash) = self.hashes.known(&path, stamp) {
                if hex::encode(hash) == expected {
                    return Some(Made {
                        body: Body::File { path, stamp },
                        hash,
                    });
                }
            }
        }
        let bytes = fs::read(&path).ok()?;
        let hash = self.hashes.hash(&path, stamp, &bytes);
        if hex::encode(hash) != expected {
            // Damaged on disk (a crash mid-write on a file system without ordered renames, a
            // stray edit): made again, and the bad copy goes.
            let _ = crate::fs_retry::remove_file(&path);
            return None;
        }
        let body = if bytes.len() > IN_MEMORY_LIMIT {
            Body::File { path, stamp }
        } else {
            Body::Bytes(Arc::from(bytes))
        };
        Some(Made { body, hash })
    }

    fn write(&self, key: &str, bytes: &[u8], hash: &[u8; 32]) -> Option<PathBuf> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        if !self.writes {
            return None;
        }
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir).ok()?;
            let _ = fs::write(self.dir.join("CACHEDIR.TAG"), CACHEDIR_TAG);
        }
        let path = self.dir.join(format!("{key}-{}", hex::encode(hash)));
        let temp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let written = fs::write(&temp, bytes).and_then(|()| crate::fs_retry::rename(&temp, &path));
        if written.is_err() {
            let _ = crate::fs_retry::remove_file(&temp);
            return None;
        }
        Some(path)
    }

    /// Removes the entries this build did not use: older versions of an edited photo, a
    /// recording that was replaced. Called after a complete build only.
    pub fn prune(&self) {
        if !self.writes {
            return;
        }
        self.hashes.save();
        let Ok(used) = self.used.lock() else { return };
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = match name.split_once('-') {
                _ if name == HASHES_FILE => false,
                Some((".tmp", _)) => is_old(&entry.path()),
                Some((key, _)) => !used.contains(key),
                None => false,
            };
            if stale {
                let _ = crate::fs_retry::remove_file(entry.path());
            }
        }
    }
}

/// The name of the hash index inside the cache directory.
const HASHES_FILE: &str = "hashes";

/// The content hashes of the site's large sources (a phone photo, a long recording), by path
/// and stamp, kept between builds in `.profile-cache/hashes` as git keeps its index: a warm
/// build need not hash megabytes that have not changed. Only a stamp that had settled when it
/// was recorded ([`FileStamp::settled`]) is trusted; an unreadable index is simply empty.
#[derive(Debug)]
pub struct HashIndex {
    file: PathBuf,
    entries: Mutex<HashMap<String, (FileStamp, [u8; 32])>>,
    changed: std::sync::atomic::AtomicBool,
}

impl HashIndex {
    /// The index of the site at `root`, read from its cache directory if there is one.
    pub fn open(root: &Path) -> HashIndex {
        let file = root.join(CACHE_DIR).join(HASHES_FILE);
        let entries = fs::read_to_string(&file)
            .map(|text| text.lines().filter_map(parse_hash_line).collect())
            .unwrap_or_default();
        HashIndex {
            file,
            entries: Mutex::new(entries),
            changed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The SHA-256 of `bytes`, the content of `path` read after its stamp was taken: from the
    /// index when the stamp is the one recorded, else computed (and recorded once settled).
    pub fn hash(&self, path: &Path, stamp: FileStamp, bytes: &[u8]) -> [u8; 32] {
        // A small file hashes in microseconds: not worth a line, or a cache directory.
        if bytes.len() <= IN_MEMORY_LIMIT {
            return sha256(bytes);
        }
        if let Some(hash) = self.known(path, stamp) {
            return hash;
        }
        let hash = sha256(bytes);
        if stamp.settled() {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.insert(path.to_string_lossy().into_owned(), (stamp, hash));
            self.changed.store(true, Ordering::Relaxed);
        }
        hash
    }

    /// The hash recorded for `path` under `stamp`, if that stamp had settled.
    pub fn known(&self, path: &Path, stamp: FileStamp) -> Option<[u8; 32]> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(path.to_string_lossy().as_ref()) {
            Some((known, hash)) if *known == stamp && stamp.settled() => Some(*hash),
            _ => None,
        }
    }

    /// Writes the index back if it learnt anything (atomically; a failure only costs time).
    pub fn save(&self) {
        if !self.changed.load(Ordering::Relaxed) {
            return;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut lines: Vec<String> = entries
            .iter()
            .filter_map(|(path, (stamp, hash))| {
                let nanos = stamp
                    .modified?
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_nanos();
                Some(format!(
                    "{} {nanos} {} {path}\n",
                    stamp.len,
                    hex::encode(hash)
                ))
            })
            .collect();
        lines.sort();
        let Some(dir) = self.file.parent() else {
            return;
        };
        if fs::create_dir_all(dir).is_err() {
            return;
        }
        let temp = dir.join(format!(".tmp-{}-hashes", std::process::id()));
        if fs::write(&temp, lines.concat())
            .and_then(|()| crate::fs_retry::rename(&temp, &self.file))
            .is_err()
        {
            let _ = crate::fs_retry::remove_file(&temp);
        }
    }
}

/// `LEN MTIME_NS HASH PATH` → the entry; `None` for a line that is not one.
fn parse_hash_line(line: &str) -> Option<(String, (FileStamp, [u8; 32]))> {
    let mut fields = line.splitn(4, ' ');
    let len = fields.next()?.parse().ok()?;
    let nanos: u64 = fields.next()?.parse().ok()?;
    let hex_hash = fields.next()?;
    let path = fields.next()?;
    let mut hash = [0u8; 32];
    if hex_hash.len() != 64 {
        return None;
    }
    for (byte, pair) in hash.iter_mut().zip(hex_hash.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    let modified = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(nanos);
    Some((
        path.to_string(),
        (
            FileStamp {
                len,
                modified: Some(modified),
            },
            hash,
        ),
    ))
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
    fn the_hash_index_is_kept_between_builds_and_trusts_only_settled_stamps() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("photo.jpg");
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let big = |byte: u8| vec![byte; IN_MEMORY_LIMIT + 1];
        let len = big(0).len() as u64;
        let settled = FileStamp {
            len,
            modified: Some(old),
        };
        let index = HashIndex::open(root.path());
        assert_eq!(index.hash(&path, settled, &big(1)), sha256(&big(1)));
        index.save();
        // Another build: the same stamp gives the recorded hash without hashing.
        let again = HashIndex::open(root.path());
        assert_eq!(again.hash(&path, settled, &big(2)), sha256(&big(1)));
        // Another stamp is hashed afresh.
        let edited = FileStamp {
            len,
            modified: Some(old + std::time::Duration::from_secs(1)),
        };
        assert_eq!(again.hash(&path, edited, &big(2)), sha256(&big(2)));
        // A file modified just now is never trusted from the index.
        let fresh = FileStamp {
            len,
            modified: Some(std::time::SystemTime::now()),
        };
        let index = HashIndex::open(root.path());
        assert_eq!(index.hash(&path, fresh, &big(3)), sha256(&big(3)));
        index.save();
        let later = HashIndex::open(root.path());
        assert_eq!(later.hash(&path, fresh, &big(4)), sha256(&big(4)));
        // Small files are hashed, never recorded.
        let small = HashIndex::open(root.path());
        assert_eq!(small.hash(&path, settled, b"tiny"), sha256(b"tiny"));
        // Pruning keeps the index.
        Cache::new(root.path()).prune();
        assert!(root.path().join(CACHE_DIR).join(HASHES_FILE).is_file());
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
    fn facts_are_learnt_once() {
        let root = tempfile::tempdir().unwrap();
        let first = Cache::new(root.path())
            .fact::<()>(&[b"duration", b"hash"], || Ok("60000000000".into()))
            .unwrap();
        assert_eq!(first, "60000000000");
        let again = Cache::new(root.path())
            .fact::<()>(&[b"duration", b"hash"], || panic!("learnt again"))
            .unwrap();
        assert_eq!(again, first);
        let other = Cache::new(root.path())
            .fact::<()>(&[b"duration", b"other hash"], || Ok("1".into()))
            .unwrap();
        assert_eq!(other, "1");
    }

    #[test]
    fn a_large_entry_is_trusted_by_its_settled_stamp_and_checked_once_it_changes() {
        let root = tempfile::tempdir().unwrap();
        let big = vec![7u8; IN_MEMORY_LIMIT + 10];
        Cache::new(root.path())
            .get_or_make::<()>("big", || Ok(big.clone()))
            .unwrap();
        let entry = fs::read_dir(root.path().join(CACHE_DIR))
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("big-"))
            .unwrap()
            .path();
        let settle = |path: &Path| {
            let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
            fs::File::options()
                .write(true)
                .open(path)
                .and_then(|f| f.set_modified(old))
                .unwrap();
        };
        settle(&entry);
        // Read and checked whole once, which records its stamp.
        let cache = Cache::new(root.path());
        let made = cache
            .get_or_make::<()>("big", || panic!("made again"))
            .unwrap();
        assert!(matches!(made.body, Body::File { .. }));
        cache.prune();
        assert!(Cache::new(root.path())
            .hashes
            .known(&entry, FileStamp::of(&entry).unwrap())
            .is_some());
        // Damaged (a new modification time): checked, found wrong, made again.
        let mut damaged = big.clone();
        damaged[5] = 8;
        fs::write(&entry, &damaged).unwrap();
        let made = Cache::new(root.path())
            .get_or_make::<()>("big", || Ok(big.clone()))
            .unwrap();
        assert_eq!(made.hash, sha256(&big));
        assert_eq!(bytes_of(&made), big);
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
