//! `merge`: reads a set of partial results, checks that it is exactly one command's shards and
//! merges them exactly.
//!
//! Partials are untrusted: [`PartialSet::open`] checks every header, the set
//! ([`check_set`]), what the command needs ([`check_command`]) and the stored
//! scenarios; [`PartialSet::merge`] then reads every body against the stored layouts, checks the
//! days it records, merges the bodies in parallel in shard order and, for `run`, checks the
//! shards' `trials.csv` files. Nothing is written: a refused set fails before any output exists.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{
    EXTENSION, MergedRuns, PartialBody, PartialError, PartialHeader, StoredRun, check_set,
    is_plain_file_name, read_body_for, read_header, stored_runs,
};
use crate::scenario::Scenario;
use crate::stats::Layout;

/// Why a set of partials cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// The set, or a file in it, is not one command's shards; every problem found, explained.
    #[error("{0}")]
    Refused(String),
    /// A partial cannot be read or is not a valid partial result.
    #[error(transparent)]
    Partial(#[from] PartialError),
    /// Reading failed; `context` says what.
    #[error("{context}")]
    Io {
        /// What was being read, e.g. `reading shards/`.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl MergeError {
    /// Whether the error is the user's input (the partials given) rather than a failure.
    pub fn is_input_error(&self) -> bool {
        matches!(self, MergeError::Refused(_) | MergeError::Partial(_))
    }
}

type Result<T> = std::result::Result<T, MergeError>;

fn refused(message: String) -> MergeError {
    MergeError::Refused(message)
}

fn reading(path: &Path) -> impl FnOnce(std::io::Error) -> MergeError + '_ {
    move |source| MergeError::Io {
        context: format!("reading {}", path.display()),
        source,
    }
}

/// A set of partials whose headers and stored scenarios have been checked, in shard order,
/// ready to [`merge`](Self::merge).
#[derive(Debug)]
pub struct PartialSet {
    /// Each file with its header (without the scenario texts), in shard order.
    parts: Vec<(PathBuf, PartialHeader)>,
    /// The first shard's header, with the scenario texts.
    header: PartialHeader,
    /// Each run's stored scenario and layout.
    stored: Vec<StoredRun>,
}

impl PartialSet {
    /// Reads the headers of the partials named by `paths` (files as given, folders' `*.capsim`
    /// files sorted by name) and checks that they are exactly one command's shards, that the
    /// command's plan fits what they hold and that every stored scenario loads.
    pub fn open(paths: &[PathBuf]) -> Result<PartialSet> {
        let mut parts = Vec::new();
        let mut runs = None;
        for path in partial_files(paths)? {
            let mut header = read_header(&mut open(&path)?, &path)?;
            // Every header carries the scenario texts (a sweep's can be large); its hash is
            // checked against them on reading, so once the hashes match, one copy is enough.
            let texts = std::mem::take(&mut header.runs);
            runs.get_or_insert(texts);
            parts.push((path, header));
        }
        let parts = check_set(parts)?;
        let header = PartialHeader {
            runs: runs.unwrap_or_default(),
            ..parts[0].1.clone()
        };
        check_command(&header, &parts[0].0)?;
        let stored = stored_runs(&header, &parts[0].0)?;
        Ok(PartialSet {
            parts,
            header,
            stored,
        })
    }

    /// The first shard's header: the command, its context, seed, total trials and runs.
    pub fn header(&self) -> &PartialHeader {
        &self.header
    }

    /// Trials [`merge`](Self::merge) counts as it goes: every run's, over all shards.
    pub fn trials_to_merge(&self) -> u64 {
        self.header.total_trials * self.header.runs.len() as u64
    }

    /// Reads every body (checked against its run's stored layout and calendar) and merges them
    /// exactly, in shard order: contiguous runs of shards on each core, then those in order.
    /// For `run`, also checks the shards' `trials.csv` files. `progress` counts trials merged.
    pub fn merge(self, progress: &(dyn Fn(u64) + Sync)) -> Result<Merged> {
        let layouts: Vec<Layout> = self.stored.iter().map(|run| run.layout.clone()).collect();
        let per_core = self
            .parts
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        let chunks: Vec<Result<Vec<PartialBody>>> = self
            .parts
            .par_chunks(per_core)
            .map(|chunk| {
                let mut merged: Vec<PartialBody> = Vec::new();
                for (path, _) in chunk {
                    let mut r = open(path)?;
                    let header = read_header(&mut r, path)?;
                    let bodies = read_body_for(&mut r, &header, path, &layouts)?;
                    check_days(&self.stored, &bodies, path)?;
                    progress(header.trials * bodies.len() as u64);
                    absorb(&mut merged, bodies, path)?;
                }
                Ok(merged)
            })
            .collect();
        let mut bodies: Vec<PartialBody> = Vec::new();
        for (chunk, parts) in chunks.into_iter().zip(self.parts.chunks(per_core)) {
            absorb(&mut bodies, chunk?, &parts[0].0)?;
        }
        let total = self.header.total_trials;
        if let Some(short) = bodies.iter().find(|b| b.accumulator.trials() != total) {
            return Err(refused(format!(
                "the shards hold {} trials, not the run's {total}",
                short.accumulator.trials()
            )));
        }
        let mut notes = Vec::new();
        let trials_csv = if self.header.command == "run" {
            trials_csv_sources(&self.parts, &mut notes)?
        } else {
            None
        };
        Ok(Merged {
            header: self.header,
            scenarios: self.stored.into_iter().map(|run| run.scenario).collect(),
            bodies,
            shards: self.parts.len(),
            trials_csv,
            notes,
        })
    }
}

/// Reads, checks and merges the partials named by `paths`: [`PartialSet::open`], then
/// [`PartialSet::merge`].
pub fn merge(paths: &[PathBuf], progress: &(dyn Fn(u64) + Sync)) -> Result<Merged> {
    PartialSet::open(paths)?.merge(progress)
}

/// A merged set of partials: everything the unsharded command's results are rebuilt from.
#[derive(Debug)]
pub struct Merged {
    /// The first shard's header (command, context, seed, total trials, runs).
    pub header: PartialHeader,
    /// Each run's scenario, parsed from its stored text.
    pub scenarios: Vec<Scenario>,
    /// Each run's merged statistics (records in trial order).
    pub bodies: Vec<PartialBody>,
    /// How many shards were merged.
    pub shards: usize,
    /// The shards' `trials.csv` files, checked, when every shard of a `run` wrote one.
    pub trials_csv: Option<TrialsCsvSources>,
    /// Notes for the user, e.g. why no `trials.csv` can be written.
    pub notes: Vec<String>,
}

impl Merged {
    /// The merged runs, as an analysis's `from_merged` takes them.
    pub fn runs(&self) -> MergedRuns<'_> {
        MergedRuns {
            header: &self.header,
            scenarios: &self.scenarios,
            bodies: &self.bodies,
        }
    }
}

/// The partial files named by `paths`: files as given, folders' `*.capsim` files sorted by name.
fn partial_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| {
            refused(format!(
                "{}: {e} (give partial results or folders holding them)",
                path.display()
            ))
        })?;
        if meta.is_file() {
            files.push(path.clone());
            continue;
        }
        if !meta.is_dir() {
            return Err(refused(format!(
                "{}: not a regular file or a folder (give partial results or folders holding \
                 them)",
                path.display()
            )));
        }
        let mut found: Vec<PathBuf> = fs::read_dir(path)
            .map_err(reading(path))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == EXTENSION) && p.is_file())
            .collect();
        if found.is_empty() {
            return Err(refused(format!(
                "{} holds no partial results (*.{EXTENSION}): run `capsim run SCENARIO --shard \
                 K/N --out {}` first",
                path.display(),
                path.display()
            )));
        }
        found.sort();
        files.append(&mut found);
    }
    Ok(files)
}

fn open(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).map_err(|e| refused(format!("{}: {e}", path.display())))?;
    Ok(BufReader::new(file))
}

/// Checks that every power phase of `bodies` (read from `path`) is energized on a day that is a
/// date, counted from its scenario's start: the engine keeps any day, so only a damaged or forged
/// partial holds one past the calendar.
fn check_days(runs: &[StoredRun], bodies: &[PartialBody], path: &Path) -> Result<()> {
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
                    return Err(refused(format!(
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
        Err(refused(format!(
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
                .find(|l| !is_plain_file_name(l) || !seen.insert(**l))
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
            return Err(refused(format!(
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
#[derive(Debug)]
struct TrialsCsvSource {
    path: PathBuf,
    bytes: u64,
}

/// The shards' `trials.csv` files, checked, in shard order: [`concatenate`](Self::concatenate)
/// writes them as one.
#[derive(Debug)]
pub struct TrialsCsvSources(Vec<TrialsCsvSource>);

/// The shards' `trials.csv` files, in shard order, when every shard wrote one (`None` when not,
/// with a note in `notes`). Each must be a regular file (not a link, device or pipe) named
/// plainly beside its partial, at most [`MAX_TRIALS_CSV_LINE_BYTES`] per line, with the first
/// shard's columns and one row per trial of its shard.
fn trials_csv_sources(
    parts: &[(PathBuf, PartialHeader)],
    notes: &mut Vec<String>,
) -> Result<Option<TrialsCsvSources>> {
    let with_csv = parts.iter().filter(|(_, h)| h.trials_csv.is_some()).count();
    if with_csv < parts.len() {
        if with_csv > 0 {
            notes.push(format!(
                "trials.csv not written: only {with_csv} of {} shards ran with --trials-csv",
                parts.len()
            ));
        }
        return Ok(None);
    }
    let mut sources = Vec::with_capacity(parts.len());
    let mut first_line: Option<Vec<u8>> = None;
    for (path, h) in parts {
        let name = h.trials_csv.as_deref().unwrap_or_default();
        let csv = path.parent().unwrap_or(Path::new(".")).join(name);
        let refuse = |what: String| refused(format!("{}: {what}", csv.display()));
        let meta = fs::symlink_metadata(&csv).map_err(|e| {
            refused(format!(
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
            Some(_) => return Err(refuse("its columns differ from the first shard's".into())),
        }
        let mut rows = 0u64;
        loop {
            let buf = r.fill_buf().map_err(reading(&csv))?;
            if buf.is_empty() {
                break;
            }
            rows += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            let n = buf.len();
            r.consume(n);
        }
        if rows != h.trials {
            return Err(refuse(format!(
                "has {rows} rows, but its shard ran {} trials (incomplete file?)",
                h.trials
            )));
        }
        sources.push(TrialsCsvSource { path: csv, bytes });
    }
    Ok(Some(TrialsCsvSources(sources)))
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

impl TrialsCsvSources {
    /// Writes the checked files as one into `w`: the first header line, then every file's rows,
    /// in shard order. A file that changed since it was checked is an error.
    pub fn concatenate(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for (i, source) in self.0.iter().enumerate() {
            let changed = || {
                std::io::Error::other(format!("{}: changed while merging", source.path.display()))
            };
            let reading = |e: std::io::Error| {
                std::io::Error::new(e.kind(), format!("reading {}: {e}", source.path.display()))
            };
            let meta = fs::symlink_metadata(&source.path).map_err(reading)?;
            let (mut r, _) =
                open_trials_csv(&source.path, &meta, u64::MAX).map_err(|_| changed())?;
            let line = header_line(&mut r).map_err(|_| changed())?;
            if i == 0 {
                w.write_all(&line)?;
            }
            let copied = std::io::copy(&mut r, w).map_err(reading)?;
            if line.len() as u64 + copied != source.bytes {
                return Err(changed());
            }
        }
        Ok(())
    }
}
