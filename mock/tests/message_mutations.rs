//! The message reader proved by mutation: every documented request and
//! answer of `../shared` (reference pages and task transcripts), its start
//! line damaged one way at a time: a request line written twice, a status
//! line written twice, a status line deleted. The page read again must give
//! the same steps as the undamaged page (requests, statuses, headers, bodies)
//! in at least [`REQUIRED_SHARE`] of the damaged messages, every such
//! recovery must be a repair named on the damaged line, and steps that
//! differ must never come without one.
//!
//! The figures are printed (`cargo test -p ucwa-mock --test message_mutations -- --nocapture`)
//! and stated in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::path::PathBuf;
use ucwa_mock::{Page, Repair, RepairKind, Step};

/// The share of damaged messages whose page must read as the original.
const REQUIRED_SHARE: f64 = 0.95;
/// At least this many damaged messages, so that the share means something.
const AT_LEAST: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Damage {
    RequestLineDoubled,
    StatusLineDoubled,
    StatusLineDeleted,
}

impl Damage {
    /// The repair that must name the damaged line.
    fn repair(self) -> RepairKind {
        match self {
            Damage::RequestLineDoubled | Damage::StatusLineDoubled => RepairKind::RepeatedStartLine,
            Damage::StatusLineDeleted => RepairKind::ImpliedStatusLine,
        }
    }
}

fn shared(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(name);
    dir.is_dir().then_some(dir)
}

/// A step without its places: what a client is served and compared with.
fn shape(step: &Step) -> String {
    let request = step.request.as_ref().map(|request| {
        (
            &request.method,
            &request.target,
            &request.headers,
            &request.body,
        )
    });
    let response = step
        .response
        .as_ref()
        .map(|response| (response.status, &response.headers, &response.body));
    format!("{:?} {request:?} {response:?}", step.kind)
}

fn shapes(page: &Page) -> Vec<String> {
    page.steps.iter().map(shape).collect()
}

/// The page text with line `line` (1-based) doubled or deleted.
fn damaged(text: &str, line: usize, damage: Damage) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let at = line - 1;
    match damage {
        Damage::StatusLineDeleted => {
            lines.remove(at);
        }
        Damage::RequestLineDoubled | Damage::StatusLineDoubled => {
            let copy = lines[at];
            lines.insert(at, copy);
        }
    }
    lines.join("\n")
}

/// Whether a repair of `kind` names the damaged line (a doubled line's copy
/// is the line after it; a deleted status line's repair names what follows).
fn named(repairs: &[Repair], kind: RepairKind, line: usize) -> bool {
    repairs
        .iter()
        .any(|repair| repair.kind == kind && repair.location.line.abs_diff(line) <= 1)
}

#[derive(Default)]
struct Tally {
    damaged: usize,
    equal: usize,
    different_with_repair: usize,
    silent: usize,
}

#[test]
fn start_line_damage_is_repaired_to_the_original() {
    let dirs: Vec<PathBuf> = ["ucwa", "ucwa-tasks"]
        .iter()
        .filter_map(|name| shared(name))
        .collect();
    if dirs.is_empty() {
        eprintln!(
            "../shared/ucwa and ../shared/ucwa-tasks not found: message mutation test skipped"
        );
        return;
    }
    let mut tallies: BTreeMap<Damage, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for dir in dirs {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("shared directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("page");
            let name = path.display().to_string();
            let original = Page::parse(&name, &text);
            let expected = shapes(&original);
            let lines: Vec<&str> = text.split('\n').collect();
            // A response reused by several steps ("Same as ...") is damaged once.
            let mut damages = std::collections::BTreeSet::new();
            for step in &original.steps {
                if let Some(request) = &step.request {
                    damages.insert((request.location.line, Damage::RequestLineDoubled));
                }
                if let Some(response) = &step.response {
                    // Only a status line the page shows (not one a repair implied).
                    let line = response.location.line;
                    let shown = lines
                        .get(line - 1)
                        .is_some_and(|text| text.trim_start().starts_with("HTTP/"));
                    if shown {
                        damages.insert((line, Damage::StatusLineDoubled));
                        damages.insert((line, Damage::StatusLineDeleted));
                    }
                }
            }
            for (line, damage) in damages {
                let page = Page::parse(&name, &damaged(&text, line, damage));
                let tally = tallies.entry(damage).or_default();
                tally.damaged += 1;
                let repaired = named(&page.repairs, damage.repair(), line);
                if shapes(&page) == expected && repaired {
                    tally.equal += 1;
                } else if repaired {
                    tally.different_with_repair += 1;
                    failures.push(format!("{name}:{line} {damage:?}: steps differ"));
                } else {
                    tally.silent += 1;
                    failures.push(format!("{name}:{line} {damage:?}: no repair names it"));
                }
            }
        }
    }
    let total = tallies.values().fold(Tally::default(), |sum, tally| Tally {
        damaged: sum.damaged + tally.damaged,
        equal: sum.equal + tally.equal,
        different_with_repair: sum.different_with_repair + tally.different_with_repair,
        silent: sum.silent + tally.silent,
    });
    let percent = |part: usize, whole: usize| 100.0 * part as f64 / whole.max(1) as f64;
    println!("damage | damaged | as the original | differs, with a repair | no repair");
    for (damage, tally) in &tallies {
        println!(
            "{damage:?} | {} | {} ({:.1} %) | {} | {}",
            tally.damaged,
            tally.equal,
            percent(tally.equal, tally.damaged),
            tally.different_with_repair,
            tally.silent
        );
    }
    println!(
        "all | {} | {} ({:.1} %) | {} | {}",
        total.damaged,
        total.equal,
        percent(total.equal, total.damaged),
        total.different_with_repair,
        total.silent
    );
    for failure in failures.iter().take(40) {
        println!("  {failure}");
    }
    assert!(
        total.damaged >= AT_LEAST,
        "only {} damaged messages",
        total.damaged
    );
    assert!(
        total.equal as f64 >= REQUIRED_SHARE * total.damaged as f64,
        "{:.1} % read as the original",
        percent(total.equal, total.damaged)
    );
}
