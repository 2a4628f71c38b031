//! Decode/encode errors, and the UCWA error response body.

use crate::link::Links;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use thiserror::Error;

/// Why a body could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The JSON is malformed, nested too deeply, or does not fit the type.
    #[error("JSON body: {0}")]
    Json(#[from] serde_json::Error),
    /// The XML is malformed.
    #[error("XML body at byte {position}: {message}")]
    Xml {
        /// Byte offset in the body where the problem was found.
        position: u64,
        /// What was wrong.
        message: String,
    },
    /// The XML is well-formed but not the expected UCWA structure.
    #[error("XML body: expected {expected}, found {found}")]
    Structure {
        /// What the UCWA format requires at this point.
        expected: String,
        /// What the body had instead.
        found: String,
    },
    /// A property value does not have the type the docs give it.
    #[error("property `{name}`: expected {expected}, found {value:?}")]
    Property {
        /// The property name.
        name: String,
        /// The documented type.
        expected: &'static str,
        /// The text that was sent.
        value: String,
    },
    /// The body nests elements deeper than the limit.
    #[error("body nests deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// The body is larger than the limit.
    #[error("body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Decoding the body would build more than its [`crate::DecodeBudget`]
    /// allows (values or nesting).
    #[error("body has more {what} than the decoding budget allows ({limit})")]
    OverBudget {
        /// What is over: `values`, `nesting`, `elements and attributes`.
        what: &'static str,
        /// The budget's limit.
        limit: usize,
    },
    /// The XML has a document type declaration, which UCWA never sends and
    /// which is the door to entity expansion attacks.
    #[error("XML body: document type declarations are not accepted")]
    DocumentType,
}

impl DecodeError {
    /// Where in the body decoding failed, as a path of keys (`to`,
    /// `_links.message`), when the error says: generated types name the
    /// key of a field that does not decode, and serde the key a required
    /// field lacks.
    pub fn path(&self) -> Option<String> {
        let DecodeError::Json(error) = self else {
            return None;
        };
        let message = error.to_string();
        let (mut path, rest) = crate::object::split_path(&message);
        if let Some(missing) = rest
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(missing);
        }
        (!path.is_empty()).then_some(path)
    }
}

/// Why a value could not be encoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The value could not be turned into JSON.
    #[error("JSON encoding: {0}")]
    Json(#[from] serde_json::Error),
    /// The XML writer failed.
    #[error("XML encoding: {0}")]
    Xml(String),
    /// Typed query parameters that a query string cannot hold.
    #[error("query parameter `{name}`: {reason}")]
    Query {
        /// The parameter (empty for the whole set).
        name: String,
        /// Why it has no query form.
        reason: &'static str,
    },
    /// The value has a form the UCWA XML format cannot express.
    #[error("XML encoding of `{name}`: {reason}")]
    Unrepresentable {
        /// The property or key concerned.
        name: String,
        /// Why it has no XML form.
        reason: &'static str,
    },
}

crate::open_enum! {
    /// The generic UCWA error codes (ErrorsAndInformationalMessages.md); for
    /// synchronous failures they map one-to-one to HTTP status codes.
    pub enum ErrorCode {
        /// 400.
        BadRequest = "BadRequest",
        /// 403.
        Forbidden = "Forbidden",
        /// 404.
        NotFound = "NotFound",
        /// 405.
        MethodNotAllowed = "MethodNotAllowed",
        /// 408.
        ClientTimeout = "ClientTimeout",
        /// 409.
        Conflict = "Conflict",
        /// 410.
        Gone = "Gone",
        /// 412.
        PreConditionFailed = "PreConditionFailed",
        /// 413.
        EntityTooLarge = "EntityTooLarge",
        /// 415.
        UnsupportedMediaType = "UnsupportedMediaType",
        /// 428.
        PreConditionRequired = "PreConditionRequired",
        /// 429.
        TooManyRequests = "TooManyRequests",
        /// 500.
        ServiceFailure = "ServiceFailure",
        /// 503.
        ServiceUnavailable = "ServiceUnavailable",
        /// 504.
        Timeout = "Timeout",
    }
}

impl ErrorCode {
    /// The HTTP status code the docs pair with this code.
    pub fn http_status(&self) -> Option<u16> {
        let status = match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ClientTimeout => 408,
            ErrorCode::Conflict => 409,
            ErrorCode::Gone => 410,
            ErrorCode::PreConditionFailed => 412,
            ErrorCode::EntityTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::PreConditionRequired => 428,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::ServiceFailure => 500,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Timeout => 504,
            ErrorCode::Other(_) => return None,
        };
        Some(status)
    }
}

crate::open_enum! {
    /// The generic subcodes (GenericSynchronousErrors.md and the guide's
    /// examples). New subcodes can appear at any time; they arrive as `Other`.
    pub enum ErrorSubcode {
        /// The resource already exists.
        AlreadyExists = "AlreadyExists",
        /// The application resource does not exist.
        ApplicationNotFound = "ApplicationNotFound",
        /// Something is wrong with the entire request.
        BadRequest = "BadRequest",
        /// The request body could not be deserialized.
        DeserializationFailure = "DeserializationFailure",
        /// The request is too large.
        EntityTooLarge = "EntityTooLarge",
        /// Exchange connectivity failure.
        ExchangeServiceFailure = "ExchangeServiceFailure",
        /// An inactive application expired.
        InactiveApplicationExpired = "InactiveApplicationExpired",
        /// The HTTP method is not supported for this resource.
        MethodNotAllowed = "MethodNotAllowed",
        /// The user is no longer authorized for mobile applications.
        MobileApplicationNoLongerAllowed = "MobileApplicationNoLongerAllowed",
        /// A parameter value is not valid.
        ParameterValidationFailure = "ParameterValidationFailure",
        /// Another pending GET on the event channel replaced this one.
        PGetReplaced = "PGetReplaced",
        /// An If-Match precondition was not met.
        PreconditionFailed = "PreconditionFailed",
        /// The operation requires an If-Match precondition.
        PreconditionRequired = "PreconditionRequired",
        /// The resource does not exist.
        ResourceNotFound = "ResourceNotFound",
        /// Internal server error.
        ServiceFailure = "ServiceFailure",
        /// Internal server error, remote timeout.
        ServiceTimeout = "ServiceTimeout",
        /// There are too many applications for this user.
        TooManyApplications = "TooManyApplications",
        /// The content type is not supported.
        UnsupportedMediaType = "UnsupportedMediaType",
        /// The requested version is not supported.
        VersionNotSupported = "VersionNotSupported",
    }
}

/// A UCWA error response body, also the `reason` block of events.
///
/// Only `code` is required; every other key is optional and unknown keys are
/// kept. `C` and `S` let a generated crate use wider code/subcode enums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "C: Serialize, S: Serialize",
    deserialize = "C: Deserialize<'de>, S: Deserialize<'de>"
))]
pub struct ErrorBody<C = ErrorCode, S = ErrorSubcode> {
    /// The error code, e.g. `Conflict`.
    pub code: C,
    /// The finer classification, e.g. `AlreadyExists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<S>,
    /// A message localized to the application's culture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Links to more information about the error.
    #[serde(rename = "_links", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub links: BTreeMap<String, Links>,
    /// For 400 responses: the invalid properties of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Map<String, Value>>,
    /// Troubleshooting details whose contents may change at any time.
    #[serde(rename = "debugInfo", default, skip_serializing_if = "Option::is_none")]
    pub debug_info: Option<Map<String, Value>>,
    /// Keys the docs do not describe.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<C, S> ErrorBody<C, S>
where
    C: serde::de::DeserializeOwned,
    S: serde::de::DeserializeOwned,
{
    /// Decodes a JSON error body, within [`crate::DecodeBudget::ERROR_BODY`]:
    /// an error answer comes from anyone on the path before any check
    /// applies (a 4xx during discovery), so it may build little.
    pub fn from_json(body: &str) -> Result<Self, DecodeError> {
        crate::json_within(body, &crate::DecodeBudget::ERROR_BODY)
    }

    /// Decodes an error body in either format, told apart by its first
    /// character; `None` when it is neither a UCWA error body nor text.
    pub fn from_bytes(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let text = text.trim_start_matches('\u{feff}').trim_start();
        match crate::Format::sniff(text)? {
            crate::Format::Json => Self::from_json(text).ok(),
            crate::Format::Xml => Self::from_xml(text).ok(),
        }
    }

    /// Decodes an XML error body (`<reason>` root), within
    /// [`crate::DecodeBudget::ERROR_BODY`].
    pub fn from_xml(body: &str) -> Result<Self, DecodeError> {
        let root = crate::xml::parse_within(body, &crate::DecodeBudget::ERROR_BODY)?;
        let value = crate::xml::error_value(&root)?;
        Ok(serde_json::from_value(value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_body_from_the_guide() {
        let body = r#"{"code": "Conflict", "subcode": "AlreadyExists",
            "message": "The requested resource already exists.", "retryAfter": 5}"#;
        let error: ErrorBody = ErrorBody::from_json(body).expect("valid error body");
        assert_eq!(error.code, ErrorCode::Conflict);
        assert_eq!(error.code.http_status(), Some(409));
        assert_eq!(error.subcode, Some(ErrorSubcode::AlreadyExists));
        assert_eq!(error.extra.get("retryAfter"), Some(&serde_json::json!(5)));
        let again: Value = serde_json::to_value(&error).expect("encode");
        assert_eq!(again, serde_json::from_str::<Value>(body).expect("json"));
    }

    #[test]
    fn unknown_codes_are_kept_and_code_is_required() {
        let error: ErrorBody =
            ErrorBody::from_json(r#"{"code":"Teapot","subcode":"Brewing"}"#).expect("valid");
        assert_eq!(error.code.http_status(), None);
        assert_eq!(
            error.subcode.map(|subcode| subcode.to_string()).as_deref(),
            Some("Brewing")
        );
        assert!(ErrorBody::<ErrorCode, ErrorSubcode>::from_json(r#"{"message":"x"}"#).is_err());
    }

    #[test]
    fn xml_error_body_from_the_guide() {
        let body = r#"<?xml version="1.0" encoding="utf-8"?>
<reason xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
 <code>Conflict</code>
 <subcode>AlreadyExists</subcode>
 <message>The requested resource already exists. Please wait and try again.</message>
 <link rel="help" href="/help/conflict" />
 <debugInfo><property name="requestId">42</property></debugInfo>
 <parameters />
</reason>"#;
        let error: ErrorBody = ErrorBody::from_xml(body).expect("valid error body");
        assert_eq!(error.code, ErrorCode::Conflict);
        assert_eq!(error.subcode, Some(ErrorSubcode::AlreadyExists));
        assert!(error
            .message
            .is_some_and(|message| message.starts_with("The requested")));
        assert_eq!(
            error
                .links
                .get("help")
                .and_then(Links::first)
                .map(|link| link.href()),
            Some("/help/conflict")
        );
        assert_eq!(
            error
                .debug_info
                .and_then(|info| info.get("requestId").cloned()),
            Some("42".into())
        );
        assert_eq!(error.parameters, Some(Map::new()));
        assert!(ErrorBody::<ErrorCode, ErrorSubcode>::from_xml(
            "<reason><message>x</message></reason>"
        )
        .is_err());
    }
}
