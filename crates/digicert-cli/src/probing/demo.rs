//! `--demo` for the probe: the demo server's TLS endpoints (a few names of its orders, served
//! current, stale, unknown, expired and wrong-name certificates on loopback, one answering
//! with a TLS alert, one refusing connections), the inventory synced from that same server,
//! and the probe pointed at the endpoints and trusting the demo's CA. Nothing is dialled but
//! loopback.

use digicert_probe::{Options, Resolve, Target};

use crate::error::CliError;
use crate::settings::Settings;
use crate::store::Inventory;

#[cfg(feature = "demo")]
pub use with_mock::Demo;
#[cfg(not(feature = "demo"))]
pub use without_mock::Demo;

#[cfg(feature = "demo")]
mod with_mock {
    use digicert_inventory::SyncOptions;
    use digicert_mock::{DemoEndpoints, MockCa};

    use super::*;
    use crate::client::{self, Connection};

    /// The demo's endpoints and the server whose orders they serve.
    pub struct Demo {
        endpoints: DemoEndpoints,
        /// The demo server's client, kept alive with the server while the probe runs.
        _connection: Connection,
    }

    impl Demo {
        /// Starts the demo server and its endpoints (reissuing a few orders, so that some
        /// endpoints serve earlier certificates), and syncs the inventory from it whole.
        pub fn start(settings: &Settings, inventory: &mut Inventory) -> Result<Self, CliError> {
            let connection = client::connect(settings.client()?)?;
            let server = connection
                .demo_server()
                .ok_or_else(|| CliError::Usage("--demo started no demo server".to_owned()))?;
            let endpoints = server.start_demo_endpoints()?;
            connection
                .api
                .sync_inventory(inventory, &SyncOptions::new().full(true))?;
            Ok(Self {
                endpoints,
                _connection: connection,
            })
        }

        /// The demo's names, on the endpoints' port.
        pub fn targets(&self) -> Result<Vec<Target>, CliError> {
            self.endpoints
                .sites()
                .iter()
                .map(|site| {
                    Target::parse(&format!("{}:{}", site.name, site.port), site.port)
                        .map_err(|err| CliError::Usage(err.to_string()))
                })
                .collect()
        }

        /// `options` with the names pointed at the endpoints' nodes and the demo's CA trusted.
        pub fn options(&self, mut options: Options) -> Result<Options, CliError> {
            for entry in self.endpoints.resolves() {
                let entry =
                    Resolve::parse(&entry).map_err(|err| CliError::Usage(err.to_string()))?;
                options = options.with_resolve(entry);
            }
            let ca = MockCa::get().map_err(|err| CliError::Usage(err.to_string()))?;
            options
                .with_root_certificates_pem(ca.certificate_pem().as_bytes())
                .map_err(|err| CliError::Usage(err.to_string()))
        }
    }
}

#[cfg(not(feature = "demo"))]
mod without_mock {
    use super::*;

    /// Nothing: this binary has no demo server.
    pub enum Demo {}

    impl Demo {
        /// Refuses `--demo`: the fake CertCentral was not compiled in.
        pub fn start(_: &Settings, _: &mut Inventory) -> Result<Self, CliError> {
            Err(CliError::Usage(
                "--demo needs the `demo` feature, which this digicert was built without".to_owned(),
            ))
        }

        /// No targets.
        pub fn targets(&self) -> Result<Vec<Target>, CliError> {
            match *self {}
        }

        /// No options.
        pub fn options(&self, _: Options) -> Result<Options, CliError> {
            match *self {}
        }
    }
}
