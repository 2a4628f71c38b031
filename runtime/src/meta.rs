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
    use super::Method;

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
