//! The inventory's side of the deployment probe: the names to probe, what the inventory
//! knows of a run's served certificates and names ([`Catalog`]), the run classified
//! ([`classify`]) and recorded, the lookups of unknown certificates, and the queries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};

use crate::Inventory;
use crate::deploy::{
    Catalog, Deployment, DeploymentFilter, DeploymentState, FoundCertificate, Lookup, Outcome,
    ProbeNames, Probed, classify,
};
use crate::error::Error;
use crate::find::{Find, name_key};
use crate::store::Store;

/// The name a probe run's lock is held under, as a sync's is under its account's: a control
/// character keeps it apart from every account a config file can name.
const PROBE_LOCK: &str = "\u{1}deployment probe";

impl<S: Store> Inventory<S> {
    /// Every DNS name and common name of every issued, unexpired order (of the selected
    /// accounts), without the wildcards, which are counted.
    pub fn probe_names(&self, today: NaiveDate) -> Result<ProbeNames, Error> {
        let mut names = BTreeSet::new();
        let mut wildcards = BTreeSet::new();
        self.issued(|order| {
            if order.valid_till.is_some_and(|till| till < today) {
                return Ok(());
            }
            for name in order.common_name.iter().chain(&order.dns_names) {
                let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    continue;
                }
                if name.contains('*') {
                    wildcards.insert(name);
                } else {
                    names.insert(name);
                }
            }
            Ok(())
        })?;
        Ok(ProbeNames {
            names: names.into_iter().collect(),
            wildcards: wildcards.len(),
        })
    }

    /// What the inventory knows of a run's served certificates and target names.
    pub fn catalog(&self, probed: &[Probed]) -> Result<Catalog, Error> {
        let accounts = self.selected_accounts();
        let mut thumbprints: Vec<String> = probed
            .iter()
            .filter_map(|probed| match &probed.outcome {
                Outcome::Served(served) => Some(served.thumbprint.clone()),
                _ => None,
            })
            .collect();
        thumbprints.sort_unstable();
        thumbprints.dedup();
        let mut catalog = Catalog::default();
        for known in self.store().known_certificates(accounts, &thumbprints)? {
            catalog
                .certificates
                .entry(known.thumbprint.clone())
                .or_default()
                .push(known);
        }
        // Each target's keys: its name, and the wildcard that covers it.
        let mut targets_by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for probed in probed {
            let target = probed.target.to_ascii_lowercase();
            for key in target_keys(&target) {
                targets_by_key
                    .entry(key)
                    .or_default()
                    .insert(target.clone());
            }
        }
        let keys: Vec<String> = targets_by_key.keys().cloned().collect();
        for (key, order) in self.store().orders_covering(accounts, &keys)? {
            for target in targets_by_key.get(&key).into_iter().flatten() {
                let orders = catalog.covering.entry(target.clone()).or_default();
                if !orders
                    .iter()
                    .any(|o| o.account == order.account && o.order_id == order.order_id)
                {
                    orders.push(order.clone());
                }
            }
        }
        Ok(catalog)
    }

    /// How each endpoint of a probe run stands ([`classify`]), in the order given.
    pub fn classify(&self, probed: &[Probed]) -> Result<Vec<Deployment>, Error> {
        let catalog = self.catalog(probed)?;
        Ok(probed
            .iter()
            .map(|probed| classify(probed, &catalog))
            .collect())
    }

    /// The unknown served certificates of a run worth asking CertCentral about: not asked
    /// before, each once, `limit` at most.
    pub fn lookups(&self, deployments: &[Deployment], limit: usize) -> Result<Vec<Lookup>, Error> {
        let unknown: Vec<&Deployment> = deployments
            .iter()
            .filter(|deployment| deployment.state == DeploymentState::Unknown)
            .collect();
        let thumbprints: Vec<String> = unknown
            .iter()
            .filter_map(|deployment| deployment.served_thumbprint.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let asked: BTreeSet<String> = self
            .store()
            .looked_up(&thumbprints)?
            .into_iter()
            .map(|(_, thumbprint)| thumbprint)
            .collect();
        let probed: Vec<Probed> = unknown
            .iter()
            .map(|deployment| Probed {
                target: deployment.target.clone(),
                port: deployment.port,
                address: deployment.address.clone(),
                probed_at: deployment.probed_at,
                duration: None,
                outcome: Outcome::Unreachable(String::new()),
            })
            .collect();
        let catalog = self.catalog(&probed)?;
        let mut lookups: BTreeMap<String, Lookup> = BTreeMap::new();
        for deployment in unknown {
            let Some(thumbprint) = &deployment.served_thumbprint else {
                continue;
            };
            if asked.contains(thumbprint) {
                continue;
            }
            if !lookups.contains_key(thumbprint) && lookups.len() >= limit {
                continue;
            }
            let lookup = lookups.entry(thumbprint.clone()).or_insert_with(|| Lookup {
                thumbprint: thumbprint.clone(),
                serial_number: deployment.served_serial_number.clone(),
                covering: Vec::new(),
            });
            let covering = catalog
                .covering
                .get(&deployment.target.to_ascii_lowercase())
                .into_iter()
                .flatten();
            for order in covering {
                let key = (order.account.clone(), order.order_id);
                if !lookup.covering.contains(&key) {
                    lookup.covering.push(key);
                }
            }
        }
        Ok(lookups.into_values().collect())
    }

    /// Keeps a run's lookups: the certificates found, and the thumbprints CertCentral did not
    /// know, as `(account, thumbprint)`, so that later runs do not ask again.
    pub fn record_lookups(
        &mut self,
        found: &[FoundCertificate],
        missed: &[(String, String)],
    ) -> Result<(), Error> {
        self.store_mut().record_lookups(found, missed, Utc::now())
    }

    /// Keeps a probe run's results: each endpoint's latest, and a history row where its state
    /// or served certificate changed. Returns how many endpoints changed.
    pub fn record_deployments(&mut self, deployments: &[Deployment]) -> Result<u64, Error> {
        self.store_mut().record_deployments(deployments)
    }

    /// The latest deployment of each endpoint a filter picks (of the selected accounts), by
    /// target, port and address.
    pub fn deployments(&self, filter: &DeploymentFilter) -> Result<Vec<Deployment>, Error> {
        self.store().deployments(self.selected_accounts(), filter)
    }

    /// When the latest probe of any endpoint ran (by any process on the store).
    pub fn last_probed_at(&self) -> Result<Option<chrono::DateTime<Utc>>, Error> {
        self.store().last_probed_at()
    }

    /// Takes the lock one probe run at a time holds (on a shared database, across hosts); it
    /// fails with [`Error::SyncRunning`] while another run holds it, and ends with the
    /// process (or connection) that holds it.
    pub fn lock_probe(&mut self) -> Result<(), Error> {
        self.store_mut().lock_sync(PROBE_LOCK)
    }

    /// Gives the probe run's lock back.
    pub fn unlock_probe(&mut self) {
        self.store_mut().unlock_sync(PROBE_LOCK);
    }

    /// Where an order's certificates were seen served, and when, oldest first.
    pub fn deployment_history(&self, order_id: u64) -> Result<Vec<Deployment>, Error> {
        self.store()
            .deployment_history(self.selected_accounts(), order_id)
    }
}

/// The name keys ([`crate::name_key`]) that cover a target: its own, and its wildcard's.
fn target_keys(target: &str) -> Vec<String> {
    match Find::parse(target) {
        Ok(find) if find.domain().is_some() => find.exact_keys(),
        _ => vec![name_key(target)],
    }
}
