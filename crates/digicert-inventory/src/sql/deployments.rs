//! The deployment probe's statements, written once: what the inventory knows of served
//! certificates and of the orders covering a name, the deployments and their history, and
//! the writes of a probe run and of its lookups, over either store's transaction.

use chrono::{DateTime, Utc};

use super::queries::Runner;
use super::rows::{self, Row};
use super::{Query, Value, stored_id};
use crate::deploy::{
    CoveringOrder, Deployment, DeploymentFilter, FoundCertificate, KnownCertificate,
};
use crate::error::Error;

/// A transaction of either store, for the writes written once.
pub(crate) trait Transaction {
    /// Runs a statement (written with `$N`) with its values.
    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<(), Error>;

    /// Runs a query (written with `$N`), each row made into a `T`.
    fn query<T>(
        &mut self,
        sql: &str,
        values: &[Value],
        map: &dyn Fn(&dyn Row) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error>;

    /// A failure of this store, from what went wrong.
    fn error(&self, source: Box<dyn std::error::Error + Send + Sync>) -> Error;
}

/// A deployment's columns, in [`deployment_values`]'s and [`rows::deployment`]'s order.
const COLUMNS: &str = "account, target, port, address, state, reason, verified, order_id, \
     served_serial_number, served_thumbprint, served_not_after, current_serial_number, \
     current_thumbprint, probed_at, duration_seconds";

/// The values of a deployment's columns.
fn deployment_values(deployment: &Deployment) -> Vec<Value> {
    vec![
        Value::MaybeText(deployment.account.clone()),
        Value::Text(deployment.target.clone()),
        Value::MaybeInt(Some(i64::from(deployment.port))),
        Value::Text(deployment.address.clone()),
        Value::Text(deployment.state.as_str().to_owned()),
        Value::MaybeText(Some(deployment.reason.clone())),
        Value::MaybeFlag(deployment.verified),
        Value::MaybeInt(deployment.order_id.and_then(stored_id)),
        Value::MaybeText(deployment.served_serial_number.clone()),
        Value::MaybeText(deployment.served_thumbprint.clone()),
        Value::MaybeInstant(deployment.served_not_after),
        Value::MaybeText(deployment.current_serial_number.clone()),
        Value::MaybeText(deployment.current_thumbprint.clone()),
        Value::MaybeInstant(Some(deployment.probed_at)),
        Value::MaybeFloat(deployment.duration_seconds),
    ]
}

/// Placeholders `$1, ..., $n`.
fn placeholders(count: usize) -> String {
    (1..=count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps a probe run's results: each endpoint's latest, and a history row for each endpoint
/// whose state or served certificate changed (or that is new). Returns how many changed.
pub(crate) fn record_deployments(
    transaction: &mut impl Transaction,
    deployments: &[Deployment],
) -> Result<u64, Error> {
    let values = placeholders(15);
    let updates: Vec<String> = COLUMNS
        .split(", ")
        .filter(|column| !matches!(*column, "target" | "port" | "address"))
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    let upsert = format!(
        "INSERT INTO deployments ({COLUMNS}) VALUES ({values}) \
         ON CONFLICT (target, port, address) DO UPDATE SET {}",
        updates.join(", ")
    );
    let history = format!("INSERT INTO deployment_history ({COLUMNS}) VALUES ({values})");
    let mut changed = 0;
    for deployment in deployments {
        let before = transaction.query(
            &format!(
                "SELECT {COLUMNS} FROM deployments \
                 WHERE target = $1 AND port = $2 AND address = $3"
            ),
            &[
                Value::Text(deployment.target.clone()),
                Value::MaybeInt(Some(i64::from(deployment.port))),
                Value::Text(deployment.address.clone()),
            ],
            &rows::deployment,
        )?;
        let values = deployment_values(deployment);
        if before
            .first()
            .is_none_or(|before| before.differs_from(deployment))
        {
            transaction.execute(&history, &values)?;
            changed += 1;
        }
        transaction.execute(&upsert, &values)?;
    }
    Ok(changed)
}

/// Keeps a run's lookups: the certificates found, and the thumbprints CertCentral did not
/// know (asked with `account`'s key), so that later runs do not ask again.
pub(crate) fn record_lookups(
    transaction: &mut impl Transaction,
    found: &[FoundCertificate],
    missed: &[(String, String)],
    at: DateTime<Utc>,
) -> Result<(), Error> {
    for certificate in found {
        transaction.execute(
            "INSERT INTO certificates (thumbprint, account, order_id, certificate_id, \
             serial_number, source) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (thumbprint, account) DO NOTHING",
            &[
                Value::Text(certificate.thumbprint.clone()),
                Value::Text(certificate.account.clone()),
                Value::MaybeInt(stored_id(certificate.order_id)),
                Value::MaybeInt(certificate.certificate_id.and_then(stored_id)),
                Value::MaybeText(certificate.serial_number.clone()),
                Value::Text(certificate.source.to_owned()),
            ],
        )?;
    }
    for (account, thumbprint) in missed {
        transaction.execute(
            "INSERT INTO certificate_lookups (thumbprint, account, looked_up_at) \
             VALUES ($1, $2, $3) ON CONFLICT (thumbprint, account) \
             DO UPDATE SET looked_up_at = excluded.looked_up_at",
            &[
                Value::Text(thumbprint.clone()),
                Value::Text(account.clone()),
                Value::MaybeInstant(Some(at)),
            ],
        )?;
    }
    Ok(())
}

/// The certificates with these thumbprints that `accounts` know: orders' current ones, and
/// earlier or looked-up ones, each with its order's current certificate.
pub(crate) fn known_certificates<R: Runner>(
    store: &R,
    accounts: &[String],
    thumbprints: &[String],
) -> Result<Vec<KnownCertificate>, Error> {
    if thumbprints.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Query::new(R::DIALECT, "");
    let thumbprints = query.list(thumbprints);
    let (own, theirs) = if accounts.is_empty() {
        (String::new(), String::new())
    } else {
        let accounts = query.list(accounts);
        (
            format!(" AND {}", accounts.test("account")),
            format!(" AND {}", accounts.test("c.account")),
        )
    };
    query.sql = format!(
        "SELECT account, order_id, thumbprint, serial_number, status, thumbprint, \
         serial_number FROM orders WHERE {}{own} \
         UNION ALL \
         SELECT c.account, c.order_id, c.thumbprint, c.serial_number, \
         COALESCE(o.status, ''), o.thumbprint, o.serial_number \
         FROM certificates AS c LEFT JOIN orders AS o \
         ON o.account = c.account AND o.order_id = c.order_id WHERE {}{theirs}",
        thumbprints.test("thumbprint"),
        thumbprints.test("c.thumbprint"),
    );
    store.rows(query, rows::known_certificate)
}

/// The issued or other orders whose names include one of `name_keys`
/// ([`crate::name_key`]), with the key that matched.
pub(crate) fn orders_covering<R: Runner>(
    store: &R,
    accounts: &[String],
    name_keys: &[String],
) -> Result<Vec<(String, CoveringOrder)>, Error> {
    if name_keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Query::new(R::DIALECT, "");
    let keys = query.one_of("n.name_key", name_keys);
    query.sql = format!(
        "SELECT n.name_key, o.account, o.order_id, o.status, o.thumbprint, o.serial_number, \
         o.valid_till, COALESCE(o.info, o.report) \
         FROM order_names AS n JOIN orders AS o \
         ON o.account = n.account AND o.order_id = n.order_id WHERE {keys}"
    );
    query.accounts("n.account", accounts);
    let unpacker = super::unpacker(store)?;
    store.rows(query, move |row| rows::covering_order(row, &unpacker))
}

/// Of these thumbprints, those already looked up in CertCentral and not found, by account.
pub(crate) fn looked_up<R: Runner>(
    store: &R,
    thumbprints: &[String],
) -> Result<Vec<(String, String)>, Error> {
    if thumbprints.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Query::new(R::DIALECT, "");
    let list = query.one_of("thumbprint", thumbprints);
    query.sql = format!("SELECT account, thumbprint FROM certificate_lookups WHERE {list}");
    store.rows(query, |row| {
        Ok((
            row.text(0)?.unwrap_or_default(),
            row.text(1)?.unwrap_or_default(),
        ))
    })
}

/// The latest deployment of each endpoint a filter picks, by target, port and address.
pub(crate) fn deployments<R: Runner>(
    store: &R,
    accounts: &[String],
    filter: &DeploymentFilter,
) -> Result<Vec<Deployment>, Error> {
    let mut query = Query::new(
        R::DIALECT,
        format!("SELECT {COLUMNS} FROM deployments WHERE TRUE"),
    );
    if !filter.states.is_empty() {
        let states: Vec<String> = filter
            .states
            .iter()
            .map(|state| state.as_str().to_owned())
            .collect();
        let list = query.one_of("state", &states);
        query.push(&format!(" AND {list}"));
    }
    if let Some(text) = &filter.name {
        let (name, host_port) = name_and_port(text);
        let name = query.bind(Value::Text(name));
        match host_port {
            Some((host, port)) => {
                let host = query.bind(Value::Text(host));
                let port = query.bind(Value::MaybeInt(Some(i64::from(port))));
                query.push(&format!(
                    " AND (LOWER(target) = {name} OR (LOWER(target) = {host} AND port = {port}))"
                ));
            }
            None => query.push(&format!(" AND LOWER(target) = {name}")),
        }
    }
    if let Some(order_id) = filter.order_id {
        let Some(order_id) = stored_id(order_id) else {
            return Ok(Vec::new());
        };
        let served = query.bind(Value::Id(order_id));
        let should = query.bind(Value::Id(order_id));
        query.push(&format!(
            " AND (order_id = {served} OR current_thumbprint IN \
             (SELECT thumbprint FROM orders WHERE order_id = {should}))"
        ));
    }
    // An endpoint whose certificate no order has belongs to no account: every reader sees it.
    if !accounts.is_empty() {
        let list = query.one_of("account", accounts);
        query.push(&format!(" AND ({list} OR account IS NULL)"));
    }
    query.push(" ORDER BY target, port, address");
    store.rows(query, rows::deployment)
}

/// `--name`'s text, in lower case without a final dot, and the host and port it names when
/// it reads as `host:port`: `[v6addr]:port`, or a metric's `target` label (`host:port`,
/// `v6addr:port`). A bare IPv6 address also reads as `host:port`, to no harm: no target's
/// host ends in `:`.
fn name_and_port(text: &str) -> (String, Option<(String, u16)>) {
    let name = text.trim().trim_end_matches('.').to_lowercase();
    let host_port = name.rsplit_once(':').and_then(|(host, port)| {
        let port = port.parse::<u16>().ok().filter(|&port| port > 0)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let host = host.trim_end_matches('.');
        (!host.is_empty()).then(|| (host.to_owned(), port))
    });
    (name, host_port)
}

/// Where an order's certificates were seen served, and when, oldest first.
pub(crate) fn deployment_history<R: Runner>(
    store: &R,
    accounts: &[String],
    order_id: u64,
) -> Result<Vec<Deployment>, Error> {
    let Some(order_id) = stored_id(order_id) else {
        return Ok(Vec::new());
    };
    let mut query = Query::new(
        R::DIALECT,
        format!("SELECT {COLUMNS} FROM deployment_history WHERE order_id = "),
    );
    let order_id = query.bind(Value::Id(order_id));
    query.push(&order_id);
    query.accounts("account", accounts);
    query.push(&format!(
        " ORDER BY probed_at, {}",
        R::DIALECT.insertion_order()
    ));
    store.rows(query, rows::deployment)
}

/// When the latest probe of any endpoint ran.
pub(crate) fn last_probed_at<R: Runner>(store: &R) -> Result<Option<DateTime<Utc>>, Error> {
    let query = Query::new(R::DIALECT, "SELECT MAX(probed_at) FROM deployments");
    let latest = store.rows(query, |row| row.instant(0))?;
    Ok(latest.into_iter().next().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_may_carry_a_port_as_metric_labels_write_it() {
        let table = [
            ("WWW.Example.com.", "www.example.com", None),
            (
                "www.example.com:443",
                "www.example.com:443",
                Some(("www.example.com", 443)),
            ),
            (
                "www.example.com.:8443",
                "www.example.com.:8443",
                Some(("www.example.com", 8443)),
            ),
            (
                "[2001:db8::1]:443",
                "[2001:db8::1]:443",
                Some(("2001:db8::1", 443)),
            ),
            (
                "2001:db8::1:443",
                "2001:db8::1:443",
                Some(("2001:db8::1", 443)),
            ),
            ("192.0.2.7:25", "192.0.2.7:25", Some(("192.0.2.7", 25))),
            ("www.example.com:0", "www.example.com:0", None),
            ("www.example.com:x", "www.example.com:x", None),
            (":443", ":443", None),
        ];
        for (text, name, host_port) in table {
            let expected = (name.to_owned(), host_port.map(|(h, p)| (h.to_owned(), p)));
            assert_eq!(name_and_port(text), expected, "{text}");
        }
    }
}
