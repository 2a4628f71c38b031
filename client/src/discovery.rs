//! Autodiscovery (RootURL): from the sign-in domain to the `applications`
//! URL, through the root resource, its `user` link (authenticated), and any
//! `redirect` links or HTTP redirects on the way, each one checked and all of
//! them bounded.

use crate::core::{json_text, Core, Exec, Prepared};
use crate::error::{DiscoveryAttempt, Error};
use crate::options::RetryPolicy;
use bytes::Bytes;
use http::header::LOCATION;
use http::Method;
use std::collections::HashSet;
use url::Url;

/// Where to start discovery.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    /// `lyncdiscoverinternal.<domain>` then `lyncdiscover.<domain>`, HTTPS
    /// first, then (if allowed) the same over HTTP.
    Domain { allow_http: bool },
    /// A root URL given by the user (a test server, a known pool).
    Url(Url),
}

/// The discovery URLs for `domain`, in the order they are tried.
pub(crate) fn candidates(domain: &str, allow_http: bool) -> Vec<Url> {
    let schemes: &[&str] = if allow_http {
        &["https", "http"]
    } else {
        &["https"]
    };
    schemes
        .iter()
        .flat_map(|scheme| {
            ["lyncdiscoverinternal", "lyncdiscover"]
                .into_iter()
                .filter_map(move |prefix| {
                    Url::parse(&format!("{scheme}://{prefix}.{domain}/")).ok()
                })
        })
        .collect()
}

/// Finds the `applications` URL.
pub(crate) async fn applications_url(
    core: &Core,
    domain: &str,
    start: &Start,
) -> Result<Url, Error> {
    let urls = match start {
        Start::Domain { allow_http } => candidates(domain, *allow_http),
        Start::Url(url) => vec![url.clone()],
    };
    let mut attempts = Vec::new();
    for url in urls {
        match Walk::new(core).walk_from(url.clone()).await {
            Ok(applications) => {
                tracing::info!(%applications, "discovered the applications resource");
                return Ok(applications);
            }
            // Wrong credentials are wrong on every host: stop here.
            Err(error @ Error::Auth(_)) => return Err(error),
            Err(error) => {
                tracing::debug!(%url, %error, "discovery URL failed");
                attempts.push(DiscoveryAttempt {
                    url: url.to_string(),
                    error: Box::new(error),
                });
            }
        }
    }
    Err(Error::Discovery {
        domain: domain.to_owned(),
        attempts,
    })
}

/// One walk from a root URL, counting hops and remembering where it has been.
struct Walk<'a> {
    core: &'a Core,
    visited: HashSet<Url>,
    hops: u32,
}

impl<'a> Walk<'a> {
    fn new(core: &'a Core) -> Walk<'a> {
        Walk {
            core,
            visited: HashSet::new(),
            hops: 0,
        }
    }

    /// Counts a hop to `url` and refuses loops and long chains.
    fn visit(&mut self, url: &Url) -> Result<(), Error> {
        if !self.visited.insert(url.clone()) {
            return Err(Error::RedirectLoop {
                url: url.to_string(),
            });
        }
        if self.hops > self.core.limits.max_redirects {
            return Err(Error::TooManyRedirects {
                url: url.to_string(),
                limit: self.core.limits.max_redirects,
            });
        }
        self.hops += 1;
        Ok(())
    }

    /// A redirect from `from` to `href`: resolved, checked, counted.
    fn redirect(&mut self, from: &Url, href: &str) -> Result<Url, Error> {
        let target = from.join(href).map_err(|error| {
            Error::protocol(from.as_str(), format!("redirect to {href:?}: {error}"))
        })?;
        self.core.policy.check_redirect(from, &target)?;
        tracing::debug!(%from, to = %target, "discovery redirect");
        Ok(target)
    }

    async fn get(&self, url: &Url, authorize: bool) -> Result<http::Response<Bytes>, Error> {
        let exec = Exec {
            // A root that does not answer promptly is a failed candidate: try the next one.
            retry: if authorize {
                self.core.retry
            } else {
                RetryPolicy::NONE
            },
            authorize,
            returns_redirects: true,
            ..self.core.exec()
        };
        self.core
            .execute(Prepared::new(Method::GET, url.clone()), exec)
            .await
    }

    /// The `Location` of a 3xx answer, resolved, checked and counted.
    fn http_redirect(
        &mut self,
        from: &Url,
        response: &http::Response<Bytes>,
    ) -> Result<Option<Url>, Error> {
        if !response.status().is_redirection() {
            return Ok(None);
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                Error::protocol(
                    from.as_str(),
                    format!("{} without a Location", response.status()),
                )
            })?;
        self.redirect(from, location).map(Some)
    }

    async fn walk_from(mut self, mut root: Url) -> Result<Url, Error> {
        loop {
            let mut user = self.user_url(root).await?;
            // The user resource is protected: this answers the 401 challenge.
            let body = loop {
                self.visit(&user)?;
                let response = self.get(&user, true).await?;
                match self.http_redirect(&user, &response)? {
                    Some(target) => user = target,
                    None => break response.into_body(),
                }
            };
            let links = Links::read(&user, &body, "the user resource")?;
            if let Some(applications) = links.href("applications") {
                let applications = user.join(applications).map_err(|error| {
                    Error::protocol(user.as_str(), format!("applications link: {error}"))
                })?;
                self.core.policy.check_credentials(&applications)?;
                return Ok(applications);
            }
            match links.href("redirect") {
                // The user is homed elsewhere: discover again from there.
                Some(href) => root = self.redirect(&user, href)?,
                None => {
                    return Err(Error::protocol(
                        user.as_str(),
                        "the user resource has neither an applications nor a redirect link",
                    ))
                }
            }
        }
    }

    /// From a root URL to the `user` link, following HTTP redirects and
    /// `redirect` links.
    async fn user_url(&mut self, mut url: Url) -> Result<Url, Error> {
        loop {
            self.visit(&url)?;
            let response = self.get(&url, false).await?;
            if let Some(target) = self.http_redirect(&url, &response)? {
                url = target;
                continue;
            }
            let links = Links::read(&url, response.body(), "the autodiscover root resource")?;
            if let Some(user) = links.href("user") {
                return url
                    .join(user)
                    .map_err(|error| Error::protocol(url.as_str(), format!("user link: {error}")));
            }
            match links.href("redirect") {
                Some(href) => {
                    let target = self.redirect(&url, href)?;
                    url = target;
                }
                None => {
                    return Err(Error::protocol(
                        url.as_str(),
                        "the root resource has neither a user nor a redirect link",
                    ))
                }
            }
        }
    }
}

/// The `_links` of a discovery resource, read as plain JSON: discovery needs
/// hrefs by rel, nothing typed.
struct Links(serde_json::Map<String, serde_json::Value>);

impl Links {
    fn read(url: &Url, body: &Bytes, expected: &'static str) -> Result<Links, Error> {
        let text = json_text(url.as_str(), body, expected)?;
        // Discovery answers may come over plain HTTP from anyone on the
        // path: they are links, and may build little.
        let mut value: serde_json::Value = ucwa_runtime::DecodeBudget::ERROR_BODY
            .decode_json(text)
            .map_err(|error| Error::decode(url.as_str(), expected, error))?;
        match value.get_mut("_links").map(serde_json::Value::take) {
            Some(serde_json::Value::Object(links)) => Ok(Links(links)),
            _ => Err(Error::protocol(
                url.as_str(),
                format!("expected {expected}: no _links"),
            )),
        }
    }

    /// The href of the first link with this rel (a rel may be an array).
    fn href(&self, rel: &str) -> Option<&str> {
        let link = match self.0.get(rel)? {
            serde_json::Value::Array(links) => links.first()?,
            link => link,
        };
        link.get("href")?.as_str().filter(|href| !href.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_internal_first_and_https_first() {
        let urls: Vec<String> = candidates("contoso.com", true)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            urls,
            [
                "https://lyncdiscoverinternal.contoso.com/",
                "https://lyncdiscover.contoso.com/",
                "http://lyncdiscoverinternal.contoso.com/",
                "http://lyncdiscover.contoso.com/",
            ]
        );
        assert_eq!(candidates("contoso.com", false).len(), 2);
    }

    #[test]
    fn links_read_objects_and_arrays() {
        let url = Url::parse("https://lyncdiscover.contoso.com/").expect("url");
        let body = Bytes::from_static(
            br#"{"_links":{"self":{"href":"/root"},"user":[{"href":"/user"}],"xframe":{"href":""}}}"#,
        );
        let links = Links::read(&url, &body, "root").expect("links");
        assert_eq!(links.href("user"), Some("/user"));
        assert_eq!(links.href("xframe"), None);
        assert_eq!(links.href("redirect"), None);
        assert!(Links::read(&url, &Bytes::from_static(b"<html/>"), "root").is_err());
        assert!(Links::read(&url, &Bytes::from_static(b"{}"), "root").is_err());
    }
}
