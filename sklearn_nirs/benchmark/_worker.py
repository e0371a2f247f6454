"""Run one method of one workload in this (fresh) process and report on it.

Usage (by the harness, not by hand)::

    python -m sklearn_nirs.benchmark._worker '<json spec>'

The spec names one method and one or more workloads ("items"). Protocol on
stdout, one line each per item, so that the parent can sample memory over
exactly the timed part: ``START`` when the work begins (data already loaded),
``END`` when it is done, then ``RESULT <json>``. Everything else goes to stderr.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np


def _blas_threads() -> int | None:
    """BLAS threads of this process, as a user's session would have them."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts) if counts else None


def _own_cpu() -> float:
    """User + system seconds of this process and of the children it has reaped.

    ``getrusage`` has microsecond resolution (``os.times`` counts 10 ms ticks,
    too coarse for the millisecond-long runs of small data sets).
    """
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _live_children_cpu(psutil) -> dict[int, float]:
    """User + system seconds of every live descendant, by pid."""
    out = {}
    for child in psutil.Process().children(recursive=True):
        try:
            c = child.cpu_times()
            out[child.pid] = c.user + c.system
        except psutil.Error:  # it exited meanwhile: counted when reaped, if ours
            pass
    return out


def compare(
    output: np.ndarray, reference: np.ndarray, rtol: float
) -> tuple[bool, float]:
    """Whether ``output`` equals ``reference`` to ``rtol``, and the largest difference.

    The difference is relative to the reference's largest magnitude, so that
    entries near zero (a derivative's flat parts) do not blow it up.
    """
    if output.shape != reference.shape:
        return False, float("inf")
    if output.size == 0:
        return True, 0.0
    finite = np.isfinite(reference)
    if not np.array_equal(finite, np.isfinite(output)):
        return False, float("inf")
    scale = float(np.max(np.abs(reference[finite]), initial=0.0)) or 1.0
    diff = np.abs(output[finite] - reference[finite])
    max_rel = float(np.max(diff, initial=0.0) / scale)
    ok = bool(np.all(diff <= rtol * np.abs(reference[finite]) + rtol * scale * 1e-2))
    return ok, max_rel


def _measure_one(method, work, state, item, warmup, psutil) -> dict:
    """Time one workload's work between ``START`` and ``END`` lines."""
    from sklearn_nirs.benchmark._workloads import RUNNERS

    if warmup:
        # An untimed first call: pools that persist (loky's reusable executor,
        # Dask's workers) start and import their modules here, so the timed
        # call shows the steady state of a long session.
        RUNNERS[method](work, state)
    blas = _blas_threads()
    children0 = _live_children_cpu(psutil)
    print("START", flush=True)
    cpu0 = _own_cpu()
    t0 = time.perf_counter()
    output, info = RUNNERS[method](work, state)
    wall = time.perf_counter() - t0
    cpu1 = _own_cpu()
    print("END", flush=True)
    children1 = _live_children_cpu(psutil)
    # Descendants still alive (loky's reusable workers, Dask's processes) have
    # not been reaped, so getrusage misses them: add what they spent meanwhile.
    cpu = cpu1 - cpu0
    cpu += sum(v - children0.get(pid, 0.0) for pid, v in children1.items())

    # Peak RSS of this process alone, from the kernel (kB on Linux): a floor
    # for the parent's sampled peak of the whole tree, which can miss spikes.
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    output = np.asarray(output)
    ref_path = item["reference"]
    equal, max_rel_diff = None, None
    if os.path.exists(ref_path):
        equal, max_rel_diff = compare(output, np.load(ref_path), item["rtol"])
    elif method == "sequential":
        np.save(ref_path, output)
        equal, max_rel_diff = True, 0.0
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "self_peak_rss": self_peak,
        "blas_threads": blas,
        "equal": equal,
        "max_rel_diff": max_rel_diff,
        "output_shape": list(output.shape),
        **info,
    }


def main(argv: list[str] | None = None) -> int:
    import psutil

    from sklearn_nirs.benchmark._workloads import SETUPS, WorkloadConfig, prepare

    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    method = spec["method"]
    setup_fn, teardown_fn = SETUPS.get(method, (None, None))
    state, setup_seconds = None, 0.0
    try:
        for item in spec["items"]:
            # Data generation and estimators: before the timer starts.
            work = prepare(WorkloadConfig(**item["config"]))
            if setup_fn is not None and state is None:
                t_setup = time.perf_counter()
                state = setup_fn(work)
                setup_seconds = time.perf_counter() - t_setup
            result = _measure_one(
                method, work, state, item, spec.get("warmup", False), psutil
            )
            result["setup_seconds"] = setup_seconds
            print("RESULT " + json.dumps(result), flush=True)
    finally:
        if teardown_fn is not None and state is not None:
            teardown_fn(state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
