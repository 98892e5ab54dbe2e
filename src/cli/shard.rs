//! Sharding for `run`, `sweep` and `compare`: `--shard K/N`, or `--shards N` inside an array job,
//! resolved to a shard of the trials, where its partial goes, and the line a shard prints.
//!
//! A shard simulates its slice of the trials and writes a partial result
//! ([`capsim::results::write_partial`]); `capsim merge` (src/cli/merge.rs) has the library check and
//! merge a set of them.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use capsim::output::thousands;
use capsim::results;
use capsim::shard::{PartialBody, PartialHeader, Shard};
use serde::Serialize;

use super::args::{OutputFlags, RunFlags, ShardFlags};
use super::common::{InputError, out_dir, print_json};

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

/// The folder a shard writes its partial into: `--out`, else `out/<name>-shards`; created.
pub(crate) fn shard_dir(flags: &RunFlags, name: &str) -> Result<PathBuf> {
    let dir = flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{name}-shards")));
    fs::create_dir_all(&dir)
        .with_context(|| format!("creating output directory {}", dir.display()))?;
    Ok(dir)
}

/// Where a command writes: unsharded, `out_dir` (`--out`, else `out/<name>`); as a shard,
/// [`shard_dir`].
pub(crate) fn results_dir(flags: &RunFlags, shard: Option<Shard>, name: &str) -> Result<PathBuf> {
    match shard {
        None => out_dir(flags, name),
        Some(_) => shard_dir(flags, name),
    }
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
    let csv_path = header.trials_csv.as_ref().map(|name| dir.join(name));
    let (first_trial, trials, total_trials, seed) = (
        header.first_trial,
        header.trials,
        header.total_trials,
        header.seed,
    );
    let path = results::write_partial(dir, header, bodies)?;
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
        super::common::to_stdout(|w| {
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
