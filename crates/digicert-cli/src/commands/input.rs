//! `--input`: an order report CSV exported from CertCentral, or stdin for `-`.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use digicert_api::model::ReportReader;

use crate::error::CliError;

/// Rows of an exported report file, or of stdin for `-`.
pub fn read_report(path: &Path) -> Result<ReportReader<Box<dyn Read>>, CliError> {
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(open_input(path)?)
    };
    Ok(ReportReader::new(input)?)
}

/// Opens an `--input` file; a file that cannot be opened is refused input (exit 2),
/// with its path and the reason.
fn open_input(path: &Path) -> Result<File, CliError> {
    let refused = |reason: String| CliError::Usage(format!("--input {}: {reason}", path.display()));
    let reason = |err: io::Error| match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    };
    let metadata = std::fs::metadata(path).map_err(|err| refused(reason(err)))?;
    if metadata.is_dir() {
        return Err(refused("is a directory".to_owned()));
    }
    File::open(path).map_err(|err| refused(reason(err)))
}
