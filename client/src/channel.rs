//! The event channel (EventsInUCWA, EventChannelDetails): one task per
//! session keeps a pending GET open, follows `next`, `resume` and `resync`,
//! reconnects with bounded backoff, feeds the operation tracker, and hands
//! each event, decoded to its type, to every [`EventStream`].

use crate::core::Prepared;
use crate::error::Error;
use crate::options::RetryPolicy;
use crate::session::Shared;
use crate::typed::{self, AnyResource, ResourceKind};
use futures_core::Stream;
use http::Method;
use serde_json::Value;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use ucwa_runtime::events::{EventLink, EventType};
use ucwa_runtime::{DecodeError, ErrorBody, Resource};
use url::Url;

/// One event of the channel, with its embedded resource decoded.
#[derive(Debug, Clone)]
pub struct Event {
    /// The kind of resource that sent it, e.g. `communication`.
    pub sender: ResourceKind,
    /// The URL of the sender.
    pub sender_href: String,
    /// The event as sent: target link, type, `_embedded`, `in`, `reason`,
    /// `status` and any other keys.
    pub raw: ucwa_runtime::events::Event<ResourceKind>,
    /// The embedded resource decoded to its type, when the event carries one
    /// whose rel the generated crate knows.
    pub resource: Option<Result<AnyResource, EmbeddedError>>,
}

/// Why an embedded resource did not decode to its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("embedded {rel}: {message}")]
pub struct EmbeddedError {
    /// The rel it was embedded under.
    pub rel: String,
    /// The decoding error.
    pub message: String,
}

impl Event {
    pub(crate) fn new(
        sender: &ucwa_runtime::events::Sender<ResourceKind>,
        raw: ucwa_runtime::events::Event<ResourceKind>,
    ) -> Event {
        let resource = raw
            .embedded
            .as_ref()
            .and_then(|embedded| embedded.iter().next())
            .and_then(|(rel, value)| {
                typed::decode_embedded(rel, value).map(|decoded| {
                    decoded.map_err(|error| EmbeddedError {
                        rel: rel.clone(),
                        message: error.to_string(),
                    })
                })
            });
        Event {
            sender: sender.rel.clone(),
            sender_href: sender.href.clone(),
            raw,
            resource,
        }
    }

    /// What happened: `added`, `updated`, `deleted`, `started`, `completed`...
    pub fn event_type(&self) -> &EventType {
        &self.raw.event_type
    }

    /// The resource the event is about.
    pub fn target(&self) -> &EventLink<ResourceKind> {
        &self.raw.link
    }

    /// The target's URL.
    pub fn href(&self) -> &str {
        &self.raw.link.href
    }

    /// The embedded resource decoded as `T` (looked up by `T::REL`).
    pub fn resource_as<T: Resource>(&self) -> Option<Result<T, DecodeError>> {
        self.raw.embedded_resource::<T>()
    }

    /// The `in` link: the collection the target was added to or removed from.
    pub fn in_link(&self) -> Option<&Value> {
        self.raw.extra.get("in")
    }

    /// The `status` of an operation's `completed` event (`Success`, `Failure`).
    pub fn status(&self) -> Option<&str> {
        self.raw.extra.get("status").and_then(Value::as_str)
    }

    /// The `reason` block (a failed operation, or why the server changed
    /// something).
    pub fn reason(&self) -> Option<Result<ErrorBody, DecodeError>> {
        self.raw.reason()
    }

    /// The `operationId` of the embedded operation resource, if any.
    pub fn operation_id(&self) -> Option<&str> {
        self.raw
            .embedded
            .as_ref()?
            .values()
            .find_map(|resource| resource.get("operationId")?.as_str())
    }
}

/// What an [`EventStream`] yields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChannelItem {
    /// An event, in the server's order.
    Event(Box<Event>),
    /// The server answered `resync`: events were lost (the client was away).
    /// Drop cached transient state (conversations, subscriptions); the channel
    /// continues from the first unacknowledged events.
    Resync,
    /// The server answered `resume`: it reset transient state after a long
    /// inactivity (conversations closed, subscriptions ended). The channel's
    /// query parameters were sent again.
    Resumed,
    /// This stream fell behind: `missed` items (the oldest) were dropped
    /// before the next one, because the reader did not keep up with
    /// [`crate::Limits::event_buffer`] items. Refetch what you cache.
    Lagged {
        /// How many items were dropped.
        missed: u64,
    },
    /// The session mended something and goes on: the application was gone
    /// and was created again ([`crate::Recovery`]). Links of the old
    /// application are refused from now on ([`crate::Error::StaleLink`]);
    /// refetch what you cache. `restored` counts what was set up again:
    /// `makeMeAvailable` and each standing request
    /// ([`crate::Session::send_standing`]) that went through.
    Recovered {
        /// What happened.
        what: crate::Recovery,
        /// How many of the session's set-up requests were sent again and succeeded.
        restored: usize,
    },
    /// A part of an answer that does not decode (an event without `href`, a
    /// sender block that is not one): reported, and every valid event of the
    /// same answer is delivered before it. `raw` is bounded
    /// ([`ucwa_runtime::events::MalformedEvent::MAX_RAW`] bytes).
    Malformed {
        /// The sender block's `href`, when it has one.
        sender_href: Option<String>,
        /// The part as sent, cut short.
        raw: String,
        /// Why it does not decode.
        error: String,
    },
}

type Item = Result<ChannelItem, Error>;

/// The session's events, as an async [`Stream`].
///
/// Each stream gets every item from the moment it was made, in order, once,
/// as long as it keeps up: it buffers [`crate::Limits::event_buffer`] items,
/// and when a new one arrives at a full buffer the oldest is dropped (as
/// tokio's `broadcast` does). The reader then gets
/// [`ChannelItem::Lagged`] with how many it missed, before the oldest item
/// kept. A stream kept but not read never holds up the channel, the
/// operations or the other streams. After a fatal failure (the application
/// is gone, reconnection gave up, the session ended) the stream yields the
/// error once and ends.
#[derive(Debug)]
pub struct EventStream {
    queue: Arc<Queue>,
}

impl EventStream {
    /// The next item; `None` when the channel has stopped.
    pub async fn recv(&mut self) -> Option<Item> {
        std::future::poll_fn(|context| self.queue.poll_pop(context)).await
    }
}

impl Stream for EventStream {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Item>> {
        self.queue.poll_pop(context)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.queue.state().dropped = true;
    }
}

/// One stream's bounded buffer, shared by the channel task (which pushes)
/// and the stream (which pops).
#[derive(Debug)]
struct Queue {
    capacity: usize,
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    items: VecDeque<Item>,
    /// Items dropped since the reader last heard of it.
    missed: u64,
    /// No more items will come: the rest of `items`, then the end.
    closed: bool,
    /// The stream is gone: push nothing more.
    dropped: bool,
    waker: Option<Waker>,
}

impl Queue {
    fn new(capacity: usize) -> Queue {
        Queue {
            capacity: capacity.max(1),
            state: Mutex::new(QueueState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `item`, dropping the oldest when full; never waits.
    fn push(&self, item: Item) {
        let waker = {
            let mut state = self.state();
            if state.dropped || state.closed {
                return;
            }
            if state.items.len() >= self.capacity {
                state.items.pop_front();
                state.missed += 1;
            }
            state.items.push_back(item);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The last item (the error that ended the channel), then the end. It
    /// takes the place of the oldest item if the buffer is full, so a
    /// reader that is behind still learns why the stream ends.
    fn close_with(&self, last: Item) {
        self.push(last);
        let waker = {
            let mut state = self.state();
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_pop(&self, context: &mut Context<'_>) -> Poll<Option<Item>> {
        let mut state = self.state();
        if state.missed > 0 {
            let missed = std::mem::take(&mut state.missed);
            return Poll::Ready(Some(Ok(ChannelItem::Lagged { missed })));
        }
        if let Some(item) = state.items.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        state.waker = Some(context.waker().clone());
        Poll::Pending
    }

    fn is_dropped(&self) -> bool {
        self.state().dropped
    }
}

/// The subscribers and whether the channel task runs.
#[derive(Default)]
pub(crate) struct Channel {
    state: Mutex<ChannelState>,
}

#[derive(Default)]
struct ChannelState {
    started: bool,
    subscribers: Vec<Arc<Queue>>,
    stopped: Option<Error>,
}

impl Channel {
    fn state(&self) -> std::sync::MutexGuard<'_, ChannelState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn subscribe(&self, buffer: usize) -> EventStream {
        let queue = Arc::new(Queue::new(buffer));
        let mut state = self.state();
        match &state.stopped {
            Some(error) => queue.close_with(Err(error.clone())),
            None => state.subscribers.push(Arc::clone(&queue)),
        }
        EventStream { queue }
    }

    /// Starts the channel task unless it runs (or ran) already.
    pub(crate) fn start(&self, shared: &Arc<Shared>) {
        let mut state = self.state();
        if state.started || state.stopped.is_some() {
            return;
        }
        state.started = true;
        tokio::spawn(run(Arc::clone(shared)));
    }

    /// Gives `item` to every stream (a full one drops its oldest).
    pub(crate) fn broadcast(&self, item: ChannelItem) {
        for subscriber in self.subscribers() {
            subscriber.push(Ok(item.clone()));
        }
    }

    fn subscribers(&self) -> Vec<Arc<Queue>> {
        let mut state = self.state();
        state.subscribers.retain(|queue| !queue.is_dropped());
        state.subscribers.clone()
    }

    fn stop(&self, error: Error) {
        let subscribers = {
            let mut state = self.state();
            state.stopped = Some(error.clone());
            std::mem::take(&mut state.subscribers)
        };
        for subscriber in subscribers {
            subscriber.close_with(Err(error.clone()));
        }
    }
}

async fn run(shared: Arc<Shared>) {
    let error = match pump(&shared).await {
        Ok(()) => Error::SessionEnded,
        Err(error) => {
            tracing::warn!(%error, "the event channel stopped");
            error
        }
    };
    shared.operations.close(error.clone());
    shared.channel.stop(error);
}

/// Why the pump stopped waiting.
enum Stop {
    Shutdown,
}

/// Runs until shutdown (`Ok`) or a fatal failure (`Err`).
async fn pump(shared: &Arc<Shared>) -> Result<(), Error> {
    let mut generation = shared.generation();
    let (mut base, mut events) = shared.application_link(|hrefs| hrefs.events.clone())?;
    let mut url = join(&base, &events)?;
    let mut send_options = true;
    let mut failures = 0u32;
    let reconnect: RetryPolicy = shared.options.reconnect;
    let mut shutdown = shared.shutdown.subscribe();
    let mut pacing = Pacing::default();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        if shared.generation() != generation {
            // The application was created again: its own channel, from the start.
            generation = shared.generation();
            (base, events) = shared.application_link(|hrefs| hrefs.events.clone())?;
            url = join(&base, &events)?;
            send_options = true;
            failures = 0;
            pacing = Pacing::default();
            tracing::info!(url = %url, "the event channel moves to the new application");
        }
        let mut request_url = url.clone();
        if send_options {
            let pairs = shared.options.event_channel.query_pairs();
            if !pairs.is_empty() {
                let mut query = request_url.query_pairs_mut();
                for (name, value) in &pairs {
                    query.append_pair(name, value);
                }
            }
        }
        let exec = crate::core::Exec {
            timeout: shared.options.event_wait,
            retry: RetryPolicy::NONE,
            ..shared.core.exec()
        };
        let request = Prepared::new(Method::GET, request_url.clone());
        let sent_at = tokio::time::Instant::now();
        let outcome = tokio::select! {
            outcome = shared.core.execute(request, exec) => outcome,
            _ = shutdown.changed() => return Ok(()),
        };
        let answer = outcome.and_then(|response| {
            let (body, malformed) = parse(&request_url, response.body())?;
            let step = follow(&base, &events, &body)?;
            Ok((body, malformed, step))
        });
        let failure = match answer {
            Ok((body, malformed, step)) => {
                failures = 0;
                // A server that answers at once with nothing is not holding
                // the pending GET: back off rather than ask again at once.
                let quick_and_empty = sent_at.elapsed() < HELD_AT_LEAST
                    && body.sender.iter().all(|sender| sender.events.is_empty())
                    && malformed.is_empty();
                let pause = pacing.after(quick_and_empty);
                let reports = malformed.into_iter().map(|part| {
                    tracing::warn!(sender = ?part.sender_href, error = %part.error, "a malformed part of an event channel answer");
                    ChannelItem::Malformed {
                        sender_href: part.sender_href,
                        raw: part.raw,
                        error: part.error,
                    }
                });
                let reports: Vec<ChannelItem> = reports.collect();
                match step {
                    Step::Next(next) => {
                        send_options = false;
                        if deliver(shared, &base, body, &mut shutdown).await.is_err() {
                            return Ok(());
                        }
                        url = next;
                    }
                    Step::Resume(next) => {
                        send_options = true;
                        shared.cache.clear();
                        if offer(shared, Ok(ChannelItem::Resumed), &mut shutdown)
                            .await
                            .is_err()
                            || deliver(shared, &base, body, &mut shutdown).await.is_err()
                        {
                            return Ok(());
                        }
                        url = next;
                    }
                    Step::Resync(next) => {
                        tracing::warn!(url = %next, "the event channel asks to resync");
                        shared.cache.clear();
                        if offer(shared, Ok(ChannelItem::Resync), &mut shutdown)
                            .await
                            .is_err()
                        {
                            return Ok(());
                        }
                        url = next;
                    }
                }
                for report in reports {
                    if offer(shared, Ok(report), &mut shutdown).await.is_err() {
                        return Ok(());
                    }
                }
                if !pause.is_zero() {
                    tracing::debug!(?pause, "the server answers pending GETs at once: pacing");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = shutdown.changed() => return Ok(()),
                    }
                }
                continue;
            }
            Err(error)
                if error.is_application_gone()
                    || error.status() == Some(http::StatusCode::NOT_FOUND) =>
            {
                // The channel is the application's: a 404 on it is the
                // application gone (EventChannelDetails). The loop's top
                // moves to the new one.
                if let Err(failure) = shared.recover(generation, &error).await {
                    return Err(Error::ChannelClosed {
                        reason: format!(
                            "the application is gone ({error}) and could not be created again: {failure}"
                        ),
                    });
                }
                continue;
            }
            Err(error) if is_fatal(&error) => {
                return Err(Error::ChannelClosed {
                    reason: error.to_string(),
                })
            }
            Err(error) => error,
        };
        failures += 1;
        if failures >= reconnect.attempts {
            return Err(Error::ChannelClosed {
                reason: format!("gave up after {failures} failed attempts: {failure}"),
            });
        }
        let delay = reconnect.delay(failures);
        tracing::warn!(url = %url, failures, ?delay, error = %failure, "event channel request failed; reconnecting");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// A pending GET answered sooner than this, with nothing in it, was not
/// held by the server.
const HELD_AT_LEAST: Duration = Duration::from_millis(500);

/// The pause after such answers: it doubles from the first to the cap and
/// ends with the first answer that was held or carried something.
const PACING_FIRST: Duration = Duration::from_millis(100);
const PACING_CAP: Duration = Duration::from_secs(5);

/// Pending GETs paced against a server that answers each at once.
#[derive(Debug, Default)]
struct Pacing {
    quick_empty: u32,
}

impl Pacing {
    /// The pause before the next pending GET.
    fn after(&mut self, quick_and_empty: bool) -> Duration {
        if !quick_and_empty {
            self.quick_empty = 0;
            return Duration::ZERO;
        }
        self.quick_empty = self.quick_empty.saturating_add(1);
        let factor = 1u32.checked_shl(self.quick_empty - 1).unwrap_or(u32::MAX);
        PACING_FIRST.saturating_mul(factor).min(PACING_CAP)
    }
}

/// Failures that no retry can mend: the credentials are refused (a 403 the
/// token's renewal did not mend), the security check. (An application gone
/// is recovered before this is asked.)
fn is_fatal(error: &Error) -> bool {
    match error {
        Error::Http(http) => matches!(http.status.as_u16(), 404 | 410 | 403),
        Error::Auth(_) | Error::Security { .. } => true,
        _ => false,
    }
}

/// The answer event by event: malformed parts come back apart, so that
/// one bad event neither fails the answer nor loses the good ones.
fn parse(
    url: &Url,
    body: &[u8],
) -> Result<
    (
        typed::ChannelBody,
        Vec<ucwa_runtime::events::MalformedEvent>,
    ),
    Error,
> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::protocol(url.as_str(), "the event channel body is not UTF-8"))?;
    typed::ChannelBody::from_json_lenient(text.trim_start_matches('\u{feff}'))
        .map_err(|error| Error::decode(url.as_str(), "an event channel response", error))
}

enum Step {
    Next(Url),
    Resume(Url),
    Resync(Url),
}

/// Where the channel goes after this response. An answer with no link to
/// follow (or none that decodes) is a resync from the application's own
/// `events` link: the channel starts over rather than dies.
fn follow(base: &Url, events: &str, body: &typed::ChannelBody) -> Result<Step, Error> {
    let links = &body.links;
    if let Some(next) = &links.next {
        return Ok(Step::Next(join(base, next.href())?));
    }
    if let Some(resume) = &links.resume {
        return Ok(Step::Resume(join(base, resume.href())?));
    }
    if let Some(resync) = &links.resync {
        return Ok(Step::Resync(join(base, resync.href())?));
    }
    tracing::warn!("an event channel answer without next, resume or resync: starting over");
    Ok(Step::Resync(join(base, events)?))
}

pub(crate) fn join(base: &Url, href: &str) -> Result<Url, Error> {
    base.join(href)
        .map_err(|error| Error::protocol(base.as_str(), format!("the link {href:?}: {error}")))
}

/// Hands every event of `body` to the operation tracker and the streams, in order.
async fn deliver(
    shared: &Shared,
    base: &Url,
    body: typed::ChannelBody,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), Stop> {
    for mut sender in body.sender {
        // The body is ours: move each event out rather than clone it.
        for raw in std::mem::take(&mut sender.events) {
            let event = Event::new(&sender, raw);
            shared.operations.observe(&event, base);
            shared.cache.observe(&event, base);
            if matches!(
                event.event_type(),
                &EventType::Updated | &EventType::Deleted
            ) {
                // An `updated` for a subscription: it is about to expire.
                let deleted = *event.event_type() == EventType::Deleted;
                if shared.leases.event(event.href(), base, deleted) && !deleted {
                    tracing::debug!("a subscription is about to expire: extended now");
                }
            }
            offer(shared, Ok(ChannelItem::Event(Box::new(event))), shutdown).await?;
        }
    }
    Ok(())
}

/// Gives `item` to every stream; a full one drops its oldest item, so no
/// reader holds up the channel. `Err` only at shutdown.
async fn offer(
    shared: &Shared,
    item: Item,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), Stop> {
    if *shutdown.borrow() {
        return Err(Stop::Shutdown);
    }
    for subscriber in shared.channel.subscribers() {
        subscriber.push(match &item {
            Ok(item) => Ok(item.clone()),
            Err(error) => Err(error.clone()),
        });
    }
    Ok(())
}
