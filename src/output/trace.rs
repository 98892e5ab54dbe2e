//! `trace-<TRIAL>.csv`: one traced trial, one row per day per site ([`Trace`]).

use std::io::Write;

use jiff::civil::Date;

use super::ExportError;
use super::csv::format_number;
use crate::analysis::Trace;

/// The columns of `trace-<TRIAL>.csv`, in order.
pub const TRACE_COLUMNS: [&str; 10] = [
    "date",
    "site",
    "phases_energized",
    "energized_mw",
    "racks_staged",
    "racks_installed",
    "racks_awaiting_power",
    "racks_in_bring_up",
    "racks_online",
    "held_by",
];

/// Writes `trace`'s rows: for each day from `start`, each site in scenario order; MW to 0.001,
/// `held_by` a cause's name as in `summary.json`'s `bottleneck_share` (`supply`, `power`,
/// `install`, `space`, `bring_up`) or `none`. `racks_installed` is every rack on the floor
/// (awaiting power + in bring-up + online).
pub fn write_trace_csv(trace: &Trace, start: Date, w: impl Write) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(TRACE_COLUMNS)?;
    let mut date = start;
    for day in 0..trace.days() {
        let date_text = date.to_string();
        for (i, id) in trace.site_ids.iter().enumerate() {
            let s = trace.site_day(day, i);
            let installed = s.racks_awaiting_power + s.racks_in_bring_up + s.racks_online;
            out.write_record([
                date_text.as_str(),
                id,
                &trace.phases_energized(day, i).to_string(),
                &format_number((s.energized_mw * 1000.0).round() / 1000.0),
                &s.racks_staged.to_string(),
                &installed.to_string(),
                &s.racks_awaiting_power.to_string(),
                &s.racks_in_bring_up.to_string(),
                &s.racks_online.to_string(),
                s.held_by.map_or("none", |b| b.name()),
            ])?;
        }
        date = date.tomorrow().unwrap_or(date);
    }
    out.flush()?;
    Ok(())
}
