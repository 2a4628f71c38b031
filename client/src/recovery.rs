//! Staying signed in when the application is gone (EventChannelDetails:
//! "if the client intends to continue using the application, it should
//! recreate the application by sending a POST request on the applications
//! resource"). The server drops an idle application, forgets every one when
//! it restarts, or a keep-alive came late: the session then
//!
//! 1. fails what was in flight on the old application with
//!    [`Error::ApplicationLost`] naming the cause, and refuses its links
//!    from then on ([`Error::StaleLink`]), rather than send to dead hrefs;
//! 2. POSTs the same application request again (same `userAgent`,
//!    `endpointId`, `culture`), with bounded attempts;
//! 3. restores what the session had set up: `makeMeAvailable` with the body
//!    the user gave, then every standing request
//!    ([`crate::Session::send_standing`]: presence subscriptions, the
//!    contacts-and-groups subscription, a note) at the same place under the
//!    new application;
//! 4. tells every event stream with [`crate::ChannelItem::Recovered`].
//!
//! Recoveries are bounded too: more than the reconnect policy's attempts
//! within [`RECOVERY_WINDOW`] mean the server will not keep an application,
//! and the session ends with the error.

use crate::core::{Core, Prepared};
use crate::discovery::Start;
use crate::error::Error;
use crate::typed::{self, Application, ApplicationHrefs};
use bytes::Bytes;
use http::{HeaderMap, Method};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// What a recovery was about, as the event streams are told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovery {
    /// The application was gone and the session created a new one.
    ApplicationRecreated {
        /// What showed it gone, e.g. `GET …/events: 404 Not Found (NotFound/ApplicationNotFound)`.
        cause: String,
        /// The new application's URL.
        application: Url,
    },
}

/// Recoveries allowed within this window, as many as the reconnect policy's
/// attempts: beyond, the server keeps no application and the session ends.
pub(crate) const RECOVERY_WINDOW: Duration = Duration::from_secs(600);
/// Standing requests kept: a session sets up a handful.
const MAX_STANDING: usize = 64;
/// Earlier application URLs whose links are refused.
const MAX_RETIRED: usize = 16;

/// A request re-sent after every re-creation, at the same place under the
/// new application.
#[derive(Clone)]
struct Standing {
    method: Method,
    /// What follows the application URL: `/people/presenceSubscriptions`.
    under_application: String,
    headers: HeaderMap,
    body: Bytes,
}

/// How to create the application again, and what to restore.
pub(crate) struct Recipe {
    /// Where applications are created: the one discovery found, or a newer
    /// one found by discovering again ([`Recipe::rediscover`]).
    applications_url: Mutex<Url>,
    /// How the session found it, when by discovery: a pool that will not
    /// take the application back (`410 CannotRedirect`, `404`) is left for
    /// wherever discovery leads now.
    rediscovery: Option<Rediscovery>,
    request_body: Vec<u8>,
    make_me_available: Mutex<Option<Vec<u8>>>,
    standing: Mutex<Vec<Standing>>,
    retired: Mutex<VecDeque<Url>>,
    recent: Mutex<VecDeque<Instant>>,
    /// One recovery at a time; the others wait and find it done.
    pub(crate) running: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `url` is `application` or a resource under it.
fn under(url: &Url, application: &Url) -> Option<String> {
    let rest = url.as_str().strip_prefix(application.as_str())?;
    (rest.is_empty() || rest.starts_with(['/', '?'])).then(|| rest.to_owned())
}

/// What discovery started from, to discover again.
pub(crate) struct Rediscovery {
    pub(crate) domain: String,
    pub(crate) start: Start,
}

impl Recipe {
    pub(crate) fn new(
        applications_url: Url,
        request_body: Vec<u8>,
        rediscovery: Option<Rediscovery>,
    ) -> Recipe {
        Recipe {
            applications_url: Mutex::new(applications_url),
            rediscovery,
            request_body,
            make_me_available: Mutex::new(None),
            standing: Mutex::new(Vec::new()),
            retired: Mutex::new(VecDeque::new()),
            recent: Mutex::new(VecDeque::new()),
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// POSTs the application request: the application, its URL and links.
    pub(crate) async fn create(&self, core: &Core) -> Result<Created, Error> {
        let applications = lock(&self.applications_url).clone();
        create_application(core, &applications, self.request_body.clone()).await
    }

    /// True when `error`, from creating the application again, says this
    /// pool will not have it back, and the session can look elsewhere.
    pub(crate) fn may_rediscover(&self, error: &Error) -> bool {
        self.rediscovery.is_some()
            && (error
                .http()
                .is_some_and(|http| http.names("CannotRedirect"))
                || matches!(
                    error.status(),
                    Some(http::StatusCode::NOT_FOUND | http::StatusCode::GONE)
                ))
    }

    /// Discovers again, from where the session first did (each hop under
    /// the same security check, bounded, asking for a token where it
    /// wants one), and creates applications where it leads from now on.
    pub(crate) async fn rediscover(&self, core: &Core) -> Result<Url, Error> {
        let Some(rediscovery) = &self.rediscovery else {
            return Ok(lock(&self.applications_url).clone());
        };
        let found =
            crate::discovery::applications_url(core, &rediscovery.domain, &rediscovery.start)
                .await?;
        let mut applications = lock(&self.applications_url);
        if *applications != found {
            tracing::warn!(from = %*applications, to = %found, "the user's applications moved: creating them there");
            *applications = found.clone();
        }
        Ok(found)
    }

    pub(crate) fn remember_make_me_available(&self, body: Vec<u8>) {
        *lock(&self.make_me_available) = Some(body);
    }

    pub(crate) fn make_me_available(&self) -> Option<Vec<u8>> {
        lock(&self.make_me_available).clone()
    }

    /// Keeps `request` to send again after a re-creation; it must be under
    /// the application. The same method and place replace an earlier one
    /// (a subscription extended, a note set again).
    pub(crate) fn remember_standing(
        &self,
        application: &Url,
        request: &Prepared,
    ) -> Result<(), Error> {
        let Some(under_application) = under(&request.url, application) else {
            return Err(Error::InvalidRequest(format!(
                "a standing request must be under the application {application}: {}",
                request.url
            )));
        };
        let mut standing = lock(&self.standing);
        standing.retain(|kept| {
            kept.method != request.method || kept.under_application != under_application
        });
        if standing.len() >= MAX_STANDING {
            return Err(Error::InvalidRequest(format!(
                "{MAX_STANDING} standing requests are kept already"
            )));
        }
        standing.push(Standing {
            method: request.method.clone(),
            under_application,
            headers: request.headers.clone(),
            body: request.body.clone(),
        });
        Ok(())
    }

    /// Drops the standing request `request` made (it failed).
    pub(crate) fn forget_standing(&self, application: &Url, request: &Prepared) {
        if let Some(under_application) = under(&request.url, application) {
            lock(&self.standing).retain(|kept| {
                kept.method != request.method || kept.under_application != under_application
            });
        }
    }

    /// The standing requests, addressed to `application`.
    pub(crate) fn standing_for(&self, application: &Url) -> Vec<Prepared> {
        lock(&self.standing)
            .iter()
            .filter_map(|kept| {
                let url = Url::parse(&format!("{application}{}", kept.under_application)).ok()?;
                Some(Prepared {
                    method: kept.method.clone(),
                    url,
                    headers: kept.headers.clone(),
                    body: kept.body.clone(),
                })
            })
            .collect()
    }

    /// [`Error::StaleLink`] for a URL under an application this session had.
    pub(crate) fn check_current(&self, url: &Url) -> Result<(), Error> {
        if lock(&self.retired)
            .iter()
            .any(|old| under(url, old).is_some())
        {
            return Err(Error::StaleLink {
                url: url.to_string(),
            });
        }
        Ok(())
    }

    pub(crate) fn retire(&self, application: Url) {
        let mut retired = lock(&self.retired);
        if retired.len() >= MAX_RETIRED {
            retired.pop_front();
        }
        retired.push_back(application);
    }

    /// Counts a recovery; `Err` when there were `allowed` already within
    /// [`RECOVERY_WINDOW`].
    pub(crate) fn admit(&self, allowed: u32) -> Result<(), Error> {
        let now = Instant::now();
        let mut recent = lock(&self.recent);
        while recent
            .front()
            .is_some_and(|at| now.duration_since(*at) > RECOVERY_WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() >= allowed as usize {
            return Err(Error::ChannelClosed {
                reason: format!(
                    "the application was lost {} times within {RECOVERY_WINDOW:?}: the server keeps none",
                    recent.len() + 1
                ),
            });
        }
        recent.push_back(now);
        Ok(())
    }
}

/// A new application: its URL, links and resource.
pub(crate) struct Created {
    pub(crate) url: Url,
    pub(crate) hrefs: ApplicationHrefs,
    pub(crate) application: Application,
}

/// POSTs the application request to `applications`.
pub(crate) async fn create_application(
    core: &Core,
    applications: &Url,
    body: Vec<u8>,
) -> Result<Created, Error> {
    let response = core
        .execute(
            Prepared::new(Method::POST, applications.clone()).json(body),
            core.exec(),
        )
        .await?;
    let application = typed::decode_application(applications.as_str(), response.body())?;
    let hrefs = typed::application_hrefs(&application);
    let self_href = hrefs
        .self_href
        .clone()
        .or_else(|| crate::session::location(&response))
        .ok_or_else(|| {
            Error::protocol(
                applications.as_str(),
                "the new application has no self link",
            )
        })?;
    let url = crate::channel::join(applications, &self_href)?;
    core.policy.check_credentials(&url)?;
    tracing::info!(application = %url, "application created");
    Ok(Created {
        url,
        hrefs,
        application,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn standing_requests_move_to_the_new_application() {
        let recipe = Recipe::new(
            url("https://pool/ucwa/oauth/v1/applications"),
            Vec::new(),
            None,
        );
        let old = url("https://pool/ucwa/oauth/v1/applications/101");
        let mut request = Prepared::new(
            Method::POST,
            url("https://pool/ucwa/oauth/v1/applications/101/people/presenceSubscriptions"),
        );
        request.body = Bytes::from_static(b"{\"uris\":[\"sip:a@b\"]}");
        recipe.remember_standing(&old, &request).expect("under");
        // The same method and place replace the earlier one.
        recipe.remember_standing(&old, &request).expect("under");
        let outside = Prepared::new(
            Method::POST,
            url("https://pool/ucwa/oauth/v1/applications/1012/x"),
        );
        assert!(recipe.remember_standing(&old, &outside).is_err());
        let new = url("https://pool/ucwa/oauth/v1/applications/202");
        let moved = recipe.standing_for(&new);
        assert_eq!(moved.len(), 1);
        assert_eq!(
            moved[0].url.as_str(),
            "https://pool/ucwa/oauth/v1/applications/202/people/presenceSubscriptions"
        );
        assert_eq!(moved[0].body, request.body);
    }

    #[test]
    fn links_of_a_retired_application_are_stale() {
        let recipe = Recipe::new(
            url("https://pool/ucwa/oauth/v1/applications"),
            Vec::new(),
            None,
        );
        recipe.retire(url("https://pool/ucwa/oauth/v1/applications/101"));
        for stale in [
            "https://pool/ucwa/oauth/v1/applications/101",
            "https://pool/ucwa/oauth/v1/applications/101/me",
            "https://pool/ucwa/oauth/v1/applications/101?x=1",
        ] {
            assert!(matches!(
                recipe.check_current(&url(stale)),
                Err(Error::StaleLink { .. })
            ));
        }
        for current in [
            "https://pool/ucwa/oauth/v1/applications/1012/me",
            "https://pool/ucwa/oauth/v1/applications/202/me",
        ] {
            assert!(recipe.check_current(&url(current)).is_ok(), "{current}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn recoveries_are_bounded_within_the_window() {
        let recipe = Recipe::new(
            url("https://pool/ucwa/oauth/v1/applications"),
            Vec::new(),
            None,
        );
        for _ in 0..3 {
            recipe.admit(3).expect("within the bound");
        }
        assert!(recipe.admit(3).is_err());
        tokio::time::advance(RECOVERY_WINDOW + Duration::from_secs(1)).await;
        recipe.admit(3).expect("the window moved on");
    }
}
