//! A bound on what decoding a body builds, not only on its bytes: a 14 MB
//! body of many small objects (`[{"a":0},{"a":0},…]`) is within any sensible
//! byte limit, yet as `serde_json::Value` maps it takes a hundred times its
//! size. Every body is measured by one cheap pass over its bytes (no
//! allocation) before it is decoded: values (objects, arrays, strings, keys
//! and scalars; elements and attributes in XML) and nesting depth. Over the
//! budget it is [`DecodeError::OverBudget`], before anything is built.

use crate::DecodeError;

/// How much a decoded body may build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeBudget {
    /// Values in all: each object, array, key, string and scalar (in XML,
    /// each element and attribute).
    pub max_nodes: usize,
    /// Nesting of objects and arrays (elements in XML).
    pub max_depth: usize,
}

impl DecodeBudget {
    /// What any resource or event channel answer may build: 200,000 values
    /// (the largest published bodies have a few hundred; a contact list of
    /// 5,000 contacts is about 150,000), nested 64 deep. Decoded, that is
    /// at most about 100 MB whatever the bytes.
    pub const DEFAULT: DecodeBudget = DecodeBudget {
        max_nodes: 200_000,
        max_depth: 64,
    };

    /// What an error body may build: UCWA's have a code, a subcode, a
    /// message and a few properties.
    pub const ERROR_BODY: DecodeBudget = DecodeBudget {
        max_nodes: 4_096,
        max_depth: 16,
    };

    /// Measures a JSON body; `Ok` when decoding it stays within the budget.
    /// The pass does not validate JSON (the decoder does): it counts.
    pub fn check_json(&self, body: &str) -> Result<(), DecodeError> {
        let mut nodes = 0usize;
        let mut depth = 0usize;
        // Whether the previous significant byte ends a value or starts a
        // scalar: a scalar's first byte counts, its others do not.
        let mut in_scalar = false;
        let bytes = body.as_bytes();
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            at += 1;
            let counts = match byte {
                b'"' => {
                    // A string counts once; its text is skipped to the next
                    // quote or backslash at memchr's speed, not byte by byte.
                    loop {
                        match memchr::memchr2(b'"', b'\\', &bytes[at.min(bytes.len())..]) {
                            Some(offset) if bytes[at + offset] == b'\\' => at += offset + 2,
                            Some(offset) => {
                                at += offset + 1;
                                break;
                            }
                            None => {
                                at = bytes.len();
                                break;
                            }
                        }
                    }
                    in_scalar = false;
                    true
                }
                b'{' | b'[' => {
                    depth += 1;
                    if depth > self.max_depth {
                        return Err(self.over("nesting", self.max_depth));
                    }
                    in_scalar = false;
                    true
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    in_scalar = false;
                    false
                }
                b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => {
                    in_scalar = false;
                    false
                }
                _ => !std::mem::replace(&mut in_scalar, true),
            };
            if counts {
                nodes += 1;
                if nodes > self.max_nodes {
                    return Err(self.over("values", self.max_nodes));
                }
            }
        }
        Ok(())
    }

    /// Decodes a JSON body into `T` once it is measured within the budget
    /// (and within [`crate::MAX_BODY_BYTES`]).
    pub fn decode_json<T: serde::de::DeserializeOwned>(
        &self,
        body: &str,
    ) -> Result<T, DecodeError> {
        crate::json_within(body, self)
    }

    /// As [`DecodeBudget::decode_json`], from bytes that must be UTF-8
    /// (a byte order mark is skipped).
    pub fn decode_json_bytes<T: serde::de::DeserializeOwned>(
        &self,
        body: &[u8],
    ) -> Result<T, DecodeError> {
        let text = std::str::from_utf8(body).map_err(|error| {
            DecodeError::from(<serde_json::Error as serde::de::Error>::custom(format!(
                "not UTF-8: {error}"
            )))
        })?;
        self.decode_json(text.trim_start_matches('\u{feff}'))
    }

    /// Counts `more` XML nodes (an element and its attributes) at `depth`.
    pub(crate) fn count_xml(
        &self,
        nodes: &mut usize,
        more: usize,
        depth: usize,
    ) -> Result<(), DecodeError> {
        *nodes = nodes.saturating_add(more);
        if *nodes > self.max_nodes {
            return Err(self.over("elements and attributes", self.max_nodes));
        }
        if depth > self.max_depth {
            return Err(self.over("nesting", self.max_depth));
        }
        Ok(())
    }

    fn over(&self, what: &'static str, limit: usize) -> DecodeError {
        DecodeError::OverBudget { what, limit }
    }
}

impl Default for DecodeBudget {
    fn default() -> Self {
        DecodeBudget::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(body: &str) -> usize {
        let budget = DecodeBudget {
            max_nodes: usize::MAX,
            max_depth: usize::MAX,
        };
        // Find the count by bisection on the budget: the pass is the truth.
        let (mut low, mut high) = (0usize, 1usize << 20);
        while low < high {
            let middle = (low + high) / 2;
            let within = DecodeBudget {
                max_nodes: middle,
                ..budget
            }
            .check_json(body)
            .is_ok();
            if within {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    }

    #[test]
    fn values_are_counted_once_each() {
        assert_eq!(nodes("{}"), 1);
        assert_eq!(nodes(r#"{"a":0}"#), 3);
        assert_eq!(nodes(r#"{"a": "x,{[", "b": [true, null, -1.5e3]}"#), 8);
        assert_eq!(nodes(r#"["a\"b", "\\"]"#), 3);
        assert_eq!(nodes(r#"[{"a":0},{"a":0},{"a":0}]"#), 10);
    }

    #[test]
    fn a_body_over_budget_is_refused_before_decoding() {
        let many: String = format!("[{}]", vec![r#"{"a":0}"#; 1000].join(","));
        let small = DecodeBudget {
            max_nodes: 500,
            max_depth: 8,
        };
        assert!(matches!(
            small.check_json(&many),
            Err(DecodeError::OverBudget {
                what: "values",
                limit: 500
            })
        ));
        assert!(DecodeBudget::DEFAULT.check_json(&many).is_ok());
        let deep = format!("{}{}", "[".repeat(20), "]".repeat(20));
        assert!(matches!(
            small.check_json(&deep),
            Err(DecodeError::OverBudget {
                what: "nesting",
                limit: 8
            })
        ));
    }
}
