//! Static tables the generated code fills from the docs: operations, their
//! parameters and errors, and events ([`crate::Resource::OPERATIONS`] and
//! [`crate::Resource::EVENTS`]).

/// An HTTP method a resource supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
    /// OPTIONS.
    Options,
}

impl Method {
    /// The method as written on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }
}

impl From<Method> for http::Method {
    fn from(method: Method) -> http::Method {
        match method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Delete => http::Method::DELETE,
            Method::Options => http::Method::OPTIONS,
        }
    }
}

impl TryFrom<&http::Method> for Method {
    type Error = UnknownMethod;

    fn try_from(method: &http::Method) -> Result<Method, UnknownMethod> {
        method.as_str().parse()
    }
}

impl std::str::FromStr for Method {
    type Err = UnknownMethod;

    /// Case-insensitive: pages write `Post https://...` in request lines.
    fn from_str(text: &str) -> Result<Method, UnknownMethod> {
        [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Options,
        ]
        .into_iter()
        .find(|method| method.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| UnknownMethod(text.to_owned()))
    }
}

/// A method UCWA does not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a method UCWA documents")]
pub struct UnknownMethod(pub String);

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One documented operation (HTTP method) on a resource. Its request body,
/// when it has one, is the generated `…Request` type of the same resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// The HTTP method.
    pub method: Method,
    /// What the operation does, as documented.
    pub description: &'static str,
    /// Query parameters the operation accepts.
    pub query_parameters: &'static [ParameterInfo],
    /// Rels of the resources the response body may contain.
    pub response_body: &'static [&'static str],
    /// Synchronous errors the operation may return.
    pub errors: &'static [SyncError],
}

impl OperationInfo {
    /// An operation with this method and nothing else documented: the base
    /// that a table entry fills in with `..OperationInfo::new(method)`.
    pub const fn new(method: Method) -> OperationInfo {
        OperationInfo {
            method,
            description: "",
            query_parameters: &[],
            response_body: &[],
            errors: &[],
        }
    }
}

/// One documented query parameter or request body field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterInfo {
    /// The name on the wire.
    pub name: &'static str,
    /// Whether the server rejects a request without it.
    pub required: bool,
    /// What it means, as documented.
    pub description: &'static str,
}

/// One documented synchronous error of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncError {
    /// The error code, e.g. `"Conflict"`.
    pub error: &'static str,
    /// The HTTP status code, when documented.
    pub code: Option<u16>,
    /// The UCWA subcode, e.g. `"AlreadyExists"`; empty when none.
    pub subcode: &'static str,
}

impl SyncError {
    /// The entry of `errors` (an operation's documented synchronous errors)
    /// that an answer with this status and UCWA subcode is: same status, and
    /// same subcode when the entry names one (`None` in the docs means "no
    /// subcode"); a subcode the table does not list still matches an entry
    /// documented without one, as the least specific match.
    pub fn matching(
        errors: &'static [SyncError],
        status: u16,
        subcode: Option<&str>,
    ) -> Option<&'static SyncError> {
        let subcode = subcode.unwrap_or("");
        let status_matches = |error: &&SyncError| error.code.map_or(true, |code| code == status);
        let no_subcode = |documented: &str| documented.is_empty() || documented == "None";
        errors
            .iter()
            .filter(status_matches)
            .find(|error| {
                error.subcode.eq_ignore_ascii_case(subcode)
                    || (subcode.is_empty() && no_subcode(error.subcode))
            })
            .or_else(|| {
                errors
                    .iter()
                    .filter(status_matches)
                    .find(|error| no_subcode(error.subcode))
            })
    }

    /// An error documented with its HTTP status code.
    pub const fn new(code: u16, error: &'static str, subcode: &'static str) -> SyncError {
        SyncError {
            error,
            code: Some(code),
            subcode,
        }
    }
}

/// One documented event a resource is the subject of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The event type, e.g. `"added"`.
    pub event_type: &'static str,
    /// The rel of the resource the event is about.
    pub resource: &'static str,
    /// The delivery priority, e.g. `"High"`.
    pub priority: &'static str,
    /// The rel of the sender block the event arrives in.
    pub sender: &'static str,
    /// When and why the event is delivered.
    pub reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::{Method, SyncError};

    static MAKE_ME_AVAILABLE: &[SyncError] = &[
        SyncError::new(409, "Conflict", "AlreadyExists"),
        SyncError::new(409, "Conflict", "None"),
        SyncError::new(500, "ServiceFailure", "CallbackChannelError"),
        SyncError {
            error: "Gone",
            code: None,
            subcode: "",
        },
    ];

    #[test]
    fn documented_errors_match_by_status_and_subcode() {
        let subcode = |status, subcode| {
            SyncError::matching(MAKE_ME_AVAILABLE, status, subcode).map(|e| (e.error, e.subcode))
        };
        assert_eq!(
            subcode(409, Some("alreadyexists")),
            Some(("Conflict", "AlreadyExists"))
        );
        assert_eq!(subcode(409, None), Some(("Conflict", "None")));
        assert_eq!(subcode(409, Some("Unlisted")), Some(("Conflict", "None")));
        // An entry without status or subcode is the least specific match of all.
        assert_eq!(subcode(500, Some("Other")), Some(("Gone", "")));
        assert_eq!(
            SyncError::matching(&MAKE_ME_AVAILABLE[..3], 500, Some("Other")),
            None
        );
        assert_eq!(
            subcode(500, Some("CallbackChannelError")),
            Some(("ServiceFailure", "CallbackChannelError"))
        );
        assert_eq!(subcode(410, None), Some(("Gone", "")));
    }

    #[test]
    fn methods_convert_to_and_from_the_http_crate() {
        for method in [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Options,
        ] {
            let http: http::Method = method.into();
            assert_eq!(Method::try_from(&http), Ok(method));
        }
        assert_eq!("post".parse::<Method>(), Ok(Method::Post));
        assert!(Method::try_from(&http::Method::PATCH).is_err());
    }

    #[test]
    fn methods_are_written_in_upper_case() {
        let all = [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Options,
        ];
        let written: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(written, ["GET", "POST", "PUT", "DELETE", "OPTIONS"]);
    }
}
