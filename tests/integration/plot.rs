//! `--width/--height/--format` on every command that draws, and `plot` on every kind of results
//! folder: the charts have the asked size (PNG header, SVG `width`/`height`) and only the asked
//! formats exist; `plot` redraws a folder's charts and `report.html` byte-identical to those its
//! command wrote (also for a sharded-then-merged sweep); bad sizes and unknown folders exit 2
//! with the limits or what `plot` looks for.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use capsim::results::{self, ChartOptions, FolderKind};
use predicates::str::contains;

use crate::util::{capsim, fixture};

const TINY: &str = "valid/tiny.toml";
const BACKTEST: &str = "valid/bt_tiny.toml";

/// Every command that draws, with its arguments besides `--out`: a few dozen trials each.
fn drawing_commands() -> Vec<(&'static str, Vec<String>)> {
    let tiny = fixture(TINY).to_string_lossy().into_owned();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        // Two traced trials: their charts are redrawn too.
        ("run", args(&["run", &tiny, "-n", "40", "--trace", "3,12"])),
        ("compare", args(&["compare", &tiny, &tiny, "-n", "40"])),
        (
            "sweep",
            args(&[
                "sweep",
                &tiny,
                "--vary",
                "supply.main.rate_scale=0.8,1.2",
                "-n",
                "40",
            ]),
        ),
        ("sensitivity", args(&["sensitivity", &tiny, "-n", "40"])),
        (
            "sensitivity-swing",
            args(&["sensitivity", &tiny, "--method", "swing", "-n", "40"]),
        ),
        (
            "sensitivity-sobol",
            args(&["sensitivity", &tiny, "--method", "sobol", "-n", "40"]),
        ),
        (
            "backtest",
            args(&["backtest", &fixture(BACKTEST).to_string_lossy(), "-n", "40"]),
        ),
    ]
}

/// Every file under `dir/charts/`, by name, with its bytes.
fn charts(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Width and height of a PNG, from its header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    (reader.info().width, reader.info().height)
}

/// Width and height an SVG declares on its root element.
fn svg_size(bytes: &[u8]) -> (u32, u32) {
    let text = std::str::from_utf8(bytes).unwrap();
    let root = &text[text.find("<svg").unwrap()..];
    let root = &root[..root.find('>').unwrap()];
    let attr = |name: &str| {
        let start = root.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        root[start..start + root[start..].find('"').unwrap()]
            .parse::<u32>()
            .unwrap()
    };
    (attr("width"), attr("height"))
}

/// Checks that every chart in `charts` is `extension` at `size`; a backtest fan chart has the
/// width and scales its height by `size.1 / 700` (220 + 300 per panel at the default).
fn assert_all(charts: &BTreeMap<String, Vec<u8>>, extension: &str, size: (u32, u32)) {
    assert!(!charts.is_empty());
    for (name, bytes) in charts {
        assert!(
            name.ends_with(&format!(".{extension}")),
            "{name}: only .{extension} was asked for"
        );
        let (width, height) = match extension {
            "png" => png_size(bytes),
            _ => svg_size(bytes),
        };
        assert_eq!(width, size.0, "{name}");
        if name.ends_with(&format!("-fan.{extension}")) {
            // bt_tiny observes three (metric, site) pairs: three panels, 220 + 3 × 300 = 1120
            // at height 700.
            assert_eq!(height, 1120 * size.1 / 700, "{name}");
        } else {
            assert_eq!(height, size.1, "{name}");
        }
    }
}

/// `capsim ARGS --out DIR --quiet EXTRA`, which must succeed.
fn write_into(args: &[String], dir: &Path, extra: &[&str]) {
    capsim()
        .args(args)
        .arg("--out")
        .arg(dir)
        .arg("--quiet")
        .args(extra)
        .assert()
        .success();
}

/// `capsim plot DIR EXTRA`, which must succeed; returns its standard output.
fn plot(dir: &Path, extra: &[&str]) -> String {
    let out = capsim().arg("plot").arg(dir).args(extra).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn every_drawing_command_honours_size_and_format_and_plot_redraws_its_charts_byte_identical() {
    let root = tempfile::tempdir().unwrap();
    for (i, (name, args)) in drawing_commands().into_iter().enumerate() {
        let dir = root.path().join(name);
        // Alternate the formats so each is seen on commands of every kind.
        let (format, other) = if i % 2 == 0 {
            ("png", "svg")
        } else {
            ("svg", "png")
        };
        let flags = ["--format", format, "--width", "640", "--height", "420"];
        write_into(&args, &dir, &flags);
        let written = charts(&dir);
        assert_all(&written, format, (640, 420));
        if name == "run" {
            for trial in [3, 12] {
                assert!(written.contains_key(&format!("trace-{trial}.{format}")));
            }
        }
        let report = dir.join("report.html");
        let page = fs::read(&report).unwrap_or_else(|_| panic!("{name}: no report.html"));
        // Marked stale, so that a report left as it was would show.
        let mut stale = fs::OpenOptions::new().append(true).open(&report).unwrap();
        std::io::Write::write_all(&mut stale, b"<!-- stale -->").unwrap();

        // Redrawn from the files alone, at the same size and format: the same bytes, and the
        // same report (quoting the command that wrote the folder).
        fs::remove_dir_all(dir.join("charts")).unwrap();
        let stdout = plot(&dir, &flags);
        assert!(
            stdout.contains(&format!("Wrote {} charts", written.len())),
            "{name}: {stdout}"
        );
        assert_eq!(charts(&dir), written, "{name}: redraw differs");
        assert_eq!(
            fs::read(&report).unwrap(),
            page,
            "{name}: report.html differs"
        );
        assert!(stdout.contains("report.html"), "{name}: {stdout}");

        // At another size and in the other format: only that format, at that size.
        fs::remove_dir_all(dir.join("charts")).unwrap();
        plot(
            &dir,
            &["--format", other, "--width", "500", "--height", "350"],
        );
        assert_all(&charts(&dir), other, (500, 350));
    }
}

#[test]
fn plot_redraws_a_merged_sweep_and_the_library_tells_each_folder_kind() {
    let root = tempfile::tempdir().unwrap();
    let tiny = fixture(TINY).to_string_lossy().into_owned();
    let sweep: Vec<String> = [
        "sweep",
        &tiny,
        "--vary",
        "supply.main.rate_scale=0.8,1.0,1.2",
        "-n",
        "30",
    ]
    .map(String::from)
    .into();
    let shards = root.path().join("shards");
    for k in 0..2 {
        let mut args = sweep.clone();
        args.extend(["--shard".into(), format!("{k}/2")]);
        write_into(&args, &shards, &[]);
    }
    let merged = root.path().join("merged");
    let flags = ["--format", "svg", "--width", "700", "--height", "450"];
    crate::util::merge_cli(&[shards.as_path()], &merged, &flags).success();
    let written = charts(&merged);
    assert_eq!(written.keys().collect::<Vec<_>>(), ["sweep.svg"]);
    assert_all(&written, "svg", (700, 450));
    fs::remove_dir_all(merged.join("charts")).unwrap();
    let options = ChartOptions::new(vec![capsim::chart::ChartFormat::Svg], (700, 450)).unwrap();
    let redrawn = results::redraw(&merged, &options).unwrap();
    assert_eq!(redrawn.kind, FolderKind::Sweep);
    assert_eq!(redrawn.charts, [merged.join("charts/sweep.svg")]);
    assert_eq!(charts(&merged), written);
}

#[test]
fn bad_sizes_exit_2_naming_the_limits() {
    let tiny = fixture(TINY).to_string_lossy().into_owned();
    for (_, args) in drawing_commands() {
        for bad in [["--width", "0"], ["--height", "100000"]] {
            capsim()
                .args(&args)
                .args(bad)
                .assert()
                .code(2)
                .stderr(contains(bad[0]))
                .stderr(contains("from 200 to 8000"));
        }
    }
    capsim()
        .args(["plot", &tiny, "--width", "199"])
        .assert()
        .code(2)
        .stderr(contains("from 200 to 8000"));
    // The library checks too (Python passes sizes straight in).
    let dir = tempfile::tempdir().unwrap();
    for size in [(199, 700), (1200, 8001), (0, 0)] {
        let options = ChartOptions {
            formats: vec![capsim::chart::ChartFormat::Png],
            size,
            command: None,
        };
        let err = results::redraw(dir.path(), &options).unwrap_err();
        assert!(err.is_input_error(), "{err}");
        assert!(err.to_string().contains("200 to 8000 pixels"), "{err}");
    }
}

#[test]
fn plot_on_an_unknown_folder_exits_2_listing_what_it_looks_for() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "not results").unwrap();
    let mut assert = capsim().arg("plot").arg(dir.path()).assert().code(2);
    for kind in FolderKind::ALL {
        assert = assert.stderr(contains(format!("{} ({})", kind.file(), kind.command())));
    }
    let missing: PathBuf = dir.path().join("nope");
    capsim()
        .arg("plot")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(contains("no such folder"));
    // A file that is not what capsim writes: named, with the field.
    fs::write(dir.path().join("sweep.json"), r#"{"scenario": 3}"#).unwrap();
    capsim()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains(
            "sweep.json: not a sweep.json file that capsim writes",
        ))
        .stderr(contains("scenario"));
}

#[test]
fn plot_redraws_a_sweep_over_dates_and_says_a_solve_folder_has_no_charts() {
    let root = tempfile::tempdir().unwrap();
    let tiny = fixture(TINY).to_string_lossy().into_owned();
    let dir = root.path().join("deadlines");
    let args: Vec<String> = [
        "sweep",
        &tiny,
        "--vary",
        "scenario.deadline=2026-03-01,2026-03-10",
        "-n",
        "20",
    ]
    .map(String::from)
    .into();
    write_into(&args, &dir, &["--format", "svg"]);
    let written = charts(&dir);
    assert_eq!(written.keys().collect::<Vec<_>>(), ["sweep.svg"]);
    fs::remove_dir_all(dir.join("charts")).unwrap();
    plot(&dir, &["--format", "svg"]);
    assert_eq!(charts(&dir), written);

    let dir = root.path().join("solve");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("solve.json"), "{}").unwrap();
    capsim()
        .arg("plot")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains(
            "a `capsim solve` folder; plot does not redraw those yet",
        ));
}
