//! Damaged scenario text never panics: every valid fixture, mutated the ways careless edits and
//! hostile inputs do (a number swapped for an extreme one, a line deleted, duplicated or moved,
//! the text cut short, bytes inserted), either loads, compiles, runs and summarises, or fails
//! with an error that says where. The coverage-guided version of this check is the `scenario`
//! target in `fuzz/`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::scenario::ScenarioError;
use capsim::stats::{Summary, daily_rows};
use proptest::prelude::*;

use crate::util::{fixture, root};

/// Numbers that have broken loaders and engines: zero, signs, the integer type edges, huge,
/// tiny and non-finite values.
const EXTREMES: [&str; 16] = [
    "0",
    "-1",
    "0.5",
    "1e6",
    "1e9",
    "1e19",
    "-1e19",
    "1e300",
    "-1e300",
    "1e-300",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "nan",
    "inf",
    "-inf",
];

/// The name every mutated text is parsed under; errors must point into it.
const NAME: &str = "mutated.toml";

/// Every valid fixture that parses on its own (no `extends`), with its name.
fn seeds() -> Vec<(String, String)> {
    let dir = root().join(fixture("valid"));
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures/valid")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture text");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .filter(|(_, text)| !text.lines().any(|l| l.trim_start().starts_with("extends")))
        .collect();
    out.sort();
    out
}

/// One edit to a scenario's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the `k`-th number (counting from 0, wrapping) with `EXTREMES[e]`.
    Number { k: usize, e: usize },
    /// Delete line `k` (wrapping).
    DeleteLine(usize),
    /// Repeat line `k` (wrapping) after itself.
    DuplicateLine(usize),
    /// Move line `a` to just before line `b`.
    MoveLine(usize, usize),
    /// Cut the text at byte `k` (wrapping, on a character boundary).
    Truncate(usize),
    /// Insert `text` at byte `k`.
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..EXTREMES.len()).prop_map(|(k, e)| Mutation::Number { k, e }),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::MoveLine(a, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), "[\\[\\]{}=\",.\\n a-z0-9_-]{1,12}")
            .prop_map(|(k, t)| Mutation::Insert(k, t)),
    ]
}

/// Byte ranges of the numbers in `text` (outside comments), as TOML would read them.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or("");
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit()
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
            if starts {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || b".-_+".contains(&bytes[j]))
                {
                    j += 1;
                }
                // Dates (2026-01-05) are left alone: they are not numbers.
                if !code[i..j].contains('-') || code[i..j].contains('e') {
                    out.push((line_start + i, line_start + j));
                }
                i = j;
            } else {
                i += 1;
            }
        }
        line_start += line.len();
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let floor_char = |k: usize| {
        let mut k = k % (text.len() + 1);
        while !text.is_char_boundary(k) {
            k -= 1;
        }
        k
    };
    match m {
        Mutation::Number { k, e } => {
            let spans = numbers(text);
            if spans.is_empty() {
                return text.to_string();
            }
            let (a, b) = spans[k % spans.len()];
            format!("{}{}{}", &text[..a], EXTREMES[*e], &text[b..])
        }
        Mutation::DeleteLine(k) => {
            let k = k % lines.len();
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, l)| *l)
                .collect()
        }
        Mutation::DuplicateLine(k) => {
            let k = k % lines.len();
            let mut out = lines.clone();
            out.insert(k, lines[k]);
            out.concat()
        }
        Mutation::MoveLine(a, b) => {
            let mut out = lines.clone();
            let line = out.remove(a % lines.len());
            out.insert(b % lines.len(), line);
            out.concat()
        }
        Mutation::Truncate(k) => text[..floor_char(*k)].to_string(),
        Mutation::Insert(k, t) => {
            let k = floor_char(*k);
            format!("{}{t}{}", &text[..k], &text[k..])
        }
    }
}

/// Loads, compiles, runs (a few trials) and summarises `text`; `Err` with the message when
/// the scenario is refused.
fn load_and_run(text: &str) -> Result<(), String> {
    let scenario = capsim::scenario::parse(text, Path::new(NAME)).map_err(|e| {
        let located = match &e {
            ScenarioError::Syntax { file, .. } => file == Path::new(NAME),
            ScenarioError::Invalid { diagnostics } => {
                !diagnostics.is_empty()
                    && diagnostics.iter().all(|d| {
                        let at = d.origin.to_string();
                        at.starts_with(&format!("{NAME}:")) || at.starts_with('<')
                    })
            }
            other => other.to_string().starts_with(&format!("{NAME}:")),
        };
        assert!(located, "an error without a location: {e}");
        e.to_string()
    })?;
    let model = Model::compile(&scenario).map_err(|e| e.to_string())?;
    let cfg = EngineConfig {
        trials: 4,
        first_trial: 0,
        seed: 5,
        threads: 1,
        batch_size: 2,
    };
    let acc = engine::run(&model, &cfg, RunHooks::default()).map_err(|e| e.to_string())?;
    let summary = Summary::new(&acc, &engine::run_info(&scenario, 5));
    let rows = daily_rows(&acc, scenario.start);
    assert_eq!(summary.trials, 4);
    assert_eq!(rows.len(), scenario.days());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Up to three edits to any valid fixture: never a panic, and a refusal says where.
    #[test]
    fn mutated_fixtures_load_and_run_or_are_refused_with_a_location(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let (name, text) = &seeds[seed.index(seeds.len())];
        let mutated = edits.iter().fold(text.clone(), |t, m| apply(&t, m));
        let outcome = catch_unwind(AssertUnwindSafe(|| load_and_run(&mutated)));
        prop_assert!(
            outcome.is_ok(),
            "{name} with {edits:?} panicked; text:\n{mutated}"
        );
    }
}

#[test]
fn the_mutations_reach_numbers_but_not_dates() {
    let text = "a = 12\nd = 2026-01-05 # 7 days\nb = [1.5, 3e2]\n";
    let spans: Vec<&str> = numbers(text).iter().map(|&(a, b)| &text[a..b]).collect();
    assert_eq!(spans, ["12", "1.5", "3e2"]);
    let m = Mutation::Number { k: 1, e: 7 };
    assert_eq!(
        apply(text, &m),
        "a = 12\nd = 2026-01-05 # 7 days\nb = [1e300, 3e2]\n"
    );
}

#[test]
fn every_valid_fixture_is_a_seed_that_runs() {
    let seeds = seeds();
    assert!(seeds.len() >= 20, "{} seeds", seeds.len());
    for (name, text) in &seeds {
        load_and_run(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
