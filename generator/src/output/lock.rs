//! Advisory file locks (flock on Unix, LockFileEx on Windows, through std).
//!
//! The operating system drops such a lock when its process dies, however it
//! dies, so a killed run never leaves a lock that blocks the next one: there
//! is no stale lock to detect. A run that waits gives up after a timeout
//! rather than hanging behind a stopped process.

use crate::error::Error;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a run waits for another to finish writing into the same
/// directory; `UCWA_CODEGEN_LOCK_TIMEOUT` (seconds) changes it. The lock is
/// held only while files are swapped into place, which takes well under a
/// second for the 294-page corpus.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A held lock on a file; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
    /// Remove the file on release (the directory lock); a staging
    /// directory's lock goes away with the directory instead.
    remove: bool,
}

impl Lock {
    /// Locks `path` (created if missing), waiting up to the timeout for
    /// another process to release it. The file is removed on release, so an
    /// output directory holds no lock file between runs.
    pub fn wait(path: &Path, holder: &str) -> Result<Lock, Error> {
        let timeout = timeout();
        let started = Instant::now();
        loop {
            if path.is_symlink() {
                return Err(Error::Refused {
                    file: path.to_path_buf(),
                    message: "is a symbolic link, not ucwa-codegen's lock file: remove it".into(),
                });
            }
            let file = open(path, true).map_err(|e| Error::io(path, e))?;
            match file.try_lock() {
                // The previous holder may have removed the file after we
                // opened it: then this lock guards nothing, so start over.
                Ok(()) if same_file(&file, path) => {
                    return Ok(Lock {
                        path: path.to_path_buf(),
                        file,
                        remove: true,
                    })
                }
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Refused {
                        file: path.to_path_buf(),
                        message: format!(
                            "another ucwa-codegen run has been writing into {holder} for {} s \
                             and still holds this lock; let it finish, or stop it, then run \
                             again (set UCWA_CODEGEN_LOCK_TIMEOUT to wait longer)",
                            timeout.as_secs()
                        ),
                    })
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
        }
    }

    /// Creates and locks a file that no other process can know yet.
    pub fn create(path: &Path) -> io::Result<Lock> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        file.try_lock().map_err(|e| match e {
            TryLockError::Error(e) => e,
            TryLockError::WouldBlock => io::Error::from(io::ErrorKind::WouldBlock),
        })?;
        Ok(Lock {
            path: path.to_path_buf(),
            file,
            remove: false,
        })
    }

    /// Whether a live process holds the lock on `path`: false when the file
    /// is missing or nobody holds it, which is how a run tells a dead run's
    /// staging directory from one still being written.
    pub fn is_held(path: &Path) -> bool {
        match open(path, false) {
            Ok(file) => matches!(file.try_lock(), Err(TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held: a waiter that opened the old file sees
        // it is gone once it gets the lock and opens the path again.
        if self.remove && removable_while_open() {
            let _ = fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

fn open(path: &Path, create: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
}

fn timeout() -> Duration {
    std::env::var("UCWA_CODEGEN_LOCK_TIMEOUT")
        .ok()
        .and_then(|seconds| seconds.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Without inode numbers in stable std the file is never removed, so the
/// path always names the locked file.
#[cfg(not(unix))]
fn same_file(_file: &File, _path: &Path) -> bool {
    true
}

fn removable_while_open() -> bool {
    cfg!(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_seen_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let lock = Lock::wait(&path, "here").unwrap();
        assert!(Lock::is_held(&path));
        drop(lock);
        assert!(!Lock::is_held(&path));
        if cfg!(unix) {
            assert!(!path.exists(), "the lock file is removed on release");
        }
        let created = Lock::create(&dir.path().join("staging-lock")).unwrap();
        assert!(Lock::is_held(&dir.path().join("staging-lock")));
        drop(created);
        assert!(!Lock::is_held(&dir.path().join("staging-lock")));
    }
}
