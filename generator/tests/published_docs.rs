//! Pointing ucwa-codegen at Microsoft's documentation as cloned: the
//! repository's `Skype/UCWA/` mixes the reference pages with concept and task
//! pages, images and stray files, and extracting it must give exactly the
//! reference pages' documents, byte for byte what extracting them alone
//! gives. The README's commands for it are run here as written.
//!
//! Trees are built at test time in temporary directories: one from pages
//! written here (always), one from `../shared` (skipped with a message when
//! absent). Every child process runs under a time limit.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use ucwa_codegen::pipeline::{self, Origin, PagePath, Selected};
use ucwa_codegen::schema::Document;
use ucwa_codegen::Builder;

const BIN: &str = env!("CARGO_BIN_EXE_ucwa-codegen");

/// Where the pages are inside the cloned repository.
const PUBLISHED_DIR: &str = "Skype/UCWA";

/// The repository the README tells users to clone.
const PUBLISHED_REPOSITORY: &str = "https://github.com/MicrosoftDocs/skype-docs";

/// A run of the binary: seconds, not minutes.
const QUICK: Duration = Duration::from_secs(120);

/// Building and testing a generated crate, serde and all, on a busy machine.
const CARGO_TEST: Duration = Duration::from_secs(1500);

const WIDGET_REF: &str = r#"---
title: widget
description: widget represents a widget.
---
# widget

 _**Applies to:** Skype for Business 2015_

Represents a widget.

## Web Link

For more on web links, see [Web links](WebLinks.md).

|**Name**|**Description**|
|:-----|:-----|
|rel|The resource that this link points to.|
|href|The location of this resource on the server.|

### Properties

|**Name**|**Description**|
|:-----|:-----|
|size|The size of the widget.|

### Links

|**Link**|**Description**|
|:-----|:-----|
|self|The link to the current resource.|

## Operations

### GET

Returns the widget.

#### Request body

None

#### Response body

|**Item**|**Description**|
|:-----|:-----|
|widget|Represents a widget.|

#### Synchronous errors

|**Error**|**Code**|**Subcode**|**Description**|
|:-----|:-----|:-----|:-----|
|NotFound|404|None|The widget was not found.|

#### Examples

#### JSON Request

```
Get https://fe1.contoso.com:443/ucwa/v1/applications/1/widget HTTP/1.1
Accept: application/json
```

#### JSON Response

```
HTTP/1.1 200 OK
Content-Type: application/json

{
  "rel" : "widget",
  "size" : 3
}
```
"#;

/// An enumeration under an odd-case name, as `resumePhoneAudio_Ref.md` is published.
const GAUGE_REF: &str = "# Gauge\n\n _**Applies to:** Skype for Business 2015_\n\nHow full a widget is.\n\n## Members\n\n|**Name**|**Description**|\n|:-----|:-----|\n|Empty|Nothing in it.|\n|Full|No room left.|\n";

/// A reference page as a browser shows it, saved under a name without `_ref`.
const GADGET_TXT: &str = "Share via\n\ngadget reference\n\nApplies to: Skype for Business 2015\n\nRepresents a gadget.\n\nFor more on web links, see Web links.\n\nName Description\nrel The resource that this link points to.\nhref The location of this resource on the server.\n\nProperties\n\nName Description\ncolor The color of the gadget.\n\nLinks\n\nThis resource can have the following relationships.\n\nLink Description\nself The link to the current resource.\nwidget The widget this gadget belongs to.\n";

/// A concept page whose tables have the shapes and headings of a reference page's.
const PAGING_MD: &str = "---\ntitle: Paging results\n---\n# Paging results\n\nSome collections come a page at a time.\n\n## Query parameters\n\n|**Name**|**Description**|**Required?**|\n|:-----|:-----|:-----|\n|top|How many items to return.|No|\n\n## Links\n\n|**Link**|**Description**|\n|:-----|:-----|\n|next|The next page.|\n";

/// A concept page under a reference page's file name.
const KEY_CONCEPTS_REF: &str =
    "# Key programming concepts\n\nResources, links and events.\n\n## Resources\n\nEvery resource has a `rel`.\n";

/// A task page: a transcript, and an errors table of the reference kind.
const SEND_A_MESSAGE_MD: &str = "# Send a message\n\n1. Start the conversation:\n\n   ```\n   POST https://fe1.contoso.com/ucwa/v1/applications/1/communication/messagingInvitations HTTP/1.1\n   Content-Type: application/json\n\n   {\"to\":\"sip:b@contoso.com\"}\n   ```\n\n2. The server answers:\n\n   ```\n   HTTP/1.1 201 Created\n   Location: /ucwa/v1/applications/1/communication/messagingInvitations/1\n   ```\n\n## Errors\n\n|**Error**|**Code**|**Subcode**|**Description**|\n|:-----|:-----|:-----|:-----|\n|Forbidden|403|None|Messaging is not allowed.|\n";

/// A concept page with a one-word title and method headings, like `HTTP.md`.
const CACHING_MD: &str =
    "# Caching\n\nResponses may be cached.\n\n### GET\n\nCached until it expires.\n\n### PUT\n\nNever cached.\n";

/// The start of a PNG file: binary, with NUL bytes.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

/// A clone: where it is, and which of its pages are reference pages.
struct Tree {
    clone: PathBuf,
    reference: Vec<PathBuf>,
    other: Vec<PathBuf>,
}

impl Tree {
    /// The pages that are not reference pages under `dir`.
    fn other_under(&self, dir: &Path) -> usize {
        self.other
            .iter()
            .filter(|page| page.starts_with(dir))
            .count()
    }
}

fn write(path: &Path, contents: &[u8]) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
    fs::write(path, contents).expect("written");
}

/// Pages written here, in the repository's shape: reference pages (markdown,
/// an odd-case name, rendered text without `_ref`), concept and task pages
/// (one with reference-shaped tables, one misnamed `_ref`), images, a stray
/// file, the repository's own README and a `.git` directory.
fn own_tree(clone: &Path) -> Tree {
    let docs = clone.join(PUBLISHED_DIR);
    let mut tree = Tree {
        clone: clone.to_path_buf(),
        reference: Vec::new(),
        other: Vec::new(),
    };
    for (file, text) in [
        ("widget_ref.md", WIDGET_REF),
        ("Gauge_Ref.md", GAUGE_REF),
        ("gadget.txt", GADGET_TXT),
    ] {
        write(&docs.join(file), text.as_bytes());
        tree.reference.push(docs.join(file));
    }
    for (path, text) in [
        (docs.join("Paging.md"), PAGING_MD),
        (docs.join("KeyConcepts_ref.md"), KEY_CONCEPTS_REF),
        (docs.join("SendAMessage.md"), SEND_A_MESSAGE_MD),
        (docs.join("Caching.md"), CACHING_MD),
        (
            clone.join("README.md"),
            "# Skype for Business documentation\n\nThe sources of the published pages.\n",
        ),
    ] {
        write(&path, text.as_bytes());
        tree.other.push(path);
    }
    write(&docs.join("images/diagram.png"), PNG);
    write(
        &docs.join("error.err"),
        b"error: the build of this page failed\n",
    );
    write(&clone.join(".git/HEAD"), b"ref: refs/heads/live\n");
    // Hidden directories are not entered: this copy would be a duplicate.
    write(&clone.join(".git/widget_ref.md"), WIDGET_REF.as_bytes());
    tree
}

fn shared() -> Option<PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let present = ["ucwa", "ucwa-guide", "ucwa-tasks"]
        .iter()
        .all(|dir| shared.join(dir).is_dir());
    present.then_some(shared)
}

/// Pages in `dir` (not recursive), sorted.
fn pages_in(dir: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs::read_dir(dir)
        .expect("listable")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

/// The published pages from `../shared`: a few reference pages, every
/// concept and task page (the ones that gave spurious resources among them),
/// the tasks' images and a stray `error.err`.
fn shared_tree(clone: &Path, shared: &Path) -> Tree {
    let docs = clone.join(PUBLISHED_DIR);
    let mut tree = Tree {
        clone: clone.to_path_buf(),
        reference: Vec::new(),
        other: Vec::new(),
    };
    let reference = [
        "me_ref.md",
        "resumePhoneAudio_Ref.md",
        "Availability_ref.md",
        "audioVideo_ref.md",
        "application_ref.md",
    ];
    for file in reference {
        let to = docs.join(file);
        write(
            &to,
            &fs::read(shared.join("ucwa").join(file)).expect("a published page"),
        );
        tree.reference.push(to);
    }
    for dir in ["ucwa-guide", "ucwa-tasks"] {
        for page in pages_in(&shared.join(dir)) {
            let to = docs.join(page.file_name().expect("a name"));
            write(&to, &fs::read(&page).expect("readable"));
            tree.other.push(to);
        }
    }
    for image in fs::read_dir(shared.join("ucwa-tasks/images")).expect("images") {
        let image = image.expect("entry").path();
        let to = docs.join("images").join(image.file_name().expect("a name"));
        write(&to, &fs::read(&image).expect("readable"));
    }
    write(
        &docs.join("error.err"),
        b"error: the build of this page failed\n",
    );
    tree
}

/// Runs `command`, stopping it after `limit`. Output goes to files, so a
/// chatty child can never block on a full pipe.
fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let logs = tempfile::tempdir().expect("tempdir");
    let (stdout, stderr) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = command
        .stdout(fs::File::create(&stdout).expect("stdout file"))
        .stderr(fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} ran longer than {limit:?} and was stopped");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: fs::read(&stdout).expect("stdout"),
        stderr: fs::read(&stderr).expect("stderr"),
    }
}

fn codegen(args: &[&Path], cwd: &Path) -> (Output, String) {
    let output = run_bounded(Command::new(BIN).args(args).current_dir(cwd), QUICK);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, said)
}

fn extract(inputs: &[&Path], out: &Path, verbose: bool) -> (Output, String) {
    let mut args: Vec<&Path> = vec![Path::new("extract")];
    args.extend(inputs);
    args.extend([Path::new("--out"), out]);
    if verbose {
        args.push(Path::new("--verbose"));
    }
    codegen(&args, out.parent().expect("out has a parent"))
}

/// Every file of a schema directory, by name, with its bytes.
/// The schema documents written into `dir` (not the writer's manifest beside them).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("listable")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&path).expect("readable"))
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

/// The tree, from its root and from its `Skype/UCWA`, gives the documents of
/// its reference pages extracted alone, byte for byte, exits 0, says how many
/// pages it skipped and names each of them with `--verbose`.
fn assert_extracts_exactly_its_reference_pages(tree: &Tree, work: &Path) {
    let alone = work.join("alone");
    let reference: Vec<&Path> = tree.reference.iter().map(PathBuf::as_path).collect();
    let (output, said) = extract(&reference, &alone, false);
    assert!(output.status.success(), "the reference pages alone: {said}");
    let expected = files(&alone);
    assert_eq!(
        expected.len(),
        tree.reference.len(),
        "one document per reference page"
    );

    for input in [tree.clone.clone(), tree.clone.join(PUBLISHED_DIR)] {
        let out = work.join("from-tree");
        let _ = fs::remove_dir_all(&out);
        let (output, said) = extract(&[&input], &out, false);
        assert_eq!(output.status.code(), Some(0), "{}: {said}", input.display());
        assert!(
            !said.contains("error") && !said.contains("also described by"),
            "{said}"
        );
        let other = tree.other_under(&input);
        let summary = format!(
            "{} pages read, {} documents written to {}, {other} skipped as not reference pages (`extract --verbose` names them), 0 failed\n",
            tree.reference.len() + other,
            tree.reference.len(),
            out.display(),
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).ends_with(&summary),
            "expected the summary line {summary:?}, got: {said}"
        );
        let written = files(&out);
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "exactly the reference pages' documents"
        );
        for (name, bytes) in &written {
            assert!(
                bytes == &expected[name],
                "{name} differs from extracting its page alone"
            );
        }
    }

    let out = work.join("verbose");
    let (output, said) = extract(&[&tree.clone], &out, true);
    assert!(output.status.success(), "{said}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let skipped: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("skipped "))
        .collect();
    assert_eq!(skipped.len(), tree.other.len(), "{stdout}");
    for page in &tree.other {
        let line = format!("skipped {}: ", page.display());
        assert!(
            skipped.iter().any(|l| l.starts_with(&line)),
            "{line} missing from {stdout}"
        );
    }
    for page in &tree.reference {
        assert!(!stdout.contains(&page.display().to_string()), "{stdout}");
    }
}

#[test]
fn a_tree_shaped_like_the_published_one_gives_exactly_its_reference_pages() {
    let work = tempfile::tempdir().expect("tempdir");
    let tree = own_tree(&work.path().join("skype-docs"));
    assert_extracts_exactly_its_reference_pages(&tree, work.path());

    // The rendered copy's link found its target among the other pages, as it does alone.
    let gadget = fs::read_to_string(work.path().join("from-tree/gadget.yaml")).expect("gadget");
    let gadget = Document::from_yaml(&gadget).expect("schema");
    let widget_link = gadget
        .links
        .iter()
        .find(|l| l.rel == "widget")
        .expect("widget link");
    assert_eq!(widget_link.target.as_deref(), Some("widget"));
}

#[test]
fn the_published_pages_as_cloned_give_exactly_their_reference_pages() {
    let Some(shared) = shared() else {
        println!("skipped: ../shared/ucwa, ucwa-guide or ucwa-tasks is absent");
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let tree = shared_tree(&work.path().join("skype-docs"), &shared);
    assert_extracts_exactly_its_reference_pages(&tree, work.path());
    let written = files(&work.path().join("from-tree"));
    for spurious in [
        "Authentication",
        "Errors",
        "HTTP",
        "Operation",
        "Payload",
        "Query",
        "Skype",
    ] {
        assert!(
            !written.contains_key(&format!("{spurious}.yaml")),
            "a concept page became the resource {spurious}"
        );
    }
}

/// Selection alone over everything published: every reference page is one,
/// and no concept or task page is.
#[test]
fn every_published_page_is_judged_by_its_evidence() {
    let Some(shared) = shared() else {
        println!("skipped: ../shared/ucwa, ucwa-guide or ucwa-tasks is absent");
        return;
    };
    let judge = |path: PathBuf| {
        let page = PagePath {
            path,
            origin: Origin::Found,
        };
        match pipeline::select_page(&page) {
            Ok(Selected::Page(_)) => Ok(()),
            Ok(Selected::Skipped(skipped)) => {
                Err(format!("{}: {}", file_name(&page.path), skipped.reason))
            }
            Err(error) => Err(error.to_string()),
        }
    };
    let reference = pages_in(&shared.join("ucwa"));
    assert!(
        reference.len() >= 294,
        "{} published reference pages",
        reference.len()
    );
    let missed: Vec<String> = reference
        .into_iter()
        .filter_map(|page| judge(page).err())
        .collect();
    assert!(
        missed.is_empty(),
        "reference pages not selected: {missed:#?}"
    );

    let other = [
        pages_in(&shared.join("ucwa-guide")),
        pages_in(&shared.join("ucwa-tasks")),
    ]
    .concat();
    assert!(other.len() >= 40, "{} concept and task pages", other.len());
    let taken: Vec<String> = other
        .into_iter()
        .filter(|page| judge(page.clone()).is_ok())
        .map(|page| file_name(&page))
        .collect();
    assert!(
        taken.is_empty(),
        "concept or task pages selected: {taken:?}"
    );
}

#[test]
fn a_named_page_that_is_not_a_reference_page_is_an_error_naming_it() {
    let work = tempfile::tempdir().expect("tempdir");
    let tree = own_tree(&work.path().join("skype-docs"));
    let docs = tree.clone.join(PUBLISHED_DIR);
    let (paging, misnamed, widget) = (
        docs.join("Paging.md"),
        docs.join("KeyConcepts_ref.md"),
        docs.join("widget_ref.md"),
    );
    let out = work.path().join("out");
    let (output, said) = extract(&[&paging, &misnamed, &widget], &out, false);
    assert_eq!(output.status.code(), Some(1), "{said}");
    // Each error points at the page's title: line 4 after Paging.md's front matter.
    for (page, line) in [(&paging, 4), (&misnamed, 1)] {
        let error = format!(
            "error: {}:{line}: expected a UCWA reference page",
            page.display()
        );
        assert!(said.contains(&error), "expected {error:?} in: {said}");
    }
    assert!(
        said.contains("title `Paging results` is not a name"),
        "says why: {said}"
    );
    assert!(said.contains("3 pages read, 1 documents written"), "{said}");
    assert!(
        out.join("widget.yaml").is_file(),
        "the reference page is still written"
    );

    // Builder::pages follows the same rule.
    let built = Builder::new()
        .pages(&paging)
        .out_dir(work.path().join("built"))
        .rerun_directives(false)
        .generate();
    let error = built.expect_err("a named concept page is an error");
    assert_eq!(error.file(), paging);
    assert_eq!(error.line(), Some(4));
}

#[test]
fn builder_pages_keeps_the_reference_pages_of_a_tree() {
    let work = tempfile::tempdir().expect("tempdir");
    let tree = own_tree(&work.path().join("skype-docs"));
    let generated = Builder::new()
        .pages(&tree.clone)
        .out_dir(work.path().join("built"))
        .rerun_directives(false)
        .generate()
        .expect("the tree generates");
    assert_eq!(generated.documents, tree.reference.len());
    let mut skipped: Vec<&PathBuf> = generated.skipped.iter().map(|s| &s.path).collect();
    skipped.sort();
    let mut other: Vec<&PathBuf> = tree.other.iter().collect();
    other.sort();
    assert_eq!(skipped, other);
    for page in tree.reference.iter().chain(&tree.other) {
        assert!(
            generated.inputs.contains(page),
            "{} is an input: editing it may change what is generated",
            page.display()
        );
    }
}

/// One command of the README's published-docs block.
#[derive(Debug)]
enum Step {
    Clone { url: String, dest: String },
    Codegen(Vec<String>),
    CargoTestIn(String),
}

const CODEGEN: &str = "cargo run --release -p ucwa-codegen -- ";

fn parse_step(line: &str) -> Step {
    if let Some(args) = line.strip_prefix(CODEGEN) {
        return Step::Codegen(args.split_whitespace().map(String::from).collect());
    }
    if let Some(rest) = line.strip_prefix("git clone ") {
        let mut positional = Vec::new();
        let mut words = rest.split_whitespace();
        while let Some(word) = words.next() {
            match word {
                "--depth" | "--branch" | "-b" => {
                    words.next();
                }
                flag if flag.starts_with('-') => {}
                _ => positional.push(word.to_string()),
            }
        }
        if let [url, dest] = &positional[..] {
            return Step::Clone {
                url: url.clone(),
                dest: dest.clone(),
            };
        }
    }
    if let Some(inner) = line
        .strip_prefix("(cd ")
        .and_then(|l| l.strip_suffix(" && cargo test)"))
    {
        return Step::CargoTestIn(inner.to_string());
    }
    panic!("the README runs `{line}`, which this test does not know how to run: teach it, so the README stays tested");
}

/// The sh block under the README's "Point it at the published docs".
fn readme_steps() -> Vec<Step> {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|section| section.starts_with("Point it at the published docs"))
        .expect("the README has a `Point it at the published docs` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has an sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(parse_step)
        .collect()
}

/// The README's commands, run as written from a stand-in for this
/// repository's root, with the clone replaced by a tree of pages in the
/// published repository's shape. `cargo run --release -p ucwa-codegen --` is
/// the binary under test. The stand-in root has a workspace manifest, as this
/// repository does, so a crate written inside it would fail to build here
/// as it would for a user.
#[test]
fn the_readme_commands_work_on_the_repository_as_cloned() {
    let steps = readme_steps();
    assert!(
        matches!(steps.first(), Some(Step::Clone { .. })),
        "the block starts by cloning: {steps:?}"
    );
    let work = tempfile::tempdir().expect("tempdir");
    let repository = work.path().join("ucwa-codegen");
    write(
        &repository.join("Cargo.toml"),
        b"[workspace]\nmembers = []\n",
    );
    let mut tree = None;
    let mut extracted = false;
    let mut tested = false;
    for step in steps {
        match step {
            Step::Clone { url, dest } => {
                assert_eq!(url, PUBLISHED_REPOSITORY, "the repository to clone");
                tree = Some(own_tree(&repository.join(dest)));
            }
            Step::Codegen(args) => {
                let tree = tree.as_ref().expect("the clone comes first");
                let args: Vec<&Path> = args.iter().map(Path::new).collect();
                let (output, said) = codegen(&args, &repository);
                assert!(output.status.success(), "{args:?}: {said}");
                if args.first() == Some(&Path::new("extract")) {
                    let summary = format!(
                        "{} documents written to {}, {} skipped as not reference pages",
                        tree.reference.len(),
                        args[args.len() - 1].display(),
                        tree.other_under(&repository.join(args[1]))
                    );
                    assert!(said.contains(&summary), "expected {summary:?} in: {said}");
                    extracted = true;
                }
            }
            Step::CargoTestIn(dir) => {
                let dir = repository.join(dir);
                // The workspace's lock file pins the versions the runtime is
                // tested with, and the shared target dir (the one
                // tests/emit_compile.rs uses, with its flags) reuses their builds.
                fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
                    dir.join("Cargo.lock"),
                )
                .expect("the generated crate is there");
                let output = run_bounded(
                    Command::new(env!("CARGO"))
                        .arg("test")
                        .current_dir(&dir)
                        .env(
                            "CARGO_TARGET_DIR",
                            std::env::temp_dir().join("ucwa-codegen-emit-target"),
                        )
                        .env("RUSTFLAGS", "-D warnings")
                        .env("RUSTDOCFLAGS", "-D warnings"),
                    CARGO_TEST,
                );
                assert!(
                    output.status.success(),
                    "cargo test in {}:\n{}{}",
                    dir.display(),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
                tested = true;
            }
        }
    }
    assert!(
        extracted && tested,
        "the README extracts and tests the crate"
    );
}
