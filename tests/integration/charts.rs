//! Charts end to end: `run` writes them by default (not with `--no-charts`), `plot` redraws them
//! from a results folder at another size or format, and a missing or corrupt results file is bad
//! input (exit code 2) with a message naming the file.

use std::path::Path;

use predicates::str::contains;

use crate::util::{capsim, fixture};

const TINY: &str = "valid/tiny.toml";
const KINDS: [&str; 6] = [
    "fan",
    "pipeline",
    "full-capacity",
    "power",
    "bottlenecks",
    "sites",
];

fn run_into(dir: &Path, extra: &[&str]) {
    capsim()
        .args(["run", "--trials", "40", "--quiet", "--out"])
        .arg(dir)
        .arg(fixture(TINY))
        .args(extra)
        .assert()
        .success();
}

/// Width and height of a PNG file, from its decoded header.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn run_writes_png_and_svg_charts_by_default() {
    let dir = tempfile::tempdir().unwrap();
    run_into(dir.path(), &[]);
    let charts = dir.path().join("charts");
    for kind in KINDS {
        assert_eq!(png_size(&charts.join(format!("{kind}.png"))), (1200, 700));
        let svg = std::fs::read_to_string(charts.join(format!("{kind}.svg"))).unwrap();
        assert!(svg.contains("Date (end of day)"), "{kind}.svg");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn no_charts_flag_skips_them() {
    let dir = tempfile::tempdir().unwrap();
    run_into(dir.path(), &["--no-charts"]);
    assert!(dir.path().join("summary.json").is_file());
    assert!(!dir.path().join("charts").exists());
}

#[test]
fn plot_redraws_at_another_size_and_format() {
    let dir = tempfile::tempdir().unwrap();
    run_into(dir.path(), &["--no-charts"]);
    capsim()
        .arg("plot")
        .arg(dir.path())
        .args(["--format", "png", "--width", "640", "--height", "400"])
        .assert()
        .success()
        .stdout(contains("Wrote 6 charts"));
    let charts = dir.path().join("charts");
    for kind in KINDS {
        assert_eq!(png_size(&charts.join(format!("{kind}.png"))), (640, 400));
        assert!(!charts.join(format!("{kind}.svg")).exists());
    }
    capsim()
        .arg("plot")
        .arg(dir.path())
        .args(["--format", "svg"])
        .assert()
        .success();
    let svg = std::fs::read_to_string(charts.join("fan.svg")).unwrap();
    assert!(svg.contains(r#"width="1200""#) && svg.contains("GPUs available (count)"));
}

#[test]
fn plot_on_a_folder_without_results_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("summary.json"))
        .stderr(contains("not found"));
}

#[test]
fn plot_with_a_missing_or_corrupt_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    run_into(dir.path(), &["--no-charts"]);
    let daily = dir.path().join("daily.csv");
    let good = std::fs::read_to_string(&daily).unwrap();

    std::fs::remove_file(&daily).unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("daily.csv: file not found"));

    // Cut mid-row, as a copy interrupted halfway would leave it.
    std::fs::write(&daily, &good[..good.len() / 2]).unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("daily.csv: line"));

    std::fs::write(&daily, &good).unwrap();
    std::fs::write(dir.path().join("summary.json"), "{ \"scenario\": ").unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("summary.json: not a valid capsim summary"));
    assert!(!dir.path().join("charts").exists());
}

#[test]
fn plot_refuses_tiny_images() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .args(["--width", "50"])
        .assert()
        .code(2);
}
