"""capsim.load and Scenario.run: properties, overrides, errors, progress, interruption."""

import datetime
import signal
import sys
import threading
import _thread

import numpy as np
import pytest

import capsim
from conftest import FIXTURES
from helpers import columns

TINY = FIXTURES / "valid" / "tiny.toml"


def test_a_scenario_s_properties():
    s = capsim.load(TINY)
    assert s.name == "tiny"
    assert s.start == datetime.date(2026, 1, 5)
    assert s.deadline == datetime.date(2026, 3, 10)
    assert s.horizon == datetime.date(2026, 4, 30)
    assert s.target_gpus == 1500
    assert s.sites == ["alpha", "beta"]
    assert s.streams == ["main"]


@pytest.mark.parametrize(
    "fixture",
    ["negative_mw", "syntax_error", "unknown_field_did_you_mean", "extends_missing_file",
     "several_problems_reported_together"],
)
def test_errors_raise_scenario_error_with_the_cli_s_message(cli_error, fixture):
    path = FIXTURES / "invalid" / f"{fixture}.toml"
    with pytest.raises(capsim.ScenarioError) as raised:
        capsim.load(path)
    assert isinstance(raised.value, ValueError)
    assert cli_error(path) == f"error: {raised.value}\n"
    assert f"{path}:" in str(raised.value)


def test_overrides_change_the_run_as_the_cli_s_set_does():
    base = capsim.load(TINY)
    slower = capsim.load(TINY, set={"supply.main.rate_scale": 0.5, "sites.beta.max_racks": 100,
                                    "bring_up.rework_days": 6})
    assert base.target_gpus == slower.target_gpus
    p = lambda s: s.run(trials=200, cost_trials=0).summary["p_target_by_deadline"]["estimate"]
    assert p(slower) < p(base)
    table = capsim.load(TINY, set={
        "sites.alpha.phases.0.delay_days": '{ kind = "uniform", min = 0, max = 5 }'})
    assert table.run(trials=50, cost_trials=0).summary["trials"] == 50
    typed = capsim.load(TINY, set={"scenario.target_gpus": np.int64(1000), "scenario.seed": 5,
                                   "supply.main.accelerator": "test-rack"})
    assert typed.target_gpus == 1000
    assert typed.run(trials=10, cost_trials=0).summary["seed"] == 5


def test_bad_overrides_raise(cli_error):
    with pytest.raises(capsim.ScenarioError) as raised:
        capsim.load(TINY, set={"supply.nope.rate_scale": 0.5})
    assert cli_error(TINY, "--set", "supply.nope.rate_scale=0.5") == f"error: {raised.value}\n"
    assert str(raised.value).startswith("--set supply.nope.rate_scale=0.5: ")
    with pytest.raises(capsim.ScenarioError, match=r"rate_scale"):
        capsim.load(TINY, set={"supply.main.rate_scale": -1.0})
    with pytest.raises(capsim.ScenarioError, match=r"rate_scale"):
        capsim.load(TINY, set={"supply.main.rate_scale": True})
    with pytest.raises(TypeError, match=r"set\['supply.main.rate_scale'\]"):
        capsim.load(TINY, set={"supply.main.rate_scale": [1, 2]})


def test_bad_run_arguments_raise_value_error():
    s = capsim.load(TINY)
    with pytest.raises(ValueError, match=r"trials must be between 1 and 1000000000 \(found 0\)"):
        s.run(trials=0)
    with pytest.raises(ValueError, match=r"threads must be between 0 \(all cores\) and 1024"):
        s.run(trials=10, threads=5000)
    with pytest.raises(ValueError, match=r"seed must be a whole number"):
        s.run(trials=10, seed=-1)
    with pytest.raises(ValueError, match=r"seed must be between 0 and 9223372036854775807"):
        s.run(trials=10, seed=2**63)


def test_progress_is_reported_up_to_the_total_with_constraint_costs():
    calls = []
    capsim.load(TINY).run(trials=600, cost_trials=100, threads=1,
                          progress=lambda done, total: calls.append((done, total)))
    total = 600 + 100 * 6  # the run, then the baseline and five lifted reruns of 100 trials
    assert calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)


def test_progress_true_works_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    capsim.load(TINY).run(trials=100, cost_trials=0, progress=True)
    assert capsys.readouterr().err.endswith("100/100 trials\n")


def test_an_exception_in_the_progress_callback_stops_the_run():
    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        capsim.load(TINY).run(trials=100_000, cost_trials=0, progress=fail)


def test_ctrl_c_interrupts_a_run():
    # Python's own Ctrl-C handler, even where SIGINT came ignored (a background job).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    calls = []

    def progress(done, total):
        calls.append(done)
        if done > 10_000_000:
            raise AssertionError("Ctrl-C did not stop the run")

    # Simulates Ctrl-C arriving while the native run holds the main thread.
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            capsim.load(TINY).run(trials=50_000_000, cost_trials=0, keep_trials=False,
                                  progress=progress)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert calls and calls[-1] < 50_000_000


def test_trials_need_keep_trials():
    result = capsim.load(TINY).run(trials=20, cost_trials=0, keep_trials=False)
    with pytest.raises(ValueError, match="keep_trials=True"):
        result.trials


def test_trials_have_typed_columns():
    trials = columns(capsim.load(TINY).run(trials=40, seed=9, cost_trials=0).trials)
    assert list(trials["trial"]) == list(range(40))
    assert trials["met_target_by_deadline"].dtype == np.bool_
    assert str(trials["full_capacity_date"].dtype).startswith("datetime64")
    assert trials["online_gpus_at_deadline"].dtype == np.uint64
    assert trials["slip_days.main"].dtype == np.float64


def test_without_pandas_tables_are_dicts_of_numpy_arrays(monkeypatch):
    result = capsim.load(TINY).run(trials=30, cost_trials=0)
    with_pandas = columns(result.daily)
    monkeypatch.setitem(sys.modules, "pandas", None)
    daily = result.daily
    assert isinstance(daily, dict) and list(daily) == list(with_pandas)
    assert all(isinstance(v, np.ndarray) for v in daily.values())
    assert np.array_equal(daily["available_gpus_mean"], with_pandas["available_gpus_mean"])
    assert isinstance(result.trials, dict)
