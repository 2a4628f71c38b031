//! What `generate`, `extract`, the default regeneration and the build.rs
//! builder may touch: only files they wrote, as their manifest records.
//! Each test runs the real binary (or the builder) on real directories and
//! compares the exact trees before and after.

mod output_support;

use output_support::*;
use std::fs;
use std::path::{Path, PathBuf};
use ucwa_codegen::commands::Layout;
use ucwa_codegen::{Builder, Error};

/// A crate of the user's own, as in the issue that asked for all this.
fn users_crate(dir: &Path) -> PathBuf {
    let krate = dir.join("my-crate");
    fs::create_dir_all(krate.join("src")).unwrap();
    fs::create_dir_all(krate.join("tests")).unwrap();
    fs::write(krate.join("Cargo.toml"), "[package]\nname = \"mine\"\n").unwrap();
    fs::write(krate.join("src/lib.rs"), "pub mod util;\n").unwrap();
    fs::write(krate.join("src/util.rs"), "pub fn util() {}\n").unwrap();
    fs::write(krate.join("tests/my_test.rs"), "#[test]\nfn mine() {}\n").unwrap();
    krate
}

#[test]
fn generate_refuses_an_existing_crate_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let krate = users_crate(dir.path());
    let before = snapshot(dir.path());

    let output = run(generate(&schema, &krate, &[]));
    assert_refused(&output, &[&krate], "not written by ucwa-codegen");
    assert!(text(&output).contains("--force"), "{}", text(&output));
    assert_same_tree(&before, &snapshot(dir.path()));
}

#[test]
fn extract_refuses_a_directory_holding_the_users_files() {
    let dir = tempfile::tempdir().unwrap();
    let pages = repository().join("generator/tests/fixtures/md");
    let out = dir.path().join("schema-dir");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("overrides.yaml"), "- resource: x\n  rename: y\n").unwrap();
    let before = snapshot(dir.path());
    let extract = || {
        command(&[
            Path::new("extract"),
            &pages.join("enumeration.md"),
            Path::new("--out"),
            &out,
        ])
    };
    let output = run(extract());
    assert_refused(
        &output,
        &[&out],
        "is not empty and was not written by ucwa-codegen",
    );
    assert_same_tree(&before, &snapshot(dir.path()));

    // A mistyped `--out .`: the current directory is somebody's work.
    let mut here = command(&[
        Path::new("extract"),
        &pages.join("enumeration.md"),
        Path::new("--out"),
        Path::new("."),
    ]);
    let output = run({
        here.current_dir(&out);
        here
    });
    assert_refused(&output, &[Path::new(".")], "--force");
    assert_same_tree(&before, &snapshot(dir.path()));

    // Forced, it writes its file beside the user's and deletes nothing...
    let mut forced = extract();
    forced.arg("--force");
    assert_ok(&run(forced));
    let after = snapshot(&out);
    assert_eq!(
        after.keys().cloned().collect::<Vec<_>>(),
        [MANIFEST, "RoomState.yaml", "overrides.yaml"].map(PathBuf::from)
    );
    assert_eq!(
        after[Path::new("overrides.yaml")],
        before[&PathBuf::from("schema-dir/overrides.yaml")]
    );
    // ... and from then on owns only that file.
    let other = pages.join("irregular_resource.md");
    assert_ok(&run(command(&[
        Path::new("extract"),
        &other,
        Path::new("--out"),
        &out,
    ])));
    let names: Vec<PathBuf> = snapshot(&out).into_keys().collect();
    assert!(
        !names.contains(&PathBuf::from("RoomState.yaml")),
        "{names:?}"
    );
    assert!(
        names.contains(&PathBuf::from("overrides.yaml")),
        "{names:?}"
    );
}

#[test]
fn a_rerun_replaces_and_deletes_only_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crate");
    let expected_b = fresh_output(&schema_b(dir.path()), &out);
    assert_ok(&run(generate(&schema_a(dir.path()), &out, &[])));
    let generated_a = snapshot(&out);
    assert!(generated_a.contains_key(Path::new("src/resources/audio_video_negotiation.rs")));

    // The user's files, beside and among the generated ones.
    let users: &[(&str, &str)] = &[
        ("README.md", "# mine\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("src/.lib.rs.swp", "editor state"),
        ("src/resources/notes.txt", "kept"),
        ("Cargo.lock", "# cargo's\n"),
        ("target/debug/.fingerprint", "cargo's"),
    ];
    for (name, contents) in users {
        let path = out.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    let with_users = snapshot(&out);

    assert_ok(&run(generate(&schema_b(dir.path()), &out, &[])));
    let after = snapshot(&out);
    for (name, contents) in users {
        assert_eq!(
            after.get(Path::new(name)),
            Some(&Entry::File(contents.as_bytes().to_vec())),
            "{name}"
        );
    }
    let generated_b: std::collections::BTreeMap<_, _> = after
        .into_iter()
        .filter(|(name, _)| !with_users.contains_key(name) || generated_a.contains_key(name))
        .collect();
    assert_same_tree(&expected_b, &generated_b);
}

#[test]
fn a_file_it_would_write_that_is_not_its_own_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crate");
    assert_ok(&run(generate(&schema_b(dir.path()), &out, &[])));
    // The user wrote a module where schema A will put a generated one.
    let theirs = out.join("src/resources/audio_video_negotiation.rs");
    fs::write(&theirs, "// mine\n").unwrap();
    let before = snapshot(dir.path());

    let schema = schema_a(dir.path());
    let output = run(generate(&schema, &out, &[]));
    assert_refused(
        &output,
        &[&theirs],
        "exists and was not written by ucwa-codegen",
    );
    assert_same_tree(&before, &snapshot(dir.path()));

    assert_ok(&run(generate(&schema, &out, &["--force"])));
    assert_ne!(fs::read_to_string(&theirs).unwrap(), "// mine\n");
    assert_eq!(
        snapshot(&out),
        fresh_output(&schema, &dir.path().join("crate")),
        "forced, it owns the file like the others"
    );
}

#[test]
fn extract_and_generate_never_take_over_each_others_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    assert_ok(&run(generate(&schema_a(dir.path()), &out, &[])));
    let before = snapshot(dir.path());
    let page = repository().join("generator/tests/fixtures/md/enumeration.md");
    let output = run(command(&[
        Path::new("extract"),
        &page,
        Path::new("--out"),
        &out,
    ]));
    assert_refused(
        &output,
        &[&out],
        "holds a crate written by `ucwa-codegen generate`",
    );
    assert_same_tree(&before, &snapshot(dir.path()));
}

#[test]
fn a_damaged_manifest_is_refused_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crate");
    let schema = schema_a(dir.path());
    assert_ok(&run(generate(&schema, &out, &[])));
    fs::write(dir.path().join("precious"), "outside").unwrap();
    fs::write(
        out.join(MANIFEST),
        "contents: crate\nfiles:\n- ../precious\n- Cargo.toml\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let output = run(generate(&schema, &out, &["--force"]));
    assert_refused(
        &output,
        &[&out.join(MANIFEST)],
        "not a path inside the directory",
    );
    assert_same_tree(&before, &snapshot(dir.path()));
}

#[test]
fn the_default_regeneration_follows_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let generated = users_crate(dir.path());
    let layout = Layout {
        pages: Vec::new(),
        schema,
        generated: generated.clone(),
        ..Layout::repository()
    };
    let before = snapshot(dir.path());
    let error = layout.regenerate().unwrap_err();
    assert!(matches!(error, Error::Refused { .. }), "{error:?}");
    assert_eq!(error.file(), generated);
    assert_same_tree(&before, &snapshot(dir.path()));

    let forced = Layout {
        force: true,
        ..layout.clone()
    };
    forced.regenerate().unwrap();
    assert_eq!(
        fs::read_to_string(generated.join("src/util.rs")).unwrap(),
        "pub fn util() {}\n",
        "forcing replaces, never deletes"
    );
    assert_eq!(
        fs::read_to_string(generated.join("tests/my_test.rs")).unwrap(),
        "#[test]\nfn mine() {}\n"
    );
    // Forced once, it owns what it wrote: check sees it fresh, a rerun needs no force.
    let stale: Vec<PathBuf> = layout.check().unwrap();
    assert_eq!(
        stale,
        [
            generated.join("src/util.rs"),
            generated.join("tests/my_test.rs")
        ],
        "check names the strays in the directories it writes"
    );
    layout.regenerate().unwrap();
}

#[test]
fn the_builder_replaces_only_its_own_file_in_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    fs::write(
        out_dir.join("ucwa.rs"),
        "// the user's own build step wrote this\n",
    )
    .unwrap();
    fs::write(out_dir.join("other.rs"), "// and this\n").unwrap();
    let builder = |name: &str| {
        Builder::new()
            .schema(&schema)
            .out_dir(&out_dir)
            .file_name(name)
            .rerun_directives(false)
    };
    let before = snapshot(dir.path());
    let error = builder("ucwa.rs").generate().unwrap_err();
    assert!(matches!(error, Error::Refused { .. }), "{error:?}");
    assert_eq!(error.file(), out_dir.join("ucwa.rs"));
    assert!(
        error.to_string().contains("Builder::force(true)"),
        "{error}"
    );
    assert_same_tree(&before, &snapshot(dir.path()));

    // Its own file elsewhere in OUT_DIR; a second one keeps the first.
    let first = builder("first.rs").generate().unwrap();
    let first_text = fs::read(&first.path).unwrap();
    builder("second.rs").generate().unwrap();
    assert_eq!(fs::read(&first.path).unwrap(), first_text);
    builder("ucwa.rs").force(true).generate().unwrap();
    let after = snapshot(&out_dir);
    assert_eq!(
        after.keys().cloned().collect::<Vec<_>>(),
        [MANIFEST, "first.rs", "other.rs", "second.rs", "ucwa.rs"].map(PathBuf::from)
    );
    assert_eq!(
        after[Path::new("other.rs")],
        Entry::File(b"// and this\n".to_vec())
    );
    assert_eq!(after[Path::new("ucwa.rs")], Entry::File(first_text));
}

#[test]
fn the_builder_takes_over_its_file_from_a_version_without_manifests() {
    // An OUT_DIR from before manifests existed: the file starts with the
    // header ucwa-codegen writes, and no manifest lists it. Upgrading must
    // not break the user's build; a file without the header is still refused.
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let earlier = "// @generated by ucwa-codegen from schema (4 documents).\nold\n";
    fs::write(out_dir.join("ucwa.rs"), earlier).unwrap();
    fs::write(
        out_dir.join("mine.rs"),
        "// @generated by ucwa-codegen? No: mine.\n",
    )
    .unwrap();
    let generated = Builder::new()
        .schema(&schema)
        .out_dir(&out_dir)
        .rerun_directives(false)
        .generate()
        .unwrap();
    let text = fs::read_to_string(&generated.path).unwrap();
    assert!(text.starts_with("// @generated by ucwa-codegen") && text != earlier);
    let error = Builder::new()
        .schema(&schema)
        .out_dir(&out_dir)
        .file_name("mine.rs")
        .rerun_directives(false)
        .generate()
        .unwrap_err();
    assert!(matches!(error, Error::Refused { .. }), "{error:?}");
}

#[cfg(unix)]
#[test]
fn an_unchanged_builder_file_keeps_its_modification_time() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let builder = || {
        Builder::new()
            .schema(&schema)
            .out_dir(dir.path().join("out"))
            .rerun_directives(false)
    };
    let path = builder().generate().unwrap().path;
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    fs::File::options()
        .append(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    builder().generate().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), old);
}

fn broken_pages(dir: &Path) -> PathBuf {
    let pages = dir.join("pages");
    fs::create_dir_all(&pages).unwrap();
    fs::write(pages.join("a_ref.md"), [0xff, 0xfe]).unwrap();
    fs::write(pages.join("b_ref.md"), "").unwrap();
    fs::copy(
        repository().join("generator/tests/fixtures/md/enumeration.md"),
        pages.join("c_ref.md"),
    )
    .unwrap();
    pages
}

#[test]
fn the_builder_and_the_cli_report_every_failing_page() {
    let dir = tempfile::tempdir().unwrap();
    let pages = broken_pages(dir.path());
    let failing = [pages.join("a_ref.md"), pages.join("b_ref.md")];

    let error = Builder::new()
        .pages(&pages)
        .out_dir(dir.path().join("out"))
        .rerun_directives(false)
        .generate()
        .unwrap_err();
    let files: Vec<&Path> = error.each().into_iter().map(Error::file).collect();
    assert_eq!(files, failing.each_ref().map(PathBuf::as_path), "{error}");
    assert!(!dir.path().join("out").exists());

    let output = run(command(&[
        Path::new("check"),
        Path::new("--pages"),
        &pages,
        Path::new("--schema"),
        &dir.path().join("schema"),
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    for file in &failing {
        assert!(
            said.contains(&format!("error: {}:1: ", file.display())),
            "{said}"
        );
    }
}

#[test]
fn errors_name_the_real_schema_files() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_a(dir.path());
    let copy = schema.join("zz_copy.yaml");
    fs::copy(schema.join("audioVideo.yaml"), &copy).unwrap();
    fs::write(
        schema.join("broken.yaml"),
        "name: x\nkind: resource\nproperties: 3\n",
    )
    .unwrap();
    let out = dir.path().join("crate");
    let output = run(generate(&schema, &out, &[]));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!(
            "error: {}:3: ",
            schema.join("broken.yaml").display()
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "error: {}: `audioVideo` is also the name in {}",
            copy.display(),
            schema.join("audioVideo.yaml").display()
        )),
        "{said}"
    );
    assert!(!out.exists());

    // A problem of the schema as a whole names the directory it was read from.
    fs::remove_file(&copy).unwrap();
    fs::remove_file(schema.join("broken.yaml")).unwrap();
    let output = run(generate(&schema, &out, &["--crate-name", "9lives"]));
    assert_refused(&output, &[&schema], "cannot be a crate name");
    assert!(!out.exists());
}
