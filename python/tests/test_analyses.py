"""capsim.compare, capsim.sweep and capsim.sensitivity give what `capsim compare`, `sweep` and
`sensitivity` write and print, for the same scenarios, seed and trials."""

import _thread
import json
import signal
import sys
import threading

import numpy as np
import pytest

import capsim
from conftest import FIXTURES
from helpers import as_csv_rows, assert_table_is_the_csv, columns, files_under, read_csv

TINY = FIXTURES / "valid" / "tiny.toml"


@pytest.fixture
def slow(tmp_path):
    """tiny.toml with three quarters of its supply, as slow.toml."""
    path = tmp_path / "slow.toml"
    path.write_text(TINY.read_text().replace("racks_per_week = 20", "racks_per_week = 15"))
    return path


def table_printed(stdout):
    """The table the CLI printed, without its "Wrote ..." line."""
    table, wrote = stdout.rsplit("\nWrote ", 1)
    return table


def test_compare_writes_and_prints_what_the_cli_does(cli_command, slow, tmp_path):
    out, stdout = cli_command("compare", TINY, slow, TINY, "--trials", "120", "--seed", "5")
    comparison = capsim.compare([str(TINY), capsim.load(slow), TINY], trials=120, seed=5)

    folder = comparison.to_dir(tmp_path / "py", charts=False)
    assert folder == tmp_path / "py"
    assert files_under(folder) == files_under(out)
    with open(out / "compare.json") as f:
        assert comparison.summary == json.load(f)
    assert_table_is_the_csv(comparison.table, out / "compare.csv")
    assert str(comparison) == repr(comparison) == table_printed(stdout)

    assert list(comparison.runs) == ["tiny", "slow", "tiny-2"]
    for label, run in comparison.runs.items():
        with open(out / label / "summary.json") as f:
            assert run.summary == json.load(f)
        assert as_csv_rows(run.daily) == read_csv(out / label / "daily.csv")
    with pytest.raises(ValueError, match="the runs of a comparison keep no trials"):
        comparison.runs["slow"].trials


def test_compare_takes_labels_and_the_first_scenario_s_trials_and_seed(slow):
    comparison = capsim.compare({"base": TINY, "slower": slow})
    summary = comparison.summary
    assert (summary["seed"], summary["trials"]) == (11, 300)  # tiny.toml's
    assert [s["label"] for s in summary["scenarios"]] == ["base", "slower"]
    assert [s["file"] for s in summary["scenarios"]] == [str(TINY), str(slow)]
    p = summary["comparisons"][0]["p_target_by_deadline"]["estimate"]
    assert p < 0  # less supply: the target is met in fewer trials

    table = columns(comparison.table)
    assert list(table["label"]) == ["base", "slower"]
    assert list(table["is_baseline"]) == [True, False]
    assert str(table["full_capacity_p50"].dtype).startswith("datetime64")
    assert table["p_target"].dtype == np.float64
    assert np.isnan(table["p_target_diff"][0]) and table["p_target_diff"][1] == p


def test_compare_errors_carry_the_library_s_messages(slow):
    with pytest.raises(ValueError, match="^compare needs at least two scenarios$"):
        capsim.compare([TINY])
    with pytest.raises(ValueError, match="^compare needs at least two scenarios$"):
        capsim.compare([])
    with pytest.raises(ValueError, match='the comparison label "a/b" is not a plain, unique'):
        capsim.compare({"a/b": TINY, "c": slow}, trials=10)
    with pytest.raises(capsim.ScenarioError, match="no-such-file"):
        capsim.compare([TINY, FIXTURES / "no-such-file.toml"])
    with pytest.raises(ValueError, match=r"trials must be between 1 and 1000000000 \(found 0\)"):
        capsim.compare([TINY, slow], trials=0)


def test_sweep_writes_and_prints_what_the_cli_does(cli_command, tmp_path):
    vary = ["supply.main.rate_scale=0.6,1.0", "sites.beta.max_racks=100:200:3"]
    out, stdout = cli_command(
        "sweep", TINY, "--vary", vary[0], "--vary", vary[1], "--set", "bring_up.rework_days=6",
        "--threshold", "0.1", "--trials", "80", "--seed", "4",
    )
    scenario = capsim.load(TINY, set={"bring_up.rework_days": 6})
    swept = capsim.sweep(scenario, vary=vary, threshold=0.1, trials=80, seed=4)

    assert files_under(swept.to_dir(tmp_path / "py", charts=False)) == files_under(out)
    with open(out / "sweep.json") as f:
        assert swept.summary == json.load(f)
    assert_table_is_the_csv(swept.table, out / "sweep.csv")
    assert str(swept) == table_printed(stdout)
    assert len(swept.summary["points"]) == 6


def test_sweep_takes_a_path_and_overrides_and_the_scenario_s_trials(cli_command, tmp_path):
    out, _ = cli_command("sweep", TINY, "--vary", "bring_up.rework_days=2,8",
                         "--set", "supply.main.rate_scale=0.9")
    swept = capsim.sweep(TINY, vary="bring_up.rework_days=2,8",
                         set={"supply.main.rate_scale": 0.9})
    assert (swept.summary["seed"], swept.summary["trials"]) == (11, 300)  # tiny.toml's
    assert files_under(swept.to_dir(tmp_path / "py", charts=False)) == files_under(out)
    table = columns(swept.table)
    assert list(table["bring_up.rework_days"]) == [2.0, 8.0]


@pytest.mark.parametrize(
    "vary",
    [
        ["supply.main.rate_scale=1:2:1"],
        ["supply.main.rate_scale"],
        ["supply.main.rate_scale=0.5,fast"],
        ["bring_up.rework_days=1,2", "bring_up.rework_days=3,4"],
        ["supply.nope.rate_scale=0.5,1"],
    ],
)
def test_sweep_errors_carry_the_cli_s_messages(cli_command_error, vary):
    with pytest.raises(ValueError) as raised:
        capsim.sweep(TINY, vary=vary, trials=10)
    args = [arg for v in vary for arg in ("--vary", v)]
    assert cli_command_error("sweep", TINY, *args, "--trials", "10") == f"error: {raised.value}\n"


def test_a_sweep_threshold_outside_0_1_is_refused(cli_command_error):
    with pytest.raises(ValueError) as raised:
        capsim.sweep(TINY, vary="bring_up.rework_days=2,8", threshold=1.5)
    stderr = cli_command_error("sweep", TINY, "--vary", "bring_up.rework_days=2,8",
                               "--threshold", "1.5")
    assert stderr == f"error: {raised.value}\n"


@pytest.mark.parametrize("method", ["spearman", "swing", "sobol"])
def test_sensitivity_writes_and_prints_what_the_cli_does(cli_command, tmp_path, method):
    out, stdout = cli_command("sensitivity", TINY, "--method", method, "--trials", "64",
                              "--seed", "8")
    ranked = capsim.sensitivity(TINY, method=method, trials=64, seed=8)

    assert files_under(ranked.to_dir(tmp_path / "py", charts=False)) == files_under(out)
    with open(out / "sensitivity.json") as f:
        assert ranked.summary == json.load(f)
    assert ranked.summary["method"] == method
    assert_table_is_the_csv(ranked.table, out / "sensitivity.csv")
    assert str(ranked) == table_printed(stdout)


def test_sensitivity_defaults_to_spearman_with_the_scenario_s_trials():
    summary = capsim.sensitivity(capsim.load(TINY)).summary
    assert (summary["method"], summary["seed"], summary["trials"]) == ("spearman", 11, 300)


def test_sensitivity_errors_carry_the_cli_s_messages(cli_command_error):
    with pytest.raises(ValueError) as raised:
        capsim.sensitivity(TINY, method="nope")
    stderr = cli_command_error("sensitivity", TINY, "--method", "nope")
    assert str(raised.value) == (
        "invalid value 'nope' for method [possible values: spearman, swing, sobol]")
    assert "invalid value 'nope'" in stderr
    assert "[possible values: spearman, swing, sobol]" in stderr
    with pytest.raises(ValueError, match=r"trials must be between 2 and 1000000000 \(found 1\)"):
        capsim.sensitivity(TINY, trials=1)


def test_progress_reaches_the_total_of_every_analysis(slow):
    def track():
        calls = []
        return calls, lambda done, total: calls.append((done, total))

    calls, progress = track()
    capsim.compare([TINY, slow, TINY], trials=150, threads=1, progress=progress)
    assert calls[-1] == (450, 450)

    calls, progress = track()
    capsim.sweep(TINY, vary="supply.main.rate_scale=0.5:1:4", trials=50, progress=progress)
    assert calls[-1] == (200, 200)

    calls, progress = track()
    runs = capsim.sensitivity(TINY, method="swing", trials=40, progress=progress).summary["runs"]
    assert runs > 1 and calls[-1] == (40 * runs, 40 * runs)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and all(t == 40 * runs for _, t in calls)


def test_an_exception_in_the_progress_callback_stops_an_analysis():
    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        capsim.sweep(TINY, vary="supply.main.rate_scale=0.5:1:20", trials=200_000,
                     progress=fail)


def test_to_dir_draws_each_analysis_s_chart(tmp_path, slow):
    comparison = capsim.compare([TINY, slow], trials=40)
    folder = comparison.to_dir(tmp_path / "compare")
    assert sorted(p.name for p in (folder / "charts").iterdir()) == [
        "differences.png", "differences.svg", "overlay.png", "overlay.svg"]
    assert (folder / "report.html").is_file()
    swept = capsim.sweep(TINY, vary="supply.main.rate_scale=0.5,1", trials=40)
    charts = swept.to_dir(tmp_path / "sweep") / "charts"
    assert sorted(p.name for p in charts.iterdir()) == ["sweep.png", "sweep.svg"]
    ranked = capsim.sensitivity(TINY, trials=40)
    charts = ranked.to_dir(tmp_path / "sensitivity") / "charts"
    assert sorted(p.name for p in charts.iterdir()) == ["tornado.png", "tornado.svg"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="notes.txt"):
        ranked.to_dir(mine)


def test_without_pandas_tables_are_dicts_of_typed_arrays(monkeypatch, slow):
    comparison = capsim.compare([TINY, slow], trials=30)
    with_pandas = columns(comparison.table)
    monkeypatch.setitem(sys.modules, "pandas", None)
    table = comparison.table
    assert isinstance(table, dict) and list(table) == list(with_pandas)
    assert table["label"].dtype == object and table["is_baseline"].dtype == np.bool_
    assert table["full_capacity_p10"].dtype == np.dtype("datetime64[D]")
    assert np.array_equal(table["p_target"], with_pandas["p_target"])
    assert isinstance(capsim.sweep(TINY, vary="bring_up.rework_days=2,8", trials=20).table, dict)


def test_ctrl_c_interrupts_an_analysis(slow):
    # As test_api's Ctrl-C test: Python's own handler, and Ctrl-C while the native code runs.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    calls = []
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            capsim.compare([TINY, slow], trials=50_000_000,
                           progress=lambda done, total: calls.append(done))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert calls and calls[-1] < 100_000_000
