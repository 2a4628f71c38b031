//! Putting staged files in place so that a run killed at any moment loses
//! nothing: the swap is journalled in the staging directory, and the next run
//! into the directory finishes or undoes it before doing anything else.
//!
//! A staging directory inside the output directory holds:
//!
//! - `lock`: locked by its run while the run is alive;
//! - `files/`: the new files, written before anything in the output changes;
//! - `journal`: the files to put in place and the directories to create;
//! - `manifest`: the new manifest;
//! - `swapping`: present once the output may differ from the previous one;
//! - `aside/`: each replaced or stale file, moved here rather than deleted.
//!
//! Moving `manifest` over the output's manifest is the commit point. A dead
//! run's staging directory without `swapping` is simply removed (the output
//! was never touched); with `swapping` and its `manifest` still there, the
//! swap is rolled back from `aside/` and the previous output is restored
//! byte for byte; with `manifest` gone, the new output is complete and only
//! the clean-up is left. Each step is a rename within one file system, and
//! rolling back twice is the same as once, so a run killed while recovering
//! is recovered by the next.

use super::is_inside;
use super::lock::Lock;
use super::manifest::{Manifest, FILE_NAME};
use super::unchanged::Seen;
use crate::error::Error;
use crate::fault;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Every staging directory's name starts with this.
pub const STAGING_PREFIX: &str = ".ucwa-codegen-staging-";

const LOCK: &str = "lock";
const FILES: &str = "files";
const JOURNAL: &str = "journal";
const MANIFEST: &str = "manifest";
const SWAPPING: &str = "swapping";
const ASIDE: &str = "aside";

/// What a rollback needs that the staging directory does not show.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// Every file of the new output, relative to the output directory.
    planned: Vec<String>,
    /// Directories the swap creates, parents first.
    created: Vec<String>,
}

/// This run's staging directory, locked for as long as the run is alive.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    _alive: Lock,
}

impl Staging {
    /// A new staging directory in `out`; call with the directory lock held,
    /// so that no recovery mistakes it for a dead run's before it is locked.
    pub fn create(out: &Path) -> Result<Staging, Error> {
        let mut attempt = 0;
        let dir = loop {
            let dir = out.join(format!("{STAGING_PREFIX}{}-{attempt}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => {
                    attempt += 1;
                }
                Err(e) => return Err(Error::io(&dir, e)),
            }
        };
        let alive = Lock::create(&dir.join(LOCK)).map_err(|e| Error::io(&dir, e));
        let files = alive.and_then(|alive| {
            fs::create_dir(dir.join(FILES)).map_err(|e| Error::io(&dir, e))?;
            Ok(alive)
        });
        match files {
            Ok(alive) => Ok(Staging { dir, _alive: alive }),
            Err(error) => {
                let _ = fs::remove_dir_all(&dir);
                Err(error)
            }
        }
    }

    /// Where the new file `name` is staged.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(FILES).join(name)
    }

    /// Removes the staging directory unless a swap in it was interrupted
    /// and could not be undone: then the next run needs its journal.
    pub fn discard(&self) {
        if !self.dir.join(SWAPPING).exists() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// What a swap changes in the output directory.
#[derive(Debug, Clone, Copy)]
pub struct Moves<'a> {
    /// The staged files.
    pub planned: &'a BTreeSet<String>,
    /// Staged files that equal the file at their target as it was seen:
    /// left as they are if it still looks so.
    pub unchanged: &'a BTreeMap<String, Seen>,
    /// The files of the previous run; those the new manifest does not list go.
    pub previous: &'a BTreeSet<String>,
}

/// Puts the staged files in place and sets aside the previous ones that
/// `manifest` no longer lists; call with the directory lock held, after
/// every conflict was refused. On an error the previous output is restored
/// before returning.
pub fn swap(
    out: &Path,
    staging: &Staging,
    manifest: &Manifest,
    moves: Moves<'_>,
) -> Result<(), Error> {
    let dir = &staging.dir;
    let journal = Journal {
        planned: moves.planned.iter().cloned().collect(),
        created: directories_to_create(out, moves.planned),
    };
    let journal_text = serde_yaml::to_string(&journal).expect("a journal always serialises");
    write_new(&dir.join(JOURNAL), &journal_text)?;
    write_new(&dir.join(MANIFEST), &manifest.render())?;
    write_new(&dir.join(SWAPPING), "")?;
    fault::point("swapping").map_err(|e| Error::io(dir, e))?;
    if let Err(error) = move_into_place(out, dir, &journal, manifest, moves) {
        return Err(match roll_back(out, dir) {
            Ok(()) => error,
            Err(undo) => Error::Refused {
                file: out.to_path_buf(),
                message: format!(
                    "writing failed ({error}) and undoing it failed too ({undo}); the next \
                     ucwa-codegen run into this directory restores the previous output"
                ),
            },
        });
    }
    // Past the commit point nothing is undone: a kill here leaves the
    // clean-up to the next run, and a failed clean-up is retried by it.
    let _ = fault::point("committed");
    let _ = clean_up(out, dir);
    Ok(())
}

fn move_into_place(
    out: &Path,
    dir: &Path,
    journal: &Journal,
    manifest: &Manifest,
    moves: Moves<'_>,
) -> Result<(), Error> {
    for created in &journal.created {
        let path = out.join(created);
        fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
    }
    for name in &journal.planned {
        let staged = dir.join(FILES).join(name);
        let target = out.join(name);
        if moves
            .unchanged
            .get(name)
            .is_some_and(|seen| seen.still(&target))
        {
            // Left as it is, so its modification time does not make cargo rebuild.
            continue;
        }
        if exists(&target) {
            set_aside(out, dir, name)?;
        }
        fs::rename(&staged, &target)
            .and_then(|()| fault::point("moved"))
            .map_err(|e| Error::io(&target, e))?;
    }
    for stale in moves.previous.difference(&manifest.files) {
        let target = out.join(stale);
        let is_file = fs::symlink_metadata(&target).is_ok_and(|m| !m.is_dir());
        // A stale path under a directory the user replaced by a link is
        // left alone: removing it would remove a file outside the output.
        if is_file && !through_link(out, stale) {
            set_aside(out, dir, stale)?;
        }
    }
    let target = out.join(FILE_NAME);
    fs::rename(dir.join(MANIFEST), &target).map_err(|e| Error::io(&target, e))
}

fn set_aside(out: &Path, dir: &Path, name: &str) -> Result<(), Error> {
    let aside = dir.join(ASIDE).join(name);
    if let Some(parent) = aside.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let target = out.join(name);
    fs::rename(&target, &aside)
        .and_then(|()| fault::point("set-aside"))
        .map_err(|e| Error::io(&target, e))
}

/// Finishes or undoes what dead runs left in `out`; call with the directory
/// lock held. Staging directories of live runs are left to them.
pub fn recover(out: &Path) -> Result<(), Error> {
    let listing = match fs::read_dir(out) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(out, e)),
    };
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let dir = entry.path();
        let is_staging = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_staging || Lock::is_held(&dir.join(LOCK)) {
            continue;
        }
        let recovered = if !dir.join(SWAPPING).exists() {
            fs::remove_dir_all(&dir)
        } else if dir.join(MANIFEST).exists() {
            roll_back(out, &dir)
        } else {
            clean_up(out, &dir)
        };
        recovered.map_err(|e| Error::Refused {
            file: dir.clone(),
            message: format!(
                "an interrupted ucwa-codegen run left this, and finishing it failed ({e}): \
                 fix the cause and run again"
            ),
        })?;
    }
    Ok(())
}

/// Whether `out` holds any staging directory, live or dead.
pub fn has_staging(out: &Path) -> bool {
    fs::read_dir(out).is_ok_and(|listing| {
        listing.flatten().any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(STAGING_PREFIX)
        })
    })
}

/// Restores the previous output: files moved in go back to the staging
/// directory, files set aside come back, created directories go.
fn roll_back(out: &Path, dir: &Path) -> io::Result<()> {
    let mut journal: Journal = fs::read_to_string(dir.join(JOURNAL))
        .ok()
        .and_then(|text| serde_yaml::from_str(&text).ok())
        .unwrap_or_default();
    // Whatever wrote the journal, it only ever names paths inside `out`.
    journal.planned.retain(|name| is_inside(name));
    journal.created.retain(|name| is_inside(name));
    for name in &journal.planned {
        let staged = dir.join(FILES).join(name);
        let target = out.join(name);
        if !exists(&staged) && exists(&target) && !through_link(out, name) {
            if let Some(parent) = staged.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&target, &staged)?;
            fault::point("restored")?;
        }
    }
    for name in files_under(&dir.join(ASIDE))? {
        let target = out.join(&name);
        if !exists(&target) {
            fs::rename(dir.join(ASIDE).join(&name), &target)?;
            fault::point("restored")?;
        }
    }
    for created in journal.created.iter().rev() {
        let _ = fs::remove_dir(out.join(created));
    }
    fs::remove_dir_all(dir)
}

/// After the commit point: removes directories left empty by stale files,
/// then the staging directory with the old files in it.
fn clean_up(out: &Path, dir: &Path) -> io::Result<()> {
    for name in files_under(&dir.join(ASIDE))? {
        for parent in name.ancestors().skip(1) {
            if parent.as_os_str().is_empty() || fs::remove_dir(out.join(parent)).is_err() {
                break;
            }
        }
    }
    fs::remove_dir_all(dir)
}

/// The ancestors of the planned files that do not exist yet, parents first.
fn directories_to_create(out: &Path, planned: &BTreeSet<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut missing = BTreeSet::new();
    for name in planned {
        for (index, _) in name.match_indices('/') {
            let parent = &name[..index];
            if seen.insert(parent) && !exists(&out.join(parent)) {
                missing.insert(parent.to_string());
            }
        }
    }
    // In byte order a parent sorts before everything inside it.
    missing.into_iter().collect()
}

/// Whether some directory between `out` and `name` is a symbolic link (or
/// not a directory at all).
pub fn through_link(out: &Path, name: &str) -> bool {
    name.match_indices('/')
        .any(|(index, _)| fs::symlink_metadata(out.join(&name[..index])).is_ok_and(|m| !m.is_dir()))
}

/// Every file (or link) under `root`, relative to it; none when it is missing.
fn files_under(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let listing = match fs::read_dir(root.join(&relative)) {
            Ok(listing) => listing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in listing {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// `lstat` succeeds: a link counts as present even when it dangles.
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Writes a file of the journal completely before its name appears, so a
/// kill never leaves half of one.
fn write_new(path: &Path, text: &str) -> Result<(), Error> {
    let partial = path.with_extension("partial");
    fs::write(&partial, text)
        .and_then(|()| fs::rename(&partial, path))
        .map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dead run's staging directory, in the state a swap leaves it in.
    fn dead_staging(out: &Path, journal: &str, manifest: bool) -> PathBuf {
        let dir = out.join(format!("{STAGING_PREFIX}999999-0"));
        fs::create_dir_all(dir.join(FILES)).unwrap();
        fs::write(dir.join(JOURNAL), journal).unwrap();
        fs::write(dir.join(SWAPPING), "").unwrap();
        if manifest {
            fs::write(dir.join(MANIFEST), "contents: crate\nfiles: []\n").unwrap();
        }
        dir
    }

    #[test]
    fn a_forged_journal_cannot_reach_outside_the_output() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(root.path().join("victim"), "kept").unwrap();
        fs::create_dir(root.path().join("empty")).unwrap();
        let staging = dead_staging(
            &out,
            "planned:\n- ../victim\n- /etc/hostname\ncreated:\n- ../empty\n",
            true,
        );
        recover(&out).unwrap();
        assert_eq!(
            fs::read_to_string(root.path().join("victim")).unwrap(),
            "kept"
        );
        assert!(root.path().join("empty").is_dir());
        assert!(!staging.exists());
    }

    #[test]
    fn recovery_sets_back_what_a_dead_swap_moved() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir_all(out.join("src")).unwrap();
        // The dead run had moved its new lib.rs in and the old one aside,
        // created src/new/ and set aside a stale file; its manifest was not
        // yet in place.
        let staging = dead_staging(
            &out,
            "planned:\n- src/lib.rs\n- src/new/x.rs\ncreated:\n- src/new\n",
            true,
        );
        fs::write(out.join("src/lib.rs"), "new").unwrap();
        fs::create_dir_all(staging.join(ASIDE).join("src")).unwrap();
        fs::write(staging.join(ASIDE).join("src/lib.rs"), "old").unwrap();
        fs::write(staging.join(ASIDE).join("src/stale.rs"), "stale").unwrap();
        fs::create_dir_all(out.join("src/new")).unwrap();
        fs::create_dir_all(staging.join(FILES).join("src/new")).unwrap();
        fs::write(staging.join(FILES).join("src/new/x.rs"), "x").unwrap();
        recover(&out).unwrap();
        assert_eq!(fs::read_to_string(out.join("src/lib.rs")).unwrap(), "old");
        assert_eq!(
            fs::read_to_string(out.join("src/stale.rs")).unwrap(),
            "stale"
        );
        assert!(!out.join("src/new").exists());
        assert!(!staging.exists());
        // Recovering again changes nothing.
        recover(&out).unwrap();
        assert_eq!(fs::read_to_string(out.join("src/lib.rs")).unwrap(), "old");
    }
}
