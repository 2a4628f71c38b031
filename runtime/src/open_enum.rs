//! The `open_enum!` macro: string enumerations that survive values the docs
//! do not list.

/// Declares a string enumeration that keeps unknown values instead of failing.
///
/// ```
/// ucwa_runtime::open_enum! {
///     /// The state of a call.
///     pub enum CallState {
///         /// Connected.
///         Connected = "Connected",
///         /// Being disconnected.
///         Disconnecting = "Disconnecting",
///     }
/// }
/// assert_eq!("Connected".parse::<CallState>(), Ok(CallState::Connected));
/// assert_eq!(CallState::from("Ringing"), CallState::Other("Ringing".into()));
/// assert_eq!(CallState::Other("Ringing".into()).as_str(), "Ringing");
/// ```
///
/// The expansion adds an `Other(String)` variant for values the docs do not
/// list. When a documented member is itself called `Other`, the fallback
/// variant is named `Unlisted` instead, so both still compile. A leading
/// `fallback = Name;` chooses the fallback variant's name outright:
///
/// ```
/// ucwa_runtime::open_enum! {
///     fallback = Unknown;
///     /// A phone type.
///     pub enum PhoneType {
///         /// Documented "Other".
///         Other = "Other",
///     }
/// }
/// assert_eq!(PhoneType::from("Home"), PhoneType::Unknown("Home".into()));
/// ```
///
/// The enum gets `as_str`, `MEMBERS`, `FromStr`, `From<&str>`,
/// `From<String>`, `Display`, `Debug`, `Clone`, `PartialEq`, `Eq`, `Hash`, and
/// serde as the exact string.
///
/// The members are expanded by repetition, never one macro step per member,
/// so any number of them fits the default `recursion_limit`; that matters to
/// crates that `include!` generated code and cannot raise the limit.
#[macro_export]
macro_rules! open_enum {
    (
        fallback = $fallback:ident;
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$member_meta:meta])* $member:ident = $value:literal ),* $(,)?
        }
    ) => {
        $crate::open_enum! {
            @define $fallback
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$member_meta])* $member = $value, )*
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$member_meta:meta])* $member:ident = $value:literal ),* $(,)?
        }
    ) => {
        // `$` travels as a token so the helper below can declare its own
        // metavariables.
        $crate::open_enum! {
            @pick_fallback ($) [ $($member)* ]
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$member_meta])* $member = $value, )*
            }
        }
    };
    // Whether a member is called `Other` is decided by a one-off macro whose
    // rules are the member names: `Other` matches one of them only if it is
    // a member, and otherwise reaches the last rule. One step, no scanning.
    (@pick_fallback ($d:tt) [ $($member:ident)* ] $($definition:tt)*) => {
        macro_rules! __ucwa_open_enum_with_fallback {
            $(
                ($member $d($d rest:tt)*) => {
                    $crate::open_enum! { @define Unlisted $d($d rest)* }
                };
            )*
            (Other $d($d rest:tt)*) => {
                $crate::open_enum! { @define Other $d($d rest)* }
            };
        }
        __ucwa_open_enum_with_fallback! { Other $($definition)* }
    };
    (
        @define $fallback:ident
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$member_meta:meta])* $member:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(
            ::core::clone::Clone,
            ::core::fmt::Debug,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
        )]
        $vis enum $name {
            $( $(#[$member_meta])* $member, )*
            /// A value this version of the docs does not list; kept as sent.
            $fallback($crate::__private::String),
        }

        impl $name {
            /// Every documented value, in the order of the docs.
            #[allow(dead_code)] // a table for callers; private enums may not read it
            pub const MEMBERS: &'static [&'static str] = &[ $($value),* ];

            /// The exact string this value is sent as.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$member => $value, )*
                    Self::$fallback(value) => value.as_str(),
                }
            }
        }

        impl ::core::convert::From<&str> for $name {
            // A value documented twice maps to its first member.
            #[allow(unreachable_patterns)]
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$member, )*
                    _ => Self::$fallback(::core::convert::From::from(value)),
                }
            }
        }

        impl ::core::convert::From<$crate::__private::String> for $name {
            #[allow(unreachable_patterns)]
            fn from(value: $crate::__private::String) -> Self {
                match value.as_str() {
                    $( $value => Self::$member, )*
                    _ => Self::$fallback(value),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;
            // Not `Self::Err`: a member called `Err` would make that ambiguous.
            fn from_str(value: &str) -> ::core::result::Result<Self, ::core::convert::Infallible> {
                ::core::result::Result::Ok(<Self as ::core::convert::From<&str>>::from(value))
            }
        }

        impl ::core::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let value: $crate::__private::String =
                    $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                ::core::result::Result::Ok(<Self as ::core::convert::From<$crate::__private::String>>::from(value))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    // Names a schema could use for its own types; the macro must not resolve
    // anything through them.
    #[allow(dead_code)]
    struct Option;
    #[allow(dead_code)]
    struct Result;
    #[allow(dead_code)]
    struct String;

    crate::open_enum! {
        /// Test enumeration.
        pub enum Modality {
            /// Audio.
            Audio = "Audio",
            /// Lower-case on the wire.
            PlainText = "plain text",
            /// A member literally named like the prelude type.
            Option = "Option",
        }
    }

    crate::open_enum! {
        /// A documented member called `Other` moves the fallback to `Unlisted`.
        pub enum PhoneType {
            /// Work.
            Work = "Work",
            /// Documented "Other".
            Other = "Other",
            /// The docs list "Work" twice; the first member wins.
            WorkAgain = "Work",
        }
    }

    #[test]
    fn documented_strings_map_to_members_and_back() {
        assert_eq!(Modality::from("plain text"), Modality::PlainText);
        assert_eq!(Modality::PlainText.as_str(), "plain text");
        assert_eq!(Modality::from("Option"), Modality::Option);
        assert_eq!(Modality::MEMBERS, &["Audio", "plain text", "Option"]);
        assert_eq!(Modality::Audio.to_string(), "Audio");
    }

    #[test]
    fn unknown_strings_are_kept_exactly() {
        // Case matters: "audio" is not the documented "Audio".
        let unknown = Modality::from("audio");
        assert_eq!(unknown, Modality::Other("audio".into()));
        assert_eq!(unknown.as_str(), "audio");
    }

    #[test]
    fn serde_round_trips_the_exact_string() {
        for text in ["\"Audio\"", "\"plain text\"", "\"Video \\u00e9\""] {
            let value: Modality = serde_json::from_str(text).expect("valid string");
            let back = serde_json::to_string(&value).expect("serialize");
            let original: serde_json::Value = serde_json::from_str(text).expect("json");
            assert_eq!(serde_json::Value::String(value.as_str().into()), original);
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&back).ok(),
                Some(original)
            );
        }
        assert!(serde_json::from_str::<Modality>("12").is_err());
    }

    #[test]
    fn member_named_other_gets_an_unlisted_fallback() {
        assert_eq!(PhoneType::from("Other"), PhoneType::Other);
        assert_eq!(PhoneType::from("Home"), PhoneType::Unlisted("Home".into()));
        assert_eq!(PhoneType::Unlisted("Home".into()).as_str(), "Home");
        assert_eq!(PhoneType::MEMBERS, &["Work", "Other", "Work"]);
        assert_eq!(PhoneType::from("Work"), PhoneType::Work);
        assert_eq!(PhoneType::WorkAgain.as_str(), "Work");
    }
}
