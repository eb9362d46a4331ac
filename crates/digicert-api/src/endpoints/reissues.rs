//! `GET /order/certificate/{order_id}/reissue`: the reissues of an order.

use digicert_model::{DecodeError, Reissues, decode_json};

use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;

/// The reissues request for one order id.
pub(crate) struct ReissuesRequest(pub(crate) u64);

impl Endpoint for ReissuesRequest {
    type Output = Reissues;
    const NAME: &'static str = "reissues";
    const FORMAT: Format = Format::Json;

    fn target(&self) -> Result<Target, Error> {
        Ok(Target {
            path: format!("/order/certificate/{}/reissue", self.0),
            query: Vec::new(),
        })
    }

    fn decode(&self, body: Vec<u8>) -> Result<Reissues, DecodeError> {
        decode_json(&body)
    }
}
