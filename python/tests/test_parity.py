"""The same scenario, seed and trials give the same numbers through Python and `capsim run`."""

import json

import pytest

import capsim
from conftest import FIXTURES, REPO
from helpers import as_csv_rows, columns, read_csv

TINY = FIXTURES / "valid" / "tiny.toml"
BASE = REPO / "scenarios" / "aws-openai-2026.toml"

# (scenario, overrides): a small fixture, and the shipped base case with an override, both with
# constraint costs on a part of the trials.
CASES = [
    pytest.param(TINY, {}, id="tiny"),
    pytest.param(BASE, {"supply.gb300.rate_scale": 0.8}, id="base-with-set"),
]


def cli_set_args(overrides):
    return [arg for path, value in overrides.items() for arg in ("--set", f"{path}={value}")]


@pytest.mark.parametrize("scenario,overrides", CASES)
def test_summary_daily_and_trials_equal_the_cli_files(cli, scenario, overrides):
    args = ["--trials", "240", "--seed", "7", "--cost-trials", "60", "--trials-csv"]
    out = cli(scenario, *args, *cli_set_args(overrides))
    result = capsim.load(scenario, set=overrides).run(trials=240, seed=7, cost_trials=60)

    with open(out / "summary.json") as f:
        assert result.summary == json.load(f)
    assert "constraint_costs" in result.summary

    header, rows = read_csv(out / "daily.csv")
    assert as_csv_rows(result.daily) == (header, rows)

    header, rows = read_csv(out / "trials.csv")
    assert len(rows) == 240
    assert as_csv_rows(result.trials) == (header, rows)


def test_the_scenario_s_own_trials_and_seed_are_the_defaults(cli):
    out = cli(TINY)  # the file says seed = 11, trials = 300
    result = capsim.load(TINY).run()
    assert (result.summary["seed"], result.summary["trials"]) == (11, 300)
    with open(out / "summary.json") as f:
        assert result.summary == json.load(f)


def test_without_trials_or_seed_in_the_file_a_run_takes_10000_trials_and_seed_42(tmp_path):
    scenario = tmp_path / "no-seed.toml"
    lines = TINY.read_text().splitlines(keepends=True)
    scenario.write_text("".join(l for l in lines if not l.startswith(("seed =", "trials ="))))
    summary = capsim.load(scenario).run(cost_trials=0, keep_trials=False).summary
    assert (summary["seed"], summary["trials"]) == (capsim.DEFAULT_SEED, capsim.DEFAULT_TRIALS)
    assert (summary["seed"], summary["trials"]) == (42, 10_000)
    assert "constraint_costs" not in summary


def test_one_thread_and_two_give_identical_results():
    scenario = capsim.load(TINY)
    one = scenario.run(trials=300, seed=3, threads=1, cost_trials=50)
    two = scenario.run(trials=300, seed=3, threads=2, cost_trials=50)
    assert one.summary == two.summary
    assert as_csv_rows(one.daily) == as_csv_rows(two.daily)
    assert as_csv_rows(one.trials) == as_csv_rows(two.trials)
    assert one.summary != scenario.run(trials=300, seed=4, cost_trials=50).summary


def test_daily_columns_are_daily_csv_s_with_the_date_as_dates():
    scenario = capsim.load(TINY)
    daily = columns(scenario.run(trials=50, cost_trials=0).daily)
    names = list(daily)
    assert names[0] == "date"
    assert str(daily["date"].dtype).startswith("datetime64")
    assert "available_gpus_p50" in names and "reached_target_share" in names
    assert names[-2:] == ["site_alpha_online_gpus_mean", "site_beta_online_gpus_mean"]
    days = (scenario.horizon - scenario.start).days + 1
    assert all(len(v) == days for v in daily.values())


def test_to_dir_writes_the_files_capsim_run_writes(cli, tmp_path):
    args = ["--trials", "200", "--seed", "5", "--cost-trials", "40", "--trials-csv"]
    out = cli(TINY, *args)
    result = capsim.load(TINY).run(trials=200, seed=5, cost_trials=40)
    folder = result.to_dir(tmp_path / "py", charts=False, trials_csv=True)
    assert folder == tmp_path / "py"
    names = ["summary.json", "daily.csv", "scenario.resolved.toml", "trials.csv"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in out.iterdir())
    for name in names:
        assert (folder / name).read_bytes() == (out / name).read_bytes(), name


def test_to_dir_draws_the_charts_and_replaces_only_its_own_folders(tmp_path):
    result = capsim.load(TINY).run(trials=50, cost_trials=0, keep_trials=False)
    folder = result.to_dir(tmp_path / "run")
    charts = sorted(p.name for p in (folder / "charts").iterdir())
    assert "fan.png" in charts and "fan.svg" in charts and len(charts) == 12
    result.to_dir(folder, charts=False)
    assert not (folder / "charts").exists()
    with pytest.raises(ValueError, match="keep_trials=True"):
        result.to_dir(folder, trials_csv=True)
    assert (folder / "summary.json").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="notes.txt"):
        result.to_dir(mine)
    assert (mine / "notes.txt").read_text() == "keep me"
