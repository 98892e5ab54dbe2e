//! Results folders on disk: the files and charts each command writes, built whole.
//!
//! A results folder is built aside and swapped into place when complete ([`ResultsFolder`]);
//! each file in it is written through a temporary file and renamed ([`write_atomic`]), so a
//! failed, interrupted or killed run never leaves a half-written file or a half-replaced folder.
//! The CLI and the Python package both write through this module, so a folder means the same
//! whoever wrote it. Nothing here prints: notes for the user are returned.

mod backtest;
mod compare;
pub mod folder;
mod redraw;
pub mod report;
mod run;
mod sensitivity;
mod shard;
mod solve;
mod sweep;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::chart::{self, ChartData, ChartError, ChartFormat, ChartKind};
use crate::output::ExportError;

pub use backtest::{BacktestFiles, write_backtest};
pub use compare::{CompareFiles, write_compare};
pub use folder::{MARKER, ResultsFolder, remove_stale_temp_files};
pub use redraw::{FolderKind, RedrawnFiles, redraw};
pub use report::{REPORT_FILE, write_run_report};
pub use run::{
    EXAMPLES_COLUMNS, EXAMPLES_DIR, EXAMPLES_FILE, RunFiles, TrialsCsvFile, write_examples,
    write_run, write_trace,
};
pub use sensitivity::{SensitivityFiles, write_sensitivity};
pub use shard::{write_merged_trials_csv, write_partial};
pub use solve::{SolveFiles, write_solve};
pub use sweep::{SweepFiles, write_sweep};

/// What can go wrong while writing results.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// The folder named cannot be a results folder (it holds files capsim did not write, it is
    /// the current folder, a mount point, ...): bad input.
    #[error("{0}")]
    Refused(String),
    /// Something else stopped the writing, explained in full.
    #[error("{0}")]
    Failed(String),
    /// A file operation failed; `context` says which.
    #[error("{context}")]
    Io {
        /// What was being done, e.g. `writing out/run/summary.json`.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Encoding a file failed; `context` says which.
    #[error("{context}")]
    Export {
        /// The file, e.g. `writing out/run/daily.csv`.
        context: String,
        /// The encoder's error.
        #[source]
        source: ExportError,
    },
    /// A chart could not be drawn.
    #[error("{context}")]
    Chart {
        /// Which chart, e.g. `drawing the fan chart`.
        context: String,
        /// The chart's error.
        #[source]
        source: ChartError,
    },
}

impl ResultsError {
    /// Whether the error is the user's input (exit code 2 in the CLI) rather than a failure.
    pub fn is_input_error(&self) -> bool {
        matches!(self, ResultsError::Refused(_))
    }
}

/// `.context(|| "what was being done")` on I/O results.
pub(crate) trait IoContext<T> {
    /// The error, if any, as a [`ResultsError::Io`] saying what was being done.
    fn context(self, what: impl FnOnce() -> String) -> Result<T, ResultsError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, ResultsError> {
        self.map_err(|source| ResultsError::Io {
            context: what(),
            source,
        })
    }
}

/// A scenario file's stem, e.g. `aws-openai-2026` for `scenarios/aws-openai-2026.toml`: the
/// default name of its results folder.
pub fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}

/// Unique labels from file stems, as `compare` and `backtest` name their scenarios' folders: a
/// repeated stem gets `-2`, `-3`, ...
pub fn unique_labels<P: AsRef<Path>>(paths: &[P]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for path in paths {
        let stem = file_stem(path.as_ref());
        let mut label = stem.clone();
        let mut k = 2;
        while labels.contains(&label) {
            label = format!("{stem}-{k}");
            k += 1;
        }
        labels.push(label);
    }
    labels
}

/// How the names of capsim's temporary files begin: `.capsim-tmp-<pid>-<random>`, so that a
/// later run can tell those of a process that is gone.
pub const TEMP_PREFIX: &str = ".capsim-tmp-";

/// A temporary file in `dir`, named `TEMP_PREFIX<pid>-<random>`; removed when dropped.
pub fn temp_in(dir: &Path) -> Result<tempfile::NamedTempFile, ResultsError> {
    tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)
        .context(|| format!("creating a temporary file in {}", dir.display()))
}

/// Writes `path` through a temporary file in the same directory, renamed into place only when
/// `fill` succeeds: a failed run never leaves a half-written file or clobbers an earlier one.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), ExportError>,
) -> Result<(), ResultsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_in(dir)?;
    let writing = || format!("writing {}", path.display());
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).map_err(|source| ResultsError::Export {
            context: writing(),
            source,
        })?;
        w.flush().context(writing)?;
    }
    publish(tmp, path)
}

/// Renames a finished temporary file onto `path`, readable by others like any file the user
/// writes (temporary files are created owner-only).
pub fn publish(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), ResultsError> {
    let writing = || format!("writing {}", path.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644)).context(writing)?;
    }
    tmp.persist(path).map_err(|e| e.error).context(writing)?;
    Ok(())
}

/// Which charts to draw into a results folder, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// The file formats, each chart drawn once per format.
    pub formats: Vec<ChartFormat>,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// The command line that made the folder, quoted in `report.html`'s provenance.
    pub command: Option<String>,
}

impl ChartOptions {
    /// Charts in `formats` at `size` (width, height in pixels), each side
    /// [`chart::MIN_SIDE`]`..=`[`chart::MAX_SIDE`], with no command line recorded.
    pub fn new(formats: Vec<ChartFormat>, size: (u32, u32)) -> Result<ChartOptions, ResultsError> {
        let options = ChartOptions {
            formats,
            size,
            command: None,
        };
        options.check()?;
        Ok(options)
    }

    /// An input error unless each side of the size is within [`chart::MIN_SIDE`]`..=`
    /// [`chart::MAX_SIDE`] pixels and some format is asked for.
    pub fn check(&self) -> Result<(), ResultsError> {
        let sides = chart::MIN_SIDE..=chart::MAX_SIDE;
        let (width, height) = self.size;
        if !sides.contains(&width) || !sides.contains(&height) {
            return Err(ResultsError::Refused(format!(
                "chart size {width}×{height} pixels: width and height must each be {} to {} pixels",
                chart::MIN_SIDE,
                chart::MAX_SIDE
            )));
        }
        if self.formats.is_empty() {
            return Err(ResultsError::Refused(
                "no chart format asked for: give PNG, SVG or both".into(),
            ));
        }
        Ok(())
    }
}

impl Default for ChartOptions {
    /// PNG and SVG at [`chart::DEFAULT_SIZE`], as `capsim run` draws them.
    fn default() -> Self {
        ChartOptions {
            formats: vec![ChartFormat::Png, ChartFormat::Svg],
            size: chart::DEFAULT_SIZE,
            command: None,
        }
    }
}

/// Charts written into a results folder.
#[derive(Debug, Default)]
pub struct WrittenCharts {
    /// The files written.
    pub files: Vec<PathBuf>,
    /// A note for each chart skipped because it has nothing to show, e.g. the sites chart of
    /// a one-site scenario.
    pub skipped: Vec<String>,
}

/// Draws every chart of `data` in each format into `out_dir/charts/`, atomically.
pub fn write_charts(
    out_dir: &Path,
    data: &ChartData,
    options: &ChartOptions,
) -> Result<WrittenCharts, ResultsError> {
    let dir = out_dir.join("charts");
    fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
    let mut written = WrittenCharts::default();
    for kind in ChartKind::ALL {
        for &format in &options.formats {
            let bytes = match chart::render(kind, data, format, options.size) {
                Ok(b) => b,
                Err(ChartError::NoData { chart, reason }) => {
                    written
                        .skipped
                        .push(format!("{chart} chart skipped: {reason}"));
                    break;
                }
                Err(source) => {
                    return Err(ResultsError::Chart {
                        context: format!("drawing the {} chart", kind.file_stem()),
                        source,
                    });
                }
            };
            let path = dir.join(format!("{}.{}", kind.file_stem(), format.extension()));
            write_atomic(&path, |w| Ok(w.write_all(&bytes)?))?;
            written.files.push(path);
        }
    }
    Ok(written)
}

/// Draws one chart in each of `formats` into `dir/charts/<name>.<extension>`; returns the paths.
pub fn write_chart_formats(
    dir: &Path,
    name: &str,
    formats: &[ChartFormat],
    render: impl Fn(ChartFormat) -> Result<Vec<u8>, ChartError>,
) -> Result<Vec<PathBuf>, ResultsError> {
    let charts = dir.join("charts");
    fs::create_dir_all(&charts).context(|| format!("creating {}", charts.display()))?;
    let mut written = Vec::new();
    for &format in formats {
        let bytes = render(format).map_err(|source| ResultsError::Chart {
            context: format!("drawing the {name} chart"),
            source,
        })?;
        let path = charts.join(format!("{name}.{}", format.extension()));
        write_atomic(&path, |w| Ok(w.write_all(&bytes)?))?;
        written.push(path);
    }
    Ok(written)
}
