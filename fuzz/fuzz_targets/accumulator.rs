//! An encoded accumulator (the inflated block of a partial, past its checksum) in, never a
//! panic or a runaway allocation out: any bytes are refused, or decode into an accumulator that
//! merges with itself and yields its daily percentiles.
#![no_main]

use capsim::stats::{Accumulator, daily_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(acc) = Accumulator::decode(data) else {
        return;
    };
    let mut merged = acc.clone();
    if merged.check_merge(&acc).is_ok() {
        merged.merge(&acc);
    }
    let start = jiff::civil::date(2026, 1, 5);
    let _ = daily_rows(&merged, start);
});
