//! IdP metadata parsing: import (select the one IdP, build the connection) and listing.
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fn now() -> DateTime<Utc> {
    static NOW: OnceLock<DateTime<Utc>> = OnceLock::new();
    *NOW.get_or_init(|| Utc.with_ymd_and_hms(2026, 1, 15, 10, 1, 0).single().expect("valid instant"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = handshake::metadata::import(&text, None, now());
    let _ = handshake::metadata::list_idps(&text);
});
