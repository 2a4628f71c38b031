//! `conform --chaos SEED`: faults ([`crate::faults`]) injected between the
//! documented steps at points the seed chooses, so that a run checks the
//! client's recovery on pages nobody wrote faults into.
//!
//! Each fault kind goes before one step it can meet: the pending-GET faults
//! before an event channel step, the others before any step after sign-in
//! that sends a token (not a token request). Kinds are spread over distinct
//! steps while there are steps enough, then share them; a page with no such
//! step gets none (said in a note). The points depend on the seed and the
//! pages only: the same seed on the same pages injects the same faults
//! before the same steps on every machine.
//!
//! After the step, each fault's line says which request it met and what
//! the client did. A step a fault kept from being served is sent again, as
//! an application does after a typed failure (an application created
//! again, a POST refused with the token), at most once per fault injected
//! before it: the step's verdict is then that of the last attempt.

use super::plan::Role;
use super::Verdict;
use crate::faults::Fault;
use crate::transcript::{Location, StepId};
use std::collections::BTreeMap;
use std::fmt;

/// One injected fault's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultReport {
    /// The step it was injected before.
    pub location: Location,
    /// Which.
    pub fault: Fault,
    /// What happened: the request it met and what the client did.
    pub outcome: String,
}

impl fmt::Display for FaultReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault: {}: {}",
            self.location, self.fault, self.outcome
        )
    }
}

/// What a fault's line says: the request it met, and what the client did.
pub(super) fn outcome(
    fault: Fault,
    fired: &[crate::faults::FiredFault],
    first: &Verdict,
    again: Option<&Verdict>,
    recreated: Option<&str>,
) -> String {
    let met: Vec<&str> = fired
        .iter()
        .filter(|fired| {
            fired.fault == fault
                || (fault == Fault::Restart
                    && matches!(
                        fired.fault,
                        Fault::ApplicationExpired | Fault::TokenChallenged
                    ))
        })
        .map(|fired| fired.request.as_str())
        .collect();
    if met.is_empty() {
        return format!(
            "not met (the step sent nothing it applies to); the step: {}",
            short(first)
        );
    }
    let mut met = format!("met {}", met.join(", "));
    let takes_the_application = matches!(fault, Fault::ApplicationExpired | Fault::Restart);
    if let Some(recreated) = recreated.filter(|_| takes_the_application) {
        met = format!("{met}; {recreated}");
    }
    match again {
        None => format!(
            "{met}; the client recovered within the step: {}",
            short(first)
        ),
        Some(again) => format!(
            "{met}; the client: {}; the step sent again: {}",
            short(first),
            short(again)
        ),
    }
}

fn short(verdict: &Verdict) -> String {
    let text = match verdict {
        Verdict::Ok => "ok".to_owned(),
        Verdict::OkNoAnswer => "ok (no documented answer)".to_owned(),
        Verdict::Mismatch(why) => format!("mismatch: {why}"),
        Verdict::Skipped(why) => format!("skipped: {why}"),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// A small, fixed pseudo-random sequence (SplitMix64): the same seed gives
/// the same points everywhere, with no dependency for it.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Which faults go before which step (by index into the plan's roles).
#[derive(Debug, Default)]
pub(super) struct ChaosPlan {
    pub(super) before: BTreeMap<usize, Vec<Fault>>,
    /// Kinds no step could meet.
    pub(super) left_out: Vec<Fault>,
}

impl ChaosPlan {
    /// `renewable`: the pages document a token request, so the client can
    /// get a new token; without one, the faults that take the token away
    /// (`token-challenged`, `token-refused`, `restart`) are left out.
    pub(super) fn new(seed: u64, roles: &[(StepId, Role)], renewable: bool) -> ChaosPlan {
        let mut random = SplitMix(seed);
        let mut plan = ChaosPlan::default();
        for fault in Fault::ALL {
            let takes_the_token = matches!(
                fault,
                Fault::TokenChallenged | Fault::TokenRefused | Fault::Restart
            );
            if takes_the_token && !renewable {
                plan.left_out.push(fault);
                continue;
            }
            let eligible: Vec<usize> = roles
                .iter()
                .enumerate()
                .filter(|(_, (_, role))| match fault {
                    Fault::PGetReplaced | Fault::ConnectionDropped => *role == Role::Event,
                    _ => matches!(role, Role::Event | Role::Command),
                })
                .map(|(index, _)| index)
                .collect();
            if eligible.is_empty() {
                plan.left_out.push(fault);
                continue;
            }
            let free: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|index| !plan.before.contains_key(index))
                .collect();
            let from = if free.is_empty() { &eligible } else { &free };
            let at = from[random.below(from.len())];
            plan.before.entry(at).or_default().push(fault);
        }
        plan
    }

    /// How many faults are planned.
    pub(super) fn len(&self) -> usize {
        self.before.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(kinds: &[Role]) -> Vec<(StepId, Role)> {
        kinds
            .iter()
            .enumerate()
            .map(|(index, role)| {
                (
                    StepId {
                        page: 0,
                        step: index,
                    },
                    *role,
                )
            })
            .collect()
    }

    #[test]
    fn every_kind_lands_on_a_step_it_can_meet_and_the_seed_decides_where() {
        let roles = roles(&[
            Role::SignIn,
            Role::Command,
            Role::Event,
            Role::Command,
            Role::Event,
            Role::Command,
            Role::Token,
            Role::Command,
            Role::Event,
        ]);
        let plan = ChaosPlan::new(1, &roles, true);
        assert_eq!(plan.len(), Fault::ALL.len());
        assert!(plan.left_out.is_empty());
        for (index, faults) in &plan.before {
            let role = roles[*index].1;
            assert!(
                matches!(role, Role::Command | Role::Event),
                "{faults:?} before {role:?}"
            );
            if faults
                .iter()
                .any(|fault| matches!(fault, Fault::PGetReplaced | Fault::ConnectionDropped))
            {
                assert_eq!(role, Role::Event);
            }
        }
        // Distinct steps while there are enough: 7 kinds, 7 eligible steps.
        assert_eq!(plan.before.len(), 7);
        let again = ChaosPlan::new(1, &roles, true);
        assert_eq!(plan.before, again.before);
        let seeds: std::collections::BTreeSet<Vec<(usize, Vec<Fault>)>> = (1..=8)
            .map(|seed| {
                ChaosPlan::new(seed, &roles, true)
                    .before
                    .into_iter()
                    .collect()
            })
            .collect();
        assert!(seeds.len() > 1, "the seed moves the points");
    }

    #[test]
    fn pages_without_event_steps_leave_the_pending_get_faults_out() {
        let plan = ChaosPlan::new(3, &roles(&[Role::SignIn, Role::Command]), true);
        assert_eq!(
            plan.left_out,
            [Fault::PGetReplaced, Fault::ConnectionDropped]
        );
        assert_eq!(plan.len(), Fault::ALL.len() - 2);
    }

    #[test]
    fn without_a_token_request_the_faults_that_take_the_token_are_left_out() {
        let plan = ChaosPlan::new(
            3,
            &roles(&[Role::SignIn, Role::Command, Role::Event]),
            false,
        );
        assert_eq!(
            plan.left_out,
            [Fault::TokenChallenged, Fault::TokenRefused, Fault::Restart]
        );
    }
}
