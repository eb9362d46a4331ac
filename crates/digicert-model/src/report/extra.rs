//! What a report row received beyond its typed columns, kept so that nothing is lost.

/// The columns of one report row that its typed fields do not hold.
///
/// - [`unknown`](Self::unknown): columns the model does not know, by header name, in the
///   report's order; written back in their place by a
///   [`ReportWriter`](super::ReportWriter) that has them in its header.
/// - [`kept`](Self::kept): known columns whose text does not fit the column's type (the field
///   then reads as `None`), kept as sent and written back.
///
/// ```
/// use digicert_model::ReportReader;
///
/// let csv = "order_id,date_created,status,valid_till,ct_log_state\n\
///            \"1\",\"2018-10-26 10:15:33\",\"issued\",\"31/12/2025\",\"logged\"\n";
/// let row = ReportReader::new(csv.as_bytes())?.next().unwrap()?;
/// assert_eq!(row.extra.unknown("ct_log_state"), Some("logged"));
/// assert_eq!(row.valid_till, None);
/// assert_eq!(row.extra.kept("valid_till"), Some("31/12/2025"));
/// # Ok::<(), digicert_model::DecodeError>(())
/// ```
///
/// Two rows' extras are equal when they hold the same columns with the same texts, in any
/// order (JSON, which has no order, must read back equal).
#[derive(Debug, Clone, Default, Eq)]
pub struct ReportExtra {
    unknown: Vec<(String, String)>,
    kept: Vec<(&'static str, String)>,
}

impl PartialEq for ReportExtra {
    fn eq(&self, other: &Self) -> bool {
        fn same<K: PartialEq>(a: &[(K, String)], b: &[(K, String)]) -> bool {
            a.len() == b.len() && a.iter().all(|entry| b.contains(entry))
        }
        same(&self.unknown, &other.unknown) && same(&self.kept, &other.kept)
    }
}

impl ReportExtra {
    /// The text of unknown column `name`.
    pub fn unknown(&self, name: &str) -> Option<&str> {
        self.unknown
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, text)| text.as_str())
    }

    /// Every unknown column, as (header name, text), in the report's order.
    pub fn unknown_columns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.unknown
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
    }

    /// Sets unknown column `name` (added at the end if the row lacks it).
    pub fn set_unknown(&mut self, name: &str, text: &str) {
        match self.unknown.iter_mut().find(|(column, _)| column == name) {
            Some((_, value)) => text.clone_into(value),
            None => self.unknown.push((name.to_owned(), text.to_owned())),
        }
    }

    /// The text of known column `name` as sent, where it did not fit the column's type.
    pub fn kept(&self, name: &str) -> Option<&str> {
        self.kept
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, text)| text.as_str())
    }

    /// Whether the row received nothing beyond its typed columns.
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.kept.is_empty()
    }

    /// Keeps the text of known column `name` as sent.
    pub(crate) fn keep(&mut self, name: &'static str, text: &str) {
        match self.kept.iter_mut().find(|(column, _)| *column == name) {
            Some((_, value)) => text.clone_into(value),
            None => self.kept.push((name, text.to_owned())),
        }
    }

    /// Forgets the kept texts, and sets the unknown columns to `columns`, reusing allocations.
    pub(crate) fn refill<'a>(&mut self, columns: impl Iterator<Item = (&'a str, &'a str)>) {
        self.kept.clear();
        let mut count = 0;
        for (name, text) in columns {
            match self.unknown.get_mut(count) {
                Some((old_name, old_text)) => {
                    name.clone_into(old_name);
                    text.clone_into(old_text);
                }
                None => self.unknown.push((name.to_owned(), text.to_owned())),
            }
            count += 1;
        }
        self.unknown.truncate(count);
    }
}
