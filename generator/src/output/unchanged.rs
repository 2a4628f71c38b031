//! Which staged files hold exactly the bytes already at their target, found
//! while they are written (one read of the old file, no second pass): such a
//! file is left as it is, so its modification time does not make cargo
//! rebuild, and a file of the user's that already holds those bytes may be
//! taken over.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::SystemTime;

/// What a plain file looked like when its bytes were compared; if it still
/// looks so at the swap, nobody has replaced or written it since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Seen {
    /// None unless `path` is a plain file (not a link, not a directory).
    pub fn of(path: &Path) -> Option<Seen> {
        let meta = fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        Some(Seen {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
        })
    }

    /// Whether `path` still is the file seen.
    pub fn still(&self, path: &Path) -> bool {
        Seen::of(path).as_ref() == Some(self)
    }
}

/// The file at a target, compared piece by piece with the text staged for it.
#[derive(Debug)]
pub struct Comparison {
    seen: Seen,
    reader: BufReader<File>,
    buffer: Vec<u8>,
    same_so_far: bool,
}

impl Comparison {
    /// None when there is no plain file at `target` to compare with.
    pub fn open(target: &Path) -> Option<Comparison> {
        let seen = Seen::of(target)?;
        let file = File::open(target).ok()?;
        Some(Comparison {
            seen,
            reader: BufReader::new(file),
            buffer: Vec::new(),
            same_so_far: true,
        })
    }

    /// The next piece of the staged text.
    pub fn next(&mut self, piece: &[u8]) {
        if self.same_so_far {
            self.buffer.resize(piece.len(), 0);
            self.same_so_far =
                self.reader.read_exact(&mut self.buffer).is_ok() && self.buffer == piece;
        }
    }

    /// The old file as it was seen, when it held exactly the staged text.
    pub fn finish(mut self) -> Option<Seen> {
        let at_end = matches!(self.reader.read(&mut [0]), Ok(0));
        (self.same_so_far && at_end).then_some(self.seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(old: &str, pieces: &[&str]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, old).unwrap();
        let mut comparison = Comparison::open(&path).unwrap();
        for piece in pieces {
            comparison.next(piece.as_bytes());
        }
        comparison.finish().is_some_and(|seen| seen.still(&path))
    }

    #[test]
    fn only_exactly_the_same_bytes_count_as_unchanged() {
        assert!(compare("abcdef", &["ab", "", "cdef"]));
        assert!(compare("", &[]));
        assert!(!compare("abcdef", &["ab", "cd"]), "shorter");
        assert!(!compare("abcd", &["ab", "cdef"]), "longer");
        assert!(!compare("abcdef", &["ab", "cX", "ef"]), "different");
    }

    #[test]
    fn a_file_written_since_it_was_seen_is_not_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "same").unwrap();
        let seen = Seen::of(&path).unwrap();
        assert!(seen.still(&path));
        let other = dir.path().join("g");
        fs::write(&other, "same").unwrap();
        fs::rename(&other, &path).unwrap();
        assert!(!seen.still(&path), "replaced by another file");
        assert!(
            Seen::of(dir.path()).is_none(),
            "a directory is not a plain file"
        );
    }
}
