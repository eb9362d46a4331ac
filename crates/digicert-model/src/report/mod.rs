//! `GET /report/order`: the CSV order report, read and written one row at a time.

mod extra;
mod reader;
mod record;
mod row;
mod value;
mod writer;

pub use extra::ReportExtra;
pub use reader::ReportReader;
pub use record::ReportRecord;
pub use row::{COLUMNS, ReportRow};
pub use writer::ReportWriter;
