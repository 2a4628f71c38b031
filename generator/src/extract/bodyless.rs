//! POSTs that may be sent with no body.
//!
//! Several UCWA POSTs (resetting the note, extending a presence subscription,
//! subscribing to a group's presence) take their parameters in the query and
//! are sent with `Content-Length: 0`, yet the page still lists a request-body
//! table. The table alone cannot tell, so the page's own evidence decides:
//!
//! - no request sample carries a body (a sample with one, like `sendMessage`'s
//!   text, says the body is real), and
//! - either the request samples show none, or every body field repeats one of
//!   the operation's query parameters.
//!
//! The reason goes into [`Operation::body_optional`] so that the schema says
//! why; the operation keeps its typed body for servers that read one.

use crate::schema::{Direction, Example, Method, Operation};

/// Marks every operation of the page that may be sent without a body.
pub fn mark(operations: &mut [Operation]) {
    for operation in operations {
        if operation.body_optional.is_none() {
            operation.body_optional = evidence(operation);
        }
    }
}

/// Why `operation` may go without a body, or `None` when nothing says so.
fn evidence(operation: &Operation) -> Option<String> {
    if operation.method != Method::Post || operation.request_body.is_empty() {
        return None;
    }
    let requests: Vec<_> = operation
        .examples
        .iter()
        .filter(|example| example.direction == Direction::Request)
        .collect();
    // A sample with a body, or one that names a body type but shows none
    // (its body was lost), says the body is needed.
    if requests.iter().any(|example| !sends_nothing(example)) {
        return None;
    }
    let mut reasons = Vec::new();
    if !requests.is_empty() {
        reasons.push("the request samples send no body".to_owned());
    }
    let repeated = operation.request_body.iter().all(|field| {
        operation
            .query_parameters
            .iter()
            .any(|parameter| parameter.name.eq_ignore_ascii_case(&field.name))
    });
    if repeated {
        reasons.push("every body field repeats a query parameter".to_owned());
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// A request sample with no body that does not announce one: no
/// `Content-Type`, or `Content-Length: 0`.
fn sends_nothing(example: &Example) -> bool {
    let header = |name: &str| {
        example.headers.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    };
    example.body.trim().is_empty()
        && (header("content-type").is_none() || header("content-length") == Some("0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{BodyField, QueryParameter};

    fn post(fields: &[&str], query: &[&str], request_bodies: &[&str]) -> Operation {
        Operation {
            method: Method::Post,
            request_body: fields
                .iter()
                .map(|name| BodyField {
                    name: (*name).into(),
                    ..BodyField::default()
                })
                .collect(),
            query_parameters: query
                .iter()
                .map(|name| QueryParameter {
                    name: (*name).into(),
                    ..QueryParameter::default()
                })
                .collect(),
            examples: request_bodies
                .iter()
                .map(|body| Example {
                    direction: Direction::Request,
                    body: (*body).into(),
                    ..Example::default()
                })
                .collect(),
            ..Operation::default()
        }
    }

    #[test]
    fn evidence_table() {
        let cases: &[(Operation, Option<&str>)] = &[
            // note: the sample sends nothing and `message` is also a query parameter.
            (
                post(&["message"], &["message"], &["", ""]),
                Some(
                    "the request samples send no body; every body field repeats a query parameter",
                ),
            ),
            // subscribeToGroupPresence: samples without a body are enough.
            (
                post(&["duration", "groupId"], &[], &[""]),
                Some("the request samples send no body"),
            ),
            // No samples, but every field is in the query.
            (
                post(&["Duration"], &["duration"], &[]),
                Some("every body field repeats a query parameter"),
            ),
            // sendMessage: one sample carries the text, so the body is real.
            (
                post(&["operationId"], &["operationId"], &["", "Hello"]),
                None,
            ),
            // An ordinary POST: a body in its sample.
            (post(&["to"], &[], &[r#"{"to":"sip:a@b"}"#]), None),
            // No samples and a field the query lacks: nothing says so.
            (post(&["to", "subject"], &["to"], &[]), None),
            // No body table: the operation has no body anyway.
            (post(&[], &[], &[""]), None),
        ];
        // A sample that names a body type but shows none lost its body.
        let mut lost = post(&["message"], &["message"], &[""]);
        lost.examples[0].headers = vec!["Content-Type: application/json".into()];
        let mut announced_empty = lost.clone();
        announced_empty.examples[0]
            .headers
            .push("Content-Length: 0".into());
        let cases = [
            cases,
            &[
                (lost, None),
                (
                    announced_empty,
                    Some("the request samples send no body; every body field repeats a query parameter"),
                ),
            ],
        ]
        .concat();
        for (operation, expected) in &cases {
            assert_eq!(evidence(operation).as_deref(), *expected, "{operation:?}");
        }
    }

    #[test]
    fn other_methods_and_hand_edits_are_left_alone() {
        let mut put = post(&["message"], &["message"], &[""]);
        put.method = Method::Put;
        let mut edited = post(&["message"], &["message"], &[""]);
        edited.body_optional = Some("set by hand".into());
        let mut operations = [put, edited];
        mark(&mut operations);
        assert_eq!(operations[0].body_optional, None);
        assert_eq!(operations[1].body_optional.as_deref(), Some("set by hand"));
    }
}
