//! The demo's TLS endpoints: a few host names of the dataset's orders, each pointed at
//! loopback nodes that serve a current, stale, unknown, expired or wrong-name certificate,
//! answer with a TLS alert, or refuse connections, so that a deployment probe run against the
//! demo (`digicert --demo probe`) shows every state on a fresh clone.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use chrono::NaiveDate;
use digicert_model::{OrderStatus, ReportRow};
use tokio::net::TcpSocket;

use crate::certs::{MockCa, thumbprint, to_hex};
use crate::dataset::Dataset;
use crate::tls::{TlsEndpoints, TlsEntry, resolve_entry};

/// What a probe should find a demo node serving, compared with what CertCentral issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DemoState {
    /// The current certificate of the order the name belongs to.
    Current,
    /// A certificate of the order the name belongs to that a reissue replaced.
    Stale,
    /// A certificate no order has: the same names, issued by another CA
    /// ([`MockCa::OTHER_SUBJECT`]).
    Unknown,
    /// The current certificate of the order the name belongs to, which has expired.
    Expired,
    /// Another order's current certificate, which does not name the host.
    WrongName,
    /// Nothing: the node refuses connections.
    Unreachable,
    /// Nothing: the node answers the `ClientHello` with a fatal TLS alert.
    HandshakeFailed,
}

impl DemoState {
    /// The state as one lower-case word: `current`, `stale`, `unknown`, `expired`,
    /// `wrong_name`, `unreachable`, `handshake_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Stale => "stale",
            Self::Unknown => "unknown",
            Self::Expired => "expired",
            Self::WrongName => "wrong_name",
            Self::Unreachable => "unreachable",
            Self::HandshakeFailed => "handshake_failed",
        }
    }
}

impl fmt::Display for DemoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One node of a demo site: an address, and the certificate it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoNode {
    /// The address it listens on (the port is the site's).
    pub addr: Ipv4Addr,
    /// What a probe should find it serving.
    pub expected: DemoState,
    /// The order whose certificate it serves; `None` for an unknown certificate or none.
    pub order_id: Option<u64>,
    /// The ID of the certificate it serves; `None` for an unknown certificate or none.
    pub certificate_id: Option<u64>,
    /// The thumbprint of the certificate it serves (SHA-1, upper-case hex); empty for a node
    /// that serves none.
    pub thumbprint: String,
}

/// One host name of the demo and the nodes it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoSite {
    /// The host name: the common name of one of the dataset's orders.
    pub name: String,
    /// The order the name belongs to.
    pub order_id: u64,
    /// The port every node listens on (for the unreachable site, the port it refuses).
    pub port: u16,
    /// The nodes the name points at.
    pub nodes: Vec<DemoNode>,
}

impl DemoSite {
    /// The nodes' addresses.
    pub fn addresses(&self) -> Vec<Ipv4Addr> {
        self.nodes.iter().map(|node| node.addr).collect()
    }

    /// The curl-style resolve entry that points the name at the nodes: `name:PORT:ADDR,...`.
    pub fn resolve(&self) -> String {
        resolve_entry(&self.name, self.port, &self.addresses())
    }
}

/// The demo's TLS endpoints, running on a thread of their own; dropping them stops them.
///
/// Started by [`MockServer::start_demo_endpoints`](crate::MockServer::start_demo_endpoints)
/// (or [`DemoEndpoints::start`] for a dataset without a server). Eight sites, each the common
/// name of an order of the dataset, on one port (but the unreachable one) and addresses from
/// 127.0.0.2 on:
///
/// | site | nodes serve |
/// |---|---|
/// | current | the order's current certificate |
/// | stale | a certificate a reissue replaced (an order is reissued first if none was) |
/// | unknown | a certificate with the order's names from another CA |
/// | mixed | two nodes: the current certificate, and one a reissue replaced |
/// | expired | the current certificate of an expired order |
/// | wrong name | another order's current certificate |
/// | unreachable | nothing: connections are refused (on a port of its own, bound and never listening) |
/// | handshake failed | nothing: a fatal TLS alert answers the `ClientHello` |
///
/// States hold at the dataset's reference time (the start time by default): probe at
/// another time and a current certificate may have expired.
///
/// ```no_run
/// use digicert_mock::{DemoState, MockConfig, MockServer};
///
/// let server = MockServer::start_background(MockConfig::default())?;
/// let demo = server.start_demo_endpoints()?;
/// for site in demo.sites() {
///     // e.g. "shop12.example.com:41234:127.0.0.5,127.0.0.6", for curl's --resolve
///     println!("{}", site.resolve());
///     for node in &site.nodes {
///         println!("  {} serves {} ({})", node.addr, node.thumbprint, node.expected);
///     }
/// }
/// assert!(demo.sites().iter().flat_map(|site| &site.nodes).any(|node| node.expected == DemoState::Stale));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct DemoEndpoints {
    endpoints: TlsEndpoints,
    sites: Vec<DemoSite>,
    /// Bound and never listening: the unreachable node's port, refused and kept from others.
    _refusing: TcpSocket,
}

impl DemoEndpoints {
    /// Picks the demo's orders in `dataset` (reissuing some if it must, which the dataset's
    /// views then show) and starts serving their certificates on a thread of its own.
    ///
    /// Fails if the dataset has too few issued orders with host names (a few dozen orders
    /// are enough), or the endpoints cannot start.
    pub fn start(dataset: &Dataset) -> io::Result<Self> {
        let plan = Plan::make(dataset)?;
        let mut entries = Vec::new();
        let mut refusing = None;
        for node in &plan.nodes {
            match node.expected {
                DemoState::Unreachable => {
                    let socket = TcpSocket::new_v4()?;
                    socket.bind(SocketAddr::from((node.addr, 0)))?;
                    refusing = Some(socket);
                }
                DemoState::HandshakeFailed => entries.push(TlsEntry::alert(node.addr)),
                _ => entries.push(TlsEntry::new(
                    node.addr,
                    node.chain.clone(),
                    plan.key.clone(),
                )),
            }
        }
        let refusing = refusing.ok_or_else(|| too_few("an unreachable node"))?;
        let refused_port = refusing.local_addr()?.port();
        let endpoints = TlsEndpoints::start_background(entries)?;
        let sites = plan
            .sites
            .into_iter()
            .map(|(name, order_id, nodes)| {
                let nodes: Vec<DemoNode> = nodes
                    .into_iter()
                    .filter_map(|index| plan.nodes.get(index).map(PlannedNode::node))
                    .collect();
                let refused = nodes.iter().all(|n| n.expected == DemoState::Unreachable);
                DemoSite {
                    name,
                    order_id,
                    port: if refused {
                        refused_port
                    } else {
                        endpoints.port()
                    },
                    nodes,
                }
            })
            .collect();
        Ok(Self {
            endpoints,
            sites,
            _refusing: refusing,
        })
    }

    /// The sites: host names and the nodes they point at.
    pub fn sites(&self) -> &[DemoSite] {
        &self.sites
    }

    /// Every site's curl-style resolve entry (`name:PORT:ADDR,...`).
    pub fn resolves(&self) -> Vec<String> {
        self.sites.iter().map(DemoSite::resolve).collect()
    }

    /// The port every node listens on (but the unreachable site's).
    pub fn port(&self) -> u16 {
        self.endpoints.port()
    }

    /// The endpoints themselves (handshake counts per address).
    pub fn endpoints(&self) -> &TlsEndpoints {
        &self.endpoints
    }
}

/// A node before the endpoints start: what it serves.
struct PlannedNode {
    addr: Ipv4Addr,
    expected: DemoState,
    order_id: Option<u64>,
    certificate_id: Option<u64>,
    chain: Vec<Vec<u8>>,
}

impl PlannedNode {
    fn node(&self) -> DemoNode {
        DemoNode {
            addr: self.addr,
            expected: self.expected,
            order_id: self.order_id,
            certificate_id: self.certificate_id,
            thumbprint: self
                .chain
                .first()
                .map(|der| to_hex(&thumbprint(der)))
                .unwrap_or_default(),
        }
    }
}

/// The demo's sites (name, order, indexes of their nodes) and nodes.
struct Plan {
    key: Vec<u8>,
    nodes: Vec<PlannedNode>,
    sites: Vec<(String, u64, Vec<usize>)>,
}

impl Plan {
    /// Picks the orders and certificates.
    fn make(dataset: &Dataset) -> io::Result<Self> {
        let ca = MockCa::get().map_err(io::Error::other)?;
        let mut plan = Self {
            key: ca.leaf_key_der().to_vec(),
            nodes: Vec::new(),
            sites: Vec::new(),
        };
        let mut picker = Picker::new(dataset);
        let stale = picker.reissued(2)?;
        let current = picker.fresh()?;
        plan.site(
            dataset,
            &current,
            &[(current.order_id, 0, DemoState::Current)],
        )?;
        plan.site(
            dataset,
            &stale[0],
            &[(stale[0].order_id, 1, DemoState::Stale)],
        )?;
        let unknown = picker.fresh()?;
        let foreign = dataset
            .foreign_certificate(unknown.order_id)
            .ok_or_else(|| too_few("an issued order"))?;
        plan.sites.push((
            picker.name(&unknown)?,
            unknown.order_id,
            vec![plan.nodes.len()],
        ));
        plan.push(
            DemoState::Unknown,
            None,
            vec![foreign, ca.other_certificate_der().to_vec()],
        );
        let mixed = &stale[1];
        plan.site(
            dataset,
            mixed,
            &[
                (mixed.order_id, 0, DemoState::Current),
                (mixed.order_id, 1, DemoState::Stale),
            ],
        )?;
        let expired = picker.expired()?;
        plan.site(
            dataset,
            &expired,
            &[(expired.order_id, 0, DemoState::Expired)],
        )?;
        let (named, other) = (picker.fresh()?, picker.fresh()?);
        plan.site(
            dataset,
            &named,
            &[(other.order_id, 0, DemoState::WrongName)],
        )?;
        for state in [DemoState::Unreachable, DemoState::HandshakeFailed] {
            let row = picker.fresh()?;
            plan.sites
                .push((picker.name(&row)?, row.order_id, vec![plan.nodes.len()]));
            plan.push(state, None, Vec::new());
        }
        Ok(plan)
    }

    /// A site for `row`'s name whose nodes serve, each, certificate `index` (0 the current,
    /// 1 the one the last reissue replaced) of an order.
    fn site(
        &mut self,
        dataset: &Dataset,
        row: &ReportRow,
        nodes: &[(u64, usize, DemoState)],
    ) -> io::Result<()> {
        let name = Picker::host_name(row).ok_or_else(|| too_few("host names"))?;
        let mut indexes = Vec::new();
        for &(order_id, index, expected) in nodes {
            let certificates = dataset.certificates(order_id);
            let certificate = certificates
                .get(index)
                .ok_or_else(|| too_few("certificates"))?;
            indexes.push(self.nodes.len());
            self.push(
                expected,
                Some((order_id, certificate.certificate_id)),
                certificate.chain_der(),
            );
        }
        self.sites.push((name.to_owned(), row.order_id, indexes));
        Ok(())
    }

    /// A node on the next address (127.0.0.2 first).
    fn push(&mut self, expected: DemoState, certificate: Option<(u64, u64)>, chain: Vec<Vec<u8>>) {
        let host = u8::try_from(2 + self.nodes.len()).unwrap_or(u8::MAX);
        self.nodes.push(PlannedNode {
            addr: Ipv4Addr::new(127, 0, 0, host),
            expected,
            order_id: certificate.map(|(order_id, _)| order_id),
            certificate_id: certificate.map(|(_, certificate_id)| certificate_id),
            chain,
        });
    }
}

/// The error for a dataset without enough orders to pick from.
fn too_few(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("the dataset has too few orders for the demo endpoints ({what})"),
    )
}

/// Picks orders for the demo, each once: issued, valid at the reference time, with a host
/// name for a common name that the certificate names.
struct Picker<'a> {
    dataset: &'a Dataset,
    today: NaiveDate,
    used: HashSet<u64>,
}

impl<'a> Picker<'a> {
    fn new(dataset: &'a Dataset) -> Self {
        Self {
            dataset,
            today: dataset.reference_time().date_naive(),
            used: HashSet::new(),
        }
    }

    /// The host name a row's certificate is for, if its common name is one it names.
    fn host_name(row: &ReportRow) -> Option<&str> {
        let name = row.common_name.as_deref()?;
        let plain = name.contains('.') && !name.contains('*') && !name.contains(' ');
        (plain && row.dns_names.iter().any(|dns| dns == name)).then_some(name)
    }

    fn name(&self, row: &ReportRow) -> io::Result<String> {
        Self::host_name(row)
            .map(str::to_owned)
            .ok_or_else(|| too_few("host names"))
    }

    /// Whether a row can be picked: not picked yet, with a host name, valid today.
    fn fits(&self, row: &ReportRow) -> bool {
        !self.used.contains(&row.order_id)
            && Self::host_name(row).is_some()
            && row
                .valid_from
                .zip(row.valid_till)
                .is_some_and(|(from, till)| from <= self.today && self.today <= till)
    }

    /// The next issued order that fits, newest first.
    fn fresh(&mut self) -> io::Result<ReportRow> {
        self.pick(OrderStatus::Issued, Self::fits)
    }

    /// The next expired order with a host name, newest first.
    fn expired(&mut self) -> io::Result<ReportRow> {
        self.pick(OrderStatus::Expired, |picker, row| {
            !picker.used.contains(&row.order_id) && Self::host_name(row).is_some()
        })
    }

    /// The next order with `status` that `keep` keeps, newest first, marked as picked.
    fn pick(
        &mut self,
        status: OrderStatus,
        keep: impl Fn(&Self, &ReportRow) -> bool,
    ) -> io::Result<ReportRow> {
        let what = format!("{status} orders");
        let row = self
            .dataset
            .report_rows(&[status], 0, usize::MAX)
            .find(|row| keep(self, row))
            .ok_or_else(|| too_few(&what))?;
        self.used.insert(row.order_id);
        Ok(row)
    }

    /// `count` issued orders with a certificate a reissue replaced, still valid today:
    /// those the dataset has, and more reissued now if it has too few.
    fn reissued(&mut self, count: usize) -> io::Result<Vec<ReportRow>> {
        let mut rows = Vec::with_capacity(count);
        for id in self.dataset.reissued_order_ids() {
            if rows.len() == count {
                break;
            }
            let Some(row) = self.dataset.report_row(id) else {
                continue;
            };
            let earlier_valid = self
                .dataset
                .certificates(id)
                .get(1)
                .is_some_and(|earlier| earlier.valid_till >= self.today);
            // The current certificate may be valid from a day after the reference time.
            let named = !self.used.contains(&id) && Self::host_name(&row).is_some();
            if row.status == OrderStatus::Issued && named && earlier_valid {
                self.used.insert(id);
                rows.push(row);
            }
        }
        while rows.len() < count {
            let row = self.fresh()?;
            if !self.dataset.reissue(row.order_id) {
                return Err(too_few("orders to reissue"));
            }
            let reissued = self.dataset.report_row(row.order_id);
            rows.push(reissued.ok_or_else(|| too_few("orders to reissue"))?);
        }
        Ok(rows)
    }
}
