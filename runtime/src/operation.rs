//! Typed operations: a typed link and a method give an `http::Request`, and
//! the operation reads the `http::Response` into what it documents.
//!
//! A generated resource implements [`Get`], [`Post`], [`Put`] and
//! [`Delete`] for the methods its page documents; the impls only name types
//! (the request body, the resource a POST gives, the query parameters), and
//! everything else is here, written once:
//!
//! - [`Link::get`], [`Link::post`], [`Link::put`] and [`Link::delete`] start
//!   a [`RequestBuilder`]: JSON by default, XML with
//!   [`RequestBuilder::format`], typed query parameters with
//!   [`RequestBuilder::query`]; [`RequestBuilder::build`] gives an
//!   [`OperationRequest`], an `http::Request<Vec<u8>>` with the
//!   [`ResponseReader`] that reads its answer.
//! - Reading: a GET gives the resource; a POST or PUT an [`Outcome`]
//!   (the resource, `201 Created` with its `Location`, `204 No Content`); a
//!   DELETE `()`. An error status is [`ResponseError::Status`], with the UCWA
//!   error body and the operation's documented [`SyncError`] it matches.
//! - [`DynOperation`]: the same, chosen at run time by rel and method (the
//!   generated crate's `operation`, `build_request` and `read_response`), for
//!   tools that replay documented transcripts.
//!
//! Nothing here does I/O: any HTTP stack can carry the requests.

use crate::error::{DecodeError, EncodeError, ErrorBody};
use crate::link::{Link, Untyped};
use crate::meta::{Method, OperationInfo, SyncError};
use crate::{Format, RequestBody, Resource};
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use thiserror::Error;

/// What a link or an outcome points at: a generated resource type, or
/// [`Untyped`] when the docs do not say.
pub trait Target: Sized {
    /// The resource's rel; `None` for [`Untyped`].
    const REL: Option<&'static str>;

    /// Decodes a body of this type; `None` when there is no type to decode into.
    fn decode(format: Format, body: &str) -> Option<Result<Self, DecodeError>>;
}

impl<T: Resource> Target for T {
    const REL: Option<&'static str> = Some(T::REL);

    fn decode(format: Format, body: &str) -> Option<Result<Self, DecodeError>> {
        Some(format.decode(body))
    }
}

impl Target for Untyped {
    const REL: Option<&'static str> = None;

    fn decode(_: Format, _: &str) -> Option<Result<Self, DecodeError>> {
        None
    }
}

/// The request body of an operation documented without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NoBody;

/// What a POST sends: a generated request body ([`RequestBody`]), or [`NoBody`].
pub trait Payload: Sized + Send + Sync {
    /// The encoded body; `None` for no body at all.
    fn encode(&self, format: Format) -> Result<Option<Vec<u8>>, EncodeError>;

    /// Reads a documented body (a request sample) into the type.
    fn decode(format: Format, body: &str) -> Result<Self, DecodeError>;
}

impl<T: RequestBody + Send + Sync> Payload for T {
    fn encode(&self, format: Format) -> Result<Option<Vec<u8>>, EncodeError> {
        let text = match format {
            Format::Json => self.to_json()?,
            Format::Xml => self.to_xml()?,
        };
        Ok(Some(text.into_bytes()))
    }

    fn decode(format: Format, body: &str) -> Result<Self, DecodeError> {
        match format {
            Format::Json => T::from_json(body),
            Format::Xml => T::from_xml(body),
        }
    }
}

impl Payload for NoBody {
    fn encode(&self, _: Format) -> Result<Option<Vec<u8>>, EncodeError> {
        Ok(None)
    }

    /// Only an empty body: the page documents none.
    fn decode(_: Format, body: &str) -> Result<Self, DecodeError> {
        if body.trim().is_empty() {
            return Ok(NoBody);
        }
        Err(DecodeError::Structure {
            expected: "no body (the operation documents none)".into(),
            found: format!("{} bytes", body.len()),
        })
    }
}

/// A resource whose page documents GET: a GET on its link gives it.
pub trait Get: Resource {
    /// The typed query parameters, `()` when the page lists none.
    type Query: Serialize + Sync;

    /// Reads the answer to a GET: the resource.
    fn read_get<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<Self, ResponseError> {
        get_reader::<Self>().read(response)
    }
}

/// A resource whose page documents POST: what it takes and what it gives.
pub trait Post: Resource {
    /// The request body: the generated `…Request` type, or [`NoBody`].
    type Body: Payload;
    /// The resource the POST creates or returns (the page's response body),
    /// [`Untyped`] when the page names none.
    type Output: Target;
    /// The typed query parameters, `()` when the page lists none.
    type Query: Serialize + Sync;

    /// Reads the answer to a POST.
    fn read_post<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<Outcome<Self::Output>, ResponseError> {
        post_reader::<Self>().read(response)
    }
}

/// A POST that may be sent with no body at all: its parameters travel in the
/// query (`note` resets with `?message=`, `presenceSubscription` extends
/// with `?duration=`), and the page's samples send `Content-Length: 0`.
/// [`Link::post_empty`] sends it so; the schema's `body_optional` says why
/// an operation is one.
pub trait PostEmpty: Post {}

/// A resource whose page documents PUT: the resource itself is sent back
/// (UCWA PUTs replace the whole resource, unknown properties included).
pub trait Put: Resource + Sync {
    /// Reads the answer to a PUT.
    fn read_put<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<Outcome<Self>, ResponseError> {
        put_reader::<Self>().read(response)
    }
}

/// A resource whose page documents DELETE.
pub trait Delete: Resource {
    /// Reads the answer to a DELETE.
    fn read_delete<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<(), ResponseError> {
        delete_reader::<Self>().read(response)
    }
}

/// What a successful POST or PUT gave back.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// `200 OK` (or another 2xx) with the resource in the body.
    Resource(T),
    /// `201 Created`: where the new resource lives (the `Location` header),
    /// and the resource itself when the body carries it (creating the
    /// application does). A `201` with a body and no `Location` is
    /// [`Outcome::Resource`], one with neither [`Outcome::NoContent`].
    Created {
        /// The `Location` header.
        location: Link<T>,
        /// The body, decoded, when there was one.
        resource: Option<T>,
    },
    /// `204 No Content`, or a 2xx with an empty body.
    NoContent,
    /// A 2xx body this operation has no type for: an untyped output, or a
    /// media type that is neither JSON nor XML.
    Content {
        /// The `Content-Type` header, when sent.
        content_type: Option<String>,
        /// The body as it came.
        body: Vec<u8>,
    },
}

impl<T> Outcome<T> {
    /// The `Location` of a `201 Created`.
    pub fn location(&self) -> Option<&Link<T>> {
        match self {
            Outcome::Created { location, .. } => Some(location),
            _ => None,
        }
    }

    /// The resource the body carried, if any.
    pub fn into_resource(self) -> Option<T> {
        match self {
            Outcome::Resource(resource) => Some(resource),
            Outcome::Created { resource, .. } => resource,
            _ => None,
        }
    }
}

/// Why a response is not what the operation documents.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// A 4xx or 5xx answer.
    #[error("{0}")]
    Status(Box<StatusError>),
    /// A 2xx answer whose body is not the documented type.
    #[error("{status}: the body is not {expected}: {error}")]
    Decode {
        /// The response status.
        status: StatusCode,
        /// What the body should have been (a rel).
        expected: &'static str,
        /// Why it is not.
        error: DecodeError,
    },
    /// An answer the operation cannot read: a redirect, a GET answered
    /// without a resource.
    #[error("{status}: {reason}")]
    Unexpected {
        /// The response status.
        status: StatusCode,
        /// What was wrong.
        reason: String,
    },
}

/// An error status, with the UCWA error body and the documented error it is.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusError {
    /// The response status.
    pub status: StatusCode,
    /// The UCWA error body (`code`, `subcode`, `message`...), when the body was one.
    pub body: Option<ErrorBody>,
    /// The operation's documented synchronous error this answer matches.
    pub documented: Option<&'static SyncError>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(body) = &self.body {
            write!(f, " ({}", body.code)?;
            if let Some(subcode) = &body.subcode {
                write!(f, "/{subcode}")?;
            }
            if let Some(message) = &body.message {
                write!(f, ": {message}")?;
            }
            f.write_str(")")?;
        }
        if let Some(documented) = self.documented {
            write!(
                f,
                ", documented as {} {}",
                documented.error, documented.subcode
            )?;
        }
        Ok(())
    }
}

/// Why a request could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body or the query parameters could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The href (with its query) is not a valid request URI.
    #[error("`{href}` is not a valid request URI: {reason}")]
    Uri {
        /// The href with the query appended.
        href: String,
        /// What the `http` crate said.
        reason: String,
    },
    /// A header name or value is not valid.
    #[error("invalid header: {0}")]
    Header(String),
}

/// Encodes a typed body in the format asked for.
/// `Send + Sync`, so that a future holding a builder can move between threads.
type Encoder<'a> = Box<dyn Fn(Format) -> Result<Option<Vec<u8>>, EncodeError> + Send + Sync + 'a>;

/// The body a [`RequestBuilder`] sends.
enum BodySource<'a> {
    None,
    Encoded(Encoder<'a>),
    Content {
        content_type: HeaderValue,
        bytes: Vec<u8>,
    },
}

/// A typed request being built: the method, the link's href, the body and
/// query parameters the operation takes, and the reader of its answer.
/// Made by [`Link::get`], [`Link::post`], [`Link::put`], [`Link::delete`].
#[must_use = "a request builder does nothing until built"]
pub struct RequestBuilder<'a, Out, Q = ()> {
    href: &'a str,
    query: Option<&'a Q>,
    format: Format,
    body: BodySource<'a>,
    headers: Vec<(HeaderName, HeaderValue)>,
    reader: ResponseReader<Out>,
}

impl<'a, Out, Q: Serialize> RequestBuilder<'a, Out, Q> {
    fn new(href: &'a str, body: BodySource<'a>, reader: ResponseReader<Out>) -> Self {
        RequestBuilder {
            href,
            query: None,
            format: Format::Json,
            body,
            headers: Vec::new(),
            reader,
        }
    }

    /// The query parameters the page documents, appended to the href's own.
    pub fn query(mut self, query: &'a Q) -> Self {
        self.query = Some(query);
        self
    }

    /// The body format and `Accept` (JSON by default).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// An extra header (e.g. `If-Match`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The reader of the answer.
    pub fn reader(&self) -> ResponseReader<Out> {
        self.reader
    }

    /// The request: method, URI (href and query), `Accept`, and the body
    /// with its `Content-Type`.
    pub fn build(self) -> Result<OperationRequest<Out>, RequestError> {
        let mut href = self.href.to_owned();
        if let Some(query) = self.query {
            append_query(&mut href, &query_pairs(query)?);
        }
        let body = match &self.body {
            BodySource::None => None,
            BodySource::Encoded(encode) => encode(self.format)?
                .map(|bytes| (HeaderValue::from_static(self.format.media_type()), bytes)),
            BodySource::Content {
                content_type,
                bytes,
            } => Some((content_type.clone(), bytes.clone())),
        };
        let uri: http::Uri =
            href.parse()
                .map_err(|error: http::uri::InvalidUri| RequestError::Uri {
                    href: href.clone(),
                    reason: error.to_string(),
                })?;
        let mut request = http::Request::new(Vec::new());
        *request.method_mut() = self.reader.info.method.into();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static(self.format.media_type()));
        match body {
            Some((content_type, bytes)) => {
                headers.insert(CONTENT_TYPE, content_type);
                *request.body_mut() = bytes;
            }
            // A POST or PUT says it sends nothing: HTTP stacks leave an empty
            // body's length out, and a server may answer `411 Length Required`.
            None if matches!(self.reader.info.method, Method::Post | Method::Put) => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
            None => {}
        }
        for (name, value) in self.headers {
            request.headers_mut().append(name, value);
        }
        Ok(OperationRequest {
            request,
            reader: self.reader,
        })
    }
}

/// The query pairs of typed parameters: strings as they are, numbers and
/// booleans written out, lists repeated, `null` left out.
pub fn query_pairs<Q: Serialize + ?Sized>(query: &Q) -> Result<Vec<(String, String)>, EncodeError> {
    let object = match serde_json::to_value(query)? {
        Value::Null => return Ok(Vec::new()),
        Value::Object(object) => object,
        _ => {
            return Err(EncodeError::Query {
                name: String::new(),
                reason: "query parameters must be a struct",
            })
        }
    };
    let mut pairs = Vec::new();
    for (name, value) in object {
        let values = match value {
            Value::Array(values) => values,
            value => vec![value],
        };
        for value in values {
            let text = match value {
                Value::Null => continue,
                Value::String(text) => text,
                Value::Bool(_) | Value::Number(_) => value.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(EncodeError::Query {
                        name,
                        reason: "a query parameter holds text, a number or a boolean",
                    })
                }
            };
            pairs.push((name.clone(), text));
        }
    }
    Ok(pairs)
}

fn append_query(href: &mut String, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        return;
    }
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = match href.split_once('?') {
        Some((_, "")) => "",
        Some(_) => "&",
        None => "?",
    };
    href.push_str(separator);
    href.push_str(&encoded);
}

/// A typed request, built or still a builder: what a client's `call` takes.
pub trait IntoOperationRequest<Out> {
    /// The request, built.
    fn into_operation_request(self) -> Result<OperationRequest<Out>, RequestError>;
}

impl<Out> IntoOperationRequest<Out> for OperationRequest<Out> {
    fn into_operation_request(self) -> Result<OperationRequest<Out>, RequestError> {
        Ok(self)
    }
}

impl<Out, Q: Serialize> IntoOperationRequest<Out> for RequestBuilder<'_, Out, Q> {
    fn into_operation_request(self) -> Result<OperationRequest<Out>, RequestError> {
        self.build()
    }
}

/// A built typed request: the `http::Request` to send, and the reader of its answer.
#[derive(Debug)]
pub struct OperationRequest<Out> {
    request: http::Request<Vec<u8>>,
    reader: ResponseReader<Out>,
}

impl<Out> OperationRequest<Out> {
    /// The request, e.g. to add a header.
    pub fn request(&self) -> &http::Request<Vec<u8>> {
        &self.request
    }

    /// The request, mutably.
    pub fn request_mut(&mut self) -> &mut http::Request<Vec<u8>> {
        &mut self.request
    }

    /// The reader of the answer.
    pub fn reader(&self) -> ResponseReader<Out> {
        self.reader
    }

    /// The request to send and the reader of its answer, apart.
    pub fn into_parts(self) -> (http::Request<Vec<u8>>, ResponseReader<Out>) {
        (self.request, self.reader)
    }

    /// The same request, read by `read` (see [`ResponseReader::with_read`]).
    pub fn with_read<Other>(self, read: ReadFn<Other>) -> OperationRequest<Other> {
        OperationRequest {
            request: self.request,
            reader: self.reader.with_read(read),
        }
    }
}

/// Reads a response for the operation `info` describes.
pub type ReadFn<Out> = fn(&Answer<'_>, &ReadInfo) -> Result<Out, ResponseError>;

/// What reading an answer needs to know of its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadInfo {
    /// The method.
    pub method: Method,
    /// The rel of the resource the operation is on.
    pub rel: &'static str,
    /// The rel of the resource a success carries (a POST's documented
    /// response body); `None` when the docs name none.
    pub output: Option<&'static str>,
    /// The operation as its page documents it, when it does.
    pub info: Option<&'static OperationInfo>,
}

impl ReadInfo {
    fn of<T: Resource>(method: Method, output: Option<&'static str>) -> ReadInfo {
        ReadInfo {
            method,
            rel: T::REL,
            output,
            info: T::OPERATIONS.iter().find(|op| op.method == method),
        }
    }

    /// The documented synchronous errors.
    pub fn errors(&self) -> &'static [SyncError] {
        self.info.map_or(&[], |info| info.errors)
    }
}

/// Reads the answer to one typed operation: `Out` is the resource for a
/// GET, an [`Outcome`] for a POST or PUT, `()` for a DELETE.
pub struct ResponseReader<Out> {
    info: ReadInfo,
    read: ReadFn<Out>,
}

impl<Out> Clone for ResponseReader<Out> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Out> Copy for ResponseReader<Out> {}

impl<Out> fmt::Debug for ResponseReader<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseReader")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<Out> ResponseReader<Out> {
    /// The operation this reads for.
    pub fn info(&self) -> &ReadInfo {
        &self.info
    }

    /// The operation's documented synchronous errors.
    pub fn errors(&self) -> &'static [SyncError] {
        self.info.errors()
    }

    /// Reads `response`.
    pub fn read<B: AsRef<[u8]>>(&self, response: &http::Response<B>) -> Result<Out, ResponseError> {
        self.read_parts(
            response.status(),
            response.headers(),
            response.body().as_ref(),
        )
    }

    /// Reads an answer given as its parts.
    pub fn read_parts(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Out, ResponseError> {
        (self.read)(
            &Answer {
                status,
                headers,
                body,
            },
            &self.info,
        )
    }

    /// The same operation read another way (the generated crate's
    /// `read_response` reads any rel into its `AnyResource`).
    pub fn with_read<Other>(self, read: ReadFn<Other>) -> ResponseReader<Other> {
        ResponseReader {
            info: self.info,
            read,
        }
    }
}

fn get_reader<T: Get>() -> ResponseReader<T> {
    ResponseReader {
        info: ReadInfo::of::<T>(Method::Get, Some(T::REL)),
        read: |answer, info| match answer.outcome(info, <T as Target>::decode)? {
            Outcome::Resource(resource) => Ok(resource),
            _ => Err(answer.unexpected(format!("expected the {} resource", T::REL))),
        },
    }
}

fn post_reader<T: Post>() -> ResponseReader<Outcome<T::Output>> {
    ResponseReader {
        info: ReadInfo::of::<T>(Method::Post, <T::Output as Target>::REL),
        read: |answer, info| answer.outcome(info, <T::Output as Target>::decode),
    }
}

fn put_reader<T: Put>() -> ResponseReader<Outcome<T>> {
    ResponseReader {
        info: ReadInfo::of::<T>(Method::Put, Some(T::REL)),
        read: |answer, info| answer.outcome(info, <T as Target>::decode),
    }
}

fn delete_reader<T: Delete>() -> ResponseReader<()> {
    ResponseReader {
        info: ReadInfo::of::<T>(Method::Delete, None),
        read: |answer, info| answer.outcome(info, Untyped::decode).map(|_| ()),
    }
}

/// A response as a [`ReadFn`] gets it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'r> {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: &'r HeaderMap,
    /// The body.
    pub body: &'r [u8],
}

impl Answer<'_> {
    fn unexpected(&self, reason: impl Into<String>) -> ResponseError {
        ResponseError::Unexpected {
            status: self.status,
            reason: reason.into(),
        }
    }

    /// The error of a non-2xx answer: [`ResponseError::Status`] for 4xx and
    /// 5xx (with the error body and the documented error it matches),
    /// [`ResponseError::Unexpected`] for the rest.
    pub fn check_status(&self, info: &ReadInfo) -> Result<(), ResponseError> {
        let status = self.status;
        if status.is_success() {
            return Ok(());
        }
        if !(status.is_client_error() || status.is_server_error()) {
            return Err(self.unexpected(format!("{} {} answered {status}", info.method, info.rel)));
        }
        let body: Option<ErrorBody> = ErrorBody::from_bytes(self.body);
        let subcode = body
            .as_ref()
            .and_then(|body| body.subcode.as_ref())
            .map(|subcode| subcode.as_str());
        let documented = SyncError::matching(info.errors(), status.as_u16(), subcode);
        Err(ResponseError::Status(Box::new(StatusError {
            status,
            body,
            documented,
        })))
    }

    /// Reads a 2xx answer into an [`Outcome`], decoding a body with `decode`
    /// (by its `Content-Type`, else by its first character).
    pub fn outcome<A>(
        &self,
        info: &ReadInfo,
        decode: impl Fn(Format, &str) -> Option<Result<A, DecodeError>>,
    ) -> Result<Outcome<A>, ResponseError> {
        self.check_status(info)?;
        let decoded = self.decoded(info, decode)?;
        let location = self
            .headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok());
        match (self.status == StatusCode::CREATED, location, decoded) {
            (true, Some(location), decoded) => {
                let resource = match decoded {
                    Some(Outcome::Resource(resource)) => Some(resource),
                    _ => None,
                };
                Ok(Outcome::Created {
                    location: Link::new(location),
                    resource,
                })
            }
            // Created, and the body says what: the resource (its `self` link
            // is where); with neither, there is nothing more to read.
            (_, _, decoded) => Ok(decoded.unwrap_or(Outcome::NoContent)),
        }
    }

    /// The body as `Resource` or `Content`; `None` when empty.
    fn decoded<A>(
        &self,
        info: &ReadInfo,
        decode: impl Fn(Format, &str) -> Option<Result<A, DecodeError>>,
    ) -> Result<Option<Outcome<A>>, ResponseError> {
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let content = || Outcome::Content {
            content_type: content_type.map(str::to_owned),
            body: self.body.to_vec(),
        };
        let Ok(text) = std::str::from_utf8(self.body) else {
            return Ok(Some(content()));
        };
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(None);
        }
        let format = match content_type {
            Some(content_type) => Format::from_media_type(content_type),
            None => Format::sniff(text),
        };
        let decoded = format.and_then(|format| decode(format, text));
        match decoded {
            None => Ok(Some(content())),
            Some(Ok(resource)) => Ok(Some(Outcome::Resource(resource))),
            Some(Err(error)) => Err(ResponseError::Decode {
                status: self.status,
                expected: info.output.unwrap_or(info.rel),
                error,
            }),
        }
    }
}

impl<T> Link<T> {
    fn builder<'a, Out, Q: Serialize>(
        &'a self,
        body: BodySource<'a>,
        reader: ResponseReader<Out>,
    ) -> RequestBuilder<'a, Out, Q> {
        RequestBuilder::new(&self.href, body, reader)
    }
}

impl<T: Get> Link<T> {
    /// GET the target: the typed resource.
    pub fn get(&self) -> RequestBuilder<'_, T, T::Query> {
        self.builder(BodySource::None, get_reader::<T>())
    }
}

impl<T: Post> Link<T> {
    /// POST `body` to the target: an [`Outcome`] of the documented resource.
    pub fn post<'a>(
        &'a self,
        body: &'a T::Body,
    ) -> RequestBuilder<'a, Outcome<T::Output>, T::Query> {
        let encode = move |format| body.encode(format);
        let reader = post_reader::<T>();
        self.builder(BodySource::Encoded(Box::new(encode)), reader)
    }
}

impl<T: PostEmpty> Link<T> {
    /// POST with no body: no `Content-Type`, an empty body (`Content-Length:
    /// 0` on the wire), the parameters in [`RequestBuilder::query`]; the
    /// answer is read as for [`Link::post`].
    pub fn post_empty(&self) -> RequestBuilder<'_, Outcome<T::Output>, T::Query> {
        self.builder(BodySource::None, post_reader::<T>())
    }
}

impl<T: Post> Link<T> {
    /// POST `bytes` with this `Content-Type` instead of a typed body, for
    /// bodies that are neither JSON nor XML (`sendMessage` takes
    /// `text/plain` or `text/html`, `batch` `multipart/batching`); the
    /// answer is read as for [`Link::post`].
    pub fn post_content(
        &self,
        content_type: HeaderValue,
        bytes: impl Into<Vec<u8>>,
    ) -> RequestBuilder<'_, Outcome<T::Output>, T::Query> {
        let body = BodySource::Content {
            content_type,
            bytes: bytes.into(),
        };
        self.builder(body, post_reader::<T>())
    }

    /// POST `text` as `text/plain; charset=utf-8` (see [`Link::post_content`]):
    /// how `sendMessage` sends an instant message.
    pub fn post_text(&self, text: &str) -> RequestBuilder<'_, Outcome<T::Output>, T::Query> {
        let plain = HeaderValue::from_static("text/plain; charset=utf-8");
        self.post_content(plain, text.as_bytes().to_vec())
    }
}

impl<T: Put> Link<T> {
    /// PUT `resource` (as a GET gave it, changed) to the target.
    pub fn put<'a>(&'a self, resource: &'a T) -> RequestBuilder<'a, Outcome<T>, ()> {
        let encode = move |format| -> Result<Option<Vec<u8>>, EncodeError> {
            let text = match format {
                Format::Json => resource.to_json()?,
                Format::Xml => resource.to_xml()?,
            };
            Ok(Some(text.into_bytes()))
        };
        let reader = put_reader::<T>();
        self.builder(BodySource::Encoded(Box::new(encode)), reader)
    }
}

impl<T: Delete> Link<T> {
    /// DELETE the target.
    pub fn delete(&self) -> RequestBuilder<'_, (), ()> {
        self.builder(BodySource::None, delete_reader::<T>())
    }
}

/// Why a typed operation chosen at run time could not be made or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DynamicError {
    /// No resource of this crate has the rel.
    #[error("no resource has the rel `{rel}`")]
    UnknownRel {
        /// The rel asked for.
        rel: String,
    },
    /// The resource's page documents no such (typed) operation.
    #[error("`{rel}` documents no {method} operation")]
    NoSuchOperation {
        /// The rel asked for.
        rel: String,
        /// The method asked for.
        method: Method,
    },
    /// The documented body does not decode into the operation's body type.
    #[error("{0}")]
    Body(Box<BodyError>),
    /// The request could not be built.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The response is not what the operation documents.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// A body of another media type for an operation that takes none but its
    /// typed one (only a POST sends bytes as they are, see [`Link::post_content`]).
    #[error("{method} on `{rel}` takes no `{content_type}` body")]
    ContentNotAccepted {
        /// The rel.
        rel: &'static str,
        /// The method.
        method: Method,
        /// The media type offered.
        content_type: String,
    },
}

/// A documented body that does not decode into the operation's body type.
#[derive(Debug, Error)]
#[error("the {method} body of `{rel}` does not decode as {expected}{}: {error}", path_suffix(.path))]
pub struct BodyError {
    /// The rel.
    pub rel: &'static str,
    /// The method.
    pub method: Method,
    /// The body type (its rel for a PUT, `the request body` for a POST).
    pub expected: &'static str,
    /// Where in the body decoding failed (`to`, `_links.message`), when known.
    pub path: Option<String>,
    /// Why.
    pub error: DecodeError,
}

fn path_suffix(path: &Option<String>) -> String {
    path.as_ref()
        .map(|path| format!(" (at `{path}`)"))
        .unwrap_or_default()
}

impl DynamicError {
    /// No entry for `rel` and `method`: `known` says whether the rel is one
    /// of the crate's resources.
    pub fn missing(rel: &str, method: Method, known: bool) -> DynamicError {
        match known {
            true => DynamicError::NoSuchOperation {
                rel: rel.to_owned(),
                method,
            },
            false => DynamicError::UnknownRel {
                rel: rel.to_owned(),
            },
        }
    }
}

type BuildFn = fn(&str, Format, Option<&str>) -> Result<http::Request<Vec<u8>>, DynamicError>;
type ContentFn = fn(&str, HeaderValue, Vec<u8>) -> Result<http::Request<Vec<u8>>, DynamicError>;

/// One typed operation chosen at run time: the generated crate's
/// `operation(rel, method)` gives it, one match arm per operation.
#[derive(Clone, Copy)]
pub struct DynOperation {
    info: ReadInfo,
    build: BuildFn,
    /// A POST's [`Link::post_content`]; `None` for the other methods.
    content: Option<ContentFn>,
}

impl fmt::Debug for DynOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynOperation")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn body_error<T: Resource>(
    method: Method,
    expected: &'static str,
    error: DecodeError,
) -> DynamicError {
    DynamicError::Body(Box::new(BodyError {
        rel: T::REL,
        method,
        expected,
        path: error.path(),
        error,
    }))
}

fn built<Out, Q: Serialize>(
    builder: RequestBuilder<'_, Out, Q>,
    format: Format,
) -> Result<http::Request<Vec<u8>>, DynamicError> {
    Ok(builder.format(format).build()?.into_parts().0)
}

impl DynOperation {
    /// GET on `T`; a documented body is refused.
    pub fn get<T: Get>() -> DynOperation {
        DynOperation {
            info: get_reader::<T>().info,
            content: None,
            build: |href, format, body| {
                NoBody::decode(format, body.unwrap_or_default())
                    .map_err(|error| body_error::<T>(Method::Get, "no body", error))?;
                built(Link::<T>::new(href).get(), format)
            },
        }
    }

    /// POST on `T`: the body decodes into `T::Body`.
    pub fn post<T: Post>() -> DynOperation {
        DynOperation {
            info: post_reader::<T>().info,
            build: |href, format, body| {
                let body = T::Body::decode(format, body.unwrap_or_default())
                    .map_err(|error| body_error::<T>(Method::Post, "the request body", error))?;
                built(Link::<T>::new(href).post(&body), format)
            },
            content: Some(|href, content_type, bytes| {
                let link = Link::<T>::new(href);
                Ok(link
                    .post_content(content_type, bytes)
                    .build()?
                    .into_parts()
                    .0)
            }),
        }
    }

    /// POST on `T`, which may go without a body ([`PostEmpty`]): no
    /// documented body (or a blank one) is sent as [`Link::post_empty`],
    /// any other decodes into `T::Body` as for [`DynOperation::post`].
    pub fn post_or_empty<T: PostEmpty>() -> DynOperation {
        DynOperation {
            build: |href, format, body| match body.map(str::trim) {
                None | Some("") => built(Link::<T>::new(href).post_empty(), format),
                Some(_) => (DynOperation::post::<T>().build)(href, format, body),
            },
            ..DynOperation::post::<T>()
        }
    }

    /// PUT on `T`: the body decodes into `T` itself.
    pub fn put<T: Put>() -> DynOperation {
        DynOperation {
            info: put_reader::<T>().info,
            content: None,
            build: |href, format, body| {
                let resource: T = format
                    .decode(body.unwrap_or_default())
                    .map_err(|error| body_error::<T>(Method::Put, T::REL, error))?;
                built(Link::<T>::new(href).put(&resource), format)
            },
        }
    }

    /// DELETE on `T`; a documented body is refused.
    pub fn delete<T: Delete>() -> DynOperation {
        DynOperation {
            info: delete_reader::<T>().info,
            content: None,
            build: |href, format, body| {
                NoBody::decode(format, body.unwrap_or_default())
                    .map_err(|error| body_error::<T>(Method::Delete, "no body", error))?;
                built(Link::<T>::new(href).delete(), format)
            },
        }
    }

    /// What reading the answer needs: method, rels, documented errors.
    pub fn info(&self) -> &ReadInfo {
        &self.info
    }

    /// Decodes `body` (a documented request body in `format`; `None` for
    /// none) into the operation's body type and builds the request to `href`
    /// with the typed builder, `Accept` and `Content-Type` of `format`.
    pub fn build_request(
        &self,
        href: &str,
        format: Format,
        body: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, DynamicError> {
        (self.build)(href, format, body)
    }

    /// The request of a POST whose body is neither JSON nor XML, sent as
    /// it is with its `Content-Type` (`text/plain` for `sendMessage`,
    /// `multipart/batching` for `batch`), as [`Link::post_content`] builds it;
    /// the answer is read with `read`. Another method is
    /// [`DynamicError::ContentNotAccepted`].
    pub fn content_request<Out>(
        &self,
        href: &str,
        content_type: HeaderValue,
        bytes: Vec<u8>,
        read: ReadFn<Out>,
    ) -> Result<OperationRequest<Out>, DynamicError> {
        let Some(build) = self.content else {
            return Err(DynamicError::ContentNotAccepted {
                rel: self.info.rel,
                method: self.info.method,
                content_type: content_type.to_str().unwrap_or("?").to_owned(),
            });
        };
        Ok(OperationRequest {
            request: build(href, content_type, bytes)?,
            reader: self.reader(read),
        })
    }

    /// [`DynOperation::build_request`] with the reader of the answer.
    pub fn request<Out>(
        &self,
        href: &str,
        format: Format,
        body: Option<&str>,
        read: ReadFn<Out>,
    ) -> Result<OperationRequest<Out>, DynamicError> {
        Ok(OperationRequest {
            request: self.build_request(href, format, body)?,
            reader: self.reader(read),
        })
    }

    /// The reader of the answer, reading with `read`.
    pub fn reader<Out>(&self, read: ReadFn<Out>) -> ResponseReader<Out> {
        ResponseReader {
            info: self.info,
            read,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Shape;
    use serde::Serializer;
    use serde_json::{json, Map};

    /// A resource as generated: a GET, a POST that starts an invitation, a PUT, a DELETE.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct Note {
        message: Option<String>,
        extra: Map<String, Value>,
    }

    crate::impl_serde!(Note { message, ..extra });

    impl Resource for Note {
        const REL: &'static str = "note";
        const XML_SHAPE: &'static Shape = &Shape::EMPTY;
        const OPERATIONS: &'static [OperationInfo] = &[
            OperationInfo::new(Method::Get),
            OperationInfo {
                errors: &[
                    SyncError::new(409, "Conflict", "AlreadyExists"),
                    SyncError::new(409, "Conflict", "None"),
                ],
                ..OperationInfo::new(Method::Post)
            },
        ];
    }

    #[derive(Debug, Clone, PartialEq)]
    struct NoteRequest {
        to: String,
        urgent: Option<bool>,
        extra: Map<String, Value>,
    }

    crate::impl_serde!(NoteRequest {
        to: required("to"),
        urgent,
        ..extra
    });

    impl RequestBody for NoteRequest {
        const XML_SHAPE: &'static Shape = &Shape {
            properties: &[("urgent", crate::xml::Scalar::Bool)],
            ..Shape::EMPTY
        };
    }

    #[derive(Debug, Default)]
    struct NoteQuery {
        limit: Option<i64>,
        tags: Vec<String>,
    }

    impl Serialize for NoteQuery {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut fields = crate::ObjectWriter::new(serializer)?;
            fields.optional("limit", &self.limit);
            fields.required("tags", &self.tags);
            fields.end(&Map::new())
        }
    }

    impl Get for Note {
        type Query = NoteQuery;
    }
    impl Post for Note {
        type Body = NoteRequest;
        type Output = Note;
        type Query = ();
    }
    impl PostEmpty for Note {}
    impl Put for Note {}
    impl Delete for Note {}

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
        let mut response = http::Response::builder().status(status);
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        response.body(body.as_bytes().to_vec()).expect("response")
    }

    fn request_to() -> NoteRequest {
        NoteRequest {
            to: "sip:a@b".into(),
            urgent: Some(true),
            extra: Map::new(),
        }
    }

    #[test]
    fn a_post_is_json_by_default_and_xml_on_request() {
        let link: Link<Note> = Link::new("/ucwa/notes?conversation=1");
        let body = request_to();
        let json = link.post(&body).build().expect("builds");
        let request = json.request();
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.uri(), "/ucwa/notes?conversation=1");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(request.headers()[ACCEPT], "application/json");
        assert_eq!(request.body(), br#"{"to":"sip:a@b","urgent":true}"#);

        let xml = link
            .post(&body)
            .format(Format::Xml)
            .build()
            .expect("builds");
        let (request, reader) = xml.into_parts();
        assert_eq!(request.headers()[CONTENT_TYPE], "application/xml");
        assert_eq!(request.headers()[ACCEPT], "application/xml");
        let text = String::from_utf8(request.body().clone()).expect("utf-8");
        assert_eq!(NoteRequest::from_xml(&text).expect("reads back"), body);
        assert_eq!(reader.errors().len(), 2);

        let text = link.post_text("What's up?").build().expect("builds");
        assert_eq!(
            text.request().headers()[CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(text.request().body(), b"What's up?");
    }

    #[test]
    fn an_empty_post_sends_no_body_and_no_content_type() {
        let link: Link<Note> = Link::new("/ucwa/note?message=");
        let request = link.post_empty().build().expect("builds");
        let (request, reader) = request.into_parts();
        assert_eq!(request.method(), http::Method::POST);
        assert!(request.body().is_empty());
        assert!(!request.headers().contains_key(CONTENT_TYPE));
        assert_eq!(request.headers()[CONTENT_LENGTH], "0");
        assert_eq!(request.headers()[ACCEPT], "application/json");
        // The answer is read as for a POST with a body.
        assert_eq!(reader.errors().len(), 2);

        // Chosen at run time: no documented body (or a blank one) is sent
        // empty; a real one still decodes into the typed body.
        let dynamic = DynOperation::post_or_empty::<Note>();
        for body in [None, Some(""), Some("  \n")] {
            let request = dynamic
                .build_request("/ucwa/note", Format::Json, body)
                .expect("builds");
            assert!(request.body().is_empty(), "{body:?}");
            assert!(!request.headers().contains_key(CONTENT_TYPE));
        }
        let with_body = dynamic
            .build_request("/ucwa/note", Format::Json, Some(r#"{"to":"sip:a@b"}"#))
            .expect("builds");
        assert_eq!(with_body.body(), br#"{"to":"sip:a@b"}"#);
        assert!(dynamic
            .build_request("/ucwa/note", Format::Json, Some(r#"{"urgent":true}"#))
            .is_err());
        // A POST that needs its body still refuses to go without it.
        assert!(DynOperation::post::<Note>()
            .build_request("/ucwa/note", Format::Json, None)
            .is_err());
    }

    #[test]
    fn typed_query_parameters_are_appended_to_the_href() {
        let link: Link<Note> = Link::new("/notes");
        let query = NoteQuery {
            limit: Some(5),
            tags: vec!["a b".into(), "c&d".into()],
        };
        let request = link.get().query(&query).build().expect("builds");
        assert_eq!(
            request.request().uri(),
            "/notes?limit=5&tags=a+b&tags=c%26d"
        );
        assert_eq!(request.request().method(), http::Method::GET);
        assert!(request.request().body().is_empty());
        assert!(!request.request().headers().contains_key(CONTENT_TYPE));
        let empty = link
            .get()
            .query(&NoteQuery::default())
            .build()
            .expect("builds");
        assert_eq!(empty.request().uri(), "/notes");
        let mut on_query = String::from("/notes?x=1");
        append_query(&mut on_query, &[("y".into(), "2".into())]);
        assert_eq!(on_query, "/notes?x=1&y=2");
        assert!(matches!(
            Link::<Note>::new("not a uri").get().build(),
            Err(RequestError::Uri { .. })
        ));
        assert!(query_pairs(&json!({"a": {"b": 1}})).is_err());
    }

    #[test]
    fn post_answers_read_as_outcomes() {
        let created =
            Note::read_post(&response(201, &[("Location", "/notes/2")], "")).expect("created");
        assert_eq!(created.location().map(Link::href), Some("/notes/2"));
        assert_eq!(created.into_resource(), None);
        let with_body = Note::read_post(&response(
            201,
            &[
                ("Location", "/notes/3"),
                ("Content-Type", "application/json"),
            ],
            r#"{"rel":"note","message":"hi"}"#,
        ))
        .expect("created");
        assert_eq!(
            with_body.into_resource().and_then(|note| note.message),
            Some("hi".into())
        );
        assert_eq!(
            Note::read_post(&response(204, &[], "")).expect("no content"),
            Outcome::NoContent
        );
        let xml = Note::read_post(&response(
            200,
            &[(
                "Content-Type",
                "application/vnd.microsoft.com.ucwa+xml; charset=utf-8",
            )],
            r#"<resource rel="note" href="/n"><property name="message">hi</property></resource>"#,
        ))
        .expect("decodes");
        assert!(matches!(xml, Outcome::Resource(Note { message: Some(ref m), .. }) if m == "hi"));
        let image =
            Note::read_post(&response(200, &[("Content-Type", "image/png")], "PNG")).expect("kept");
        assert!(matches!(image, Outcome::Content { ref body, .. } if body == b"PNG"));
        assert_eq!(
            Note::read_post(&response(201, &[], "")).expect("read"),
            Outcome::NoContent
        );
        assert!(matches!(
            Note::read_post(&response(201, &[], r#"{"message":"new"}"#)),
            Ok(Outcome::Resource(_))
        ));
        assert!(matches!(
            Note::read_post(&response(302, &[("Location", "/x")], "")),
            Err(ResponseError::Unexpected { .. })
        ));
        match Note::read_post(&response(200, &[("Content-Type", "application/json")], "{")) {
            Err(ResponseError::Decode { expected, .. }) => assert_eq!(expected, "note"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_statuses_name_the_documented_error() {
        let conflict = r#"{"code":"Conflict","subcode":"AlreadyExists","message":"Exists."}"#;
        let error = Note::read_post(&response(409, &[], conflict)).expect_err("409");
        let ResponseError::Status(status) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(status.status, StatusCode::CONFLICT);
        assert_eq!(status.documented.map(|e| e.subcode), Some("AlreadyExists"));
        assert_eq!(
            error.to_string(),
            "409 Conflict (Conflict/AlreadyExists: Exists.), documented as Conflict AlreadyExists"
        );
        let bare = Note::read_post(&response(409, &[], r#"{"code":"Conflict"}"#)).expect_err("409");
        assert!(
            matches!(bare, ResponseError::Status(s) if s.documented.map(|e| e.subcode) == Some("None"))
        );
        let undocumented = Note::read_post(&response(500, &[], "<html/>")).expect_err("500");
        assert!(
            matches!(undocumented, ResponseError::Status(s) if s.documented.is_none() && s.body.is_none())
        );
    }

    #[test]
    fn get_gives_the_resource_put_sends_it_back_delete_reads_nothing() {
        let json = [("Content-Type", "application/json")];
        let note =
            Note::read_get(&response(200, &json, r#"{"message":"hi","x":1}"#)).expect("note");
        assert_eq!(note.message.as_deref(), Some("hi"));
        assert!(matches!(
            Note::read_get(&response(204, &[], "")),
            Err(ResponseError::Unexpected { .. })
        ));
        let link: Link<Note> = Link::new("/n");
        let put = link.put(&note).build().expect("builds");
        assert_eq!(put.request().method(), http::Method::PUT);
        let sent: Value = serde_json::from_slice(put.request().body()).expect("json");
        assert_eq!(sent, json!({"message":"hi","x":1}));
        assert!(matches!(
            put.reader()
                .read(&response(200, &json, r#"{"message":"bye"}"#)),
            Ok(Outcome::Resource(Note {
                message: Some(_),
                ..
            }))
        ));
        let delete = link.delete().build().expect("builds");
        assert_eq!(delete.request().method(), http::Method::DELETE);
        delete
            .reader()
            .read(&response(204, &[], ""))
            .expect("deleted");
        assert!(Note::read_delete(&response(404, &[], "")).is_err());
    }

    #[test]
    fn dynamic_operations_decode_documented_bodies_and_say_why_not() {
        let post = DynOperation::post::<Note>();
        let request = post
            .build_request(
                "/notes",
                Format::Xml,
                Some(r#"<input><property name="to">sip:a@b</property><property name="urgent">true</property></input>"#),
            )
            .expect("builds");
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.headers()[CONTENT_TYPE], "application/xml");
        let sent = NoteRequest::from_xml(std::str::from_utf8(request.body()).expect("utf-8"));
        assert_eq!(sent.expect("decodes"), request_to());

        match post.build_request("/notes", Format::Json, Some(r#"{"to":5}"#)) {
            Err(DynamicError::Body(error)) => assert_eq!(error.path.as_deref(), Some("to")),
            other => panic!("{other:?}"),
        }
        match post.build_request("/notes", Format::Json, Some(r#"{"urgent":true}"#)) {
            Err(error @ DynamicError::Body(_)) => {
                assert!(error.to_string().contains("(at `to`)"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        let get = DynOperation::get::<Note>();
        assert!(get.build_request("/n", Format::Json, Some("{}")).is_err());
        assert_eq!(
            get.build_request("/n", Format::Json, None)
                .expect("builds")
                .method(),
            http::Method::GET
        );
        let put = DynOperation::put::<Note>();
        let request = put
            .build_request("/n", Format::Json, Some(r#"{"message":"m"}"#))
            .expect("builds");
        assert_eq!(request.method(), http::Method::PUT);
        let reader =
            post.reader(|answer, info| answer.outcome(info, |_, body| Some(Ok(body.len()))));
        let read = reader.read(&response(
            200,
            &[("Content-Type", "application/json")],
            "{}",
        ));
        assert_eq!(read.expect("read"), Outcome::Resource(2));
        assert_eq!(reader.info().output, Some("note"));
        assert!(matches!(
            DynamicError::missing("nope", Method::Get, false),
            DynamicError::UnknownRel { .. }
        ));

        let text = HeaderValue::from_static("text/plain");
        let sent = post
            .content_request("/notes", text.clone(), b"What's up?".to_vec(), reader.read)
            .expect("builds");
        assert_eq!(sent.request().method(), http::Method::POST);
        assert_eq!(sent.request().headers()[CONTENT_TYPE], "text/plain");
        assert_eq!(sent.request().body(), b"What's up?");
        assert_eq!(sent.reader().info().output, Some("note"));
        match get.content_request("/n", text, b"x".to_vec(), reader.read) {
            Err(error @ DynamicError::ContentNotAccepted { .. }) => {
                assert_eq!(
                    error.to_string(),
                    "GET on `note` takes no `text/plain` body"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
