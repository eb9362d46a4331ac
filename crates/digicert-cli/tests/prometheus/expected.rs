//! What each dashboard panel and each alert should answer, worked out by hand from one
//! scrape of `digicert serve`: the same selection and arithmetic as the queries, done here
//! on the scraped samples, so a query that selects the wrong series or none fails.

use std::collections::{BTreeMap, BTreeSet};

use crate::exposition::{Exposition, Labels, Sample};

/// Seconds in a day.
const DAY: f64 = 86_400.0;

/// What a query should answer. Labels are compared without the `job` and `instance` that
/// Prometheus adds and without `__name__`.
#[derive(Debug)]
pub enum Expected {
    /// Exactly these series, with these values.
    Values(BTreeMap<Labels, f64>),
    /// Exactly these series, whatever their values.
    Series(BTreeSet<Labels>),
    /// The `k` lowest of these series by value (`bottomk`); ties at the edge either way.
    Lowest(usize, BTreeMap<Labels, f64>),
}

impl Expected {
    /// Whether no series at all is expected.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Values(want) | Self::Lowest(_, want) => want.is_empty(),
            Self::Series(want) => want.is_empty(),
        }
    }

    /// Whether a series expected has `label` set to `value`.
    pub fn has(&self, label: &str, value: &str) -> bool {
        let mut series: Box<dyn Iterator<Item = &Labels>> = match self {
            Self::Values(want) | Self::Lowest(_, want) => Box::new(want.keys()),
            Self::Series(want) => Box::new(want.iter()),
        };
        series.any(|labels| labels.get(label).is_some_and(|known| known == value))
    }

    /// Whether `answer` is what was expected; what differs if not.
    pub fn check(&self, answer: &BTreeMap<Labels, f64>) -> Result<(), String> {
        let got: BTreeSet<&Labels> = answer.keys().collect();
        match self {
            Self::Series(want) => same(&got, &want.iter().collect()),
            Self::Values(want) => {
                same(&got, &want.keys().collect())?;
                values(answer, want)
            }
            Self::Lowest(k, candidates) => {
                let mut sorted: Vec<f64> = candidates.values().copied().collect();
                sorted.sort_by(f64::total_cmp);
                let want = (*k).min(sorted.len());
                let Some(&edge) = want.checked_sub(1).and_then(|last| sorted.get(last)) else {
                    return same(&got, &BTreeSet::new());
                };
                let must: BTreeSet<&Labels> = candidates
                    .iter()
                    .filter(|(_, value)| !close(**value, edge) && **value < edge)
                    .map(|(labels, _)| labels)
                    .collect();
                let missing: Vec<_> = must.difference(&got).collect();
                if answer.len() != want || !missing.is_empty() {
                    return Err(format!(
                        "{} series, want {want}; missing among the lowest: {missing:?}",
                        answer.len()
                    ));
                }
                values(answer, candidates)
            }
        }
    }
}

/// The same series on both sides.
fn same(got: &BTreeSet<&Labels>, want: &BTreeSet<&Labels>) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let extra: Vec<_> = got.difference(want).take(3).collect();
    let missing: Vec<_> = want.difference(got).take(3).collect();
    Err(format!(
        "{} series, want {}; unexpected (first 3): {extra:?}; missing (first 3): {missing:?}",
        got.len(),
        want.len()
    ))
}

/// Every answered series has the value expected of it.
fn values(answer: &BTreeMap<Labels, f64>, want: &BTreeMap<Labels, f64>) -> Result<(), String> {
    for (labels, value) in answer {
        match want.get(labels) {
            Some(expected) if close(*value, *expected) => {}
            other => return Err(format!("{labels:?} = {value}, want {other:?}")),
        }
    }
    Ok(())
}

/// Equal but for floating-point rounding.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// One scrape, seen at `now` through an account filter (`None`: every account).
#[derive(Clone, Copy)]
pub struct Scrape<'a> {
    pub exposition: &'a Exposition,
    /// An earlier scrape that Prometheus had seen too: a counter above its value there has
    /// grown while Prometheus watched (one it does not have has not, as far as `increase`
    /// can tell).
    pub baseline: &'a Exposition,
    /// The evaluation time of the queries, in Unix seconds.
    pub now: f64,
    pub account: Option<&'a str>,
}

impl Scrape<'_> {
    /// The samples named `name` that pass the account filter (a sample without an account
    /// label, as the probe's, always passes).
    fn samples<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Sample> + 's {
        self.exposition.samples(name).filter(|sample| {
            match (self.account, sample.labels.get("account")) {
                (Some(account), Some(label)) => label == account,
                _ => true,
            }
        })
    }

    /// Each issued order's certificate with the seconds left to the end of its last valid
    /// day (the metric is the start of that day), as the queries work it out.
    fn left(&self) -> Vec<(&Labels, f64)> {
        self.samples("digicert_certificate_not_after_timestamp_seconds")
            .map(|sample| (&sample.labels, sample.value + DAY - self.now))
            .collect()
    }

    /// Each served certificate with the seconds left to its notAfter.
    fn served_left(&self) -> Vec<(&Labels, f64)> {
        self.samples("digicert_probe_certificate_not_after_timestamp_seconds")
            .map(|sample| (&sample.labels, sample.value - self.now))
            .collect()
    }

    /// The series of `name` whose value passes `keep`.
    fn series(&self, name: &str, keep: impl Fn(&Sample) -> bool) -> BTreeSet<Labels> {
        self.samples(name)
            .filter(|sample| keep(sample))
            .map(|sample| sample.labels.clone())
            .collect()
    }

    /// The API request series CertCentral refused that grew since the baseline, by
    /// account, endpoint and code.
    fn refused(&self) -> BTreeSet<Labels> {
        let name = "digicert_api_requests_total";
        let before = |labels: &Labels| {
            let mut earlier = self.baseline.samples(name);
            earlier
                .find(|sample| sample.labels == *labels)
                .map(|sample| sample.value)
        };
        self.samples(name)
            .filter(|sample| !sample.labels["code"].starts_with('2'))
            .filter(|sample| before(&sample.labels).is_some_and(|value| sample.value > value))
            .map(|sample| only(&sample.labels, &["account", "endpoint", "code"]))
            .collect()
    }

    /// The probe state series that are 1, with their state passing `keep`.
    fn states(&self, keep: impl Fn(&str) -> bool) -> BTreeSet<Labels> {
        self.series("digicert_probe_state", |sample| {
            sample.value == 1.0 && keep(&sample.labels["state"])
        })
    }
}

/// What each panel of the dashboard should answer, by title.
pub fn panels(scrape: &Scrape) -> BTreeMap<&'static str, Expected> {
    let left = scrape.left();
    let soon = |(_, seconds): &&(&Labels, f64)| *seconds > 0.0 && *seconds < 30.0 * DAY;
    let expired = |(_, seconds): &&(&Labels, f64)| *seconds <= 0.0;
    let orders: Vec<(&Labels, f64)> = scrape
        .samples("digicert_orders")
        .map(|sample| (&sample.labels, sample.value))
        .collect();
    let stale_syncs = scrape
        .samples("digicert_sync_last_success_timestamp_seconds")
        .filter(|sample| scrape.now - sample.value > 3600.0)
        .count();
    let unexpired_days = left
        .iter()
        .filter(|(_, seconds)| *seconds > 0.0)
        .map(|(labels, seconds)| ((*labels).clone(), seconds / DAY))
        .collect();
    let served_days = scrape
        .served_left()
        .into_iter()
        .map(|(labels, seconds)| (labels.clone(), seconds / DAY))
        .collect();
    let soon_by_account = left.iter().filter(soon).map(|(labels, _)| (*labels, 1.0));
    let endpoints = |state: &str| state != "current";
    let state_counts = scrape
        .samples("digicert_probe_state")
        .filter(|sample| sample.value == 1.0)
        .map(|sample| (&sample.labels, 1.0));
    let codes = scrape
        .samples("digicert_api_requests_total")
        .map(|sample| only(&sample.labels, &["code"]))
        .collect();
    BTreeMap::from([
        (
            "Expiring within 30 days",
            one(left.iter().filter(soon).count()),
        ),
        (
            "Expired, still issued",
            one(left.iter().filter(expired).count()),
        ),
        ("Orders", Expected::Values(sum_by(orders.clone(), &[]))),
        ("Accounts not synced for an hour", one(stale_syncs)),
        ("Expiring soonest", Expected::Lowest(50, unexpired_days)),
        (
            "Issued orders with an expired certificate",
            Expected::Series(
                left.iter()
                    .filter(expired)
                    .map(|(l, _)| (*l).clone())
                    .collect(),
            ),
        ),
        (
            "Orders by status",
            Expected::Values(sum_by(orders.clone(), &["status"])),
        ),
        (
            "Orders by account",
            Expected::Values(sum_by(orders, &["account"])),
        ),
        (
            "Expiring within 30 days, by account",
            Expected::Values(sum_by(soon_by_account, &["account"])),
        ),
        (
            "Since last successful sync",
            Expected::Series(
                scrape.series("digicert_sync_last_success_timestamp_seconds", |_| true),
            ),
        ),
        (
            "Sync duration",
            Expected::Series(scrape.series("digicert_sync_duration_seconds", |_| true)),
        ),
        ("Requests by code", Expected::Series(codes)),
        (
            "Refused requests in the range",
            Expected::Series(scrape.refused()),
        ),
        (
            "Endpoints by probe state",
            Expected::Values(sum_by(state_counts, &["state"])),
        ),
        (
            "Endpoints not current",
            Expected::Series(scrape.states(endpoints)),
        ),
        (
            "Served certificates expiring soonest",
            Expected::Lowest(50, served_days),
        ),
        ("Probe failing", Expected::Series(failing(scrape))),
        (
            "Probe duration",
            Expected::Series(scrape.series("digicert_probe_duration_seconds", |_| true)),
        ),
    ])
}

/// Which series each alert's expression should answer, by alert name.
pub fn alerts(scrape: &Scrape) -> BTreeMap<&'static str, Expected> {
    let within = |seconds: f64| seconds > 0.0 && seconds < 14.0 * DAY;
    let pick = |list: Vec<(&Labels, f64)>, keep: &dyn Fn(f64) -> bool| {
        let picked = list.into_iter().filter(|(_, seconds)| keep(*seconds));
        Expected::Series(picked.map(|(labels, _)| labels.clone()).collect())
    };
    let stale_syncs = scrape.series("digicert_sync_last_success_timestamp_seconds", |sample| {
        scrape.now - sample.value > 3600.0
    });
    BTreeMap::from([
        (
            "DigicertCertificateExpiringSoon",
            pick(scrape.left(), &within),
        ),
        (
            "DigicertCertificateExpired",
            pick(scrape.left(), &|s| s <= 0.0),
        ),
        ("DigicertInventoryStale", Expected::Series(stale_syncs)),
        ("DigicertApiErrors", Expected::Series(scrape.refused())),
        (
            "DigicertProbeStale",
            Expected::Series(scrape.states(|s| s == "stale")),
        ),
        (
            "DigicertProbeUnknown",
            Expected::Series(scrape.states(|s| s == "unknown")),
        ),
        (
            "DigicertServedCertificateExpiringSoon",
            pick(scrape.served_left(), &within),
        ),
        (
            "DigicertServedCertificateExpired",
            pick(scrape.served_left(), &|s| s <= 0.0),
        ),
        ("DigicertProbeFailing", Expected::Series(failing(scrape))),
    ])
}

/// The endpoints whose probe failed.
fn failing(scrape: &Scrape) -> BTreeSet<Labels> {
    scrape.series("digicert_probe_success", |sample| sample.value == 0.0)
}

/// A single series without labels.
fn one(count: usize) -> Expected {
    Expected::Values(BTreeMap::from([(Labels::new(), count as f64)]))
}

/// `labels` reduced to `keys`.
fn only(labels: &Labels, keys: &[&str]) -> Labels {
    labels
        .iter()
        .filter(|(key, _)| keys.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// `sum by (keys)`: the values summed per distinct `keys`; no series at all without values.
fn sum_by<'a>(
    values: impl IntoIterator<Item = (&'a Labels, f64)>,
    keys: &[&str],
) -> BTreeMap<Labels, f64> {
    let mut sums = BTreeMap::new();
    for (labels, value) in values {
        *sums.entry(only(labels, keys)).or_insert(0.0) += value;
    }
    sums
}
