//! Command-line flags (clap derive), converted into core types at this boundary.

use std::path::PathBuf;

use capsim::chart::ChartFormat;
use capsim::results::{ChartOptions, ResultsError};
use clap::{Args, Parser, Subcommand};

/// Monte Carlo capacity planning for AI compute build-outs.
#[derive(Debug, Parser)]
#[command(name = "capsim", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Simulate a scenario and write summary.json, daily.csv, scenario.resolved.toml and charts.
    Run(RunArgs),
    /// Check a scenario and print it resolved, with derived figures.
    Validate(ValidateArgs),
    /// Measure throughput (trials/s) at 1 thread and at all cores, and peak memory.
    Bench(BenchArgs),
    /// Redraw the charts of any results folder (run, compare, sweep, sensitivity, backtest) from
    /// its files, without re-simulating.
    Plot(PlotArgs),
    /// Merge the partial results of a sharded run, sweep or compare (`--shard K/N`) exactly
    /// into the outputs the unsharded command writes.
    Merge(MergeArgs),
    /// Run scenarios with common random numbers and compare each with the first (paired).
    Compare(CompareArgs),
    /// Rank the uncertain inputs by their effect on the outcome (Spearman, swing or Sobol).
    Sensitivity(SensitivityArgs),
    /// Run a scenario over a grid of one or two parameters (common random numbers).
    Sweep(SweepArgs),
    /// Find the value of one input that just reaches a goal (bisection, common random numbers).
    Solve(SolveArgs),
    /// Rank recorded actuals (`[[observations]]`) in their simulated distributions and report
    /// the calibration over every backtest.
    Backtest(BacktestArgs),
}

/// Scenario selection shared by every command.
#[derive(Debug, Args)]
pub(crate) struct ScenarioArgs {
    /// The scenario file (TOML).
    pub(crate) scenario: PathBuf,
    /// Override a scenario field, e.g. `--set supply.gb300.rate_scale=0.8`. Repeatable. Path
    /// segments are keys; in arrays of tables a segment is an item's id or 0-based index.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
}

/// Flags shared by every command that simulates.
#[derive(Debug, Args)]
pub(crate) struct RunFlags {
    /// Trials per run, at most 1,000,000,000 [default: the (first) scenario's `trials`, else
    /// 10000].
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(..=MAX_TRIALS))]
    pub(crate) trials: Option<u64>,
    /// Seed, 0 to 2^63 − 1 [default: the (first) scenario's `seed`, else 42]; every run of a
    /// command shares it, so their trials draw common random numbers.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub(crate) seed: Option<u64>,
    /// Worker threads, at most 1024 [default: all cores].
    #[arg(
        long,
        short = 'j',
        default_value_t = 0,
        hide_default_value = true,
        value_parser = parse_threads
    )]
    pub(crate) threads: usize,
    /// Output directory [default: out/<scenario file stem>/ for `run`; out/<command>-<stem>/
    /// for `sweep` and `sensitivity`].
    #[arg(long, short = 'o')]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputFlags,
}

/// What a command prints and draws besides its files (every command that writes results).
#[derive(Debug, Args)]
pub(crate) struct OutputFlags {
    /// Print the result as JSON on stdout instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bar and no table (files are still written; errors still print).
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Do not draw charts (by default PNG and SVG charts go to OUT/charts/).
    #[arg(long)]
    pub(crate) no_charts: bool,
    #[command(flatten)]
    pub(crate) chart: ChartFlags,
}

/// How charts are drawn: every command that draws takes these.
#[derive(Debug, Args)]
pub(crate) struct ChartFlags {
    /// Image format(s) of the charts in OUT/charts/.
    #[arg(long, value_enum, default_value_t = ImageFormat::Both)]
    pub(crate) format: ImageFormat,
    /// Chart width in pixels, 200 to 8000.
    #[arg(long, default_value_t = capsim::chart::DEFAULT_SIZE.0, value_parser = parse_side)]
    pub(crate) width: u32,
    /// Chart height in pixels, 200 to 8000 (a backtest fan chart scales its own height, 220 +
    /// 300 per panel at the default, by HEIGHT / 700).
    #[arg(long, default_value_t = capsim::chart::DEFAULT_SIZE.1, value_parser = parse_side)]
    pub(crate) height: u32,
}

impl ChartFlags {
    /// The flags as the library's chart options (checked again there), with no command line.
    pub(crate) fn options(&self) -> Result<ChartOptions, ResultsError> {
        let formats = match self.format {
            ImageFormat::Png => vec![ChartFormat::Png],
            ImageFormat::Svg => vec![ChartFormat::Svg],
            ImageFormat::Both => vec![ChartFormat::Png, ChartFormat::Svg],
        };
        ChartOptions::new(formats, (self.width, self.height))
    }

    /// The charts' extensions for a "Wrote ..." line: `{png,svg}`, `png` or `svg`.
    pub(crate) fn extensions(&self) -> &'static str {
        match self.format {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
            ImageFormat::Both => "{png,svg}",
        }
    }
}

/// A chart width or height, [`capsim::chart::MIN_SIDE`] to [`capsim::chart::MAX_SIDE`]
/// pixels.
fn parse_side(arg: &str) -> Result<u32, String> {
    let (min, max) = (capsim::chart::MIN_SIDE, capsim::chart::MAX_SIDE);
    match arg.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a size in pixels from {min} to {max}")),
    }
}

impl OutputFlags {
    /// No progress bar or notes on the terminal (`--quiet` or `--json`).
    pub(crate) fn silent(&self) -> bool {
        self.quiet || self.json
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,
    /// Also write trials.csv: one row per trial with its sampled inputs and outcomes.
    #[arg(long)]
    pub(crate) trials_csv: bool,
    /// Re-simulate trial TRIAL (0-based, as trials.csv's `trial` column) day by day and write
    /// trace-TRIAL.csv (each site's racks by stage and the constraint that held it) with its
    /// chart; repeat the flag or give a comma list for several.
    #[arg(long, value_name = "TRIAL", value_delimiter = ',')]
    pub(crate) trace: Vec<u64>,
    /// Keep adding trials until the 95% interval of P(target by deadline) is at most ± this
    /// (e.g. 0.005); `--trials` is then the first batch.
    #[arg(long, value_name = "HALF_WIDTH")]
    pub(crate) precision: Option<f64>,
    /// Keep adding trials until the 95% interval of the median full-capacity day is at most
    /// ± this many days.
    #[arg(long, value_name = "DAYS")]
    pub(crate) precision_days: Option<f64>,
    /// Most trials a precision run may use (at most 1,000,000,000).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(..=MAX_TRIALS))]
    pub(crate) max_trials: u64,
    /// Rerun the first N trials (at most the run's) with each class of constraint lifted, to
    /// report what each costs (`docs/model.md`); 0 skips it.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_COST_TRIALS,
        value_parser = clap::value_parser!(u64).range(..=MAX_TRIALS)
    )]
    pub(crate) cost_trials: u64,
    #[command(flatten)]
    pub(crate) shard: ShardFlags,
    #[command(flatten)]
    pub(crate) run: RunFlags,
}

/// Trials rerun per lifted constraint class by default: about ±2 points on a gain in P(target).
pub(crate) const DEFAULT_COST_TRIALS: u64 = 2_000;

/// Most trials a flag may ask for: the scenario's own limit (counts stay inside `u32`).
const MAX_TRIALS: u64 = capsim::scenario::limits::MAX_TRIALS;

/// Most worker threads (see the limit's own docs).
const MAX_THREADS: usize = capsim::scenario::limits::MAX_THREADS;

/// A worker thread count, 0 (all cores) to [`MAX_THREADS`].
fn parse_threads(arg: &str) -> Result<usize, String> {
    match arg.trim().parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => Ok(n),
        _ => Err(format!(
            "expected a number of worker threads from 0 (all cores) to {MAX_THREADS}"
        )),
    }
}

/// Sharding flags of `run`, `sweep` and `compare`.
#[derive(Debug, Args)]
pub(crate) struct ShardFlags {
    /// Run only shard K (0-based) of N of the trials and write a partial result
    /// (`OUT/shard-000K-of-000N.capsim`) for `capsim merge` [default OUT: the command's output
    /// folder with `-shards` appended].
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "shards")]
    pub(crate) shard: Option<(u64, u64)>,
    /// Run one of N shards, its index K read from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) shards: Option<u64>,
}

/// `K/N` with 0 <= K < N.
fn parse_shard(arg: &str) -> Result<(u64, u64), String> {
    let usage = || format!("expected K/N with 0 <= K < N, e.g. 3/10 (found `{arg}`)");
    let (k, n) = arg.split_once('/').ok_or_else(usage)?;
    let k: u64 = k.trim().parse().map_err(|_| usage())?;
    let n: u64 = n.trim().parse().map_err(|_| usage())?;
    if k >= n {
        return Err(usage());
    }
    Ok((k, n))
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Partial results (`*.capsim`) or folders holding them: every shard of one command, once.
    #[arg(required = true, value_name = "SHARD_DIR_OR_FILE")]
    pub(crate) partials: Vec<PathBuf>,
    /// Output directory: the files `run` (or `sweep`, `compare`) writes, byte-identical to the
    /// unsharded command's.
    #[arg(long, short = 'o')]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) output: OutputFlags,
}

/// Image formats of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ImageFormat {
    /// PNG only.
    Png,
    /// SVG only.
    Svg,
    /// PNG and SVG.
    Both,
}

#[derive(Debug, Args)]
pub(crate) struct PlotArgs {
    /// A results folder written by `capsim run`, `compare`, `sweep`, `sensitivity`,
    /// `backtest` or `merge`.
    pub(crate) out_dir: PathBuf,
    #[command(flatten)]
    pub(crate) chart: ChartFlags,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The scenario to measure [default: the base case scenarios/aws-openai-2026.toml, built
    /// into the binary].
    pub(crate) scenario: Option<PathBuf>,
    /// Trials per measured run; a comma-separated list (e.g. `10000,100000,1000000`) measures
    /// each count, to show that time grows linearly with trials and memory stays flat.
    #[arg(
        long,
        short = 'n',
        value_delimiter = ',',
        default_value = "20000",
        value_parser = clap::value_parser!(u64).range(1..=MAX_TRIALS)
    )]
    pub(crate) trials: Vec<u64>,
    /// Measured runs per thread count and trial count (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub(crate) runs: usize,
    /// Unmeasured warm-up runs per thread count and trial count.
    #[arg(long, default_value_t = 1)]
    pub(crate) warmup: usize,
    /// Thread counts to measure, comma-separated, each at most 1024 [default: 1 and all
    /// cores].
    #[arg(long, value_delimiter = ',', value_parser = parse_threads)]
    pub(crate) threads: Vec<usize>,
    /// Print the results as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: out/compare-<first file stem>-vs-<second file stem>/]"
)))]
pub(crate) struct CompareArgs {
    /// The scenario files (TOML), at least two; the first is the baseline.
    #[arg(required = true, num_args = 2..)]
    pub(crate) scenarios: Vec<PathBuf>,
    /// Override a field in every scenario, e.g. `--set supply.gb300.rate_scale=0.8`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    #[command(flatten)]
    pub(crate) shard: ShardFlags,
    #[command(flatten)]
    pub(crate) run: RunFlags,
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// The scenario file (TOML).
    pub(crate) scenario: PathBuf,
    /// A parameter to vary: `PATH=LIST` or `PATH=START:STOP:COUNT` (inclusive, evenly spaced,
    /// COUNT >= 2). A LIST's items are any values the path takes: numbers (`0.8,1.0,1.2`),
    /// dates, strings (`ordered,most_headroom`) or inline tables (`{ kind = "fixed", value = 3 }`);
    /// it splits on commas outside `{}`, `[]` and quotes. PATH is a `--set` path; a `*` segment stands for every item
    /// of an array (e.g. `sites.*.power_scale`). Once or twice; at most 10,000 values each and
    /// 1,000,000 grid points in all.
    #[arg(long, value_name = "PATH=VALUES", required = true)]
    pub(crate) vary: Vec<String>,
    /// Override a scenario field at every grid point, e.g. `--set supply.gb300.rate_scale=0.8`.
    /// Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// The probability whose contour the two-parameter heatmap draws.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) threshold: f64,
    #[command(flatten)]
    pub(crate) shard: ShardFlags,
    #[command(flatten)]
    pub(crate) run: RunFlags,
}

#[derive(Debug, Args)]
pub(crate) struct SolveArgs {
    /// The scenario file (TOML).
    pub(crate) scenario: PathBuf,
    /// The input to vary and its range: `PATH=LO:HI`, two numbers or two dates (e.g.
    /// `supply.gb300.rate_scale=0.8:2.0`). PATH is a `--set` path; a `*` segment stands for
    /// every item of an array.
    #[arg(long, value_name = "PATH=LO:HI")]
    pub(crate) vary: String,
    /// The goal: `METRIC>=VALUE` or `METRIC<=VALUE` with METRIC `p_target` (a probability or a
    /// percentage), `gpus_at_deadline_p50` or `full_capacity_p50` (a date).
    #[arg(long = "for", value_name = "GOAL")]
    pub(crate) goal: String,
    /// Override a scenario field at every step, e.g. `--set supply.gb300.rate_scale=0.8`.
    /// Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// Stop bisecting once the bracket is this narrow, in the input's units (days for dates)
    /// [default: a thousandth of the range; 1 for whole numbers and dates].
    #[arg(long)]
    pub(crate) tolerance: Option<f64>,
    /// The most steps each bisection takes.
    #[arg(long, default_value_t = capsim::analysis::solve::DEFAULT_MAX_STEPS)]
    pub(crate) max_steps: u32,
    /// Trials per step, seed of every step, threads and output directory [default:
    /// out/solve-<scenario file stem>/].
    #[command(flatten)]
    pub(crate) run: RunFlags,
}

/// How `sensitivity` ranks the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SensitivityMethod {
    /// Spearman rank correlation of each input with the outcomes, from one run.
    Spearman,
    /// One-at-a-time swing: each input held at its P10 and at its P90 (2 runs per input).
    Swing,
    /// First-order and total Sobol indices by pick-freeze (inputs + 2 runs).
    Sobol,
}

#[derive(Debug, Args)]
pub(crate) struct SensitivityArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,
    /// Method.
    #[arg(long, value_enum, default_value_t = SensitivityMethod::Spearman)]
    pub(crate) method: SensitivityMethod,
    #[command(flatten)]
    pub(crate) run: RunFlags,
}

#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help("Output directory [default: out/backtest/]")))]
pub(crate) struct BacktestArgs {
    /// Backtest scenario files (TOML, each with `[[observations]]`), or folders: a folder means
    /// every `*.toml` in it, in sorted order.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub(crate) paths: Vec<PathBuf>,
    /// Flags; the output directory defaults to out/backtest/.
    #[command(flatten)]
    pub(crate) run: RunFlags,
}
