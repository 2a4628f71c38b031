//! One HTTP exchange over reqwest: a bounded time, a bounded body, and
//! failures sorted into [`Error`]s. Retries, tokens and the security check
//! are the session's job; this layer never follows redirects and never logs
//! headers or bodies.

use crate::error::{Error, TransportErrorKind};
use crate::options::{Limits, Timeouts};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// What never goes through a proxy: this machine.
const LOOPBACK: &str = "localhost, 127.0.0.0/8, ::1";

/// A request about to be sent.
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The bound on the whole exchange, body included.
    pub(crate) timeout: Duration,
}

/// The HTTP stack with the session's limits.
#[derive(Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl Transport {
    pub(crate) fn new(
        timeouts: &Timeouts,
        limits: &Limits,
        user_agent: &str,
        root_certificates: &[reqwest::Certificate],
        proxy: Option<&Url>,
    ) -> Result<Transport, Error> {
        let mut builder = reqwest::Client::builder()
            // Redirects are the session's to follow, after its security check.
            .redirect(reqwest::redirect::Policy::none())
            // The proxy variables (`HTTP_PROXY`, `ALL_PROXY`, …) are never
            // read: plain HTTP to loopback is allowed because it never leaves
            // the machine, and a proxy would take it (and its credentials)
            // elsewhere. Only a proxy the user names is used.
            .no_proxy()
            .connect_timeout(timeouts.connect)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(user_agent.to_owned());
        if let Some(proxy) = proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .map_err(|error| Error::Config(format!("the proxy: {error}")))?
                // Loopback never goes through it.
                .no_proxy(reqwest::NoProxy::from_string(LOOPBACK));
            builder = builder.proxy(proxy);
        }
        for certificate in root_certificates {
            builder = builder.add_root_certificate(certificate.clone());
        }
        let client = builder
            .build()
            .map_err(|error| Error::Config(format!("the HTTP client: {error}")))?;
        Ok(Transport {
            client,
            max_body_bytes: limits.max_body_bytes,
        })
    }

    /// Sends `outgoing` and reads the whole answer, whatever its status.
    pub(crate) async fn execute(&self, outgoing: Outgoing) -> Result<http::Response<Bytes>, Error> {
        let Outgoing {
            method,
            url,
            headers,
            body,
            timeout,
        } = outgoing;
        tracing::debug!(%method, %url, body_bytes = body.len(), "request");
        let request = self
            .client
            .request(method.clone(), url.clone())
            .headers(headers)
            .body(body);
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|error| transport_error(&method, &url, error))?;
            self.read(&method, &url, response).await
        };
        let response = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout {
                what: format!("{method} {url}"),
                after: timeout,
            })??;
        tracing::debug!(%method, %url, status = response.status().as_u16(), body_bytes = response.body().len(), "response");
        Ok(response)
    }

    /// Reads the body chunk by chunk, stopping at the limit.
    async fn read(
        &self,
        method: &Method,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<http::Response<Bytes>, Error> {
        let too_large = || Error::BodyTooLarge {
            url: url.to_string(),
            limit: self.max_body_bytes,
        };
        if response
            .content_length()
            .is_some_and(|length| length > self.max_body_bytes as u64)
        {
            return Err(too_large());
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| {
            // The answer had begun: whatever reqwest calls it, the body broke.
            let mut error = transport_error(method, url, error);
            if let Error::Transport { kind, .. } = &mut error {
                *kind = TransportErrorKind::Body;
            }
            error
        })? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body.freeze())
            .map_err(|error| Error::protocol(url.as_str(), format!("unusable response: {error}")))
    }
}

fn transport_error(method: &Method, url: &Url, error: reqwest::Error) -> Error {
    let kind = if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportErrorKind::Body
    } else if error.is_request() {
        TransportErrorKind::Connection
    } else {
        TransportErrorKind::Other
    };
    Error::Transport {
        method: method.clone(),
        url: url.to_string(),
        kind,
        source: Arc::new(error.without_url()),
    }
}
