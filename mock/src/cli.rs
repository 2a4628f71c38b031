//! The `ucwa-mock` command line.

use crate::{Fault, MockConfig, MockServer, SessionConfig, StepKind, StepOutcome, Transcript};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A mock UCWA 2.0 server that replays documented task transcripts over loopback HTTP.
#[derive(Debug, Parser)]
#[command(name = "ucwa-mock", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the pages' transcripts until Ctrl-C: one loopback listener per documented host.
    Serve {
        /// Task pages (markdown), replayed in this order.
        #[arg(required = true)]
        pages: Vec<PathBuf>,
        /// Loopback address of the first documented host; further hosts take the
        /// next ports (or ephemeral ones when the port is 0).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Seconds a pending GET on the event channel is held when no event is due.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        hold_timeout: u64,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 1024 * 1024, value_parser = at_least_one)]
        body_limit: usize,
        /// Session mode: each client that signs in gets its own replay of the
        /// pages, so that many can run them at once.
        #[arg(long)]
        sessions: bool,
        /// Inject a fault just before the Nth request the mock receives
        /// (counting from 1): `application-expired@12`, `pget-replaced@7`,
        /// `token-challenged@N`, `token-refused@N`, `connection-dropped@N`,
        /// `service-unavailable@N`, `restart@N`. Repeatable.
        #[arg(long = "fault", value_name = "KIND@N", value_parser = scheduled_fault)]
        faults: Vec<(Fault, u64)>,
    },
    /// Drive ucwa-client through every documented request of the pages with
    /// the typed operations, against the mock serving them on loopback: one
    /// line per step (`page:line METHOD path: ok`, `… mismatch: …` or
    /// `… skipped: reason`), then `conformance: N/M steps ok`. Each page is
    /// its own session, as the pages were captured (`conform tasks/*.md`);
    /// `--flow` runs them as one. Exit status 0 only when every step is ok,
    /// 1 otherwise, 2 when the run cannot start.
    Conform {
        /// Task pages (markdown); each is run as a transcript of its own, and
        /// a page that documents no request is noted and left out.
        #[arg(required = true)]
        pages: Vec<PathBuf>,
        /// Run the pages in this order as one transcript, one session through
        /// all of them (`conform CreateAnApplication.md SendAnIM.md --flow`).
        #[arg(long)]
        flow: bool,
        /// What every run does now: each page on its own (kept so that
        /// scripts written for earlier versions still run).
        #[arg(long, hide = true, conflicts_with = "flow")]
        each: bool,
        /// Inject every fault kind between the documented steps at points
        /// this seed chooses; one line per fault says which request it met
        /// and what the client did (`page:line fault: KIND: …`). The summary
        /// still counts the documented steps.
        #[arg(long, value_name = "SEED")]
        chaos: Option<u64>,
    },
}

/// `KIND@N`: a fault and the request it goes before.
fn scheduled_fault(text: &str) -> Result<(Fault, u64), String> {
    let (kind, at) = text
        .split_once('@')
        .ok_or_else(|| format!("{text:?}: expected KIND@N, e.g. application-expired@12"))?;
    let fault = kind.parse::<Fault>()?;
    match at.parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("{at:?}: N is a request number, at least 1")),
        Ok(at) => Ok((fault, at)),
    }
}

/// A size of at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("it is at least 1".into()),
        Ok(size) => Ok(size),
        Err(error) => Err(error.to_string()),
    }
}

/// Runs the command line; the exit status.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let (pages, listen, hold_timeout, body_limit, sessions, faults) = match cli.command {
        Command::Serve {
            pages,
            listen,
            hold_timeout,
            body_limit,
            sessions,
            faults,
        } => (pages, listen, hold_timeout, body_limit, sessions, faults),
        Command::Conform {
            pages, flow, chaos, ..
        } => return conform(pages, !flow, chaos),
    };
    init_tracing("info");
    let config = MockConfig {
        listen,
        hold_timeout: Duration::from_secs(hold_timeout),
        body_limit,
        sessions: sessions.then(SessionConfig::default),
        ..MockConfig::default()
    };
    let Some(runtime) = runtime() else {
        return std::process::ExitCode::FAILURE;
    };
    match runtime.block_on(serve(pages, config, faults)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            None
        }
    }
}

/// `ucwa-mock conform`: the report on standard output, the exit status.
fn conform(pages: Vec<PathBuf>, each: bool, chaos: Option<u64>) -> std::process::ExitCode {
    // The report says what went wrong; the mock's and the client's own
    // diagnostics only when RUST_LOG asks for them.
    init_tracing("error");
    let Some(runtime) = runtime() else {
        return std::process::ExitCode::from(2);
    };
    let runs: Vec<Vec<PathBuf>> = match each {
        true => pages.into_iter().map(|page| vec![page]).collect(),
        false => vec![pages],
    };
    let mut total = crate::conform::Report::default();
    for run in &runs {
        let report = Transcript::read(run).map(|transcript| match chaos {
            Some(seed) => runtime.block_on(crate::conform::run_with_chaos(transcript, seed)),
            None => runtime.block_on(crate::conform::run(transcript)),
        });
        match report.and_then(|report| report) {
            Ok(report) => {
                let page = match each {
                    true => format!("{}: ", run[0].display()),
                    false => String::new(),
                };
                for note in &report.notes {
                    println!("note: {page}{note}");
                }
                for step in &report.steps {
                    println!("{step}");
                }
                for fault in &report.faults {
                    println!("{fault}");
                }
                total.steps.extend(report.steps);
                total.faults.extend(report.faults);
            }
            // Page by page, pages beside the transcripts (a library reference,
            // a README) are expected: say so and go on.
            Err(crate::Error::NothingToServe) if each => {
                println!(
                    "note: {}: no request or event documented: not run",
                    run[0].display()
                );
            }
            Err(error) => {
                eprintln!("error: {error}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    if total.steps.is_empty() {
        eprintln!("error: {}", crate::Error::NothingToServe);
        return std::process::ExitCode::from(2);
    }
    if let Some(seed) = chaos {
        let kinds: std::collections::BTreeSet<Fault> =
            total.faults.iter().map(|fault| fault.fault).collect();
        println!(
            "chaos: seed {seed}: {} faults injected ({} kinds)",
            total.faults.len(),
            kinds.len()
        );
    }
    println!("{}", total.summary());
    match total.passed() {
        true => std::process::ExitCode::SUCCESS,
        false => std::process::ExitCode::FAILURE,
    }
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR"),
        ))
        .try_init();
}

/// Colour codes only on a terminal, and never with `NO_COLOR` set to
/// anything but the empty string (no-color.org): a log piped to a file or
/// a CI log stays plain text.
fn colours(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

async fn serve(
    pages: Vec<PathBuf>,
    config: MockConfig,
    faults: Vec<(Fault, u64)>,
) -> Result<(), crate::Error> {
    let transcript = Transcript::read(&pages)?;
    for page in transcript.pages() {
        let events = page
            .steps
            .iter()
            .filter(|step| step.kind == StepKind::Event)
            .count();
        println!(
            "page {}: {} steps ({} on the event channel), {} blocks that are no step",
            page.file,
            page.steps.len(),
            events,
            page.skipped.len()
        );
        for step in &page.steps {
            match (&step.response, step.kind) {
                (None, _) => println!(
                    "no response: {}: {}: answered 501",
                    step.location,
                    step.summary()
                ),
                (Some(response), StepKind::Event) => println!(
                    "step: {}: {} (event channel): {}",
                    step.location,
                    step.summary(),
                    response.status
                ),
                (Some(response), StepKind::Command) => println!(
                    "step: {}: {}: {}",
                    step.location,
                    step.summary(),
                    response.status
                ),
            }
        }
    }
    for repair in transcript.repairs() {
        println!("repair: {repair}");
    }
    let slots = crate::ids::IdSlots::read(&transcript);
    println!(
        "ids: a path segment after one of these is a generated id: {}",
        slots.collections().join(", ")
    );
    for alias in crate::ids::aliases(&transcript) {
        println!("id: {alias}");
    }
    if config.sessions.is_some() {
        println!("mode: sessions (a replay per signed-in client)");
    }
    let mock = MockServer::start(transcript, config).await?;
    for (fault, at) in faults {
        mock.schedule_fault(at, fault)?;
        println!("fault: {fault} before request {at}");
    }
    for binding in mock.hosts() {
        let host = if binding.authority.is_empty() {
            "(any host)"
        } else {
            &binding.authority
        };
        println!("host: {host} -> {}", binding.base_url);
    }
    println!("serving; Ctrl-C stops");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {error}");
    }
    let outcomes = mock.outcomes();
    let served = outcomes
        .iter()
        .filter(|(_, outcome)| *outcome == StepOutcome::Served)
        .count();
    let mismatches = mock.mismatches();
    for mismatch in &mismatches {
        println!("mismatch: {mismatch}");
    }
    for fired in mock.fired_faults() {
        println!("fault injected: {}: met {}", fired.fault, fired.request);
    }
    println!(
        "served {served}/{} steps, {} mismatches",
        outcomes.len(),
        mismatches.len()
    );
    mock.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::colours;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some("".into())));
        assert!(!colours(true, Some("1".into())));
        assert!(!colours(false, None));
    }
}
