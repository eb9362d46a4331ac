//! The TLS endpoints `serve` probes while Prometheus watches: the mock's demo sites (nodes
//! serving a current, a stale, an unknown, an expired and a wrong-name certificate, all on
//! loopback), one more site serving a certificate that expires within a week, and a port
//! where nothing listens (the probe fails). Every name goes through `--resolve`, and the
//! mock's CA is trusted with `--ca-cert`.

use std::net::Ipv4Addr;
use std::path::Path;

use digicert_api::model::OrderStatus;
use digicert_mock::{DemoEndpoints, DemoState, MockCa, MockServer, TlsEndpoints, TlsEntry};

/// Where nothing listens: the probe of it fails.
pub const UNREACHABLE: &str = "127.0.0.1:9";
/// The address of the node serving the certificate that expires soon.
const SOON_NODE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 40);

/// The endpoints, running until dropped, and what `serve` needs to probe them.
pub struct Probed {
    _demo: DemoEndpoints,
    _soon: TlsEndpoints,
    /// The targets file's text: one `name:port` a line.
    pub targets: String,
    /// `--resolve` entries pointing each name at its nodes.
    pub resolves: Vec<String>,
    /// The addresses of the nodes that serve a certificate in each state.
    pub nodes: Vec<(Ipv4Addr, DemoState)>,
    /// The address of the node whose certificate expires within a week.
    pub soon: String,
}

impl Probed {
    /// Starts the endpoints for the orders of `server` (the demo reissues some of them, so
    /// start them before the first sync).
    pub fn start(server: &MockServer) -> Self {
        let demo = server.start_demo_endpoints().unwrap();
        let taken: Vec<&str> = demo.sites().iter().map(|site| site.name.as_str()).collect();
        let (name, order_id) = expiring_soon(server, &taken);
        let certificate = server.certificate(order_id).unwrap();
        let soon = TlsEndpoints::start_background(vec![
            TlsEntry::for_certificate(SOON_NODE, &certificate).unwrap(),
        ])
        .unwrap();
        let mut targets: String = demo
            .sites()
            .iter()
            .map(|site| format!("{}:{}\n", site.name, site.port))
            .collect();
        targets.push_str(&format!("{name}:{}\n{UNREACHABLE}\n", soon.port()));
        let mut resolves = demo.resolves();
        resolves.push(soon.resolve(&name, &[SOON_NODE]));
        let nodes = demo
            .sites()
            .iter()
            .flat_map(|site| &site.nodes)
            .map(|node| (node.addr, node.expected))
            .collect();
        Self {
            _demo: demo,
            _soon: soon,
            targets,
            resolves,
            nodes,
            soon: SOON_NODE.to_string(),
        }
    }

    /// How many endpoints (addresses) are probed.
    pub fn count(&self) -> usize {
        self.nodes.len() + 2
    }

    /// The address of a node serving a certificate in `state`.
    pub fn node(&self, state: DemoState) -> String {
        let (addr, _) = self.nodes.iter().find(|(_, s)| *s == state).unwrap();
        addr.to_string()
    }
}

/// The mock's CA as a file for `--ca-cert`, in `dir`.
pub fn ca_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("mock-ca.pem");
    std::fs::write(&path, MockCa::get().unwrap().certificate_pem()).unwrap();
    path
}

/// An issued order of `server` whose certificate expires in two to ten days, with a host
/// name that is none of `taken`: its name and id.
fn expiring_soon(server: &MockServer, taken: &[&str]) -> (String, u64) {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today + chrono::Days::new(2), today + chrono::Days::new(10));
    server
        .dataset()
        .order_ids()
        .find_map(|id| {
            let row = server.dataset().report_row(id)?;
            let name = row.common_name?.to_ascii_lowercase();
            let till = row.valid_till?;
            let fits = row.status == OrderStatus::Issued
                && (from..=to).contains(&till)
                && !name.contains('*')
                && !taken.contains(&name.as_str());
            fits.then_some((name, id))
        })
        .expect("an issued order expiring within ten days")
}
