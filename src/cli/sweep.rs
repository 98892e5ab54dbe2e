//! `capsim sweep`: runs a scenario over a grid of one or two parameters, every grid point with
//! the same seed and trial count (so with common random numbers), and tabulates and charts
//! P(target by deadline) and the other headline results against the parameters.
//!
//! Memory: each grid point keeps only its plan (label, values, `--set`s) and headline results;
//! its scenario, model and statistics exist only while it runs. A sharded sweep also keeps each
//! point's statistics, which its partial stores.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use capsim::chart::{self, SweepChart, SweepPoint};
use capsim::engine::{self, RunHooks};
use capsim::model::Model;
use capsim::output::{self, percent, thousands};
use capsim::scenario::Scenario;
use capsim::stats::{BottleneckShare, FullCapacityDate, GpuDistribution, Proportion, Summary};
use serde::{Deserialize, Serialize};

use super::app::{
    InputError, compile, print_json, stem, trials_and_seed, write_atomic, write_chart_pair,
};
use super::args::{OutputFlags, SweepArgs};
use super::folder::ResultsFolder;
use super::{CANCEL, to_stdout};
use capsim::shard::{MergedRuns, PartialBody, PartialHeader, PartialRun};

/// The most grid points a sweep runs (e.g. 1000 × 1000). Each axis takes up to 10,000 values,
/// but 10,000 × 10,000 points would take days just to check and more memory than a machine has
/// for the report alone.
const MAX_GRID_POINTS: usize = 1_000_000;

/// One `--vary`: the path as given and its values, each as a number and as the text `--set`
/// receives (list items verbatim, so `150` stays an integer; range points formatted without
/// floating-point noise).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Vary {
    pub(crate) path: String,
    pub(crate) values: Vec<(f64, String)>,
}

/// Parses `PATH=VALUES`.
pub(crate) fn parse_vary(arg: &str) -> Result<Vary, String> {
    let (path, spec) = arg.split_once('=').ok_or_else(|| {
        format!(
            "--vary {arg}: expected PATH=VALUES, e.g. `supply.gb300.rate_scale=0.6:1.4:9` or \
             `sites.*.power_scale=0.8,1.0,1.2`"
        )
    })?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("--vary {arg}: `{path}` has an empty path segment"));
    }
    let values = parse_values(spec).map_err(|m| format!("--vary {arg}: {m}"))?;
    Ok(Vary {
        path: path.to_owned(),
        values,
    })
}

/// Parses VALUES: a comma list (`0.8,1.0,1.2`) or an inclusive, evenly spaced range
/// `start:stop:count` with count ≥ 2.
pub(crate) fn parse_values(spec: &str) -> Result<Vec<(f64, String)>, String> {
    let spec = spec.trim();
    let number = |t: &str| -> Result<f64, String> {
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("`{t}` is not a number")),
        }
    };
    if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
        let [start, stop, count] = parts[..] else {
            return Err(format!(
                "a range is start:stop:count, e.g. `0.6:1.4:9` (found `{spec}`)"
            ));
        };
        let (a, b) = (number(start)?, number(stop)?);
        let n: usize = count.parse().map_err(|_| {
            format!("the range count `{count}` is not a whole number (start:stop:count)")
        })?;
        if n < 2 {
            return Err(format!(
                "the range count must be at least 2 (found {n}); for one value use `--set`"
            ));
        }
        if n > 10_000 {
            return Err(format!("the range count must be at most 10000 (found {n})"));
        }
        let steps = (n - 1) as f64;
        // Integers stay integers when the start, stop and step are whole numbers.
        let whole = |t: &str| t.parse::<i64>().is_ok();
        let integral = whole(start) && whole(stop) && ((b - a) / steps).fract() == 0.0;
        Ok((0..n)
            .map(|k| {
                let v = if k + 1 == n {
                    b
                } else {
                    a + (b - a) * k as f64 / steps
                };
                if integral {
                    (v, format!("{}", v as i64))
                } else {
                    // 12 significant digits drop the noise of a + k·step (0.7000000000000001).
                    let v: f64 = format!("{v:.11e}").parse().unwrap_or(v);
                    (v, format!("{v:?}"))
                }
            })
            .collect())
    } else {
        let items: Vec<&str> = spec.split(',').map(str::trim).collect();
        if items.iter().any(|t| t.is_empty()) {
            return Err(format!(
                "`{spec}` has an empty item; give a comma list (`0.8,1.0,1.2`) or a range \
                 (`0.6:1.4:9`)"
            ));
        }
        items
            .into_iter()
            .map(|t| Ok((number(t)?, t.to_owned())))
            .collect()
    }
}

/// Expands every `*` segment of `path` into the ids (or, for items without an `id`, the 0-based
/// indices) of the array it stands for in the resolved scenario `doc`; a path without `*` comes
/// back as is. Segments that name nothing are kept, so `--set` reports them.
pub(crate) fn expand_wildcards(doc: &toml::Value, path: &str) -> Result<Vec<String>, String> {
    fn walk(
        node: Option<&toml::Value>,
        segs: &[&str],
        prefix: String,
        full: &str,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some((seg, rest)) = segs.split_first() else {
            out.push(prefix);
            return Ok(());
        };
        let join = |s: &str| {
            if prefix.is_empty() {
                s.to_owned()
            } else {
                format!("{prefix}.{s}")
            }
        };
        if *seg == "*" {
            let Some(items) = node.and_then(toml::Value::as_array) else {
                let at = if prefix.is_empty() {
                    "the top level".to_owned()
                } else {
                    format!("`{prefix}`")
                };
                return Err(format!(
                    "`{full}`: `*` stands for every item of an array, but {at} is not an array \
                     in the scenario"
                ));
            };
            if items.is_empty() {
                return Err(format!(
                    "`{full}`: `{prefix}` has no items for `*` to stand for"
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get("id")
                    .and_then(toml::Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                walk(Some(item), rest, join(&label), full, out)?;
            }
            Ok(())
        } else {
            let child = match node {
                Some(toml::Value::Table(t)) => t.get(*seg),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .find(|item| item.get("id").and_then(toml::Value::as_str) == Some(seg))
                    .or_else(|| seg.parse::<usize>().ok().and_then(|i| a.get(i))),
                _ => None,
            };
            walk(child, rest, join(seg), full, out)
        }
    }
    let segs: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    walk(Some(doc), &segs, String::new(), path, &mut out)?;
    Ok(out)
}

/// One varied parameter, as `sweep.json` lists it.
#[derive(Debug, Serialize, Deserialize)]
struct ParamEntry {
    path: String,
    values: Vec<f64>,
    /// The plain `--set` paths the path expands to (more than one with `*`).
    expands_to: Vec<String>,
}

/// One grid point's results. It borrows the point's values and `--set`s from the plan, so the
/// report does not hold a second copy of them.
#[derive(Debug, Serialize)]
struct PointEntry<'a> {
    values: &'a [f64],
    set: &'a [String],
    #[serde(flatten)]
    headline: Headline,
}

/// The results of one grid point that the report shows: the headline of its [`Summary`].
#[derive(Debug, Serialize)]
struct Headline {
    p_target_by_deadline: Proportion,
    full_capacity_date: FullCapacityDate,
    available_gpus_at_deadline: GpuDistribution,
    bottleneck_share: BottleneckShare,
}

impl From<Summary> for Headline {
    fn from(s: Summary) -> Headline {
        Headline {
            p_target_by_deadline: s.p_target_by_deadline,
            full_capacity_date: s.full_capacity_date,
            available_gpus_at_deadline: s.available_gpus_at_deadline,
            bottleneck_share: s.bottleneck_share,
        }
    }
}

/// `sweep.json`.
#[derive(Debug, Serialize)]
struct SweepReport<'a> {
    capsim_version: String,
    scenario: &'a str,
    file: &'a str,
    seed: u64,
    trials: u64,
    target_gpus: u64,
    deadline: &'a str,
    threshold: f64,
    parameters: &'a [ParamEntry],
    points: Vec<PointEntry<'a>>,
}

/// Everything a sweep's report needs besides the grid points' statistics. A sharded sweep
/// stores it in its partials, so that `merge` writes the report the unsharded sweep would.
#[derive(Debug, Serialize, Deserialize)]
struct SweepPlan {
    scenario: String,
    file: String,
    target_gpus: u64,
    deadline: String,
    threshold: f64,
    parameters: Vec<ParamEntry>,
    points: Vec<PlanPoint>,
}

/// One grid point of a [`SweepPlan`].
#[derive(Debug, Serialize, Deserialize)]
struct PlanPoint {
    label: String,
    /// The parameters' values, as numbers and as the text given to `--set`.
    values: Vec<f64>,
    texts: Vec<String>,
    /// The `--set` arguments of the point.
    set: Vec<String>,
}

/// Every combination of the parameters' value indices, the first parameter outermost.
fn grid(params: &[Vary]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    for p in params {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..p.values.len()).map(move |k| {
                    let mut v = prefix.clone();
                    v.push(k);
                    v
                })
            })
            .collect();
    }
    out
}

/// The plan of every grid point, in grid order: its label, values and `--set` arguments.
fn plan_points(params: &[Vary], expanded: &[Vec<String>]) -> Vec<PlanPoint> {
    grid(params)
        .into_iter()
        .map(|indices| {
            let chosen = || {
                params
                    .iter()
                    .zip(expanded)
                    .zip(&indices)
                    .map(|((p, paths), &k)| (p, paths, &p.values[k]))
            };
            PlanPoint {
                label: chosen()
                    .map(|(p, _, (_, text))| format!("{}={text}", p.path))
                    .collect::<Vec<_>>()
                    .join(", "),
                values: chosen().map(|(_, _, (value, _))| *value).collect(),
                texts: chosen().map(|(_, _, (_, text))| text.clone()).collect(),
                set: chosen()
                    .flat_map(|(_, paths, (_, text))| {
                        paths.iter().map(move |path| format!("{path}={text}"))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Loads grid point `point`'s scenario and compiles its model; errors name the point.
fn build(file: &Path, base_sets: &[String], point: &PlanPoint) -> Result<(Scenario, Model)> {
    let mut sets = base_sets.to_vec();
    sets.extend(point.set.iter().cloned());
    let scenario = capsim::scenario::load(file, &sets)
        .map_err(|e| InputError(format!("grid point {}: {e}", point.label)))?;
    let model = compile(&scenario).with_context(|| format!("grid point {}", point.label))?;
    Ok((scenario, model))
}

/// Builds and drops every grid point before any runs, so a bad value fails fast without
/// holding a model per point. A value valid on its own can clash with the other parameter's,
/// so every point is checked; a load and compile cost far less than a run.
fn check_all(file: &Path, base_sets: &[String], points: &[PlanPoint]) -> Result<()> {
    for point in points {
        build(file, base_sets, point)?;
    }
    Ok(())
}

/// Refuses a grid of more than [`MAX_GRID_POINTS`] before anything is loaded.
fn check_grid_size(params: &[Vary]) -> Result<(), InputError> {
    let counts: Vec<usize> = params.iter().map(|p| p.values.len()).collect();
    let points: usize = counts.iter().product();
    if points > MAX_GRID_POINTS {
        let axes: Vec<String> = counts.iter().map(usize::to_string).collect();
        return Err(InputError(format!(
            "the grid has {} points ({}); a sweep runs at most {} grid points (e.g. 1000 × \
             1000): give the --vary fewer values",
            thousands(points as f64),
            axes.join(" × "),
            thousands(MAX_GRID_POINTS as f64)
        )));
    }
    Ok(())
}

/// `capsim sweep`.
pub(crate) fn sweep(args: SweepArgs) -> Result<()> {
    if args.vary.is_empty() || args.vary.len() > 2 {
        bail!(InputError(format!(
            "sweep takes one or two --vary (found {})",
            args.vary.len()
        )));
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        bail!(InputError(format!(
            "--threshold must be a probability between 0 and 1 (found {})",
            args.threshold
        )));
    }
    let params: Vec<Vary> = args
        .vary
        .iter()
        .map(|a| parse_vary(a).map_err(InputError))
        .collect::<Result<_, _>>()?;
    if params.len() == 2 && params[0].path == params[1].path {
        bail!(InputError(format!(
            "--vary names `{}` twice",
            params[0].path
        )));
    }
    check_grid_size(&params)?;
    let base = capsim::scenario::load(&args.scenario, &args.overrides)?;
    let (trials, seed) = trials_and_seed(&args.run, &base, 1)?;
    let doc: toml::Value = base
        .resolved_toml(seed, trials)
        .parse::<toml::Table>()
        .map(toml::Value::Table)
        .context("reading back the resolved scenario")?;
    let expanded: Vec<Vec<String>> = params
        .iter()
        .map(|p| expand_wildcards(&doc, &p.path).map_err(|m| InputError(format!("--vary {m}"))))
        .collect::<Result<_, _>>()?;
    let points = plan_points(&params, &expanded);
    check_all(&args.scenario, &args.overrides, &points)?;

    let plan = SweepPlan {
        scenario: base.name.clone(),
        file: args.scenario.display().to_string(),
        target_gpus: base.target_gpus,
        deadline: base.deadline.to_string(),
        threshold: args.threshold,
        parameters: params
            .iter()
            .zip(&expanded)
            .map(|(p, e)| ParamEntry {
                path: p.path.clone(),
                values: p.values.iter().map(|v| v.0).collect(),
                expands_to: e.clone(),
            })
            .collect(),
        points,
    };
    let quiet = args.run.output.silent();
    let shard = super::shard::resolve(&args.shard, trials, quiet)?;
    let name = format!("sweep-{}", stem(&args.scenario));
    let (dir, config) = super::shard::dir_and_config(&args.run, shard, &name, trials, seed)?;
    // Unsharded, the results folder is built aside from the first trial on (an unwritable --out
    // fails now); a shard writes its partial into a folder shared by all shards.
    let folder = match shard {
        None => Some(ResultsFolder::create(&dir, "sweep")?),
        Some(_) => None,
    };
    let total = config.trials * plan.points.len() as u64;

    let bar = super::app::progress_bar(total, quiet, "trials (all grid points)");
    let progress = |n: u64| bar.inc(n);
    let started = std::time::Instant::now();
    // Unsharded, each point's statistics shrink to its headline at once; a shard keeps them
    // whole (with the resolved scenario) for its partial.
    let mut headlines = Vec::new();
    let mut runs = Vec::new();
    let mut bodies = Vec::new();
    for point in &plan.points {
        let (scenario, model) = build(&args.scenario, &args.overrides, point)?;
        let run = engine::run(
            &model,
            &config,
            RunHooks {
                cancel: Some(&CANCEL),
                progress: Some(&progress),
                trial_sink: None,
            },
        )
        .with_context(|| format!("grid point {}", point.label));
        let accumulator = match &folder {
            Some(f) => f.unless_interrupted(run, bar.position(), total)?,
            None => run?,
        };
        if shard.is_some() {
            runs.push(PartialRun {
                label: point.label.clone(),
                scenario_toml: scenario.resolved_toml(seed, trials),
            });
            bodies.push(PartialBody {
                accumulator,
                records: None,
            });
        } else {
            let summary = Summary::new(&accumulator, &engine::run_info(&scenario, seed));
            headlines.push(Headline::from(summary));
        }
    }
    bar.finish_and_clear();

    if let Some(shard) = shard {
        let context = serde_json::to_value(&plan).context("storing the sweep plan")?;
        let header = PartialHeader {
            context,
            ..PartialHeader::new("sweep", &base.name, runs, seed, trials, shard)
        };
        let seconds = started.elapsed().as_secs_f64();
        return super::shard::write_shard(&dir, header, &bodies, &args.run.output, seconds);
    }
    let folder = folder.context("an unsharded sweep has a results folder")?;
    write_outputs(&plan, seed, trials, headlines, folder, &args.run.output)
}

/// `merge` of a sharded sweep: the outputs the unsharded sweep writes, as the results folder
/// `dir`, whole.
pub(crate) fn write_merged(m: &MergedRuns<'_>, dir: &Path, flags: &OutputFlags) -> Result<()> {
    let plan: SweepPlan = serde_json::from_value(m.header.context.clone())
        .context("reading the sweep plan stored in the partials")?;
    if plan.points.len() != m.bodies.len() {
        bail!(InputError(format!(
            "the partials hold {} grid points but their plan lists {}",
            m.bodies.len(),
            plan.points.len()
        )));
    }
    let headlines: Vec<Headline> = m
        .scenarios
        .iter()
        .zip(m.bodies)
        .map(|(s, b)| Summary::new(&b.accumulator, &engine::run_info(s, m.header.seed)).into())
        .collect();
    write_outputs(
        &plan,
        m.header.seed,
        m.header.total_trials,
        headlines,
        ResultsFolder::create(dir, "sweep")?,
        flags,
    )
}

/// Writes sweep.json, sweep.csv and the chart of `plan`'s grid points (their `headlines`, in
/// grid order) into `folder`, swaps it into place and prints the table or JSON.
fn write_outputs(
    plan: &SweepPlan,
    seed: u64,
    trials: u64,
    headlines: Vec<Headline>,
    folder: ResultsFolder,
    flags: &OutputFlags,
) -> Result<()> {
    let dir = folder.path();
    let report = SweepReport {
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: &plan.scenario,
        file: &plan.file,
        seed,
        trials,
        target_gpus: plan.target_gpus,
        deadline: &plan.deadline,
        threshold: plan.threshold,
        parameters: &plan.parameters,
        points: plan
            .points
            .iter()
            .zip(headlines)
            .map(|(p, headline)| PointEntry {
                values: &p.values,
                set: &p.set,
                headline,
            })
            .collect(),
    };
    let texts: Vec<Vec<&str>> = plan
        .points
        .iter()
        .map(|p| p.texts.iter().map(String::as_str).collect())
        .collect();
    write_atomic(&dir.join("sweep.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &report)?;
        Ok(w.write_all(b"\n")?)
    })?;
    write_atomic(&dir.join("sweep.csv"), |w| write_csv(&report, &texts, w))?;

    let mut charts = Vec::new();
    if !flags.no_charts {
        let data = chart_data(&report);
        let name = if plan.parameters.len() == 1 {
            "sweep"
        } else {
            "heatmap"
        };
        for path in write_chart_pair(dir, name, |format| {
            chart::render_sweep(&data, format, chart::DEFAULT_SIZE)
        })? {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            charts.push(format!("charts/{file}"));
        }
    }

    let done = trials * plan.points.len() as u64;
    folder.unless_interrupted(Ok(()), done, done)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;

    if flags.json {
        print_json(&report)?;
    } else if !flags.quiet {
        let mut files = vec!["sweep.csv".to_owned(), "sweep.json".to_owned()];
        files.extend(charts);
        to_stdout(|w| {
            write!(w, "{}", render_table(&report, &texts))?;
            writeln!(w, "\nWrote {} to {}", files.join(", "), shown.display())
        })?;
    }
    Ok(())
}

fn chart_data(r: &SweepReport) -> SweepChart {
    SweepChart {
        scenario: r.scenario.to_owned(),
        trials: r.trials,
        target_gpus: r.target_gpus as f64,
        deadline: r.deadline.to_owned(),
        params: r.parameters.iter().map(|p| p.path.clone()).collect(),
        values: r.parameters.iter().map(|p| p.values.clone()).collect(),
        points: r
            .points
            .iter()
            .map(|p| SweepPoint {
                p_target: p.headline.p_target_by_deadline.estimate,
                p_low: p.headline.p_target_by_deadline.ci95_low,
                p_high: p.headline.p_target_by_deadline.ci95_high,
                gpus_p10: p.headline.available_gpus_at_deadline.p10,
                gpus_p50: p.headline.available_gpus_at_deadline.p50,
                gpus_p90: p.headline.available_gpus_at_deadline.p90,
            })
            .collect(),
        threshold: r.threshold,
    }
}

fn write_csv(report: &SweepReport, texts: &[Vec<&str>], w: &mut dyn Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header: Vec<&str> = report.parameters.iter().map(|p| p.path.as_str()).collect();
    let headline = output::headline_columns("p_target_by_deadline");
    header.extend(headline.iter().map(String::as_str));
    out.write_record(&header)?;
    for (p, text) in report.points.iter().zip(texts) {
        let mut row: Vec<String> = text.iter().map(|s| (*s).to_owned()).collect();
        row.extend(output::headline_cells(
            &p.headline.p_target_by_deadline,
            &p.headline.full_capacity_date,
            &p.headline.available_gpus_at_deadline,
            &p.headline.bottleneck_share,
        ));
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

fn render_table(r: &SweepReport, texts: &[Vec<&str>]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "sweep {} · {} grid points × {} trials · seed {} · common random numbers\n",
        r.scenario,
        r.points.len(),
        thousands(r.trials as f64),
        r.seed
    );
    let _ = writeln!(
        t,
        "Target: {} GPUs online by {}\n",
        thousands(r.target_gpus as f64),
        r.deadline
    );
    let widths: Vec<usize> = r
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            texts
                .iter()
                .map(|row| row[i].len())
                .chain([p.path.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut head = String::from(" ");
    for (p, w) in r.parameters.iter().zip(&widths) {
        let _ = write!(head, " {:<w$}", p.path);
    }
    let _ = write!(
        head,
        "  {:>9}  {:<15}  {:<11}  {:>6}  {:>9}  {:<19}",
        "P(target)", "95% CI", "full P50", "never", "GPUs P50", "GPUs P10 – P90"
    );
    let _ = writeln!(t, "{}", head.trim_end());
    for (p, row) in r.points.iter().zip(texts) {
        let mut line = String::from(" ");
        for (v, w) in row.iter().zip(&widths) {
            let _ = write!(line, " {v:<w$}");
        }
        let pt = &p.headline.p_target_by_deadline;
        let a = &p.headline.available_gpus_at_deadline;
        let ci = format!("{} – {}", percent(pt.ci95_low), percent(pt.ci95_high));
        let _ = write!(
            line,
            "  {:>9}  {:<15}  {:<11}  {:>6}  {:>9}  {} – {}",
            percent(pt.estimate),
            ci,
            p.headline
                .full_capacity_date
                .p50
                .clone()
                .unwrap_or_else(|| "never".into()),
            percent(p.headline.full_capacity_date.never_fraction),
            thousands(a.p50),
            thousands(a.p10),
            thousands(a.p90),
        );
        let _ = writeln!(t, "{}", line.trim_end());
    }
    let reaching: Vec<&str> = r
        .points
        .iter()
        .zip(texts)
        .filter(|(p, _)| p.headline.p_target_by_deadline.estimate >= r.threshold)
        .map(|(_, row)| row[0])
        .collect();
    let _ = writeln!(
        t,
        "\nGrid points with P(target) ≥ {}: {} of {}",
        percent(r.threshold),
        reaching.len(),
        r.points.len()
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[(f64, String)]) -> Vec<&str> {
        v.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lists_keep_their_text() {
        let v = parse_values("0.8, 1.0,1.2").unwrap();
        assert_eq!(texts(&v), ["0.8", "1.0", "1.2"]);
        assert_eq!(v[1].0, 1.0);
        assert_eq!(texts(&parse_values("150").unwrap()), ["150"]);
    }

    #[test]
    fn ranges_are_inclusive_and_evenly_spaced() {
        let v = parse_values("0.6:1.4:9").unwrap();
        assert_eq!(
            texts(&v),
            [
                "0.6", "0.7", "0.8", "0.9", "1.0", "1.1", "1.2", "1.3", "1.4"
            ]
        );
        let v = parse_values("0:30:4").unwrap();
        assert_eq!(texts(&v), ["0", "10", "20", "30"]);
        // Whole-number ends with a fractional step give floats.
        let v = parse_values("0:1:3").unwrap();
        assert_eq!(texts(&v), ["0.0", "0.5", "1.0"]);
        // Descending ranges are fine.
        assert_eq!(texts(&parse_values("2:1:2").unwrap()), ["2", "1"]);
    }

    #[test]
    fn bad_values_are_explained() {
        let err = |s: &str| parse_values(s).unwrap_err();
        assert!(
            err("0.6:1.4:1").contains("at least 2"),
            "{}",
            err("0.6:1.4:1")
        );
        assert!(err("0.6:1.4:0").contains("at least 2"));
        assert!(err("0.6:1.4:x").contains("not a whole number"));
        assert!(err("0.6:1.4").contains("start:stop:count"));
        assert!(err("a:1:3").contains("`a` is not a number"));
        assert!(err("0.8,fast").contains("`fast` is not a number"));
        assert!(err("0.8,,1").contains("empty item"));
        assert!(err("").contains("empty item"));
        assert!(err("nan").contains("not a number"));
        let e = parse_vary("supply.main.rate_scale").unwrap_err();
        assert!(e.contains("expected PATH=VALUES"), "{e}");
        let e = parse_vary("supply..x=1,2").unwrap_err();
        assert!(e.contains("empty path segment"), "{e}");
        let v = parse_vary("supply.main.rate_scale=0.5:1:2").unwrap();
        assert_eq!(v.path, "supply.main.rate_scale");
        assert_eq!(texts(&v.values), ["0.5", "1.0"]);
    }

    #[test]
    fn wildcards_expand_to_ids_or_indices() {
        let doc: toml::Value = toml::Value::Table(
            r#"
            [[sites]]
            id = "a"
            phases = [ { mw = 1 }, { mw = 2 } ]
            [[sites]]
            id = "b"
            phases = [ { mw = 3 } ]
            "#
            .parse::<toml::Table>()
            .unwrap(),
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.*.power_scale").unwrap(),
            ["sites.a.power_scale", "sites.b.power_scale"]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.*.phases.*.mw").unwrap(),
            [
                "sites.a.phases.0.mw",
                "sites.a.phases.1.mw",
                "sites.b.phases.0.mw"
            ]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.b.phases.*.mw").unwrap(),
            ["sites.b.phases.0.mw"]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.1.phases.*.mw").unwrap(),
            ["sites.1.phases.0.mw"]
        );
        // No wildcard: unchanged, even when it names nothing (`--set` reports that).
        assert_eq!(expand_wildcards(&doc, "nope.x").unwrap(), ["nope.x"]);
        let e = expand_wildcards(&doc, "supply.*.rate_scale").unwrap_err();
        assert!(e.contains("`supply` is not an array"), "{e}");
        let e = expand_wildcards(&doc, "sites.a.*").unwrap_err();
        assert!(e.contains("`sites.a` is not an array"), "{e}");
    }

    #[test]
    fn grids_beyond_the_cap_are_refused() {
        let v = |n: usize| Vary {
            path: "x".into(),
            values: vec![(0.0, "0".into()); n],
        };
        assert!(check_grid_size(&[v(1000), v(1000)]).is_ok());
        assert!(check_grid_size(&[v(10_000)]).is_ok());
        let e = check_grid_size(&[v(1001), v(1000)]).unwrap_err().0;
        assert!(e.contains("1,001,000 points (1001 × 1000)"), "{e}");
        assert!(e.contains("at most 1,000,000 grid points"), "{e}");
    }

    #[test]
    fn the_grid_runs_the_first_parameter_outermost() {
        let v = |n: usize| Vary {
            path: "x".into(),
            values: (0..n).map(|k| (k as f64, k.to_string())).collect(),
        };
        assert_eq!(
            grid(&[v(2), v(3)]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(grid(&[v(2)]), [[0], [1]]);
    }
}
