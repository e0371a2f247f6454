"""Benchmark: many preprocessings of the same spectra, sequential vs parallel.

Plain script (issue 3, "Benchmark and figures"). Methods, all on the same 10
augmenters (SNV, MSC, SG smoothing, SG 1st and 2nd derivative, detrend,
Gaussian, normalize, RNV, EMSC; ``--asls`` adds an AsLS baseline):

* ``loop``: a sequential loop of ``fit_transform`` and ``np.hstack``;
* ``union2``: ``sklearn.pipeline.FeatureUnion(n_jobs=2)``;
* ``auto2``, ``threading2``, ``loky2``: ``ParallelFeatureAugmentation(n_jobs=2)``.

Every measurement runs in a fresh subprocess (so peak memory is that of one
method), which times one warm-up and then ``fit_transform`` and ``transform``
while a thread samples the resident memory of the process and its children
(psutil, every 5 ms). Repeats alternate the order of the methods; medians are
reported, with ratios to ``loop``.

Usage::

    python benchmarks/bench_augmentation.py --sizes tecator,10000x2000 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import threading
import time

METHODS = ("loop", "union2", "auto2", "threading2", "loky2")


def _augmenters(asls: bool):
    """The benchmark's 10 preprocessings (``sklearn-nirs benchmark``'s set)."""
    from sklearn_nirs.benchmark._workloads import make_augmenters
    from sklearn_nirs.preprocessing import AsymmetricLeastSquaresBaseline

    out = make_augmenters(10, n_wavelengths=1000)
    if asls:
        out.append(("asls", AsymmetricLeastSquaresBaseline(max_iter=5)))
    return out


def _data(size: str):
    import numpy as np

    if size == "tecator":
        from sklearn_nirs.datasets import load_tecator

        X, _ = load_tecator(return_X_y=True)
        return np.asarray(X, dtype=np.float64)
    from sklearn_nirs.datasets import make_nirs_regression

    n, p = (int(v) for v in size.split("x"))
    X, _ = make_nirs_regression(n, p, random_state=0)
    return X


class _PeakRSS:
    """Sample the RSS of this process and its children (psutil)."""

    def __init__(self):
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def _rss(self):
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            with contextlib.suppress(Exception):
                total += child.memory_info().rss
        return total

    def _loop(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __enter__(self):
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def _child(method: str, size: str, asls: bool) -> dict:
    import numpy as np
    from sklearn.base import clone
    from sklearn.pipeline import FeatureUnion
    from threadpoolctl import threadpool_info

    from sklearn_nirs import ParallelFeatureAugmentation

    X = _data(size)
    aug = _augmenters(asls)
    backend = {"auto2": "auto", "threading2": "threading", "loky2": "loky"}

    if method == "loop":

        def fit_transform():
            fitted = [clone(t) for _, t in aug]
            return np.hstack([t.fit_transform(X) for t in fitted]), fitted

        def transform(state):
            return np.hstack([t.transform(X) for t in state])

    elif method == "union2":

        def fit_transform():
            est = FeatureUnion(aug, n_jobs=2)  # note: FeatureUnion does not clone
            return est.fit_transform(X), est

        def transform(state):
            return state.transform(X)

    else:

        def fit_transform():
            est = ParallelFeatureAugmentation(aug, n_jobs=2, backend=backend[method])
            return est.fit_transform(X), est

        def transform(state):
            return state.transform(X)

    t0 = time.perf_counter()
    out, state = fit_transform()  # warm-up (pools, caches)
    # small inputs: the median of several calls, as one call lasts milliseconds
    inner = int(min(15, max(1, 0.3 / (time.perf_counter() - t0))))
    shape = out.shape
    del out
    t_ft, t_t = [], []
    with _PeakRSS() as mem_ft:
        for _ in range(inner):
            t0 = time.perf_counter()
            out, state = fit_transform()
            t_ft.append(time.perf_counter() - t0)
            del out
    with _PeakRSS() as mem_t:
        for _ in range(inner):
            t0 = time.perf_counter()
            out = transform(state)
            t_t.append(time.perf_counter() - t0)
            del out
    t_ft, t_t = statistics.median(t_ft), statistics.median(t_t)
    info = {
        "method": method,
        "size": size,
        "shape": list(shape),
        "fit_transform_s": t_ft,
        "transform_s": t_t,
        "peak_fit_transform_mb": mem_ft.peak / 2**20,
        "peak_transform_mb": mem_t.peak / 2**20,
        "blas": [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
    }
    if method not in ("loop", "union2"):
        info["backend"] = str(state.backend_)
    return info


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="tecator,2000x1000,10000x2000")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--asls", action="store_true", help="add an AsLS baseline")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "SIZE"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child, args.asls)))
        return
    methods = args.methods.split(",")
    for size in args.sizes.split(","):
        runs = {m: [] for m in methods}
        for r in range(args.repeats):
            order = methods[r % len(methods) :] + methods[: r % len(methods)]
            for m in order:
                cmd = [sys.executable, __file__, "--child", m, size]
                cmd += ["--asls"] if args.asls else []
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                runs[m].append(json.loads(done.stdout.strip().splitlines()[-1]))
        _report(size, args.asls, runs)


def _report(size, asls, runs):
    def med(m, key):
        return statistics.median(r[key] for r in runs[m])

    base_ft, base_t = med("loop", "fit_transform_s"), med("loop", "transform_s")
    base_mem = med("loop", "peak_fit_transform_mb")
    first = next(iter(runs.values()))[0]
    print(
        f"\n== {size} {tuple(first['shape'])}{' +AsLS' if asls else ''}, "
        f"medians of {len(first and next(iter(runs.values())))} runs =="
    )
    print(
        f"{'method':<11} {'fit_tr s':>9} {'loop/x':>7} {'transf s':>9} "
        f"{'loop/x':>7} {'peak ft MB':>10} {'x/loop':>7} {'peak tr MB':>10}"
    )
    for m in runs:
        ft, t = med(m, "fit_transform_s"), med(m, "transform_s")
        mem, mem_t = med(m, "peak_fit_transform_mb"), med(m, "peak_transform_mb")
        print(
            f"{m:<11} {ft:9.4f} {base_ft / ft:7.2f} {t:9.4f} {base_t / t:7.2f} "
            f"{mem:10.0f} {mem / base_mem:7.2f} {mem_t:10.0f}"
        )
    for m in runs:
        if "backend" in runs[m][0]:
            print(f"  {m}: {runs[m][0]['backend']}")
    print(f"  BLAS (parent, after the run): {first['blas']}")


if __name__ == "__main__":
    main()
