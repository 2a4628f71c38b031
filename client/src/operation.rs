//! Operation tracking (OperationResource): a POST that starts an operation
//! carries a client-made `operationId`; its `started`/`updated`/`completed`
//! events are matched by that id (the embedded operation resource echoes it)
//! or by the operation's URL (the `Location` of the `201 Created`), whichever
//! comes first; events that arrive before the `201` are kept, bounded, until
//! it does.

use crate::channel::Event;
use crate::error::Error;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use ucwa_runtime::events::EventType;
use ucwa_runtime::{ErrorBody, ErrorCode};
use url::Url;

/// Operation events kept for a `Location` not yet known.
const RECENT_EVENTS: usize = 256;
/// `started`/`updated` events buffered per operation; more are dropped (the
/// `completed` event never is).
const UPDATE_BUFFER: usize = 16;

/// The path and query of `href` resolved against `base`: the key that
/// matches an event's link to a `Location`, whatever host each names.
pub(crate) fn href_key(base: &Url, href: &str) -> Option<String> {
    let url = base.join(href).ok()?;
    Some(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

struct Slot {
    updates: mpsc::Sender<Event>,
    completion: Option<oneshot::Sender<Result<Event, Error>>>,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, Slot>,
    id_by_href: HashMap<String, String>,
    recent: VecDeque<(String, Event)>,
    closed: Option<Error>,
}

/// The operations in flight.
pub(crate) struct OperationRegistry {
    registry: Mutex<Registry>,
    max_pending: usize,
}

impl OperationRegistry {
    pub(crate) fn new(max_pending: usize) -> OperationRegistry {
        OperationRegistry {
            registry: Mutex::new(Registry::default()),
            max_pending,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts tracking `id` (before the request is sent: its events may
    /// beat the response).
    pub(crate) fn register(&self, id: &str) -> Result<Tracking, Error> {
        let mut registry = self.lock();
        if let Some(error) = &registry.closed {
            return Err(error.clone());
        }
        if registry.by_id.len() >= self.max_pending {
            return Err(Error::InvalidRequest(format!(
                "{} operations are already being tracked",
                self.max_pending
            )));
        }
        if registry.by_id.contains_key(id) {
            return Err(Error::InvalidRequest(format!(
                "operation id {id:?} is already in use"
            )));
        }
        let (updates, update_receiver) = mpsc::channel(UPDATE_BUFFER);
        let (completion, completion_receiver) = oneshot::channel();
        registry.by_id.insert(
            id.to_owned(),
            Slot {
                updates,
                completion: Some(completion),
            },
        );
        Ok(Tracking {
            updates: update_receiver,
            completion: completion_receiver,
        })
    }

    /// The operation's URL is known (the `Location` of its `201`); replays
    /// events that came for it first.
    pub(crate) fn locate(&self, id: &str, key: String) {
        let mut registry = self.lock();
        if !registry.by_id.contains_key(id) {
            return;
        }
        registry.id_by_href.insert(key.clone(), id.to_owned());
        let early: Vec<Event> = {
            let mut early = Vec::new();
            registry.recent.retain(|(href, event)| {
                let matches = *href == key;
                if matches {
                    early.push(event.clone());
                }
                !matches
            });
            early
        };
        for event in early {
            Self::dispatch(&mut registry, id, event);
        }
    }

    /// Stops tracking `id`.
    pub(crate) fn forget(&self, id: &str) {
        let mut registry = self.lock();
        registry.by_id.remove(id);
        registry.id_by_href.retain(|_, tracked| tracked != id);
    }

    /// Fails every operation in flight, and every later one, with `error`.
    pub(crate) fn close(&self, error: Error) {
        let mut registry = self.lock();
        registry.closed = Some(error.clone());
        Self::fail_all(&mut registry, &error);
    }

    /// Fails every operation in flight with `error` (their application is
    /// gone); later ones are tracked as before.
    pub(crate) fn fail_pending(&self, error: &Error) {
        let mut registry = self.lock();
        Self::fail_all(&mut registry, error);
        registry.recent.clear();
    }

    fn fail_all(registry: &mut Registry, error: &Error) {
        registry.id_by_href.clear();
        for (_, mut slot) in registry.by_id.drain() {
            if let Some(completion) = slot.completion.take() {
                let _ = completion.send(Err(error.clone()));
            }
        }
    }

    /// Matches an event of the channel to an operation.
    pub(crate) fn observe(&self, event: &Event, base: &Url) {
        let is_operation_event = matches!(
            event.event_type(),
            EventType::Started | EventType::Updated | EventType::Completed
        );
        if !is_operation_event {
            return;
        }
        let key = href_key(base, event.href());
        let mut registry = self.lock();
        let by_id = event
            .operation_id()
            .filter(|id| registry.by_id.contains_key(*id))
            .map(str::to_owned);
        let id = by_id.or_else(|| {
            key.as_ref()
                .and_then(|key| registry.id_by_href.get(key))
                .cloned()
        });
        match (id, key) {
            (Some(id), key) => {
                if let Some(key) = key {
                    registry.id_by_href.insert(key, id.clone());
                }
                Self::dispatch(&mut registry, &id, event.clone());
            }
            (None, Some(key)) => {
                if registry.recent.len() >= RECENT_EVENTS {
                    registry.recent.pop_front();
                }
                registry.recent.push_back((key, event.clone()));
            }
            (None, None) => {}
        }
    }

    fn dispatch(registry: &mut Registry, id: &str, event: Event) {
        if *event.event_type() == EventType::Completed {
            if let Some(mut slot) = registry.by_id.remove(id) {
                registry.id_by_href.retain(|_, tracked| tracked != id);
                if let Some(completion) = slot.completion.take() {
                    let _ = completion.send(Ok(event));
                }
            }
        } else if let Some(slot) = registry.by_id.get(id) {
            if slot.updates.try_send(event).is_err() {
                tracing::debug!(
                    operation_id = id,
                    "operation update dropped: its buffer is full"
                );
            }
        }
    }
}

/// The receiving ends of one tracked operation.
pub(crate) struct Tracking {
    updates: mpsc::Receiver<Event>,
    completion: oneshot::Receiver<Result<Event, Error>>,
}

/// An operation started with [`crate::Session::start_operation`].
///
/// Resolve it with [`Operation::completed`]; watch its progress with
/// [`Operation::next_update`]. Dropping it stops tracking.
pub struct Operation {
    id: String,
    location: Option<Url>,
    response: http::Response<Bytes>,
    tracking: Option<Tracking>,
    timeout: Duration,
    registry: Weak<OperationRegistry>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("id", &self.id)
            .field("location", &self.location.as_ref().map(Url::as_str))
            .field("status", &self.response.status())
            .finish()
    }
}

impl Operation {
    pub(crate) fn new(
        id: String,
        location: Option<Url>,
        response: http::Response<Bytes>,
        tracking: Option<Tracking>,
        timeout: Duration,
        registry: &Arc<OperationRegistry>,
    ) -> Operation {
        Operation {
            id,
            location,
            response,
            tracking,
            timeout,
            registry: Arc::downgrade(registry),
        }
    }

    /// The `operationId` sent with the request.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The operation resource's URL (the `Location` of the `201 Created`).
    pub fn location(&self) -> Option<&Url> {
        self.location.as_ref()
    }

    /// The answer to the POST.
    pub fn response(&self) -> &http::Response<Bytes> {
        &self.response
    }

    /// The next `started` or `updated` event of the operation; `None` once
    /// nothing more will come before completion (or when the server
    /// finished the operation synchronously).
    pub async fn next_update(&mut self) -> Option<Event> {
        self.tracking.as_mut()?.updates.recv().await
    }

    /// Waits for the `completed` event, up to the session's operation
    /// timeout. `Ok(None)` when the server answered without creating an
    /// operation resource (not `201 Created`): there is nothing to wait for.
    /// A `completed` event with a `Failure` status or a `reason` is
    /// [`Error::OperationFailed`].
    pub async fn completed(self) -> Result<Option<Event>, Error> {
        let timeout = self.timeout;
        self.completed_within(timeout).await
    }

    /// [`Operation::completed`] with its own bound.
    pub async fn completed_within(mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        let Some(tracking) = self.tracking.take() else {
            return Ok(None);
        };
        let event = match tokio::time::timeout(timeout, tracking.completion).await {
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!("operation {} ({})", self.id, self.describe()),
                    after: timeout,
                })
            }
            Ok(Err(_)) => return Err(Error::SessionEnded),
            Ok(Ok(result)) => result?,
        };
        check_outcome(&self.id, &event)?;
        Ok(Some(event))
    }

    fn describe(&self) -> String {
        self.location
            .as_ref()
            .map_or_else(|| "no Location".to_owned(), Url::to_string)
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.forget(&self.id);
        }
    }
}

/// A `completed` event with `status: Failure` or a `reason` is a failure.
fn check_outcome(id: &str, event: &Event) -> Result<(), Error> {
    let failed = event
        .status()
        .is_some_and(|status| status.eq_ignore_ascii_case("failure"));
    let succeeded = event
        .status()
        .is_some_and(|status| status.eq_ignore_ascii_case("success"));
    let reason = event.reason().and_then(Result::ok);
    match reason {
        Some(reason) if !succeeded => Err(Error::OperationFailed {
            operation_id: id.to_owned(),
            reason: Box::new(reason),
        }),
        None if failed => Err(Error::OperationFailed {
            operation_id: id.to_owned(),
            reason: Box::new(ErrorBody {
                code: ErrorCode::Other("Failure".into()),
                subcode: None,
                message: Some("completed with status Failure and no reason".into()),
                links: Default::default(),
                parameters: None,
                debug_info: None,
                extra: Default::default(),
            }),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typed::ChannelBody;

    fn events(json: &str) -> Vec<Event> {
        let body = ChannelBody::from_json(json).expect("channel body");
        body.sender
            .iter()
            .flat_map(|sender| {
                sender
                    .events
                    .iter()
                    .map(move |raw| Event::new(sender, raw.clone()))
            })
            .collect()
    }

    fn tracked(
        id: &str,
        location: Option<Url>,
        tracking: Option<Tracking>,
        timeout: Duration,
        registry: &Arc<OperationRegistry>,
    ) -> Operation {
        let response = http::Response::new(Bytes::new());
        Operation::new(id.into(), location, response, tracking, timeout, registry)
    }

    fn base() -> Url {
        Url::parse("https://pool.contoso.com/ucwa/oauth/v1/applications/102").expect("url")
    }

    const INVITATION: &str = r#"{"_links":{"next":{"href":"/e?ack=3"}},"sender":[{"rel":"communication","href":"/c","events":[
        {"link":{"rel":"messagingInvitation","href":"/ucwa/oauth/v1/applications/102/communication/messagingInvitations/60c"},
         "_embedded":{"messagingInvitation":{"state":"Connecting","operationId":"op-1","rel":"messagingInvitation"}},"type":"started"},
        {"link":{"rel":"conversation","href":"/ucwa/oauth/v1/applications/102/communication/conversations/21a1"},"type":"added"},
        {"link":{"rel":"messagingInvitation","href":"/ucwa/oauth/v1/applications/102/communication/messagingInvitations/60c"},
         "status":"Success",
         "_embedded":{"messagingInvitation":{"state":"Connected","operationId":"op-1","rel":"messagingInvitation"}},"type":"completed"}]}]}"#;

    #[tokio::test]
    async fn events_resolve_an_operation_by_its_id() {
        let registry = Arc::new(OperationRegistry::new(8));
        let tracking = registry.register("op-1").expect("registered");
        for event in events(INVITATION) {
            registry.observe(&event, &base());
        }
        let mut operation = tracked(
            "op-1",
            None,
            Some(tracking),
            Duration::from_secs(5),
            &registry,
        );
        let started = operation.next_update().await.expect("started");
        assert_eq!(*started.event_type(), EventType::Started);
        let completed = operation
            .completed()
            .await
            .expect("succeeds")
            .expect("event");
        assert_eq!(completed.status(), Some("Success"));
        assert!(registry.lock().by_id.is_empty());
    }

    #[tokio::test]
    async fn a_completed_event_before_the_location_is_kept_for_it() {
        // sendMessage: the message's completed event has no operationId, only
        // the href the 201's Location names, and it may come first.
        let registry = Arc::new(OperationRegistry::new(8));
        let tracking = registry.register("op-2").expect("registered");
        let message = r#"{"_links":{"next":{"href":"/e?ack=7"}},"sender":[{"rel":"conversation","href":"/c","events":[
            {"link":{"rel":"message","href":"/ucwa/oauth/v1/applications/102/communication/conversations/21a1/messaging/messages/2"},
             "status":"Success","type":"completed"}]}]}"#;
        for event in events(message) {
            registry.observe(&event, &base());
        }
        let location = base()
            .join("https://pool.contoso.com/ucwa/oauth/v1/applications/102/communication/conversations/21a1/messaging/messages/2")
            .expect("url");
        registry.locate("op-2", href_key(&base(), location.as_str()).expect("key"));
        let operation = tracked(
            "op-2",
            Some(location),
            Some(tracking),
            Duration::from_secs(5),
            &registry,
        );
        let completed = operation.completed().await.expect("ok").expect("event");
        assert_eq!(completed.href().rsplit('/').next(), Some("2"));
        assert!(registry.lock().recent.is_empty());
    }

    #[tokio::test]
    async fn failures_timeouts_and_a_closed_channel_are_errors() {
        let registry = Arc::new(OperationRegistry::new(2));
        let failed = r#"{"_links":{"next":{"href":"/e?ack=3"}},"sender":[{"rel":"communication","href":"/c","events":[
            {"link":{"rel":"messagingInvitation","href":"/m/1"},"status":"Failure",
             "reason":{"code":"Forbidden","subcode":"DeclinedByRemote","message":"No."},
             "_embedded":{"messagingInvitation":{"operationId":"op-3"}},"type":"completed"}]}]}"#;
        let tracking = registry.register("op-3").expect("registered");
        for event in events(failed) {
            registry.observe(&event, &base());
        }
        let operation = tracked(
            "op-3",
            None,
            Some(tracking),
            Duration::from_secs(5),
            &registry,
        );
        match operation.completed().await {
            Err(Error::OperationFailed {
                operation_id,
                reason,
            }) => {
                assert_eq!(operation_id, "op-3");
                assert_eq!(reason.code, ErrorCode::Forbidden);
            }
            other => panic!("expected a failure, got {other:?}"),
        }

        let tracking = registry.register("op-4").expect("registered");
        assert!(registry.register("op-4").is_err(), "ids are unique");
        let waiting = tracked(
            "op-4",
            None,
            Some(tracking),
            Duration::from_millis(50),
            &registry,
        );
        assert!(waiting
            .completed()
            .await
            .expect_err("times out")
            .is_timeout());
        assert!(
            registry.lock().by_id.is_empty(),
            "dropped operations are forgotten"
        );

        let tracking = registry.register("op-5").expect("registered");
        let _other = registry.register("op-6").expect("registered");
        assert!(registry.register("op-7").is_err(), "bounded");
        registry.close(Error::ChannelClosed {
            reason: "gone".into(),
        });
        let closed = tracked(
            "op-5",
            None,
            Some(tracking),
            Duration::from_secs(5),
            &registry,
        );
        assert!(matches!(
            closed.completed().await,
            Err(Error::ChannelClosed { .. })
        ));
        assert!(registry.register("op-8").is_err());

        let synchronous = tracked("op-9", None, None, Duration::from_secs(5), &registry);
        assert!(synchronous.completed().await.expect("ok").is_none());
    }

    #[test]
    fn unmatched_operation_events_are_kept_bounded() {
        let registry = OperationRegistry::new(8);
        for index in 0..(RECENT_EVENTS + 10) {
            let json = format!(
                r#"{{"_links":{{"next":{{"href":"/e"}}}},"sender":[{{"rel":"communication","href":"/c","events":[
                {{"link":{{"rel":"messagingInvitation","href":"/m/{index}"}},"type":"updated"}}]}}]}}"#
            );
            for event in events(&json) {
                registry.observe(&event, &base());
            }
        }
        assert_eq!(registry.lock().recent.len(), RECENT_EVENTS);
    }
}
