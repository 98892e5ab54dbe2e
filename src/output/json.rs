//! `summary.json`: the [`Summary`] as pretty-printed JSON with a trailing newline.

use std::io::Write;

use super::ExportError;
use crate::stats::Summary;

/// Writes `summary` as JSON.
pub fn write_summary_json(summary: &Summary, mut w: impl Write) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut w, summary)?;
    w.write_all(b"\n")?;
    Ok(())
}
