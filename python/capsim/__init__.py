"""capsim from Python: load a scenario, run it, read the results as dicts and DataFrames.

    import capsim
    scenario = capsim.load("scenarios/aws-openai-2026.toml", set={"supply.gb300.rate_scale": 0.8})
    result = scenario.run(trials=2_000, progress=True)
    result.summary["p_target_by_deadline"]["estimate"]
    result.daily[["date", "available_gpus_p50"]]

The simulation is the capsim crate's, run natively with the GIL released: the same scenario,
seed and trial count give bit-identical numbers here and from `capsim run`. python/README.md
documents every function and property.
"""

from __future__ import annotations

import datetime as _datetime
import json
import math
import numbers
import os
import pathlib
import sys
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _capsim
from ._capsim import ScenarioError

__all__ = [
    "DEFAULT_COST_TRIALS",
    "DEFAULT_SEED",
    "DEFAULT_TRIALS",
    "Result",
    "Scenario",
    "ScenarioError",
    "load",
]

#: Trials a run makes when neither `run(trials=)` nor the scenario gives a count (as the CLI).
DEFAULT_TRIALS: int = _capsim.DEFAULT_TRIALS
#: Seed of a run when neither `run(seed=)` nor the scenario gives one (as the CLI).
DEFAULT_SEED: int = _capsim.DEFAULT_SEED
#: Trials rerun per lifted constraint for `summary["constraint_costs"]` (as `--cost-trials`).
DEFAULT_COST_TRIALS: int = _capsim.DEFAULT_COST_TRIALS

#: What `progress=` accepts: a callable `(done, total)`, True for tqdm, or None/False for nothing.
Progress = Union[None, bool, Callable[[int, int], Any]]


def load(path: Union[str, os.PathLike], set: Optional[Mapping[str, Any]] = None) -> "Scenario":
    """Reads a scenario file, follows its `extends` chain and applies `set` overrides.

    `set` maps dotted paths to values, exactly as the CLI's `--set PATH=VALUE`: inside an array
    of tables a segment is the item's `id` (or a 0-based index). Numbers and bools are written as
    TOML; a string is read as TOML like the CLI's VALUE (so `'{ kind = "pert", ... }'` is a
    table and a bare word such as `"most_headroom"` a string).

    Raises ScenarioError (a ValueError) with the CLI's message: file:line:column, the field and
    what would be valid.
    """
    overrides = [f"{key}={_toml_value(key, value)}" for key, value in (set or {}).items()]
    return Scenario(_capsim.load(os.fspath(path), overrides))


def _toml_value(key: str, value: Any) -> str:
    """`value` as the VALUE of a `--set PATH=VALUE`."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        return value
    raise TypeError(
        f"set[{key!r}]: expected a number, a bool or a string (TOML text), "
        f"found {type(value).__name__}"
    )


def _date(iso: str) -> _datetime.date:
    return _datetime.date.fromisoformat(iso)


class Scenario:
    """A checked scenario, ready to run. Made by `capsim.load`."""

    __slots__ = ("_native",)

    def __init__(self, native: "_capsim.Scenario"):
        self._native = native

    @property
    def name(self) -> str:
        """The scenario's name (`[scenario] name`)."""
        return self._native.name

    @property
    def start(self) -> _datetime.date:
        """First simulated day."""
        return _date(self._native.start)

    @property
    def deadline(self) -> _datetime.date:
        """The date the target is scored against."""
        return _date(self._native.deadline)

    @property
    def horizon(self) -> _datetime.date:
        """Last simulated day."""
        return _date(self._native.horizon)

    @property
    def target_gpus(self) -> int:
        """GPUs that must be online by the deadline."""
        return self._native.target_gpus

    @property
    def sites(self) -> List[str]:
        """Site ids, in file order."""
        return self._native.sites

    @property
    def streams(self) -> List[str]:
        """Supply stream ids, in file order."""
        return self._native.streams

    def run(
        self,
        trials: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        progress: Progress = None,
        cost_trials: int = DEFAULT_COST_TRIALS,
        keep_trials: bool = True,
    ) -> "Result":
        """Simulates the scenario; returns its Result.

        trials: trial count (1 to 10^9); default the scenario's `trials`, else 10,000.
        seed: 0 to 2^63-1; default the scenario's `seed`, else 42.
        threads: worker threads (0 or None: one per core, at most 1,024); results never depend
            on it.
        progress: a callable `(done, total)` called as the run proceeds (`total` counts the
            constraint-cost reruns too), True for a tqdm bar (a plain line on stderr without
            tqdm), None or False for nothing.
        cost_trials: rerun the first `min(cost_trials, trials)` trials with each class of
            constraint lifted for `summary["constraint_costs"]` (0 skips it), as the CLI's
            `--cost-trials`.
        keep_trials: keep every trial's inputs and outcomes for `Result.trials` (memory grows
            with the trial count).

        The GIL is released while simulating; Ctrl-C raises KeyboardInterrupt and stops the run.
        """
        trials = _choose(trials, self._native.trials, DEFAULT_TRIALS)
        seed = _choose(seed, self._native.seed, DEFAULT_SEED)
        for name, value in (("trials", trials), ("seed", seed), ("threads", threads or 0),
                            ("cost_trials", cost_trials)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number of at least 0 (found {value!r})")
        with _progress_callback(progress) as callback:
            native = self._native.run(
                int(trials), int(seed), int(threads or 0), int(cost_trials), bool(keep_trials),
                callback,
            )
        return Result(native)

    def __repr__(self) -> str:
        return (
            f"<capsim.Scenario {self.name!r}: {self.target_gpus:,} GPUs by {self.deadline}, "
            f"{len(self.streams)} streams, {len(self.sites)} sites>"
        )


def _choose(given: Optional[int], scenario: Optional[int], default: int) -> int:
    if given is not None:
        return given
    return scenario if scenario is not None else default


class _progress_callback:
    """The callback `progress=` stands for, and the tqdm bar it may open and close."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._bar = None

    def __enter__(self) -> Optional[Callable[[int, int], Any]]:
        progress = self._progress
        if progress is None or progress is False:
            return None
        if callable(progress):
            return progress
        if progress is not True:
            raise TypeError("progress must be a callable (done, total), True or None")
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _plain_progress
        self._bar = tqdm(total=None, unit="trials", unit_scale=True)

        def update(done: int, total: int) -> None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)

        return update

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()


def _plain_progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\r{done:,}/{total:,} trials", end=end, file=sys.stderr, flush=True)


def _table(columns: List[Tuple[str, np.ndarray]]):
    """Named columns as a pandas DataFrame, or a dict of NumPy arrays without pandas."""
    try:
        import pandas
    except ImportError:
        return dict(columns)
    return pandas.DataFrame(dict(columns), copy=False)


class Result:
    """A finished run: its summary, daily statistics and trials, and `to_dir` for its files."""

    __slots__ = ("_native",)

    def __init__(self, native: "_capsim.RunResult"):
        self._native = native

    @property
    def summary(self) -> Dict[str, Any]:
        """`summary.json` as a dict (a new one each time): the same keys and values `capsim run`
        writes."""
        return json.loads(self._native.summary_json())

    @property
    def daily(self):
        """`daily.csv`: one row per day, its columns (`date` as dates, then each metric's mean
        and percentiles, `reached_target_share`, each site's mean online GPUs). A pandas
        DataFrame, or a dict of NumPy arrays when pandas is not installed."""
        names, dates, values = self._native.daily()
        columns = [(names[0], dates)]
        columns.extend((name, values[:, i]) for i, name in enumerate(names[1:]))
        return _table(columns)

    @property
    def trials(self):
        """`trials.csv`: one row per trial, its sampled inputs and outcomes (`full_capacity_date`
        is NaT when the target is never reached). A pandas DataFrame, or a dict of NumPy arrays
        when pandas is not installed. Raises ValueError if the run had `keep_trials=False`."""
        columns = self._native.trials()
        if columns is None:
            raise ValueError("this run did not keep its trials: run it with keep_trials=True")
        return _table(columns)

    def to_dir(
        self, path: Union[str, os.PathLike], charts: bool = True, trials_csv: bool = False
    ) -> pathlib.Path:
        """Writes the results folder `capsim run --out path` writes: summary.json, daily.csv,
        scenario.resolved.toml and, when `charts`, the six charts (PNG and SVG) in charts/; with
        `trials_csv`, trials.csv too (as `--trials-csv`; needs `keep_trials=True`).

        The folder is built aside and replaced whole, like the CLI's: a folder holding files
        capsim did not write raises ValueError; a failed write raises OSError and leaves the old
        folder as it was. Returns the folder's path.
        """
        note = self._native.to_dir(os.fspath(path), bool(charts), bool(trials_csv))
        if note:
            warnings.warn(note, stacklevel=2)
        return pathlib.Path(path)

    def __repr__(self) -> str:
        s = self.summary
        p = s["p_target_by_deadline"]["estimate"]
        return f"<capsim.Result {s['scenario']!r}: {s['trials']:,} trials, P(target) {p:.1%}>"
