//! Named points in the write path where the tests can stop or fail the real
//! binary, to prove that a process killed, or a disk filling up, at that
//! point loses nothing.
//!
//! They exist only in builds with debug assertions (tests, `cargo run`);
//! a release build compiles [`point`] to nothing. In a debug build the
//! environment variable `UCWA_CODEGEN_FAULT` is read once, as a
//! comma-separated list of `STEP[#N]=ACTION`: at the Nth time (default the
//! first) the write path reaches `STEP`, ACTION happens:
//!
//! - `pause`: print `ucwa-codegen fault: paused at STEP#N` on stderr and wait
//!   to be killed (aborting by itself after 60 s, so nothing hangs);
//! - `sleep:MS`: print `ucwa-codegen fault: sleeping at STEP#N`, wait MS
//!   milliseconds, then go on;
//! - `enospc`: fail as a full disk does.
//!
//! The steps: `write` (a staged file is written), `locked` (the directory
//! lock is taken for the commit), `swapping` (the journal says files are
//! being moved), `moved` (one file was put in place), `set-aside` (one old
//! file was moved into the journal), `committed` (the new manifest is in
//! place), and `restored` (a rollback put one file back).

use std::io;

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_step: &str) -> io::Result<()> {
    Ok(())
}

#[cfg(debug_assertions)]
pub fn point(step: &str) -> io::Result<()> {
    enabled::point(step)
}

#[cfg(debug_assertions)]
mod enabled {
    use std::collections::HashMap;
    use std::io::{self, Write};
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    const VARIABLE: &str = "UCWA_CODEGEN_FAULT";

    #[derive(Debug, Clone, PartialEq)]
    enum Action {
        Pause,
        Sleep(Duration),
        NoSpace,
    }

    struct Plan {
        faults: Vec<(String, usize, Action)>,
        reached: Mutex<HashMap<String, usize>>,
    }

    fn plan() -> &'static Plan {
        static PLAN: OnceLock<Plan> = OnceLock::new();
        PLAN.get_or_init(|| Plan {
            faults: std::env::var(VARIABLE)
                .map(|text| parse(&text))
                .unwrap_or_default(),
            reached: Mutex::new(HashMap::new()),
        })
    }

    fn parse(text: &str) -> Vec<(String, usize, Action)> {
        text.split(',')
            .filter_map(|fault| {
                let (at, action) = fault.trim().split_once('=')?;
                let (step, nth) = match at.split_once('#') {
                    Some((step, nth)) => (step, nth.parse().ok()?),
                    None => (at, 1),
                };
                let action = match action {
                    "pause" => Action::Pause,
                    "enospc" => Action::NoSpace,
                    _ => Action::Sleep(Duration::from_millis(
                        action.strip_prefix("sleep:")?.parse().ok()?,
                    )),
                };
                Some((step.to_string(), nth, action))
            })
            .collect()
    }

    pub fn point(step: &str) -> io::Result<()> {
        let plan = plan();
        if plan.faults.is_empty() {
            return Ok(());
        }
        let nth = {
            let mut reached = plan.reached.lock().unwrap_or_else(|e| e.into_inner());
            let count = reached.entry(step.to_string()).or_insert(0);
            *count += 1;
            *count
        };
        let action = plan
            .faults
            .iter()
            .find(|(s, n, _)| s == step && *n == nth)
            .map(|(_, _, action)| action.clone());
        match action {
            None => Ok(()),
            Some(Action::Sleep(duration)) => {
                say(&format!("sleeping at {step}#{nth}"));
                std::thread::sleep(duration);
                Ok(())
            }
            Some(Action::NoSpace) => Err(io::Error::from_raw_os_error(NO_SPACE)),
            Some(Action::Pause) => {
                say(&format!("paused at {step}#{nth}"));
                std::thread::sleep(Duration::from_secs(60));
                std::process::abort();
            }
        }
    }

    fn say(what: &str) {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "ucwa-codegen fault: {what}");
        let _ = stderr.flush();
    }

    /// ENOSPC on Linux, macOS and the BSDs; ERROR_DISK_FULL on Windows.
    #[cfg(unix)]
    const NO_SPACE: i32 = 28;
    #[cfg(not(unix))]
    const NO_SPACE: i32 = 112;

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn faults_read_as_step_count_and_action() {
            assert_eq!(
                parse("moved#3=pause, write=enospc,locked=sleep:250,bad,x=y"),
                [
                    ("moved".to_string(), 3, Action::Pause),
                    ("write".to_string(), 1, Action::NoSpace),
                    (
                        "locked".to_string(),
                        1,
                        Action::Sleep(Duration::from_millis(250))
                    ),
                ]
            );
        }
    }
}
