//! Numbers the docs say are numbers.
//!
//! Query parameters have no type column, and many request-body tables none
//! either, yet the descriptions say what the value is: "The maximum value is
//! 30 and the minimum value is 10", "the length of the delay in seconds",
//! "the maximum number of search results". Such a parameter or field with
//! no type from better evidence is an integer, with the words that say so
//! as its `type_source`. "The maximum length is 50 characters" bounds text,
//! not a number, and says nothing here.

use crate::schema::{Operation, TypeRef};

/// Phrases that make a value a count or a bounded number, each as the
/// reason reads.
const NUMERIC_PHRASES: [&str; 7] = [
    "maximum value is ",
    "minimum value is ",
    "in minutes",
    "in seconds",
    "in milliseconds",
    "number of ",
    "timer value",
];

/// The phrase of `description` that says its value is a number, if one does;
/// a bound must be followed by digits (`maximum value is 30`).
pub fn numeric_evidence(description: &str) -> Option<String> {
    let lower = description.to_ascii_lowercase();
    NUMERIC_PHRASES.iter().find_map(|phrase| {
        let at = lower.find(phrase)?;
        let after = &lower[at + phrase.len()..];
        let bound = phrase.ends_with("is ");
        if bound && !after.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let quoted = match bound {
            true => format!("{}{digits}", phrase),
            false => phrase.trim_end().to_owned(),
        };
        Some(format!("description says \"{quoted}\""))
    })
}

/// Types the untyped query parameters and request-body fields whose
/// descriptions say they are numbers.
pub fn type_numbers(operations: &mut [Operation]) {
    for operation in operations {
        for parameter in operation
            .query_parameters
            .iter_mut()
            .filter(|parameter| parameter.ty.is_none() && parameter.type_source.is_none())
        {
            if let Some(why) = numeric_evidence(&parameter.description) {
                parameter.ty = Some(TypeRef::Integer);
                parameter.type_source = Some(why);
            }
        }
        for field in operation
            .request_body
            .iter_mut()
            // A hint the page gives (`TimeSpan`, even with no schema type) is
            // the page's own word: left as it is.
            .filter(|field| {
                field.ty.is_none() && field.type_source.is_none() && field.values.is_empty()
            })
        {
            if let Some(why) = numeric_evidence(&field.description) {
                field.ty = Some(TypeRef::Integer);
                field.type_source = Some(why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_that_say_a_value_is_a_number() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "The presence subscription expiration time (in minutes).The maximum value is 30 and the minimum value is 10",
                Some("description says \"maximum value is 30\""),
            ),
            (
                "The length of the delay in seconds before calls ring.",
                Some("description says \"in seconds\""),
            ),
            (
                "The maximum number of search results to return.",
                Some("description says \"number of\""),
            ),
            // Text bounds and other numbers in words say nothing.
            ("The operation ID.The maximum length is 50 characters.", None),
            ("The number or contact that the user wants to forward to.", None),
            ("Whether this phone number can be shared with others.", None),
            ("The maximum value is unbounded.", None),
            ("Gets or sets the limit query parameter.", None),
        ];
        for (description, expected) in cases {
            assert_eq!(
                numeric_evidence(description).as_deref(),
                *expected,
                "{description}"
            );
        }
    }
}
