//! Writing a tree of generated files into a directory without ever losing a
//! file ucwa-codegen did not write, or leaving a half-written output.
//!
//! Ownership is recorded in a manifest (see [`manifest`]) that each run
//! writes into its output directory: a rerun replaces and deletes only the
//! files it lists. A directory that is not empty and has no manifest is
//! refused, and so is any file a run would write that exists and is not
//! listed, unless the caller forces it (which replaces such files but still
//! deletes nothing it did not write).
//!
//! Every file is first written into a staging directory inside the output
//! directory (one file system, so moving it is a rename); only when all are
//! on disk is the directory locked and the swap made, journalled so that a
//! run killed at any moment is finished or undone by the next (see
//! [`journal`]). Two runs at once each stage on their own and swap one after
//! the other, so the result is one run's complete output.

pub mod journal;
pub mod lock;
pub mod manifest;
pub mod unchanged;

use crate::error::Error;
use crate::fault;
use journal::Staging;
use lock::Lock;
pub use manifest::{Contents, Manifest};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use unchanged::{Comparison, Seen};

/// Files to write, keyed by `/`-separated path relative to the output directory.
pub type FileTree = BTreeMap<String, String>;

/// Every name ucwa-codegen keeps for itself in an output directory (the
/// manifest, the lock, staging directories) starts with this; no output file may.
pub const RESERVED_PREFIX: &str = ".ucwa-codegen";

const LOCK_FILE: &str = ".ucwa-codegen.lock";

/// Where a run writes, what it writes there, and whether it may replace
/// files it did not write.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub dir: &'a Path,
    pub contents: Contents,
    /// Replace existing files of the same names even when they are not ours,
    /// and write into a directory that is not empty. Never deletes them.
    pub force: bool,
}

/// Writes `files` into the target directory and removes the files an
/// earlier run wrote there that `files` no longer has; returns the file count.
pub fn write_tree(target: Target<'_>, files: &FileTree) -> Result<usize, Error> {
    for name in files.keys() {
        check_relative(target.dir, name)?;
    }
    let mut staged = StagedTree::begin(target)?;
    for (name, contents) in files {
        staged.file(name, contents)?;
    }
    staged.commit()
}

/// A tree of files written into the staging directory one by one, as they
/// are produced, so that no more than one file's text need be in memory;
/// [`StagedTree::commit`] puts them all in place. Dropped without a commit,
/// it removes the staging directory and the output stays as it was.
pub struct StagedTree {
    out: PathBuf,
    contents: Contents,
    force: bool,
    staging: Option<Staging>,
    written: BTreeSet<String>,
    /// Staged files found to hold exactly what their target holds.
    unchanged: BTreeMap<String, Seen>,
    current: Option<Current>,
    /// Directories made for `out` itself, outermost first, removed again if
    /// nothing is committed.
    created: Vec<PathBuf>,
}

impl StagedTree {
    /// Refuses a directory ucwa-codegen does not own before anything is
    /// written, then makes a staging directory in it.
    pub fn begin(target: Target<'_>) -> Result<StagedTree, Error> {
        let out = target.dir;
        // The common mistake (an existing crate, `.`, a home directory) is
        // refused before even the lock file is made. An interrupted run's
        // leftovers are recovered first, under the lock, and checked then.
        if fs::symlink_metadata(out).is_ok() && !journal::has_staging(out) {
            owned_files(target)?;
        }
        let created = create_dir_all_tracked(out)?;
        let staging = (|| {
            let _lock = lock(out)?;
            journal::recover(out)?;
            owned_files(target)?;
            Staging::create(out)
        })();
        match staging {
            Ok(staging) => Ok(StagedTree {
                out: out.to_path_buf(),
                contents: target.contents,
                force: target.force,
                staging: Some(staging),
                written: BTreeSet::new(),
                unchanged: BTreeMap::new(),
                current: None,
                created,
            }),
            Err(error) => {
                remove_created(&created);
                Err(error)
            }
        }
    }

    /// Starts the file `name` (`/`-separated, relative to the output
    /// directory); [`StagedTree::push`] appends to it until the next start.
    pub fn start(&mut self, name: &str) -> Result<(), Error> {
        self.finish_current()?;
        check_relative(&self.out, name)?;
        if !self.written.insert(name.to_string()) {
            return Err(Error::Generate {
                file: self.out.join(name),
                message: "internal: written twice".into(),
            });
        }
        let path = self.staging()?.file(name);
        let target = self.out.join(name);
        let file = (|| {
            fault::point("write")?;
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            File::create(&path)
        })()
        .map_err(|e| Error::io(&target, e))?;
        self.current = Some(Current {
            name: name.to_string(),
            comparison: Comparison::open(&target),
            target,
            writer: BufWriter::new(file),
        });
        Ok(())
    }

    pub fn push(&mut self, text: &str) -> Result<(), Error> {
        match &mut self.current {
            Some(current) => {
                if let Some(comparison) = &mut current.comparison {
                    comparison.next(text.as_bytes());
                }
                current
                    .writer
                    .write_all(text.as_bytes())
                    .map_err(|e| Error::io(&current.target, e))
            }
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

    /// Puts every staged file in place and removes the files of the previous
    /// run that were not written again; returns how many files were written.
    pub fn commit(self) -> Result<usize, Error> {
        self.swap(false)
    }

    /// [`StagedTree::commit`], but files of the previous run that were not
    /// written again are kept, and still owned (an extraction where some
    /// pages failed keeps their earlier schema files).
    pub fn commit_keeping_previous(self) -> Result<usize, Error> {
        self.swap(true)
    }

    fn swap(mut self, keep_previous: bool) -> Result<usize, Error> {
        self.finish_current()?;
        let target = Target {
            dir: &self.out,
            contents: self.contents,
            force: self.force,
        };
        let staging = self.staging()?;
        let _lock = lock(&self.out)?;
        fault::point("locked").map_err(|e| Error::io(self.out.join(LOCK_FILE), e))?;
        journal::recover(&self.out)?;
        let owned = owned_files(target)?;
        refuse_conflicts(target, &self.written, &self.unchanged, &owned)?;
        let mut files = self.written.clone();
        if keep_previous || self.contents == Contents::Files {
            files.extend(owned.iter().cloned());
        }
        let manifest = Manifest {
            contents: self.contents,
            files,
        };
        let moves = journal::Moves {
            planned: &self.written,
            unchanged: &self.unchanged,
            previous: &owned,
        };
        journal::swap(&self.out, staging, &manifest, moves)?;
        self.created.clear();
        Ok(self.written.len())
    }

    fn staging(&self) -> Result<&Staging, Error> {
        self.staging.as_ref().ok_or_else(|| Error::Generate {
            file: self.out.clone(),
            message: "internal: no staging directory".into(),
        })
    }

    fn finish_current(&mut self) -> Result<(), Error> {
        if let Some(mut current) = self.current.take() {
            current
                .writer
                .flush()
                .map_err(|e| Error::io(&current.target, e))?;
            if let Some(seen) = current.comparison.and_then(Comparison::finish) {
                self.unchanged.insert(current.name, seen);
            }
        }
        Ok(())
    }
}

/// The file being staged.
struct Current {
    name: String,
    /// Where it goes, for messages.
    target: PathBuf,
    writer: BufWriter<File>,
    /// The file already there, compared as the text is written.
    comparison: Option<Comparison>,
}

impl Drop for StagedTree {
    fn drop(&mut self) {
        self.current = None;
        if let Some(staging) = self.staging.take() {
            staging.discard();
        }
        remove_created(&self.created);
    }
}

fn lock(out: &Path) -> Result<Lock, Error> {
    Lock::wait(&out.join(LOCK_FILE), &format!("`{}`", out.display()))
}

/// The files ucwa-codegen owns in the target directory, or a refusal when
/// it owns no directory there that it may write into.
fn owned_files(target: Target<'_>) -> Result<BTreeSet<String>, Error> {
    let out = target.dir;
    let refuse = |message: String| Error::Refused {
        file: out.to_path_buf(),
        message,
    };
    let is_dir = fs::metadata(out).map_err(|e| Error::io(out, e))?.is_dir();
    if !is_dir {
        return Err(refuse(
            "is not a directory: name a new directory to write into".into(),
        ));
    }
    let hint = target.contents.force_hint();
    match Manifest::read(out)? {
        Some(manifest) if manifest.contents == target.contents => Ok(manifest.files),
        Some(_) | None if target.force => Ok(BTreeSet::new()),
        Some(manifest) => Err(refuse(format!(
            "holds {}, not {}: choose another directory, or pass {hint} to write here anyway",
            manifest.contents.describe(),
            target.contents.describe(),
        ))),
        None if target.contents == Contents::Files || is_empty(out)? => Ok(BTreeSet::new()),
        None => Err(refuse(format!(
            "is not empty and was not written by ucwa-codegen (it has no `{}`): \
             choose a new or empty directory, or pass {hint} to write into it \
             (files of the same names are replaced; nothing else is touched)",
            manifest::FILE_NAME
        ))),
    }
}

/// Empty but for what ucwa-codegen keeps there for itself.
fn is_empty(dir: &Path) -> Result<bool, Error> {
    let listing = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(RESERVED_PREFIX)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every staged file that would replace something not ours, or be written
/// through a link or over a directory: all refused at once, before anything
/// in the output changes.
fn refuse_conflicts(
    target: Target<'_>,
    written: &BTreeSet<String>,
    unchanged: &BTreeMap<String, Seen>,
    owned: &BTreeSet<String>,
) -> Result<(), Error> {
    let out = target.dir;
    let hint = target.contents.force_hint();
    let mut refused: BTreeMap<PathBuf, String> = BTreeMap::new();
    // Directories found to be plain directories (or missing), checked once.
    let mut passable: BTreeSet<&str> = BTreeSet::new();
    for name in written {
        let path = out.join(name);
        let mut blocked = false;
        for (index, _) in name.match_indices('/') {
            if passable.contains(&name[..index]) {
                continue;
            }
            let parent = out.join(&name[..index]);
            let message = match fs::symlink_metadata(&parent) {
                Ok(meta) if meta.is_symlink() => format!(
                    "is a symbolic link, and ucwa-codegen never writes through a link inside \
                     its output directory (it would write `{name}` outside it): remove the \
                     link, or choose a new directory"
                ),
                Ok(meta) if !meta.is_dir() => format!(
                    "is not a directory, and ucwa-codegen would write `{name}` inside it: move \
                     it away, or choose a new directory"
                ),
                _ => {
                    passable.insert(&name[..index]);
                    continue;
                }
            };
            refused.entry(parent).or_insert(message);
            blocked = true;
            break;
        }
        if blocked {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let message = if meta.is_dir() {
            "is a directory where ucwa-codegen would write a file: move it away, or choose a \
             new directory"
                .to_string()
        } else if owned.contains(name)
            || target.force
            || unchanged.get(name).is_some_and(|seen| seen.still(&path))
            || (target.contents == Contents::Files && written_before_manifests(&path))
        {
            continue;
        } else {
            format!(
                "exists and was not written by ucwa-codegen: choose a new directory, or pass \
                 {hint} to replace it"
            )
        };
        refused.insert(path, message);
    }
    let errors: Vec<Error> = refused
        .into_iter()
        .map(|(file, message)| Error::Refused { file, message })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::several(errors))
    }
}

/// A build script's file from a ucwa-codegen that kept no manifest yet: it
/// starts with the header every emitted file has. Only the
/// builder's files are taken over this way: `OUT_DIR` belongs to the build
/// script, so an upgrade must not make a user's build fail there.
fn written_before_manifests(path: &Path) -> bool {
    const HEADER: &[u8] = b"// @generated by ucwa-codegen from ";
    let mut start = [0u8; HEADER.len()];
    File::open(path)
        .and_then(|mut file| io::Read::read_exact(&mut file, &mut start))
        .is_ok_and(|()| start == HEADER)
}

/// `fs::create_dir_all`, returning the directories it made, outermost first
/// (not one another run made at the same moment).
fn create_dir_all_tracked(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing: Vec<&Path> = dir
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .take_while(|a| fs::symlink_metadata(a).is_err())
        .collect();
    missing.reverse();
    let mut created = Vec::new();
    for path in missing {
        match fs::create_dir(path) {
            Ok(()) => created.push(path.to_path_buf()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                remove_created(&created);
                return Err(Error::io(path, e));
            }
        }
    }
    Ok(created)
}

fn remove_created(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        if fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// Whether `name` is a `/`-separated path that stays inside the directory
/// it is joined to and takes no name ucwa-codegen keeps for itself.
fn is_inside(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && !name.starts_with(RESERVED_PREFIX)
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Paths come from schema names in the end: refuse anything that could
/// leave `out`, or take a name ucwa-codegen keeps for itself.
fn check_relative(out: &Path, name: &str) -> Result<(), Error> {
    if is_inside(name) {
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

/// Compares `files` with what is on disk under `out`; returns the paths that
/// differ, are missing, or are stale extras, sorted. Extras are files in a
/// directory `files` writes to, files `is_stale` claims, files the manifest
/// lists that `files` no longer has, and an interrupted run's staging
/// directory. The manifest itself is compared like any file.
pub fn differences(
    out: &Path,
    files: &FileTree,
    contents: Contents,
    is_stale: impl Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    let mut differ: BTreeSet<PathBuf> = BTreeSet::new();
    let manifest = Manifest {
        contents,
        files: files.keys().cloned().collect(),
    };
    let expected_manifest = manifest.render();
    let all = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .chain([(manifest::FILE_NAME, expected_manifest.as_str())]);
    for (name, contents) in all {
        let path = out.join(name);
        match fs::read(&path) {
            Ok(bytes) if bytes == contents.as_bytes() => {}
            _ => {
                differ.insert(path);
            }
        }
    }
    if let Ok(Some(on_disk)) = Manifest::read(out) {
        for name in on_disk.files.difference(&manifest.files) {
            let path = out.join(name);
            if fs::symlink_metadata(&path).is_ok() {
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
            let interrupted = dir == out
                && entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(journal::STAGING_PREFIX);
            if interrupted {
                differ.insert(path);
            } else if path.is_dir() {
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

    fn target(dir: &Path, contents: Contents) -> Target<'_> {
        Target {
            dir,
            contents,
            force: false,
        }
    }

    fn read(path: impl AsRef<Path>) -> String {
        fs::read_to_string(path).unwrap()
    }

    /// Every entry under `dir`, relative, with the contents of files.
    fn listing(dir: &Path) -> BTreeMap<PathBuf, Option<String>> {
        let mut found = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(next) = pending.pop() {
            for entry in fs::read_dir(&next).unwrap().flatten() {
                let path = entry.path();
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                if entry.file_type().unwrap().is_dir() {
                    pending.push(path);
                    found.insert(relative, None);
                } else {
                    found.insert(relative, Some(read(&path)));
                }
            }
        }
        found
    }

    #[test]
    fn replaces_files_and_removes_stale_ones_it_owns() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("schema");
        let schema = target(&out, Contents::Schema);
        write_tree(schema, &tree(&[("a.yaml", "1"), ("b.yaml", "2")])).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        fs::write(out.join("mine.yaml"), "mine").unwrap();
        write_tree(schema, &tree(&[("a.yaml", "3")])).unwrap();
        assert_eq!(read(out.join("a.yaml")), "3");
        assert!(!out.join("b.yaml").exists());
        assert_eq!(read(out.join("notes.txt")), "mine");
        assert_eq!(
            read(out.join("mine.yaml")),
            "mine",
            "not ours, so never deleted"
        );
        let files = tree(&[("a.yaml", "3")]);
        assert_eq!(
            differences(&out, &files, Contents::Schema, |_| false),
            Vec::<PathBuf>::new()
        );
        assert_eq!(
            differences(&out, &files, Contents::Schema, yaml),
            [out.join("mine.yaml")],
            "check still names a stray schema file"
        );
        let names: Vec<_> = listing(&out).into_keys().collect();
        assert_eq!(
            names,
            [manifest::FILE_NAME, "a.yaml", "mine.yaml", "notes.txt"].map(PathBuf::from),
            "no lock or staging directory is left behind"
        );
    }

    #[test]
    fn refuses_a_directory_it_did_not_write_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("my-crate");
        fs::create_dir_all(out.join("src")).unwrap();
        fs::write(out.join("Cargo.toml"), "[package]").unwrap();
        fs::write(out.join("src/lib.rs"), "mine").unwrap();
        let before = listing(&out);
        let files = tree(&[("Cargo.toml", "generated"), ("src/x.rs", "generated")]);
        let error = write_tree(target(&out, Contents::Crate), &files).unwrap_err();
        assert!(matches!(error, Error::Refused { .. }), "{error:?}");
        assert_eq!(error.file(), out);
        let said = error.to_string();
        assert!(
            said.contains("not written by ucwa-codegen") && said.contains("--force"),
            "{said}"
        );
        assert_eq!(listing(&out), before);

        // Forced, it replaces what it writes and deletes nothing.
        let forced = Target {
            force: true,
            ..target(&out, Contents::Crate)
        };
        write_tree(forced, &files).unwrap();
        assert_eq!(read(out.join("Cargo.toml")), "generated");
        assert_eq!(read(out.join("src/lib.rs")), "mine");
        write_tree(target(&out, Contents::Crate), &tree(&[("src/x.rs", "2")])).unwrap();
        assert!(!out.join("Cargo.toml").exists(), "owned once written");
        assert_eq!(read(out.join("src/lib.rs")), "mine");
    }

    #[test]
    fn refuses_a_new_file_that_exists_unless_it_already_holds_those_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crate");
        let crate_dir = target(&out, Contents::Crate);
        write_tree(crate_dir, &tree(&[("src/lib.rs", "1")])).unwrap();
        fs::write(out.join("src/util.rs"), "mine").unwrap();
        fs::write(out.join("src/same.rs"), "same").unwrap();
        let before = listing(&out);
        let next = tree(&[
            ("src/lib.rs", "2"),
            ("src/util.rs", "x"),
            ("src/same.rs", "same"),
        ]);
        let error = write_tree(crate_dir, &next).unwrap_err();
        assert_eq!(error.file(), out.join("src/util.rs"), "{error}");
        assert!(error.to_string().contains("--force"), "{error}");
        assert_eq!(listing(&out), before, "nothing written when refusing");

        write_tree(
            crate_dir,
            &tree(&[("src/lib.rs", "2"), ("src/same.rs", "same")]),
        )
        .unwrap();
        assert_eq!(read(out.join("src/lib.rs")), "2");
        write_tree(crate_dir, &tree(&[("src/lib.rs", "2")])).unwrap();
        assert!(
            !out.join("src/same.rs").exists(),
            "identical bytes were taken over"
        );
        assert_eq!(read(out.join("src/util.rs")), "mine");
    }

    #[test]
    fn one_kind_of_output_never_takes_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        write_tree(target(&out, Contents::Crate), &tree(&[("src/lib.rs", "1")])).unwrap();
        let error =
            write_tree(target(&out, Contents::Schema), &tree(&[("a.yaml", "1")])).unwrap_err();
        assert!(error.to_string().contains("holds a crate"), "{error}");
        assert!(!out.join("a.yaml").exists());
    }

    #[test]
    fn files_in_a_shared_directory_are_added_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("theirs.rs"), "build script output").unwrap();
        let shared = target(&out, Contents::Files);
        write_tree(shared, &tree(&[("a.rs", "1")])).unwrap();
        write_tree(shared, &tree(&[("b.rs", "2")])).unwrap();
        write_tree(shared, &tree(&[("a.rs", "3")])).unwrap();
        assert_eq!(read(out.join("a.rs")), "3");
        assert_eq!(read(out.join("b.rs")), "2");
        assert_eq!(read(out.join("theirs.rs")), "build script output");
        let error = write_tree(shared, &tree(&[("theirs.rs", "x")])).unwrap_err();
        assert!(
            error.to_string().contains("Builder::force(true)"),
            "{error}"
        );
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
            ".ucwa-codegen.lock",
        ] {
            let err = write_tree(target(&out, Contents::Schema), &tree(&[(bad, "x")])).unwrap_err();
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
        let crate_dir = target(&out, Contents::Crate);
        write_tree(crate_dir, &tree(&[("src/lib.rs", "old")])).unwrap();
        let before = listing(&out);
        // A file and a directory of one name cannot both be staged: the write fails.
        let err = write_tree(crate_dir, &tree(&[("src", "x"), ("src/lib.rs", "new")]));
        assert!(err.is_err());
        assert_eq!(listing(&out), before);
    }

    #[test]
    fn differences_name_changed_missing_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crate");
        let files = tree(&[("src/lib.rs", "a"), ("src/x.rs", "b"), ("Cargo.toml", "c")]);
        write_tree(target(&out, Contents::Crate), &files).unwrap();
        fs::write(out.join("src/x.rs"), "edited").unwrap();
        fs::write(out.join("src/extra.rs"), "").unwrap();
        fs::remove_file(out.join("Cargo.toml")).unwrap();
        fs::create_dir(out.join(".ucwa-codegen-staging-1-0")).unwrap();
        let mut fewer = files.clone();
        fewer.remove("src/lib.rs");
        let differ = differences(&out, &fewer, Contents::Crate, |_| false);
        let names: Vec<_> = differ
            .iter()
            .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                ".ucwa-codegen-manifest",
                ".ucwa-codegen-staging-1-0",
                "Cargo.toml",
                "src/extra.rs",
                "src/lib.rs",
                "src/x.rs"
            ]
        );
    }
}
