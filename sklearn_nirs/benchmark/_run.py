"""Orchestrate a benchmark: every method, every repeat, round robin.

Each run of a method is a fresh subprocess (see :mod:`._measure`). Within a
repeat the methods run one after another; the order rotates by one place per
repeat, so slow drift of a shared machine (another job starting, thermal
throttling) does not systematically favour whichever method runs first. Repeat
0 starts with the sequential loop, whose output is the reference every other
method's output is compared with.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from typing import TextIO

from sklearn_nirs.benchmark._measure import WorkerError, run_worker
from sklearn_nirs.benchmark._methods import method_label
from sklearn_nirs.benchmark._workloads import WorkloadConfig, cpu_count

RTOL = 1e-10

# The per-method columns every result carries (the JSON's contract).
COLUMNS = (
    "method",
    "label",
    "times",
    "time_median",
    "time_min",
    "time_max",
    "speedup",
    "peak_rss_mb",
    "memory_vs_sequential",
    "cpu_utilization",
    "blas_threads",
    "equal",
    "max_rel_diff",
    "backend",
    "backend_reason",
    "worker_blas_threads",
    "setup_seconds",
    "error",
)


def rotation(methods: list[str], repeat: int) -> list[str]:
    """The order of ``methods`` in repeat ``repeat`` (round robin)."""
    shift = repeat % len(methods)
    return methods[shift:] + methods[:shift]


def machine_info() -> dict:
    """Cores, memory, versions and BLAS set-up of this machine."""
    import joblib
    import numpy
    import psutil
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import sklearn_nirs

    model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "sklearn-nirs": sklearn_nirs.__version__,
    }
    try:
        import distributed

        versions["distributed"] = distributed.__version__
    except ImportError:
        pass
    return {
        "cores": cpu_count(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "versions": versions,
        "blas": [
            {
                k: info.get(k)
                for k in (
                    "internal_api",
                    "version",
                    "num_threads",
                    "threading_layer",
                    "architecture",
                    "filepath",
                )
            }
            for info in threadpool_info()
        ],
    }


def _summarise(method, workload, runs, reference=None) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(method=method, label=method_label(method, workload), times=[])
    errors = [r["error"] for r in runs if "error" in r]
    good = [r for r in runs if "error" not in r]
    if errors:
        row["error"] = errors[0]
    if not good:
        return row
    times = [r["wall_seconds"] for r in good]
    peaks = [r["peak_rss"] for r in good]
    cpu = [r["cpu_seconds"] / (r["wall_seconds"] * r["cores"]) for r in good]
    equal = [r["equal"] for r in good if r["equal"] is not None]
    diffs = [r["max_rel_diff"] for r in good if r["max_rel_diff"] is not None]
    row.update(
        times=times,
        time_median=statistics.median(times),
        time_min=min(times),
        time_max=max(times),
        peak_rss_mb=statistics.median(peaks) / 2**20,
        cpu_utilization=statistics.median(cpu),
        blas_threads=good[0]["blas_threads"],
        equal=all(equal) if equal else None,
        max_rel_diff=max(diffs) if diffs else None,
        backend=good[0].get("backend_") or good[0].get("start_method"),
        backend_reason=good[0].get("backend_reason"),
        worker_blas_threads=good[0].get("worker_blas_threads"),
        setup_seconds=statistics.median(r["setup_seconds"] for r in good),
    )
    if reference is not None and reference["time_median"]:
        row["speedup"] = reference["time_median"] / row["time_median"]
        row["memory_vs_sequential"] = row["peak_rss_mb"] / reference["peak_rss_mb"]
    return row


def _progress_message(result: dict) -> str:
    if "error" in result:
        return "FAILED: " + result["error"].splitlines()[0]
    util = result["cpu_seconds"] / (result["wall_seconds"] * result["cores"])
    message = (
        f"{result['wall_seconds']:.3f} s, peak {result['peak_rss'] / 2**20:.0f} MB, "
        f"CPU {util:.0%}"
    )
    if result["equal"] is False:
        message += ", OUTPUT DIFFERS from sequential"
    return message


def run_benchmark(
    workloads: list[str],
    methods: list[str],
    base: WorkloadConfig,
    *,
    repeats: int = 3,
    progress: TextIO | None = sys.stderr,
    timeout: float | None = None,
    warmup: bool = False,
    shared_worker: bool = False,
) -> dict:
    """Run every method of every workload ``repeats`` times; return the results.

    ``base`` carries the data and sizes; its ``workload`` field is replaced by
    each entry of ``workloads``. ``methods`` must start with ``"sequential"``.
    With ``warmup``, each worker makes one untimed call before the timed one,
    so persistent pools (loky, Dask) are already started and warm. With
    ``shared_worker`` (the ``--quick`` smoke test), one worker process runs all
    workloads of a method in turn, which halves the process start-ups but lets
    the later workloads find warm pools: for checking a set-up, not for figures.
    """
    if not methods or methods[0] != "sequential":
        raise ValueError("methods must start with 'sequential' (the reference).")
    cores = cpu_count()
    out = {
        "machine": machine_info(),
        "settings": {
            **dataclasses.asdict(base),
            "workloads": list(workloads),
            "methods": list(methods),
            "repeats": repeats,
            "warmup": warmup,
            "shared_worker": shared_worker,
            "rtol": RTOL,
        },
        "workloads": {},
    }
    groups = [list(workloads)] if shared_worker else [[w] for w in workloads]
    runs = {w: {m: [] for m in methods} for w in workloads}
    shapes: dict[str, list | None] = dict.fromkeys(workloads)
    total = len(groups) * repeats * len(methods)
    step = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sklearn-nirs-bench-") as tmp:
        for group in groups:
            items = [
                {
                    "config": dataclasses.asdict(dataclasses.replace(base, workload=w)),
                    "reference": os.path.join(tmp, f"{w}_reference.npy"),
                    "rtol": RTOL,
                }
                for w in group
            ]
            for repeat in range(repeats):
                for method in rotation(methods, repeat):
                    step += 1
                    spec = {"method": method, "items": items, "warmup": warmup}
                    try:
                        results = run_worker(spec, timeout=timeout)
                    except WorkerError as exc:
                        results = [{"error": str(exc)} for _ in group]
                    for workload, result in zip(group, results, strict=True):
                        result["cores"] = cores
                        runs[workload][method].append(result)
                        shapes[workload] = shapes[workload] or result.get(
                            "output_shape"
                        )
                        if progress is not None:
                            print(
                                f"[{step}/{total}] {workload}: "
                                f"{method_label(method, workload)}, repeat "
                                f"{repeat + 1}/{repeats}: {_progress_message(result)}",
                                file=progress,
                                flush=True,
                            )
    for workload in workloads:
        sequential = _summarise("sequential", workload, runs[workload]["sequential"])
        if sequential["time_median"]:
            sequential["speedup"] = sequential["memory_vs_sequential"] = 1.0
        rows = [
            sequential
            if method == "sequential"
            else _summarise(method, workload, runs[workload][method], sequential)
            for method in methods
        ]
        out["workloads"][workload] = {"output_shape": shapes[workload], "methods": rows}
    out["total_seconds"] = time.perf_counter() - started
    return out
