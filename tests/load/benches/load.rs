//! The load bench: 200 applications sign in to the mock in session mode at
//! once over loopback, each reads its feed of 32 numbered events and stays
//! signed in with its event channel open; then the resident memory of both
//! processes is read (the mock runs in a child process: this binary again,
//! with `UCWA_LOAD_ROLE=mock`), and everyone signs out.
//!
//! ```sh
//! cargo bench -p ucwa-load --bench load
//! # UCWA_LOAD_APPLICATIONS=200 UCWA_LOAD_SEQUENTIAL=20 UCWA_LOAD_LOSE_EVERY=0
//! ```
//!
//! It prints the machine, the figures of BENCHMARKS.md ("Load") and every
//! failure; it exits non-zero when an application failed or a feed was wrong.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use ucwa_load::{
    check_feed, check_quiet, feed_page, mock_config, rss_kib, run_all, run_one, sign_in,
    sign_out_all, Latencies, DISCOVERY_HOST, FEED_EVENTS,
};

const ROLE: &str = "UCWA_LOAD_ROLE";
/// The mock process ends by itself after this long, whatever happens.
const MOCK_LIFETIME: Duration = Duration::from_secs(900);

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("mock") {
        mock_process();
    } else if let Err(failure) = bench() {
        eprintln!("load bench failed: {failure}");
        std::process::exit(1);
    }
}

/// The mock's side: serves the feed in session mode, prints each host's
/// URL and `ready`; answers `report` on stdin with its counts; ends at EOF.
fn mock_process() {
    let applications = setting("UCWA_LOAD_APPLICATIONS", 200);
    let lose_every = setting("UCWA_LOAD_LOSE_EVERY", 0) as u32;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let transcript = ucwa_mock::Transcript::read([feed_page()]).expect("the feed page");
        let mock = ucwa_mock::MockServer::start(transcript, mock_config(applications, lose_every))
            .await
            .expect("the mock starts");
        for host in mock.hosts() {
            println!("host {} {}", host.authority, host.base_url);
        }
        println!("ready");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            tokio::io::stdin(),
        ));
        let deadline = tokio::time::sleep(MOCK_LIFETIME);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(line)) if line.trim() == "report" => {
                        let counts = mock.session_counts();
                        println!(
                            "report open={} started={} deleted={} expired={} refused={} lost={} redelivered={} mismatches={}",
                            counts.open, counts.started, counts.deleted, counts.expired, counts.refused,
                            counts.lost_event_answers, counts.redelivered_event_answers, mock.mismatches().len()
                        );
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                },
                _ = &mut deadline => break,
            }
        }
        mock.shutdown().await;
    });
}

/// The mock child process and its pipes.
struct MockProcess {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl MockProcess {
    fn start(applications: usize, lose_every: usize) -> Result<(MockProcess, String), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .env(ROLE, "mock")
            .env("UCWA_LOAD_APPLICATIONS", applications.to_string())
            .env("UCWA_LOAD_LOSE_EVERY", lose_every.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the mock: {e}"))?;
        let input = child.stdin.take().ok_or("no stdin")?;
        let output = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut mock = MockProcess {
            child,
            input,
            output,
        };
        let mut discovery = None;
        loop {
            let line = mock.line()?;
            if line == "ready" {
                break;
            }
            if let Some(["host", authority, url]) = line.split(' ').collect::<Vec<_>>().get(..3) {
                if *authority == DISCOVERY_HOST {
                    discovery = Some(format!("{url}/"));
                }
            }
        }
        let discovery = discovery.ok_or("the mock has no discovery host")?;
        Ok((mock, discovery))
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.output.read_line(&mut line) {
            Ok(0) => Err("the mock process ended".into()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(error) => Err(format!("reading the mock: {error}")),
        }
    }

    fn report(&mut self) -> Result<String, String> {
        writeln!(self.input, "report").map_err(|e| e.to_string())?;
        self.line()
    }

    fn rss_kib(&self) -> Option<u64> {
        rss_kib(Some(self.child.id()))
    }

    fn stop(mut self) {
        drop(self.input);
        let _ = self.child.wait();
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    })
}

/// (after − before) / count, in KiB.
fn per(after: Option<u64>, before: Option<u64>, count: usize) -> String {
    match (after, before) {
        (Some(after), Some(before)) if count > 0 => {
            format!("{:.1} KiB", (after as f64 - before as f64) / count as f64)
        }
        _ => "n/a".into(),
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn latency_row(name: &str, latencies: Option<Latencies>) {
    match latencies {
        Some(l) => println!(
            "| {name} | {} | {} | {} | {} |",
            ms(l.p50),
            ms(l.p95),
            ms(l.max),
            ms(l.mean)
        ),
        None => println!("| {name} | n/a | n/a | n/a | n/a |"),
    }
}

fn first_line(path: &str, key: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with(key))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".into())
}

fn bench() -> Result<(), String> {
    let applications = setting("UCWA_LOAD_APPLICATIONS", 200);
    let sequential = setting("UCWA_LOAD_SEQUENTIAL", 20);
    let lose_every = setting("UCWA_LOAD_LOSE_EVERY", 0);
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    println!(
        "machine: {} cores, {}, {} RAM; {date}; load average {} at the start",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        first_line("/proc/cpuinfo", "model name"),
        first_line("/proc/meminfo", "MemTotal"),
        load_average()
    );
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let client_start = rss_kib(None);
    let (mut mock, discovery) = MockProcess::start(applications, lose_every)?;
    let mock_start = mock.rss_kib();
    let wait = Duration::from_secs(60);

    // Warm-up: one application end to end, so that one-time set-up is not
    // counted per session.
    runtime.block_on(async {
        let run = run_one(&discovery, 999_999, wait).await?;
        run.session.sign_out().await.map_err(|e| e.to_string())
    })?;
    std::thread::sleep(Duration::from_millis(500));
    let (client_zero, mock_zero) = (rss_kib(None), mock.rss_kib());

    // Sign-in latency one at a time.
    let one_at_a_time = runtime.block_on(async {
        let mut latencies = Vec::new();
        for index in 0..sequential {
            let started = Instant::now();
            let session = sign_in(&discovery, 1_000_000 + index)
                .await
                .map_err(|e| e.to_string())?;
            latencies.push(started.elapsed());
            session.sign_out().await.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(latencies)
    })?;

    // All at once.
    let mut outcome = runtime.block_on(run_all(&discovery, applications, wait));
    let wrong_feeds: Vec<String> = outcome
        .runs
        .iter()
        .filter_map(|run| check_feed(run.index, &run.notes).err())
        .collect();
    // Every pending GET is held now: the sessions are idle.
    std::thread::sleep(Duration::from_secs(2));
    let (client_idle, mock_idle) = (rss_kib(None), mock.rss_kib());
    let repeated: Vec<String> = runtime
        .block_on(futures_util::future::join_all(outcome.runs.iter_mut().map(
            |run| check_quiet(run.index, &mut run.events, Duration::from_secs(1)),
        )))
        .into_iter()
        .filter_map(Result::err)
        .collect();
    let report_idle = mock.report()?;
    let signed_in = outcome.runs.len();
    let sign_ins = Latencies::of(outcome.runs.iter().map(|run| run.sign_in).collect());
    let feeds = Latencies::of(outcome.runs.iter().map(|run| run.feed).collect());
    let runs = std::mem::take(&mut outcome.runs);
    let started = Instant::now();
    let sign_out_failures = runtime.block_on(sign_out_all(runs));
    let sign_out_wall = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let report_end = mock.report()?;
    let (client_end, mock_end) = (rss_kib(None), mock.rss_kib());
    mock.stop();

    println!(
        "\napplications: {applications} at once, {FEED_EVENTS} events each; lost events answers: {}",
        if lose_every == 0 { "none".to_string() } else { format!("every {lose_every}th") }
    );
    println!(
        "signed in and read their feeds: {signed_in}; failed: {}; wrong feeds: {}; events after the feed: {}; sign-out failures: {}",
        outcome.failures.len(),
        wrong_feeds.len(),
        repeated.len(),
        sign_out_failures.len()
    );
    println!(
        "wall time, first sign-in to last feed event: {}; events delivered: {}; throughput: {:.0} sign-ins/s, {:.0} events/s",
        ms(outcome.wall),
        signed_in * FEED_EVENTS,
        signed_in as f64 / outcome.wall.as_secs_f64(),
        (signed_in * FEED_EVENTS) as f64 / outcome.wall.as_secs_f64()
    );
    println!("sign-out of all, at once: {}", ms(sign_out_wall));
    println!("mock with the sessions idle: {report_idle}");
    println!("mock after sign-out:        {report_end}");
    println!("\n| latency | p50 | p95 | max | mean |\n|---|---:|---:|---:|---:|");
    latency_row(
        &format!("sign-in, one at a time ({sequential})"),
        Latencies::of(one_at_a_time),
    );
    latency_row(&format!("sign-in, {applications} at once"), sign_ins);
    latency_row("event channel start to the 32nd event", feeds);
    println!("\n| resident memory | client process | mock process |\n|---|---:|---:|");
    println!("| at start | {} | {} |", mib(client_start), mib(mock_start));
    println!(
        "| after one warm-up application, 0 sessions | {} | {} |",
        mib(client_zero),
        mib(mock_zero)
    );
    println!(
        "| {signed_in} idle sessions (event channels open) | {} | {} |",
        mib(client_idle),
        mib(mock_idle)
    );
    println!(
        "| per idle session | {} | {} |",
        per(client_idle, client_zero, signed_in),
        per(mock_idle, mock_zero, signed_in)
    );
    println!(
        "| after everyone signed out | {} | {} |",
        mib(client_end),
        mib(mock_end)
    );
    println!("\nload average at the end: {}", load_average());
    let problems: Vec<String> = outcome
        .failures
        .iter()
        .map(|(index, failure)| format!("application {index}: {failure}"))
        .chain(wrong_feeds)
        .chain(repeated)
        .chain(
            sign_out_failures
                .iter()
                .map(|(index, failure)| format!("application {index}: sign-out: {failure}")),
        )
        .collect();
    for problem in problems.iter().take(20) {
        println!("problem: {problem}");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{} problems", problems.len()))
    }
}
