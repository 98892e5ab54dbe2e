//! `capsim plot`: redraws the charts of a results folder without re-simulating.

use anyhow::Result;
use capsim::chart::{ChartData, ChartFormat};
use capsim::results::{self, ChartOptions};

use super::args::{PlotArgs, PlotFormat};
use super::common::{InputError, to_stdout};

/// `capsim plot`: redraws the charts of a results folder without re-simulating.
pub(crate) fn plot(args: PlotArgs) -> Result<()> {
    let data = ChartData::read_dir(&args.out_dir).map_err(|e| InputError(e.to_string()))?;
    let formats = match args.format {
        PlotFormat::Png => vec![ChartFormat::Png],
        PlotFormat::Svg => vec![ChartFormat::Svg],
        PlotFormat::Both => vec![ChartFormat::Png, ChartFormat::Svg],
    };
    // Each chart is replaced atomically; a plot killed midway leaves only temporary files,
    // removed here by the next one.
    results::remove_stale_temp_files(&args.out_dir.join("charts"));
    let options = ChartOptions {
        formats,
        size: (args.width, args.height),
        command: None,
    };
    let written = results::write_charts(&args.out_dir, &data, &options)?;
    let command = results::report::recorded_command(&args.out_dir);
    let report = results::write_run_report(&args.out_dir, command.as_deref())?;
    for note in &written.skipped {
        eprintln!("note: {note}");
    }
    let charts = args.out_dir.join("charts");
    Ok(to_stdout(|w| {
        writeln!(
            w,
            "Wrote {} charts to {} and {}",
            written.files.len(),
            charts.display(),
            report.display()
        )
    })?)
}
