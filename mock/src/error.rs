//! The crate's error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What can go wrong reading pages or starting the mock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A page could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The page.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A page is larger than [`crate::transcript::MAX_PAGE_BYTES`].
    #[error("{}: more than {} bytes, more than a task page can be", path.display(), crate::transcript::MAX_PAGE_BYTES)]
    PageTooLarge {
        /// The page.
        path: PathBuf,
        /// The bytes read before stopping (the cap and one more).
        size: u64,
    },
    /// A setting is out of range.
    #[error("the setting {0}")]
    Config(String),
    /// The mock listens on loopback addresses only.
    #[error("{0} is not a loopback address: the mock listens on 127.0.0.0/8 or [::1] only")]
    NotLoopback(SocketAddr),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The pages document no request to serve.
    #[error("the pages document no request or event to serve")]
    NothingToServe,
    /// Session mode needs a transcript that documents a token request.
    #[error("session mode needs a transcript that signs in: no token request (a form POST with grant_type) is documented")]
    NoTokenRequest,
    /// More hosts than the mock opens listeners for.
    #[error("the pages name {0} hosts; the mock serves at most {max}", max = crate::hosts::MAX_HOSTS)]
    TooManyHosts(usize),
}
