//! capsim: a Monte Carlo simulator for AI compute build-outs.
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod engine;
pub mod model;
pub mod output;
pub mod scenario;
pub mod stats;
