//! `capsim bench --trials A,B`: one row per (threads, trials) with positive throughput and the
//! memory fields present (numbers, or null where the peak cannot be reset). Shapes only: the
//! timings themselves belong to the benchmarks.

use serde_json::Value;

use crate::util::capsim;

#[test]
fn bench_reports_a_row_per_trial_count_with_memory_fields() {
    let out = capsim()
        .args([
            "bench",
            "tests/fixtures/valid/tiny.toml",
            "--trials",
            "50,100",
        ])
        .args(["--runs", "1", "--warmup", "0", "--threads", "1", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).expect("bench --json prints JSON");
    assert_eq!(report["trials"], serde_json::json!([50, 100]), "{report:#}");
    let rows = report["rows"].as_array().expect("rows is an array");
    let counts: Vec<u64> = rows.iter().map(|r| r["trials"].as_u64().unwrap()).collect();
    assert_eq!(counts, [50, 100], "{report:#}");
    for r in rows {
        assert_eq!(r["threads"], 1, "{r:#}");
        for field in [
            "median_s",
            "trials_per_s",
            "site_days_per_s",
            "ns_per_trial",
        ] {
            let v = r[field]
                .as_f64()
                .unwrap_or_else(|| panic!("{field}: {r:#}"));
            assert!(v > 0.0 && v.is_finite(), "{field} = {v}: {r:#}");
        }
        assert!(
            r["cost_vs_smallest"].as_f64().is_some_and(f64::is_finite),
            "{r:#}"
        );
        assert!(
            r["accumulator_heap_bytes"].as_u64().is_some_and(|b| b > 0),
            "{r:#}"
        );
        for field in ["peak_rss_mb", "base_rss_mb"] {
            let v = r.get(field).unwrap_or_else(|| panic!("no {field}: {r:#}"));
            assert!(
                v.is_null() || v.as_f64().is_some_and(|mb| mb > 0.0),
                "{field} must be a positive number or null: {r:#}"
            );
        }
    }
    // The smallest count is its own reference.
    assert_eq!(
        rows[0]["cost_vs_smallest"].as_f64(),
        Some(1.0),
        "{report:#}"
    );
}

#[test]
fn bench_rejects_a_zero_trial_count() {
    capsim()
        .args([
            "bench",
            "tests/fixtures/valid/tiny.toml",
            "--trials",
            "100,0",
        ])
        .assert()
        .code(2);
}
