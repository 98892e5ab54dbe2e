//! Helpers shared by the test modules: the binary under test, fixture paths, library runs, and
//! readers for the files a run writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::scenario::Scenario;
use capsim::stats::{Accumulator, DailyRow, Summary};
use serde_json::Value;
use tempfile::TempDir;

/// The crate root: the working directory of every `capsim` the tests start, so that the paths
/// in its messages (`tests/fixtures/invalid/x.toml:12:7`) do not depend on where cargo runs.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/`, as a path relative to [`root`].
pub fn fixture(rel: &str) -> PathBuf {
    Path::new("tests/fixtures").join(rel)
}

/// The `capsim` binary built for this test run, started in [`root`].
pub fn capsim() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_capsim"));
    cmd.current_dir(root());
    cmd
}

/// `capsim merge INPUTS --out OUT --quiet`, plus `extra` flags.
pub fn merge_cli(inputs: &[&Path], out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    capsim()
        .arg("merge")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .assert()
}

/// What `capsim run` wrote into its output directory.
pub struct RunOutput {
    /// Keeps the directory alive as long as the output is used.
    pub dir: TempDir,
    /// `summary.json`, as bytes.
    pub summary_bytes: Vec<u8>,
    /// `summary.json`, parsed.
    pub summary: Value,
    /// `daily.csv`, as bytes.
    pub daily_bytes: Vec<u8>,
}

impl RunOutput {
    /// A file in the output directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `daily.csv` as a table.
    pub fn daily(&self) -> Table {
        Table::read(&self.path("daily.csv"))
    }

    /// `trials.csv` as a table (only when the run had `--trials-csv`).
    pub fn trials(&self) -> Table {
        Table::read(&self.path("trials.csv"))
    }
}

/// Runs `capsim run SCENARIO --out <fresh temp dir> --quiet ARGS...`, asserts exit code 0 and
/// reads the outputs.
pub fn run_cli(scenario: &Path, args: &[&str]) -> RunOutput {
    let dir = tempfile::tempdir().expect("temp dir");
    capsim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .args(args)
        .assert()
        .success();
    let summary_bytes = std::fs::read(dir.path().join("summary.json")).expect("summary.json");
    let daily_bytes = std::fs::read(dir.path().join("daily.csv")).expect("daily.csv");
    let summary = serde_json::from_slice(&summary_bytes).expect("summary.json is JSON");
    RunOutput {
        dir,
        summary_bytes,
        summary,
        daily_bytes,
    }
}

/// A CSV file with a header row, every cell kept as text.
pub struct Table {
    /// Column names, in file order.
    pub headers: Vec<String>,
    /// Data rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

impl Table {
    /// Reads `path` with the `csv` crate's defaults, as a user's script would.
    pub fn read(path: &Path) -> Table {
        let mut reader = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let headers: Vec<String> = reader
            .headers()
            .expect("header row")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                r.expect("well-formed CSV row")
                    .iter()
                    .map(String::from)
                    .collect()
            })
            .collect();
        let index = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        Table {
            headers,
            rows,
            index,
        }
    }

    /// Position of column `name`; panics with the known columns if there is none.
    pub fn col(&self, name: &str) -> usize {
        *self
            .index
            .get(name)
            .unwrap_or_else(|| panic!("no column `{name}`; columns are {:?}", self.headers))
    }

    /// Column `name` as text.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let i = self.col(name);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// Column `name` parsed as numbers.
    pub fn numbers(&self, name: &str) -> Vec<f64> {
        self.column(name)
            .iter()
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|e| panic!("`{name}`: `{v}` is not a number: {e}"))
            })
            .collect()
    }

    /// The cell in column `name` of row `row`, as a number.
    pub fn number(&self, row: usize, name: &str) -> f64 {
        let v = &self.rows[row][self.col(name)];
        v.parse()
            .unwrap_or_else(|e| panic!("`{name}` row {row}: `{v}` is not a number: {e}"))
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD` (Hinnant's `days_from_civil`), so tests can
/// do date arithmetic without depending on the date library capsim uses.
pub fn epoch_day(iso: &str) -> i64 {
    let parts: Vec<i64> = iso
        .split('-')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("`{iso}` is not an ISO date"))
        })
        .collect();
    assert!(
        parts.len() == 3 && iso.len() == 10,
        "`{iso}` is not an ISO date"
    );
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "`{iso}` is not a date"
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Day index of `date` in a run starting on `start` (both ISO dates).
pub fn day_of(start: &str, date: &str) -> i64 {
    epoch_day(date) - epoch_day(start)
}

/// Loads a fixture through the library (`extends` allowed).
pub fn load(rel: &str) -> Scenario {
    let path = root().join(fixture(rel));
    capsim::scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// An engine configuration with the default batch size on two threads.
pub fn config(trials: u64, seed: u64) -> EngineConfig {
    EngineConfig {
        trials,
        first_trial: 0,
        seed,
        threads: 2,
        batch_size: EngineConfig::DEFAULT_BATCH_SIZE,
    }
}

/// Runs `model` through the library with no hooks.
pub fn run_lib(model: &Model, cfg: &EngineConfig) -> Accumulator {
    engine::run(model, cfg, RunHooks::default()).expect("engine run")
}

/// The two things a run reports: its summary and its daily rows.
pub fn report(s: &Scenario, acc: &Accumulator, seed: u64) -> (Summary, Vec<DailyRow>) {
    (
        Summary::new(acc, &engine::run_info(s, seed)),
        capsim::stats::daily_rows(acc, s.start),
    )
}

/// The field at a `/`-separated JSON pointer, panicking with the pointer if it is missing.
pub fn json_at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer)
        .unwrap_or_else(|| panic!("summary.json has no `{pointer}`: {v:#}"))
}

/// A JSON number at `pointer`.
pub fn json_f64(v: &Value, pointer: &str) -> f64 {
    json_at(v, pointer)
        .as_f64()
        .unwrap_or_else(|| panic!("`{pointer}` is not a number: {v:#}"))
}

#[test]
fn epoch_day_counts_calendar_days() {
    assert_eq!(epoch_day("1970-01-01"), 0);
    assert_eq!(day_of("2026-01-05", "2026-02-19"), 45);
    assert_eq!(day_of("2024-02-28", "2024-03-01"), 2);
    assert_eq!(day_of("2025-11-03", "2026-12-31"), 423);
}
