"""The code on the Getting started page runs, in order, as written.

A new user must be able to go from installation to a tuned model on their own
CSV of spectra by following ``docs/getting_started.md`` alone, so its Python
blocks are executed here, in one namespace, in a temporary directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: Path) -> list[str]:
    return FENCE.findall(page.read_text(encoding="utf-8"))


def test_getting_started_has_code():
    # Guards against a changed fence style silently emptying the test below.
    assert len(python_blocks(DOCS / "getting_started.md")) >= 8


def test_getting_started_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the page writes my_spectra.csv and a model
    namespace: dict = {"__name__": "__main__"}
    for number, block in enumerate(python_blocks(DOCS / "getting_started.md")):
        code = compile(block, f"getting_started.md[block {number}]", "exec")
        exec(code, namespace)  # the page's own code

    # The page loads the CSV it wrote back into the same numbers...
    assert namespace["X_own"].shape == (215, 100)
    assert namespace["wavelengths"][0] == pytest.approx(850.0)
    assert namespace["X_df"].shape == (215, 100)
    # ...and the tuned model is a real calibration, not a constant.
    assert -namespace["search"].best_score_ < 3.0
    assert (tmp_path / "fat_model.joblib").exists()


def test_readme_quick_start_runs(capsys):
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 2
    namespace: dict = {"__name__": "__main__"}
    for number, block in enumerate(blocks):
        exec(compile(block, f"README.md[block {number}]", "exec"), namespace)
    out = capsys.readouterr().out
    # The quick start reproduces the data README's reference figure (1.97).
    assert re.search(r"RMSECV: 1\.9\d % fat", out), out
    assert namespace["search"].best_candidate_ in {"snv_pls", "aug_pls"}
