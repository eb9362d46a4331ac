//! One scrape of `digicert serve`'s `/metrics`, read back as Prometheus stores it: each
//! sample's name, labels (an empty one is no label) and value, and the names of the
//! families it declares (a family may have no sample).

use std::collections::{BTreeMap, BTreeSet};

/// A series' labels, by name.
pub type Labels = BTreeMap<String, String>;

/// One sample of the text format.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

/// Everything one scrape showed.
#[derive(Debug, Default)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    /// Names declared by `# TYPE` lines, and every sample's name.
    pub names: BTreeSet<String>,
}

impl Exposition {
    /// Reads the text format; a line it cannot read fails the test with that line.
    pub fn parse(text: &str) -> Self {
        let mut exposition = Self::default();
        for line in text.lines() {
            if let Some(declared) = line.strip_prefix("# TYPE ") {
                let name = declared.split(' ').next().unwrap_or_default();
                exposition.names.insert(name.to_owned());
            } else if !line.starts_with('#') && !line.is_empty() {
                let sample = sample(line).unwrap_or_else(|| panic!("unreadable sample: {line}"));
                exposition.names.insert(sample.name.clone());
                exposition.samples.push(sample);
            }
        }
        exposition
    }

    /// The samples named `name`.
    pub fn samples<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples
            .iter()
            .filter(move |sample| sample.name == name)
    }
}

/// `name{label="value",...} value`, or `name value`.
fn sample(line: &str) -> Option<Sample> {
    let (name, rest) = match line.find('{') {
        Some(at) => (&line[..at], &line[at + 1..]),
        None => line.split_once(' ')?,
    };
    let (labels, rest) = if line.contains('{') {
        labels(rest)?
    } else {
        (Labels::new(), rest)
    };
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// The labels after `{` up to the closing `}`, unescaping `\\`, `\"` and `\n`; and what
/// follows them.
fn labels(mut rest: &str) -> Option<(Labels, &str)> {
    let mut labels = Labels::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some((labels, after));
        }
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (at, '"') => break at,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, other) => value.push(other),
            }
        };
        // Prometheus keeps no label with an empty value; neither does this.
        if !value.is_empty() {
            labels.insert(key.to_owned(), value);
        }
        rest = after[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&after[end + 1..]);
    }
}

#[test]
fn samples_with_escaped_labels_are_read_back() {
    let text = "# HELP x_total Requests.\n# TYPE x counter\n\
                x_total{a=\"q\\\"u\\\\o\\nte\",b=\"\"} 3\n# TYPE y gauge\ny 1.5e9\n";
    let exposition = Exposition::parse(text);
    assert_eq!(
        exposition.names,
        ["x", "x_total", "y"].map(str::to_owned).into()
    );
    let first = &exposition.samples[0];
    assert_eq!(first.labels["a"], "q\"u\\o\nte");
    assert!(!first.labels.contains_key("b"));
    assert_eq!(first.value, 3.0);
    assert_eq!(exposition.samples[1].value, 1.5e9);
}
