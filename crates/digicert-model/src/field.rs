//! How one field of a model object reads from JSON and writes back, declared by its type.
//!
//! The type of a field carries its behaviour, so a struct declares each field in one line:
//! - `Option<T>` is lenient: a value that does not fit `T` reads as `None`, is kept as sent in
//!   the object's [`Extra`] and written back, and is warned about once per field and run;
//! - `Vec<T>` is a lenient list (`null`, `{}` or one object where a list belongs are read too);
//! - a plain type (`u64`, [`OrderStatus`](crate::OrderStatus), ...) is strict: a value that does
//!   not fit fails the whole object, with its JSON path.
//!
//! Whatever form a value was sent in (a number as a string, a flag as `0`, `[]` for none, a
//! date in another format) is kept beside the typed value when writing the typed value would
//! spell it differently, so that an object writes back exactly what it read.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::extra::Extra;

/// What reading one value gave.
pub(crate) enum Fit<T> {
    /// The value; written back it reads the same as what was sent.
    Exact(T),
    /// The value, sent in a form other than the one it is written in: the form is kept.
    Spelled(T, Value),
    /// A value that does not fit the field's type, kept as sent, and why it does not fit.
    Odd(Value, String),
}

/// What a scalar value was sent as: enough to tell whether the typed value writes back the same.
#[derive(Clone, Copy)]
pub(crate) enum Sent<'a> {
    Bool,
    Int,
    Float,
    Str(&'a str),
}

/// A single value a field may hold (a number, a flag, text, a date, an enum).
pub(crate) trait Scalar: Sized + PartialEq {
    /// Reads the value from any of the forms CertCentral sends it in; `None` for null.
    type Visitor: for<'de> Visitor<'de, Value = Option<Self>>;
    /// The visitor for one value.
    fn visitor() -> Self::Visitor;
    /// Whether writing `self` gives back the form it was `sent` in.
    fn exact(&self, sent: Sent<'_>) -> bool;
    /// Writes the value as CertCentral does.
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

/// What a `Option<T>` or `Vec<T>` field holds: a scalar or a model object.
pub(crate) trait Wire: Sized + PartialEq {
    /// Whether the value has fields or items of its own (its JSON path is tracked for warnings).
    const NESTED: bool = false;
    /// Reads one value; only a strict field inside an object fails.
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Option<Self>>, D::Error>;
    /// Writes the value.
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

impl<T: Scalar> Wire for T {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Option<Self>>, D::Error> {
        d.deserialize_any(Keep::<T>(PhantomData))
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Scalar::write(self, s)
    }
}

/// The type of one field of a model object.
pub(crate) trait FieldValue: Sized + PartialEq {
    /// Whether the value has fields or items of its own.
    const NESTED: bool;
    /// Reads the value as sent.
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error>;
    /// The value when the field is not sent; `None` for a required field.
    fn missing() -> Option<Self>;
    /// Whether the field is left out when written.
    fn is_absent(&self) -> bool;
    /// Writes the value.
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;

    /// Whether `raw`, kept when this field was read, still stands for the field's value, and
    /// is therefore what to write back.
    fn written_as(&self, raw: &Value) -> bool {
        match Self::read(raw) {
            Ok(Fit::Exact(value) | Fit::Spelled(value, _)) => value == *self,
            Ok(Fit::Odd(..)) => self.is_absent(),
            Err(_) => false,
        }
    }
}

impl<T: Wire> FieldValue for Option<T> {
    const NESTED: bool = T::NESTED;

    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        T::read(d)
    }
    fn missing() -> Option<Self> {
        Some(None)
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => value.write(s),
            None => s.serialize_none(),
        }
    }
}

impl<T: Wire> FieldValue for Vec<T> {
    const NESTED: bool = true;

    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        d.deserialize_any(ListVisitor::<T>(PhantomData))
    }
    fn missing() -> Option<Self> {
        Some(Vec::new())
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for item in self {
            seq.serialize_element(&Written(item))?;
        }
        seq.end()
    }
}

/// Makes a scalar type a strict field: a value that does not fit fails the object.
macro_rules! strict_field {
    ($($ty:ty),*) => {$(
        impl FieldValue for $ty {
            const NESTED: bool = false;

            fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
                Ok(match <$ty as Wire>::read(d)? {
                    Fit::Exact(Some(value)) => Fit::Exact(value),
                    Fit::Spelled(Some(value), raw) => Fit::Spelled(value, raw),
                    Fit::Exact(None) | Fit::Spelled(None, _) => {
                        let expected = Expected(<$ty as Scalar>::visitor());
                        Fit::Odd(Value::Null, format!("invalid type: null, expected {expected}"))
                    }
                    Fit::Odd(raw, why) => Fit::Odd(raw, why),
                })
            }
            fn missing() -> Option<Self> {
                None
            }
            fn is_absent(&self) -> bool {
                false
            }
            fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Scalar::write(self, s)
            }
        }
    )*};
}

strict_field!(u64, String, crate::OrderStatus, crate::ErrorCode);

/// Writes a value through [`Wire::write`] or [`FieldValue::write`].
struct Written<'a, T>(&'a T);

impl<T: Wire> Serialize for Written<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write(s)
    }
}

/// A field's value, written by [`FieldValue::write`].
struct WrittenField<'a, T>(&'a T);

impl<T: FieldValue> Serialize for WrittenField<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write(s)
    }
}

/// Writes one field of an object: as it was sent where that form was kept and still holds,
/// else the typed value unless it is absent.
pub(crate) fn write_field<M: SerializeMap, T: FieldValue>(
    map: &mut M,
    key: &'static str,
    value: &T,
    extra: &Extra,
) -> Result<(), M::Error> {
    if let Some(raw) = extra.kept(key)
        && value.written_as(raw)
    {
        return map.serialize_entry(key, raw);
    }
    if value.is_absent() {
        return Ok(());
    }
    map.serialize_entry(key, &WrittenField(value))
}

/// Reads one field of an object into its type, keeping in `extra` what the type cannot hold.
pub(crate) struct FieldSeed<'x, T> {
    key: &'static str,
    /// Whether a value that does not fit fails the object even though the type is lenient.
    strict: bool,
    extra: &'x mut Extra,
    _type: PhantomData<T>,
}

impl<'x, T> FieldSeed<'x, T> {
    pub(crate) fn new(key: &'static str, strict: bool, extra: &'x mut Extra) -> Self {
        Self {
            key,
            strict,
            extra,
            _type: PhantomData,
        }
    }
}

impl<'de, T: FieldValue> DeserializeSeed<'de> for FieldSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let fit = if T::NESTED {
            within(Segment::Key(self.key), || T::read(d))?
        } else {
            T::read(d)?
        };
        match fit {
            Fit::Exact(value) => Ok(value),
            Fit::Spelled(value, raw) => {
                self.extra.keep(self.key, raw);
                Ok(value)
            }
            Fit::Odd(raw, why) => {
                let Some(absent) = T::missing().filter(|_| !self.strict) else {
                    return Err(de::Error::custom(why));
                };
                warn_odd(Segment::Key(self.key), &why);
                self.extra.keep(self.key, raw);
                Ok(absent)
            }
        }
    }
}

/// Reads a scalar, keeping a value that does not fit instead of failing.
struct Keep<T>(PhantomData<T>);

/// The error a scalar's own visitor gives for a value that does not fit: only its message.
#[derive(Debug)]
struct Mismatch(String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

impl de::Error for Mismatch {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Self(message.to_string())
    }
}

/// Displays what a visitor expects.
struct Expected<V>(V);

impl<V: for<'de> Visitor<'de>> fmt::Display for Expected<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// Sorts what a scalar's visitor made of a value sent as `sent`.
fn settle<T: Scalar>(
    read: Result<Option<T>, Mismatch>,
    sent: Sent<'_>,
    raw: impl FnOnce() -> Value,
) -> Fit<Option<T>> {
    match read {
        Ok(Some(value)) if value.exact(sent) => Fit::Exact(Some(value)),
        Ok(value) => Fit::Spelled(value, raw()),
        Err(Mismatch(why)) => Fit::Odd(raw(), why),
    }
}

/// A structure (object or list) where a scalar belongs: kept whole.
fn odd_structure<T: Scalar>(raw: Value, what: &str) -> Fit<Option<T>> {
    let why = format!("invalid type: {what}, expected {}", Expected(T::visitor()));
    Fit::Odd(raw, why)
}

impl<'de, T: Scalar> Visitor<'de> for Keep<T> {
    type Value = Fit<Option<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::visitor().expecting(f)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(settle(T::visitor().visit_bool(v), Sent::Bool, || {
            Value::Bool(v)
        }))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(settle(T::visitor().visit_u64(v), Sent::Int, || v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(settle(T::visitor().visit_i64(v), Sent::Int, || v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(settle(T::visitor().visit_f64(v), Sent::Float, || v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(settle(T::visitor().visit_str(v), Sent::Str(v), || {
            Value::String(v.to_owned())
        }))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Spelled(None, Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let raw = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(odd_structure::<T>(raw, "map"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let raw = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(odd_structure::<T>(raw, "sequence"))
    }
}

/// Reads a model object: `null` and `[]` (PHP's empty object) stand for none, and anything
/// else that is not an object is kept as sent.
pub(crate) fn read_object<'de, D, T>(d: D) -> Result<Fit<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ObjectVisitor::<T>(PhantomData))
}

/// The visitor of [`read_object`].
struct ObjectVisitor<T>(PhantomData<T>);

impl<T> ObjectVisitor<T> {
    fn odd<R>(raw: Value, what: &str) -> Fit<Option<R>> {
        Fit::Odd(raw, format!("invalid type: {what}, expected an object"))
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Fit<Option<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object (or `[]` or null for none)")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Fit::Exact(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let raw = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(match &raw {
            Value::Array(items) if items.is_empty() => Fit::Spelled(None, raw),
            _ => Self::odd(raw, "sequence"),
        })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::odd(Value::Bool(v), "boolean"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::odd(v.into(), "integer"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::odd(v.into(), "integer"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Self::odd(v.into(), "floating point"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Self::odd(Value::String(v.to_owned()), "string"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Spelled(None, Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads a list item by item. `null` and `{}` stand for an empty list and a single object
/// for a list of one (as `errors` has been seen); an item that does not fit is left out of the
/// typed list and the list is kept as sent.
struct ListVisitor<T>(PhantomData<T>);

/// One list item, read with its index on the path.
struct ItemSeed<T> {
    index: usize,
    _type: PhantomData<T>,
}

impl<'de, T: Wire> DeserializeSeed<'de> for ItemSeed<T> {
    type Value = Fit<Option<T>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if T::NESTED {
            within(Segment::Index(self.index), || T::read(d))
        } else {
            T::read(d)
        }
    }
}

/// The items read so far, and the list as sent once any item needs keeping as sent.
struct Items<T> {
    typed: Vec<T>,
    sent: Option<Vec<Value>>,
}

impl<T: Wire> Items<T> {
    /// Adds one item as read, the `index`th of the list.
    fn push(&mut self, fit: Fit<Option<T>>, index: usize) {
        match fit {
            Fit::Exact(Some(item)) => {
                if let Some(sent) = &mut self.sent {
                    sent.push(to_value(&item));
                }
                self.typed.push(item);
            }
            Fit::Exact(None) => self.sent_so_far().push(Value::Null),
            Fit::Spelled(item, raw) => {
                self.sent_so_far().push(raw);
                self.typed.extend(item);
            }
            Fit::Odd(raw, why) => {
                warn_odd(Segment::Index(index), &why);
                self.sent_so_far().push(raw);
            }
        }
    }

    /// The list as sent, made from the typed items on first need.
    fn sent_so_far(&mut self) -> &mut Vec<Value> {
        self.sent
            .get_or_insert_with(|| self.typed.iter().map(to_value).collect())
    }

    fn finish(self) -> Fit<Vec<T>> {
        match self.sent {
            Some(sent) => Fit::Spelled(self.typed, Value::Array(sent)),
            // `[]` is written back as `[]`, though an empty list is otherwise left out.
            None if self.typed.is_empty() => Fit::Spelled(self.typed, Value::Array(Vec::new())),
            None => Fit::Exact(self.typed),
        }
    }
}

/// A typed value as JSON, for a list that is kept as sent.
fn to_value<T: Wire>(item: &T) -> Value {
    serde_json::to_value(Written(item)).unwrap_or(Value::Null)
}

impl<'de, T: Wire> Visitor<'de> for ListVisitor<T> {
    type Value = Fit<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list (or a single object, or null)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Items {
            typed: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024)),
            sent: None,
        };
        let mut index = 0;
        while let Some(fit) = seq.next_element_seed(ItemSeed::<T> {
            index,
            _type: PhantomData,
        })? {
            items.push(fit, index);
            index += 1;
        }
        Ok(items.finish())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let raw = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if raw.as_object().is_some_and(serde_json::Map::is_empty) {
            return Ok(Fit::Spelled(Vec::new(), raw));
        }
        // A single object where a list belongs: a list of one.
        Ok(match T::read(&raw) {
            Ok(Fit::Exact(Some(item)) | Fit::Spelled(Some(item), _)) => {
                Fit::Spelled(vec![item], raw)
            }
            Ok(_) => Fit::Odd(raw, "invalid type: map, expected a list".to_owned()),
            Err(err) => return Err(de::Error::custom(err)),
        })
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Spelled(Vec::new(), Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(odd_list(Value::Bool(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(odd_list(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(odd_list(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(odd_list(v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(odd_list(Value::String(v.to_owned())))
    }
}

/// A scalar where a list belongs: kept as sent.
fn odd_list<T>(raw: Value) -> Fit<Vec<T>> {
    Fit::Odd(raw, "expected a list".to_owned())
}

/// One step of a JSON path.
#[derive(Clone, Copy)]
enum Segment {
    Key(&'static str),
    Index(usize),
}

thread_local! {
    /// The JSON path of the value being read, kept for objects and lists only (what a
    /// warning needs), so that scalars cost nothing.
    static PATH: RefCell<Vec<Segment>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` with `segment` on the path.
fn within<R>(segment: Segment, read: impl FnOnce() -> R) -> R {
    PATH.with(|path| path.borrow_mut().push(segment));
    let result = read();
    PATH.with(|path| path.borrow_mut().pop());
    result
}

/// Writes a path as `orders[2].certificate.valid_till`; `indices` false writes `orders[]`.
fn path_text(segments: &[Segment], indices: bool) -> String {
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Index(index) if indices => text.push_str(&format!("[{index}]")),
            Segment::Index(_) => text.push_str("[]"),
        }
    }
    text
}

/// Warns, once per field and run, that a value was kept as sent because it does not fit.
fn warn_odd(last: Segment, why: &str) {
    static WARNED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut segments = PATH.with(|path| path.borrow().clone());
    segments.push(last);
    let field = path_text(&segments, false);
    let first = WARNED
        .lock()
        .map(|mut warned| warned.insert(field.clone()))
        .unwrap_or(true);
    if first {
        let path = path_text(&segments, true);
        tracing::warn!(
            field = %field,
            path = %path,
            "kept a value that does not fit as sent, and read the field as absent: {why}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_json_paths() {
        let segments = [
            Segment::Key("orders"),
            Segment::Index(2),
            Segment::Key("certificate"),
            Segment::Key("valid_till"),
        ];
        assert_eq!(
            path_text(&segments, true),
            "orders[2].certificate.valid_till"
        );
        assert_eq!(
            path_text(&segments, false),
            "orders[].certificate.valid_till"
        );
        assert_eq!(path_text(&[Segment::Index(0)], true), "[0]");
    }
}
