//! Faults while writing: the real binary killed at each step of a write,
//! two runs at once, a read-only directory, a full disk, and links pointing
//! out of the output directory. After each, the previous output is intact
//! (or, once the new one was committed, the new one is complete), the
//! user's files are untouched, and no staging directory is left behind.
//!
//! The kill points use the fault hooks of debug builds (`UCWA_CODEGEN_FAULT`,
//! see `src/fault.rs`): the child stops at a named step, says so, and is
//! killed there with SIGKILL, so no destructor or clean-up of its own runs.

mod output_support;

use output_support::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory holding crate A as generated, plus the user's own files.
struct Scene {
    dir: tempfile::TempDir,
    out: PathBuf,
    a: PathBuf,
    b: PathBuf,
    /// The whole tree of crate A with the user's files.
    before: BTreeMap<PathBuf, Entry>,
    /// Crate B as a fresh run writes it, with the user's files.
    after: BTreeMap<PathBuf, Entry>,
}

const USERS: &[(&str, &str)] = &[
    ("README.md", "# mine\n"),
    ("src/resources/notes.txt", "kept\n"),
];

fn scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crate");
    let a = schema_a(dir.path());
    let b = schema_b(dir.path());
    let mut after = fresh_output(&b, &out);
    assert_ok(&run(generate(&a, &out, &[])));
    for (name, contents) in USERS {
        fs::write(out.join(name), contents).unwrap();
        after.insert(
            PathBuf::from(name),
            Entry::File(contents.as_bytes().to_vec()),
        );
    }
    let before = snapshot(&out);
    assert_ne!(before, after);
    Scene {
        dir,
        out,
        a,
        b,
        before,
        after,
    }
}

impl Scene {
    fn generate_b(&self) -> Command {
        generate(&self.b, &self.out, &[])
    }

    /// The output without the staging directory and lock file a dead run
    /// leaves until the next run recovers them.
    fn output_ignoring_leftovers(&self) -> BTreeMap<PathBuf, Entry> {
        snapshot(&self.out)
            .into_iter()
            .filter(|(name, _)| !is_leftover(name))
            .collect()
    }
}

fn is_leftover(name: &Path) -> bool {
    name.components().next().is_some_and(|first| {
        let first = first.as_os_str().to_string_lossy();
        first.starts_with(".ucwa-codegen-staging-") || first == ".ucwa-codegen.lock"
    })
}

/// A run whose staging fails at once: all it does to the output is
/// recover what a dead run left.
fn recover_only(scene: &Scene) {
    let mut command = generate(&scene.a, &scene.out, &[]);
    command.env("UCWA_CODEGEN_FAULT", "write=enospc");
    let output = run(command);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("No space left on device"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_run_killed_before_its_commit_leaves_the_previous_output() {
    if !faults_compiled_in() {
        return;
    }
    // Staging, waiting for the lock, swapping files one by one, setting
    // stale ones aside: every step before the new manifest is in place.
    for fault in [
        "write#1=pause",
        "write#4=pause",
        "locked=pause",
        "swapping=pause",
        "moved#1=pause",
        "moved#2=pause",
        "set-aside#1=pause",
        "set-aside#3=pause",
    ] {
        let scene = scene();
        kill(paused(scene.generate_b(), fault));
        if fault.starts_with("write")
            || fault.starts_with("locked")
            || fault.starts_with("swapping")
        {
            // Nothing in the output has changed yet.
            assert_tree(&scene.before, &scene.output_ignoring_leftovers(), fault);
        }
        // The next run, even one that then fails, first restores the previous output.
        recover_only(&scene);
        assert_tree(&scene.before, &snapshot(&scene.out), fault);
        // And a complete run writes the new output as if nothing had happened.
        assert_ok(&run(scene.generate_b()));
        assert_tree(&scene.after, &snapshot(&scene.out), fault);
    }
}

#[test]
fn a_run_killed_after_its_commit_is_finished_by_the_next() {
    if !faults_compiled_in() {
        return;
    }
    let scene = scene();
    kill(paused(scene.generate_b(), "committed=pause"));
    assert_eq!(
        scene.output_ignoring_leftovers().get(Path::new(MANIFEST)),
        scene.after.get(Path::new(MANIFEST)),
        "the new manifest is in place"
    );
    recover_only(&scene);
    assert_tree(&scene.after, &snapshot(&scene.out), "recovered");
}

#[test]
fn a_run_killed_while_recovering_is_recovered_by_the_next() {
    if !faults_compiled_in() {
        return;
    }
    let scene = scene();
    kill(paused(scene.generate_b(), "set-aside#2=pause"));
    // The next run is killed in the middle of undoing that.
    kill(paused(
        generate(&scene.a, &scene.out, &[]),
        "restored#2=pause",
    ));
    recover_only(&scene);
    assert_tree(&scene.before, &snapshot(&scene.out), "recovered");
}

#[test]
fn a_killed_run_holding_the_lock_does_not_block_the_next() {
    if !faults_compiled_in() {
        return;
    }
    let scene = scene();
    let holder = paused(scene.generate_b(), "locked=pause");

    // While it lives, another run waits, then gives up, naming the lock,
    // and changes nothing.
    let mut waiting = generate(&scene.a, &scene.out, &[]);
    waiting.env("UCWA_CODEGEN_LOCK_TIMEOUT", "1");
    let output = run(waiting);
    assert_refused(
        &output,
        &[&scene.out.join(".ucwa-codegen.lock")],
        "another ucwa-codegen run has been writing into",
    );
    assert!(scene.output_ignoring_leftovers() == scene.before);

    // Killed, its lock is gone with it: a run that would give up after
    // 5 s on a held lock goes straight through.
    kill(holder);
    let mut next = scene.generate_b();
    next.env("UCWA_CODEGEN_LOCK_TIMEOUT", "5");
    assert_ok(&run(next));
    assert!(snapshot(&scene.out) == scene.after);
}

#[test]
fn two_runs_at_once_give_one_complete_output() {
    if !faults_compiled_in() {
        return;
    }
    let scene = scene();
    let expected_a = scene.before.clone();
    let expected = |schema: &Path| {
        if schema == scene.a {
            &expected_a
        } else {
            &scene.after
        }
    };
    // One run stopped in its swap (holding the lock) while the other starts:
    // the other waits and writes last. One stopped while staging (holding
    // nothing): the other goes through, and the stopped one writes last.
    for (fault, last_is_first) in [("locked=sleep:400", false), ("write#2=sleep:400", true)] {
        for (first, second) in [(&scene.a, &scene.b), (&scene.b, &scene.a)] {
            let mut one = paused(generate(first, &scene.out, &[]), fault);
            let two = run(generate(second, &scene.out, &[]));
            assert_ok(&two);
            assert!(one.wait().unwrap().success(), "{fault}");
            let last = if last_is_first { first } else { second };
            assert_tree(expected(last), &snapshot(&scene.out), fault);
        }
    }
    // Started together, unsynchronised.
    for round in 0..4 {
        let one = generate(&scene.a, &scene.out, &[]).spawn().unwrap();
        let two = generate(&scene.b, &scene.out, &[]).spawn().unwrap();
        assert_ok(&one.wait_with_output().unwrap());
        assert_ok(&two.wait_with_output().unwrap());
        let result = snapshot(&scene.out);
        assert!(
            result == expected_a || result == scene.after,
            "round {round}: a mix: {:?} / {:?}",
            changed(&expected_a, &result),
            changed(&scene.after, &result)
        );
    }
}

#[test]
fn two_build_scripts_at_once_give_one_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = schema_a(dir.path());
    let b = schema_b(dir.path());
    let out_dir = dir.path().join("out");
    let build = |schema: &Path| {
        ucwa_codegen::Builder::new()
            .schema(schema)
            .out_dir(&out_dir)
            .rerun_directives(false)
            .generate()
            .map(|generated| fs::read(generated.path).unwrap())
    };
    let (from_a, from_b) = (build(&a).unwrap(), build(&b).unwrap());
    for _ in 0..4 {
        std::thread::scope(|scope| {
            let one = scope.spawn(|| build(&a));
            let two = scope.spawn(|| build(&b));
            one.join().unwrap().unwrap();
            two.join().unwrap().unwrap();
        });
        let written = fs::read(out_dir.join("ucwa.rs")).unwrap();
        assert!(written == from_a || written == from_b, "a mix of two files");
        let names: Vec<PathBuf> = snapshot(&out_dir).into_keys().collect();
        assert_eq!(names, [MANIFEST, "ucwa.rs"].map(PathBuf::from));
    }
}

#[test]
fn a_full_disk_leaves_the_previous_output() {
    if !faults_compiled_in() {
        return;
    }
    // While staging (writing a file) and while swapping (the swap is undone).
    for (fault, named) in [
        ("write#3=enospc", None),
        ("moved#2=enospc", None),
        ("set-aside#2=enospc", None),
        ("write#1=enospc", Some("Cargo.toml")),
    ] {
        let scene = scene();
        let mut command = scene.generate_b();
        command.env("UCWA_CODEGEN_FAULT", fault);
        let output = run(command);
        assert_eq!(output.status.code(), Some(1), "{fault}: {}", text(&output));
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.starts_with(&format!("error: {}", scene.out.display()))
                && said.contains("No space left on device"),
            "{fault}: {said}"
        );
        if let Some(name) = named {
            assert!(
                said.contains(&format!("{}: No space", scene.out.join(name).display())),
                "{said}"
            );
        }
        assert_tree(&scene.before, &snapshot(&scene.out), fault);
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_output_directory_is_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let scene = scene();
    // The child may run as `nobody`: it must reach the schema and the binary.
    fs::set_permissions(scene.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    chmod_tree(&scene.a, 0o755, 0o644);
    chmod_tree(&scene.b, 0o755, 0o644);
    chmod_tree(&scene.out, 0o555, 0o444);
    let before = snapshot(scene.dir.path());

    let output = run(unprivileged(scene.generate_b(), scene.dir.path()));
    chmod_tree(&scene.out, 0o755, 0o644);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.starts_with(&format!("error: {}", scene.out.display()))
            && said.contains("Permission denied"),
        "{said}"
    );
    assert_same_tree(&before, &snapshot(scene.dir.path()));

    // A new directory in a read-only one: nothing is created.
    let parent = scene.dir.path().join("read-only");
    fs::create_dir(&parent).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    let output = run(unprivileged(
        generate(&scene.b, &parent.join("new"), &[]),
        scene.dir.path(),
    ));
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with(&format!(
            "error: {}: Permission denied",
            parent.join("new").display()
        )),
        "{}",
        text(&output)
    );
    assert_eq!(fs::read_dir(&parent).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn an_output_directory_that_is_a_link_is_written_through_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let real = dir.path().join("elsewhere/real");
    fs::create_dir_all(&real).unwrap();
    let link = dir.path().join("work/out");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let expected = {
        let tree = fresh_output(&schema, &dir.path().join("work/out"));
        // The crate names its runtime by a path relative to where it lives.
        std::os::unix::fs::symlink(&real, &link).unwrap();
        tree
    };
    let before = snapshot(dir.path());

    assert_ok(&run(generate(&schema, &link, &[])));
    assert_ok(&run(generate(&schema, &link, &[])));
    let after = snapshot(dir.path());
    let outside: Vec<PathBuf> = changed(&before, &after)
        .into_iter()
        .filter(|name| !name.starts_with("elsewhere/real/"))
        .collect();
    assert_eq!(
        outside,
        Vec::<PathBuf>::new(),
        "changed outside the directory"
    );
    assert_eq!(after[Path::new("work/out")], Entry::Link(real.clone()));
    assert_tree(&expected, &snapshot(&real), "written through the link:");
}

#[cfg(unix)]
#[test]
fn links_inside_the_output_directory_never_reach_outside() {
    use std::os::unix::fs::symlink;
    let scene = scene();
    let outside = scene.dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    for name in ["lib.rs", "secret.rs", "kept.rs", "x.rs"] {
        fs::write(outside.join(name), format!("outside {name}\n")).unwrap();
    }
    let out = &scene.out;

    // A generated file replaced by a link: the link is replaced, not its target.
    fs::remove_file(out.join("src/lib.rs")).unwrap();
    symlink(outside.join("lib.rs"), out.join("src/lib.rs")).unwrap();
    // A stale generated file (schema B drops it) replaced by a link: the link goes.
    let stale = out.join("src/resources/audio_video_negotiation.rs");
    fs::remove_file(&stale).unwrap();
    symlink(outside.join("secret.rs"), &stale).unwrap();
    // A manifest entry under a directory the user made a link to outside:
    // removing it would remove a file outside, so it stays.
    symlink(&outside, out.join("linked")).unwrap();
    let manifest = fs::read_to_string(out.join(MANIFEST)).unwrap();
    fs::write(
        out.join(MANIFEST),
        manifest.replace("files:\n", "files:\n- linked/kept.rs\n"),
    )
    .unwrap();
    let outside_before = snapshot(&outside);

    assert_ok(&run(scene.generate_b()));
    assert_same_tree(&outside_before, &snapshot(&outside));
    let after = snapshot(out);
    assert!(matches!(after[Path::new("src/lib.rs")], Entry::File(_)));
    assert!(!after.contains_key(Path::new("src/resources/audio_video_negotiation.rs")));
    assert_eq!(after[Path::new("linked")], Entry::Link(outside.clone()));

    // A directory it writes into, made a link to outside: refused, unchanged.
    fs::rename(out.join("tests"), scene.dir.path().join("tests-moved")).unwrap();
    symlink(&outside, out.join("tests")).unwrap();
    let before = snapshot(scene.dir.path());
    let output = run(generate(&scene.b, out, &["--force"]));
    assert_refused(&output, &[&out.join("tests")], "is a symbolic link");
    assert_same_tree(&before, &snapshot(scene.dir.path()));
}
