//! Docs that stay true (issue 14): what `README.md`, `docs/` and `--help` say about the binary is
//! checked against the binary itself, so a change to one without the other fails here.

use predicates::prelude::*;
use predicates::str::contains;

use crate::util::{capsim, fixture, root, run_cli};

fn read_doc(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// The first integer after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> usize {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("the doc no longer says `{prefix}`"));
    let digits: String = text[at + prefix.len()..]
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{prefix}`"))
}

#[test]
fn bench_without_a_scenario_runs_outside_the_repository() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = capsim()
        .current_dir(dir.path())
        .args(["bench", "--trials", "2", "--runs", "1", "--warmup", "0"])
        .args(["--threads", "1", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).expect("bench --json is JSON");
    assert_eq!(
        report["sites"], 5,
        "the base case has five sites: {report:#}"
    );
    assert!(
        report["scenario"]
            .as_str()
            .is_some_and(|s| s.contains("aws-openai-2026.toml")),
        "{report:#}"
    );
}

#[test]
fn compare_help_names_the_folder_compare_writes() {
    // What `compare` really writes by default: out/compare-<A stem>-vs-<B stem>/.
    let dir = tempfile::tempdir().expect("temp dir");
    let tiny = root().join(fixture("valid/tiny.toml"));
    capsim()
        .current_dir(dir.path())
        .arg("compare")
        .args([&tiny, &tiny])
        .args(["--trials", "20", "--quiet", "--no-charts"])
        .assert()
        .success();
    assert!(dir.path().join("out/compare-tiny-vs-tiny-2").is_dir());
    capsim()
        .args(["compare", "--help"])
        .assert()
        .success()
        .stdout(contains(
            "out/compare-<first file stem>-vs-<second file stem>/",
        ))
        .stdout(contains("<command>-<stem>").not());
}

#[test]
fn scenario_format_names_the_commands_that_take_set() {
    let doc = read_doc("docs/scenario-format.md");
    let section = &doc[doc
        .find("## Command-line overrides (`--set`)")
        .expect("the --set section")..];
    let paragraph = &section[..section
        .find(":\n")
        .expect("the paragraph ends with a colon")];
    let (takes, takes_none) = paragraph
        .split_once("take none")
        .map_or((paragraph, ""), |(a, _)| {
            a.rsplit_once(". ").expect("two sentences")
        });
    for command in [
        "run",
        "validate",
        "sensitivity",
        "sweep",
        "compare",
        "bench",
        "backtest",
        "plot",
        "merge",
    ] {
        let help = capsim()
            .args([command, "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let has_set = String::from_utf8_lossy(&help).contains("--set");
        let named = format!("`{command}`");
        let doc_says = takes.contains(&named) || takes.contains(&format!("`capsim {command}`"));
        assert_eq!(
            doc_says, has_set,
            "docs/scenario-format.md on `{command}` taking --set: {paragraph}"
        );
        if !has_set {
            assert!(
                takes_none.contains(&named),
                "`{command}` not named: {paragraph}"
            );
        }
    }
}

#[test]
fn scenario_format_complete_example_is_valid_and_has_correlations() {
    let doc = read_doc("docs/scenario-format.md");
    let section = &doc[doc
        .find("## A complete example")
        .expect("the example section")..];
    let start = section.find("```toml\n").expect("a TOML block") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").expect("block end")];
    assert!(example.contains("[[correlations]]"), "{example}");
    let contents = &doc[doc.find("Contents:").expect("contents")..];
    assert!(contents[..contents.find("\n\n").unwrap()].contains("(#correlations)"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("example.toml");
    std::fs::write(&path, example).expect("write example");
    capsim().arg("validate").arg(&path).assert().success();
}

#[test]
fn scenario_format_target_gpus_range_matches_the_check() {
    let doc = read_doc("docs/scenario-format.md");
    let row = doc
        .lines()
        .find(|l| l.starts_with("| `target_gpus` |"))
        .expect("the target_gpus row");
    let least = number_after(row, "| required |");
    let dir = tempfile::tempdir().expect("temp dir");
    let tiny = std::fs::read_to_string(root().join(fixture("valid/tiny.toml"))).unwrap();
    let with = |n: &str| {
        let path = dir.path().join(format!("t{n}.toml"));
        let text: String = tiny
            .lines()
            .map(|l| {
                if l.starts_with("target_gpus") {
                    format!("target_gpus = {n}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        capsim().arg("validate").arg(&path).assert()
    };
    with(&least.to_string()).success();
    if least > 0 {
        with(&(least - 1).to_string())
            .code(2)
            .stderr(contains(format!("must be at least {least}")));
    }
    // A negative value fails the type check first; the doc quotes that message too.
    let type_error = "expected a whole number >= 0";
    with("-1").code(2).stderr(contains(type_error));
    assert!(row.contains(type_error), "{row}");
}

#[test]
fn readme_installs_capsim_before_calling_it() {
    let readme = read_doc("README.md");
    let install = readme
        .find("cargo install --path .")
        .expect("README installs the binary");
    // The first command line, inside a fenced block, that calls bare `capsim`.
    let mut in_code = false;
    let mut offset = 0;
    let mut first_call = None;
    for line in readme.split_inclusive('\n') {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if in_code && line.starts_with("capsim ") && first_call.is_none() {
            first_call = Some(offset);
        }
        offset += line.len();
    }
    let first_call = first_call.expect("README calls bare capsim");
    assert!(
        install < first_call,
        "install at byte {install}, first call at {first_call}"
    );
}

#[test]
fn outputs_daily_csv_column_counts_match_a_real_run() {
    let doc = read_doc("docs/outputs.md");
    let section = &doc[doc.find("## `daily.csv`").expect("the daily.csv section")..];
    let base = number_after(section, "Each file has a header row and");
    let all = number_after(section, "the file has all");
    let run = run_cli(
        &root().join("scenarios/aws-openai-2026.toml"),
        &["--trials", "4", "--cost-trials", "0", "--no-charts"],
    );
    let daily = run.daily();
    let sites = daily
        .headers
        .iter()
        .filter(|h| h.starts_with("site_"))
        .count();
    assert_eq!(sites, 5);
    assert_eq!(
        base + sites,
        daily.headers.len(),
        "docs/outputs.md: {base} plus one per site"
    );
    assert_eq!(
        all,
        daily.headers.len(),
        "docs/outputs.md: all {all} for five sites"
    );
    // The schema table's figure for schema 2 is the same.
    assert_eq!(number_after(&doc, "each with mean and percentiles ("), base);
}
