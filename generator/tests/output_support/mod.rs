//! Shared by the tests of what the generator may touch: the real binary,
//! two schemas whose crates differ (one file changed, one gone), and exact
//! snapshots of directory trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_ucwa-codegen");
pub const MANIFEST: &str = ".ucwa-codegen-manifest";

/// One entry of a tree, without following links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

/// Every entry under `root`, relative to it, with file bytes and link targets.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing {
            let path = entry.expect("entry").path();
            let relative = path.strip_prefix(root).expect("inside").to_path_buf();
            let meta = fs::symlink_metadata(&path).expect("lstat");
            let item = if meta.is_symlink() {
                Entry::Link(fs::read_link(&path).expect("link"))
            } else if meta.is_dir() {
                pending.push(path);
                Entry::Dir
            } else {
                Entry::File(fs::read(&path).expect("readable"))
            };
            found.insert(relative, item);
        }
    }
    found
}

/// The names in a snapshot that differ between two, for assertion messages.
pub fn changed(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[track_caller]
pub fn assert_same_tree(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) {
    assert_tree(before, after, "");
}

/// `actual` is `expected` exactly; else the names that differ, after `context`.
#[track_caller]
pub fn assert_tree(
    expected: &BTreeMap<PathBuf, Entry>,
    actual: &BTreeMap<PathBuf, Entry>,
    context: &str,
) {
    assert!(
        expected == actual,
        "{context} changed: {:?}",
        changed(expected, actual)
    );
}

pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `dir/a`: this repository's four seed documents.
pub fn schema_a(dir: &Path) -> PathBuf {
    let schema = dir.join("a");
    fs::create_dir_all(&schema).unwrap();
    // Four documents of the committed schema (the resources of the seed
    // pages): enough for a crate of several modules, small enough to
    // generate many times per test.
    for name in [
        "audioVideo.yaml",
        "audioVideoNegotiation.yaml",
        "audioVideoSession.yaml",
        "audioVideoSessions.yaml",
    ] {
        fs::copy(repository().join("schema").join(name), schema.join(name)).unwrap();
    }
    schema
}

/// `dir/b`: schema A with one document gone and one description changed,
/// so its crate replaces some files, keeps others and drops one module.
pub fn schema_b(dir: &Path) -> PathBuf {
    let schema = dir.join("b");
    fs::create_dir_all(&schema).unwrap();
    for entry in fs::read_dir(schema_a(dir)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        match name.as_str() {
            "audioVideoNegotiation.yaml" => {}
            "audioVideoSessions.yaml" => fs::write(
                schema.join(&name),
                text.replacen("description: Represents", "description: Stands for", 1),
            )
            .unwrap(),
            _ => fs::write(schema.join(&name), text).unwrap(),
        }
    }
    schema
}

pub fn command(args: &[&Path]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).env_remove("UCWA_CODEGEN_FAULT");
    command
}

/// `generate --schema SCHEMA --out OUT` plus `extra`.
pub fn generate(schema: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut command = command(&[
        Path::new("generate"),
        Path::new("--schema"),
        schema,
        Path::new("--out"),
        out,
    ]);
    command.args(extra);
    command
}

pub fn run(mut command: Command) -> Output {
    command.output().expect("the binary runs")
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[track_caller]
pub fn assert_ok(output: &Output) {
    assert!(output.status.success(), "{}", text(output));
}

/// Exit status 1 and one line per error, each naming one of `names`.
#[track_caller]
pub fn assert_refused(output: &Output, names: &[&Path], what: &str) {
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{}", text(output));
    for name in names {
        assert!(
            said.contains(&format!("error: {}: ", name.display())),
            "{} not named in: {said}",
            name.display()
        );
    }
    assert!(said.contains(what), "`{what}` not in: {said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// A tree as `generate` alone writes it for `schema` into a fresh directory
/// at `out` (generated output names its own directory, so the comparison
/// run must write to the same path).
pub fn fresh_output(schema: &Path, out: &Path) -> BTreeMap<PathBuf, Entry> {
    let _ = fs::remove_dir_all(out);
    assert_ok(&run(generate(schema, out, &[])));
    let tree = snapshot(out);
    fs::remove_dir_all(out).unwrap();
    tree
}

/// Starts `command` with the fault `fault` set and waits (up to 60 s) until
/// it reports that it reached it (paused there, for the caller to kill, or
/// sleeping there before it goes on).
pub fn paused(mut command: Command, fault: &str) -> Child {
    let mut child = command
        .env("UCWA_CODEGEN_FAULT", fault)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().expect("piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut said = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("ucwa-codegen fault: ") {
                let _ = sender.send(Ok(()));
            }
            said.push_str(&line);
            said.push('\n');
        }
        let _ = sender.send(Err(said));
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(())) => child,
        other => {
            let _ = child.kill();
            let status = child.wait();
            panic!("never reached {fault}: {other:?} ({status:?})");
        }
    }
}

/// SIGKILL on Unix: no destructor, no clean-up runs.
pub fn kill(mut child: Child) {
    child.kill().expect("kill");
    child.wait().expect("reaped");
}

/// Fault points exist only in builds with debug assertions.
pub fn faults_compiled_in() -> bool {
    if !cfg!(debug_assertions) {
        println!("skipped: fault points are compiled only with debug assertions");
    }
    cfg!(debug_assertions)
}

/// Whether this process can write anywhere regardless of permissions, so
/// a read-only directory needs an unprivileged child to mean anything.
#[cfg(unix)]
pub fn running_as_root(scratch: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = scratch.join(".uid-probe");
    fs::write(&probe, "").unwrap();
    let root = fs::metadata(&probe).unwrap().uid() == 0;
    fs::remove_file(probe).unwrap();
    root
}

/// Runs the child as the unprivileged `nobody` when the test runs as root.
#[cfg(unix)]
pub fn unprivileged(mut command: Command, scratch: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    if running_as_root(scratch) {
        command.uid(65534).gid(65534);
    }
    command
}

/// Sets the permission bits of `dir` and everything under it.
#[cfg(unix)]
pub fn chmod_tree(dir: &Path, dir_mode: u32, file_mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    for (relative, entry) in snapshot(dir) {
        let mode = match entry {
            Entry::Dir => dir_mode,
            Entry::File(_) => file_mode,
            Entry::Link(_) => continue,
        };
        fs::set_permissions(dir.join(relative), fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(dir_mode)).unwrap();
}
