//! The values options name: output formats, HTTP backends, CertCentral instances.

use clap::ValueEnum;
use serde::Deserialize;

/// CertCentral instances, as `--region` and the config file's `region` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// https://www.digicert.com/services/v2
    Us,
    /// https://certcentral.digicert.eu/services/v2
    Eu,
}

impl From<Region> for digicert_api::Region {
    fn from(region: Region) -> Self {
        match region {
            Region::Us => Self::Us,
            Region::Eu => Self::Eu,
        }
    }
}

/// HTTP backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// ureq, one request at a time.
    Blocking,
    /// reqwest on tokio, pages fetched concurrently.
    Async,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns of the fields a person scans first.
    Table,
    /// One JSON document: an array for lists, an object for one order.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV; report rows keep all the report's columns.
    Csv,
}
