//! The page's tables: sorted and filtered on the server from the query string (so they
//! work with JavaScript off), each by its own parameters (`{table}.sort`, `{table}.dir`,
//! `{table}.q`), the others kept in every link and form; at most [`MAX_ROWS`] rows shown.
//! The script (`assets/sort.js`) sorts and filters the same rows in place when it runs.

use std::cmp::Ordering;

use super::tone::Tone;

/// Rows shown at most per table; the caption says how many more there are.
pub const MAX_ROWS: usize = 500;

/// The query string of a page, as pairs in their order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The query string (with its `?`) with `changes` set over these.
    pub fn with(&self, changes: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter(|(key, _)| !changes.iter().any(|(name, _)| name == key))
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        pairs.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
        match serde_urlencoded::to_string(&pairs) {
            Ok(query) if !query.is_empty() => format!("?{query}"),
            _ => "?".to_owned(),
        }
    }

    /// Every pair but those named, for a form's hidden inputs.
    pub fn except(&self, names: &[&str]) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(key, _)| !names.contains(&key.as_str()))
            .cloned()
            .collect()
    }
}

/// How a column sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// By text.
    Text,
    /// By number (the cell's key).
    Number,
}

/// One cell: its text, what it sorts by, and perhaps a link and a tone.
#[derive(Debug, Clone)]
pub struct Cell {
    /// What is shown.
    pub text: String,
    /// What a number column sorts by.
    pub number: i64,
    /// Where it links.
    pub href: Option<String>,
    /// Its colour (the text says the same in words).
    pub tone: Option<Tone>,
    /// What the script sorts by (`data-sort`), set when the table is made.
    pub sort: String,
}

impl Cell {
    /// Text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            number: 0,
            href: None,
            tone: None,
            sort: String::new(),
        }
    }

    /// Text that sorts as `number`.
    pub fn number(text: impl Into<String>, number: i64) -> Self {
        Self {
            number,
            ..Self::text(text)
        }
    }

    /// With a link.
    pub fn link(mut self, href: String) -> Self {
        self.href = Some(href);
        self
    }

    /// With a tone.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = Some(tone);
        self
    }

    /// What the script sorts by in a column of `kind`.
    fn sort_key(&self, kind: Kind) -> String {
        match kind {
            Kind::Number => self.number.to_string(),
            Kind::Text => self.text.to_lowercase(),
        }
    }
}

/// A column as the template shows it.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its heading.
    pub label: &'static str,
    /// How it sorts.
    pub kind: Kind,
    /// The link that sorts by it (the other way round if it sorts the table now).
    pub href: String,
    /// `aria-sort`: `ascending`, `descending` or `none`.
    pub aria_sort: &'static str,
}

impl Column {
    /// Whether the column holds numbers (the script and the style read it).
    pub fn numeric(&self) -> bool {
        self.kind == Kind::Number
    }
}

/// What a table is: its id, columns, default order and empty message.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Its id, and the prefix of its parameters.
    pub id: &'static str,
    /// Column headings and kinds.
    pub columns: &'static [(&'static str, Kind)],
    /// The column sorted by unless the query says otherwise, and whether descending.
    pub sort: (usize, bool),
    /// Said when no row is there.
    pub empty: &'static str,
}

/// A table ready for the template.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its id.
    pub id: &'static str,
    /// Its columns.
    pub columns: Vec<Column>,
    /// The rows shown.
    pub rows: Vec<Vec<Cell>>,
    /// Rows matching the filter.
    pub matched: usize,
    /// All rows.
    pub total: usize,
    /// The filter text.
    pub filter: String,
    /// The filter input's name.
    pub filter_name: String,
    /// The other parameters, kept by the filter form.
    pub hidden: Vec<(String, String)>,
    /// Said when no row is there.
    pub empty: &'static str,
}

impl Table {
    /// Filters, sorts and cuts `rows` as the query asks.
    pub fn new(spec: Spec, rows: Vec<Vec<Cell>>, params: &Params) -> Self {
        let sort_name = format!("{}.sort", spec.id);
        let dir_name = format!("{}.dir", spec.id);
        let filter_name = format!("{}.q", spec.id);
        let column = params
            .get(&sort_name)
            .and_then(|value| value.parse::<usize>().ok())
            .filter(|column| *column < spec.columns.len())
            .unwrap_or(spec.sort.0);
        let descending = match params.get(&dir_name) {
            Some("desc") => true,
            Some("asc") => false,
            _ if column == spec.sort.0 => spec.sort.1,
            _ => false,
        };
        let filter = params
            .get(&filter_name)
            .unwrap_or_default()
            .trim()
            .to_owned();
        let total = rows.len();
        let needle = filter.to_lowercase();
        let mut rows: Vec<Vec<Cell>> = rows
            .into_iter()
            .filter(|row| {
                needle.is_empty()
                    || row
                        .iter()
                        .any(|cell| cell.text.to_lowercase().contains(&needle))
            })
            .collect();
        let kind = spec.columns[column].1;
        rows.sort_by(|a, b| {
            let order = compare(a.get(column), b.get(column), kind);
            if descending { order.reverse() } else { order }
        });
        let matched = rows.len();
        rows.truncate(MAX_ROWS);
        for row in &mut rows {
            for (cell, (_, kind)) in row.iter_mut().zip(spec.columns) {
                cell.sort = cell.sort_key(*kind);
            }
        }
        let columns = spec
            .columns
            .iter()
            .enumerate()
            .map(|(index, (label, kind))| {
                let sorted = index == column;
                let next = if sorted && !descending { "desc" } else { "asc" };
                let query = params.with(&[(&sort_name, &index.to_string()), (&dir_name, next)]);
                Column {
                    label,
                    kind: *kind,
                    href: format!("{query}#{}", spec.id),
                    aria_sort: match (sorted, descending) {
                        (false, _) => "none",
                        (true, false) => "ascending",
                        (true, true) => "descending",
                    },
                }
            })
            .collect();
        Self {
            id: spec.id,
            columns,
            rows,
            matched,
            total,
            filter,
            hidden: params.except(&[&filter_name]),
            filter_name,
            empty: spec.empty,
        }
    }

    /// Whether some matching rows are not shown.
    pub fn cut(&self) -> bool {
        self.matched > self.rows.len()
    }

    /// How many rows are shown, of how many.
    pub fn summary(&self) -> String {
        let shown = self.rows.len();
        match (self.filter.is_empty(), self.cut()) {
            (true, false) if self.total == 1 => "1 row.".to_owned(),
            (true, false) => format!("{} rows.", self.total),
            (true, true) => format!(
                "The first {shown} of {} rows; filter or sort to see others.",
                self.total
            ),
            (false, false) => format!("{} of {} rows match the filter.", self.matched, self.total),
            (false, true) => format!(
                "The first {shown} of {} rows matching the filter ({} in all).",
                self.matched, self.total
            ),
        }
    }
}

fn compare(a: Option<&Cell>, b: Option<&Cell>, kind: Kind) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match kind {
            Kind::Number => a.number.cmp(&b.number),
            Kind::Text => a.text.to_lowercase().cmp(&b.text.to_lowercase()),
        },
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        id: "t",
        columns: &[("Name", Kind::Text), ("Days", Kind::Number)],
        sort: (1, false),
        empty: "none",
    };

    fn rows() -> Vec<Vec<Cell>> {
        [("b.example", 9), ("A.example", 30), ("c.test", 2)]
            .into_iter()
            .map(|(name, days)| vec![Cell::text(name), Cell::number(format!("{days} days"), days)])
            .collect()
    }

    fn names(table: &Table) -> Vec<&str> {
        table.rows.iter().map(|row| row[0].text.as_str()).collect()
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn sorts_by_the_default_then_as_asked() {
        let table = Table::new(SPEC, rows(), &Params::default());
        assert_eq!(names(&table), ["c.test", "b.example", "A.example"]);
        assert_eq!(table.columns[1].aria_sort, "ascending");
        assert_eq!(table.columns[1].href, "?t.sort=1&t.dir=desc#t");
        let table = Table::new(SPEC, rows(), &params(&[("t.sort", "0"), ("t.dir", "desc")]));
        assert_eq!(names(&table), ["c.test", "b.example", "A.example"]);
        assert_eq!(table.columns[0].aria_sort, "descending");
        let table = Table::new(SPEC, rows(), &params(&[("t.sort", "0")]));
        assert_eq!(names(&table), ["A.example", "b.example", "c.test"]);
        // A column that is not there: the default.
        let table = Table::new(SPEC, rows(), &params(&[("t.sort", "7")]));
        assert_eq!(names(&table), ["c.test", "b.example", "A.example"]);
    }

    #[test]
    fn filters_on_any_cell_and_keeps_the_other_parameters() {
        let query = params(&[("days", "60"), ("t.q", "EXAMPLE"), ("u.sort", "2")]);
        let table = Table::new(SPEC, rows(), &query);
        assert_eq!(names(&table), ["b.example", "A.example"]);
        assert_eq!((table.matched, table.total), (2, 3));
        assert_eq!(
            table.hidden,
            [
                ("days".to_owned(), "60".to_owned()),
                ("u.sort".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(
            table.columns[0].href,
            "?days=60&t.q=EXAMPLE&u.sort=2&t.sort=0&t.dir=asc#t"
        );
    }

    #[test]
    fn values_in_links_are_encoded() {
        let query = params(&[("q", "<a&b>")]);
        assert_eq!(query.with(&[("x", "1 2")]), "?q=%3Ca%26b%3E&x=1+2");
    }

    #[test]
    fn at_most_max_rows_are_kept() {
        let many = (0..MAX_ROWS + 5)
            .map(|n| vec![Cell::text("x"), Cell::number("", n as i64)])
            .collect();
        let table = Table::new(SPEC, many, &Params::default());
        assert_eq!(table.rows.len(), MAX_ROWS);
        assert!(table.cut());
    }
}
