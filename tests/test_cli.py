"""Tests of the ``sklearn-nirs`` command line."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

import sklearn_nirs
from sklearn_nirs._cli import build_parser, main
from sklearn_nirs._demo import format_table, run_demo


def test_demo_quick_prints_the_table_and_rmsep(capsys):
    assert main(["demo", "--quick"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("preprocessing"))
    assert header.split() == [
        "preprocessing",
        "n_components",
        "RMSECV",
        "R2(CV)",
        "time",
        "(s)",
    ]
    assert "raw" in out
    assert "SNV + SG 1st deriv." in out
    match = re.search(r"RMSEP (\d+\.\d+), R2 (-?\d+\.\d+)", out)
    assert match, out
    # A working fat calibration on Tecator errs by a few percent fat at most.
    rmsep, r2 = map(float, match.groups())
    assert 0.5 < rmsep < 4.0
    assert r2 > 0.9


def test_demo_shows_parallel_augmentation_and_search_agreeing_with_baselines():
    out = io.StringIO()
    run_demo(quick=True, out=out)
    text = out.getvalue()
    # Each parallel section names its backend and checks itself against the
    # sequential baseline (loop + hstack, GridSearchCV over the same grid).
    assert text.count("backend chosen:") == 2
    assert "ParallelFeatureAugmentation of 5 preprocessings" in text
    assert "same output: True" in text
    assert "same scores: True" in text
    assert re.search(r"vs GridSearchCV\(n_jobs=-?\d+\) over the same grid", text)
    match = re.search(r"Search's best \((\w+), refitted\): test RMSEP (\d+\.\d+)", text)
    assert match, text
    assert 0.5 < float(match.group(2)) < 4.0


def test_demo_table_rows_are_aligned():
    out = io.StringIO()
    run_demo(quick=True, target="protein", out=out)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("preprocessing"))
    rule = lines[start + 1]
    rows = lines[start + 2 : start + 4]
    assert set(rule) <= {"-", " "}
    # Right-aligned numeric columns end where their rule ends.
    assert all(len(row) == len(rule) for row in rows)
    assert "Tecator protein" in out.getvalue()


def test_format_table():
    table = format_table(("name", "value"), [("a", "1.5"), ("bbbb", "10.25")], "<>")
    assert table.splitlines() == [
        "name  value",
        "----  -----",
        "a       1.5",
        "bbbb  10.25",
    ]


def test_demo_options_are_parsed():
    args = build_parser().parse_args(["demo", "--target", "moisture", "--n-jobs", "-1"])
    assert (args.target, args.n_jobs, args.quick) == ("moisture", -1, False)


@pytest.mark.parametrize(
    "argv", [["demo", "--target", "oil"], ["demo", "--n-jobs", "0"], ["nope"]]
)
def test_bad_arguments_exit_with_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 1
    assert "demo" in capsys.readouterr().out


def test_version_via_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_nirs", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == f"sklearn-nirs {sklearn_nirs.__version__}"
