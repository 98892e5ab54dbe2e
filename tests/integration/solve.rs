//! `capsim solve`: known answers on the deterministic `valid/ka_supply_only.toml` (the supply
//! scale, weekly rate, deadline and target that just reach the target, worked out by hand in
//! the fixture's header), reproducibility (same bytes whatever the thread count), the answer's
//! interval containing the answer, the ranges that hold no answer, the files, and bad input
//! exiting 2 with a message naming what would be valid.

use capsim::analysis::solve::{
    AnswerKind, Goal, Outcome, SolveRange, SolveRequest, SolveResult, solve,
};
use capsim::analysis::sweep::ParamValue;
use capsim::output::answer_line;
use predicates::str::contains;
use serde_json::Value;

use crate::util::{capsim, fixture, root};

/// Supply binds alone, deterministically: batches of 14 racks × scale ship on days 6, 13, 20,
/// 27, ... and are online the next day; the target is 100 racks by day 30.
const KA: &str = "valid/ka_supply_only.toml";
/// A small scenario with every input uncertain.
const TINY: &str = "valid/tiny.toml";

fn request(file: &str, vary: &str, goal: &str) -> SolveRequest {
    SolveRequest {
        threads: 1,
        ..SolveRequest::new(
            root().join(fixture(file)),
            SolveRange::parse(vary).unwrap(),
            Goal::parse(goal).unwrap(),
        )
    }
}

fn run(request: &SolveRequest) -> SolveResult {
    solve(request, None, &|_| {}).unwrap()
}

fn number(v: &Option<ParamValue>) -> f64 {
    v.as_ref()
        .and_then(ParamValue::as_number)
        .expect("a numeric answer")
}

#[test]
fn the_supply_scale_that_just_reaches_the_target_is_target_over_delivered_racks() {
    // Four batches by the deadline: floor(4 × 14 × s) >= 100 racks, so s* = 100 / 56.
    let threshold = 100.0 / 56.0;
    let r = run(&request(
        KA,
        "supply.trickle.rate_scale=1:3",
        "p_target>=0.5",
    ));
    assert_eq!(r.outcome, Outcome::Found);
    assert_eq!(r.answer_kind, Some(AnswerKind::Smallest));
    let answer = number(&r.answer);
    // The default tolerance is a thousandth of the range; the answer is the bracket's upper end.
    assert!((r.tolerance - 0.002).abs() < 1e-12, "{}", r.tolerance);
    assert!(
        answer >= threshold && answer <= threshold + r.tolerance,
        "answer {answer}, threshold {threshold}"
    );
    // Deterministic: P is 0 or 1, so every end of the 95% interval crosses at the same value.
    let [low, high] = r.interval.clone().expect("a p_target goal has an interval");
    assert_eq!(
        (low.value.as_number(), high.value.as_number()),
        (Some(answer), Some(answer))
    );
    // The step just below the answer fails, the answer meets it.
    let below = r
        .steps
        .iter()
        .filter(|s| !s.meets_goal)
        .map(|s| s.value.as_number().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(
        below < threshold && answer - below <= r.tolerance,
        "{below} .. {answer}"
    );
}

#[test]
fn whole_numbers_dates_and_falling_goals_get_exact_answers() {
    // Whole racks a week (an integer field, both schedule points): floor(4 w) >= 100 at w = 25.
    let r = run(&request(
        KA,
        "supply.trickle.schedule.*.racks_per_week=10:40",
        "p_target>=0.5",
    ));
    assert_eq!(r.expands_to.len(), 2);
    assert_eq!(r.answer, Some(ParamValue::Number(25.0)));
    // The deadline: 100 racks need 8 batches; the 8th ships on day 55 and is online on day 56,
    // 2026-03-02.
    let r = run(&request(
        KA,
        "scenario.deadline=2026-01-20:2026-03-05",
        "p_target>=50%",
    ));
    assert_eq!(r.answer, Some(ParamValue::Text("2026-03-02".into())));
    assert_eq!(r.answer_kind, Some(AnswerKind::Smallest));
    // The target: 560 GPUs are online by the deadline, so the largest target met is 560.
    let r = run(&request(
        KA,
        "scenario.target_gpus=100:2000",
        "p_target>=0.5",
    ));
    assert_eq!(r.answer_kind, Some(AnswerKind::Largest));
    assert_eq!(r.answer, Some(ParamValue::Number(560.0)));
    // A metric other than P(target): the median GPUs at the deadline, 10 × floor(56 s)
    // GPUs, reaches 700 at s = 1.25.
    let r = run(&request(
        KA,
        "supply.trickle.rate_scale=1:3",
        "gpus_at_deadline_p50>=700",
    ));
    let answer = number(&r.answer);
    assert!((1.25..=1.25 + r.tolerance).contains(&answer), "{answer}");
    assert!(
        r.interval.is_none(),
        "no Monte Carlo interval for a median goal"
    );
}

#[test]
fn ranges_without_an_answer_say_so() {
    let r = run(&request(
        KA,
        "supply.trickle.rate_scale=0.5:1",
        "p_target>=0.5",
    ));
    assert_eq!(r.outcome, Outcome::NotReachable);
    assert_eq!((r.answer.clone(), r.steps.len()), (None, 2));
    assert!(
        answer_line(&r).starts_with("Not reachable within 0.5 – 1: the goal p_target>=0.5"),
        "{}",
        answer_line(&r)
    );
    let r = run(&request(
        KA,
        "supply.trickle.rate_scale=2:3",
        "p_target>=0.5",
    ));
    assert_eq!(r.outcome, Outcome::MetAtBothEnds);
    assert!(r.answer.is_none());
    assert!(answer_line(&r).contains("already met at both ends of 2 – 3"));
}

#[test]
fn a_random_scenario_solves_reproducibly_and_the_interval_holds_the_answer() {
    let mut req = request(TINY, "supply.main.rate_scale=0.5:2", "p_target>=0.6");
    req.trials = Some(150);
    let one = run(&req);
    req.threads = 2;
    let two = run(&req);
    assert_eq!(one, two, "the thread count changes nothing");
    assert_eq!(one.outcome, Outcome::Found);
    let answer = number(&one.answer);
    let [low, high] = one.interval.clone().unwrap();
    let (low, high) = (
        low.value.as_number().unwrap(),
        high.value.as_number().unwrap(),
    );
    assert!(
        low <= answer && answer <= high,
        "{low} <= {answer} <= {high}"
    );
    assert!(
        low < high,
        "150 trials leave Monte Carlo error: {low} .. {high}"
    );
    // Every evaluation ran the same trials: the answer's step meets the goal by its estimate.
    let at = one
        .steps
        .iter()
        .find(|s| s.value.as_number() == Some(answer))
        .unwrap();
    assert!(at.meets_goal && at.p_target_by_deadline.estimate >= 0.6);
    // The step one tolerance below does not: the steps bracket the answer.
    assert!(one.steps.iter().any(|s| {
        let v = s.value.as_number().unwrap();
        !s.meets_goal && v < answer && answer - v <= one.tolerance
    }));
}

#[test]
fn the_cli_writes_solve_json_and_csv_and_prints_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let out = capsim()
        .args(["solve"])
        .arg(fixture(KA))
        .args([
            "--vary",
            "supply.trickle.schedule.*.racks_per_week=10:40",
            "--for",
            "p_target>=0.5",
            "-j",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains(
            "Answer: the smallest supply.trickle.schedule.*.racks_per_week that meets \
             p_target>=0.5 is 25 (95% interval 25 – 25)",
        ));
    drop(out);
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("solve.json")).unwrap()).unwrap();
    assert_eq!(json["outcome"], "found");
    assert_eq!(json["answer"], 25.0);
    assert_eq!(json["answer_kind"], "smallest");
    let steps = json["steps"].as_array().unwrap();
    let csv = std::fs::read_to_string(dir.path().join("solve.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "step,supply.trickle.schedule.*.racks_per_week,search,p_target_by_deadline,\
         p_target_ci95_low,p_target_ci95_high,gpus_at_deadline_p50,full_capacity_p50,meets_goal"
    );
    assert_eq!(lines.count(), steps.len());
}

#[test]
fn bad_goals_and_ranges_exit_2_saying_what_is_valid() {
    let fails = |vary: &str, goal: &str, message: &str| {
        capsim()
            .arg("solve")
            .arg(fixture(KA))
            .args(["--vary", vary, "--for", goal, "--quiet", "--out"])
            .arg(tempfile::tempdir().unwrap().path().join("o"))
            .assert()
            .code(2)
            .stderr(contains(message.to_owned()));
    };
    let rate = "supply.trickle.rate_scale=1:3";
    fails(
        rate,
        "p_target=0.8",
        "expected METRIC>=VALUE or METRIC<=VALUE",
    );
    fails(rate, "p_target>=1.5", "strictly between 0 and 1");
    fails(
        rate,
        "gpus>=5",
        "METRIC one of p_target, gpus_at_deadline_p50",
    );
    fails(
        "supply.trickle.rate_scale=1",
        "p_target>=0.5",
        "expected PATH=LO:HI",
    );
    fails(
        "supply.trickle.rate_scale=1:x",
        "p_target>=0.5",
        "`x` is not a number",
    );
    fails("supply.trickle.rate_scale=2:2", "p_target>=0.5", "is empty");
    fails(
        "supply.trickle.schedule.*.racks_per_week=10.5:40",
        "p_target>=0.5",
        "must be whole numbers",
    );
    fails(
        "supply.nope.rate_scale=1:3",
        "p_target>=0.5",
        "known ids are `trickle`",
    );
}
