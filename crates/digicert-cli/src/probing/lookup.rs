//! Looking a run's unknown certificates up in CertCentral, with the keys of the accounts
//! the settings name: first in the reissues of the orders covering the name (each lists its
//! certificates), then order info by thumbprint. What is found, and what CertCentral does not
//! know, is kept, so later runs do not ask again.

use std::collections::BTreeMap;

use digicert_api::OrderRef;
use digicert_inventory::{FoundCertificate, Lookup, normalize_hex};

use crate::client::{self, Connection};
use crate::error::CliError;
use crate::output::warn;
use crate::settings::Settings;
use crate::store::Inventory;

/// What the lookups of a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LookedUp {
    /// Certificates asked about.
    pub asked: usize,
    /// Of those, found in CertCentral.
    pub found: usize,
}

/// A client for each account lookups may ask with.
pub struct Clients {
    connections: BTreeMap<String, Connection>,
}

impl Clients {
    /// A client for each account the settings name (as `sync` takes them); an account whose
    /// settings cannot be resolved (no key, say) is left out, with a warning.
    pub fn connect(settings: &Settings) -> Self {
        let mut connections = BTreeMap::new();
        let accounts = match settings.accounts_to_sync() {
            Ok(accounts) => accounts,
            Err(err) => {
                warn(
                    settings.quiet,
                    &format!("no lookups of unknown certificates: {err}"),
                );
                return Self { connections };
            }
        };
        for (name, account) in accounts.resolve() {
            match account.and_then(|account| client::connect(account.client)) {
                Ok(connection) => {
                    connections.insert(name.to_owned(), connection);
                }
                Err(err) => warn(
                    settings.quiet,
                    &format!("account {name}: no lookups of unknown certificates: {err}"),
                ),
            }
        }
        Self { connections }
    }
}

/// Looks `lookups` up with `clients`, and keeps what is found and what CertCentral does
/// not know (with which account's key it was asked).
pub fn look_up(
    inventory: &mut Inventory,
    lookups: &[Lookup],
    clients: &Clients,
) -> Result<LookedUp, CliError> {
    let mut found = Vec::new();
    let mut missed = Vec::new();
    for lookup in lookups {
        match look_up_one(lookup, clients) {
            Ok(certificate) => found.push(certificate),
            Err(unknown_to) => missed.extend(
                unknown_to
                    .into_iter()
                    .map(|account| (account, lookup.thumbprint.clone())),
            ),
        }
    }
    inventory.record_lookups(&found, &missed)?;
    Ok(LookedUp {
        asked: lookups.len(),
        found: found.len(),
    })
}

/// One lookup: the reissues of the orders covering the name, then order info by thumbprint
/// with every account's key. Not found: the accounts whose CertCentral said it does not know
/// the certificate (not those that failed to answer, asked again next time).
fn look_up_one(lookup: &Lookup, clients: &Clients) -> Result<FoundCertificate, Vec<String>> {
    for (account, order_id) in &lookup.covering {
        let Some(connection) = clients.connections.get(account) else {
            continue;
        };
        match connection.api.reissues(*order_id) {
            Ok(reissues) => {
                let certificate = reissues.certificates.into_iter().find(|certificate| {
                    certificate
                        .thumbprint
                        .as_deref()
                        .and_then(normalize_hex)
                        .as_deref()
                        == Some(lookup.thumbprint.as_str())
                });
                if let Some(certificate) = certificate {
                    return Ok(FoundCertificate {
                        account: account.clone(),
                        order_id: *order_id,
                        thumbprint: lookup.thumbprint.clone(),
                        serial_number: certificate.serial_number.as_deref().and_then(normalize_hex),
                        certificate_id: Some(certificate.id),
                        source: "reissues",
                    });
                }
            }
            Err(err) => warn_lookup(account, &err),
        }
    }
    let mut unknown_to = Vec::new();
    let Ok(reference) = OrderRef::parse(&lookup.thumbprint) else {
        return Err(unknown_to);
    };
    for (account, connection) in &clients.connections {
        match connection.api.order_info(&reference) {
            Ok(info) => {
                let certificate = info.certificate.as_ref();
                return Ok(FoundCertificate {
                    account: account.clone(),
                    order_id: info.id,
                    thumbprint: lookup.thumbprint.clone(),
                    serial_number: certificate
                        .and_then(|c| c.serial_number.as_deref())
                        .and_then(normalize_hex),
                    certificate_id: certificate.and_then(|c| c.id),
                    source: "order_info",
                });
            }
            Err(err) if err.is_not_found() => unknown_to.push(account.clone()),
            Err(err) => warn_lookup(account, &err),
        }
    }
    Err(unknown_to)
}

fn warn_lookup(account: &str, err: &digicert_api::Error) {
    tracing::warn!(account, error = %err, "a lookup of an unknown certificate failed");
}
