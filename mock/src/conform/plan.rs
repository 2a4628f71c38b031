//! What each documented step is to the conformance run, and how the client
//! signs in.
//!
//! - **Sign-in**: every step up to the first `POST …/applications` (creating
//!   the application). The client's own sign-in performs them: it starts at
//!   the first `GET` whose documented answer is a discovery root (a `user`
//!   link), or, when the pages show none, at the applications URL. Steps
//!   before where it starts are not its sign-in (AuthenticationUsingAzureAD
//!   documents Azure AD's authorize requests and discovery requests whose
//!   answers it describes in words).
//! - **Token**: a form `POST` with `grant_type` outside sign-in
//!   (AuthenticationInUCWA's grants, a renewal): the client's grant code
//!   answers it ([`ucwa_client::SessionBuilder::request_token`]).
//! - **Event**: an event channel answer: the typed `GET` on `events`.
//! - **Command**: anything else: a typed operation on the signed-in session.
//!
//! Pages that document no application but need one (a task page on its own,
//! SendAnIM.md) are run after [`builtin_sign_in`], a one-step page of the
//! run's own that creates the application at the pages' host and path; its
//! step is not reported.

use crate::body::Body;
use crate::message::{Request, Target};
use crate::transcript::{Page, Step, StepId, StepKind, Transcript};
use serde_json::Value;
use ucwa_client::ApplicationsRequest;
use ucwa_runtime::{Format, Payload};

/// What a step is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    SignIn,
    Token,
    Command,
    Event,
}

/// How the client signs in.
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    /// Every sign-in step, in order.
    pub steps: Vec<StepId>,
    /// The step the client's sign-in starts at; the ones before it are not its own.
    pub first: StepId,
    /// Where: a discovery root or the applications URL, as documented.
    pub start: Start,
    /// The credentials the documented token request sends.
    pub credentials: Credentials,
    /// The documented `POST applications` body, decoded into its typed request body.
    pub application: Result<ApplicationsRequest, String>,
    /// The step that creates the application.
    pub application_step: StepId,
    /// A sign-in address for the builder (its domain is the only thing used).
    pub address: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Start {
    Discovery(Target),
    Applications(Target),
}

/// What the documented token request sends.
#[derive(Debug, Clone)]
pub(crate) enum Credentials {
    /// The password grant.
    Password { username: String, password: String },
    /// Another grant, with its parameters.
    Grant {
        grant_type: String,
        params: Vec<(String, String)>,
    },
    /// No token request: the client holds a token up front (any value: the
    /// mock compares only that one is sent, as the page does).
    Bearer,
}

impl Credentials {
    /// The credentials of a token request's form.
    pub fn from_form(form: &[(String, String)]) -> Credentials {
        let value = |name: &str| {
            form.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.clone())
        };
        let grant_type = value("grant_type").unwrap_or_default();
        match (grant_type.as_str(), value("username"), value("password")) {
            ("password", Some(username), Some(password)) => {
                Credentials::Password { username, password }
            }
            _ => Credentials::Grant {
                params: form
                    .iter()
                    .filter(|(key, _)| !key.eq_ignore_ascii_case("grant_type"))
                    .cloned()
                    .collect(),
                grant_type,
            },
        }
    }

    /// The user the credentials name, if a sign-in address.
    fn address(&self) -> Option<&str> {
        match self {
            Credentials::Password { username, .. } => {
                Some(username.as_str()).filter(|user| user.contains('@'))
            }
            _ => None,
        }
    }
}

/// The roles of a transcript's steps, and its sign-in.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub roles: Vec<(StepId, Role)>,
    pub sign_in: Option<SignIn>,
}

impl Plan {
    pub fn read(transcript: &Transcript) -> Plan {
        let steps: Vec<(StepId, &Step)> = transcript.steps().collect();
        let application = steps
            .iter()
            .position(|(_, step)| step.request.as_ref().is_some_and(creates_application));
        let roles = steps
            .iter()
            .enumerate()
            .map(|(index, (id, step))| {
                let role = if application.is_some_and(|last| index <= last) {
                    Role::SignIn
                } else if token_form(step).is_some() {
                    Role::Token
                } else if step.kind == StepKind::Event {
                    Role::Event
                } else {
                    Role::Command
                };
                (*id, role)
            })
            .collect();
        let sign_in = application.map(|last| sign_in(&steps[..=last]));
        Plan { roles, sign_in }
    }

    /// Whether some step needs a signed-in session that no page creates.
    pub fn needs_application(&self) -> bool {
        self.sign_in.is_none()
            && self
                .roles
                .iter()
                .any(|(_, role)| matches!(role, Role::Command | Role::Event))
    }
}

fn sign_in(steps: &[(StepId, &Step)]) -> SignIn {
    let (application_step, application) = steps[steps.len() - 1];
    let root = steps.iter().position(|(_, step)| is_discovery_root(step));
    let (first, start) = match root {
        Some(index) => (index, Start::Discovery(target(steps[index].1))),
        None => (steps.len() - 1, Start::Applications(target(application))),
    };
    let credentials = steps[first..]
        .iter()
        .find_map(|(_, step)| token_form(step))
        .map_or(Credentials::Bearer, Credentials::from_form);
    let address = credentials
        .address()
        .unwrap_or("conform@ucwa-mock.invalid")
        .to_string();
    SignIn {
        steps: steps.iter().map(|(id, _)| *id).collect(),
        first: steps[first].0,
        start,
        credentials,
        application: application
            .request
            .as_ref()
            .map_or(Err("no request".to_string()), application_request),
        application_step,
        address,
    }
}

fn target(step: &Step) -> Target {
    step.request
        .as_ref()
        .map(|request| request.target.clone())
        .unwrap_or(Target {
            authority: None,
            path: "/".into(),
            query: Vec::new(),
        })
}

/// `POST …/applications`: creating the application.
fn creates_application(request: &Request) -> bool {
    request.method == "POST"
        && request
            .target
            .path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .is_some_and(|segment| segment.eq_ignore_ascii_case("applications"))
}

/// A `GET` answered with a discovery root: a resource with a `user` link.
fn is_discovery_root(step: &Step) -> bool {
    let get = step
        .request
        .as_ref()
        .is_some_and(|request| request.method == "GET");
    let user = step.response.as_ref().is_some_and(|response| {
        matches!(&response.body, Body::Json(body) if body.pointer("/_links/user").is_some())
    });
    get && user
}

/// The form of a token request: a `POST` of a form with `grant_type`.
pub(crate) fn token_form(step: &Step) -> Option<&[(String, String)]> {
    let request = step
        .request
        .as_ref()
        .filter(|request| request.method == "POST")?;
    match &request.body {
        Body::Form(pairs)
            if pairs
                .iter()
                .any(|(key, _)| key.eq_ignore_ascii_case("grant_type")) =>
        {
            Some(pairs)
        }
        _ => None,
    }
}

/// The documented application request body, decoded into its type.
fn application_request(request: &Request) -> Result<ApplicationsRequest, String> {
    let decode = |format, text: &str| {
        <ApplicationsRequest as Payload>::decode(format, text).map_err(|error| error.to_string())
    };
    match &request.body {
        Body::Json(value) => decode_json(value, |text| decode(Format::Json, text)),
        Body::Xml(text) => decode(Format::Xml, text),
        other => Err(format!("the body is not JSON or XML: {other:?}")),
    }
}

/// `decode` on the documented JSON body; when that fails, on the body with
/// its keys in UCWA's camelCase, for the pages that capitalise them
/// (CreateAnApplication posts `UserAgent`, `EndpointId` and `Culture`; the
/// server binds keys whatever their case, and the mock compares them so).
/// The first error when neither decodes.
pub(crate) fn decode_json<T, E>(
    value: &Value,
    mut decode: impl FnMut(&str) -> Result<T, E>,
) -> Result<T, E> {
    let first = match decode(&value.to_string()) {
        Ok(decoded) => return Ok(decoded),
        Err(error) => error,
    };
    let Value::Object(object) = value else {
        return Err(first);
    };
    let mut camel_case = serde_json::Map::new();
    for (key, item) in object {
        let mut chars = key.chars();
        let lowered = match chars.next() {
            Some(first) if first.is_ascii_uppercase() => {
                format!("{}{}", first.to_ascii_lowercase(), chars.as_str())
            }
            _ => key.clone(),
        };
        // A key already written in camelCase keeps its own value.
        let key = match object.contains_key(&lowered) {
            true => key.clone(),
            false => lowered,
        };
        camel_case.insert(key, item.clone());
    }
    decode(&Value::Object(camel_case).to_string()).map_err(|_| first)
}

/// The run's own sign-in page for pages that document none: one `POST
/// applications` at the host and path prefix of the pages' first request
/// under an application, answered with an application whose links are those
/// CreateAnApplication shows, under the pages' application id.
pub(crate) fn builtin_sign_in(transcript: &Transcript, user_agent: &str) -> Page {
    let under_application = transcript.steps().find_map(|(_, step)| {
        let target = &step.request.as_ref()?.target;
        let (prefix, rest) = split_at_applications(&target.path)?;
        let id = rest.split('/').next().filter(|id| !id.is_empty())?;
        Some((target.authority.clone(), prefix.to_string(), id.to_string()))
    });
    let (authority, prefix, id) =
        under_application.unwrap_or((None, "/ucwa/oauth/v1/".into(), "1".into()));
    let authority = authority.unwrap_or_else(|| "lyncweb.contoso.com".into());
    let app = format!("{prefix}applications/{id}");
    let link = |path: &str| serde_json::json!({"href": format!("{app}{path}")});
    let application = serde_json::json!({
        "culture": "en-US",
        "userAgent": user_agent,
        "_links": {
            "self": link(""),
            "policies": link("/policies"),
            "batch": link("/batch"),
            "events": link("/events?ack=1"),
        },
        "_embedded": {
            "me": {"_links": {
                "self": link("/me"),
                "makeMeAvailable": link("/me/makeMeAvailable"),
                "callForwardingSettings": link("/me/callForwardingSettings"),
                "phones": link("/me/phones"),
                "presence": link("/me/presence"),
                "note": link("/me/note"),
                "location": link("/me/location"),
            }, "rel": "me"},
            "people": {"_links": {
                "self": link("/people"),
                "presenceSubscriptions": link("/people/presenceSubscriptions"),
                "subscribedContacts": link("/people/subscribedContacts"),
                "presenceSubscriptionMemberships": link("/people/presenceSubscriptionMemberships"),
                "myGroups": link("/people/groups"),
                "myGroupMemberships": link("/people/groupMemberships"),
                "myContacts": link("/people/contacts"),
                "myPrivacyRelationships": link("/people/privacyRelationships"),
                "myContactsAndGroupsSubscription": link("/people/contactsAndGroupsSubscription"),
                "search": link("/people/search"),
            }, "rel": "people"},
            "onlineMeetings": {"_links": {
                "self": link("/onlineMeetings"),
                "myOnlineMeetings": link("/onlineMeetings/myOnlineMeetings"),
            }, "rel": "onlineMeetings"},
            "communication": {"_links": {
                "self": link("/communication"),
                "conversations": link("/communication/conversations?filter=active"),
                "startMessaging": link("/communication/messagingInvitations"),
                "startOnlineMeeting": link("/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc"),
                "joinOnlineMeeting": link("/communication/onlineMeetingInvitations"),
            }, "rel": "communication"},
        },
        "rel": "application",
    });
    let request = serde_json::json!({"userAgent": user_agent, "endpointId": "00000000-0000-4000-8000-000000000000", "culture": "en-US"});
    let text = format!(
        "# Sign in (ucwa-mock conform)\n\n```\nPOST https://{authority}{prefix}applications HTTP/1.1\nContent-Type: application/json\n\n{request}\n```\n\n```\nHTTP/1.1 201 Created\nContent-Type: application/json\n\n{application}\n```\n"
    );
    Page::parse(BUILTIN_PAGE, &text)
}

/// How the built-in sign-in page is named in locations.
pub(crate) const BUILTIN_PAGE: &str = "(ucwa-mock conform's sign-in)";

/// `/ucwa/oauth/v1/applications/102/me` → (`/ucwa/oauth/v1/`, `102/me`).
fn split_at_applications(path: &str) -> Option<(&str, &str)> {
    let lower = path.to_ascii_lowercase();
    let at = lower.find("/applications/")?;
    Some((&path[..at + 1], &path[at + "/applications/".len()..]))
}

/// The `rel` a documented JSON body names itself by, if any.
pub(crate) fn own_rel(body: &Body) -> Option<String> {
    match body {
        Body::Json(Value::Object(members)) => members.get("rel")?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalised_keys_are_read_in_camel_case_only_when_the_body_does_not_decode() {
        let body =
            serde_json::json!({"UserAgent": "UCWA Samples", "EndpointId": "e", "Culture": "en-US"});
        let decoded: ApplicationsRequest = decode_json(&body, |text| {
            ApplicationsRequest::decode(Format::Json, text)
        })
        .unwrap();
        assert_eq!(decoded.user_agent, "UCWA Samples");
        assert_eq!(decoded.endpoint_id, "e");
        assert!(decoded.extra.is_empty(), "{:?}", decoded.extra);
        // Decoding as written comes first: a body that decodes keeps its keys.
        let mut seen = Vec::new();
        let first = serde_json::json!({"A": 1});
        let kept = decode_json(&first, |text| {
            seen.push(text.to_string());
            Ok::<_, ()>(text.to_string())
        });
        assert_eq!(kept, Ok(r#"{"A":1}"#.to_string()));
        assert_eq!(seen.len(), 1);
        // Neither decodes: the first error; a key written in both cases keeps both.
        let both = serde_json::json!({"To": "x", "to": "y"});
        let mut tried = Vec::new();
        let failed = decode_json(&both, |text| {
            tried.push(text.to_string());
            Err::<(), _>(tried.len())
        });
        assert_eq!(failed, Err(1));
        assert_eq!(tried[1], r#"{"To":"x","to":"y"}"#);
    }

    const SIGN_IN: &str = "
```
GET https://login.example.com/authorize?x=1 HTTP/1.1
```

```
GET https://lyncdiscover.example.com/ HTTP/1.1
```

```
HTTP/1.1 200 OK
Content-Type: application/json

{\"_links\":{\"user\":{\"href\":\"https://pool.example.com/user\"}}}
```

```
POST https://pool.example.com/token HTTP/1.1
Content-Type: application/x-www-form-urlencoded

grant_type=password&username=ann@example.com&password=secret
```

```
HTTP/1.1 200 OK
Content-Type: application/json

{\"access_token\":\"t\"}
```

```
POST https://pool.example.com/ucwa/v1/applications HTTP/1.1
Content-Type: application/json

{\"UserAgent\":\"app\",\"EndpointId\":\"1\",\"Culture\":\"en-US\",\"type\":\"Browser\"}
```

```
HTTP/1.1 201 Created
```

```
POST https://pool.example.com/token HTTP/1.1
Content-Type: application/x-www-form-urlencoded

grant_type=urn:microsoft.rtc:anonmeeting&password=key
```

```
GET https://pool.example.com/ucwa/v1/applications/9/events HTTP/1.1
```

```
GET https://pool.example.com/ucwa/v1/applications/9/me HTTP/1.1
```
";

    #[test]
    fn sign_in_starts_at_the_root_and_the_rest_is_token_event_or_command() {
        let transcript = Transcript::from_pages(vec![Page::parse("p.md", SIGN_IN)]);
        let plan = Plan::read(&transcript);
        let roles: Vec<Role> = plan.roles.iter().map(|(_, role)| *role).collect();
        use Role::*;
        assert_eq!(
            roles,
            [SignIn, SignIn, SignIn, SignIn, Token, Event, Command]
        );
        assert!(!plan.needs_application());
        let sign_in = plan.sign_in.expect("a sign-in");
        assert_eq!(sign_in.first, StepId { page: 0, step: 1 });
        assert_eq!(sign_in.application_step, StepId { page: 0, step: 3 });
        assert!(
            matches!(&sign_in.start, Start::Discovery(target) if target.authority.as_deref() == Some("lyncdiscover.example.com"))
        );
        assert!(
            matches!(&sign_in.credentials, Credentials::Password { username, .. } if username == "ann@example.com")
        );
        assert_eq!(sign_in.address, "ann@example.com");
        let request = sign_in.application.expect("decodes");
        assert_eq!(request.user_agent, "app");
        assert_eq!(request.extra.get("type"), Some(&Value::from("Browser")));
    }

    #[test]
    fn without_a_root_sign_in_starts_at_the_applications_url_with_a_token_held() {
        let page = "```\nPOST https://h.example/ucwa/v1/applications HTTP/1.1\nAuthorization: Bearer <t>\n\n{\"userAgent\":\"a\",\"endpointId\":\"1\",\"culture\":\"en-US\"}\n```\n";
        let plan = Plan::read(&Transcript::from_pages(vec![Page::parse("p.md", page)]));
        let sign_in = plan.sign_in.expect("a sign-in");
        assert!(matches!(sign_in.start, Start::Applications(_)));
        assert!(matches!(sign_in.credentials, Credentials::Bearer));
        assert_eq!(sign_in.address, "conform@ucwa-mock.invalid");
    }

    #[test]
    fn pages_without_an_application_get_the_builtin_one_at_their_host() {
        let page = "```\nPOST https://lyncweb.example.com/ucwa/oauth/v1/applications/102/communication/startmessaging HTTP/1.1\n```\n";
        let transcript = Transcript::from_pages(vec![Page::parse("p.md", page)]);
        assert!(Plan::read(&transcript).needs_application());
        let builtin = builtin_sign_in(&transcript, "ucwa-mock conform");
        let step = &builtin.steps[0];
        let request = step.request.as_ref().expect("a request");
        assert_eq!(
            request.target.authority.as_deref(),
            Some("lyncweb.example.com")
        );
        assert_eq!(request.target.path, "/ucwa/oauth/v1/applications");
        let Some(Body::Json(application)) = step.response.as_ref().map(|response| &response.body)
        else {
            panic!("{step:?}")
        };
        assert_eq!(
            application.pointer("/_embedded/communication/_links/startMessaging/href"),
            Some(&Value::from(
                "/ucwa/oauth/v1/applications/102/communication/messagingInvitations"
            ))
        );
        let plan = Plan::read(&Transcript::from_pages(vec![
            builtin,
            Page::parse("p.md", page),
        ]));
        assert!(!plan.needs_application());
        assert!(matches!(
            plan.sign_in.map(|s| s.credentials),
            Some(Credentials::Bearer)
        ));
    }
}
