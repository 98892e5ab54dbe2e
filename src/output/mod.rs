//! Exporters: turn a [`Summary`](crate::stats::Summary) and daily rows into bytes (JSON, CSV, a
//! terminal table). They write into any `io::Write`; only the CLI decides where files go and
//! makes their writing atomic.

mod backtest;
mod csv;
mod json;
mod table;

pub use crate::numeric::thousands;
pub use backtest::{
    observed_metric_label, observed_site_label, render_backtest_table, write_backtest_csv,
};
pub use csv::{TrialsCsv, headline_cells, headline_columns, write_daily_csv};
pub use json::write_summary_json;
pub use table::{percent, render_table};

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
