//! A partial result file in, never a panic out: any bytes are refused with an error, or read
//! (header, stored scenarios, body) and then merged and summarised as `capsim merge` would.
#![no_main]

use std::path::Path;

use capsim::shard;
use capsim::stats::daily_rows;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.capsim");
    let mut r = data;
    let Ok(header) = shard::read_header(&mut r, path) else {
        return;
    };
    let Ok(runs) = shard::stored_runs(&header, path) else {
        return;
    };
    let layouts: Vec<_> = runs.iter().map(|run| run.layout.clone()).collect();
    let Ok(bodies) = shard::read_body_for(&mut r, &header, path, &layouts) else {
        return;
    };
    for (run, body) in runs.iter().zip(&bodies) {
        let mut merged = body.accumulator.clone();
        if merged.check_merge(&body.accumulator).is_ok() {
            merged.merge(&body.accumulator);
        }
        let _ = daily_rows(&merged, run.scenario.start);
    }
});
