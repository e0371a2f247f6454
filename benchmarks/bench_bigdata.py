"""Benchmark: peak memory and time of both estimators on big data sets.

Plain script (issue 6, "Big data"). Cases:

* ``augment``: ``ParallelFeatureAugmentation(n_jobs=2).fit_transform`` with
  the 10 augmenters of ``bench_augmentation.py`` (SNV, MSC, SG smoothing, SG
  1st and 2nd derivative, detrend, Gaussian, normalize, RNV, EMSC), on
  ``--rows x --cols`` spectra in ``--dtype``, with ``--backend`` threading or
  loky;
* ``search``: ``ParallelModelSearch(n_jobs=2, backend="threading")`` over 10
  preprocessings x ``PLSRegression(n_components=1..20)`` (200
  configurations), 5-fold, with ``--pre-dispatch``.

Each case runs in a fresh subprocess. The data are generated before the
timer starts; between the worker's ``START`` and ``END`` lines the parent
samples, every 5 ms:

* the resident memory (RSS) of the worker and all its children (the
  sampler of :mod:`sklearn_nirs.benchmark._measure`; pages shared between
  processes, such as a memmapped input, count once per process that touched
  them, so with processes this over-counts);
* the space used in ``/dev/shm``, where joblib writes the memmaps sent to
  process workers (tmpfs: memory, but nobody's RSS);
* the machine's ``available`` memory, whose drop from the start is the
  real cost of everything above (noisy if other programs run meanwhile).

Usage::

    python benchmarks/bench_bigdata.py augment --backend threading --dtype float64
    python benchmarks/bench_bigdata.py augment --backend loky --dtype float32
    python benchmarks/bench_bigdata.py search --rows 20000 --cols 1000 \
        --pre-dispatch "2*n_jobs"

Add ``--json FILE`` to append the result as one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import resource
import subprocess
import sys
import threading
import time

MB = 1024**2
GB = 1024**3


def _augmenters():
    """The benchmark's 10 preprocessings (``sklearn-nirs benchmark``'s set)."""
    from sklearn_nirs.benchmark._workloads import make_augmenters

    return make_augmenters(10, n_wavelengths=2000)


def _search_candidates():
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.pipeline import Pipeline

    grid = {"pls__n_components": list(range(1, 21))}
    return [
        (name, Pipeline([("pre", step), ("pls", PLSRegression(scale=False))]), grid)
        for name, step in _augmenters()
    ]


# ---------------------------------------------------------------------------
# Child: one case, in this fresh process
# ---------------------------------------------------------------------------


def _child(spec: dict) -> None:
    import numpy as np

    from sklearn_nirs.datasets import make_nirs_regression

    X, y = make_nirs_regression(spec["rows"], spec["cols"], random_state=0)
    # A few synthetic spectra (1 in 50,000 with random_state=0) are almost
    # uncorrelated with the mean spectrum: their MSC slope is below what
    # float32 can resolve, and MSC rightly rejects them. Replace them by their
    # neighbour, for both dtypes, so float64 and float32 see the same data.
    centred = X.mean(axis=0) - X.mean()
    ratio = np.abs(X @ centred) / (np.linalg.norm(X, axis=1) * np.linalg.norm(centred))
    bad = np.flatnonzero(ratio < spec["cols"] * np.finfo(np.float32).eps)
    X[bad] = X[bad - 1]
    X = np.ascontiguousarray(X, dtype=spec["dtype"])
    y = y.astype(spec["dtype"])
    info = {"input_bytes": int(X.nbytes), "replaced_rows": bad.tolist()}
    if spec["case"] == "augment":
        from sklearn_nirs import ParallelFeatureAugmentation

        est = ParallelFeatureAugmentation(
            _augmenters(), n_jobs=spec["n_jobs"], backend=spec["backend"]
        )
        print("START", flush=True)
        t0 = time.perf_counter()
        out = est.fit_transform(X)
        wall = time.perf_counter() - t0
        print("END", flush=True)
        info.update(
            output_bytes=int(out.nbytes),
            output_shape=list(out.shape),
            output_dtype=str(out.dtype),
            backend=str(est.backend_),
        )
    else:
        from sklearn_nirs import ParallelModelSearch

        est = ParallelModelSearch(
            _search_candidates(),
            cv=5,
            n_jobs=spec["n_jobs"],
            backend=spec["backend"],
            pre_dispatch=spec["pre_dispatch"],
            refit=False,
        )
        print("START", flush=True)
        t0 = time.perf_counter()
        est.fit(X, y)
        wall = time.perf_counter() - t0
        print("END", flush=True)
        n_configs = len(est.cv_results_["params"])
        # What a cache keeping every prefix output would hold: each
        # preprocessing's train + test outputs (together one input's worth)
        # for every fold.
        info.update(
            n_configs=n_configs,
            n_splits=est.n_splits_,
            unbounded_cache_bytes=int(10 * est.n_splits_ * X.nbytes),
            best_score=float(np.nanmax(est.cv_results_["mean_test_score"])),
            backend=str(est.backend_),
        )
    info["wall_seconds"] = wall
    info["self_peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("RESULT " + json.dumps(info), flush=True)


# ---------------------------------------------------------------------------
# Parent: sample memory from outside
# ---------------------------------------------------------------------------


def _shm_used(psutil) -> int:
    try:
        return psutil.disk_usage("/dev/shm").used
    except OSError:  # no /dev/shm (not Linux)
        return 0


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def run_case(spec: dict) -> dict:
    """Run ``spec`` in a fresh process; return its result and memory figures."""
    import psutil

    from sklearn_nirs.benchmark._measure import SAMPLE_INTERVAL, _tree_rss

    cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
    ps = psutil.Process(proc.pid)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
    sampling = False
    result: dict = {}
    peak = base = shm_peak = shm_base = avail_base = avail_min = 0
    n_samples = 0
    try:
        while True:
            if sampling:
                peak = max(peak, _tree_rss(psutil, ps))
                shm_peak = max(shm_peak, _shm_used(psutil))
                avail_min = min(avail_min, psutil.virtual_memory().available)
                n_samples += 1
            try:
                line = lines.get(timeout=SAMPLE_INTERVAL)
            except queue.Empty:
                continue
            if line is None:
                break
            if line == "START":
                base = peak = _tree_rss(psutil, ps)
                shm_base = shm_peak = _shm_used(psutil)
                avail_base = avail_min = psutil.virtual_memory().available
                sampling = True
            elif line == "END":
                sampling = False
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
    finally:
        if proc.poll() is None and not result:
            with contextlib.suppress(psutil.Error):
                for child in ps.children(recursive=True):
                    child.kill()
                ps.kill()
        proc.wait()
    if not result:
        raise RuntimeError(f"case failed (exit code {proc.returncode}): {spec}")
    result.update(
        spec=spec,
        baseline_rss=base,
        peak_rss=max(peak, result["self_peak_rss"]),
        shm_peak_extra=shm_peak - shm_base,
        available_drop=avail_base - avail_min,
        n_samples=n_samples,
    )
    return result


def _report(r: dict) -> str:
    s = r["spec"]
    head = f"{s['case']} {s['rows']}x{s['cols']} {s['dtype']} {r['backend']}"
    if s["case"] == "search":
        head += f", pre_dispatch={s['pre_dispatch']}"
    lines = [
        head,
        f"  wall time          {r['wall_seconds']:9.1f} s",
        f"  input              {r['input_bytes'] / GB:9.2f} GB",
    ]
    if "output_bytes" in r:
        io = r["input_bytes"] + r["output_bytes"]
        lines += [
            f"  output             {r['output_bytes'] / GB:9.2f} GB "
            f"({r['output_dtype']}, shape {tuple(r['output_shape'])})",
            f"  input + output     {io / GB:9.2f} GB",
        ]
    else:
        lines.append(
            f"  unbounded cache    {r['unbounded_cache_bytes'] / GB:9.2f} GB "
            f"({r['n_configs']} configurations, {r['n_splits']} folds)"
        )
    lines += [
        f"  RSS at start       {r['baseline_rss'] / GB:9.2f} GB (process tree)",
        f"  peak RSS           {r['peak_rss'] / GB:9.2f} GB (process tree)",
        f"  peak - start       {(r['peak_rss'] - r['baseline_rss']) / GB:9.2f} GB",
        f"  /dev/shm growth    {r['shm_peak_extra'] / GB:9.2f} GB",
        f"  available drop     {r['available_drop'] / GB:9.2f} GB (whole machine)",
        f"  RSS samples        {r['n_samples']:9d}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(json.loads(argv[1]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=("augment", "search"))
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--cols", type=int, default=None)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--backend", default="threading")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--pre-dispatch", default="2*n_jobs")
    parser.add_argument("--json", default=None, help="append the result here")
    args = parser.parse_args(argv)
    big = args.case == "augment"
    spec = {
        "case": args.case,
        "rows": args.rows or (50_000 if big else 20_000),
        "cols": args.cols or (2_000 if big else 1_000),
        "dtype": args.dtype,
        "backend": args.backend,
        "n_jobs": args.n_jobs,
        # an int when given as digits, as joblib expects
        "pre_dispatch": (
            int(args.pre_dispatch) if args.pre_dispatch.isdigit() else args.pre_dispatch
        ),
    }
    result = run_case(spec)
    print(_report(result), flush=True)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
