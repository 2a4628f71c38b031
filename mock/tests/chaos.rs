//! `conform --chaos SEED`: every fault kind injected between the documented
//! steps at seeded points; ucwa-client recovers and every step stays as it
//! is without faults. Our own flow always runs; the shared task pages with
//! event channel steps run when `../shared/ucwa-tasks` is there.

mod common;

use common::{fixture, pages_in, shared_tasks, RENDERINGS};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use ucwa_mock::conform::{run, run_with_chaos, Report};
use ucwa_mock::{Fault, StepKind, Transcript};

async fn chaos(pages: &[PathBuf], seed: u64) -> Report {
    let transcript = Transcript::read(pages).expect("the pages");
    tokio::time::timeout(Duration::from_secs(120), run_with_chaos(transcript, seed))
        .await
        .expect("the run ends in time")
        .expect("the run starts")
}

async fn plain(pages: &[PathBuf]) -> Report {
    let transcript = Transcript::read(pages).expect("the pages");
    tokio::time::timeout(Duration::from_secs(120), run(transcript))
        .await
        .expect("the run ends in time")
        .expect("the run starts")
}

fn verdicts(report: &Report) -> Vec<String> {
    report.steps.iter().map(ToString::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_on_our_flow_leaves_every_step_ok() {
    let pages = [fixture("conform_flow.md")];
    for seed in 1..=5 {
        let report = chaos(&pages, seed).await;
        assert_eq!(
            report.summary(),
            "conformance: 18/18 steps ok",
            "seed {seed}: {:#?}",
            verdicts(&report)
        );
        let kinds: BTreeSet<Fault> = report.faults.iter().map(|fault| fault.fault).collect();
        assert_eq!(
            kinds.len(),
            Fault::ALL.len(),
            "seed {seed}: every kind once"
        );
        for fault in &report.faults {
            let line = fault.to_string();
            assert!(line.contains(" fault: "), "{line}");
            assert!(fault.outcome.starts_with("met "), "seed {seed}: {line}");
            // A re-created application has a new id, and the client went on
            // under it (its requests with the old one would be mismatches).
            if matches!(fault.fault, Fault::ApplicationExpired | Fault::Restart) {
                let moved = fault
                    .outcome
                    .split("application created again: ")
                    .nth(1)
                    .and_then(|rest| rest.split(';').next())
                    .and_then(|moved| moved.split_once(" -> "))
                    .unwrap_or_else(|| panic!("seed {seed}: no new application: {line}"));
                assert_ne!(moved.0, moved.1, "seed {seed}: {line}");
            }
            assert!(
                fault.outcome.ends_with(": ok")
                    || fault.outcome.ends_with("ok (no documented answer)"),
                "seed {seed}: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_alone_decides_where_the_faults_go() {
    let pages = [fixture("conform_flow.md")];
    let points = |report: &Report| -> Vec<String> {
        report
            .faults
            .iter()
            .map(|fault| format!("{} {}", fault.location, fault.fault))
            .collect()
    };
    let first = chaos(&pages, 7).await;
    let again = chaos(&pages, 7).await;
    assert_eq!(points(&first), points(&again));
    let other = chaos(&pages, 8).await;
    let third = chaos(&pages, 9).await;
    assert!(
        points(&first) != points(&other) || points(&first) != points(&third),
        "seeds 7, 8, 9 all chose the same points"
    );
}

/// Runs `page` without faults and with chaos seeds 1–3: the verdicts must
/// be the same, and every seeded run must inject faults. `None` when the
/// page has no event channel step; else how many faults were injected.
async fn as_without_faults(page: &std::path::Path, what: &str) -> Option<usize> {
    let transcript = Transcript::read([page]).ok()?;
    if !transcript
        .steps()
        .any(|(_, step)| step.kind == StepKind::Event)
    {
        return None;
    }
    let pages = [page.to_path_buf()];
    let expected = verdicts(&plain(&pages).await);
    let mut faults = 0;
    for seed in 1..=3 {
        let report = chaos(&pages, seed).await;
        assert_eq!(verdicts(&report), expected, "{what}, seed {seed}");
        assert!(!report.faults.is_empty(), "{what}, seed {seed}");
        faults += report.faults.len();
    }
    Some(faults)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_pages_with_event_channel_steps_are_as_without_faults() {
    let Some(dir) = shared_tasks() else {
        return;
    };
    let mut checked = 0;
    for page in pages_in(&dir) {
        if as_without_faults(&page, &page.display().to_string())
            .await
            .is_some()
        {
            checked += 1;
        }
    }
    assert!(checked > 0, "no shared page has event channel steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_renderings_of_the_event_pages_recover_alike() {
    let Some(dir) = shared_tasks() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let (mut runs, mut faults) = (0, 0);
    for page in pages_in(&dir) {
        let Ok(text) = std::fs::read_to_string(&page) else {
            continue;
        };
        let name = page
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        for (rendering, render) in RENDERINGS {
            let path = work.path().join(format!("{rendering}-{name}"));
            std::fs::write(&path, render(&text)).expect("the variant");
            if let Some(injected) =
                as_without_faults(&path, &format!("{rendering} of {name}")).await
            {
                faults += injected;
                runs += 3;
            }
        }
    }
    assert!(runs > 0, "no rendering has event channel steps");
    println!(
        "{runs} chaos runs over other renderings, {faults} faults, verdicts as without faults"
    );
}

#[test]
fn the_command_prints_a_line_per_fault_and_exits_by_the_documented_steps() {
    let output = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .args(["conform", "--chaos", "3"])
        .arg(fixture("conform_flow.md"))
        .output()
        .expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let faults: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(" fault: "))
        .collect();
    assert_eq!(faults.len(), Fault::ALL.len(), "{stdout}");
    let last: Vec<&str> = stdout.lines().rev().take(2).collect();
    assert_eq!(last[0], "conformance: 18/18 steps ok");
    assert_eq!(last[1], "chaos: seed 3: 7 faults injected (7 kinds)");
}

#[test]
fn serve_refuses_a_fault_it_does_not_know() {
    for bad in ["nope@3", "restart", "restart@0", "pget-replaced@x"] {
        let output = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
            .args(["serve", "--fault", bad])
            .arg(fixture("conform_flow.md"))
            .output()
            .expect("the command runs");
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--fault"), "{bad}: {stderr}");
    }
}
