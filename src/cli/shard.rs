//! Sharding for `run`, `sweep` and `compare` (`--shard K/N`, or `--shards N` inside an array
//! job), and `capsim merge`.
//!
//! A shard simulates its slice of the trials and writes a partial result (`capsim::shard`);
//! `merge` checks that a set of partials is exactly one command's shards, merges them exactly,
//! and writes what the unsharded command would have written, byte for byte. Partials are
//! untrusted: every check (headers, stored scenarios, bodies, merges, the shards' `trials.csv`
//! files) runs before the output folder is touched, so a refused set leaves no output.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use capsim::analysis::{RunRequest, RunResult};
use capsim::engine::EngineConfig;
use capsim::scenario::Scenario;
use capsim::shard::{self, MergedRuns, PartialBody, PartialHeader, PartialRun, Shard};
use capsim::stats::Layout;
use rayon::prelude::*;
use serde::Serialize;

use super::app::{
    InputError, compile, constraint_costs, finish_results, out_dir, print_json, progress_bar,
    simulate, stem, write_atomic,
};
use super::args::{MergeArgs, OutputFlags, RunArgs, RunFlags, ShardFlags};
use super::folder::ResultsFolder;
use capsim::output::thousands;

/// Environment variables that carry an array task's index, in the order they are consulted.
const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// The shard of `count` named by the first of [`INDEX_VARIABLES`] that `var` finds, and the
/// variable's name.
fn index_from_env(
    count: u64,
    var: impl Fn(&str) -> Option<String>,
) -> Result<(Shard, &'static str), String> {
    let Some((name, value)) = INDEX_VARIABLES
        .iter()
        .find_map(|&name| var(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
    else {
        return Err(format!(
            "--shards {count} reads the shard index from the environment, but none of {} is \
             set: run inside an array job, or give the index with --shard K/{count}",
            INDEX_VARIABLES.join(", ")
        ));
    };
    let index: u64 = value.trim().parse().map_err(|_| {
        format!("{name}={value} is not a shard index (a whole number from 0 to {count} - 1)")
    })?;
    Shard::new(index, count).map(|s| (s, name)).ok_or_else(|| {
        let hint = match name {
            "SLURM_ARRAY_TASK_ID" => format!(" (submit the array as --array=0-{})", count - 1),
            "JOB_COMPLETION_INDEX" => format!(" (set the Job's completions to {count})"),
            _ => format!(" (submit the array with size {count})"),
        };
        format!(
            "{name}={index} is not a shard of {count}: indices run from 0 to {}{hint}",
            count - 1
        )
    })
}

/// What a shard prints with `--json`.
#[derive(Serialize)]
struct ShardReport<'a> {
    partial: &'a Path,
    bytes: u64,
    shard: Shard,
    first_trial: u64,
    trials: u64,
    total_trials: u64,
    seed: u64,
    trials_csv: Option<&'a Path>,
    seconds: f64,
}

/// The shard a sharded command runs (`None` without `--shard`/`--shards`), announced on stderr
/// unless `quiet`. Checks that every shard gets at least one trial.
pub(crate) fn resolve(flags: &ShardFlags, total_trials: u64, quiet: bool) -> Result<Option<Shard>> {
    let (shard, source) = match (flags.shard, flags.shards) {
        (Some((index, count)), _) => (Shard { index, count }, "--shard"),
        (None, Some(count)) => {
            index_from_env(count, |name| std::env::var(name).ok()).map_err(InputError)?
        }
        (None, None) => return Ok(None),
    };
    if shard.count > total_trials {
        bail!(InputError(format!(
            "{} shards for {total_trials} trials would leave shards empty: use at most \
             {total_trials} shards, or more trials",
            shard.count
        )));
    }
    if !quiet {
        let range = shard.trials(total_trials);
        eprintln!(
            "capsim: shard {} of {} (index from {source}): trials {}..{} of {}",
            shard.index, shard.count, range.start, range.end, total_trials
        );
    }
    Ok(Some(shard))
}

/// Where a command writes and which trials it runs: unsharded, `out_dir` (`--out`, else
/// `out/<name>`) and trials `0..trials`; as `shard`, `--out` else `out/<name>-shards`, and the
/// shard's slice of the trials.
pub(crate) fn dir_and_config(
    flags: &RunFlags,
    shard: Option<Shard>,
    name: &str,
    trials: u64,
    seed: u64,
) -> Result<(PathBuf, EngineConfig)> {
    let whole = EngineConfig::new(trials, seed, flags.threads);
    let Some(shard) = shard else {
        return Ok((out_dir(flags, name)?, whole));
    };
    let dir = flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{name}-shards")));
    fs::create_dir_all(&dir)
        .with_context(|| format!("creating output directory {}", dir.display()))?;
    let range = shard.trials(trials);
    let config = EngineConfig {
        trials: range.end - range.start,
        first_trial: range.start,
        ..whole
    };
    Ok((dir, config))
}

/// Writes `header` and `bodies` as `dir/<shard file>` and reports it (`--json` or a line).
pub(crate) fn write_shard(
    dir: &Path,
    header: PartialHeader,
    bodies: &[PartialBody],
    flags: &OutputFlags,
    seconds: f64,
) -> Result<()> {
    let shard = header.shard;
    let path = dir.join(shard.file_name());
    let csv_path = header.trials_csv.as_ref().map(|name| dir.join(name));
    let (first_trial, trials, total_trials, seed) = (
        header.first_trial,
        header.trials,
        header.total_trials,
        header.seed,
    );
    write_atomic(&path, |w| Ok(shard::write_partial(w, header, bodies)?))?;
    let bytes = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if flags.json {
        print_json(&ShardReport {
            partial: &path,
            bytes,
            shard,
            first_trial,
            trials,
            total_trials,
            seed,
            trials_csv: csv_path.as_deref(),
            seconds,
        })?;
    } else if !flags.quiet {
        super::to_stdout(|w| {
            writeln!(
                w,
                "Shard {} of {}: {} trials ({}..{} of {}, seed {seed}) in {seconds:.2} s. Wrote {} \
                 ({:.1} kB){}.",
                shard.index,
                shard.count,
                thousands(trials as f64),
                first_trial,
                first_trial + trials,
                thousands(total_trials as f64),
                path.display(),
                bytes as f64 / 1e3,
                csv_path
                    .map(|p| format!(" and {}", p.display()))
                    .unwrap_or_default()
            )?;
            writeln!(
                w,
                "When all {} shards are done: capsim merge {} --out DIR",
                shard.count,
                dir.display()
            )
        })?;
    }
    Ok(())
}

/// `capsim run --shard K/N` or `--shards N`: runs one shard and writes its partial result.
pub(crate) fn run_shard(
    args: &RunArgs,
    scenario: &capsim::scenario::Scenario,
    shard: Shard,
    request: &RunRequest,
) -> Result<()> {
    let model = compile(scenario)?;
    let (dir, _) = dir_and_config(
        &args.run,
        Some(shard),
        &stem(&args.scenario.scenario),
        request.trials,
        request.seed,
    )?;
    let csv_name = format!("{}.trials.csv", shard.stem());
    let csv_path = dir.join(&csv_name);
    let bar = progress_bar(request.planned_trials(), args.run.output.silent(), "trials");
    let started = Instant::now();
    let simulated = simulate(
        &model,
        request,
        args.trials_csv
            .then_some((csv_path.as_path(), scenario.start)),
        &|n| bar.inc(n),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let (seed, total_trials) = (request.seed, request.trials);
    let runs = vec![PartialRun {
        label: scenario.name.clone(),
        scenario_toml: scenario.resolved_toml(seed, total_trials),
    }];
    let mut header = PartialHeader::new("run", &scenario.name, runs, seed, total_trials, shard);
    header.trials_csv = args.trials_csv.then_some(csv_name);
    // `merge` computes the constraint costs once, from the whole run.
    header.context = serde_json::json!({ "cost_trials": args.cost_trials });
    let body = PartialBody {
        accumulator: simulated.accumulator,
        records: None,
    };
    write_shard(&dir, header, &[body], &args.run.output, seconds)
}

/// The partial files named by `args`: files as given, folders' `*.capsim` files sorted by name.
fn partial_files(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in args {
        let meta = fs::metadata(path).map_err(|e| {
            InputError(format!(
                "{}: {e} (give partial results or folders holding them)",
                path.display()
            ))
        })?;
        if meta.is_file() {
            files.push(path.clone());
            continue;
        }
        if !meta.is_dir() {
            bail!(InputError(format!(
                "{}: not a regular file or a folder (give partial results or folders holding \
                 them)",
                path.display()
            )));
        }
        let mut found: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == shard::EXTENSION) && p.is_file())
            .collect();
        if found.is_empty() {
            bail!(InputError(format!(
                "{} holds no partial results (*.{}): run `capsim run SCENARIO --shard K/N --out \
                 {}` first",
                path.display(),
                shard::EXTENSION,
                path.display()
            )));
        }
        found.sort();
        files.append(&mut found);
    }
    Ok(files)
}

fn open(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    Ok(BufReader::new(file))
}

/// A [`shard::PartialError`] as bad input (exit code 2).
fn input(e: shard::PartialError) -> InputError {
    InputError(e.to_string())
}

/// `capsim merge`. Everything is read and checked (headers, stored scenarios, bodies against
/// the scenarios' layouts, the shards' `trials.csv` files) before the output folder is touched.
pub(crate) fn merge(args: MergeArgs) -> Result<()> {
    let started = Instant::now();
    let files = partial_files(&args.partials)?;
    let mut parts = Vec::with_capacity(files.len());
    let mut runs = None;
    for path in files {
        let mut header = shard::read_header(&mut open(&path)?, &path).map_err(input)?;
        // Every header carries the scenario texts (a sweep's can be large); its hash is checked
        // against them on reading, so once the hashes match, one copy is enough.
        let texts = std::mem::take(&mut header.runs);
        runs.get_or_insert(texts);
        parts.push((path, header));
    }
    let parts = shard::check_set(parts).map_err(|e| InputError(e.0))?;
    let first = PartialHeader {
        runs: runs.unwrap_or_default(),
        ..parts[0].1.clone()
    };
    check_command(&first, &parts[0].0)?;
    let stored = shard::stored_runs(&first, &parts[0].0).map_err(input)?;
    let layouts: Vec<Layout> = stored.iter().map(|run| run.layout.clone()).collect();
    let bar = progress_bar(
        first.total_trials * first.runs.len() as u64,
        args.output.silent(),
        "trials merged",
    );
    // Contiguous runs of shards are read and merged on each core, then the runs are merged in
    // shard order: exact either way, and compare's per-trial records stay in trial order.
    let per_core = parts.len().div_ceil(rayon::current_num_threads().max(1));
    let runs: Vec<Result<Vec<PartialBody>>> = parts
        .par_chunks(per_core.max(1))
        .map(|chunk| {
            let mut merged: Vec<PartialBody> = Vec::new();
            for (path, _) in chunk {
                let mut r = open(path)?;
                let header = shard::read_header(&mut r, path).map_err(input)?;
                let bodies =
                    shard::read_body_for(&mut r, &header, path, &layouts).map_err(input)?;
                check_days(&stored, &bodies, path)?;
                bar.inc(header.trials * bodies.len() as u64);
                absorb(&mut merged, bodies, path)?;
            }
            Ok(merged)
        })
        .collect();
    let mut merged: Vec<PartialBody> = Vec::new();
    for (run, chunk) in runs.into_iter().zip(parts.chunks(per_core.max(1))) {
        absorb(&mut merged, run?, &chunk[0].0)?;
    }
    bar.finish_and_clear();
    if let Some(short) = merged
        .iter()
        .find(|b| b.accumulator.trials() != first.total_trials)
    {
        bail!(InputError(format!(
            "the shards hold {} trials, not the run's {}",
            short.accumulator.trials(),
            first.total_trials
        )));
    }
    let scenarios: Vec<Scenario> = stored.into_iter().map(|run| run.scenario).collect();
    let merged = MergedRuns {
        header: &first,
        scenarios: &scenarios,
        bodies: &merged,
    };
    if first.command != "run" {
        return match first.command.as_str() {
            "sweep" => super::sweep::write_merged(&merged, &args.out, &args.output),
            _ => super::compare::write_merged(&merged, &args.out, &args.output),
        };
    }
    let trials_csv = trials_csv_sources(&parts, args.output.quiet)?;
    let folder = ResultsFolder::create(&args.out, "run")?;
    let cost_trials = first.context["cost_trials"].as_u64().unwrap_or(0);
    let request = RunRequest {
        trials: first.total_trials,
        shard: None,
        seed: first.seed,
        threads: 0,
        precision: None,
        max_trials: 0,
        cost_trials,
    };
    let costs = constraint_costs(
        &compile(&scenarios[0])?,
        &request,
        first.total_trials,
        args.output.silent(),
    )?;
    if let Some(sources) = &trials_csv {
        concatenate_trials_csv(sources, &folder.path().join("trials.csv"))?;
    }
    let result = RunResult {
        scenario: scenarios[0].clone(),
        resolved_toml: first.runs[0].scenario_toml.clone(),
        seed: first.seed,
        accumulator: merged.bodies[0].accumulator.clone(),
        precision: None,
        constraint_costs: costs,
    };
    let done = format!(
        "Merged {} shards ({} trials) in {:.2} s",
        parts.len(),
        thousands(first.total_trials as f64),
        started.elapsed().as_secs_f64()
    );
    finish_results(folder, &result, trials_csv.is_some(), &args.output, &done)
}

/// Checks that every power phase of `bodies` (read from `path`) is energized on a day that is a
/// date, counted from its scenario's start: the engine keeps any day, so only a damaged or forged
/// partial holds one past the calendar.
fn check_days(runs: &[shard::StoredRun], bodies: &[PartialBody], path: &Path) -> Result<()> {
    for (run, body) in runs.iter().zip(bodies) {
        let acc = &body.accumulator;
        for phase in 0..acc.layout().phases {
            let h = acc.phase_energized_day(phase);
            let last = h.total().checked_sub(1).and_then(|k| h.order_statistic(k));
            for day in [h.order_statistic(0), last].into_iter().flatten() {
                let start = run.scenario.start;
                let date = jiff::Span::new()
                    .try_days(day)
                    .ok()
                    .and_then(|span| start.checked_add(span).ok());
                if date.is_none() {
                    bail!(InputError(format!(
                        "{}: a power phase of `{}` is energized {day} days after {start}, past \
                         any date (damaged or forged file?)",
                        path.display(),
                        run.scenario.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Checks that what `header` (of the partial at `path`) holds fits its command, before anything
/// is merged or written: one run for `run`; a plan listing each grid point for `sweep`; for
/// `compare`, trial records and one label per scenario, each a plain folder name (the labels
/// name the result folders `merge` writes).
fn check_command(header: &PartialHeader, path: &Path) -> Result<()> {
    let refuse = |what: String| -> Result<()> {
        bail!(InputError(format!(
            "{}: {what} (damaged or edited file?)",
            path.display()
        )))
    };
    let runs = header.runs.len();
    let listed = |key: &str| header.context[key].as_array().map_or(0, Vec::len);
    match header.command.as_str() {
        "run" if runs != 1 || header.records => refuse(format!(
            "a `run` partial holds {runs} runs, but one without records"
        )),
        "sweep" if listed("points") != runs || header.records => refuse(format!(
            "a `sweep` partial holds {runs} runs, but its plan lists {} grid points",
            listed("points")
        )),
        "compare" => {
            let labels: Vec<&str> = header.context["labels"]
                .as_array()
                .map(|a| a.iter().filter_map(|l| l.as_str()).collect())
                .unwrap_or_default();
            if !header.records || labels.len() != runs || listed("files") != runs {
                return refuse(format!(
                    "a `compare` partial holds {runs} runs, but its plan does not list one file \
                     and label per run with trial records"
                ));
            }
            let mut seen = std::collections::HashSet::new();
            match labels
                .iter()
                .find(|l| !shard::is_plain_file_name(l) || !seen.insert(**l))
            {
                Some(label) => refuse(format!(
                    "the comparison label {label:?} is not a plain, unique folder name"
                )),
                None => Ok(()),
            }
        }
        "run" | "sweep" => Ok(()),
        other => refuse(format!(
            "partials of `{other}` cannot be merged by this capsim (run, sweep or compare)"
        )),
    }
}
/// Merges `bodies` (read from `path`, or merged from shards starting there) into `merged`,
/// which holds the shards before them; the first bodies are taken as they are.
fn absorb(merged: &mut Vec<PartialBody>, bodies: Vec<PartialBody>, path: &Path) -> Result<()> {
    if merged.is_empty() {
        *merged = bodies;
        return Ok(());
    }
    for (total, body) in merged.iter_mut().zip(bodies) {
        if let Err(why) = total.accumulator.check_merge(&body.accumulator) {
            bail!(InputError(format!(
                "{}: cannot be merged with the shards before it: {why} (damaged or forged file?)",
                path.display()
            )));
        }
        total.accumulator.merge(&body.accumulator);
        if let (Some(all), Some(more)) = (&mut total.records, body.records) {
            all.extend(more);
        }
    }
    Ok(())
}

/// Most bytes one line of a shard's `trials.csv` may take, its header line included: 1 MiB,
/// room for tens of thousands of columns.
const MAX_TRIALS_CSV_LINE_BYTES: u64 = 1 << 20;

/// One shard's `trials.csv`, checked: its path and its size when checked.
struct TrialsCsv {
    path: PathBuf,
    bytes: u64,
}

/// The shards' `trials.csv` files, in shard order, when every shard wrote one (`None` when not,
/// with a note unless `quiet`). Each must be a regular file (not a link, device or pipe) named
/// plainly beside its partial, at most [`MAX_TRIALS_CSV_LINE_BYTES`] per line, with the first
/// shard's columns and one row per trial of its shard.
fn trials_csv_sources(
    parts: &[(PathBuf, PartialHeader)],
    quiet: bool,
) -> Result<Option<Vec<TrialsCsv>>> {
    let with_csv = parts.iter().filter(|(_, h)| h.trials_csv.is_some()).count();
    if with_csv < parts.len() {
        if with_csv > 0 && !quiet {
            eprintln!(
                "note: trials.csv not written: only {with_csv} of {} shards ran with --trials-csv",
                parts.len()
            );
        }
        return Ok(None);
    }
    let mut sources = Vec::with_capacity(parts.len());
    let mut first_line: Option<Vec<u8>> = None;
    for (path, h) in parts {
        let name = h.trials_csv.as_deref().unwrap_or_default();
        let csv = path.parent().unwrap_or(Path::new(".")).join(name);
        let refuse = |what: String| InputError(format!("{}: {what}", csv.display()));
        let meta = fs::symlink_metadata(&csv).map_err(|e| {
            InputError(format!(
                "{} names {name} beside it, but {}: {e}",
                path.display(),
                csv.display()
            ))
        })?;
        let (mut r, bytes) = open_trials_csv(&csv, &meta, h.trials).map_err(refuse)?;
        let line = header_line(&mut r).map_err(refuse)?;
        match &first_line {
            None => first_line = Some(line),
            Some(first) if *first == line => {}
            Some(_) => bail!(refuse("its columns differ from the first shard's".into())),
        }
        let mut rows = 0u64;
        loop {
            let buf = r
                .fill_buf()
                .with_context(|| format!("reading {}", csv.display()))?;
            if buf.is_empty() {
                break;
            }
            rows += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            let n = buf.len();
            r.consume(n);
        }
        if rows != h.trials {
            bail!(refuse(format!(
                "has {rows} rows, but its shard ran {} trials (incomplete file?)",
                h.trials
            )));
        }
        sources.push(TrialsCsv { path: csv, bytes });
    }
    Ok(Some(sources))
}

/// Opens a shard's `trials.csv` (`meta`: its metadata, links not followed) if it is a regular
/// file no larger than `rows` rows and a header line can be; returns a reader of its bytes as
/// they were when checked, and their number.
fn open_trials_csv(
    csv: &Path,
    meta: &fs::Metadata,
    rows: u64,
) -> std::result::Result<(BufReader<std::io::Take<File>>, u64), String> {
    let regular = "not a regular file: a shard's --trials-csv rows are a plain file beside its \
                   partial";
    if !meta.is_file() {
        return Err(regular.into());
    }
    let cap = rows
        .saturating_add(1)
        .saturating_mul(MAX_TRIALS_CSV_LINE_BYTES);
    if meta.len() > cap {
        return Err(format!(
            "{} bytes is more than {rows} rows and a header line can take ({cap} bytes at 1 \
             MiB per line)",
            meta.len()
        ));
    }
    let file = File::open(csv).map_err(|e| e.to_string())?;
    // Checked again on the open file, in case the name was swapped for something else.
    if !file.metadata().map_err(|e| e.to_string())?.is_file() {
        return Err(regular.into());
    }
    Ok((BufReader::new(file.take(meta.len())), meta.len()))
}

/// Reads the header line of a `trials.csv`, newline included, refusing one longer than
/// [`MAX_TRIALS_CSV_LINE_BYTES`] or without an end.
fn header_line(r: &mut impl BufRead) -> std::result::Result<Vec<u8>, String> {
    let mut line = Vec::new();
    r.take(MAX_TRIALS_CSV_LINE_BYTES)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if line.last() != Some(&b'\n') {
        return Err("its header line does not end within 1 MiB".into());
    }
    Ok(line)
}

/// Concatenates the checked `sources` into `target`: the first header line, then every file's
/// rows, in shard order. A file that changed since it was checked is an error.
fn concatenate_trials_csv(sources: &[TrialsCsv], target: &Path) -> Result<()> {
    write_atomic(target, |w| {
        for (i, source) in sources.iter().enumerate() {
            let changed =
                || InputError(format!("{}: changed while merging", source.path.display()));
            let meta = fs::symlink_metadata(&source.path)
                .with_context(|| format!("reading {}", source.path.display()))?;
            let (mut r, _) =
                open_trials_csv(&source.path, &meta, u64::MAX).map_err(|_| changed())?;
            let line = header_line(&mut r).map_err(|_| changed())?;
            if i == 0 {
                w.write_all(&line)?;
            }
            let copied = std::io::copy(&mut r, w)
                .with_context(|| format!("reading {}", source.path.display()))?;
            if line.len() as u64 + copied != source.bytes {
                bail!(changed());
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_index_comes_from_the_first_scheduler_variable_set() {
        let (s, from) = index_from_env(8, env(&[("JOB_COMPLETION_INDEX", "5")])).unwrap();
        assert_eq!((s.index, s.count, from), (5, 8, "JOB_COMPLETION_INDEX"));
        let both = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
            ("SLURM_ARRAY_TASK_ID", "2"),
        ]);
        assert_eq!(index_from_env(8, both).unwrap().1, "SLURM_ARRAY_TASK_ID");
    }

    #[test]
    fn bad_or_missing_indices_explain_themselves() {
        let err = index_from_env(4, env(&[])).unwrap_err();
        assert!(
            err.contains("none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX"),
            "{err}"
        );
        assert!(err.contains("--shard K/4"), "{err}");
        let err = index_from_env(4, env(&[("SLURM_ARRAY_TASK_ID", "4")])).unwrap_err();
        assert!(err.contains("--array=0-3"), "{err}");
        let err = index_from_env(4, env(&[("JOB_COMPLETION_INDEX", "x")])).unwrap_err();
        assert!(
            err.contains("JOB_COMPLETION_INDEX=x is not a shard index"),
            "{err}"
        );
    }
}
