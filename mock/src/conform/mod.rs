//! `ucwa-mock conform PAGE...`: drives ucwa-client through every documented
//! request of the pages against an in-process mock serving the same pages on
//! loopback, with the generated crate's typed operations, and says step by
//! step whether the mock accepted what the client sent and whether each
//! answer decoded to its type.
//!
//! For each step (`plan` says which kind it is):
//! - **sign-in** steps (discovery, the `401` challenge, the token request,
//!   creating the application) are what [`ucwa_client::SessionBuilder::sign_in`]
//!   sends: it is configured from the pages (the documented root or
//!   applications URL, the token request's grant and credentials, the
//!   documented `POST applications` body decoded into
//!   [`ucwa_client::ApplicationsRequest`]), and each step is ok when the mock
//!   served it to the client and the sign-in succeeded;
//! - a **token** request outside sign-in goes through the client's grant code
//!   ([`ucwa_client::SessionBuilder::request_token`]);
//! - any other request is a **typed operation**: the rel comes from the link
//!   it follows (`links`: hrefs served before, laid over the documented
//!   ones, ids aliased as the mock does), the method from the request line,
//!   the format from `Content-Type` (or `Accept`); the documented body is
//!   decoded into the operation's request-body type and the request built by
//!   the generated crate's [`ucwa::operation`] (a JSON body that does not
//!   decode as written is tried again with its capitalised keys in UCWA's
//!   camelCase: pages write `UserAgent`, the server binds keys whatever their
//!   case, and the mock compares them so; a body that is neither JSON
//!   nor XML is sent as it is, as `Link::post_content` does, and a batch's
//!   parts are typed operations sent with [`ucwa_client::Session::batch`]);
//!   the client sends it and the answer is read by the operation's typed
//!   reader;
//! - an **event channel** answer is the typed `GET` on the `events` link (the
//!   application's, then each answer's `next`); its events' embedded
//!   resources must decode to their types too.
//!
//! A step is **ok** when the mock took the request as this step and the
//! answer is what the page documents, decoded to its type. It is a
//! **mismatch** when the mock refused the request (its differences are
//! quoted), the documented request body does not decode into the typed body,
//! or the answer does not decode. It is **ok (no documented answer)** when
//! the mock took the request as this step and the page shows no answer, in a
//! block or in words. It is **skipped**, counted and with the reason, when it
//! cannot be checked: the page documents no response and the client cannot
//! send the request (a browser's sign-in), the
//! step is not one the client's sign-in performs, no served link leads to it
//! and neither its documented answer nor its href's shape names a resource
//! (`shapes`: the shapes the reference samples and the run's pages show for
//! each resource; several that fit equally are reported, not guessed), the generated
//! crate has no typed operation for the method and rel, the documented body
//! is damaged beyond repair, or there is no signed-in application for it.
//!
//! Every wait is bounded (the client's timeouts, and each step as a whole);
//! nothing here panics on any page.

mod chaos;
mod drive;
mod links;
mod plan;

pub use chaos::FaultReport;

use crate::transcript::{Location, Transcript};
use crate::Error;
use std::fmt;
use std::path::Path;

/// What became of one documented step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The mock accepted the request and the answer decoded to its type.
    Ok,
    /// The mock took the request as this step; the page documents no answer
    /// to check it against (in a block or in words).
    OkNoAnswer,
    /// Refused by the mock, or not decodable: why.
    Mismatch(String),
    /// Not checked: why.
    Skipped(String),
}

/// One step's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The page and line of the step.
    pub location: Location,
    /// `METHOD path?query` (credentials redacted), or `GET (event channel)`.
    pub summary: String,
    /// What became of it.
    pub verdict: Verdict,
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.location, self.summary)?;
        let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        match &self.verdict {
            Verdict::Ok => f.write_str("ok"),
            Verdict::OkNoAnswer => f.write_str("ok (no documented answer)"),
            Verdict::Mismatch(why) => write!(f, "mismatch: {}", one_line(why)),
            Verdict::Skipped(why) => write!(f, "skipped: {}", one_line(why)),
        }
    }
}

/// The whole run: a line per documented step, in page order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every step of the pages.
    pub steps: Vec<StepReport>,
    /// What the run did besides (the built-in sign-in), one line each.
    pub notes: Vec<String>,
    /// `--chaos`: each fault injected, where, and what the client did.
    pub faults: Vec<FaultReport>,
}

impl Report {
    /// Steps that are ok, with or without a documented answer.
    pub fn ok(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| matches!(step.verdict, Verdict::Ok | Verdict::OkNoAnswer))
            .count()
    }

    /// Steps the mock took whose page documents no answer.
    pub fn ok_without_answer(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.verdict == Verdict::OkNoAnswer)
            .count()
    }

    /// Whether every step is ok.
    pub fn passed(&self) -> bool {
        self.ok() == self.steps.len()
    }

    /// `conformance: N/M steps ok`, and how many of those had no
    /// documented answer to check (`(2 with no documented answer)`).
    pub fn summary(&self) -> String {
        let summary = format!("conformance: {}/{} steps ok", self.ok(), self.steps.len());
        match self.ok_without_answer() {
            0 => summary,
            without => format!("{summary} ({without} with no documented answer)"),
        }
    }
}

/// Runs the pages at `paths` (in this order, as one transcript). An error
/// only when the run cannot start: a page cannot be read, the pages document
/// no request, the mock cannot listen.
pub async fn conform<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Report, Error> {
    run(Transcript::read(paths)?).await
}

/// Runs `transcript` (see the module documentation).
pub async fn run(transcript: Transcript) -> Result<Report, Error> {
    drive::run(transcript, None).await
}

/// Runs `transcript` with faults injected between its steps at points
/// `seed` chooses (`ucwa-mock conform --chaos` in the README): the client's recovery checked on
/// the pages as they are.
pub async fn run_with_chaos(transcript: Transcript, seed: u64) -> Result<Report, Error> {
    drive::run(transcript, Some(seed)).await
}
