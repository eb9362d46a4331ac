//! The order report CSV on arbitrary bytes: `ReportReader` (iterator and
//! `read_row_into`) never panics and agrees with itself, and every decoded row
//! survives `ReportWriter` and JSON unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| digicert_model_fuzz::report_round_trip(data));
