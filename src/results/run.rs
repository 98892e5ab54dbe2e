//! A run's results folder: `summary.json`, `daily.csv`, `sites.csv`, `scenario.resolved.toml`,
//! the charts, `trace-<TRIAL>.csv` with its chart for each traced trial, the report's typical
//! examples in `examples/` and, streamed while the trials run, `trials.csv`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use tempfile::NamedTempFile;

use super::{
    ChartOptions, IoContext, ResultsError, WrittenCharts, publish, temp_in, write_atomic,
    write_charts, write_run_report,
};
use crate::analysis::{Examples, RunResult, Trace, typical_examples};
use crate::chart::{ChartData, TraceChart};
use crate::model::Model;
use crate::output::{self, TrialsCsv};
use crate::stats::TrialOutcome;

/// The files [`write_run`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct RunFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The charts.
    pub charts: WrittenCharts,
    /// `report.html`, written with the charts.
    pub report: Option<PathBuf>,
}

/// Writes `summary.json`, `daily.csv`, `sites.csv` and `scenario.resolved.toml` of `result`
/// into `dir`, then, when `charts` is given, its charts, the typical examples
/// ([`write_examples`]) and `report.html` (drawn from the files just written, as `capsim plot`
/// would redraw them).
pub fn write_run(
    dir: &Path,
    result: &RunResult,
    charts: Option<&ChartOptions>,
) -> Result<RunFiles, ResultsError> {
    let summary = result.summary();
    write_atomic(&dir.join("summary.json"), |w| {
        output::write_summary_json(&summary, w)
    })?;
    let rows = result.daily_rows();
    write_atomic(&dir.join("daily.csv"), |w| {
        output::write_daily_csv(&rows, &result.site_ids(), w)
    })?;
    let info = crate::engine::run_info(&result.scenario, result.seed);
    write_atomic(&dir.join("sites.csv"), |w| {
        output::write_sites_csv(&result.accumulator, &info, w)
    })?;
    write_atomic(&dir.join("scenario.resolved.toml"), |w| {
        Ok(w.write_all(result.resolved_toml.as_bytes())?)
    })?;
    let mut files = RunFiles {
        files: vec![
            "summary.json",
            "daily.csv",
            "sites.csv",
            "scenario.resolved.toml",
        ],
        charts: WrittenCharts::default(),
        report: None,
    };
    if let Some(options) = charts {
        let data = ChartData::read_dir(dir).map_err(|source| ResultsError::Chart {
            context: "reading the results back for the charts".into(),
            source,
        })?;
        files.charts = write_charts(dir, &data, options)?;
        let model = Model::compile(&result.scenario).map_err(|e| {
            ResultsError::Failed(format!("compiling the scenario to trace the examples: {e}"))
        })?;
        let examples = typical_examples(&model, result.seed, result.accumulator.trials());
        write_examples(
            dir,
            &examples,
            result.scenario.start,
            result.scenario.deadline,
        )?;
        files.files.push("examples/");
        files.report = Some(write_run_report(dir, options.command.as_deref())?);
    }
    Ok(files)
}

/// A run's `trials.csv` being streamed, one row per trial as the engine finishes it, into a
/// temporary file beside `path`: [`finish`](Self::finish) renames it into place, and dropped
/// unfinished it is removed.
#[derive(Debug)]
pub struct TrialsCsvFile {
    path: PathBuf,
    tmp: NamedTempFile,
    rows: TrialsCsv<BufWriter<File>>,
}

impl TrialsCsvFile {
    /// Starts `path` with the header of `model`'s columns; dates count from `start`.
    pub fn create(path: &Path, model: &Model, start: Date) -> Result<TrialsCsvFile, ResultsError> {
        let tmp = temp_in(path.parent().unwrap_or(Path::new(".")))?;
        let writing = || format!("writing {}", path.display());
        let file = tmp.reopen().context(writing)?;
        let rows = TrialsCsv::new(
            BufWriter::new(file),
            model.input_names(),
            &model
                .sites()
                .iter()
                .map(|site| site.id().to_string())
                .collect::<Vec<_>>(),
            start,
            model.deadline_day() as u32,
        )
        .map_err(|source| ResultsError::Export {
            context: writing(),
            source,
        })?;
        Ok(TrialsCsvFile {
            path: path.to_path_buf(),
            tmp,
            rows,
        })
    }

    /// The file being written, as named when created.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one trial's row: an engine's trial sink ([`crate::engine::RunHooks`]).
    pub fn write(&mut self, trial: u64, outcome: &TrialOutcome) -> std::io::Result<()> {
        self.rows
            .write(trial, outcome)
            .map_err(std::io::Error::other)
    }

    /// Flushes the rows and renames the file into place.
    pub fn finish(self) -> Result<(), ResultsError> {
        let writing = || format!("writing {}", self.path.display());
        let mut w = self.rows.finish().map_err(|source| ResultsError::Export {
            context: writing(),
            source,
        })?;
        w.flush().context(writing)?;
        drop(w);
        publish(self.tmp, &self.path)
    }
}

/// Writes `trace-<TRIAL>.csv` of `trace` into `dir` (dates from `start`) and, when `charts` is
/// given, `charts/trace-<TRIAL>.<format>` drawn from the file just written. Returns the files
/// written.
pub fn write_trace(
    dir: &Path,
    trace: &Trace,
    start: Date,
    deadline: Date,
    charts: Option<&ChartOptions>,
) -> Result<Vec<PathBuf>, ResultsError> {
    let name = format!("trace-{}", trace.trial);
    let csv = dir.join(format!("{name}.csv"));
    write_atomic(&csv, |w| output::write_trace_csv(trace, start, w))?;
    let mut files = vec![csv.clone()];
    if let Some(options) = charts {
        files.extend(write_trace_chart(dir, &csv, deadline, options)?);
    }
    Ok(files)
}

/// Draws `charts/trace-<TRIAL>.<format>` of the trace file `csv` (in `dir`), once per format:
/// what [`write_trace`] draws and [`redraw`](super::redraw()) redraws.
pub(super) fn write_trace_chart(
    dir: &Path,
    csv: &Path,
    deadline: Date,
    options: &ChartOptions,
) -> Result<Vec<PathBuf>, ResultsError> {
    let chart = TraceChart::read(csv, deadline).map_err(|source| ResultsError::Chart {
        context: format!("reading {} back for its chart", csv.display()),
        source,
    })?;
    let name = csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::write_chart_formats(dir, &name, &options.formats, |format| {
        crate::chart::render_trace(&chart, format, options.size)
    })
}

/// The folder of the report's typical examples, inside a run's results folder.
pub const EXAMPLES_DIR: &str = "examples";

/// The file naming the typical examples, in [`EXAMPLES_DIR`].
pub const EXAMPLES_FILE: &str = "examples.csv";

/// The columns of `examples/examples.csv`, in order.
pub const EXAMPLES_COLUMNS: [&str; 6] = [
    "example",
    "trial",
    "traced_trials",
    "traced_trials_with_outcome",
    "full_capacity_date",
    "online_gpus_at_deadline",
];

/// Writes the typical examples into `dir/examples/`: `trace-<TRIAL>.csv` of each (as
/// [`write_trace`] writes them, without charts: the report draws them) and `examples.csv`, one
/// row per example (`missed`, then `met`) with its trial, how many trials were traced to choose
/// it and how many of those had its outcome, its full-capacity date (empty if never) and online
/// GPUs at the deadline; an example that does not exist has an empty `trial`. Dates count from
/// `start`. Returns the files written.
pub fn write_examples(
    dir: &Path,
    examples: &Examples,
    start: Date,
    deadline: Date,
) -> Result<Vec<PathBuf>, ResultsError> {
    let folder = dir.join(EXAMPLES_DIR);
    std::fs::create_dir_all(&folder).context(|| format!("creating {}", folder.display()))?;
    let mut files = Vec::new();
    for trace in [&examples.missed, &examples.met].into_iter().flatten() {
        files.extend(write_trace(&folder, trace, start, deadline, None)?);
    }
    let csv = folder.join(EXAMPLES_FILE);
    write_atomic(&csv, |w| {
        let mut out = ::csv::Writer::from_writer(w);
        out.write_record(EXAMPLES_COLUMNS)?;
        let met_count = examples.traced - examples.missed_count;
        for (name, trace, count) in [
            ("missed", &examples.missed, examples.missed_count),
            ("met", &examples.met, met_count),
        ] {
            let (trial, full, gpus) = match trace {
                Some(t) => (
                    t.trial.to_string(),
                    t.outcome
                        .full_capacity_day
                        .and_then(|d| start.checked_add(jiff::Span::new().days(i64::from(d))).ok())
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    t.outcome.online_gpus_at_deadline.to_string(),
                ),
                None => Default::default(),
            };
            out.write_record([
                name,
                &trial,
                &examples.traced.to_string(),
                &count.to_string(),
                &full,
                &gpus,
            ])?;
        }
        out.flush()?;
        Ok(())
    })?;
    files.push(csv);
    Ok(files)
}
