//! The typed layer: the one module that names the generated crate (`ucwa`:
//! resource types by rel, the application and `me` resources, the
//! application request body), and the session's typed operations, which
//! send the `http::Request`s the generated crate builds
//! (`link.get()`, `link.post(&body)`, ...) and read the answers with their
//! typed readers (`ucwa_runtime::operation`).

use crate::core::json_text;
use crate::error::{Error, HttpError};
use crate::operation::Operation;
use crate::session::Session;
use bytes::Bytes;
use serde_json::Value;
use ucwa_runtime::{
    DecodeError, Delete, Get, IntoOperationRequest, Link, Outcome, Post, PostEmpty, Put, Resource,
    ResponseError, ResponseReader, Target,
};

pub use ucwa::resources::{Application, ApplicationsRequest, Communication, Me, People};
pub use ucwa::{AnyResource, ResourceKind};

/// The event channel body with typed senders and targets.
pub(crate) type ChannelBody = ucwa::Events;

/// The hrefs of the application the session uses, as the server sent them
/// (relative to the application's URL).
#[derive(Debug, Clone, Default)]
pub(crate) struct ApplicationHrefs {
    pub(crate) self_href: Option<String>,
    pub(crate) events: Option<String>,
    pub(crate) batch: Option<String>,
    pub(crate) me: Option<String>,
    pub(crate) make_me_available: Option<String>,
    pub(crate) report_my_activity: Option<String>,
}

/// The `applications` POST body (`userAgent`, `endpointId`, `culture`, and
/// `instanceId` for MultiTabSupport).
pub(crate) fn application_request(
    user_agent: &str,
    endpoint_id: &str,
    culture: &str,
    instance_id: Option<&str>,
) -> ApplicationsRequest {
    ApplicationsRequest {
        culture: culture.to_owned(),
        endpoint_id: endpoint_id.to_owned(),
        instance_id: instance_id.map(str::to_owned),
        user_agent: user_agent.to_owned(),
        extra: Default::default(),
    }
}

/// Decodes the application resource (the answer to creating or getting it).
pub(crate) fn decode_application(url: &str, body: &[u8]) -> Result<Application, Error> {
    decode_json::<Application>(url, body, "the application resource")
}

/// Decodes the `me` resource.
pub(crate) fn decode_me(url: &str, body: &[u8]) -> Result<Me, Error> {
    decode_json::<Me>(url, body, "the me resource")
}

fn decode_json<T: Resource>(url: &str, body: &[u8], expected: &'static str) -> Result<T, Error> {
    T::from_json(json_text(url, body, expected)?)
        .map_err(|error| Error::decode(url, expected, error))
}

pub(crate) fn application_hrefs(application: &Application) -> ApplicationHrefs {
    let me = application
        .embedded
        .as_ref()
        .and_then(|embedded| embedded.me.as_ref())
        .and_then(|me| me.first());
    let mut hrefs = ApplicationHrefs {
        self_href: application.self_link().map(|link| link.href().to_owned()),
        events: application.events_link().map(|link| link.href().to_owned()),
        batch: application.batch_link().map(|link| link.href().to_owned()),
        me: application.me_link().map(|link| link.href().to_owned()),
        ..ApplicationHrefs::default()
    };
    if let Some(me) = me {
        merge_me(&mut hrefs, me);
    }
    hrefs
}

/// Takes the `me` links (self, makeMeAvailable, reportMyActivity) from `me`.
pub(crate) fn merge_me(hrefs: &mut ApplicationHrefs, me: &Me) {
    if let Some(link) = me.self_link() {
        hrefs.me = Some(link.href().to_owned());
    }
    if let Some(link) = me.make_me_available_link() {
        hrefs.make_me_available = Some(link.href().to_owned());
    }
    if let Some(link) = me.report_my_activity_link() {
        hrefs.report_my_activity = Some(link.href().to_owned());
    }
}

/// Decodes an embedded resource of an event to its type: by the rel it is
/// embedded under, else by its own `rel`. `None` when neither is a rel the
/// generated crate knows.
pub(crate) fn decode_embedded(
    rel: &str,
    value: &Value,
) -> Option<Result<AnyResource, DecodeError>> {
    // The generated decoders read text; the value was parsed once already,
    // so this re-encodes it (events are small).
    let text = match serde_json::to_string(value) {
        Ok(text) => text,
        Err(error) => return Some(Err(DecodeError::Json(error))),
    };
    ucwa::decode_json(rel, &text).or_else(|| {
        let own = value.get("rel")?.as_str()?;
        ucwa::decode_json(own, &text)
    })
}

/// Typed operations: a link and a method in, the documented type out.
impl Session {
    /// Sends a typed request (a builder from `link.get()`, `link.post(&body)`,
    /// ... or a built [`ucwa_runtime::OperationRequest`]) and reads the answer
    /// with its typed reader: the resource for a GET, an [`Outcome`] for a
    /// POST or PUT, `()` for a DELETE. An error status is [`Error::Http`]
    /// naming the operation's documented error it matches
    /// ([`HttpError::documented`]); an answer that is not the documented type
    /// is [`Error::Decode`] or [`Error::Protocol`].
    pub async fn call<Out>(&self, request: impl IntoOperationRequest<Out>) -> Result<Out, Error> {
        let (request, reader) = built(request)?.into_parts();
        let (method, url) = (request.method().clone(), self.url_of(&request)?);
        let response = self.send_with(request, Some(reader.errors())).await?;
        let out = read(&reader, &response, &method, &url)?;
        if method == http::Method::GET && response.status() == http::StatusCode::OK {
            self.remember_read(&url, response.body());
        }
        Ok(out)
    }

    /// The latest `link`'s resource the session knows (read with a GET, or
    /// embedded in an event since), kept current by the event channel;
    /// `None` when it has none, or when the channel said it changed without
    /// saying to what. No request is sent.
    pub fn cached<T: serde::de::DeserializeOwned>(&self, link: &Link<T>) -> Option<T> {
        let base = self.application_url();
        let value = self.shared().cache.get(&base, &link.href)?;
        serde_json::from_value(value).ok()
    }

    /// [`Session::cached`] by the rel of one of the application's own
    /// resources: `me`, `presence`, `note`, `location`, `people`,
    /// `communication`, `onlineMeetings`, `myGroups`, `callForwardingSettings`.
    pub fn cached_rel<T: serde::de::DeserializeOwned>(&self, rel: &str) -> Option<T> {
        let value = self.shared().cache.get_rel(rel)?;
        serde_json::from_value(value).ok()
    }

    /// GETs `link`: the resource it points to.
    pub async fn get<T: Get>(&self, link: &Link<T>) -> Result<T, Error> {
        self.call(link.get()).await
    }

    /// POSTs `body` to `link`: `Created` with the new resource's `Location`,
    /// `NoContent`, or the resource in the body. For operations that start
    /// something the event channel finishes, see [`Session::start`].
    pub async fn post<T: Post>(
        &self,
        link: &Link<T>,
        body: &T::Body,
    ) -> Result<Outcome<T::Output>, Error> {
        self.call(link.post(body)).await
    }

    /// POSTs nothing to `link`, with `query` as its parameters: an operation
    /// whose page sends it with `Content-Length: 0` ([`PostEmpty`]: resetting
    /// the note, extending a presence subscription). No `Content-Type` is sent.
    pub async fn post_empty<T: PostEmpty>(
        &self,
        link: &Link<T>,
        query: &T::Query,
    ) -> Result<Outcome<T::Output>, Error> {
        self.call(link.post_empty().query(query)).await
    }

    /// PUTs `resource` (as a GET gave it, changed) to `link`.
    pub async fn put<T: Put>(&self, link: &Link<T>, resource: &T) -> Result<Outcome<T>, Error> {
        self.call(link.put(resource)).await
    }

    /// DELETEs `link`.
    pub async fn delete<T: Delete>(&self, link: &Link<T>) -> Result<(), Error> {
        self.call(link.delete()).await
    }

    /// Starts an operation (startMessaging, sendMessage, addParticipant...):
    /// POSTs `body` to `link` with an `operationId` (see
    /// [`Session::start_operation`]) and returns the handle that resolves
    /// from the event channel, with the answer read as for [`Session::post`].
    pub async fn start<T: Post>(
        &self,
        link: &Link<T>,
        body: &T::Body,
    ) -> Result<Started<T::Output>, Error> {
        self.start_request(link.post(body)).await
    }

    /// [`Session::start`] for a request built another way: with query
    /// parameters, in XML, or a body that is not JSON
    /// (`send_message.post_text("Hello")`).
    pub async fn start_request<Out: Target>(
        &self,
        request: impl IntoOperationRequest<Outcome<Out>>,
    ) -> Result<Started<Out>, Error> {
        let (request, reader) = built(request)?.into_parts();
        let (method, url) = (request.method().clone(), self.url_of(&request)?);
        let operation = self.start_with(request, Some(reader.errors())).await?;
        let outcome = read(&reader, operation.response(), &method, &url)?;
        Ok(Started { operation, outcome })
    }

    fn url_of(&self, request: &http::Request<Vec<u8>>) -> Result<String, Error> {
        Ok(self.resolve(&request.uri().to_string())?.to_string())
    }
}

/// The resources embedded in the application.
impl Session {
    /// The `me` resource embedded in the application, as created or as
    /// [`Session::refresh_application`] last read it: its links lead to
    /// `presence`, `note`, `photo`, `makeMeAvailable`...
    pub fn me(&self) -> Option<Me> {
        self.embedded(|embedded| embedded.me.as_ref()?.first().cloned())
    }

    /// The `people` resource embedded in the application: `myContacts`,
    /// `presenceSubscriptions`, `search`...
    pub fn people(&self) -> Option<People> {
        self.embedded(|embedded| embedded.people.as_ref()?.first().cloned())
    }

    /// The `communication` resource embedded in the application:
    /// `startMessaging`, `conversations`...
    pub fn communication(&self) -> Option<Communication> {
        self.embedded(|embedded| embedded.communication.as_ref()?.first().cloned())
    }

    fn embedded<T>(
        &self,
        pick: impl Fn(&ucwa::resources::ApplicationEmbedded) -> Option<T>,
    ) -> Option<T> {
        pick(self.application().embedded.as_ref()?)
    }
}

fn built<Out>(
    request: impl IntoOperationRequest<Out>,
) -> Result<ucwa_runtime::OperationRequest<Out>, Error> {
    request
        .into_operation_request()
        .map_err(|error| Error::InvalidRequest(error.to_string()))
}

/// The typed reader's verdict as the client's [`Error`].
fn read<Out>(
    reader: &ResponseReader<Out>,
    response: &http::Response<Bytes>,
    method: &http::Method,
    url: &str,
) -> Result<Out, Error> {
    reader.read(response).map_err(|error| match error {
        ResponseError::Status(status) => Error::Http(Box::new(HttpError {
            method: method.clone(),
            url: url.to_owned(),
            status: status.status,
            body: status.body,
            documented: status.documented,
            retry_after: None,
            diagnostics: None,
        })),
        ResponseError::Decode {
            expected, error, ..
        } => Error::decode(url, expected, error),
        other => Error::protocol(url, other.to_string()),
    })
}

/// An operation started with [`Session::start`]: the typed answer to the
/// POST, and the [`Operation`] that resolves from the event channel.
#[derive(Debug)]
pub struct Started<Out> {
    operation: Operation,
    outcome: Outcome<Out>,
}

impl<Out> Started<Out> {
    /// The answer to the POST: usually `Created` with the operation's `Location`.
    pub fn outcome(&self) -> &Outcome<Out> {
        &self.outcome
    }

    /// The `Location` of the `201 Created`, typed.
    pub fn location(&self) -> Option<&Link<Out>> {
        self.outcome.location()
    }

    /// The `operationId` sent with the request.
    pub fn id(&self) -> &str {
        self.operation.id()
    }

    /// The untyped handle: updates, the response, [`Operation::completed_within`].
    pub fn operation(&mut self) -> &mut Operation {
        &mut self.operation
    }

    /// Waits for the `completed` event (see [`Operation::completed`]).
    pub async fn completed(self) -> Result<Option<crate::Event>, Error> {
        self.operation.completed().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLICATION: &str = r#"{
      "culture":"en-US","userAgent":"UCWA Samples",
      "_links":{"self":{"href":"/ucwa/oauth/v1/applications/105"},
        "batch":{"href":"/ucwa/oauth/v1/applications/105/batch"},
        "events":{"href":"/ucwa/oauth/v1/applications/105/events?ack=1"}},
      "_embedded":{"me":{"name":"Lene Aaling","uri":"sip:lenea@contoso.com",
        "_links":{"self":{"href":"/ucwa/oauth/v1/applications/105/me"},
          "makeMeAvailable":{"href":"/ucwa/oauth/v1/applications/105/me/makeMeAvailable"}},
        "rel":"me"}},
      "rel":"application"}"#;

    /// Typed calls can run on a multi-threaded runtime (`tokio::spawn`).
    #[allow(dead_code)]
    fn typed_calls_are_send(
        session: &Session,
        start: &Link<ucwa::resources::StartMessaging>,
        body: &ucwa::resources::StartMessagingRequest,
        me: &Link<Me>,
    ) {
        fn send<T: Send>(_: T) {}
        send(session.post(start, body));
        send(session.start(start, body));
        send(session.start_request(start.post_text("Hi")));
        send(session.get(me));
        send(session.call(me.get()));
    }

    #[test]
    fn the_application_gives_the_links_the_session_uses() {
        let application = decode_application("/x", APPLICATION.as_bytes()).expect("decodes");
        let hrefs = application_hrefs(&application);
        assert_eq!(
            hrefs.self_href.as_deref(),
            Some("/ucwa/oauth/v1/applications/105")
        );
        assert_eq!(
            hrefs.events.as_deref(),
            Some("/ucwa/oauth/v1/applications/105/events?ack=1")
        );
        assert_eq!(
            hrefs.batch.as_deref(),
            Some("/ucwa/oauth/v1/applications/105/batch")
        );
        assert_eq!(
            hrefs.me.as_deref(),
            Some("/ucwa/oauth/v1/applications/105/me")
        );
        assert_eq!(
            hrefs.make_me_available.as_deref(),
            Some("/ucwa/oauth/v1/applications/105/me/makeMeAvailable")
        );
        assert_eq!(hrefs.report_my_activity, None);
    }

    #[test]
    fn the_request_body_uses_the_documented_names() {
        let body = application_request("UCWA Samples", "a917c6f4", "en-US", None);
        let value = serde_json::to_value(&body).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"userAgent":"UCWA Samples","endpointId":"a917c6f4","culture":"en-US"})
        );
    }

    #[test]
    fn embedded_resources_decode_by_their_rel_or_their_own() {
        let participant = serde_json::json!({"name":"Tosh Meston","rel":"participant",
            "_links":{"self":{"href":"/p/toshm"}}});
        let decoded = decode_embedded("localParticipant", &participant)
            .expect("known rel")
            .expect("decodes");
        assert!(
            matches!(decoded, AnyResource::LocalParticipant(_)),
            "{decoded:?}"
        );
        let by_own_rel = decode_embedded("somethingNew", &participant)
            .expect("own rel known")
            .expect("decodes");
        assert!(matches!(by_own_rel, AnyResource::Participant(_)));
        assert!(decode_embedded("somethingNew", &serde_json::json!({"rel":"alsoNew"})).is_none());
        assert!(decode_application("/x", b"<html>").is_err());
        assert!(decode_application("/x", &[0xff, 0xfe]).is_err());
    }
}
