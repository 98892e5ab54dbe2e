//! Analyses that answer a question by running a scenario more than once: each takes a typed
//! request and returns a typed result; nothing here prints or writes files.

pub mod constraint_costs;

pub use constraint_costs::{constraint_costs, describe};
