//! `capsim plot`: redraws the charts and report of any results folder without re-simulating.

use anyhow::Result;
use capsim::results;

use super::args::PlotArgs;
use super::common::to_stdout;

/// `capsim plot`: redraws the charts and `report.html` of a results folder
/// ([`results::redraw`]).
pub(crate) fn plot(args: PlotArgs) -> Result<()> {
    let options = args.chart.options()?;
    let redrawn = results::redraw(&args.out_dir, &options)?;
    for note in &redrawn.skipped {
        eprintln!("note: {note}");
    }
    let charts = args.out_dir.join("charts");
    let report = match &redrawn.report {
        Some(page) => format!(" and {}", page.display()),
        None => String::new(),
    };
    Ok(to_stdout(|w| {
        writeln!(
            w,
            "Wrote {} charts to {}{report} (a {} folder)",
            redrawn.charts.len(),
            charts.display(),
            redrawn.kind
        )
    })?)
}
