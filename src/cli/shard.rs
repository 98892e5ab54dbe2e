//! `capsim run --shard K/N` (or `--shards N` inside an array job) and `capsim merge`.
//!
//! A shard simulates its slice of the trials and writes a partial result
//! (`capsim::shard`); `merge` checks that a set of partials is exactly one run's shards, merges
//! them exactly, and writes what `run` would have written, byte for byte.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use capsim::engine::EngineConfig;
use capsim::shard::{self, PartialHeader, PartialRun, Shard};
use serde::Serialize;

use super::app::{
    InputError, RunResults, compile, print_json, progress_bar, simulate, stem, write_atomic,
    write_results,
};
use super::args::{MergeArgs, RunArgs, RunFlags};
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

/// What `run --shard --json` prints.
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

/// `capsim run --shard K/N` or `--shards N`: runs one shard and writes its partial result.
pub(crate) fn run_shard(
    args: &RunArgs,
    scenario: &capsim::scenario::Scenario,
    total_trials: u64,
    seed: u64,
) -> Result<()> {
    if args.precision.is_some() || args.precision_days.is_some() {
        bail!(InputError(
            "--precision and --precision-days cannot be combined with sharding: a shard runs a \
             fixed slice of a fixed trial count (pick --trials from an unsharded precision run)"
                .into()
        ));
    }
    let (shard, source) = match (args.shard, args.shards) {
        (Some((index, count)), _) => (Shard { index, count }, "--shard"),
        (None, Some(count)) => {
            index_from_env(count, |name| std::env::var(name).ok()).map_err(InputError)?
        }
        (None, None) => unreachable!("run_shard is only called for a sharded run"),
    };
    if shard.count > total_trials {
        bail!(InputError(format!(
            "{} shards for {total_trials} trials would leave shards empty: use at most \
             {total_trials} shards, or more trials",
            shard.count
        )));
    }
    let model = compile(scenario)?;
    let dir = args.run.out.clone().unwrap_or_else(|| {
        PathBuf::from("out").join(format!("{}-shards", stem(&args.scenario.scenario)))
    });
    fs::create_dir_all(&dir)
        .with_context(|| format!("creating output directory {}", dir.display()))?;
    let range = shard.trials(total_trials);
    let quiet = args.run.quiet || args.run.json;
    if !quiet {
        eprintln!(
            "capsim: shard {} of {} (index from {source}): trials {}..{} of {}",
            shard.index, shard.count, range.start, range.end, total_trials
        );
    }

    let config = EngineConfig {
        trials: range.end - range.start,
        first_trial: range.start,
        ..EngineConfig::new(total_trials, seed, args.run.threads)
    };
    let csv_name = format!("{}.trials.csv", shard.stem());
    let csv_path = dir.join(&csv_name);
    let bar = progress_bar(config.trials, quiet, "trials");
    let started = Instant::now();
    let (acc, _) = simulate(
        &model,
        &config,
        None,
        0,
        args.trials_csv
            .then_some((csv_path.as_path(), scenario.start)),
        &|n| bar.inc(n),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let runs = vec![PartialRun {
        label: scenario.name.clone(),
        scenario_toml: scenario.resolved_toml(seed, total_trials),
    }];
    let mut header = PartialHeader::new("run", &scenario.name, runs, seed, total_trials, shard);
    header.trials_csv = args.trials_csv.then(|| csv_name.clone());
    let path = dir.join(shard.file_name());
    write_atomic(&path, |w| {
        Ok(shard::write_partial(w, header, std::slice::from_ref(&acc))?)
    })?;
    let bytes = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    if args.run.json {
        print_json(&ShardReport {
            partial: &path,
            bytes,
            shard,
            first_trial: range.start,
            trials: config.trials,
            total_trials,
            seed,
            trials_csv: args.trials_csv.then_some(csv_path.as_path()),
            seconds,
        })?;
    } else if !args.run.quiet {
        println!(
            "Shard {} of {}: {} trials ({}..{} of {}, seed {seed}) in {seconds:.2} s. Wrote {} \
             ({:.1} kB){}.",
            shard.index,
            shard.count,
            thousands(config.trials as f64),
            range.start,
            range.end,
            thousands(total_trials as f64),
            path.display(),
            bytes as f64 / 1e3,
            if args.trials_csv {
                format!(" and {}", csv_path.display())
            } else {
                String::new()
            }
        );
        println!(
            "When all {} shards are done: capsim merge {} --out DIR",
            shard.count,
            dir.display()
        );
    }
    Ok(())
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
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
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

/// `capsim merge`.
pub(crate) fn merge(args: MergeArgs) -> Result<()> {
    let started = Instant::now();
    let files = partial_files(&args.partials)?;
    let mut parts = Vec::with_capacity(files.len());
    for path in files {
        let header =
            shard::read_header(&mut open(&path)?, &path).map_err(|e| InputError(e.to_string()))?;
        parts.push((path, header));
    }
    let parts = shard::check_set(parts).map_err(|e| InputError(e.0))?;
    let first = parts[0].1.clone();
    if first.command != "run" || first.runs.len() != 1 {
        bail!(InputError(format!(
            "{}: partials of `{}` cannot be merged by this capsim (only `run`)",
            parts[0].0.display(),
            first.command
        )));
    }

    let bar = progress_bar(first.total_trials, args.quiet || args.json, "trials merged");
    let mut total: Option<capsim::stats::Accumulator> = None;
    for (path, _) in &parts {
        let mut r = open(path)?;
        let header = shard::read_header(&mut r, path).map_err(|e| InputError(e.to_string()))?;
        let mut accs =
            shard::read_body(&mut r, &header, path).map_err(|e| InputError(e.to_string()))?;
        let acc = accs.remove(0);
        bar.inc(acc.trials());
        match &mut total {
            None => total = Some(acc),
            Some(t) if t.layout() == acc.layout() => t.merge(&acc),
            Some(_) => bail!(InputError(format!(
                "{}: its accumulator layout differs from {}'s although the scenarios match \
                 (damaged file?)",
                path.display(),
                parts[0].0.display()
            ))),
        }
    }
    bar.finish_and_clear();
    let acc = total.expect("check_set returns at least one partial");
    if acc.trials() != first.total_trials {
        bail!(InputError(format!(
            "the shards hold {} trials, not the run's {}",
            acc.trials(),
            first.total_trials
        )));
    }

    let run = &first.runs[0];
    let origin = parts[0].0.join("scenario");
    let scenario = capsim::scenario::parse(&run.scenario_toml, &origin).with_context(|| {
        format!(
            "the scenario stored in {} does not load",
            parts[0].0.display()
        )
    })?;
    fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output directory {}", args.out.display()))?;
    let trials_csv = merge_trials_csv(&parts, &args.out.join("trials.csv"), args.quiet)?;
    let flags = RunFlags {
        trials: None,
        seed: None,
        threads: 0,
        out: Some(args.out.clone()),
        json: args.json,
        quiet: args.quiet,
        no_charts: args.no_charts,
    };
    let results = RunResults {
        scenario: &scenario,
        resolved_toml: &run.scenario_toml,
        seed: first.seed,
        acc: &acc,
        precision: None,
        trials_csv,
    };
    let done = format!(
        "Merged {} shards ({} trials) in {:.2} s",
        parts.len(),
        thousands(acc.trials() as f64),
        started.elapsed().as_secs_f64()
    );
    write_results(&args.out, &results, &flags, &done)
}

/// Concatenates the shards' `trials.csv` files, in shard order, into `target`, when every shard
/// wrote one. Returns whether it did.
fn merge_trials_csv(
    parts: &[(PathBuf, PartialHeader)],
    target: &Path,
    quiet: bool,
) -> Result<bool> {
    let with_csv = parts.iter().filter(|(_, h)| h.trials_csv.is_some()).count();
    if with_csv < parts.len() {
        if with_csv > 0 && !quiet {
            eprintln!(
                "note: trials.csv not written: only {with_csv} of {} shards ran with --trials-csv",
                parts.len()
            );
        }
        return Ok(false);
    }
    write_atomic(target, |w| {
        let mut header_line: Option<String> = None;
        for (path, h) in parts {
            let name = h.trials_csv.as_deref().unwrap_or_default();
            let csv = path.parent().unwrap_or(Path::new(".")).join(name);
            let mut r =
                open(&csv).with_context(|| format!("{} names {name} beside it", path.display()))?;
            let mut line = String::new();
            r.read_line(&mut line)
                .with_context(|| format!("reading {}", csv.display()))?;
            match &header_line {
                None => {
                    w.write_all(line.as_bytes())?;
                    header_line = Some(line);
                }
                Some(first) if *first == line => {}
                Some(_) => bail!(InputError(format!(
                    "{}: its columns differ from the first shard's",
                    csv.display()
                ))),
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
                w.write_all(buf)?;
                let n = buf.len();
                r.consume(n);
            }
            if rows != h.trials {
                bail!(InputError(format!(
                    "{} has {rows} rows, but its shard ran {} trials (incomplete file?)",
                    csv.display(),
                    h.trials
                )));
            }
        }
        Ok(())
    })?;
    Ok(true)
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
