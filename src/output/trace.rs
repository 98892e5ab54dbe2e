//! `trace-<TRIAL>.csv`: one traced trial, one row per day per site ([`Trace`]).

use std::io::Write;

use jiff::civil::Date;

use super::ExportError;
use super::csv::format_number;
use crate::analysis::Trace;
use crate::numeric::thousands;
use crate::stats::Bottleneck;

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

/// A few lines on a traced trial for the terminal: whether it met the target, its online GPUs
/// at the deadline, then per site its racks online at the deadline and the days each
/// constraint held it from the start through the deadline ([`Trace::held_days_to_deadline`]).
pub fn render_trace_summary(trace: &Trace, target_gpus: u64, start: Date) -> String {
    let o = &trace.outcome;
    let reached = match o.full_capacity_day {
        Some(d) if d as usize <= trace.deadline_day => "met the target",
        _ => "missed the target",
    };
    let full = o
        .full_capacity_day
        .and_then(|d| start.checked_add(jiff::Span::new().days(i64::from(d))).ok())
        .map_or("not within the horizon".to_string(), |d| d.to_string());
    let mut out = format!(
        "Trial {} {reached}: {} of {} GPUs online at the deadline; full capacity {full}\n",
        trace.trial,
        thousands(o.online_gpus_at_deadline as f64),
        thousands(target_gpus as f64),
    );
    out.push_str("Days each constraint held each site, from the start through the deadline:\n");
    let width = trace
        .site_ids
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max(4);
    let mut header = format!("  {:<width$}  racks@deadline", "site");
    for b in Bottleneck::NEAREST_TO_ONLINE_FIRST {
        header.push_str(&format!(" {:>9}", b.name().replace('_', "-")));
    }
    header.push_str(&format!(" {:>9}\n", "none"));
    out.push_str(&header);
    let deadline = trace.deadline_day.min(trace.days().saturating_sub(1));
    for (i, id) in trace.site_ids.iter().enumerate() {
        let days = trace.held_days_to_deadline(i);
        let mut line = format!(
            "  {id:<width$}  {:>14}",
            thousands(trace.site_day(deadline, i).racks_online as f64),
        );
        for b in Bottleneck::NEAREST_TO_ONLINE_FIRST {
            line.push_str(&format!(" {:>9}", days[b as usize]));
        }
        line.push_str(&format!(" {:>9}\n", days[Bottleneck::COUNT]));
        out.push_str(&line);
    }
    out
}
