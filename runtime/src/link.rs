//! Links (`_links`) and embedded resources (`_embedded`).

use crate::data_uri::{DataUri, DataUriError};
use crate::{DecodeError, Resource};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;

/// Marker for a link whose target resource is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Untyped;

/// One link: where a related resource lives, typed by what it points to.
///
/// `T` is the target resource type (or [`Untyped`]); it only exists at the
/// type level, so following a link and decoding the answer is type-checked.
#[derive(Serialize)]
#[serde(bound = "")]
pub struct Link<T = Untyped> {
    /// The URL of the target, relative or absolute, or a `data:` URI.
    pub href: String,
    /// A human-readable name of the target, e.g. a participant's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Keys the docs do not describe, kept so encoding gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    target: PhantomData<fn() -> T>,
}

impl<T> Link<T> {
    /// A link to `href` without title.
    pub fn new(href: impl Into<String>) -> Self {
        Link {
            href: href.into(),
            title: None,
            extra: Map::new(),
            target: PhantomData,
        }
    }

    /// The URL of the target.
    pub fn href(&self) -> &str {
        &self.href
    }

    /// The human-readable name of the target, if the server sent one.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The content of a `data:` URI href (e.g. a message body), or `None`
    /// when the href is an ordinary URL. Decoding is bounded by
    /// [`crate::MAX_DATA_URI_BYTES`].
    pub fn data(&self) -> Option<Result<DataUri, DataUriError>> {
        DataUri::is_data_uri(&self.href).then(|| DataUri::parse(&self.href))
    }

    /// The same link without the target type.
    pub fn untyped(&self) -> Link<Untyped> {
        self.retarget()
    }

    fn retarget<U>(&self) -> Link<U> {
        Link {
            href: self.href.clone(),
            title: self.title.clone(),
            extra: self.extra.clone(),
            target: PhantomData,
        }
    }
}

impl<T: Resource> Link<T> {
    /// The rel of the resource this link points to.
    pub fn target_rel(&self) -> &'static str {
        T::REL
    }

    /// Decodes a JSON body fetched from this link as the target type.
    pub fn decode_json(&self, body: &str) -> Result<T, DecodeError> {
        T::from_json(body)
    }

    /// Decodes an XML body fetched from this link as the target type.
    pub fn decode_xml(&self, body: &str) -> Result<T, DecodeError> {
        T::from_xml(body)
    }
}

// Manual impls: derives would demand `T: Clone` etc. of a type that is only a marker.
impl<T> Clone for Link<T> {
    fn clone(&self) -> Self {
        self.retarget()
    }
}

impl<T> fmt::Debug for Link<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("href", &self.href)
            .field("title", &self.title)
            .field("extra", &self.extra)
            .finish()
    }
}

impl<T> PartialEq for Link<T> {
    fn eq(&self, other: &Self) -> bool {
        self.href == other.href && self.title == other.title && self.extra == other.extra
    }
}

impl<T> Eq for Link<T> {}

/// A value that the server sends either as one object or as an array.
///
/// UCWA uses an array for a rel that can repeat, even when it holds one
/// element; the form is kept so encoding gives back the same JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany<V> {
    /// Sent as a single object.
    One(V),
    /// Sent as an array.
    Many(Vec<V>),
}

/// The links under one rel in `_links`.
pub type Links<T = Untyped> = OneOrMany<Link<T>>;

/// The resources under one rel in `_embedded`.
pub type Embedded<T> = OneOrMany<T>;

impl<V> OneOrMany<V> {
    /// The first (or only) element.
    pub fn first(&self) -> Option<&V> {
        self.as_slice().first()
    }

    /// All elements, in the order sent.
    pub fn iter(&self) -> std::slice::Iter<'_, V> {
        self.as_slice().iter()
    }

    /// How many elements there are.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True for an empty array.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// All elements as a slice.
    pub fn as_slice(&self) -> &[V] {
        match self {
            OneOrMany::One(value) => std::slice::from_ref(value),
            OneOrMany::Many(values) => values,
        }
    }
}

impl<'a, V> IntoIterator for &'a OneOrMany<V> {
    type Item = &'a V;
    type IntoIter = std::slice::Iter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// By value: an embedded list hands over its resources without a clone.
impl<V> IntoIterator for OneOrMany<V> {
    type Item = V;
    type IntoIter = std::vec::IntoIter<V>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<V> OneOrMany<V> {
    /// All elements, owned, in the order sent.
    pub fn into_vec(self) -> Vec<V> {
        match self {
            OneOrMany::One(value) => vec![value],
            OneOrMany::Many(values) => values,
        }
    }
}

impl<V: Serialize> Serialize for OneOrMany<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(value) => value.serialize(serializer),
            OneOrMany::Many(values) => values.serialize(serializer),
        }
    }
}

/// One pass over the link object, as `impl_serde!` reads a resource: a
/// derive with `#[serde(flatten)]` would buffer every link first, and links
/// are most of what a UCWA body holds.
impl<'de, T> Deserialize<'de> for Link<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LinkVisitor<T>(PhantomData<fn() -> T>);
        impl<'de, T> serde::de::Visitor<'de> for LinkVisitor<T> {
            type Value = Link<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a link object with an href")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use crate::object::__private::{field_value, Key};
                let (mut href, mut title, mut extra) = (None, None, Map::new());
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "href" => href = Some(field_value::<_, String>(&mut map, "href")?),
                        "title" => title = field_value::<_, Option<String>>(&mut map, "title")?,
                        _ => {
                            let value = map.next_value()?;
                            extra.insert(key.into_string(), value);
                        }
                    }
                }
                Ok(Link {
                    href: href.ok_or_else(|| serde::de::Error::missing_field("href"))?,
                    title,
                    extra,
                    target: PhantomData,
                })
            }
        }
        deserializer.deserialize_map(LinkVisitor(PhantomData))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OneOrMany<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than `untagged`: no buffering, and the element's
        // own error message reaches the caller.
        struct FormVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for FormVisitor<V> {
            type Value = OneOrMany<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                V::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::<V>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        deserializer.deserialize_any(FormVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_iterates_by_value_in_the_order_sent() {
        let many: OneOrMany<String> = OneOrMany::Many(vec!["a".into(), "b".into()]);
        let owned: Vec<String> = many.into_iter().collect();
        assert_eq!(owned, ["a", "b"]);
        let one = OneOrMany::One(String::from("only"));
        assert_eq!(one.into_iter().collect::<Vec<_>>(), ["only"]);
        assert!(OneOrMany::<u8>::Many(Vec::new()).into_vec().is_empty());
    }

    #[test]
    fn single_link_with_title_and_unknown_keys_round_trips() {
        let sent = json!({"href": "/people/john", "title": "John Doe", "revision": 3});
        let links: Links = serde_json::from_value(sent.clone()).expect("link");
        let link = links.first().expect("one link");
        assert_eq!(link.href(), "/people/john");
        assert_eq!(link.title(), Some("John Doe"));
        assert_eq!(link.extra.get("revision"), Some(&json!(3)));
        assert!(matches!(links, OneOrMany::One(_)));
        assert_eq!(serde_json::to_value(&links).expect("encode"), sent);
    }

    #[test]
    fn array_form_is_kept_even_with_one_element() {
        let sent = json!([{"href": "/a"}]);
        let links: Links = serde_json::from_value(sent.clone()).expect("links");
        assert_eq!(links.len(), 1);
        assert!(matches!(links, OneOrMany::Many(_)));
        assert_eq!(serde_json::to_value(&links).expect("encode"), sent);

        let two: Links =
            serde_json::from_value(json!([{"href": "/a"}, {"href": "/b", "title": "B"}]))
                .expect("links");
        let hrefs: Vec<&str> = two.iter().map(Link::href).collect();
        assert_eq!(hrefs, ["/a", "/b"]);
    }

    #[test]
    fn link_without_href_is_an_error() {
        let result = serde_json::from_value::<Links>(json!({"title": "no href"}));
        let message = result.expect_err("href is required").to_string();
        assert!(message.contains("href"), "{message}");
        assert!(serde_json::from_value::<Links>(json!("text")).is_err());
    }

    #[test]
    fn typed_link_decodes_its_target() {
        use crate::xml::Shape;
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Note {
            message: String,
        }
        impl Resource for Note {
            const REL: &'static str = "note";
            const XML_SHAPE: &'static Shape = &Shape::EMPTY;
        }
        let link: Link<Note> = serde_json::from_value(json!({"href": "/me/note"})).expect("link");
        assert_eq!(link.target_rel(), "note");
        let note = link
            .decode_json(r#"{"rel":"note","message":"hi"}"#)
            .expect("note");
        assert_eq!(note.message, "hi");
        assert!(link.decode_json(r#"{"rel":"note"}"#).is_err());
        assert_eq!(link.untyped().href(), "/me/note");
        assert!(link.data().is_none());
    }

    #[test]
    fn message_links_carry_their_content() {
        let link: Link = Link::new("data:text/plain;charset=utf-8,Hello+World");
        let content = link.data().expect("a data URI").expect("valid");
        assert_eq!(content.text(), Some("Hello World"));
        assert!(Link::<Untyped>::new("data:text/plain")
            .data()
            .is_some_and(|content| content.is_err()));
    }

    #[test]
    fn links_are_send_sync_and_clone_whatever_the_target() {
        fn shareable<V: Send + Sync + Clone>(_: &V) {}
        let link: Link<std::rc::Rc<()>> = Link::new("/x");
        shareable(&link);
        assert_eq!(link.clone(), link);
    }
}
