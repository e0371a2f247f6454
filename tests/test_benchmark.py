"""Tests of the ``sklearn-nirs benchmark`` subcommand (no timing assertions)."""

from __future__ import annotations

import contextlib
import io
import json
import sys

import numpy as np
import pytest

from sklearn_nirs._cli import main
from sklearn_nirs.benchmark._main import parse_methods
from sklearn_nirs.benchmark._methods import METHODS, available_methods
from sklearn_nirs.benchmark._report import TABLE_HEADER, write_plot
from sklearn_nirs.benchmark._run import COLUMNS, rotation
from sklearn_nirs.benchmark._worker import compare


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``--quick`` run of every method, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("bench")
    json_path, png_path = tmp / "results.json", tmp / "results.png"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(
            ["benchmark", "--quick", "--json", str(json_path), "--plot", str(png_path)]
        )
    results = json.loads(json_path.read_text())
    return status, stdout.getvalue(), results, png_path


def test_quick_json_has_every_method_and_column(quick_run):
    status, _, results, _ = quick_run
    assert status == 0
    expected = list(available_methods())
    assert "dask" in expected  # the test environment has the dask extra
    assert set(results["workloads"]) == {"augment", "search"}
    for workload, block in results["workloads"].items():
        rows = block["methods"]
        assert [r["method"] for r in rows] == expected
        for row in rows:
            assert set(COLUMNS) <= set(row), (workload, row["method"])
            assert row["error"] is None, row["error"]
            assert len(row["times"]) == results["settings"]["repeats"]
            assert row["time_min"] <= row["time_median"] <= row["time_max"]
            assert row["speedup"] > 0
            assert row["peak_rss_mb"] > 0
            assert row["memory_vs_sequential"] > 0
            assert row["cpu_utilization"] >= 0
            assert row["equal"] is True, (workload, row["method"], row["max_rel_diff"])
    machine = results["machine"]
    assert machine["cores"] >= 1
    assert {"python", "numpy", "scikit-learn", "joblib"} <= set(machine["versions"])
    assert any(b["internal_api"] for b in machine["blas"])


def test_quick_figures_are_measured_not_invented(quick_run):
    _, _, results, _ = quick_run
    for block in results["workloads"].values():
        rows = {r["method"]: r for r in block["methods"]}
        assert rows["sequential"]["speedup"] == 1.0
        assert rows["sequential"]["memory_vs_sequential"] == 1.0
        # loky's worker processes are children of the worker: their memory is
        # counted, so the tree holds clearly more than one Python process.
        assert rows["joblib_loky"]["memory_vs_sequential"] > 1.3
        # Our estimators report the backend they used.
        assert rows["ours_threading"]["backend"] == "threading"
        assert rows["ours_loky"]["backend"] == "loky"
        assert rows["ours_auto"]["backend"] in {"sequential", "threading", "loky"}
    augment = results["workloads"]["augment"]
    settings = results["settings"]
    assert augment["output_shape"][0] == settings["samples"]
    search = results["workloads"]["search"]["output_shape"]
    assert search == [settings["augmenters"], settings["components"], 5]


def _parse_tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_markdown_table_parses(quick_run):
    _, stdout, results, _ = quick_run
    tables = _parse_tables(stdout)
    assert len(tables) == 2
    for table, block in zip(tables, results["workloads"].values(), strict=True):
        header, separator, *rows = table
        assert tuple(header) == TABLE_HEADER
        assert all(set(cell) == {"-"} for cell in separator)
        assert len(rows) == len(block["methods"])
        for cells, row in zip(rows, block["methods"], strict=True):
            assert len(cells) == len(TABLE_HEADER)
            assert cells[0].startswith(row["label"])
            assert float(cells[1].split()[0]) == pytest.approx(
                row["time_median"], abs=6e-4
            )
            assert cells[-1] == "yes"


def test_plot_writes_a_png(quick_run):
    *_, png_path = quick_run
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_names_the_extra(quick_run, monkeypatch, tmp_path):
    _, _, results, _ = quick_run
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now fails
    with pytest.raises(ImportError, match=r"sklearn-nirs\[plot\]"):
        write_plot(results, str(tmp_path / "x.png"))


def test_unknown_method_is_a_clear_error(capsys):
    status = main(["benchmark", "--methods", "sequential,nope"])
    assert status == 2
    err = capsys.readouterr().err
    assert "'nope'" in err
    assert all(m in err for m in METHODS)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "tecator", "--samples", "50"], "synthetic only"),
        (["--augmenters", "13"], "at most 12"),
        (["--methods", ","], "empty"),
    ],
)
def test_bad_options_are_clear_errors(argv, message, capsys):
    assert main(["benchmark", *argv]) == 2
    assert message in capsys.readouterr().err


def test_parse_methods_keeps_sequential_first():
    assert parse_methods("joblib_loky,threadpool") == [
        "sequential",
        "threadpool",
        "joblib_loky",
    ]
    assert parse_methods(None) == list(available_methods())


def test_rotation_is_round_robin():
    methods = ["a", "b", "c"]
    orders = [rotation(methods, r) for r in range(3)]
    assert orders[0] == methods
    # Over as many repeats as methods, each method runs once in each position.
    for position in range(3):
        assert sorted(o[position] for o in orders) == methods


def test_compare_flags_differences():
    ref = np.array([[1.0, -2.0], [0.0, 4.0]])
    assert compare(ref.copy(), ref, 1e-10) == (True, 0.0)
    ok, diff = compare(ref + 1e-13, ref, 1e-10)
    assert ok
    assert diff == pytest.approx(1e-13 / 4.0)
    bad = ref.copy()
    bad[1, 1] += 1e-6
    ok, diff = compare(bad, ref, 1e-10)
    assert not ok
    assert diff == pytest.approx(1e-6 / 4.0)
    assert compare(ref[:1], ref, 1e-10) == (False, float("inf"))
    nan = ref.copy()
    nan[0, 0] = np.nan
    assert compare(nan, ref, 1e-10)[0] is False
