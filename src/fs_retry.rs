//! Renames and deletes that wait out a file held open by another program.
//!
//! On Windows, an antivirus scanning a new file, an editor, or Explorer's preview pane holds files
//! open without `FILE_SHARE_DELETE` for a moment; renaming over such a file then fails with error 5
//! (access denied) and deleting it with error 32 (sharing violation). rustup (#1873) and Zola
//! (#831) failed builds for exactly that. These wrappers try again with a growing pause, about a
//! second in all, and then return the last error for the caller to name the file. Elsewhere the
//! errors have other meanings (5 is EIO on Linux, 32 EPIPE), so nothing is retried there.

use std::io;
use std::path::Path;
use std::thread;
use std::time::Duration;

/// The pauses between attempts: 10 + 20 + 40 + 80 + 160 + 320 + 400 ms ≈ 1 s in all.
pub const PAUSES_MS: [u64; 7] = [10, 20, 40, 80, 160, 320, 400];

/// Whether `err` is another program holding the file for a moment: Windows errors 5
/// (`ERROR_ACCESS_DENIED`) and 32 (`ERROR_SHARING_VIOLATION`).
pub fn is_sharing_violation(err: &io::Error) -> bool {
    cfg!(windows) && matches!(err.raw_os_error(), Some(5 | 32))
}

/// Runs `op` until it succeeds, fails with an error `transient` does not accept, or the pauses
/// run out; `pause` waits (a parameter so that the policy is tested without waiting).
pub fn retry_with<T>(
    mut op: impl FnMut() -> io::Result<T>,
    transient: impl Fn(&io::Error) -> bool,
    mut pause: impl FnMut(Duration),
) -> io::Result<T> {
    let mut pauses = PAUSES_MS.iter();
    loop {
        match op() {
            Err(e) if transient(&e) => match pauses.next() {
                Some(&ms) => pause(Duration::from_millis(ms)),
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// Runs `op`, retrying sharing violations for about a second.
pub fn retry<T>(op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    retry_with(op, is_sharing_violation, thread::sleep)
}

/// [`std::fs::rename`], retried on sharing violations.
pub fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    retry(|| std::fs::rename(&from, &to))
}

/// Writes `bytes` to `path` through a sibling temporary file and a rename, so that a reader
/// (or a crash half-way) sees the old file or the new one, never a part; the temporary file is
/// removed when the write fails.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&temp, bytes).and_then(|()| rename(&temp, path));
    if written.is_err() {
        let _ = remove_file(&temp);
    }
    written
}

/// [`std::fs::remove_file`], retried on sharing violations.
pub fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    retry(|| std::fs::remove_file(&path))
}

/// [`std::fs::remove_dir_all`], retried on sharing violations; a file already removed by an
/// earlier attempt is not an error the second time.
pub fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    retry(|| match std::fs::remove_dir_all(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        done => done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn busy() -> io::Error {
        io::Error::from_raw_os_error(32)
    }

    #[test]
    fn succeeds_once_the_file_is_released() {
        let attempts = Cell::new(0);
        let mut waited = Duration::ZERO;
        let result = retry_with(
            || {
                attempts.set(attempts.get() + 1);
                if attempts.get() < 4 {
                    Err(busy())
                } else {
                    Ok("renamed")
                }
            },
            |_| true,
            |d| waited += d,
        );
        assert_eq!(result.unwrap(), "renamed");
        assert_eq!(attempts.get(), 4);
        assert_eq!(waited, Duration::from_millis(10 + 20 + 40));
    }

    #[test]
    fn gives_up_after_about_a_second_with_the_last_error() {
        let attempts = Cell::new(0);
        let mut waited = Duration::ZERO;
        let result: io::Result<()> = retry_with(
            || {
                attempts.set(attempts.get() + 1);
                Err(busy())
            },
            |_| true,
            |d| waited += d,
        );
        assert_eq!(result.unwrap_err().raw_os_error(), Some(32));
        assert_eq!(attempts.get(), PAUSES_MS.len() + 1);
        assert!(
            (Duration::from_millis(900)..=Duration::from_millis(1500)).contains(&waited),
            "{waited:?}"
        );
    }

    #[test]
    fn other_errors_fail_at_once() {
        let attempts = Cell::new(0);
        let result: io::Result<()> = retry_with(
            || {
                attempts.set(attempts.get() + 1);
                Err(io::ErrorKind::NotFound.into())
            },
            |e| e.raw_os_error() == Some(32),
            |_| panic!("no pause for an error that is not transient"),
        );
        assert!(result.is_err());
        assert_eq!(attempts.get(), 1);
    }

    #[test]
    fn only_windows_codes_count_and_only_on_windows() {
        assert_eq!(is_sharing_violation(&busy()), cfg!(windows));
        assert_eq!(
            is_sharing_violation(&io::Error::from_raw_os_error(5)),
            cfg!(windows)
        );
        assert!(!is_sharing_violation(&io::Error::from_raw_os_error(2)));
        assert!(!is_sharing_violation(&io::ErrorKind::Other.into()));
    }
}
