"""capsim from Python: load a scenario, run it, read the results as dicts and DataFrames.

    import capsim
    scenario = capsim.load("scenarios/aws-openai-2026.toml", set={"supply.gb300.rate_scale": 0.8})
    result = scenario.run(trials=2_000, progress=True)
    result.summary["p_target_by_deadline"]["estimate"]
    result.daily[["date", "available_gpus_p50"]]
    capsim.compare([scenario, "scenarios/aws-openai-2026.toml"], trials=2_000).table
    capsim.sweep(scenario, vary=["sites.*.power_scale=0.8:1.2:5"], trials=1_000)
    capsim.sensitivity(scenario, method="swing", trials=1_000).summary

The simulation is the capsim crate's, run natively with the GIL released: the same scenario,
seed and trial count give bit-identical numbers here and from `capsim run` (and `compare`,
`sweep`, `sensitivity`). python/README.md documents every function and property.
"""

from __future__ import annotations

import datetime as _datetime
import json
import math
import csv
import io
import numbers
import os
import pathlib
import re
import sys
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _capsim
from ._capsim import ScenarioError

__all__ = [
    "DEFAULT_COST_TRIALS",
    "DEFAULT_SEED",
    "DEFAULT_TRIALS",
    "Comparison",
    "Result",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "Sweep",
    "compare",
    "load",
    "sensitivity",
    "sweep",
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
    return Scenario(_capsim.load(os.fspath(path), _overrides(set)))


def _overrides(set: Optional[Mapping[str, Any]]) -> List[str]:
    """`set` as the CLI's `--set PATH=VALUE` arguments, in order."""
    return [f"{key}={_toml_value(key, value)}" for key, value in (set or {}).items()]


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
        _check_whole(trials=trials, seed=seed, threads=threads or 0, cost_trials=cost_trials)
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


def _check_whole(**values: Any) -> None:
    """Raises ValueError unless every value is a whole number of at least 0 (None passes)."""
    for name, value in values.items():
        if value is None:
            continue
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a whole number of at least 0 (found {value!r})")


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
        when pandas is not installed. Raises ValueError if the run had `keep_trials=False` (or
        is one of a comparison's)."""
        return _table(self._native.trials())

    def to_dir(
        self, path: Union[str, os.PathLike], charts: bool = True, trials_csv: bool = False
    ) -> pathlib.Path:
        """Writes the results folder `capsim run --out path` writes: summary.json, daily.csv,
        sites.csv, scenario.resolved.toml and, when `charts`, the six charts (PNG and SVG) in
        charts/, report.html and the report's typical miss and hit in examples/; with
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


#: Where `compare` accepts a scenario: a loaded one, or a file to load.
ScenarioLike = Union["Scenario", str, os.PathLike]


def _scenario(scenario: ScenarioLike) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def compare(
    scenarios: Union[Sequence[ScenarioLike], Mapping[str, ScenarioLike]],
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> "Comparison":
    """Compares scenarios with common random numbers, as `capsim compare`; the first is the
    baseline.

    scenarios: at least two, each a Scenario or a file to load: a list (labelled by their
        files' stems, a repeated stem getting -2, -3, ... as in the CLI) or a dict of label to
        scenario (labels are folder names in `to_dir`: plain and unique).
    trials, seed: default the first scenario's, else 10,000 and 42; every scenario runs the same.
    threads, progress: as in `Scenario.run` (`total` counts the trials of every scenario).

    Raises ValueError with the CLI's message when the comparison cannot run (fewer than two
    scenarios, a label that is not a plain, unique folder name).
    """
    if isinstance(scenarios, Mapping):
        labels: Optional[List[str]] = [str(label) for label in scenarios]
        loaded = [_scenario(s) for s in scenarios.values()]
    else:
        labels = None
        loaded = [_scenario(s) for s in scenarios]
    first = loaded[0]._native if loaded else None
    trials = _choose(trials, first.trials if first else None, DEFAULT_TRIALS)
    seed = _choose(seed, first.seed if first else None, DEFAULT_SEED)
    _check_whole(trials=trials, seed=seed, threads=threads)
    with _progress_callback(progress) as callback:
        native = _capsim.compare(
            [s._native for s in loaded], labels, int(trials), int(seed), int(threads or 0),
            callback,
        )
    return Comparison(native)


def sweep(
    scenario: ScenarioLike,
    vary: Union[str, Sequence[str]],
    set: Optional[Mapping[str, Any]] = None,
    threshold: Optional[float] = None,
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> "Sweep":
    """Runs a scenario over a grid of one or two parameters, as `capsim sweep`.

    scenario: a Scenario (its file is reloaded at every grid point with its overrides) or a file.
    vary: one or two `PATH=VALUES` (a str, or a list), as the CLI's `--vary`: a list of values
        (`"sites.*.power_scale=0.8,1,1.2"`) or a range `start:stop:count`
        (`"supply.main.rate_scale=0.6:1.4:9"`).
    set: overrides applied at every grid point (after the scenario's own), as in `load`.
    threshold: the probability whose contour the two-parameter heatmap draws (default 0.8).
    trials, seed: default the scenario's, else 10,000 and 42; every grid point runs the same.
    threads, progress: as in `Scenario.run` (`total` counts the trials of every grid point).

    Raises ValueError with the CLI's message for a bad `vary` or `threshold`, ScenarioError for
    a grid point that does not check.
    """
    scenario = _scenario(scenario)
    vary = [vary] if isinstance(vary, str) else list(vary)
    _check_whole(trials=trials, seed=seed, threads=threads)
    with _progress_callback(progress) as callback:
        native = scenario._native.sweep(
            vary, _overrides(set), None if threshold is None else float(threshold),
            None if trials is None else int(trials), None if seed is None else int(seed),
            int(threads or 0), callback,
        )
    return Sweep(native)


def sensitivity(
    scenario: ScenarioLike,
    method: str = "spearman",
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> "Sensitivity":
    """Ranks a scenario's uncertain inputs, as `capsim sensitivity`.

    method: "spearman" (rank correlations, one run), "swing" (each input at its P10 and P90, two
        runs per input) or "sobol" (Sobol indices, input groups + 2 runs).
    trials, seed: default the scenario's, else 10,000 and 42 (at least 2 trials).
    threads, progress: as in `Scenario.run` (`total` counts the trials of every run).
    """
    scenario = _scenario(scenario)
    trials = _choose(trials, scenario._native.trials, DEFAULT_TRIALS)
    seed = _choose(seed, scenario._native.seed, DEFAULT_SEED)
    _check_whole(trials=trials, seed=seed, threads=threads)
    with _progress_callback(progress) as callback:
        native = scenario._native.sensitivity(
            str(method), int(trials), int(seed), int(threads or 0), callback
        )
    return Sensitivity(native)


#: Columns of the analyses' CSV files that hold text, true/false, or dates; the rest are numbers.
_TEXT_COLUMNS = frozenset({"label", "file", "scenario", "input"})
_BOOL_COLUMNS = frozenset({"is_baseline"})
_DATE_COLUMN = re.compile(r"(median_)?full_capacity_(date_at_)?p\d+")


def _csv_table(text: str):
    """A CSV file of capsim's as a table (see `_table`): text columns as strings, `is_baseline`
    as bools, dates as `datetime64[D]` (NaT when empty), the rest as floats (NaN when empty)."""
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    columns = []
    for i, name in enumerate(header):
        cells = [row[i] for row in body]
        if name in _TEXT_COLUMNS:
            array = np.array(cells, dtype=object)
        elif name in _BOOL_COLUMNS:
            array = np.array([c == "true" for c in cells], dtype=bool)
        elif _DATE_COLUMN.fullmatch(name):
            array = np.array([c or "NaT" for c in cells], dtype="datetime64[D]")
        else:
            array = np.array([float(c) if c else math.nan for c in cells], dtype=np.float64)
        columns.append((name, array))
    return _table(columns)


class _Analysis:
    """What the results of an analysis share: summary, table, to_dir and the CLI's table."""

    __slots__ = ("_native",)

    def __init__(self, native: Any):
        self._native = native

    @property
    def summary(self) -> Dict[str, Any]:
        """The analysis's JSON file as a dict (a new one each time): the same keys and values
        the CLI writes."""
        return json.loads(self._native.summary_json())

    @property
    def table(self):
        """The analysis's CSV file: a pandas DataFrame, or a dict of NumPy arrays when pandas is
        not installed, with the file's columns and values (dates as `datetime64`)."""
        return _csv_table(self._native.csv())

    def to_dir(self, path: Union[str, os.PathLike], charts: bool = True) -> pathlib.Path:
        """Writes the results folder the CLI's `--out path` writes, byte for byte (its chart
        when `charts`). Built aside and replaced whole, as `Result.to_dir`. Returns the path."""
        note = self._native.to_dir(os.fspath(path), bool(charts))
        if note:
            warnings.warn(note, stacklevel=2)
        return pathlib.Path(path)

    def __repr__(self) -> str:
        """The table the CLI prints."""
        return self._native.table()


class Comparison(_Analysis):
    """A finished comparison (`capsim.compare`): `summary` is compare.json, `table`
    compare.csv, `runs` each scenario's Result; `str()` is the table `capsim compare` prints."""

    __slots__ = ()

    @property
    def runs(self) -> Dict[str, Result]:
        """Each scenario's own results by label, baseline first: a Result with `summary` and
        `daily` as a plain run of the same seed and trials gives them (no constraint costs, no
        trials)."""
        return {label: Result(native) for label, native in self._native.runs()}


class Sweep(_Analysis):
    """A finished sweep (`capsim.sweep`): `summary` is sweep.json, `table` sweep.csv (one row
    per grid point); `str()` is the table `capsim sweep` prints."""

    __slots__ = ()


class Sensitivity(_Analysis):
    """A finished sensitivity analysis (`capsim.sensitivity`): `summary` is sensitivity.json,
    `table` sensitivity.csv (one row per ranked input); `str()` is the table `capsim
    sensitivity` prints."""

    __slots__ = ()
