//! Analyses that answer a question by running a scenario more than once, or by setting its
//! results against something else: each takes a typed request and returns a typed result;
//! nothing here prints or writes files.

pub mod backtest;
pub mod compare;
pub mod constraint_costs;
pub mod run;
pub mod sensitivity;
pub mod solve;
pub mod sweep;
pub mod trace;

pub use backtest::backtest;
pub use compare::{CompareRequest, CompareResult, compare};
pub use constraint_costs::{constraint_costs, describe};
pub use run::{RunRequest, RunResult, Simulated, run, simulate};
pub use sensitivity::{SensitivityRequest, SensitivityResult, sensitivity};
pub use solve::{SolveRequest, SolveResult, solve};
pub use sweep::{SweepRequest, SweepResult, sweep};
pub use trace::{EXAMPLE_TRIALS, Examples, Trace, trace, typical_examples};

use crate::engine::EngineError;
use crate::model::DistError;
use crate::scenario::ScenarioError;

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The engine failed or was cancelled.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A scenario (or a variant of one) is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A scenario could not be compiled.
    #[error("compiling the scenario")]
    Compile(#[from] DistError),
    /// The request itself cannot run (e.g. a precision target on a shard), explained in full.
    #[error("{0}")]
    Request(String),
}

impl AnalysisError {
    /// Whether the error is the caller's input (exit code 2 in the CLI) rather than a failure.
    pub fn is_input_error(&self) -> bool {
        matches!(self, AnalysisError::Scenario(_) | AnalysisError::Request(_))
    }
}
