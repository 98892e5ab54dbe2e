//! Analyses that answer a question by running a scenario more than once, or by setting its
//! results against something else: each takes a typed request and returns a typed result;
//! nothing here prints or writes files.

pub mod backtest;
pub mod constraint_costs;

pub use backtest::backtest;
pub use constraint_costs::{constraint_costs, describe};
