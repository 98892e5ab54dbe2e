//! `sites.csv`: per-site and per-phase results for a spreadsheet, one row per power phase.
//!
//! One flat table with no blank cells, so it filters and pivots as it is: each row is one phase
//! (its MW, planned date and energization date P10/P50/P90) with its site's columns (id, name,
//! region, total MW and racks online at the deadline P10/P50/P90) repeated. Filter `phase = 1`
//! for one row per site; sum `phase_mw`, not the per-site columns.

use std::io::Write;

use super::ExportError;
use super::csv::format_number;
use crate::stats::{Accumulator, RunInfo, date_after};

/// The columns of `sites.csv`, in order.
pub const SITES_COLUMNS: [&str; 13] = [
    "site",
    "name",
    "region",
    "site_mw",
    "racks_online_at_deadline_p10",
    "racks_online_at_deadline_p50",
    "racks_online_at_deadline_p90",
    "phase",
    "phase_mw",
    "planned_date",
    "energized_p10",
    "energized_p50",
    "energized_p90",
];

/// Writes `sites.csv` from a run's accumulator: percentiles as in `summary.json` (type 7 over
/// the trials), energization dates rounded to the day (a percentile may fall after the horizon:
/// delays are drawn whole, so it is still dated), racks to 0.1.
pub fn write_sites_csv(
    acc: &Accumulator,
    info: &RunInfo,
    w: impl Write,
) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(SITES_COLUMNS)?;
    let percentiles = [0.1, 0.5, 0.9];
    let mut phase_index = 0;
    for (i, site) in info.sites.iter().enumerate() {
        let racks = acc
            .site_online_racks(i)
            .quantiles(&percentiles)
            .unwrap_or_else(|| vec![0.0; 3]);
        let site_mw: f64 = site.phases.iter().map(|&(mw, _)| mw).sum();
        for (k, &(mw, planned)) in site.phases.iter().enumerate() {
            let h = acc.phase_energized_day(phase_index);
            phase_index += 1;
            let dates = h
                .quantiles(&percentiles)
                .map(|q| q.iter().map(|&d| date_after(info.start, d)).collect())
                .unwrap_or_else(|| vec![String::new(); 3]);
            let mut record = vec![
                site.id.clone(),
                site.name.clone(),
                site.region.clone(),
                format_number(site_mw),
            ];
            record.extend(
                racks
                    .iter()
                    .map(|&r| format_number((r * 10.0).round() / 10.0)),
            );
            record.extend([(k + 1).to_string(), format_number(mw), planned.to_string()]);
            record.extend(dates);
            out.write_record(&record)?;
        }
    }
    out.flush()?;
    Ok(())
}
