//! One decision for every store: how an endpoint stands, from what a probe found there and
//! what the inventory knows of the certificates served and the orders that cover the name.
//! Pure: the inventory reads the [`Catalog`] first, in a few queries for a whole run.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{Deployment, DeploymentState, Outcome, Probed, ServedCertificate, days_until};

/// A certificate the inventory knows, with its order's current certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCertificate {
    /// The account of its order.
    pub account: String,
    /// Its order.
    pub order_id: u64,
    /// Its thumbprint, normalized.
    pub thumbprint: String,
    /// Its serial number, normalized.
    pub serial_number: Option<String>,
    /// The order's status.
    pub order_status: String,
    /// The order's current certificate's thumbprint: this one, unless it was replaced.
    pub current_thumbprint: Option<String>,
    /// The order's current certificate's serial number.
    pub current_serial_number: Option<String>,
}

impl KnownCertificate {
    /// Whether this is its order's current certificate.
    pub fn is_current(&self) -> bool {
        self.current_thumbprint.as_deref() == Some(self.thumbprint.as_str())
    }
}

/// An order whose current certificate covers a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveringOrder {
    /// The account.
    pub account: String,
    /// The order.
    pub order_id: u64,
    /// Its status.
    pub status: String,
    /// Its certificate's thumbprint, normalized.
    pub thumbprint: Option<String>,
    /// Its certificate's serial number, normalized.
    pub serial_number: Option<String>,
    /// Its certificate's last day.
    pub valid_till: Option<NaiveDate>,
    /// The order it renews, if it is a renewal.
    pub renews: Option<u64>,
}

/// What the inventory knows for one run's observations.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Known certificates by thumbprint (one per account that has it).
    pub certificates: HashMap<String, Vec<KnownCertificate>>,
    /// The orders covering each target name (lower case).
    pub covering: HashMap<String, Vec<CoveringOrder>>,
}

impl Catalog {
    /// The issued order covering `target` whose certificate lasts longest: what should be
    /// served there.
    fn best_covering(&self, target: &str, today: NaiveDate) -> Option<&CoveringOrder> {
        self.covering
            .get(&target.to_ascii_lowercase())?
            .iter()
            .filter(|order| order.status == "issued" && order.thumbprint.is_some())
            .filter(|order| order.valid_till.is_none_or(|till| till >= today))
            .max_by_key(|order| (order.valid_till, order.order_id))
    }

    /// The issued orders covering `target` that renew `order_id` of `account`.
    fn renewal_of(&self, target: &str, account: &str, order_id: u64) -> Option<&CoveringOrder> {
        self.covering
            .get(&target.to_ascii_lowercase())?
            .iter()
            .filter(|order| order.account == account && order.renews == Some(order_id))
            .filter(|order| order.status == "issued")
            .max_by_key(|order| (order.valid_till, order.order_id))
    }

    /// The known certificate with this thumbprint, its order's current one first.
    fn certificate(&self, thumbprint: &str) -> Option<&KnownCertificate> {
        let known = self.certificates.get(thumbprint)?;
        known
            .iter()
            .find(|certificate| certificate.is_current())
            .or_else(|| known.first())
    }
}

/// How the endpoint `probed` stands, against `catalog`.
pub fn classify(probed: &Probed, catalog: &Catalog) -> Deployment {
    let mut deployment = Deployment {
        account: None,
        target: probed.target.clone(),
        port: probed.port,
        address: probed.address.clone(),
        state: DeploymentState::Unreachable,
        reason: String::new(),
        verified: None,
        order_id: None,
        served_serial_number: None,
        served_thumbprint: None,
        served_not_after: None,
        days_left: None,
        current_serial_number: None,
        current_thumbprint: None,
        probed_at: probed.probed_at,
        duration_seconds: probed.duration.map(|duration| duration.as_secs_f64()),
    };
    match &probed.outcome {
        Outcome::Unreachable(reason) => deployment.reason = reason.clone(),
        Outcome::HandshakeFailed(reason) => {
            deployment.state = DeploymentState::HandshakeFailed;
            deployment.reason = reason.clone();
        }
        Outcome::Served(served) => served_state(&mut deployment, served, catalog),
    }
    deployment
}

/// The state of an endpoint that served `served`.
fn served_state(deployment: &mut Deployment, served: &ServedCertificate, catalog: &Catalog) {
    let today = deployment.probed_at.date_naive();
    deployment.verified = Some(served.verified);
    deployment.served_serial_number = Some(served.serial_number.clone());
    deployment.served_thumbprint = Some(served.thumbprint.clone());
    deployment.served_not_after = Some(served.not_after);
    deployment.days_left = Some(days_until(served.not_after, deployment.probed_at));
    let known = catalog.certificate(&served.thumbprint);
    if let Some(known) = known {
        deployment.account = Some(known.account.clone());
        deployment.order_id = Some(known.order_id);
    }
    let should = catalog.best_covering(&deployment.target, today);
    let (state, reason) = if served.not_after < deployment.probed_at {
        (
            DeploymentState::Expired,
            format!(
                "the served certificate expired on {}",
                served.not_after.format("%Y-%m-%d")
            ),
        )
    } else if !served.covers_name {
        (
            DeploymentState::NameMismatch,
            format!(
                "the served certificate does not cover {}",
                deployment.target
            ),
        )
    } else if let Some(known) = known {
        known_state(deployment, known, catalog, should);
        deployment.reason = with_verification(std::mem::take(&mut deployment.reason), served);
        return;
    } else {
        (
            DeploymentState::Unknown,
            "no order in the inventory or CertCentral has the served certificate (another CA \
             or account?)"
                .to_owned(),
        )
    };
    deployment.state = state;
    deployment.reason = with_verification(reason, served);
    if let Some(should) = should.filter(|order| order.thumbprint != deployment.served_thumbprint) {
        set_current(deployment, should);
    }
}

/// The state of an endpoint serving a certificate the inventory knows, unexpired and
/// covering the name.
fn known_state(
    deployment: &mut Deployment,
    known: &KnownCertificate,
    catalog: &Catalog,
    should: Option<&CoveringOrder>,
) {
    let order = known.order_id;
    if !known.is_current() {
        deployment.state = DeploymentState::Stale;
        deployment.current_thumbprint = known.current_thumbprint.clone();
        deployment.current_serial_number = known.current_serial_number.clone();
        deployment.reason = format!(
            "order {order} was reissued: an earlier certificate is served, not its current one"
        );
        return;
    }
    if let Some(renewal) = catalog.renewal_of(&deployment.target, &known.account, order) {
        deployment.state = DeploymentState::Stale;
        deployment.reason = format!(
            "order {order} was renewed into order {}, whose certificate is not served",
            renewal.order_id
        );
        set_current(deployment, renewal);
        return;
    }
    if known.order_status != "issued"
        && let Some(newer) = should.filter(|should| should.order_id != order)
    {
        deployment.state = DeploymentState::Stale;
        deployment.reason = format!(
            "order {order} is {}; order {} covers the name",
            known.order_status, newer.order_id
        );
        set_current(deployment, newer);
        return;
    }
    deployment.state = DeploymentState::Current;
    deployment.reason = format!("the current certificate of order {order}");
    if known.order_status != "issued" {
        deployment
            .reason
            .push_str(&format!(" ({})", known.order_status));
    }
}

/// Notes a failed verification in a reason.
fn with_verification(reason: String, served: &ServedCertificate) -> String {
    match &served.verify_error {
        Some(error) if !served.verified => format!("{reason}; the chain does not verify: {error}"),
        _ => reason,
    }
}

fn set_current(deployment: &mut Deployment, order: &CoveringOrder) {
    deployment.current_thumbprint = order.thumbprint.clone();
    deployment.current_serial_number = order.serial_number.clone();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{DateTime, TimeZone, Utc};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn served(thumbprint: &str) -> ServedCertificate {
        ServedCertificate {
            thumbprint: thumbprint.to_owned(),
            serial_number: format!("{thumbprint}5e"),
            not_after: Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap(),
            covers_name: true,
            verified: true,
            verify_error: None,
        }
    }

    fn probed(outcome: Outcome) -> Probed {
        Probed {
            target: "www.example.com".to_owned(),
            port: 443,
            address: "192.0.2.10".to_owned(),
            probed_at: now(),
            duration: None,
            outcome,
        }
    }

    fn order(order_id: u64, status: &str, thumbprint: &str, renews: Option<u64>) -> CoveringOrder {
        CoveringOrder {
            account: "default".to_owned(),
            order_id,
            status: status.to_owned(),
            thumbprint: Some(thumbprint.to_owned()),
            serial_number: Some(format!("{thumbprint}5e")),
            valid_till: NaiveDate::from_ymd_opt(2027, 3, 1),
            renews,
        }
    }

    fn known(order_id: u64, status: &str, thumbprint: &str, current: &str) -> KnownCertificate {
        KnownCertificate {
            account: "default".to_owned(),
            order_id,
            thumbprint: thumbprint.to_owned(),
            serial_number: Some(format!("{thumbprint}5e")),
            order_status: status.to_owned(),
            current_thumbprint: Some(current.to_owned()),
            current_serial_number: Some(format!("{current}5e")),
        }
    }

    /// A catalog: order 1 (current `aa`, earlier `a0`) covers the name; order 2 (`bb`)
    /// renews order 3 (`cc`), both cover `renewed.example.com`.
    fn catalog() -> Catalog {
        let mut catalog = Catalog::default();
        for certificate in [
            known(1, "issued", "aa", "aa"),
            known(1, "issued", "a0", "aa"),
            known(2, "issued", "bb", "bb"),
            known(3, "issued", "cc", "cc"),
            known(4, "revoked", "dd", "dd"),
        ] {
            catalog
                .certificates
                .entry(certificate.thumbprint.clone())
                .or_default()
                .push(certificate);
        }
        catalog.covering.insert(
            "www.example.com".to_owned(),
            vec![
                order(1, "issued", "aa", None),
                order(4, "revoked", "dd", None),
            ],
        );
        catalog.covering.insert(
            "renewed.example.com".to_owned(),
            vec![
                order(3, "issued", "cc", None),
                order(2, "issued", "bb", Some(3)),
            ],
        );
        catalog
    }

    fn state(outcome: Outcome) -> Deployment {
        classify(&probed(outcome), &catalog())
    }

    #[test]
    fn the_current_certificate_is_current() {
        let found = state(Outcome::Served(served("aa")));
        assert_eq!(found.state, DeploymentState::Current);
        assert_eq!(found.order_id, Some(1));
        assert_eq!(found.account.as_deref(), Some("default"));
        assert_eq!(found.days_left, Some(89));
        assert_eq!(found.current_thumbprint, None);
        assert_eq!(found.reason, "the current certificate of order 1");
    }

    #[test]
    fn an_earlier_certificate_of_a_reissued_order_is_stale_naming_both() {
        let found = state(Outcome::Served(served("a0")));
        assert_eq!(found.state, DeploymentState::Stale);
        assert_eq!(found.order_id, Some(1));
        assert_eq!(found.served_thumbprint.as_deref(), Some("a0"));
        assert_eq!(found.current_thumbprint.as_deref(), Some("aa"));
        assert!(found.reason.contains("reissued"), "{}", found.reason);
    }

    #[test]
    fn the_certificate_of_a_renewed_order_is_stale() {
        let mut probe = probed(Outcome::Served(served("cc")));
        probe.target = "Renewed.Example.com".to_owned();
        let found = classify(&probe, &catalog());
        assert_eq!(found.state, DeploymentState::Stale);
        assert_eq!(found.order_id, Some(3));
        assert_eq!(found.current_thumbprint.as_deref(), Some("bb"));
        assert!(
            found.reason.contains("renewed into order 2"),
            "{}",
            found.reason
        );
    }

    #[test]
    fn a_revoked_orders_certificate_is_stale_when_an_issued_order_covers_the_name() {
        let found = state(Outcome::Served(served("dd")));
        assert_eq!(found.state, DeploymentState::Stale);
        assert_eq!(found.current_thumbprint.as_deref(), Some("aa"));
        assert!(found.reason.contains("is revoked"), "{}", found.reason);
    }

    #[test]
    fn a_certificate_nobody_issued_is_unknown_and_says_what_should_be_served() {
        let found = state(Outcome::Served(served("ee")));
        assert_eq!(found.state, DeploymentState::Unknown);
        assert_eq!(found.order_id, None);
        assert_eq!(found.current_thumbprint.as_deref(), Some("aa"));
    }

    #[test]
    fn precedence_expired_before_name_mismatch_before_unknown() {
        let mut certificate = served("ee");
        certificate.covers_name = false;
        certificate.not_after = now() - chrono::TimeDelta::days(2);
        let found = state(Outcome::Served(certificate.clone()));
        assert_eq!(found.state, DeploymentState::Expired);
        assert_eq!(found.days_left, Some(-2));
        certificate.not_after = now() + chrono::TimeDelta::days(2);
        assert_eq!(
            state(Outcome::Served(certificate.clone())).state,
            DeploymentState::NameMismatch
        );
        // A known, current certificate on the wrong name is still a mismatch.
        let mut current = served("aa");
        current.covers_name = false;
        let found = state(Outcome::Served(current));
        assert_eq!(found.state, DeploymentState::NameMismatch);
        assert_eq!(found.order_id, Some(1));
    }

    #[test]
    fn failures_keep_their_reason_and_no_certificate() {
        let found = state(Outcome::Unreachable("connection refused".to_owned()));
        assert_eq!(found.state, DeploymentState::Unreachable);
        assert_eq!(found.reason, "connection refused");
        assert_eq!(found.verified, None);
        let found = state(Outcome::HandshakeFailed(
            "alert: handshake failure".to_owned(),
        ));
        assert_eq!(found.state, DeploymentState::HandshakeFailed);
        assert_eq!(found.served_thumbprint, None);
    }

    #[test]
    fn a_chain_that_does_not_verify_says_so_beside_the_state() {
        let mut certificate = served("ee");
        certificate.verified = false;
        certificate.verify_error = Some("unknown issuer".to_owned());
        let found = state(Outcome::Served(certificate));
        assert_eq!(found.verified, Some(false));
        assert!(
            found
                .reason
                .ends_with("the chain does not verify: unknown issuer")
        );
    }

    #[test]
    fn states_read_back_from_their_names() {
        for state in DeploymentState::ALL {
            assert_eq!(state.as_str().parse::<DeploymentState>(), Ok(state));
        }
        assert_eq!(
            "Name-Mismatch".parse::<DeploymentState>(),
            Ok(DeploymentState::NameMismatch)
        );
        assert!("fine".parse::<DeploymentState>().is_err());
    }
}
