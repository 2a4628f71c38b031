//! Reading and writing a generated type as a JSON object, key by key.
//!
//! Generated structs implement `Serialize` and `Deserialize` through
//! [`impl_serde!`](crate::impl_serde): every documented key is named once,
//! and the keys nobody documented travel in the type's `extra` map, so
//! decoding and encoding lose nothing. `Deserialize` reads the object in
//! one pass: each key is matched to its field as it streams by (no
//! `serde_json::Map` of the whole object first), the first bad field ends
//! the read with its key in the message. [`ObjectReader`] is the older
//! two-pass reader, kept for hand-written impls.

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A JSON object being read into a generated type: each documented key is
/// taken out by name, and what is left is the type's `extra`.
///
/// ```
/// use serde::{Deserialize, Deserializer};
/// use serde_json::{Map, Value};
/// use ucwa_runtime::ObjectReader;
///
/// struct Note {
///     message: Option<String>,
///     extra: Map<String, Value>,
/// }
///
/// impl<'de> Deserialize<'de> for Note {
///     fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
///         ObjectReader::new(deserializer)?.read(|fields| Ok(Note {
///             message: fields.optional("message"),
///             extra: fields.rest(),
///         }))
///     }
/// }
///
/// let note: Note = serde_json::from_str(r#"{"message":"hi","rel":"note"}"#).unwrap();
/// assert_eq!(note.message.as_deref(), Some("hi"));
/// assert_eq!(note.extra["rel"], "note");
/// assert!(serde_json::from_str::<Note>(r#"{"message":5}"#).is_err());
/// ```
#[derive(Debug)]
pub struct ObjectReader {
    object: Map<String, Value>,
    error: Option<serde_json::Error>,
}

impl ObjectReader {
    /// Reads a JSON object.
    pub fn new<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectReader, D::Error> {
        Ok(ObjectReader {
            object: Map::deserialize(deserializer)?,
            error: None,
        })
    }

    /// Builds a value from the object with `build`, which is a plain `fn` so
    /// that its body is compiled once, whatever the deserializer. The first
    /// field that failed, if any, is the error.
    pub fn read<T, E: serde::de::Error>(
        mut self,
        build: fn(&mut ObjectReader) -> Result<T, serde_json::Error>,
    ) -> Result<T, E> {
        let built = build(&mut self);
        match self.error.map_or(built, Err) {
            Ok(value) => Ok(value),
            Err(error) => Err(E::custom(error)),
        }
    }

    /// A key the object may lack: absent (or of the wrong type, which is
    /// reported at the end) reads as the default, `None` for an `Option`.
    pub fn optional<T: DeserializeOwned + Default>(&mut self, key: &str) -> T {
        match self.object.remove(key).map(serde_json::from_value) {
            Some(Ok(value)) => value,
            Some(Err(error)) => {
                self.error.get_or_insert(at_key(key, &error));
                T::default()
            }
            None => T::default(),
        }
    }

    /// A key the object must have.
    pub fn required<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
    ) -> Result<T, serde_json::Error> {
        match self.object.remove(key) {
            Some(value) => serde_json::from_value(value).map_err(|error| at_key(key, &error)),
            None => Err(serde_json::Error::missing_field(key)),
        }
    }

    /// The keys no field took, kept so that encoding gives them back.
    pub fn rest(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.object)
    }
}

/// `error` of the value under `key`, its message prefixed with the path of
/// keys that leads to it: `` `to`: invalid type ``, and from a nested type
/// `` `_links.message`: ... ``. [`crate::DecodeError::path`] reads it back.
fn at_key<E: serde::de::Error>(key: &str, error: &impl std::fmt::Display) -> E {
    let message = error.to_string();
    // A streaming reader put the position on the inner error; it puts it
    // on this one again when it leaves, so it is said once.
    let message = without_position(&message);
    let (inner, rest) = split_path(message);
    match inner.is_empty() {
        true => E::custom(format_args!("`{key}`: {rest}")),
        false => E::custom(format_args!("`{key}.{inner}`: {rest}")),
    }
}

/// `message` without serde_json's ` at line L column C` at its end.
fn without_position(message: &str) -> &str {
    let Some((head, column)) = message.rsplit_once(" column ") else {
        return message;
    };
    let Some((head, line)) = head.rsplit_once(" at line ") else {
        return message;
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match digits(line) && digits(column) {
        true => head,
        false => message,
    }
}

/// What `impl_serde!`'s expansion uses; not an API.
#[doc(hidden)]
pub mod __private {
    pub use serde::de::{Error, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use std::borrow::Cow;

    /// An object's key, borrowed from the input when it has no escapes.
    pub struct Key<'de>(Cow<'de, str>);

    impl Key<'_> {
        pub fn as_str(&self) -> &str {
            &self.0
        }

        pub fn into_string(self) -> String {
            self.0.into_owned()
        }
    }

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    formatter.write_str("a key")
                }
                fn visit_borrowed_str<E: Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(key)))
                }
                fn visit_str<E: Error>(self, key: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(key.to_owned())))
                }
                fn visit_string<E: Error>(self, key: String) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(key)))
                }
            }
            deserializer.deserialize_str(KeyVisitor)
        }
    }

    /// The value under `key`; its error names the key.
    pub fn field_value<'de, M: MapAccess<'de>, T: Deserialize<'de>>(
        map: &mut M,
        key: &str,
    ) -> Result<T, M::Error> {
        map.next_value()
            .map_err(|error| super::at_key::<M::Error>(key, &error))
    }
}

/// The path a message made by [`at_key`] starts with (empty when none), and
/// the rest of the message.
pub(crate) fn split_path(message: &str) -> (String, &str) {
    message
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("`: "))
        .map_or((String::new(), message), |(path, rest)| {
            (path.to_owned(), rest)
        })
}

/// A generated type being written as a JSON object, key by key; the
/// counterpart of [`ObjectReader`].
///
/// ```
/// use serde::{Serialize, Serializer};
/// use serde_json::{Map, Value};
/// use ucwa_runtime::ObjectWriter;
///
/// struct Note {
///     message: Option<String>,
///     to: String,
///     extra: Map<String, Value>,
/// }
///
/// impl Serialize for Note {
///     fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
///         let mut fields = ObjectWriter::new(serializer)?;
///         fields.optional("message", &self.message);
///         fields.required("to", &self.to);
///         fields.end(&self.extra)
///     }
/// }
///
/// let note = Note { message: None, to: "sip:a@b".into(), extra: Map::new() };
/// assert_eq!(serde_json::to_string(&note).unwrap(), r#"{"to":"sip:a@b"}"#);
/// ```
pub struct ObjectWriter<M: SerializeMap> {
    map: M,
    error: Option<M::Error>,
}

impl<M: SerializeMap> ObjectWriter<M> {
    /// Starts an object of unknown length.
    pub fn new<S>(serializer: S) -> Result<Self, S::Error>
    where
        S: Serializer<SerializeMap = M, Error = M::Error>,
    {
        Ok(ObjectWriter {
            map: serializer.serialize_map(None)?,
            error: None,
        })
    }

    /// Writes `key` when `value` is `Some`; an absent value is left out.
    pub fn optional<T: Serialize>(&mut self, key: &str, value: &Option<T>) {
        if let Some(value) = value {
            self.required(key, value);
        }
    }

    /// Writes `key`.
    pub fn required<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        if self.error.is_none() {
            self.error = self.map.serialize_entry(key, value).err();
        }
    }

    /// Writes the keys nobody documented and ends the object; the first
    /// key that failed, if any, is the error.
    pub fn end(mut self, extra: &Map<String, Value>) -> Result<M::Ok, M::Error> {
        for (key, value) in extra {
            self.required(key, value);
        }
        match self.error {
            Some(error) => Err(error),
            None => self.map.end(),
        }
    }
}

/// Implements `Serialize` and `Deserialize` for a struct of documented
/// fields and an `extra` map, through [`ObjectWriter`] and [`ObjectReader`]:
/// the argument lists each field with its key, in the order they are
/// written, as a struct expression would.
///
/// - `state`: the key is the field's name; the field is an `Option` (an
///   absent key reads as `None`, and `None` is left out);
/// - `thread_id: "threadId"`: the same, under another key (a raw identifier
///   such as `r#type` always names its key: `r#type: "type"`);
/// - `to: required("to")`: the key must be there; the field is not an `Option`;
/// - `..extra`: the map that keeps every other key, last.
///
/// ```
/// use serde_json::{Map, Value};
///
/// struct Note {
///     to: String,
///     thread_id: Option<String>,
///     state: Option<String>,
///     extra: Map<String, Value>,
/// }
///
/// ucwa_runtime::impl_serde!(Note {
///     to: required("to"),
///     thread_id: "threadId",
///     state,
///     ..extra
/// });
///
/// let note: Note = serde_json::from_str(r#"{"to":"sip:a@b","threadId":"1","rel":"note"}"#).unwrap();
/// assert_eq!((note.thread_id.as_deref(), note.state.as_deref()), (Some("1"), None));
/// assert_eq!(note.extra["rel"], "note");
/// assert_eq!(serde_json::to_string(&note).unwrap(), r#"{"to":"sip:a@b","threadId":"1","rel":"note"}"#);
/// assert!(serde_json::from_str::<Note>(r#"{"threadId":"1"}"#).is_err());
/// ```
///
/// The expansion is the two impls one would write by hand with the writer
/// and the reader (see their examples). The fields are expanded by
/// repetition, one non-recursive step per field, so any number of them fits
/// the default `recursion_limit`.
#[macro_export]
macro_rules! impl_serde {
    ($ty:ident { $($field:ident $(: $key:literal)? $(: required($required:literal))?),* $(,)? ..$extra:ident }) => {
        $crate::impl_serialize!($ty { $($field $(: $key)? $(: required($required))?,)* ..$extra });

        impl<'de> $crate::prelude::Deserialize<'de> for $ty {
            fn deserialize<__UcwaD: $crate::prelude::Deserializer<'de>>(
                deserializer: __UcwaD,
            ) -> ::core::result::Result<Self, __UcwaD::Error> {
                // One pass over the object: each key is matched to its field
                // as it streams by, and the rest go to `extra`.
                struct __UcwaVisitor;
                impl<'de> $crate::__object::Visitor<'de> for __UcwaVisitor {
                    type Value = $ty;
                    fn expecting(
                        &self,
                        formatter: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        formatter.write_str(::core::concat!("a ", ::core::stringify!($ty), " object"))
                    }
                    fn visit_map<__UcwaM: $crate::__object::MapAccess<'de>>(
                        self,
                        mut map: __UcwaM,
                    ) -> ::core::result::Result<$ty, __UcwaM::Error> {
                        $(let mut $field = ::core::option::Option::None;)*
                        let mut extra = $crate::prelude::Map::new();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<$crate::__object::Key<'de>>()?
                        {
                            match key.as_str() {
                                $($crate::__impl_serde_field!(key $field $(: $key)? $(: required($required))?) => {
                                    $field = ::core::option::Option::Some(
                                        $crate::__object::field_value(&mut map, key.as_str())?,
                                    );
                                })*
                                _ => {
                                    let value = map.next_value()?;
                                    extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        ::core::result::Result::Ok($ty {
                            $($field: $crate::__impl_serde_field!(finish $field $(: $key)? $(: required($required))?),)*
                            $extra: extra,
                        })
                    }
                }
                deserializer.deserialize_map(__UcwaVisitor)
            }
        }
    };
}

/// [`impl_serde!`] for a type that is only written (query parameters):
/// `Serialize` alone, same argument.
#[macro_export]
macro_rules! impl_serialize {
    ($ty:ident { $($field:ident $(: $key:literal)? $(: required($required:literal))?),* $(,)? ..$extra:ident }) => {
        impl $crate::prelude::Serialize for $ty {
            fn serialize<S: $crate::prelude::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                #[allow(unused_mut)] // `mut` is unused when there is only `extra`
                let mut fields = $crate::ObjectWriter::new(serializer)?;
                $($crate::__impl_serde_field!(write fields, self, $field $(: $key)? $(: required($required))?);)*
                fields.end(&self.$extra)
            }
        }
    };
}

/// One field of [`impl_serde!`]: its read or its write, chosen by the
/// field's form (a macro cannot otherwise tell "no key given" apart).
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_serde_field {
    (key $field:ident) => {
        ::core::stringify!($field)
    };
    (key $field:ident: $key:literal) => {
        $key
    };
    (key $field:ident: required($key:literal)) => {
        $key
    };
    (finish $field:ident) => {
        $field.unwrap_or_default()
    };
    (finish $field:ident: $key:literal) => {
        $field.unwrap_or_default()
    };
    (finish $field:ident: required($key:literal)) => {
        match $field {
            ::core::option::Option::Some(value) => value,
            ::core::option::Option::None => {
                return ::core::result::Result::Err(
                    <__UcwaM::Error as $crate::__object::Error>::missing_field($key),
                )
            }
        }
    };
    (write $fields:ident, $this:ident, $field:ident) => {
        $fields.optional(::core::stringify!($field), &$this.$field)
    };
    (write $fields:ident, $this:ident, $field:ident: $key:literal) => {
        $fields.optional($key, &$this.$field)
    };
    (write $fields:ident, $this:ident, $field:ident: required($key:literal)) => {
        $fields.required($key, &$this.$field)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Body {
        state: Option<String>,
        count: Option<i64>,
        to: String,
        extra: Map<String, Value>,
    }

    impl_serde!(Body {
        state,
        count,
        to: required("to"),
        ..extra
    });

    #[test]
    fn documented_keys_go_to_fields_and_the_rest_to_extra_and_back() {
        let text = r#"{"state":"Connected","to":"sip:a@b","later":{"x":[1]}}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        assert_eq!(body.state.as_deref(), Some("Connected"));
        assert_eq!(body.count, None);
        assert_eq!(body.to, "sip:a@b");
        assert_eq!(body.extra["later"]["x"][0], 1);
        let again: Value = serde_json::to_value(&body).unwrap();
        assert_eq!(again, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn the_first_bad_field_is_the_error_with_its_path() {
        let error = serde_json::from_str::<Body>(r#"{"state":5,"count":"x","to":"t"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`state`: invalid type: integer `5`, expected a string"),
            "{error}"
        );
        // A field of a generated type inside another names the whole path.
        #[derive(Debug)]
        struct Outer {
            _inner: Option<Body>,
        }
        impl<'de> Deserialize<'de> for Outer {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                ObjectReader::new(deserializer)?.read(|fields| {
                    Ok(Outer {
                        _inner: fields.optional("_links"),
                    })
                })
            }
        }
        let nested =
            serde_json::from_str::<Outer>(r#"{"_links":{"to":"t","count":true}}"#).unwrap_err();
        let nested = crate::DecodeError::from(nested);
        assert_eq!(nested.path().as_deref(), Some("_links.count"));
        let missing = serde_json::from_str::<Outer>(r#"{"_links":{}}"#).unwrap_err();
        assert_eq!(
            crate::DecodeError::from(missing).path().as_deref(),
            Some("_links.to")
        );
        let missing = serde_json::from_str::<Body>(r#"{"state":"s"}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `to`"),
            "{missing}"
        );
        assert!(serde_json::from_str::<Body>("[1]").is_err());
    }

    #[test]
    fn the_first_key_that_fails_to_encode_is_the_error_and_stops_the_rest() {
        struct Failing(&'static str);
        impl Serialize for Failing {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom(self.0))
            }
        }
        struct Two;
        impl Serialize for Two {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut fields = ObjectWriter::new(serializer)?;
                fields.required("ok", &1);
                fields.required("first", &Failing("first failure"));
                fields.optional("second", &Some(Failing("second failure")));
                fields.end(&Map::new())
            }
        }
        let error = serde_json::to_string(&Two).unwrap_err().to_string();
        assert_eq!(error, "first failure");
        let body = Body {
            state: None,
            count: Some(3),
            to: "t".into(),
            extra: [("later".to_string(), Value::from(1))]
                .into_iter()
                .collect(),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"count":3,"to":"t","later":1}"#
        );
    }

    #[test]
    fn impl_serde_gives_the_impls_one_writes_by_hand() {
        // Keys in the order listed, `None` left out; the writer and the
        // reader are the ones written by hand above (the tests of `Body` go
        // through the macro).
        // Fields named like keywords, like the macro's own words and like
        // the locals of its expansion.
        #[derive(Debug, PartialEq, Default)]
        struct D {
            r#type: Option<String>,
            self_: Option<bool>,
            required: Option<bool>,
            fields: Option<i64>,
            serializer: Option<i64>,
            extra: Map<String, Value>,
        }
        impl_serde!(D {
            r#type: "type",
            self_: "self",
            required,
            fields,
            serializer: "Serializer",
            ..extra
        });
        // Types named like the impls' own type parameters, and one only written.
        struct S {
            extra: Map<String, Value>,
        }
        impl_serialize!(S { ..extra });

        let text = r#"{"self":true,"type":"t","required":false,"fields":1,"Serializer":2,"x":1}"#;
        let d: D = serde_json::from_str(text).unwrap();
        assert_eq!(d.r#type.as_deref(), Some("t"));
        assert_eq!(d.self_, Some(true));
        assert_eq!(
            (d.required, d.fields, d.serializer),
            (Some(false), Some(1), Some(2))
        );
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"type":"t","self":true,"required":false,"fields":1,"Serializer":2,"x":1}"#
        );
        let empty = D::default();
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        assert_eq!(serde_json::from_str::<D>("{}").unwrap(), empty);
        let s = S { extra: d.extra };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"x":1}"#);
    }
}
