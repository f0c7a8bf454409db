//! Content hashes: SHA-256 of bytes and of files (read in chunks), the file stamps that tell
//! when a file changed, and a process-wide cache of file hashes by stamp. Used by loading,
//! rendering and bundling alike, so it depends on nothing of profile's.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file's size and modification time: if both are unchanged, so (in practice) is the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub len: u64,
    /// Last modification, where the file system records it.
    pub modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    /// The stamp of the file at `path` now.
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let meta = fs::metadata(path)?;
        Ok(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// SHA-256 and stamp of a file, read in chunks so that a large recording is never held in
/// memory whole. The stamp is taken first: if the file changes while it is read, the stamp no
/// longer matches and the change is noticed.
pub fn hash_file(path: &Path) -> std::io::Result<([u8; 32], FileStamp)> {
    use std::io::Read;
    let stamp = FileStamp::of(path)?;
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok((hasher.finalize().into(), stamp))
}

/// How long a file must have been left alone before its hash is remembered: a file written
/// again within the time resolution of its file system (2 s on FAT) could keep its size and
/// modification time with new content (git's "racy clean" problem).
const SETTLED: std::time::Duration = std::time::Duration::from_secs(3);

impl FileStamp {
    /// Whether the file was last modified long enough ago ([`SETTLED`]) that a hash remembered
    /// under this stamp stays right.
    pub fn settled(&self) -> bool {
        self.modified
            .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > SETTLED)
    }
}

/// Hashes of files this process has read, by path, with the stamp they had.
type HashCache = HashMap<PathBuf, (FileStamp, [u8; 32])>;

/// [`hash_file`], remembering the result for the life of the process: while serving, a rebuild
/// does not read a large recording again when its size and modification time are unchanged
/// (a 1 GiB file takes seconds to hash). Files modified in the last few seconds are always read.
pub fn hash_file_cached(path: &Path) -> std::io::Result<([u8; 32], FileStamp)> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<HashCache>> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    let settled = FileStamp::settled;
    let now = FileStamp::of(path)?;
    if let Some((stamp, hash)) = lock().get(path) {
        if *stamp == now && settled(stamp) {
            return Ok((*hash, now));
        }
    }
    let (hash, stamp) = hash_file(path)?;
    if settled(&stamp) {
        lock().insert(path.to_path_buf(), (stamp, hash));
    }
    Ok((hash, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_of_settled_files_are_remembered_and_of_fresh_ones_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recording.mp3");
        let set_time = |when: std::time::SystemTime| {
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        fs::write(&path, b"first take").unwrap();
        set_time(an_hour_ago);
        let (first, _) = hash_file_cached(&path).unwrap();
        assert_eq!(first, sha256(b"first take"));

        // Same size, same time, new bytes: only a cache could answer the old hash, which shows
        // the file was not read again.
        fs::write(&path, b"other take").unwrap();
        set_time(an_hour_ago);
        assert_eq!(hash_file_cached(&path).unwrap().0, first);

        // A new time: read again.
        set_time(an_hour_ago + std::time::Duration::from_secs(1));
        assert_eq!(hash_file_cached(&path).unwrap().0, sha256(b"other take"));

        // A file modified just now is read every time, whatever its stamp.
        let now = std::time::SystemTime::now();
        fs::write(&path, b"third take").unwrap();
        set_time(now);
        assert_eq!(hash_file_cached(&path).unwrap().0, sha256(b"third take"));
        fs::write(&path, b"final take").unwrap();
        set_time(now);
        assert_eq!(hash_file_cached(&path).unwrap().0, sha256(b"final take"));
    }
}
