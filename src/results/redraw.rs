//! Redrawing a results folder's charts from its files alone, never re-simulating: what
//! `capsim plot` does. The folder's kind is told by the file its command writes
//! ([`FolderKind::detect`]); each kind's charts and `report.html` are drawn by the same code its
//! command uses, so a redraw at the command's size and formats gives the same bytes.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::backtest::write_backtest_charts;
use super::compare::write_compare_charts;
use super::run::write_trace_chart;
use super::sensitivity::write_tornado;
use super::sweep::write_sweep_charts;
use super::{
    ChartOptions, IoContext, ResultsError, remove_stale_temp_files, report, write_charts,
    write_run_report,
};
use crate::chart::ChartData;

/// Which command wrote a results folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// `capsim run` (or a merged sharded run): `summary.json` and `daily.csv`.
    Run,
    /// `capsim compare`: `compare.json` and a run folder per scenario.
    Compare,
    /// `capsim sweep`: `sweep.json`.
    Sweep,
    /// `capsim sensitivity`: `sensitivity.json`.
    Sensitivity,
    /// `capsim backtest`: `backtest.json`.
    Backtest,
}

impl FolderKind {
    /// Every kind, in the order [`detect`](Self::detect) looks for them: the analyses first,
    /// as a comparison's scenario folders are run folders.
    pub const ALL: [FolderKind; 5] = [
        FolderKind::Compare,
        FolderKind::Sweep,
        FolderKind::Sensitivity,
        FolderKind::Backtest,
        FolderKind::Run,
    ];

    /// The file that tells the kind, and that its charts are drawn from.
    pub fn file(self) -> &'static str {
        match self {
            FolderKind::Run => "summary.json",
            FolderKind::Compare => "compare.json",
            FolderKind::Sweep => "sweep.json",
            FolderKind::Sensitivity => "sensitivity.json",
            FolderKind::Backtest => "backtest.json",
        }
    }

    /// The command that writes it, e.g. `run`.
    pub fn command(self) -> &'static str {
        match self {
            FolderKind::Run => "run",
            FolderKind::Compare => "compare",
            FolderKind::Sweep => "sweep",
            FolderKind::Sensitivity => "sensitivity",
            FolderKind::Backtest => "backtest",
        }
    }

    /// The kind of the results folder `dir`; an input error, listing what is looked for, if it
    /// holds none of the files.
    pub fn detect(dir: &Path) -> Result<FolderKind, ResultsError> {
        if !dir.is_dir() {
            return Err(ResultsError::Refused(format!(
                "{}: no such folder (give a results folder written by capsim)",
                dir.display()
            )));
        }
        if let Some(kind) = FolderKind::ALL
            .into_iter()
            .find(|kind| dir.join(kind.file()).is_file())
        {
            return Ok(kind);
        }
        if dir.join("solve.json").is_file() {
            return Err(ResultsError::Refused(format!(
                "{}: a `capsim solve` folder; plot does not redraw those yet: run the solve again \
                 (with --width, --height or --format) to redraw its chart and report",
                dir.display()
            )));
        }
        let looked_for: Vec<String> = FolderKind::ALL
            .iter()
            .map(|k| format!("{} ({})", k.file(), k.command()))
            .collect();
        Err(ResultsError::Refused(format!(
            "{}: not a results folder (file not found: any of {})",
            dir.display(),
            looked_for.join(", ")
        )))
    }
}

impl fmt::Display for FolderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}

/// What [`redraw`] wrote.
#[derive(Debug)]
pub struct RedrawnFiles {
    /// The kind of folder redrawn.
    pub kind: FolderKind,
    /// The chart files written.
    pub charts: Vec<PathBuf>,
    /// `report.html`, rewritten.
    pub report: Option<PathBuf>,
    /// A note for each chart skipped because it has nothing to show.
    pub skipped: Vec<String>,
}

/// Redraws every chart of the results folder `dir` (any [`FolderKind`]) into `dir/charts/` from
/// its files, in `options`' formats and size, and rewrites its `report.html` through the
/// report's own writers; each file is replaced atomically, and charts in other formats are left
/// as they are. The report keeps the command line it quotes unless `options.command` gives
/// one. Bad input (no such folder, not a results folder, a file capsim did not write, a size
/// out of range) is [`ResultsError::Refused`].
pub fn redraw(dir: &Path, options: &ChartOptions) -> Result<RedrawnFiles, ResultsError> {
    options.check()?;
    let kind = FolderKind::detect(dir)?;
    // A redraw killed midway leaves only temporary files, removed here by the next one.
    remove_stale_temp_files(&dir.join("charts"));
    let options = &ChartOptions {
        command: options
            .command
            .clone()
            .or_else(|| report::recorded_command(dir)),
        ..options.clone()
    };
    let mut redrawn = RedrawnFiles {
        kind,
        charts: Vec::new(),
        report: None,
        skipped: Vec::new(),
    };
    let (charts, page) = match kind {
        FolderKind::Run => {
            let data =
                ChartData::read_dir(dir).map_err(|e| ResultsError::Refused(e.to_string()))?;
            let mut written = write_charts(dir, &data, options)?;
            for csv in trace_files(dir)? {
                written
                    .files
                    .extend(write_trace_chart(dir, &csv, data.facts.deadline, options)?);
            }
            redrawn.skipped = written.skipped;
            let page = write_run_report(dir, options.command.as_deref())?;
            (written.files, Some(page))
        }
        FolderKind::Compare => {
            let (charts, page) = write_compare_charts(dir, &read_json(dir, kind)?, options)?;
            (charts, Some(page))
        }
        FolderKind::Sweep => {
            let (charts, page) = write_sweep_charts(dir, &read_json(dir, kind)?, options)?;
            (charts, Some(page))
        }
        FolderKind::Sensitivity => {
            let (charts, page) = write_tornado(dir, &read_json(dir, kind)?, options)?;
            if charts.is_empty() {
                redrawn
                    .skipped
                    .push("tornado chart skipped: no input was ranked".into());
            }
            (charts, Some(page))
        }
        FolderKind::Backtest => {
            let (charts, page) = write_backtest_charts(dir, &read_json(dir, kind)?, options)?;
            (charts, Some(page))
        }
    };
    redrawn.charts = charts;
    redrawn.report = page;
    Ok(redrawn)
}

/// The `trace-<TRIAL>.csv` files of the run folder `dir` (`capsim run --trace`), in name order.
fn trace_files(dir: &Path) -> Result<Vec<PathBuf>, ResultsError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .context(|| format!("reading {}", dir.display()))?
            .path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let is_trace = name
            .strip_prefix("trace-")
            .and_then(|rest| rest.strip_suffix(".csv"))
            .is_some_and(|trial| !trial.is_empty() && trial.bytes().all(|b| b.is_ascii_digit()));
        if is_trace && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `dir`'s `kind` file, read back; an input error naming the file and the field if it is not
/// what capsim writes.
fn read_json<T: DeserializeOwned>(dir: &Path, kind: FolderKind) -> Result<T, ResultsError> {
    let path = dir.join(kind.file());
    let text = fs::read_to_string(&path)
        .map_err(|e| ResultsError::Refused(format!("{}: cannot be read: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        ResultsError::Refused(format!(
            "{}: not a {} file that capsim writes: at `{}`: {}",
            path.display(),
            kind.file(),
            e.path(),
            e.inner()
        ))
    })
}
