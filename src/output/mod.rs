//! Exporters: turn a [`Summary`](crate::stats::Summary) and daily rows into bytes (JSON, CSV, a
//! terminal table). They write into any `io::Write`; only the CLI decides where files go and
//! makes their writing atomic.

mod backtest;
mod compare;
mod csv;
mod json;
mod sensitivity;
mod sites;
mod solve;
mod sweep;
mod table;
mod trace;

pub use crate::numeric::thousands;
pub use backtest::{
    observed_metric_label, observed_site_label, render_backtest_table, write_backtest_csv,
};
pub use compare::{render_compare_table, write_compare_csv, write_compare_json};
pub use csv::{TrialsCsv, headline_cells, headline_columns, trials_site_column, write_daily_csv};
pub use json::write_summary_json;
pub use sensitivity::{render_sensitivity_table, write_sensitivity_csv, write_sensitivity_json};
pub use sites::{SITES_COLUMNS, write_sites_csv};
pub use solve::{answer_line, render_solve_table, write_solve_csv, write_solve_json};
pub use sweep::{render_sweep_table, write_sweep_csv, write_sweep_json};
pub use table::{percent, render_table};
pub use trace::{TRACE_COLUMNS, render_trace_summary, write_trace_csv};

/// What can go wrong while exporting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// CSV encoding failed.
    #[error(transparent)]
    Csv(#[from] ::csv::Error),
    /// JSON encoding failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

#[cfg(test)]
mod tests;
