//! `digicert order`: one order, by order id, certificate thumbprint or serial number.

use std::io::Write;

use digicert_api::OrderRef;

use crate::error::CliError;
use crate::output::{hex, write_one};
use crate::settings::Settings;

/// The options of `digicert order`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert order 123456
  digicert order 21:B7:4C:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01
  digicert order --format json 0a1b2c3d4e5f60718293a4b5c6d7e8f9")]
pub struct Args {
    /// Order id, thumbprint or serial number; any case, colons and spaces allowed.
    reference: String,
}

/// Runs `digicert order`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let reference = OrderRef::parse(&args.reference)?;
    let connection = super::connect(settings)?;
    let order = connection.api.order_info(&reference)?;
    // CertCentral takes digits alone for an order id: a serial number written `0x...` or
    // `serial=...` must be the answer's certificate's, or no order has it.
    let certificate = order.certificate.as_ref();
    let has = |value: Option<&String>| value.is_some_and(|value| hex(value) == reference.as_str());
    if reference.is_certificate()
        && !certificate.is_some_and(|c| has(c.serial_number.as_ref()) || has(c.thumbprint.as_ref()))
    {
        return Err(CliError::NotFound(format!(
            "no order's certificate has the serial number or thumbprint {} (a `0x` or `serial=` \
             reference is never an order id)",
            reference.as_str()
        )));
    }
    Ok(write_one(settings.format, &order, out)?)
}
