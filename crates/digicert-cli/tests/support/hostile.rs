//! The mock with a hostile common name on an order that expires soon, for the page tests
//! and the browser test.

use chrono::Utc;
use digicert_mock::{MockConfig, MockServer};

use super::KEY;

/// The common name the test gives an order in CertCentral.
pub const HOSTILE: &str = "<script>alert(1)</script>";
/// How it must appear in the HTML: escaped.
pub const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// The mock, with one issued order that expires within 30 days renamed to [`HOSTILE`];
/// and that order's id and thumbprint.
pub fn mock_with_a_hostile_name() -> (MockServer, u64, String) {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(400))
            .unwrap();
    let today = Utc::now().date_naive();
    let dataset = server.dataset();
    let (id, thumbprint) = dataset
        .order_ids()
        .find_map(|id| {
            let row = dataset.report_row(id)?;
            let soon = row
                .valid_till
                .is_some_and(|till| till >= today && (till - today).num_days() <= 30);
            let thumbprint = row.thumbprint?.to_lowercase();
            (row.status.as_str() == "issued" && soon).then_some((id, thumbprint))
        })
        .unwrap();
    assert!(server.rename(id, HOSTILE));
    (server, id, thumbprint)
}

/// The thumbprint as a person pastes it from a certificate viewer: upper case, colons.
pub fn pasted(thumbprint: &str) -> String {
    thumbprint
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}
