//! What a model object received beyond its typed fields, kept so that nothing is lost.

use serde_json::{Map, Value};

/// The part of a JSON object that its model type does not hold as typed fields.
///
/// CertCentral adds fields without notice, and sometimes sends a value that does not fit
/// the documented type. Every model object keeps both here, and writes them back when
/// serialized, so a decode followed by a serialization gives back what CertCentral sent:
///
/// - [`unknown`](Self::unknown): fields the model does not know, by name, as sent;
/// - [`kept`](Self::kept): known fields whose value was kept in the form it was sent in, either
///   because it does not fit the field's type (the field then reads as `None`) or because the
///   typed value would be written in another form (a number sent as a string, a flag sent as
///   `0`, `[]` for an empty object).
///
/// ```
/// use digicert_model::{decode_json, OrderInfo};
///
/// let order: OrderInfo = decode_json(br#"{
///     "id": 1, "status": "issued", "risk_score": 7,
///     "is_renewal": "maybe"
/// }"#)?;
/// // A field the model does not know:
/// assert_eq!(order.extra.get("risk_score"), Some(&serde_json::json!(7)));
/// // A value that does not fit a flag: the field is absent, the value is kept.
/// assert_eq!(order.is_renewal, None);
/// assert_eq!(order.extra.kept("is_renewal"), Some(&serde_json::json!("maybe")));
/// // Both are written back.
/// let again = serde_json::to_value(&order).unwrap();
/// assert_eq!(again["risk_score"], 7);
/// assert_eq!(again["is_renewal"], "maybe");
/// # Ok::<(), digicert_model::DecodeError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    unknown: Map<String, Value>,
    kept: Vec<(&'static str, Value)>,
}

impl Extra {
    /// Fields the model does not know, by name.
    pub fn unknown(&self) -> &Map<String, Value> {
        &self.unknown
    }

    /// One field the model does not know.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.unknown.get(name)
    }

    /// Adds or replaces a field the model does not know; it is written with the object.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) -> Option<Value> {
        self.unknown.insert(name.into(), value)
    }

    /// Removes a field the model does not know.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.unknown.remove(name)
    }

    /// The value of known field `name` as it was sent, where it was kept: it did not fit the
    /// field's type, or the typed value is written in another form.
    pub fn kept(&self, name: &str) -> Option<&Value> {
        self.kept
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value)
    }

    /// Every known field kept as sent, by name.
    pub fn kept_fields(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.kept.iter().map(|(field, value)| (*field, value))
    }

    /// Whether nothing beyond the typed fields was received.
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.kept.is_empty()
    }

    /// Keeps how known field `name` was sent. Kept fields are in name order, so that two
    /// objects that received the same fields in another order are equal.
    pub(crate) fn keep(&mut self, name: &'static str, raw: Value) {
        match self.kept.binary_search_by(|(field, _)| (*field).cmp(name)) {
            Ok(at) => self.kept[at].1 = raw,
            Err(at) => self.kept.insert(at, (name, raw)),
        }
    }
}
