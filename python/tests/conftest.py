"""Shared fixtures: the repository, the capsim binary of the same checkout, and CLI runs.

The binary is $CAPSIM_BIN, else target/release/capsim, else target/debug/capsim (the one
`cargo test` builds); the results are bit-identical whichever profile built it.
"""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def capsim_binary() -> pathlib.Path:
    if os.environ.get("CAPSIM_BIN"):
        return pathlib.Path(os.environ["CAPSIM_BIN"])
    for profile in ("release", "debug"):
        path = REPO / "target" / profile / "capsim"
        if path.exists():
            return path
    pytest.fail("no capsim binary: run `cargo build --release` (or set CAPSIM_BIN)")


@pytest.fixture
def cli(tmp_path):
    """Runs `capsim run SCENARIO --out DIR -q --no-charts ARGS...`; returns DIR."""
    binary = capsim_binary()
    runs = iter(range(1_000))

    def run(scenario, *args):
        out = tmp_path / f"cli-{next(runs)}"
        subprocess.run(
            [binary, "run", str(scenario), "--out", str(out), "-q", "--no-charts", *args],
            check=True,
        )
        return out

    return run


@pytest.fixture
def cli_error():
    """Runs `capsim run SCENARIO ARGS...` expecting exit code 2; returns its stderr."""
    binary = capsim_binary()

    def run(scenario, *args):
        done = subprocess.run(
            [binary, "run", str(scenario), "-q", "--no-charts", "--out", os.devnull, *args],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, done.stderr
        return done.stderr

    return run


@pytest.fixture
def cli_command(tmp_path):
    """Runs `capsim COMMAND ARGS... --out DIR --no-charts` (the scenarios among ARGS); returns
    DIR and what it printed on stdout (the table and the "Wrote" line)."""
    binary = capsim_binary()
    runs = iter(range(1_000))

    def run(command, *args):
        out = tmp_path / f"cli-{command}-{next(runs)}"
        done = subprocess.run(
            [binary, command, *map(str, args), "--out", str(out), "--no-charts"],
            check=True, capture_output=True, text=True,
        )
        return out, done.stdout

    return run


@pytest.fixture
def cli_command_error():
    """Runs `capsim COMMAND ARGS...` expecting exit code 2; returns its stderr."""
    binary = capsim_binary()

    def run(command, *args):
        done = subprocess.run(
            [binary, command, *map(str, args), "-q", "--no-charts", "--out", os.devnull],
            capture_output=True, text=True,
        )
        assert done.returncode == 2, done.stderr
        return done.stderr

    return run
