//! Forgiving field decoders for what CertCentral really sends.
//!
//! The documentation says `int` where the API sometimes sends `"1234"`, `string`
//! where it sends `1234`, `bool` where it sends `0`/`1`, and `{}` where it sends
//! `[]`. Each function here is used with `#[serde(deserialize_with = ...)]` and
//! accepts every such spelling while rejecting values that carry no sensible
//! meaning (a word where a number belongs).

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use serde::de::{self, Deserializer, IgnoredAny, Unexpected, Visitor};
use serde::{Deserialize, Serializer};

/// Integer types the lenient integer decoder produces.
pub(crate) trait Int: Sized + FromStr + TryFrom<u64> + TryFrom<i64> {}
impl Int for u64 {}
impl Int for u32 {}
impl Int for i64 {}

/// Reads an integer from a JSON number (integral) or a string holding one;
/// `null` and `""` mean absent.
struct IntVisitor<T>(PhantomData<T>);

impl<'de, T: Int> Visitor<'de> for IntVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"an integer in range"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Signed(v), &"an integer in range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 1234.0 is an integer written by a sloppy serializer; 12.5 is not.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            return self.visit_i64(v as i64);
        }
        Err(E::invalid_value(Unexpected::Float(v), &self))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let trimmed = v.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        trimmed
            .parse()
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An optional integer: number, numeric string, `null` or `""`.
pub(crate) fn opt_int<'de, D: Deserializer<'de>, T: Int>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(IntVisitor(PhantomData))
}

/// A required integer: number or numeric string.
pub(crate) fn int<'de, D: Deserializer<'de>, T: Int>(d: D) -> Result<T, D::Error> {
    opt_int(d)?.ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"an integer"))
}

/// Reads text from a string, or from a number or bool written where text belongs.
struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (or a number or bool standing for one)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Optional text: a string, or a number or bool that stands for one; `null` is absent.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(StringVisitor)
}

/// Required text, with the same leniency as [`opt_string`].
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d)?.ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"a string"))
}

/// Parses a flag as CertCentral writes them: `0`/`1`, `true`/`false`, in any case.
pub(crate) fn parse_flag(v: &str) -> Option<bool> {
    match v.trim() {
        "1" => Some(true),
        "0" => Some(false),
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads a flag from a bool, `0`/`1`, or a string holding either.
struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bool, 0 or 1, or a string holding one of them")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        parse_flag(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An optional flag: bool, `0`/`1`, `"0"`/`"1"`, `"true"`/`"false"`; `null` or `""` is absent.
pub(crate) fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(FlagVisitor)
}

/// Reads an object, treating `null` and an empty array `[]` (PHP's empty object) as absent.
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object (or `[]` or null for none)")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(None),
            Some(_) => Err(de::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An optional nested object; `[]` and `null` mean absent.
pub(crate) fn opt_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    d.deserialize_any(ObjectVisitor(PhantomData))
}

/// Reads a list; `null` and an empty object `{}` mean an empty list, and a
/// single object where a list belongs becomes a list of one.
struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list (or a single object, or null)")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        // `{}` stands for an empty list; a non-empty object is one element.
        let one = Option::<T>::deserialize(OneObject(map))?;
        Ok(one.into_iter().collect())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Deserializes an object already opened by a visitor, or `None` for `{}`.
struct OneObject<A>(A);

impl<'de, A: de::MapAccess<'de>> Deserializer<'de> for OneObject<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self.0)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let mut peek = PeekMap::new(self.0);
        if peek.is_empty()? {
            visitor.visit_none()
        } else {
            visitor.visit_some(de::value::MapAccessDeserializer::new(peek))
        }
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A map access that can tell whether the map is empty before handing it on.
struct PeekMap<'de, A> {
    inner: A,
    first_key: Option<String>,
    _marker: PhantomData<&'de ()>,
}

impl<'de, A: de::MapAccess<'de>> PeekMap<'de, A> {
    fn new(inner: A) -> Self {
        Self {
            inner,
            first_key: None,
            _marker: PhantomData,
        }
    }
    fn is_empty(&mut self) -> Result<bool, A::Error> {
        self.first_key = self.inner.next_key::<String>()?;
        Ok(self.first_key.is_none())
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for PeekMap<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.first_key.take() {
            Some(key) => seed
                .deserialize(de::value::StringDeserializer::<A::Error>::new(key))
                .map(Some),
            None => self.inner.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.next_value_seed(seed)
    }
}

/// A list with the leniency of [`ListVisitor`].
pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    d.deserialize_any(ListVisitor(PhantomData))
}

/// A list of text whose items may arrive as numbers.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    /// One list item read with [`string`]'s leniency.
    struct Item(String);
    impl<'de> Deserialize<'de> for Item {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            string(d).map(Item)
        }
    }
    Ok(list::<D, Item>(d)?.into_iter().map(|item| item.0).collect())
}

/// Parses the date-times CertCentral writes: RFC 3339 (`2019-05-07T09:33:08+00:00`),
/// `yyyy-MM-dd HH:mm:ss` (taken as UTC), or a bare date (midnight UTC).
///
/// The year must have four digits (0000 to 9999), as in RFC 3339: a date-time
/// such as `-0001-01-01` or `+12345-01-01` could not be written back out.
pub(crate) fn parse_datetime(v: &str) -> Option<DateTime<FixedOffset>> {
    parse_datetime_any_year(v).filter(|dt| (0..=9999).contains(&dt.year()))
}

/// [`parse_datetime`] without the limit on the year.
fn parse_datetime_any_year(v: &str) -> Option<DateTime<FixedOffset>> {
    let v = v.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Some(dt);
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S") {
        return Some(naive.and_utc().fixed_offset());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc().fixed_offset());
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(
        date.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .fixed_offset(),
    )
}

/// Parses a date written `yyyy-MM-dd`, or the date part of a date-time.
pub(crate) fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_datetime(v).map(|dt| dt.date_naive()))
}

/// Reads an optional value from text with `parse`, without copying the text;
/// `null` and `""` are absent.
struct ParsedVisitor<T> {
    parse: fn(&str) -> Option<T>,
    what: &'static str,
}

impl<'de, T> Visitor<'de> for ParsedVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        (self.parse)(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self.what))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An optional value parsed from text by `parse`.
fn opt_parsed<'de, D, T>(
    d: D,
    parse: fn(&str) -> Option<T>,
    what: &'static str,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    d.deserialize_any(ParsedVisitor { parse, what })
}

/// An optional date-time in any of the forms [`parse_datetime`] accepts.
pub(crate) fn opt_datetime<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    opt_parsed(d, parse_datetime, "an ISO 8601 date-time")
}

/// An optional date, `yyyy-MM-dd`.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    opt_parsed(d, parse_date, "a date yyyy-MM-dd")
}

/// Writes an optional date-time as CertCentral does: `2019-05-07T09:33:08+00:00`.
pub(crate) fn ser_opt_datetime<S: Serializer>(
    value: &Option<DateTime<FixedOffset>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(dt) => s.serialize_str(&dt.to_rfc3339()),
        None => s.serialize_none(),
    }
}
