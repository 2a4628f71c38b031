//! A UCWA 2.0 client: sign in to Skype for Business Server, create the
//! application, follow the event channel, start operations and batch
//! requests, over reqwest (rustls, no OpenSSL) on tokio.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use ucwa_client::{ChannelItem, Session};
//!
//! # async fn example() -> Result<(), ucwa_client::Error> {
//! let session = Session::builder("lenea@contoso.com")
//!     .password("pass@word1")
//!     .user_agent("my-app/1.0")
//!     .sign_in()                       // autodiscovery, MsRtcOAuth, POST applications
//!     .await?;
//! let mut events = session.events();   // starts the event channel
//! session
//!     .make_me_available(&serde_json::json!({"signInAs": "Online",
//!         "supportedModalities": ["Messaging"]}))
//!     .await?;
//!
//! // Start an IM conversation with the typed operation of the `startMessaging`
//! // link: the POST is built from the typed body, and resolves from the event channel.
//! let application = session.application();
//! let start = application.embedded.as_ref()
//!     .and_then(|embedded| embedded.communication.as_ref()?.first()?.start_messaging_link().cloned())
//!     .expect("startMessaging");                       // a Link<StartMessaging>
//! let body = ucwa::resources::StartMessagingRequest {
//!     to: "sip:toshm@contoso.com".into(),
//!     subject: Some("Hi".into()),
//!     importance: None,
//!     operation_id: None,                               // the session adds one
//!     thread_id: None,
//!     message: None,
//!     extra: Default::default(),
//! };
//! let invitation = session.start(&start, &body).await?; // 201 Created, typed Location
//! let completed = invitation.completed().await?;        // the `completed` event
//!
//! while let Some(item) = events.next().await {
//!     if let ChannelItem::Event(event) = item? {
//!         println!("{} {}", event.event_type(), event.href());
//!     }
//! }
//! session.sign_out().await?;           // DELETE the application
//! # Ok(()) }
//! ```
//!
//! # What it does
//!
//! - **Sign-in** ([`SessionBuilder::sign_in`]): autodiscovery from the sign-in
//!   address (`lyncdiscoverinternal.<domain>` then `lyncdiscover.<domain>`,
//!   HTTPS first, then HTTP for discovery only; HTTP redirects and `redirect`
//!   links, bounded; root → user → `applications`), the MsRtcOAuth
//!   challenge answered by a [`TokenSource`] (the password grant by default,
//!   [`FormGrant`] for the others, [`token_fn`] for Azure AD), then
//!   `POST applications` (`userAgent`, `endpointId`, `culture`).
//! - **The security check** of RootURL: tokens and passwords go only to the
//!   sign-in domain and the hosts allowed with [`SessionBuilder::allow_host`],
//!   and only over HTTPS except to loopback addresses; a redirect read over
//!   plain HTTP is followed only within them ([`Error::Security`] otherwise).
//! - **Tokens** are renewed before they expire and whenever the server
//!   answers 401 with a challenge.
//! - **The application**: [`Session::make_me_available`], keep-alive with
//!   `reportMyActivity` ([`SessionBuilder::keep_alive`]), deleted by
//!   [`Session::sign_out`] (or in the background on drop).
//! - **Events** ([`Session::events`]): an async [`futures_core::Stream`] of
//!   [`ChannelItem`]s; each [`Event`] has its embedded resource decoded to its
//!   generated type ([`AnyResource`]). The channel follows `next`, `resume`
//!   and `resync`, bounds each pending GET, and reconnects with bounded
//!   backoff ([`SessionBuilder::reconnect`]).
//! - **Typed operations** ([`Session::get`], [`Session::post`],
//!   [`Session::put`], [`Session::delete`], [`Session::call`]): the
//!   generated crate's typed links build the requests (`link.post(&body)`),
//!   the session sends them and reads the documented type back; a documented
//!   error is named in [`HttpError::documented`].
//! - **Operations** ([`Session::start`], [`Session::start_request`],
//!   [`Session::start_operation`]): an `operationId` is added, and the
//!   returned [`Started`] / [`Operation`] resolves from its `completed` event
//!   (by id, or by the `Location` of the `201`), within a timeout.
//! - **Batches** ([`Session::batch`]): `multipart/batching` in and out.
//! - **Any request** ([`Session::send`]): `http::Request<Vec<u8>>` in,
//!   `http::Response<Bytes>` out; the typed operations run through it.
//! - **One error type** ([`Error`]), every wait bounded ([`Timeouts`]), every
//!   body bounded ([`Limits`]). Diagnostics go through `tracing`, never with
//!   tokens, passwords or `Authorization` headers.

#![forbid(unsafe_code)]

mod activity;
mod auth;
mod batch;
mod cache;
mod channel;
mod core;
mod discovery;
mod error;
mod id;
mod leases;
mod operation;
mod options;
mod recovery;
mod security;
mod session;
mod transport;
mod typed;

pub use auth::{
    parse_challenges, token_fn, Challenge, FormGrant, MsRtcOAuth, Token, TokenContext,
    TokenRequest, TokenSource, MIN_TOKEN_LIFETIME,
};
pub use channel::{ChannelItem, EmbeddedError, Event, EventStream};
pub use error::{AuthError, DiscoveryAttempt, Error, HttpError, Result, TransportErrorKind};
pub use operation::Operation;
pub use options::{EventChannelOptions, Limits, RetryPolicy, Timeouts, MAX_WAIT};
pub use recovery::Recovery;
pub use session::{Session, SessionBuilder};
pub use typed::{AnyResource, Application, ApplicationsRequest, Me, ResourceKind, Started};
pub use ucwa_runtime::events::EventType;
pub use ucwa_runtime::{Link, NoBody, Outcome};
