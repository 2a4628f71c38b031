//! Writing a tree of generated files so that a failure never leaves it half-written.
//!
//! Every file is first written into a staging directory beside the target;
//! only when all of them are on disk are the top-level entries swapped into
//! place by rename (cheap and atomic on one file system), and only then are
//! stale entries from an earlier run removed. An error at any earlier point
//! leaves the previous output exactly as it was.

use crate::error::Error;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Files to write, keyed by `/`-separated path relative to the output directory.
pub type FileTree = BTreeMap<String, String>;

/// Writes `files` under `out`. Existing top-level entries that `files` does
/// not contain are removed when `is_stale` says they belong to us (a schema
/// directory owns its `*.yaml`; a crate directory owns nothing beyond what it
/// writes, so its `target/` and `Cargo.lock` survive).
pub fn write_tree(
    out: &Path,
    files: &FileTree,
    is_stale: impl Fn(&Path) -> bool,
) -> Result<(), Error> {
    for name in files.keys() {
        check_relative(out, name)?;
    }
    let mut staged = StagedTree::begin(out)?;
    for (name, contents) in files {
        staged.file(name, contents)?;
    }
    staged.commit(is_stale)?;
    Ok(())
}

/// A tree of files written into the staging directory one by one, as they
/// are produced, so that no more than one file's text need be in memory;
/// [`StagedTree::commit`] puts them all in place. Dropped without a commit,
/// it removes the staging directory and `out` stays as it was.
pub struct StagedTree {
    out: PathBuf,
    staging: PathBuf,
    backup: PathBuf,
    written: BTreeSet<String>,
    current: Option<(PathBuf, BufWriter<File>)>,
}

impl StagedTree {
    pub fn begin(out: &Path) -> Result<StagedTree, Error> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let base = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{base}.staging-{}", std::process::id()));
        let backup = parent.join(format!(".{base}.previous-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_dir_all(&backup);
        fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(StagedTree {
            out: out.to_path_buf(),
            staging,
            backup,
            written: BTreeSet::new(),
            current: None,
        })
    }

    /// Starts the file `name` (`/`-separated, relative to the output
    /// directory); [`StagedTree::push`] appends to it until the next start.
    pub fn start(&mut self, name: &str) -> Result<(), Error> {
        self.finish_current()?;
        check_relative(&self.out, name)?;
        if !self.written.insert(name.to_string()) {
            return Err(Error::Generate {
                file: self.out.clone(),
                message: format!("internal: `{}` written twice", name.escape_debug()),
            });
        }
        let path = self.staging.join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        self.current = Some((path, BufWriter::new(file)));
        Ok(())
    }

    pub fn push(&mut self, text: &str) -> Result<(), Error> {
        match &mut self.current {
            Some((path, writer)) => writer
                .write_all(text.as_bytes())
                .map_err(|e| Error::io(&*path, e)),
            None => Err(Error::Generate {
                file: self.out.clone(),
                message: "internal: text written before any file was started".into(),
            }),
        }
    }

    /// A whole file at once.
    pub fn file(&mut self, name: &str, contents: &str) -> Result<(), Error> {
        self.start(name)?;
        self.push(contents)
    }

    /// Puts every staged file in place and removes stale entries (see
    /// [`write_tree`]); returns how many files were written.
    pub fn commit(mut self, is_stale: impl Fn(&Path) -> bool) -> Result<usize, Error> {
        self.finish_current()?;
        swap_into_place(
            &self.out,
            &self.staging,
            &self.backup,
            &self.written,
            &is_stale,
        )?;
        Ok(self.written.len())
    }

    fn finish_current(&mut self) -> Result<(), Error> {
        if let Some((path, mut writer)) = self.current.take() {
            writer.flush().map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

impl Drop for StagedTree {
    fn drop(&mut self) {
        self.current = None;
        let _ = fs::remove_dir_all(&self.staging);
        let _ = fs::remove_dir_all(&self.backup);
    }
}

/// Paths come from schema names in the end: refuse anything that could leave `out`.
fn check_relative(out: &Path, name: &str) -> Result<(), Error> {
    let path = Path::new(name);
    let safe = !name.is_empty()
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if safe {
        Ok(())
    } else {
        Err(Error::Generate {
            file: out.to_path_buf(),
            message: format!(
                "refusing to write `{}`: output paths must stay inside the output directory",
                name.escape_debug()
            ),
        })
    }
}

fn top_level(files: &BTreeSet<String>) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|name| name.split('/').next())
        .map(str::to_string)
        .collect()
}

fn swap_into_place(
    out: &Path,
    staging: &Path,
    backup: &Path,
    files: &BTreeSet<String>,
    is_stale: &impl Fn(&Path) -> bool,
) -> Result<(), Error> {
    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    fs::create_dir_all(backup).map_err(|e| Error::io(backup, e))?;
    let entries = top_level(files);
    let mut moved_aside = Vec::new();
    for entry in &entries {
        let current = out.join(entry);
        if current.exists() {
            let aside = backup.join(entry);
            if let Err(e) = fs::rename(&current, &aside) {
                restore(out, backup, &moved_aside);
                return Err(Error::io(&current, e));
            }
            moved_aside.push(entry.clone());
        }
    }
    for entry in &entries {
        let from = staging.join(entry);
        let to = out.join(entry);
        if let Err(e) = fs::rename(&from, &to) {
            for placed in &entries {
                if placed == entry {
                    break;
                }
                let _ = remove_any(&out.join(placed));
            }
            restore(out, backup, &moved_aside);
            return Err(Error::io(&to, e));
        }
    }
    remove_stale(out, &entries, is_stale)
}

fn restore(out: &Path, backup: &Path, moved_aside: &[String]) {
    for entry in moved_aside {
        let _ = fs::rename(backup.join(entry), out.join(entry));
    }
}

fn remove_stale(
    out: &Path,
    keep: &BTreeSet<String>,
    is_stale: &impl Fn(&Path) -> bool,
) -> Result<(), Error> {
    let listing = fs::read_dir(out).map_err(|e| Error::io(out, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !keep.contains(&name) && is_stale(&path) {
            remove_any(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// Compares `files` with what is on disk under `out`; returns the paths that
/// differ, are missing, or are stale extras (per `is_stale`), sorted.
pub fn differences(out: &Path, files: &FileTree, is_stale: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut differ: BTreeSet<PathBuf> = BTreeSet::new();
    for (name, contents) in files {
        let path = out.join(name);
        match fs::read(&path) {
            Ok(bytes) if bytes == contents.as_bytes() => {}
            _ => {
                differ.insert(path);
            }
        }
    }
    let expected: BTreeSet<PathBuf> = files.keys().map(|name| out.join(name)).collect();
    // Looked up per directory entry, so the walk stays linear in the tree.
    let leading_to_files: BTreeSet<&Path> = expected.iter().flat_map(|p| p.ancestors()).collect();
    let written_dirs: BTreeSet<&Path> = expected
        .iter()
        .filter_map(|p| p.parent())
        .filter(|dir| *dir != out)
        .collect();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(listing) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if leading_to_files.contains(path.as_path()) {
                    stack.push(path);
                }
            } else if !expected.contains(&path)
                && (path.ancestors().any(|a| written_dirs.contains(a)) || is_stale(&path))
            {
                differ.insert(path);
            }
        }
    }
    differ.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> FileTree {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn yaml(path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "yaml")
    }

    #[test]
    fn replaces_files_and_removes_stale_ones_it_owns() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("schema");
        write_tree(&out, &tree(&[("a.yaml", "1"), ("b.yaml", "2")]), yaml).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        write_tree(&out, &tree(&[("a.yaml", "3")]), yaml).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.yaml")).unwrap(), "3");
        assert!(!out.join("b.yaml").exists());
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert!(differences(&out, &tree(&[("a.yaml", "3")]), yaml).is_empty());
    }

    #[test]
    fn refuses_paths_that_leave_the_output_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        for bad in [
            "../x.yaml",
            "/abs.yaml",
            "a/../../b",
            "",
            "nul\0.yaml",
            "a\\b",
        ] {
            let err = write_tree(&out, &tree(&[(bad, "x")]), yaml).unwrap_err();
            assert!(
                err.to_string().contains("inside the output directory"),
                "{bad}: {err}"
            );
        }
        assert!(!dir.path().join("x.yaml").exists());
        assert!(!out.exists());
    }

    #[test]
    fn a_failed_stage_leaves_previous_output_intact() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crate");
        write_tree(&out, &tree(&[("src/lib.rs", "old")]), |_| false).unwrap();
        // A file and a directory of one name cannot both be staged: the write fails.
        let err = write_tree(&out, &tree(&[("src", "x"), ("src/lib.rs", "new")]), |_| {
            false
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(out.join("src/lib.rs")).unwrap(), "old");
    }

    #[test]
    fn differences_name_changed_missing_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crate");
        let files = tree(&[("src/lib.rs", "a"), ("src/x.rs", "b"), ("Cargo.toml", "c")]);
        write_tree(&out, &files, |_| false).unwrap();
        fs::write(out.join("src/x.rs"), "edited").unwrap();
        fs::write(out.join("src/extra.rs"), "").unwrap();
        fs::remove_file(out.join("Cargo.toml")).unwrap();
        let differ = differences(&out, &files, |_| false);
        let names: Vec<_> = differ
            .iter()
            .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["Cargo.toml", "src/extra.rs", "src/x.rs"]);
    }
}
