//! Looking a run's unknown certificates up in CertCentral, with the keys of the accounts
//! the settings name: first in the reissues of the orders covering the name (each lists its
//! certificates), then order info by thumbprint. What is found, and what CertCentral does not
//! know, is kept, so later runs do not ask again.

use std::collections::BTreeMap;

use digicert_api::OrderRef;
use digicert_inventory::{Deployment, FoundCertificate, Lookup, normalize_hex};

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

/// Looks the run's unknown certificates up in CertCentral, `limit` at most, each with the
/// keys of the accounts the settings name: first in the reissues of the orders covering the
/// name (each lists its certificates), then by thumbprint. What is found, and what
/// CertCentral does not know, is kept, so later runs do not ask again.
pub fn look_up(
    inventory: &mut Inventory,
    deployments: &[Deployment],
    limit: usize,
    settings: &Settings,
) -> Result<LookedUp, CliError> {
    if limit == 0 {
        return Ok(LookedUp::default());
    }
    let lookups = inventory.lookups(deployments, limit)?;
    if lookups.is_empty() {
        return Ok(LookedUp::default());
    }
    let mut clients = match Clients::new(settings) {
        Ok(clients) => clients,
        Err(err) => {
            warn(
                settings.quiet,
                &format!("no lookups of unknown certificates: {err}"),
            );
            return Ok(LookedUp::default());
        }
    };
    let mut found = Vec::new();
    let mut missed = Vec::new();
    for lookup in &lookups {
        match look_up_one(lookup, &mut clients) {
            Some(certificate) => found.push(certificate),
            None => missed.extend(
                clients
                    .asked_by_thumbprint(&lookup.thumbprint)
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
/// with every account's key.
fn look_up_one(lookup: &Lookup, clients: &mut Clients) -> Option<FoundCertificate> {
    for (account, order_id) in &lookup.covering {
        let Some(connection) = clients.get(account) else {
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
                    return Some(FoundCertificate {
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
    let reference = OrderRef::parse(&lookup.thumbprint).ok()?;
    for account in clients.names() {
        let Some(connection) = clients.get(&account) else {
            continue;
        };
        match connection.api.order_info(&reference) {
            Ok(info) => {
                let certificate = info.certificate.as_ref();
                return Some(FoundCertificate {
                    account,
                    order_id: info.id,
                    thumbprint: lookup.thumbprint.clone(),
                    serial_number: certificate
                        .and_then(|c| c.serial_number.as_deref())
                        .and_then(normalize_hex),
                    certificate_id: certificate.and_then(|c| c.id),
                    source: "order_info",
                });
            }
            Err(err) if err.is_not_found() => clients.not_found(&account, &lookup.thumbprint),
            Err(err) => warn_lookup(&account, &err),
        }
    }
    None
}

fn warn_lookup(account: &str, err: &digicert_api::Error) {
    tracing::warn!(account, error = %err, "a lookup of an unknown certificate failed");
}

/// The clients of the accounts lookups may use, connected when first asked for; an account
/// whose settings cannot be resolved (no key) is left out, with a warning.
struct Clients<'s> {
    settings: &'s Settings,
    names: Vec<String>,
    connected: BTreeMap<String, Option<Connection>>,
    /// Thumbprints order info did not find, by account.
    not_found: BTreeMap<String, Vec<String>>,
}

impl<'s> Clients<'s> {
    fn new(settings: &'s Settings) -> Result<Self, CliError> {
        let names = settings
            .accounts_to_sync()?
            .names()
            .map(str::to_owned)
            .collect();
        Ok(Self {
            settings,
            names,
            connected: BTreeMap::new(),
            not_found: BTreeMap::new(),
        })
    }

    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn get(&mut self, account: &str) -> Option<&Connection> {
        if !self.connected.contains_key(account) {
            let connection = self.connect(account);
            self.connected.insert(account.to_owned(), connection);
        }
        self.connected.get(account).and_then(Option::as_ref)
    }

    fn connect(&self, account: &str) -> Option<Connection> {
        let accounts = self.settings.accounts_to_sync().ok()?;
        let (_, resolved) = accounts.resolve().find(|(name, _)| *name == account)?;
        match resolved.and_then(|account| client::connect(account.client)) {
            Ok(connection) => Some(connection),
            Err(err) => {
                warn(
                    self.settings.quiet,
                    &format!("account {account}: no lookups of unknown certificates: {err}"),
                );
                None
            }
        }
    }

    fn not_found(&mut self, account: &str, thumbprint: &str) {
        self.not_found
            .entry(account.to_owned())
            .or_default()
            .push(thumbprint.to_owned());
    }

    /// The accounts whose order info answered that it does not know `thumbprint`.
    fn asked_by_thumbprint(&self, thumbprint: &str) -> Vec<String> {
        self.not_found
            .iter()
            .filter(|(_, thumbprints)| thumbprints.iter().any(|t| t == thumbprint))
            .map(|(account, _)| account.clone())
            .collect()
    }
}
