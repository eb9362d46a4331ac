//! `contrib/grafana/digicert.json` checked against Prometheus: import-ready (every panel on
//! the `datasource` variable, no fixed data source), the `account` variable's values, and
//! each panel's query for every account and for one.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::expected::{self, Scrape};
use crate::exposition::Exposition;
use crate::server::{self, Prometheus};

/// What the panels' data sources must be: the dashboard's `datasource` variable.
const DATA_SOURCE: &str = "${datasource}";

/// Panels the served endpoints make answer (for every account: the probe's series have
/// none): compared with nothing, they could not fail.
const ANSWERING: [&str; 6] = [
    "Served certificates expiring soonest",
    "Endpoints not current",
    "Endpoints by probe state",
    "Probe failing",
    "Probe duration",
    "Expiring soonest",
];

/// Grafana's built-in variables the queries use, and what stands in for them here.
const BUILT_INS: [(&str, &str); 2] = [("$__rate_interval", "1m"), ("$__range", "1h")];

/// Checks the dashboard; returns each panel's query, as written.
pub fn check(prometheus: &Prometheus, scrape: Scrape, failures: &mut Vec<String>) -> Vec<String> {
    let path = server::contrib("grafana/digicert.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let dashboard: Value = serde_json::from_str(&text).unwrap();
    check_variables(&dashboard, prometheus, scrape.exposition, failures);
    let panels = queries(&dashboard, failures);
    // All accounts (the variable's "All" is `.*`), then one.
    for account in [None, Some("eu")] {
        let scrape = Scrape { account, ..scrape };
        let mut expected = expected::panels(&scrape);
        for (title, expr) in &panels {
            let mut query = expr.replace("$account", account.unwrap_or(".*"));
            for (variable, value) in BUILT_INS {
                query = query.replace(variable, value);
            }
            assert!(!query.contains('$'), "{title}: a variable left in {query}");
            let what = format!("panel {title:?} (account {account:?}): {query}");
            let want = expected.remove(title.as_str());
            if want.as_ref().is_some_and(expected::Expected::is_empty)
                && ANSWERING.contains(&title.as_str())
            {
                failures.push(format!("{what}: nothing expected of it to compare with"));
            }
            crate::compare(prometheus, &what, &query, scrape.now, want, failures);
        }
        for title in expected.keys() {
            failures.push(format!("no panel {title:?} in the dashboard"));
        }
    }
    panels.into_iter().map(|(_, expr)| expr).collect()
}

/// The variables: a `datasource` one for Prometheus, and an `account` one whose values
/// are the accounts `serve` exports.
fn check_variables(
    dashboard: &Value,
    prometheus: &Prometheus,
    exposition: &Exposition,
    failures: &mut Vec<String>,
) {
    let list = dashboard["templating"]["list"].as_array().unwrap();
    let variable = |name: &str| list.iter().find(|v| v["name"] == name).unwrap();
    let source = variable("datasource");
    assert_eq!(
        (&source["type"], &source["query"]),
        (&"datasource".into(), &"prometheus".into())
    );
    let account = variable("account");
    assert_eq!(account["datasource"]["uid"], DATA_SOURCE);
    // `label_values(METRIC, LABEL)`, as Prometheus' series API answers it.
    let definition = account["definition"].as_str().unwrap();
    let inner = definition
        .strip_prefix("label_values(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap();
    let (metric, label) = inner.split_once(',').unwrap();
    let path = format!("label/{}/values", label.trim());
    let values = prometheus
        .api(&path, &[("match[]", metric.trim())])
        .unwrap();
    let got: BTreeSet<&str> = values
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let want: BTreeSet<&str> = exposition
        .samples("digicert_orders")
        .map(|sample| sample.labels["account"].as_str())
        .collect();
    if got != want || want.len() < 2 {
        failures.push(format!("variable account: {got:?}, want {want:?}"));
    }
}

/// Each panel's title and query (rows nested or not), checking that panels are on the
/// `datasource` variable with one query each, and that ids and titles are unique.
fn queries(dashboard: &Value, failures: &mut Vec<String>) -> Vec<(String, String)> {
    let mut panels = Vec::new();
    let mut ids = BTreeSet::new();
    let mut pending: Vec<&Value> = dashboard["panels"].as_array().unwrap().iter().collect();
    while let Some(panel) = pending.pop() {
        let title = panel["title"].as_str().unwrap_or_default().to_owned();
        if !ids.insert(panel["id"].as_u64()) {
            failures.push(format!("panel {title:?}: id {} twice", panel["id"]));
        }
        if panel["type"] == "row" {
            pending.extend(panel["panels"].as_array().into_iter().flatten());
            continue;
        }
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        let sources = targets.iter().map(|t| &t["datasource"]["uid"]);
        if panel["datasource"]["uid"] != DATA_SOURCE
            || sources.clone().any(|uid| uid != DATA_SOURCE)
        {
            failures.push(format!("panel {title:?}: not on the datasource variable"));
        }
        match targets.as_slice() {
            [target] => panels.push((title, target["expr"].as_str().unwrap().to_owned())),
            _ => failures.push(format!(
                "panel {title:?}: {} queries, not one",
                targets.len()
            )),
        }
    }
    let titles: BTreeSet<&String> = panels.iter().map(|(title, _)| title).collect();
    if titles.len() != panels.len() {
        failures.push("two panels with one title".to_owned());
    }
    panels
}
