//! Scenario text in, never a panic out: any bytes either fail to load with an error, or load,
//! compile and run through the engine and the summary.
#![no_main]

use std::path::Path;

use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::stats::Summary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = capsim::scenario::parse(text, Path::new("fuzz.toml")) else {
        return;
    };
    let Ok(model) = Model::compile(&scenario) else {
        return;
    };
    let acc = engine::run(&model, &EngineConfig::new(3, 1, 1), RunHooks::default())
        .expect("a scenario that validates runs");
    let _ = Summary::new(&acc, &engine::run_info(&scenario, 1));
});
