//! The one place that turns documented names into Rust identifiers.
//!
//! Every identifier in the generated crate comes from here, so the rules live
//! together: heck does the case conversion, keywords become raw identifiers
//! (`r#type`) or, where Rust forbids that (`self`, `Self`, `crate`, `super`,
//! `_`), take a `_` suffix; characters Rust does not accept are spelled out so
//! two different names do not silently merge; and a [`Scope`] settles the
//! remaining collisions with numeric suffixes in a fixed order. The serde
//! name always stays the documented one; only the Rust side changes.
//!
//! The generated modules import what they use and write plain `Option`,
//! `String`, `Vec`, `Box`, `Result`, `Ok`, `Err`, ...: a generated type
//! with one of those names would shadow the import or the prelude. So
//! [`type_name`] gives such a type a distinct name up front (`Option`
//! becomes `OptionResource` or `OptionEnum`), and no code path needs to
//! spell `::std::option::Option` to stay correct.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::Ident;
use std::collections::BTreeSet;

/// Keywords that `r#` can escape.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "union", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; they get a `_` suffix instead.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The words of a documented name, ASCII only: characters outside ASCII are
/// written as their code point (`ö` → `u00f6`) so `größe` and `grosse` stay
/// apart, and anything else that is not a letter or digit separates words.
fn ascii_words(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if ch.is_ascii() {
            out.push(' ');
        } else {
            out.push_str(&format!(" u{:04x} ", u32::from(ch)));
        }
    }
    out
}

fn escape_keyword(name: String) -> String {
    if UNRAWABLE.contains(&name.as_str()) {
        format!("{name}_")
    } else if RAW_KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// `snake_case` for fields, methods and modules.
pub fn snake(raw: &str) -> String {
    let mut name = ascii_words(raw).to_snake_case();
    if name.is_empty() {
        name = "unnamed".to_string();
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("n{name}");
    }
    escape_keyword(name)
}

/// Module names avoid raw identifiers because they are also file names.
pub fn module(raw: &str) -> String {
    let name = snake(raw);
    match name.strip_prefix("r#") {
        Some(bare) => format!("{bare}_"),
        None => name,
    }
}

/// The type and value names the generated code uses unqualified: the prelude
/// names it writes, what its modules import, and the crate root's own
/// items. A generated type of one of these names would shadow them.
pub const USED_NAMES: &[&str] = &[
    // The prelude, as the generated code writes it.
    "Box",
    "Clone",
    "Debug",
    "Default",
    "Err",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Some",
    "String",
    "Vec",
    // The runtime's prelude, which every module imports.
    "Delete",
    "Deserialize",
    "Deserializer",
    "Embedded",
    "EventInfo",
    "Get",
    "Link",
    "Links",
    "Map",
    "Method",
    "NoBody",
    "ObjectReader",
    "ObjectWriter",
    "OperationInfo",
    "ParameterInfo",
    "Post",
    "PostEmpty",
    "Put",
    "RequestBody",
    "Resource",
    "Scalar",
    "Serialize",
    "Serializer",
    "Shape",
    "SyncError",
    "Untyped",
    "Value",
    // The crate root.
    "AnyResource",
    "ErrorResponse",
    "ErrorSubcode",
    "Events",
    "ResourceKind",
];

/// The types, traits and derive macros Rust's prelude puts in scope (edition
/// 2021). A user who writes `use ucwa::resources::*` gets every generated
/// type by a glob import, and a glob import beats the prelude: a resource
/// named `From` would make the user's own `impl From<A> for B` an error
/// (E0404). So such a name gets its kind appended too (`FromResource`).
pub const STD_PRELUDE: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "DoubleEndedIterator",
    "Drop",
    "Eq",
    "Err",
    "ExactSizeIterator",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Hash",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

/// Module names that would shadow a crate the generated code names by path
/// (`serde_json::Error`), or the crate's own modules.
pub const USED_MODULES: &[&str] = &[
    "core",
    "enums",
    "resources",
    "serde",
    "serde_json",
    "std",
    "ucwa_runtime",
];

/// The type name for a documented name: [`camel`], with `kind` appended
/// (`Resource`, `Enum`) when that is a name the generated code itself uses
/// or one Rust's prelude gives every module ([`STD_PRELUDE`]): `Option`
/// becomes `OptionEnum`, `From` becomes `FromResource`.
pub fn type_name(raw: &str, kind: &str) -> String {
    let name = camel(raw);
    if USED_NAMES.contains(&name.as_str()) || STD_PRELUDE.contains(&name.as_str()) {
        format!("{name}{kind}")
    } else {
        name
    }
}

/// `UpperCamelCase` for types and enum variants.
pub fn camel(raw: &str) -> String {
    let mut name = ascii_words(raw).to_upper_camel_case();
    if name.is_empty() {
        name = "Unnamed".to_string();
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("N{name}");
    }
    escape_keyword(name)
}

/// Turns a name made by this module into an [`Ident`], checking it with syn
/// first so a bug here is a generator error, never broken output.
pub fn ident(name: &str) -> Result<Ident, String> {
    if !is_valid(name) {
        return Err(format!("`{name}` is not a valid Rust identifier"));
    }
    Ok(match name.strip_prefix("r#") {
        Some(bare) => Ident::new_raw(bare, proc_macro2::Span::call_site()),
        None => Ident::new(name, proc_macro2::Span::call_site()),
    })
}

/// Whether `name` parses as a Rust identifier.
pub fn is_valid(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

/// The names already taken in one namespace (a struct's fields, a module's
/// types, an enum's variants). Claims are compared without case and
/// without raw prefixes, so neither `Foo`/`foo` nor `r#type`/`type` can meet
/// in a case-insensitive file system or in a reader's head; a taken name gets
/// the first free suffix `_2`, `_3`, ... (`2`, `3` for camel names).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope where `reserved` are already taken (fixed names of the output).
    pub fn with_reserved(reserved: &[&str]) -> Scope {
        let mut scope = Scope::default();
        for name in reserved {
            scope.taken.insert(Self::key(name));
        }
        scope
    }

    fn key(name: &str) -> String {
        name.trim_start_matches("r#")
            .trim_end_matches('_')
            .to_ascii_lowercase()
    }

    /// Takes `name` or, if it is taken, the first free suffixed form.
    pub fn claim(&mut self, name: String) -> String {
        if self.taken.insert(Self::key(&name)) {
            return name;
        }
        let bare = name.trim_start_matches("r#").trim_end_matches('_');
        let separator = if bare.starts_with(|c: char| c.is_ascii_uppercase()) {
            ""
        } else {
            "_"
        };
        (2..)
            .map(|n| format!("{bare}{separator}{n}"))
            .find(|candidate| self.taken.insert(Self::key(candidate)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names_table() {
        let table = [
            ("audioVideo", "audio_video"),
            ("self", "self_"),
            ("Self", "self_"),
            ("type", "r#type"),
            ("ref", "r#ref"),
            ("move", "r#move"),
            ("async", "r#async"),
            ("crate", "crate_"),
            ("super", "super_"),
            ("_", "unnamed"),
            ("", "unnamed"),
            ("   ", "unnamed"),
            ("1stParty", "n1st_party"),
            ("größe", "gr_u00f6_u00df_e"),
            ("x-ms-id", "x_ms_id"),
            ("a.b/c", "a_b_c"),
            ("} fn x() {", "fn_x"),
            ("HTMLBody", "html_body"),
        ];
        for (raw, expected) in table {
            let got = snake(raw);
            assert_eq!(got, expected, "snake({raw:?})");
            assert!(is_valid(&got), "{got} is not an identifier");
        }
    }

    #[test]
    fn camel_names_table() {
        let table = [
            ("audioVideo", "AudioVideo"),
            ("self", "Self_"),
            ("Self", "Self_"),
            ("type", "Type"),
            ("", "Unnamed"),
            ("2015", "N2015"),
            ("élan", "U00e9Lan"),
            ("call-state", "CallState"),
            ("Option", "Option"),
        ];
        for (raw, expected) in table {
            let got = camel(raw);
            assert_eq!(got, expected, "camel({raw:?})");
            assert!(is_valid(&got), "{got} is not an identifier");
        }
    }

    #[test]
    fn types_named_like_what_the_code_uses_get_their_kind_appended() {
        let table = [
            ("Option", "Resource", "OptionResource"),
            ("option", "Enum", "OptionEnum"),
            ("String", "Resource", "StringResource"),
            ("result", "Resource", "ResultResource"),
            ("Vec", "Enum", "VecEnum"),
            ("box", "Resource", "BoxResource"),
            ("Some", "Resource", "SomeResource"),
            ("None", "Enum", "NoneEnum"),
            ("ok", "Resource", "OkResource"),
            ("Err", "Enum", "ErrEnum"),
            ("Default", "Resource", "DefaultResource"),
            ("link", "Resource", "LinkResource"),
            ("resourceKind", "Enum", "ResourceKindEnum"),
            ("map", "Resource", "MapResource"),
            ("audioVideo", "Resource", "AudioVideo"),
            // Rust's prelude, met through `use ucwa::resources::*`.
            ("from", "Resource", "FromResource"),
            ("into", "Enum", "IntoEnum"),
            ("tryFrom", "Resource", "TryFromResource"),
            ("iterator", "Resource", "IteratorResource"),
            ("send", "Enum", "SendEnum"),
            ("hash", "Resource", "HashResource"),
            ("fromContact", "Resource", "FromContact"),
        ];
        for (raw, kind, expected) in table {
            assert_eq!(
                type_name(raw, kind),
                expected,
                "type_name({raw:?}, {kind:?})"
            );
        }
    }

    #[test]
    fn modules_are_never_raw() {
        assert_eq!(module("type"), "type_");
        assert_eq!(module("self"), "self_");
        assert_eq!(module("audioVideo"), "audio_video");
        assert!(is_valid(&module("match")));
    }

    #[test]
    fn identifiers_round_trip_through_syn() {
        for name in ["r#type", "self_", "Self_", "plain"] {
            assert_eq!(ident(name).unwrap().to_string(), name);
        }
        assert!(ident("self").is_err());
        assert!(ident("1x").is_err());
    }

    #[test]
    fn collisions_get_numbered_suffixes_in_claim_order() {
        let mut fields = Scope::with_reserved(&["extra"]);
        assert_eq!(fields.claim(snake("from")), "from");
        assert_eq!(fields.claim(snake("from")), "from_2");
        assert_eq!(fields.claim(snake("From")), "from_3");
        assert_eq!(fields.claim(snake("extra")), "extra_2");
        assert_eq!(fields.claim(snake("fromX")), "from_x");
        assert_eq!(fields.claim(snake("from_x")), "from_x_2");

        let mut types = Scope::with_reserved(&["ResourceKind"]);
        assert_eq!(types.claim(camel("callState")), "CallState");
        assert_eq!(types.claim(camel("CallState")), "CallState2");
        assert_eq!(types.claim(camel("resourceKind")), "ResourceKind2");
    }

    #[test]
    fn keywords_collide_with_their_escaped_forms() {
        let mut fields = Scope::default();
        assert_eq!(fields.claim(snake("type")), "r#type");
        assert_eq!(fields.claim(snake("type_")), "type_2");
        assert_eq!(fields.claim(snake("self")), "self_");
        assert_eq!(fields.claim(snake("self")), "self_2");
        for name in ["r#type", "type_2", "self_", "self_2"] {
            assert!(is_valid(name));
        }
    }
}
