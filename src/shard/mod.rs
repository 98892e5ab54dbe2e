//! Sharded runs: one run's trials split over N independent processes (array jobs on Slurm,
//! Kubernetes or AWS Batch), each writing a *partial result*, merged exactly afterwards.
//!
//! Shard `k` of `n` runs trials `⌊T·k/n⌋ .. ⌊T·(k+1)/n⌋` of a `T`-trial run. Trials draw from
//! generators keyed by (seed, trial, input) and accumulators merge exactly, so merging all `n`
//! partials gives the same [`Accumulator`] as the unsharded run, bit for bit, whatever `n`.
//!
//! `run`, `sweep` and `compare` can be sharded. A partial result is one file: a single line of
//! JSON ([`PartialHeader`]: the command, which trials, the resolved text of every scenario run,
//! and what the command needs to write its report), then a deflate-compressed body holding one
//! encoded accumulator per scenario (see [`Accumulator::encode`]), plus, for `compare`, the
//! per-trial records its paired statistics need. Accumulators do not grow with the trial count:
//! their size is set by the horizon and the spread of the outcomes. [`check_set`] refuses sets that cannot be
//! merged: other versions, scenarios, seeds or layouts, duplicated or missing shards. The format
//! is specified in `docs/sharding.md`; [`FORMAT_VERSION`] changes with it.
//!
//! A partial is untrusted input. [`read_header`] recomputes the scenario hash and checks every
//! header field that could divide by zero, wrap a count or name a file outside the partial's
//! folder; [`stored_runs`] rebuilds each run's accumulator layout from its stored scenario, and
//! [`read_body_for`] refuses a body whose layout differs from it, inflating no more than that
//! layout can need (see [`Layout::max_encoded_bytes`]).
//!
//! [`PartialSet`] (in `merge.rs`) does all of `capsim merge` but the writing: it reads a set of
//! partials, checks it and merges the bodies exactly, in shard order ([`merge()`]).

mod merge;

use std::fmt::Write as _;
use std::io::{BufRead, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use merge::{MergeError, Merged, PartialSet, TrialsCsvSources, merge};

use crate::engine::EngineConfig;
use crate::scenario::Scenario;
use crate::stats::{Accumulator, DecodeError, Layout, TrialRecord, decode_records, encode_records};

/// Version of the partial-result format this build reads and writes.
pub const FORMAT_VERSION: u32 = 4;

/// The `format` field of every partial header.
pub const FORMAT_NAME: &str = "capsim-partial";

/// File name extension of partial results.
pub const EXTENSION: &str = "capsim";

/// The version of capsim writing partials; merging needs the same version.
pub const CAPSIM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest header line read before giving up (the header holds the scenario text).
const MAX_HEADER_BYTES: u64 = 64 << 20;

/// Which slice of a run's trials one process runs: shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

/// The engine's configuration for the trials of a `trials`-trial run that `shard` runs: all of
/// them when `None`, else the shard's slice.
pub fn engine_config(shard: Option<Shard>, trials: u64, seed: u64, threads: usize) -> EngineConfig {
    let whole = EngineConfig::new(trials, seed, threads);
    match shard {
        None => whole,
        Some(shard) => {
            let range = shard.trials(trials);
            EngineConfig {
                trials: range.end - range.start,
                first_trial: range.start,
                ..whole
            }
        }
    }
}

impl Shard {
    /// Shard `index` of `count`, if `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// The trials this shard runs out of `total`: contiguous, sizes differing by at most one,
    /// covering `0..total` exactly once over all shards. Needs `index < count` (as
    /// [`Shard::new`] and [`read_header`] ensure).
    pub fn trials(&self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// The file name of this shard's partial, e.g. `shard-0003-of-1000.capsim`: zero-padded so
    /// that names sort in shard order.
    pub fn file_name(&self) -> String {
        format!("{}.{EXTENSION}", self.stem())
    }

    /// `shard-0003-of-1000`: the file name without extension.
    pub fn stem(&self) -> String {
        let width = (self.count.saturating_sub(1)).to_string().len().max(4);
        format!(
            "shard-{:0width$}-of-{:0width$}",
            self.index,
            self.count,
            width = width
        )
    }
}

/// One simulated scenario inside a partial (a `run` has one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialRun {
    /// What this run is within the command (the scenario name for `run`).
    pub label: String,
    /// The resolved scenario (`scenario.resolved.toml` of an unsharded run), verbatim.
    pub scenario_toml: String,
}

/// The first line of a partial result file. Field order is part of the format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Version of the capsim that wrote it.
    pub capsim_version: String,
    /// The command sharded: `run`, `sweep` or `compare`.
    pub command: String,
    /// What the command needs, besides the scenarios, to write its report (null for `run`).
    pub context: serde_json::Value,
    /// Scenario name (for messages).
    pub scenario: String,
    /// FNV-1a 64 of the command and every run's resolved scenario text, 16 hex digits.
    pub scenario_hash: String,
    /// The run's seed.
    pub seed: u64,
    /// Trials of the whole (unsharded) run.
    pub total_trials: u64,
    /// This shard.
    pub shard: Shard,
    /// First trial index of this shard.
    pub first_trial: u64,
    /// Trials in this shard.
    pub trials: u64,
    /// Name of the per-trial CSV written beside the partial (`--trials-csv`), if any.
    pub trials_csv: Option<String>,
    /// What was simulated.
    pub runs: Vec<PartialRun>,
    /// Whether the body holds each trial's [`TrialRecord`] per run (`compare`).
    pub records: bool,
    /// Bytes of the compressed body after the header line.
    pub body_bytes: u64,
    /// Bytes of the body once inflated.
    pub body_raw_bytes: u64,
    /// CRC-32 (IEEE) of the compressed body.
    pub body_crc32: u32,
}

impl PartialHeader {
    /// A header for `shard` of a `total_trials` run of `runs`. `context` starts null and
    /// `trials_csv` empty; the hash and body fields are filled in by [`write_partial`].
    pub fn new(
        command: &str,
        scenario: &str,
        runs: Vec<PartialRun>,
        seed: u64,
        total_trials: u64,
        shard: Shard,
    ) -> PartialHeader {
        let range = shard.trials(total_trials);
        PartialHeader {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            capsim_version: CAPSIM_VERSION.into(),
            command: command.into(),
            context: serde_json::Value::Null,
            scenario: scenario.into(),
            scenario_hash: String::new(),
            seed,
            total_trials,
            shard,
            first_trial: range.start,
            trials: range.end - range.start,
            trials_csv: None,
            runs,
            records: false,
            body_bytes: 0,
            body_raw_bytes: 0,
            body_crc32: 0,
        }
    }
}

/// FNV-1a 64 of the command, its context and the runs' labels and scenario texts.
fn content_hash(command: &str, context: &serde_json::Value, runs: &[PartialRun]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(command.as_bytes());
    eat(context.to_string().as_bytes());
    for run in runs {
        eat(run.label.as_bytes());
        eat(run.scenario_toml.as_bytes());
    }
    format!("{h:016x}")
}

/// What can go wrong reading a partial result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartialError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a partial result, or not one this version can read.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// The body is damaged.
    #[error("{path}: the partial result is damaged: {source}")]
    Body {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: DecodeError,
    },
}

/// What a partial holds for one run: its accumulator and, when the header says so, one
/// record per trial in trial order.
#[derive(Debug, Clone)]
pub struct PartialBody {
    /// The run's statistics over the shard's trials.
    pub accumulator: Accumulator,
    /// Per-trial records (`compare`), else `None`.
    pub records: Option<Vec<TrialRecord>>,
}

/// Writes a partial: `header` (its body fields filled in here) and one body per run.
pub fn write_partial(
    w: &mut dyn Write,
    mut header: PartialHeader,
    bodies: &[PartialBody],
) -> std::io::Result<()> {
    assert_eq!(header.runs.len(), bodies.len(), "one body per run");
    header.scenario_hash = content_hash(&header.command, &header.context, &header.runs);
    header.records = bodies.iter().any(|b| b.records.is_some());
    let mut raw = Vec::new();
    let mut block = |encode: &dyn Fn(&mut Vec<u8>)| {
        let mut encoded = Vec::new();
        encode(&mut encoded);
        raw.extend_from_slice(&(encoded.len() as u64).to_le_bytes());
        raw.extend_from_slice(&encoded);
    };
    for body in bodies {
        block(&|out| body.accumulator.encode(out));
        if header.records {
            block(&|out| encode_records(body.records.as_deref().unwrap_or_default(), out));
        }
    }
    // The fastest level: 12x faster than the default for 8% more bytes (base scenario), so
    // writing a partial costs a shard well under a second.
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate.write_all(&raw)?;
    let body = deflate.finish()?;
    header.body_bytes = body.len() as u64;
    header.body_raw_bytes = raw.len() as u64;
    header.body_crc32 = crc32fast::hash(&body);
    serde_json::to_writer(&mut *w, &header)?;
    w.write_all(b"\n")?;
    w.write_all(&body)
}

/// Reads the header line of the partial at `path` from `r`, leaving `r` at the body.
pub fn read_header(r: &mut dyn BufRead, path: &Path) -> Result<PartialHeader, PartialError> {
    let format_error = |message: String| PartialError::Format {
        path: path.to_path_buf(),
        message,
    };
    let mut line = Vec::new();
    r.take(MAX_HEADER_BYTES)
        .read_until(b'\n', &mut line)
        .map_err(|source| PartialError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let prefix = format!("{{\"format\":\"{FORMAT_NAME}\"");
    if !line.starts_with(prefix.as_bytes()) || line.last() != Some(&b'\n') {
        return Err(format_error(format!(
            "not a capsim partial result (a file written by `capsim run --shard K/N`, \
             starting with `{prefix}`)"
        )));
    }
    // Read the version alone first, so a newer format gets a version message, not a parse error.
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
        capsim_version: String,
    }
    let version: Version = serde_json::from_slice(&line)
        .map_err(|e| format_error(format!("the header is not valid JSON: {e}")))?;
    if version.format_version != FORMAT_VERSION {
        return Err(format_error(format!(
            "partial format version {} (written by capsim {}); this capsim {CAPSIM_VERSION} reads \
             version {FORMAT_VERSION}: merge with the capsim version that wrote the shards",
            version.format_version, version.capsim_version
        )));
    }
    let header: PartialHeader = serde_json::from_slice(&line)
        .map_err(|e| format_error(format!("the header is invalid: {e}")))?;
    check_header(&header).map_err(format_error)?;
    Ok(header)
}

/// What is wrong with a parsed header on its own: a hash that does not match the stored
/// scenarios, an impossible shard or trial count, a `trials_csv` that is not a file beside it.
fn check_header(h: &PartialHeader) -> Result<(), String> {
    let hash = content_hash(&h.command, &h.context, &h.runs);
    if h.scenario_hash != hash {
        return Err(format!(
            "scenario_hash is {}, but the stored scenarios hash to {hash}: the header was edited \
             or damaged (re-run the shard)",
            h.scenario_hash
        ));
    }
    let max = u64::from(u32::MAX);
    if h.total_trials == 0 || h.total_trials > max {
        return Err(format!(
            "total_trials is {}, but a run has 1 to {max} trials",
            h.total_trials
        ));
    }
    if h.shard.count == 0 || h.shard.count > h.total_trials || h.shard.index >= h.shard.count {
        return Err(format!(
            "shard is {} of {}, but a run of {} trials has 1 to {} shards, indexed from 0 to \
             the count - 1",
            h.shard.index, h.shard.count, h.total_trials, h.total_trials
        ));
    }
    if h.runs.is_empty() {
        return Err("runs is empty, but a partial holds at least one run".into());
    }
    if let Some(name) = &h.trials_csv
        && !is_plain_file_name(name)
    {
        return Err(format!(
            "trials_csv is {name:?}, but it must be a plain file name beside the partial (no \
             folder, no `..`), such as {:?}",
            format!("{}.trials.csv", h.shard.stem())
        ));
    }
    Ok(())
}

/// Whether `name` names a file in the folder it is read from: not empty, not `.` or `..`, no
/// path separator, drive prefix or NUL.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', ':', '\0'])
}

/// One run of a partial, rebuilt from its stored scenario text.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// The scenario, parsed and validated.
    pub scenario: Scenario,
    /// The accumulator layout its model gives: every body of this run must have it.
    pub layout: Layout,
}

/// Parses and compiles every run's stored scenario of `header` (read from `path`), checks that
/// each records the header's seed and total trials, and returns them with their layouts.
pub fn stored_runs(header: &PartialHeader, path: &Path) -> Result<Vec<StoredRun>, PartialError> {
    let format_error = |message: String| PartialError::Format {
        path: path.to_path_buf(),
        message,
    };
    header
        .runs
        .iter()
        .map(|run| {
            let origin = path.join(&run.label);
            let scenario = crate::scenario::parse(&run.scenario_toml, &origin).map_err(|e| {
                format_error(format!(
                    "the scenario `{}` stored in it does not load: {e}",
                    run.label
                ))
            })?;
            if scenario.seed != Some(header.seed) || scenario.trials != Some(header.total_trials) {
                return Err(format_error(format!(
                    "the scenario `{}` stored in it records seed {} and {} trials, but the \
                     header says seed {} and {} trials",
                    run.label,
                    shown(scenario.seed),
                    shown(scenario.trials),
                    header.seed,
                    header.total_trials
                )));
            }
            let model = crate::model::Model::compile(&scenario).map_err(|e| {
                format_error(format!(
                    "the scenario `{}` stored in it does not compile: {e}",
                    run.label
                ))
            })?;
            Ok(StoredRun {
                layout: crate::engine::layout(&model),
                scenario,
            })
        })
        .collect()
}

/// `n`, or `none`.
fn shown(n: Option<u64>) -> String {
    n.map_or("none".into(), |n| n.to_string())
}

/// Most bytes one trial's record takes: two varints.
const MAX_RECORD_BYTES: u64 = 20;

/// Reads the body that follows `header` in `r`: one [`PartialBody`] per run, checked against
/// the header's length and checksum and against the layouts of the stored scenarios
/// ([`stored_runs`]). Use [`read_body_for`] when the layouts are already known.
pub fn read_body(
    r: &mut dyn Read,
    header: &PartialHeader,
    path: &Path,
) -> Result<Vec<PartialBody>, PartialError> {
    let layouts: Vec<Layout> = stored_runs(header, path)?
        .into_iter()
        .map(|run| run.layout)
        .collect();
    read_body_for(r, header, path, &layouts)
}

/// Reads the body that follows `header` in `r`, one [`PartialBody`] per run, checked against
/// the header's length and checksum; each run's accumulator must have `layouts[run]`. The body
/// is inflated one block at a time, and no block past what its layout can need
/// ([`Layout::max_encoded_bytes`]), whatever the header claims.
pub fn read_body_for(
    r: &mut dyn Read,
    header: &PartialHeader,
    path: &Path,
    layouts: &[Layout],
) -> Result<Vec<PartialBody>, PartialError> {
    let damaged = |source: DecodeError| PartialError::Body {
        path: path.to_path_buf(),
        source,
    };
    let io = |source: std::io::Error| PartialError::Io {
        path: path.to_path_buf(),
        source,
    };
    if layouts.len() != header.runs.len() {
        return Err(PartialError::Format {
            path: path.to_path_buf(),
            message: format!(
                "it holds {} runs, but the set merged has {}",
                header.runs.len(),
                layouts.len()
            ),
        });
    }
    let record_limit = header.trials.saturating_mul(MAX_RECORD_BYTES);
    let raw_limit = layouts.iter().fold(0u64, |total, layout| {
        let records = if header.records {
            record_limit.saturating_add(8)
        } else {
            0
        };
        total
            .saturating_add(layout.max_encoded_bytes())
            .saturating_add(8)
            .saturating_add(records)
    });
    // Deflate adds at most 5 bytes per stored block of up to 65,535 bytes.
    let body_limit = raw_limit
        .saturating_add(raw_limit / 8192)
        .saturating_add(64);
    if header.body_raw_bytes > raw_limit || header.body_bytes > body_limit {
        return Err(damaged(DecodeError::Invalid(
            "the header claims a larger body than its scenarios can fill",
        )));
    }
    let mut body = Vec::new();
    r.take(header.body_bytes.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(io)?;
    if body.len() as u64 != header.body_bytes {
        return Err(if (body.len() as u64) < header.body_bytes {
            damaged(DecodeError::Truncated)
        } else {
            damaged(DecodeError::Invalid("bytes follow the body"))
        });
    }
    if crc32fast::hash(&body) != header.body_crc32 {
        return Err(damaged(DecodeError::Invalid(
            "the body's checksum does not match",
        )));
    }
    let mut inflater = flate2::read::DeflateDecoder::new(body.as_slice());
    let mut inflated = 0u64;
    // One block: its length, at most `limit`, then that many bytes.
    let mut block = |limit: u64| -> Result<Vec<u8>, PartialError> {
        let mut len = [0; 8];
        inflater.read_exact(&mut len).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => damaged(DecodeError::Truncated),
            _ => damaged(DecodeError::Invalid("the body does not inflate")),
        })?;
        let len = u64::from_le_bytes(len);
        if len > limit {
            return Err(damaged(DecodeError::Invalid(
                "a block is longer than its scenario's layout can fill",
            )));
        }
        let mut bytes = Vec::new();
        (&mut inflater)
            .take(len)
            .read_to_end(&mut bytes)
            .map_err(|_| damaged(DecodeError::Invalid("the body does not inflate")))?;
        if bytes.len() as u64 != len {
            return Err(damaged(DecodeError::Truncated));
        }
        inflated += 8 + len;
        Ok(bytes)
    };
    let mut bodies = Vec::new();
    for (run, layout) in header.runs.iter().zip(layouts) {
        let accumulator =
            Accumulator::decode(&block(layout.max_encoded_bytes())?).map_err(damaged)?;
        if let Some(difference) = layout_difference(accumulator.layout(), layout) {
            return Err(PartialError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "the statistics of `{}` have {difference} (damaged or edited file?)",
                    run.label
                ),
            });
        }
        if accumulator.trials() != header.trials {
            return Err(damaged(DecodeError::Invalid(
                "the body holds a different number of trials than the header",
            )));
        }
        let records = if header.records {
            Some(
                decode_records(&block(record_limit)?, header.trials, layout.deadline_day)
                    .map_err(damaged)?,
            )
        } else {
            None
        };
        bodies.push(PartialBody {
            accumulator,
            records,
        });
    }
    let mut rest = [0; 1];
    let more = inflater
        .read(&mut rest)
        .map_err(|_| damaged(DecodeError::Invalid("the body does not inflate")))?;
    if more != 0 {
        return Err(damaged(DecodeError::Invalid(
            "bytes left over after the body",
        )));
    }
    if inflated != header.body_raw_bytes {
        return Err(damaged(DecodeError::Invalid(
            "the inflated body has the wrong size",
        )));
    }
    Ok(bodies)
}

/// How `got` differs from `expected`, field by field (`None` when equal), e.g. `3 sites, but
/// its stored scenario gives 2`.
fn layout_difference(got: &Layout, expected: &Layout) -> Option<String> {
    let fields: [(&str, String, String); 6] = [
        ("days", got.days.to_string(), expected.days.to_string()),
        (
            "deadline day",
            got.deadline_day.to_string(),
            expected.deadline_day.to_string(),
        ),
        (
            "bin widths",
            format!("{:?}", got.bin_width),
            format!("{:?}", expected.bin_width),
        ),
        ("sites", got.sites.to_string(), expected.sites.to_string()),
        (
            "phases",
            got.phases.to_string(),
            expected.phases.to_string(),
        ),
        (
            "target GPUs",
            got.target_gpus.to_string(),
            expected.target_gpus.to_string(),
        ),
    ];
    let differences: Vec<String> = fields
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("{name} {a}, but its stored scenario gives {b}"))
        .collect();
    (!differences.is_empty()).then(|| differences.join("; "))
}

/// A merged set of partials: what an analysis needs to rebuild the result the unsharded
/// command would have had.
#[derive(Debug)]
pub struct MergedRuns<'a> {
    /// The first shard's header (command, context, seed, total trials, runs).
    pub header: &'a PartialHeader,
    /// Each run's scenario, parsed from its stored text.
    pub scenarios: &'a [Scenario],
    /// Each run's merged statistics (records in trial order).
    pub bodies: &'a [PartialBody],
}

/// Checks that `parts` (file, header) are exactly the shards `0..n` of one run, and returns
/// them in shard order. Every problem found is reported, naming the files.
pub fn check_set(
    mut parts: Vec<(PathBuf, PartialHeader)>,
) -> Result<Vec<(PathBuf, PartialHeader)>, MergeError> {
    let Some((first_path, first)) = parts.first().cloned() else {
        return Err(MergeError::Refused("no partial results to merge".into()));
    };
    let mut problems = Vec::new();
    type Field = (&'static str, &'static str, fn(&PartialHeader) -> String);
    let fields: [Field; 6] = [
        ("capsim version", "versions", |h| h.capsim_version.clone()),
        ("command", "commands", |h| h.command.clone()),
        ("scenario (hash of the resolved text)", "scenarios", |h| {
            format!("{} ({})", h.scenario, h.scenario_hash)
        }),
        ("seed", "seeds", |h| h.seed.to_string()),
        ("total trials", "trial counts", |h| {
            h.total_trials.to_string()
        }),
        ("shard count", "shard layouts", |h| {
            h.shard.count.to_string()
        }),
    ];
    for (path, h) in &parts {
        // The resolved scenario text holds the seed and trial count: when those differ, say so
        // once, not also as a different scenario.
        let same_run = h.seed == first.seed && h.total_trials == first.total_trials;
        for (name, plural, get) in &fields {
            if *plural == "scenarios" && !same_run {
                continue;
            }
            if get(h) != get(&first) {
                problems.push(format!(
                    "{}: {name} is {}, but {} has {}: partials of different {plural} cannot be merged",
                    path.display(),
                    get(h),
                    first_path.display(),
                    get(&first)
                ));
            }
        }
    }
    if first.capsim_version != CAPSIM_VERSION {
        problems.push(format!(
            "the partials were written by capsim {}, this is capsim {CAPSIM_VERSION}: merge with \
             the version that ran the shards",
            first.capsim_version
        ));
    }
    if problems.is_empty() {
        for (path, h) in &parts {
            if h.shard.index >= h.shard.count {
                problems.push(format!(
                    "{}: claims to be shard {} of {}, but shards count from 0 to {}",
                    path.display(),
                    h.shard.index,
                    h.shard.count,
                    h.shard.count.saturating_sub(1)
                ));
                continue;
            }
            let expected = h.shard.trials(h.total_trials);
            if h.first_trial != expected.start || h.trials != expected.end - expected.start {
                problems.push(format!(
                    "{}: claims trials {}..{} as shard {} of {}, which should be {}..{}",
                    path.display(),
                    h.first_trial,
                    h.first_trial.saturating_add(h.trials),
                    h.shard.index,
                    h.shard.count,
                    expected.start,
                    expected.end
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(MergeError::Refused(problems.join("\n")));
    }
    parts.sort_by_key(|(path, h)| (h.shard.index, path.clone()));
    for pair in parts.windows(2) {
        if pair[0].1.shard.index == pair[1].1.shard.index {
            problems.push(format!(
                "shard {} appears twice: {} and {}",
                pair[0].1.shard.index,
                pair[0].0.display(),
                pair[1].0.display()
            ));
        }
    }
    let count = first.shard.count;
    let mut missing = Vec::new();
    let mut next = 0;
    for (_, h) in &parts {
        if h.shard.index > next {
            missing.push(next..h.shard.index);
        }
        next = next.max(h.shard.index + 1);
    }
    if next < count {
        missing.push(next..count);
    }
    if !missing.is_empty() {
        let n: u64 = missing.iter().map(|r| r.end - r.start).sum();
        problems.push(format!(
            "{n} of {count} shards are missing: {} (run each with `--shard K/{count}` and merge again)",
            ranges(&missing)
        ));
    }
    if problems.is_empty() {
        Ok(parts)
    } else {
        Err(MergeError::Refused(problems.join("\n")))
    }
}

/// `3, 7-9, 12`: ranges of shard indices, shortened after 20 ranges.
fn ranges(missing: &[Range<u64>]) -> String {
    let mut out = String::new();
    for (i, r) in missing.iter().enumerate() {
        if i == 20 {
            let _ = write!(out, ", … ({} more ranges)", missing.len() - 20);
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        if r.end - r.start == 1 {
            let _ = write!(out, "{}", r.start);
        } else {
            let _ = write!(out, "{}-{}", r.start, r.end - 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_trial_once_in_near_equal_slices() {
        for (total, count) in [
            (10, 3),
            (1003, 4),
            (5, 5),
            (1, 1),
            (300, 299),
            (u64::from(u32::MAX), 1000),
        ] {
            let mut next = 0;
            let mut sizes = Vec::new();
            for index in 0..count {
                let r = Shard::new(index, count).unwrap().trials(total);
                assert_eq!(r.start, next);
                sizes.push(r.end - r.start);
                next = r.end;
            }
            assert_eq!(next, total);
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "{total}/{count}: {lo}..{hi}");
        }
        assert_eq!(Shard::new(4, 4), None);
    }

    #[test]
    fn file_names_sort_in_shard_order() {
        assert_eq!(
            Shard::new(3, 4).unwrap().file_name(),
            "shard-0003-of-0004.capsim"
        );
        assert_eq!(
            Shard::new(7, 12_000).unwrap().stem(),
            "shard-00007-of-12000"
        );
        assert_eq!(
            Shard::new(9999, 10_000).unwrap().stem(),
            "shard-9999-of-10000"
        );
    }

    fn header(index: u64, count: u64) -> (PathBuf, PartialHeader) {
        let runs = vec![PartialRun {
            label: "base".into(),
            scenario_toml: "x = 1\n".into(),
        }];
        let h = PartialHeader::new(
            "run",
            "base",
            runs,
            7,
            100,
            Shard::new(index, count).unwrap(),
        );
        (PathBuf::from(format!("p/{}", h.shard.file_name())), h)
    }

    #[test]
    fn a_complete_set_comes_back_in_order() {
        let set = vec![header(2, 3), header(0, 3), header(1, 3)];
        let sorted = check_set(set).unwrap();
        let order: Vec<u64> = sorted.iter().map(|(_, h)| h.shard.index).collect();
        assert_eq!(order, [0, 1, 2]);
    }

    #[test]
    fn missing_and_duplicated_shards_are_named() {
        let set: Vec<_> = [0, 1, 1, 5, 6, 8].iter().map(|&k| header(k, 12)).collect();
        let err = check_set(set).unwrap_err().to_string();
        assert!(err.contains("shard 1 appears twice"), "{err}");
        assert!(
            err.contains("7 of 12 shards are missing: 2-4, 7, 9-11"),
            "{err}"
        );
    }

    #[test]
    fn mismatched_runs_are_refused() {
        let (mut other_seed, mut other_scenario) = (header(1, 2), header(1, 2));
        other_seed.1.seed = 8;
        other_scenario.1.scenario_hash = "0".repeat(16);
        other_seed.1.scenario_hash = "1".repeat(16);
        let err = check_set(vec![header(0, 2), other_seed])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("seed is 8, but p/shard-0000-of-0002.capsim has 7"),
            "{err}"
        );
        assert!(
            !err.contains("scenarios"),
            "one message per difference: {err}"
        );
        let err = check_set(vec![header(0, 2), other_scenario])
            .unwrap_err()
            .to_string();
        assert!(err.contains("different scenarios"), "{err}");
        let err = check_set(vec![header(0, 2), header(1, 3)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("different shard layouts"), "{err}");
        let mut shifted = header(1, 2);
        shifted.1.first_trial += 1;
        let err = check_set(vec![header(0, 2), shifted])
            .unwrap_err()
            .to_string();
        assert!(err.contains("which should be 50..100"), "{err}");
    }

    #[test]
    fn headers_round_trip_and_strangers_are_refused() {
        let (_, h) = header(0, 1);
        let mut bytes = Vec::new();
        let layout = Layout {
            days: 2,
            deadline_day: 1,
            bin_width: [1; crate::stats::Metric::COUNT],
            sites: 0,
            phases: 0,
            target_gpus: 1,
        };
        let acc = Accumulator::new(layout.clone());
        // A header claiming 100 trials with an empty accumulator: the body check catches it.
        let body = PartialBody {
            accumulator: acc,
            records: None,
        };
        write_partial(&mut bytes, h.clone(), &[body]).unwrap();
        let mut r = bytes.as_slice();
        let back = read_header(&mut r, Path::new("p")).unwrap();
        assert_eq!(back.seed, h.seed);
        assert_eq!(back.runs, h.runs);
        let err = read_body_for(&mut r, &back, Path::new("p"), &[layout]).unwrap_err();
        assert!(
            err.to_string().contains("different number of trials"),
            "{err}"
        );

        let err = read_header(&mut &b"hello\n"[..], Path::new("notes.txt")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("notes.txt: not a capsim partial result"),
            "{err}"
        );
        let mut newer = bytes.clone();
        let at = newer
            .windows(18)
            .position(|w| w == format!("\"format_version\":{FORMAT_VERSION}").as_bytes())
            .unwrap();
        newer[at + 17] = b'9';
        let err = read_header(&mut newer.as_slice(), Path::new("p")).unwrap_err();
        assert!(
            err.to_string().contains("partial format version 9"),
            "{err}"
        );
    }
}
