//! `decode_json::<OrderInfo>` on arbitrary bytes: no panic, and a lossless JSON round trip.

#![no_main]

use digicert_model::OrderInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| digicert_model_fuzz::json_round_trip::<OrderInfo>(data));
