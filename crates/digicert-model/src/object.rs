//! `json_object!`: declares a model object whose fields read and write as their types say
//! (see `field.rs`), and which keeps everything else it receives in an [`Extra`].
//!
//! ```text
//! json_object! {
//!     /// Docs.
//!     #[derive(Default)]
//!     pub struct Container {
//!         /// A field is one line: its type says how it reads.
//!         pub id: Option<u64>,
//!         /// `as "key"` names a JSON key that is not the field's name.
//!         pub kind: Option<String> as "type",
//!         /// `= value` is the value of a plain (strict) field that is not sent.
//!         pub total: u64 = 0,
//!         /// `; strict` makes a list strict: a value that is no list fails the object (for
//!         /// the list an answer is about, where reading none would hide a broken answer).
//!         pub orders: Vec<Order>; strict,
//!     }
//! }
//! ```
//!
//! The struct gains `pub extra: Extra` and implements `Serialize`, `Deserialize` (reading
//! keys without allocating) and the field machinery's `Wire`, so it can be a field itself.
//!
//! [`Extra`]: crate::Extra

/// Declares a model object; see the module's docs.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident : $ty:ty $(as $key:literal)? $(= $default:expr)? $(; $strict:ident)?,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
            /// Fields the model does not know and values kept as sent: see [`Extra`](crate::Extra).
            pub extra: $crate::extra::Extra,
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                $(
                    $crate::field::write_field(
                        &mut map,
                        json_object!(@key $field $($key)?),
                        &self.$field,
                        &self.extra,
                    )?;
                )*
                for (key, value) in self.extra.unknown() {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                /// A key of the object: one of the fields, or a name the model does not know.
                #[allow(non_camel_case_types)]
                enum Key {
                    $( $field, )*
                    Unknown(String),
                }

                /// Reads a key, allocating only for unknown names.
                struct KeyVisitor;

                impl serde::de::Visitor<'_> for KeyVisitor {
                    type Value = Key;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                        Ok(match v {
                            $( json_object!(@key $field $($key)?) => Key::$field, )*
                            other => Key::Unknown(other.to_owned()),
                        })
                    }
                }

                impl<'de> serde::Deserialize<'de> for Key {
                    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                        d.deserialize_identifier(KeyVisitor)
                    }
                }

                /// Reads the object's fields.
                struct ObjectVisitor;

                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("an object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        $( let mut $field: Option<$ty> = None; )*
                        let mut extra = $crate::extra::Extra::default();
                        while let Some(key) = map.next_key::<Key>()? {
                            match key {
                                $(
                                    Key::$field => {
                                        $field = Some(map.next_value_seed(
                                            $crate::field::FieldSeed::<$ty>::new(
                                                json_object!(@key $field $($key)?),
                                                json_object!(@strict $($strict)?),
                                                &mut extra,
                                            ),
                                        )?);
                                    }
                                )*
                                Key::Unknown(name) => {
                                    let value: serde_json::Value = map.next_value()?;
                                    extra.insert(name, value);
                                }
                            }
                        }
                        Ok($name {
                            $(
                                $field: match $field {
                                    Some(value) => value,
                                    None => json_object!(
                                        @missing A, $ty, json_object!(@key $field $($key)?) $(, $default)?
                                    ),
                                },
                            )*
                            extra,
                        })
                    }
                }

                d.deserialize_map(ObjectVisitor)
            }
        }

        impl $crate::field::Wire for $name {
            const NESTED: bool = true;

            fn read<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<$crate::field::Fit<Option<Self>>, D::Error> {
                $crate::field::read_object(d)
            }
            fn write<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(self, s)
            }
        }
    };
    (@strict) => { false };
    (@strict strict) => { true };
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (@missing $access:ident, $ty:ty, $key:expr) => {
        <$ty as $crate::field::FieldValue>::missing()
            .ok_or_else(|| <$access::Error as serde::de::Error>::missing_field($key))?
    };
    (@missing $access:ident, $ty:ty, $key:expr, $default:expr) => { $default };
}

pub(crate) use json_object;
