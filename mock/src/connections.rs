//! Who may hold the mock's connections. [`MockConfig::max_connections`]
//! permits are shared by everyone, so a process that opens many sockets and
//! sends nothing (or keeps them idle between requests) would lock every
//! other client out until its sockets time out. Instead:
//!
//! - a connection with no request in progress is *idle*; when every permit
//!   is taken, a new connection closes the connection idle the longest
//!   (hyper's graceful shutdown: an idle one closes at once);
//! - one peer address holds at most [`MockConfig::max_connections_per_peer`]
//!   connections; past it its own longest-idle one is closed, or, when all
//!   of its connections are busy, the new one is refused.
//!
//! A request in progress (a pending GET held, a body arriving) is never
//! cut; each is bounded by its own timeout.
//!
//! [`MockConfig::max_connections`]: crate::MockConfig::max_connections
//! [`MockConfig::max_connections_per_peer`]: crate::MockConfig::max_connections_per_peer

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The open connections and the permits they hold.
#[derive(Debug)]
pub(crate) struct Connections {
    permits: Arc<Semaphore>,
    per_peer: usize,
    open: Mutex<BTreeMap<u64, Open>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Open {
    peer: IpAddr,
    /// Requests in progress.
    busy: usize,
    /// Since when it has had none (its accept, or its last answer).
    idle_since: Instant,
    close: Arc<Notify>,
}

/// One admitted connection: its permit, and the signal asking it to close.
#[derive(Debug)]
pub(crate) struct Admitted {
    id: u64,
    connections: Arc<Connections>,
    /// Notified when another connection needs this one's permit.
    pub(crate) close: Arc<Notify>,
    _permit: OwnedSemaphorePermit,
}

impl Connections {
    pub(crate) fn new(max: usize, per_peer: usize) -> Arc<Connections> {
        Arc::new(Connections {
            permits: Arc::new(Semaphore::new(max.max(1))),
            per_peer: per_peer.max(1),
            open: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A permit for a new connection from `peer`, closing an idle
    /// connection for it where needed; `None` (refuse the socket) when the
    /// peer's connections are all busy at its limit, or no permit frees up
    /// within `wait`.
    pub(crate) async fn admit(self: &Arc<Self>, peer: IpAddr, wait: Duration) -> Option<Admitted> {
        {
            let open = self.open();
            let of_peer = open.values().filter(|c| c.peer == peer).count();
            if of_peer >= self.per_peer {
                let idle = longest_idle(&open, |c| c.peer == peer);
                match idle {
                    Some(close) => close.notify_one(),
                    None => {
                        tracing::debug!(%peer, "refused: the peer's connections are all busy");
                        return None;
                    }
                }
            }
        }
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(close) = longest_idle(&self.open(), |_| true) {
                    close.notify_one();
                }
                let acquired =
                    tokio::time::timeout(wait, Arc::clone(&self.permits).acquire_owned());
                match acquired.await {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        tracing::debug!(%peer, "refused: every connection is busy");
                        return None;
                    }
                }
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        self.open().insert(
            id,
            Open {
                peer,
                busy: 0,
                idle_since: Instant::now(),
                close: Arc::clone(&close),
            },
        );
        Some(Admitted {
            id,
            connections: Arc::clone(self),
            close,
            _permit: permit,
        })
    }
}

/// The close signal of the connection idle the longest among `which`.
fn longest_idle(open: &BTreeMap<u64, Open>, which: impl Fn(&Open) -> bool) -> Option<Arc<Notify>> {
    open.values()
        .filter(|c| c.busy == 0 && which(c))
        .min_by_key(|c| c.idle_since)
        .map(|c| Arc::clone(&c.close))
}

impl Admitted {
    /// A handle that can mark requests from inside the service.
    pub(crate) fn tracker(&self) -> Tracker {
        Tracker {
            id: self.id,
            connections: Arc::clone(&self.connections),
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.connections.open().remove(&self.id);
    }
}

/// Marks requests on one connection, from the service.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    id: u64,
    connections: Arc<Connections>,
}

impl Tracker {
    pub(crate) fn request(&self) -> RequestGuard {
        if let Some(open) = self.connections.open().get_mut(&self.id) {
            open.busy += 1;
        }
        RequestGuard {
            id: self.id,
            connections: Arc::clone(&self.connections),
        }
    }
}

/// A request in progress; the connection is idle again when the last drops.
#[derive(Debug)]
pub(crate) struct RequestGuard {
    id: u64,
    connections: Arc<Connections>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if let Some(open) = self.connections.open().get_mut(&self.id) {
            open.busy = open.busy.saturating_sub(1);
            if open.busy == 0 {
                open.idle_since = Instant::now();
            }
        }
    }
}
