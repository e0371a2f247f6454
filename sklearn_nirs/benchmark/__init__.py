"""Measure parallel strategies for NIRS work on this machine.

The ``sklearn-nirs benchmark`` subcommand (also ``python -m sklearn_nirs
benchmark`` and ``python -m sklearn_nirs.benchmark``) runs two workloads,
``augment`` (many preprocessings of the same spectra, concatenated) and
``search`` (preprocessings x PLS ``n_components``, 5-fold cross-validation),
with every method: a sequential loop, ``concurrent.futures`` threads, joblib
threading and loky, ``multiprocessing.Pool``, scikit-learn's ``n_jobs``,
sklearn-nirs with ``backend="auto"``, ``"threading"`` and ``"loky"``, and Dask
when ``dask.distributed`` is installed. Each run is a fresh subprocess; the
table reports time, speed-up, peak memory, CPU utilization and whether the
output equals the sequential loop's. See ``docs/performance.md``.

Nothing in the package imports this subpackage; it sits on top, like the CLI.
Heavy modules load on first use so that the CLI's ``--help`` stays fast.
"""

from __future__ import annotations

import importlib

from sklearn_nirs.benchmark._methods import METHODS, WORKLOADS

_LAZY = {
    "COLUMNS": "sklearn_nirs.benchmark._run",
    "run_benchmark": "sklearn_nirs.benchmark._run",
    "WorkloadConfig": "sklearn_nirs.benchmark._workloads",
}

__all__ = ["COLUMNS", "METHODS", "WORKLOADS", "WorkloadConfig", "run_benchmark"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
