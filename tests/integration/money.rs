//! Money: capital deployed and idle inventory (`docs/model.md`, "Money"). Known answers on the
//! worked example (`valid/worked_example.toml`, every trial the same) priced at $3,000,000 a
//! rack: the racks delivered, online and idle by cause each day are the doc's "Day by day"
//! table, so every dollar figure follows by hand. A rack type without a price counts 0 and is
//! named; sharded and threaded runs give the same money bytes.

use std::fs;

use super::util::{Table, capsim, fixture, json_at, json_f64, run_cli};

const PRICE: f64 = 3_000_000.0;
const PRICED: &str = "accelerators.rack72.price_per_rack_usd=3000000";

/// Asserts `metric` on `day` is `expected` USD in every trial: mean and every percentile (one
/// rack type, so each value is a whole number of bins and the percentiles are exact).
fn assert_usd(daily: &Table, day: usize, metric: &str, expected: f64) {
    for stat in ["mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"] {
        let v = daily.number(day, &format!("{metric}_{stat}"));
        assert_eq!(v, expected, "day {day}: {metric}_{stat}");
    }
}

#[test]
fn the_worked_example_priced_gives_the_hand_computed_dollars() {
    let out = run_cli(
        &fixture("valid/worked_example.toml"),
        &[
            "--trials",
            "5",
            "--no-charts",
            "--cost-trials",
            "0",
            "--set",
            PRICED,
        ],
    );
    let daily = out.daily();
    // (day, racks delivered, racks online): the doc's "Day by day".
    let racks = [
        (0, 0.0, 0.0),
        (7, 0.0, 0.0),
        (8, 8.0, 0.0),
        (12, 8.0, 0.0),
        (13, 8.0, 4.0),
        (15, 16.0, 8.0),
        (21, 16.0, 8.0),
        (22, 24.0, 8.0),
        (25, 24.0, 8.0),
        (27, 24.0, 20.0),
        (29, 32.0, 20.0),
    ];
    for (day, delivered, online) in racks {
        assert_usd(&daily, day, "capital_deployed_usd", delivered * PRICE);
        assert_usd(
            &daily,
            day,
            "idle_inventory_usd",
            (delivered - online) * PRICE,
        );
    }

    let s = &out.summary;
    for key in ["mean", "p10", "p50", "p90"] {
        // Deadline day 25: 24 racks delivered, 8 online.
        let capital = json_f64(s, &format!("/money/capital_deployed_at_deadline_usd/{key}"));
        assert_eq!(capital, 24.0 * PRICE, "capital {key}");
        let idle = json_f64(s, &format!("/money/idle_inventory_at_deadline_usd/{key}"));
        assert_eq!(idle, 16.0 * PRICE, "idle {key}");
    }
    // Idle racks each day 0..=25 by cause, from the "Day by day" table: waiting racks with hall
    // room wait for crews (install), without it for power; installed racks without usable
    // power wait for power; the rest are in bring-up.
    //   install: day 8 6, 9 4, 10 2, 18 4, 19 2, 22 2                         = 20
    //   power:   day 8 2, 15-17 3x6, 18 2, 19 4, 20-21 2x6, 22 4+8, 23-25 3x4  = 62
    //   bring-up: day 9 4, 10 6, 11-12 2x8, 13-14 2x4, 15-17 3x2, 18 2, 19 2,
    //             20-21 2x2, 22 2, 23-25 3x12                                 = 86
    // 168 in all = the idle racks summed (delivered - online, days 0..=25).
    let expected = [
        ("power", 62.0),
        ("install", 20.0),
        ("space", 0.0),
        ("bring_up", 86.0),
    ];
    for (cause, rack_days) in expected {
        let got = json_f64(s, &format!("/money/rack_days_idle_to_deadline/{cause}"));
        assert_eq!(got, rack_days, "rack-days {cause}");
        let got = json_f64(s, &format!("/money/usd_days_idle_to_deadline/{cause}"));
        assert_eq!(got, rack_days * PRICE, "USD-days {cause}");
    }
    let prices = json_at(s, "/money/prices");
    assert_eq!(
        prices,
        &serde_json::json!([{ "accelerator": "rack72", "price_per_rack_usd": PRICE }])
    );
    assert_eq!(json_at(s, "/money/notes"), &serde_json::json!([]));
}

#[test]
fn a_rack_type_without_a_price_counts_zero_and_is_named() {
    let out = run_cli(
        &fixture("valid/worked_example.toml"),
        &["--trials", "2", "--no-charts", "--cost-trials", "0"],
    );
    let s = &out.summary;
    assert_eq!(
        json_f64(s, "/money/capital_deployed_at_deadline_usd/mean"),
        0.0
    );
    assert_eq!(json_f64(s, "/money/usd_days_idle_to_deadline/power"), 0.0);
    // Rack-days do not need a price.
    assert_eq!(json_f64(s, "/money/rack_days_idle_to_deadline/power"), 62.0);
    assert_eq!(
        json_at(s, "/money/prices/0/price_per_rack_usd"),
        &serde_json::Value::Null
    );
    let notes = json_at(s, "/money/notes").to_string();
    assert!(notes.contains("rack72"), "{notes}");
    // The terminal says so rather than printing $0.
    let shown = capsim()
        .args(["run", "--no-charts", "--cost-trials", "0", "-n", "2"])
        .arg(fixture("valid/worked_example.toml"))
        .arg("--out")
        .arg(out.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("no rack type has a price_per_rack_usd"),
        "{text}"
    );
}

#[test]
fn the_terminal_names_the_deadline_and_the_largest_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let shown = capsim()
        .args([
            "run",
            "--no-charts",
            "--cost-trials",
            "0",
            "-n",
            "2",
            "--set",
            PRICED,
        ])
        .arg(fixture("valid/worked_example.toml"))
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    for line in [
        "Capital deployed at deadline   mean $72.0 M   P10 $72.0 M   P50 $72.0 M   P90 $72.0 M",
        "Idle inventory at deadline     mean $48.0 M",
        // 86 of 168 rack-days, all at one price: 51.2%.
        "bring-up 51.2%: mostly in bring-up",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
}

#[test]
fn money_is_the_same_sharded_and_on_any_thread_count() {
    // The base case: two priced rack types, idle racks of every cause.
    let base = "scenarios/aws-openai-2026.toml";
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let dir = tmp.path().join(name);
        capsim()
            .args([
                "run",
                base,
                "--quiet",
                "--no-charts",
                "-n",
                "24",
                "--seed",
                "9",
            ])
            .args(["--cost-trials", "0"])
            .args(extra)
            .arg("--out")
            .arg(&dir)
            .assert()
            .success();
        dir
    };
    let one = run("one", &["-j", "1"]);
    let two = run("two", &["-j", "2"]);
    let shards = tmp.path().join("shards");
    for k in 0..3 {
        capsim()
            .args([
                "run",
                base,
                "--quiet",
                "--no-charts",
                "-n",
                "24",
                "--seed",
                "9",
            ])
            .args(["--cost-trials", "0", "--shard", &format!("{k}/3")])
            .arg("--out")
            .arg(&shards)
            .assert()
            .success();
    }
    let merged = tmp.path().join("merged");
    super::util::merge_cli(&[shards.as_path()], &merged, &["--no-charts"]).success();
    let summary = fs::read(one.join("summary.json")).unwrap();
    let daily = fs::read(one.join("daily.csv")).unwrap();
    for other in [&two, &merged] {
        assert!(summary == fs::read(other.join("summary.json")).unwrap());
        assert!(daily == fs::read(other.join("daily.csv")).unwrap());
    }
    // Capital is cumulative and idle inventory a part of it, in the mean of every day.
    let table = Table::read(&one.join("daily.csv"));
    let capital = table.numbers("capital_deployed_usd_mean");
    let idle = table.numbers("idle_inventory_usd_mean");
    assert!(
        capital.windows(2).all(|w| w[0] <= w[1]),
        "capital is cumulative"
    );
    assert!(
        capital.iter().zip(&idle).all(|(c, i)| i <= c),
        "idle is part of capital"
    );
    let s: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    assert!(json_f64(&s, "/money/capital_deployed_at_deadline_usd/mean") > 1e9);
    assert!(json_f64(&s, "/money/usd_days_idle_to_deadline/install") > 0.0);
}
