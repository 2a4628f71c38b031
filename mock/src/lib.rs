//! A mock UCWA 2.0 server that replays Microsoft's documented task
//! transcripts over loopback HTTP, so a UCWA application can be tested
//! without a Skype for Business server.
//!
//! The pipeline reads top to bottom:
//! - [`transcript`]: task pages → ordered [`Step`]s (documented request and
//!   response, page file and line), with [`message`] reading each HTTP message
//!   and [`repair`] mending the damaged bodies, every repair named;
//! - [`hosts`]: each documented host gets its own loopback listener, and URLs
//!   in responses are rewritten to them;
//! - [`matching`]: a received request against the documented one, with the
//!   tolerated differences (generated values, dates, elided values) defined there;
//! - [`ids`]: generated ids in paths and hrefs, one per object across pages,
//!   so that a client that follows the served hrefs meets every page;
//! - `replay`, [`rereads`] and `events`: which step is due, what a client may
//!   do besides (read a resource again, sign out), and the event channel's
//!   pending GET;
//! - [`sessions`]: session mode, a replay per signed-in client;
//! - [`server`]: the HTTP listeners and the [`MockServer`] handle that tests use;
//! - [`conform`]: `ucwa-mock conform`, ucwa-client driven through every
//!   documented request against the mock, with the typed operations.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ucwa_mock::Error> {
//! use ucwa_mock::{MockConfig, MockServer, Transcript};
//! let transcript = Transcript::read(["../shared/ucwa-tasks/SendAnIM.md"])?;
//! let mock = MockServer::start(transcript, MockConfig::default()).await?;
//! let base = mock.base_url("lyncweb.contoso.com").unwrap(); // http://127.0.0.1:PORT
//! // ... drive the application against `base` ...
//! assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
//! mock.shutdown().await;
//! # Ok(()) }
//! ```

pub mod body;
pub mod cli;
pub mod conform;
mod connections;
mod error;
mod events;
pub mod faults;
pub mod hosts;
pub mod ids;
pub mod matching;
pub mod message;
mod redact;
pub mod repair;
mod replay;
pub mod rereads;
pub mod server;
pub mod sessions;
mod shapes;
pub mod transcript;

pub use body::Body;
pub use error::Error;
pub use faults::{Fault, FiredFault};
pub use hosts::HostBinding;
pub use ids::IdAlias;
pub use matching::{Difference, Mismatch};
pub use message::{Request, Response, Target};
pub use repair::{Repair, RepairKind};
pub use server::{MockConfig, MockServer, StepOutcome};
pub use sessions::{SessionConfig, SessionCounts};
pub use transcript::{Location, Page, Skipped, Step, StepId, StepKind, Transcript};
