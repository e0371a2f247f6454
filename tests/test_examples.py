"""Every gallery script in ``examples/`` runs to completion.

Each ``examples/plot_*.py`` runs in a fresh interpreter, as a user would run
it, with matplotlib's non-interactive Agg backend, so examples never rot. A
script passes when it exits with code 0 within the timeout; its output is
shown when it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
# Each example must run in under 60 s on 2 cores; the margin absorbs a loaded
# machine (interpreter start-up, worker processes) without hiding a hang.
TIMEOUT = 180

pytest.importorskip("matplotlib", reason="the examples draw figures")


def test_examples_are_found():
    # A moved directory must not make the parametrized test below vacuous.
    assert len(EXAMPLES) >= 6, EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path):
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,  # any file an example writes lands in a temp dir
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script.name} did not finish within {TIMEOUT} s:\n{exc.stdout}")
    assert result.returncode == 0, (
        f"{script.name} exited with code {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
