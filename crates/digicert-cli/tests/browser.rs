//! The page in a real browser: headless Chromium driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`; `.ci/chromium.sh` installs them). One test does every step, so
//! the browser starts once per run: the page loads from a served inventory, its script
//! runs under the Content-Security-Policy and sorts a table in place, the search finds an
//! order by a pasted thumbprint, the order page shows its history, the hostile common name
//! is inert text, and the page fits a phone's width. Screenshots go to
//! `target/screenshots/` for a person to look at.
//!
//! Without chromedriver the test says so and passes; with `CI=true` that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use digicert_mock::{DemoEndpoints, MockCa, MockServer};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use support::db::TestDb;
use support::hostile::{HOSTILE, mock_with_a_hostile_name, pasted};
use support::served::{Served, get};
use support::{KEY, command};

/// The first of these found on the PATH.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(binary: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the screenshots go: `target/screenshots/`.
fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn snap(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

#[test]
fn the_page_in_headless_chromium() {
    let Some(driver) = find(&["chromedriver"]) else {
        let ci = std::env::var("CI").is_ok_and(|ci| ci == "true");
        assert!(
            !ci,
            "chromedriver is not installed, and CI=true: .ci/run must install chromium-driver"
        );
        eprintln!(
            "skipping: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let (server, id, thumbprint) = mock_with_a_hostile_name();
    let db = TestDb::file();
    // The demo's endpoints probed first, so that the page has endpoints to look at.
    let demo = server.start_demo_endpoints().unwrap();
    probe_demo(&server, &demo, &db);
    let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "2s", &[]);
    let addr = served.addr.clone();
    served.wait_until("a sync", || get(&addr, "/healthz").status == 200);
    let driver = Driver::start(&driver);
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut options = json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1400",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if let Some(chromium) = find(&["chromium", "chromium-browser"]) {
            options["binary"] = json!(chromium);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap();
        let base = format!("http://{addr}");
        overview(&client, &base, id).await;
        // A reissue, so the order's history has two entries when the browser looks again.
        assert!(server.reissue(id));
        let order_path = format!("/orders/default/{id}");
        served.wait_until("the reissue synced", || {
            get(&addr, &order_path).body.contains(">earlier<")
        });
        let new_thumbprint = server
            .dataset()
            .report_row(id)
            .and_then(|row| row.thumbprint)
            .unwrap()
            .to_lowercase();
        assert_ne!(new_thumbprint, thumbprint);
        search_and_order(&client, &base, id, &new_thumbprint).await;
        client.close().await.unwrap();
    });
}

/// Syncs `db` from `server` and probes the demo's endpoints into it.
fn probe_demo(server: &MockServer, demo: &DemoEndpoints, db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, MockCa::get().unwrap().certificate_pem()).unwrap();
    let digicert = |args: &[String]| {
        let status = command()
            .args(["--base-url", server.base_url(), "--api-key", KEY, "--db"])
            .arg(db.path())
            .args(["-q", "--no-rate-limit"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}");
    };
    digicert(&["sync".to_owned()]);
    let mut probe = vec![
        "probe".to_owned(),
        "--ca-cert".to_owned(),
        ca.display().to_string(),
    ];
    for site in demo.sites() {
        probe.push(format!("{}:{}", site.name, site.port));
        probe.extend(["--resolve".to_owned(), site.resolve()]);
    }
    digicert(&probe);
}

/// The overview, its script and the hostile name.
async fn overview(client: &Client, base: &str, id: u64) {
    // The overview, its script loaded under the page's policy.
    client.goto(&format!("{base}/")).await.unwrap();
    assert!(
        client
            .title()
            .await
            .unwrap()
            .starts_with("Certificate inventory")
    );
    let heading = client.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Certificate inventory");
    // The hostile name: a link whose text is the name, no element of its making, no
    // script but the page's own, and no alert (any command would fail with one open).
    let link = client.find(Locator::LinkText(HOSTILE)).await.unwrap();
    assert_eq!(
        link.attr("href").await.unwrap(),
        Some(format!("/orders/default/{id}"))
    );
    let scripts = client
        .execute(
            "return Array.from(document.scripts).map(s => s.src)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(scripts, json!([format!("{base}/assets/sort.js")]));
    // The probe's endpoints to look at: stale and unknown among them.
    let endpoints = client
        .find(Locator::Css("#endpoints tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        endpoints.contains("stale") && endpoints.contains("unknown"),
        "{endpoints}"
    );
    snap(client, "overview.png").await;

    // The script sorts in place: no navigation, the header says how.
    let header = client
        .find(Locator::Css("#expiring thead th:nth-child(2)"))
        .await
        .unwrap();
    assert_eq!(
        header.attr("aria-sort").await.unwrap().as_deref(),
        Some("none")
    );
    header
        .find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        header.attr("aria-sort").await.unwrap().as_deref(),
        Some("ascending")
    );
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{base}/")
    );
    // The filter narrows the rows as one types.
    let filter = client.find(Locator::Id("expiring-filter")).await.unwrap();
    filter.send_keys("alert(1)").await.unwrap();
    let visible = client
        .execute(
            "return Array.from(document.querySelectorAll('#expiring tbody tr')).filter(r => !r.hidden).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(visible, json!(1));
}

/// The search by a pasted thumbprint, the order page, and a phone's width.
async fn search_and_order(client: &Client, base: &str, id: u64, thumbprint: &str) {
    client.goto(&format!("{base}/")).await.unwrap();
    // The search box, with the thumbprint as pasted from a certificate viewer.
    let search = client.find(Locator::Id("q")).await.unwrap();
    search.send_keys(&pasted(thumbprint)).await.unwrap();
    client
        .find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let found = client
        .wait()
        .for_element(Locator::Css(&format!(
            "#results a[href='/orders/default/{id}']"
        )))
        .await
        .unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/search")
    );
    snap(client, "search.png").await;

    // The order page: its history, both certificates, the name as text in the heading.
    found.click().await.unwrap();
    client
        .wait()
        .for_element(Locator::Id("history"))
        .await
        .unwrap();
    let rows = client
        .find_all(Locator::Css("#history tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "two statuses seen: issued, then issued again with a new certificate"
    );
    let which: Vec<String> = futures_text(
        &client
            .find_all(Locator::Css("#certificates tbody td:nth-child(2)"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(which, ["current", "earlier"]);
    let title = client.find(Locator::Css("h1 .sub")).await.unwrap();
    assert_eq!(title.text().await.unwrap(), HOSTILE);
    snap(client, "order.png").await;

    // A phone's width: nothing wider than the screen but the tables' own scrolling boxes.
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("{base}/")).await.unwrap();
    let fits = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true));
    snap(client, "overview-phone.png").await;
}

async fn futures_text(elements: &[fantoccini::elements::Element]) -> Vec<String> {
    let mut texts = Vec::new();
    for element in elements {
        texts.push(element.text().await.unwrap());
    }
    texts
}
