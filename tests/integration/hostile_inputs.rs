//! Hostile scenario inputs (issue 12): every reproduction ends with exit 0 and a correct answer
//! or exit 2 and a located message, in bounded time and memory; random numbers in random fields
//! never panic.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use predicates::prelude::*;
use predicates::str::contains;
use proptest::prelude::*;

use crate::util::{capsim, fixture, json_f64, root, run_cli};

const TINY: &str = "valid/tiny.toml";

/// Generous: each command here takes well under a second when it works; a hang or a quadratic
/// loader fails instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(60);

/// `validate tiny.toml --set ARG` must exit 2 naming the override, the field and `expect`.
fn refused(arg: &str, field: &str, expect: &str) {
    capsim()
        .args(["validate", "--set", arg])
        .arg(fixture(TINY))
        .timeout(PATIENCE)
        .assert()
        .code(2)
        .stderr(contains(format!("--set {arg}: `{field}`")))
        .stderr(contains(expect));
}

#[test]
fn day_valued_inputs_beyond_the_longest_horizon_are_refused() {
    // Once: an 8 TB table (abort), a capacity overflow (panic), 8 GB of memory, a wrap to day 0,
    // index out of bounds in the engine, a panic in the summary's date arithmetic.
    let within = "must stay within [-7320, 7320] days";
    let cases = [
        (
            r#"supply.main.slip_days={kind="uniform",min=0,max=1e12}"#,
            "supply[0].slip_days",
        ),
        (
            r#"supply.main.slip_days={kind="uniform",min=-1e300,max=1e300}"#,
            "supply[0].slip_days",
        ),
        (
            r#"supply.main.slip_days={kind="uniform",min=0,max=1e9}"#,
            "supply[0].slip_days",
        ),
        ("supply.main.slip_days=1e19", "supply[0].slip_days"),
        (
            "sites.alpha.phases.0.delay_days=8e6",
            "sites[0].phases[0].delay_days",
        ),
        (
            "sites.alpha.phases.0.delay_days=-8e6",
            "sites[0].phases[0].delay_days",
        ),
        (
            r#"sites.alpha.phases.0.delay_days={kind="normal",mean=0,sd=1000}"#,
            "sites[0].phases[0].delay_days",
        ),
    ];
    for (arg, field) in cases {
        refused(arg, field, within);
    }
    let within = "must stay within [0, 7320] days";
    for (arg, field) in [
        ("bring_up.burn_in_days=1e19", "bring_up.burn_in_days"),
        ("bring_up.rework_days=1e19", "bring_up.rework_days"),
        (
            "bring_up.fix_in_place_days=7321",
            "bring_up.fix_in_place_days",
        ),
        ("supply.main.transit_days=1e6", "supply[0].transit_days"),
        (
            "sites.alpha.phases.0.commissioning_days=1e6",
            "sites[0].phases[0].commissioning_days",
        ),
        (
            "sites.alpha.pod_acceptance_days=1e6",
            "sites[0].pod_acceptance_days",
        ),
    ] {
        refused(arg, field, within);
    }
    refused(
        "operations.repair_days=1e6",
        "operations.repair_days",
        "must stay within [0, 3653] days",
    );
}

#[test]
fn day_valued_inputs_at_the_limit_run_and_give_the_right_answer() {
    // Racks that arrive, or finish burn-in, 20 years late never meet the target; every other
    // input at its limit runs.
    for arg in ["supply.main.slip_days=7320", "bring_up.burn_in_days=7320"] {
        let late = run_cli(&fixture(TINY), &["-n", "5", "--no-charts", "--set", arg]);
        assert_eq!(
            json_f64(&late.summary, "/p_target_by_deadline/estimate"),
            0.0,
            "{arg}"
        );
    }
    for arg in [
        "bring_up.rework_days=7320",
        "sites.alpha.phases.0.delay_days=7320",
        "sites.alpha.phases.0.delay_days=-7320",
        "supply.main.slip_days=-7320",
    ] {
        run_cli(&fixture(TINY), &["-n", "5", "--no-charts", "--set", arg]);
    }
}

#[test]
fn rates_scales_and_noise_must_fit_the_engines_integers() {
    refused(
        "supply.main.schedule.0.racks_per_week=1e6",
        "supply[0].schedule[0].racks_per_week",
        "in [0, 100000], found 1000000",
    );
    refused(
        "supply.main.schedule.1.racks_per_week=1e10",
        "supply[0].schedule[1].racks_per_week",
        "found 1e10",
    );
    // tiny peaks at 30 racks a week: ×10,000 is 300,000.
    refused(
        "supply.main.rate_scale=10000",
        "supply[0].rate_scale",
        "to 300000 racks per week; a stream may plan at most 100000",
    );
    refused(
        r#"supply.main.noise={kind="lognormal",median=1,p90=1e300}"#,
        "supply[0].noise",
        "supply noise must stay within [0, 100] times the plan",
    );
    refused(
        "sites.alpha.install_racks_per_day=1e18",
        "sites[0].install_racks_per_day",
        "must stay within [0, 100000] racks per day",
    );
    refused(
        "sites.alpha.install_racks_per_day=1e17",
        "sites[0].install_racks_per_day",
        "must stay within [0, 100000] racks per day",
    );
    refused(
        "operations.interruptions_per_gpu_year=1e20",
        "operations.interruptions_per_gpu_year",
        "in [0, 10], found 1e20",
    );
    refused(
        "scenario.target_gpus=9223372036854775807",
        "scenario.target_gpus",
        "may be at most 100000000000000 GPUs",
    );
    refused(
        "accelerators.test-rack.gpus_per_rack=4000000000",
        "accelerators[3].gpus_per_rack",
        "must be a whole number in [1, 10000]",
    );
}

#[test]
fn the_engine_counts_exactly_at_the_input_limits() {
    // valid/at_the_bounds.toml: every rate and size at its limit, deterministic; the numbers
    // are worked out in its header. 10^12 GPUs delivered: nothing wraps or saturates.
    let out = run_cli(
        &fixture("valid/at_the_bounds.toml"),
        &["--no-charts", "--cost-trials", "0"],
    );
    let daily = out.daily();
    let last = daily.rows.len() - 1;
    assert_eq!(daily.column("date")[last], "2045-03-05");
    for (column, expected) in [
        ("delivered_gpus_mean", 1e12),
        ("delivered_gpus_p50", 1e12),
        ("installed_gpus_mean", 1e8),
        ("online_gpus_mean", 1e8),
        ("staged_gpus_mean", 1e12 - 1e8),
        ("staged_gpus_p95", 1e12 - 1e8),
        ("energized_mw_mean", 1e5),
        ("it_mw_in_use_mean", 1e5),
        ("stranded_mw_mean", 0.0),
    ] {
        assert_eq!(daily.number(last, column), expected, "{column}");
    }
    // The first week's 100,000 racks arrive on day 6; power holds 10,000 of them.
    assert_eq!(daily.number(6, "delivered_gpus_mean"), 1e9);
    assert_eq!(daily.number(7, "online_gpus_mean"), 1e8);
    assert_eq!(
        json_f64(&out.summary, "/available_gpus_at_deadline/mean"),
        1e8
    );
    assert_eq!(
        json_f64(&out.summary, "/p_target_by_deadline/estimate"),
        0.0
    );
}

#[test]
fn plans_too_large_to_count_are_refused() {
    // valid/at_the_bounds.toml delivers 10^12 GPUs, within every limit; more than 10^15 GPUs,
    // 10^16 FP8 PFLOPS or 10^8 MW in all would take daily figures or their sums past i64.
    let base = std::fs::read_to_string(root().join(fixture("valid/at_the_bounds.toml"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let refused_with = |name: &str, text: String, field: &str, expect: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        file_refused(&path, &format!("`{field}`: {expect}"));
    };
    // Eleven streams at the limit rate with noise up to 100x: 1.1 x 10^15 GPUs.
    let mut many = base.replace("[[supply]]\nid = \"flood\"", "[[supply]]\nid = \"flood-0\"");
    for k in 1..11 {
        write!(
            many,
            "\n[[supply]]\nid = \"flood-{k}\"\naccelerator = \"giant-rack\"\nschedule = [\n  {{ date = 2026-01-05, racks_per_week = 100000 }},\n  {{ date = 2045-12-31, racks_per_week = 100000 }},\n]\nnoise = {{ kind = \"uniform\", min = 0, max = 100 }}\n"
        )
        .unwrap();
    }
    let many = many.replacen(
        "accelerator = \"giant-rack\"\n",
        "accelerator = \"giant-rack\"\nnoise = { kind = \"uniform\", min = 0, max = 100 }\n",
        1,
    );
    refused_with(
        "many.toml",
        many,
        "supply",
        "the streams can deliver up to 1.1e15 GPUs by the horizon",
    );
    // The same 10^12 GPUs at 10^6 PFLOPS each.
    refused_with(
        "pflops.toml",
        base.replace("fp8_pflops_per_gpu = 1.0", "fp8_pflops_per_gpu = 1000000"),
        "supply",
        "the streams can deliver up to 1e18 FP8 PFLOPS by the horizon",
    );
    // Eleven 100 GW phases at power_scale 100: 1.1 x 10^8 MW.
    let phase = "\n[[sites.phases]]\nmw = 100000\nplanned = 2026-01-05\n";
    let big = base.replace(
        "install_racks_per_day = 100000\n",
        &format!(
            "install_racks_per_day = 100000\npower_scale = 100\n{}",
            phase.repeat(10)
        ),
    );
    refused_with(
        "power.toml",
        big,
        "sites",
        "the sites' phases add up to 110000000 MW",
    );
}

#[test]
fn more_crews_never_hurt() {
    // At the limit the crews are never the constraint: P(target) is at least that of slower
    // crews (once, 10^17 racks a day gave 0.88 and 10^18 zero installs).
    let p = |rate: &str| {
        let out = run_cli(
            &fixture(TINY),
            &[
                "-n",
                "40",
                "--no-charts",
                "--cost-trials",
                "0",
                "--set",
                &format!("sites.alpha.install_racks_per_day={rate}"),
                "--set",
                &format!("sites.beta.install_racks_per_day={rate}"),
            ],
        );
        json_f64(&out.summary, "/p_target_by_deadline/estimate")
    };
    let (slow, fast, fastest) = (p("1"), p("100"), p("100000"));
    assert!(slow <= fast && fast <= fastest, "{slow} {fast} {fastest}");
    assert!(fastest > slow, "{slow} {fastest}");
}

#[test]
fn only_a_real_date_is_a_date() {
    refused(
        r#"scenario.start={anything="2026-01-05"}"#,
        "scenario.start",
        "expected a date such as 2026-12-31, found a table",
    );
    refused(
        "scenario.start=1899-12-31",
        "scenario.start",
        "the start must lie between 1900-01-01 and 2200-12-31",
    );
    refused(
        "sites.alpha.phases.0.planned=2100-01-01",
        "sites[0].phases[0].planned",
        "dates may lie at most 7320 days before the start or after the horizon",
    );
    for good in [
        "scenario.start=2026-01-04",
        r#"scenario.start="2026-01-04""#,
    ] {
        capsim()
            .args(["validate", "--set", good])
            .arg(fixture(TINY))
            .assert()
            .success();
    }
}

/// `validate FILE` must exit 2 naming the file and `expect`, in bounded time.
fn file_refused(file: &Path, expect: &str) {
    capsim()
        .arg("validate")
        .arg(file)
        .timeout(PATIENCE)
        .assert()
        .code(2)
        .stderr(contains(file.display().to_string()))
        .stderr(contains(expect));
}

/// A copy of tiny.toml that extends `base`.
fn variant_of(dir: &Path, name: &str, base: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("extends = \"{base}\"\n")).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn extends_reads_only_plain_files_of_a_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    // A device that reads forever, and one that blocks.
    for device in ["/dev/zero", "/dev/urandom"] {
        let v = variant_of(dir.path(), "device.toml", device);
        file_refused(&v, "is not a regular file");
        file_refused(&v, device);
        file_refused(Path::new(device), "is not a regular file");
    }
    let fifo = dir.path().join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    file_refused(
        &variant_of(dir.path(), "v.toml", "fifo.toml"),
        "is not a regular file",
    );
    file_refused(dir.path(), "is not a regular file");
    // Larger than 16 MiB (sparse: costs no disk).
    let big = dir.path().join("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(16 * 1024 * 1024 + 1)
        .unwrap();
    file_refused(&big, "a scenario file may be at most 16777216 bytes");
    file_refused(
        &variant_of(dir.path(), "v.toml", "big.toml"),
        "a scenario file may be at most 16777216 bytes",
    );
}

#[test]
fn extends_chains_are_at_most_64_files_deep() {
    // 10,000 files once overflowed the stack; 200 show the limit as well.
    let dir = tempfile::tempdir().unwrap();
    let tiny = root().join(fixture(TINY));
    std::fs::copy(&tiny, dir.path().join("f0.toml")).unwrap();
    for k in 1..200 {
        variant_of(
            dir.path(),
            &format!("f{k}.toml"),
            &format!("f{}.toml", k - 1),
        );
    }
    file_refused(
        &dir.path().join("f199.toml"),
        "`extends` goes deeper than 64 files",
    );
    capsim()
        .arg("validate")
        .arg(dir.path().join("f63.toml"))
        .assert()
        .success();
}

/// tiny.toml with `sites` sites, each a copy of `alpha`.
fn many_sites(sites: usize) -> String {
    let tiny = std::fs::read_to_string(root().join(fixture(TINY))).unwrap();
    let head = &tiny[..tiny.find("[[sites]]").unwrap()];
    let mut text = head.to_string();
    for i in 0..sites {
        write!(
            text,
            "[[sites]]\nid = \"site-{i}\"\nregion = \"r{i}\"\npue = 1.2\naccepts = [\"test-rack\"]\n\
             install_racks_per_day = {{ kind = \"uniform\", min = 2, max = 5 }}\n\n\
             [[sites.phases]]\nmw = 12\nplanned = 2026-01-12\n\
             delay_days = {{ kind = \"pert\", min = 0, mode = 7, max = 30 }}\n\n"
        )
        .unwrap();
    }
    text
}

#[test]
fn loading_is_linear_in_the_file() {
    // 8,000 sites (1 MB) once took 100 s to validate: every value's column was counted from the
    // start of the file. Quadratic work here would take hours in the debug profile.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(&path, many_sites(8_000)).unwrap();
    capsim()
        .arg("validate")
        .arg(&path)
        .timeout(PATIENCE)
        .assert()
        .success();
    // 200,000 values on one 700 KB line: the column of each is found without recounting the
    // line.
    let tiny = std::fs::read_to_string(root().join(fixture(TINY))).unwrap();
    let n = 200_000;
    let values = vec!["0"; n].join(", ");
    let weights = vec!["1"; n].join(", ");
    let text = tiny.replace(
        "delay_days = { kind = \"pert\", min = 0, mode = 7, max = 30 }",
        &format!("delay_days = {{ kind = \"discrete\", values = [{values}, 99], weights = [{weights}, -1] }}"),
    );
    let path = dir.path().join("line.toml");
    std::fs::write(&path, text).unwrap();
    capsim()
        .arg("validate")
        .arg(&path)
        .timeout(PATIENCE)
        .assert()
        .code(2)
        .stderr(contains(format!("{}:42:14:", path.display())))
        .stderr(contains("`weights` must be non-negative"));
    // 100,000 keys in one table: each finds its span in one lookup.
    let keys: String = (0..100_000).map(|k| format!("k{k} = {k}\n")).collect();
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, format!("{tiny}\n[allocation]\n{keys}")).unwrap();
    capsim()
        .arg("validate")
        .arg(&path)
        .timeout(PATIENCE)
        .assert()
        .code(2)
        .stderr(contains("unknown field `k0`"));
}

#[test]
fn sizes_that_would_exhaust_a_worker_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("too-many.toml");
    std::fs::write(&path, many_sites(10_001)).unwrap();
    file_refused(
        &path,
        "`sites`: has 10001 sites; a scenario may have at most 10000",
    );
    // 700 sites × 1 rack type × 7,300 days: 5.1 million cells of per-thread buffers.
    let text = many_sites(700).replace("horizon = 2026-04-30", "horizon = 2045-12-31");
    let path = dir.path().join("too-long.toml");
    std::fs::write(&path, text).unwrap();
    file_refused(
        &path,
        "700 sites × 1 rack types × 7301 days = 5110700 site-days",
    );
}

#[test]
fn long_ids_are_refused_without_a_costly_suggestion() {
    // "Did you mean" once compared two 40,000-character ids for 12 s.
    let long = "x".repeat(40_000);
    let other = format!("{long}y");
    capsim()
        .args([
            "validate",
            "--set",
            &format!("accelerators.test-rack.id=\"{long}\""),
            "--set",
            &format!("sites.alpha.accepts=[\"{other}\"]"),
        ])
        .arg(fixture(TINY))
        .timeout(PATIENCE)
        .assert()
        .code(2)
        .stderr(contains(
            "is 40000 characters long; ids and names may have at most 128",
        ))
        .stderr(contains("… (40001 characters)"));
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let out = capsim()
        .args([
            "validate",
            "--set",
            "sites.alpha.id=\"al\\u001b[31mpha\\nx\"",
            "--set",
            "scenario.name=\"tiny\\rx\"",
            "--set",
            "sites.beta.accepts=[\"\\u001b[2J\"]",
        ])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains(
            "`sites[0].id`: `al\\u{1b}[31mpha\\nx` contains a control character",
        ))
        .stderr(contains(
            "`scenario.name`: `tiny\\rx` contains a control character",
        ))
        .stderr(contains("unknown accelerator `\\u{1b}[2J`"))
        .get_output()
        .clone();
    let raw = out
        .stderr
        .iter()
        .find(|&&b| b != b'\n' && (b < 0x20 || b == 0x7f));
    assert_eq!(raw, None, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn thread_counts_are_capped() {
    // 100,000 threads once took 25 s to start.
    capsim()
        .args(["run", "-j", "100000", "-n", "5", "--quiet"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--threads"))
        .stderr(contains("from 0 (all cores) to 1024"));
    capsim()
        .args(["run", "--trials", "5000000000"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--trials"));
}

/// Every numeric field of tiny.toml (and some distribution parameters), as `--set` paths.
const NUMERIC_FIELDS: &[&str] = &[
    "scenario.target_gpus",
    "scenario.trials",
    "scenario.seed",
    "accelerators.test-rack.gpus_per_rack",
    "accelerators.test-rack.rack_it_kw",
    "accelerators.test-rack.fp8_pflops_per_gpu",
    "accelerators.test-rack.price_per_rack_usd",
    "supply.main.schedule.0.racks_per_week",
    "supply.main.rate_scale",
    "supply.main.cap_racks",
    "supply.main.slip_days",
    "supply.main.slip_days.max",
    "supply.main.noise",
    "supply.main.noise.p90",
    "supply.main.transit_days",
    "sites.alpha.pue",
    "sites.alpha.max_racks",
    "sites.alpha.install_racks_per_day",
    "sites.alpha.install_racks_per_day.max",
    "sites.alpha.power_scale",
    "sites.alpha.phases.0.mw",
    "sites.alpha.phases.0.delay_days",
    "sites.alpha.phases.0.delay_days.max",
    "sites.alpha.phases.0.ramp_days",
    "sites.alpha.phases.0.commissioning_days",
    "sites.alpha.mobilization_days",
    "sites.alpha.mobilization_start",
    "sites.alpha.max_install_racks_per_day",
    "sites.alpha.install_lead_days",
    "sites.alpha.pod_racks",
    "sites.alpha.pod_acceptance_days",
    "power_limits.east-cap.mw",
    "power_limits.east-cap.steps.0.mw",
    "bring_up.burn_in_days",
    "bring_up.burn_in_days.max",
    "bring_up.failure_probability",
    "bring_up.pulled_fraction",
    "bring_up.fix_in_place_days",
    "bring_up.rework_days",
    "operations.interruptions_per_gpu_year",
    "operations.repair_days",
    "operations.repair_days.max",
];

/// Numbers as a hostile user writes them: huge, tiny, negative, not numbers at all.
fn hostile_number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "-0",
            "1",
            "-1",
            "0.5",
            "7320",
            "7321",
            "-7321",
            "1e-300",
            "-1e-300",
            "1e300",
            "-1e300",
            "1e19",
            "1e17",
            "1e10",
            "4294967296",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551616",
            "nan",
            "inf",
            "-inf",
            "\"NaN\"",
            "\"1e3\"",
            "1e999",
            "0x10",
            "[1e300]",
            "{kind=\"fixed\",value=1e300}",
        ])
        .prop_map(String::from),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        any::<i64>().prop_map(|v| v.to_string()),
        (0.0..10_000.0f64).prop_map(|v| format!("{v}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A random value in a random numeric field gives exit 0 (and then runs) or exit 2 with the
    /// override named; never a panic (exit 101).
    #[test]
    fn random_numbers_in_numeric_fields_never_panic(
        field in prop::sample::select(NUMERIC_FIELDS),
        value in hostile_number(),
    ) {
        let arg = format!("{field}={value}");
        let out = capsim()
            .args(["validate", "--set", &arg])
            .arg(fixture(TINY))
            .timeout(PATIENCE)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {
                let dir = tempfile::tempdir().unwrap();
                capsim()
                    .args(["run", "-n", "2", "--quiet", "--no-charts", "--cost-trials", "2", "--set", &arg, "--out"])
                    .arg(dir.path())
                    .arg(fixture(TINY))
                    .timeout(PATIENCE)
                    .assert()
                    .success();
            }
            Some(2) => prop_assert!(
                predicate::str::contains(format!("--set {arg}")).eval(&stderr)
                    || stderr.contains("tests/fixtures/valid/tiny.toml:"),
                "{arg}: no location in {stderr}"
            ),
            code => prop_assert!(false, "{arg}: exit {code:?}: {stderr}"),
        }
    }
}
