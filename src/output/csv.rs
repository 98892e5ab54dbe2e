//! `daily.csv` and `trials.csv`: tidy tables with one header row, loadable by pandas, R or a
//! spreadsheet with no options. The per-metric and per-cause columns are named by the schema
//! ([`Metric`], [`DailyStat`], [`Bottleneck`]); `docs/outputs.md` lists them.

use std::io::Write;

use jiff::civil::Date;

use super::ExportError;
use crate::stats::{
    Bottleneck, BottleneckShare, DailyRow, DailyStat, FullCapacityDate, GpuDistribution, Metric,
    Proportion, REACHED_TARGET_COLUMN, TrialOutcome, site_online_column,
};

/// The headline columns one run contributes to `compare.csv` and `sweep.csv`, the first
/// (P(target by deadline)) named `p_target_name`, the last ones each cause's share of the
/// missing GPU-days ([`Bottleneck::share_column`]).
pub fn headline_columns(p_target_name: &str) -> Vec<String> {
    let mut columns: Vec<String> = [
        p_target_name,
        "p_target_ci95_low",
        "p_target_ci95_high",
        "full_capacity_p10",
        "full_capacity_p50",
        "full_capacity_p90",
        "never_fraction",
        "available_gpus_mean",
        "available_gpus_p10",
        "available_gpus_p50",
        "available_gpus_p90",
    ]
    .map(String::from)
    .into();
    columns.extend(Bottleneck::ALL.map(Bottleneck::share_column));
    columns
}

/// One run's cells under [`headline_columns`]; a date that never comes is an empty cell.
pub fn headline_cells(
    p: &Proportion,
    f: &FullCapacityDate,
    a: &GpuDistribution,
    b: &BottleneckShare,
) -> Vec<String> {
    let date = |d: &Option<String>| d.clone().unwrap_or_default();
    let mut cells: Vec<String> = [p.estimate, p.ci95_low, p.ci95_high]
        .map(|v| v.to_string())
        .into();
    cells.extend([date(&f.p10), date(&f.p50), date(&f.p90)]);
    cells.extend([f.never_fraction, a.mean, a.p10, a.p50, a.p90].map(|v| v.to_string()));
    cells.extend(Bottleneck::ALL.map(|k| b.get(k).to_string()));
    cells
}

/// Writes one row per day: `date`, then for each metric each statistic ([`Metric::column`]:
/// `<metric>_mean`, `<metric>_p5` … `<metric>_p95`; the `shortfall_<kind>_gpus` metrics split
/// the missing GPUs by cause), then `reached_target_share`, then `site_<id>_online_gpus_mean`
/// for each site (ids in scenario order, one per entry of each row's `site_online_gpus_mean`).
pub fn write_daily_csv(
    rows: &[DailyRow],
    site_ids: &[String],
    w: impl Write,
) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    let mut header = vec!["date".to_string()];
    for m in Metric::ALL {
        header.extend(DailyStat::ALL.map(|stat| m.column(stat)));
    }
    header.push(REACHED_TARGET_COLUMN.to_string());
    header.extend(site_ids.iter().map(|id| site_online_column(id)));
    out.write_record(&header)?;
    let mut record = Vec::with_capacity(header.len());
    for row in rows {
        record.clear();
        record.push(row.date.to_string());
        for values in &row.metrics {
            record.extend(values.iter().map(|v| format_number(*v)));
        }
        record.push(format_number(row.reached_target));
        record.extend(row.site_online_gpus_mean.iter().map(|v| format_number(*v)));
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// Numbers as short as they can be without losing precision that matters: integers stay
/// integers, other values keep 6 significant decimals.
pub(super) fn format_number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The `trials.csv` column of site `id`'s racks online at the end of the deadline day, named
/// like the file's per-site inputs (`install_racks_per_day.<site>`):
/// `racks_online_at_deadline.<site>`.
pub fn trials_site_column(id: &str) -> String {
    format!("racks_online_at_deadline.{id}")
}

/// Streams `trials.csv`: one row per trial with its sampled inputs and outcomes.
#[derive(Debug)]
pub struct TrialsCsv<W: Write> {
    out: ::csv::Writer<W>,
    start: Date,
    deadline_day: u32,
}

impl<W: Write> TrialsCsv<W> {
    /// Writes the header: `trial`, the input columns, then `full_capacity_date`,
    /// `met_target_by_deadline`, `online_gpus_at_deadline`, `available_gpus_at_deadline`,
    /// `delivered_gpus_at_deadline`, `gpu_days_short_<kind>` for each cause of missing GPUs
    /// (missing GPUs summed over the days up to the deadline), then
    /// `racks_online_at_deadline.<site>` for each of `site_ids` ([`trials_site_column`]).
    pub fn new(
        w: W,
        input_names: &[String],
        site_ids: &[String],
        start: Date,
        deadline_day: u32,
    ) -> Result<Self, ExportError> {
        let mut out = ::csv::Writer::from_writer(w);
        let mut header = vec!["trial".to_string()];
        header.extend(input_names.iter().cloned());
        header.extend(
            [
                "full_capacity_date",
                "met_target_by_deadline",
                "online_gpus_at_deadline",
                "available_gpus_at_deadline",
                "delivered_gpus_at_deadline",
            ]
            .map(String::from),
        );
        header.extend(Bottleneck::ALL.map(Bottleneck::gpu_days_column));
        header.extend(site_ids.iter().map(|id| trials_site_column(id)));
        out.write_record(&header)?;
        Ok(TrialsCsv {
            out,
            start,
            deadline_day,
        })
    }

    /// Writes one trial's row.
    pub fn write(&mut self, trial: u64, o: &TrialOutcome) -> Result<(), ExportError> {
        let mut record = vec![trial.to_string()];
        record.extend(o.inputs.iter().map(|v| format_number(*v)));
        record.push(
            o.full_capacity_day
                .and_then(|d| {
                    self.start
                        .checked_add(jiff::Span::new().days(i64::from(d)))
                        .ok()
                })
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        let met = o.full_capacity_day.is_some_and(|d| d <= self.deadline_day);
        record.push(u8::from(met).to_string());
        record.push(o.online_gpus_at_deadline.to_string());
        record.push(o.available_gpus_at_deadline.to_string());
        record.push(o.delivered_gpus_at_deadline.to_string());
        record.extend(o.shortfall_gpu_days.iter().map(|d| d.to_string()));
        record.extend(
            o.site_online_racks_at_deadline
                .iter()
                .map(|r| r.to_string()),
        );
        self.out.write_record(&record)?;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> Result<W, ExportError> {
        self.out
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::{format_number, headline_columns};

    #[test]
    fn headline_columns_keep_their_names_and_order() {
        let expected = "p_target,p_target_ci95_low,p_target_ci95_high,full_capacity_p10,\
                        full_capacity_p50,full_capacity_p90,never_fraction,available_gpus_mean,\
                        available_gpus_p10,available_gpus_p50,available_gpus_p90,\
                        bottleneck_supply_share,bottleneck_power_share,bottleneck_install_share,\
                        bottleneck_space_share,bottleneck_bring_up_share";
        assert_eq!(headline_columns("p_target").join(","), expected);
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
        assert_eq!(format_number(-2.5), "-2.5");
    }
}
