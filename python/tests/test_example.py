"""python/examples/charts.py draws its two charts from a run."""

import importlib.util

import pytest

from conftest import FIXTURES, REPO

pytest.importorskip("matplotlib")


def test_the_example_writes_two_pngs(tmp_path):
    spec = importlib.util.spec_from_file_location("charts", REPO / "python/examples/charts.py")
    charts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(charts)
    out = tmp_path / "charts"
    assert charts.main([str(out), "--scenario", str(FIXTURES / "valid/tiny.toml"),
                        "--trials", "200"]) == 0
    for name in ("fan.png", "full-capacity.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
