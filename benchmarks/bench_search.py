"""Benchmark: ParallelModelSearch against GridSearchCV (issue 4 figures).

10 preprocessing pipelines x PLSRegression n_components 1..20, 5-fold CV
(200 configurations, 1,000 fits for GridSearchCV), on synthetic 2,000 x 1,000
spectra and on Tecator. Compared side by side, alternating the order of the
methods at each repeat: GridSearchCV(n_jobs=1), GridSearchCV(n_jobs=2),
ParallelModelSearch(n_jobs=2) with cache on and off. Prints median wall
times, ratios, whether the scores are identical and the best model the same,
and the BLAS set-up (threadpoolctl).

Run from the repository root::

    python benchmarks/bench_search.py --repeats 3

The machine may be shared: keep ``--repeats`` low and read ratios, not
absolute times.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import threadpool_info

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.datasets import load_tecator, make_nirs_regression
from sklearn_nirs.preprocessing import (
    Detrend,
    MultiplicativeScatterCorrection,
    NorrisWilliams,
    SavitzkyGolay,
    StandardNormalVariate,
)


def preprocessings():
    """Ten common NIRS preprocessing pipelines (Rinnan et al. 2009)."""
    return [
        make_pipeline(StandardNormalVariate()),
        make_pipeline(MultiplicativeScatterCorrection()),
        make_pipeline(SavitzkyGolay(window_length=11, polyorder=2, deriv=1)),
        make_pipeline(SavitzkyGolay(window_length=11, polyorder=2, deriv=2)),
        make_pipeline(Detrend(degree=1)),
        make_pipeline(StandardNormalVariate(), Detrend(degree=1)),
        make_pipeline(StandardNormalVariate(), SavitzkyGolay(11, 2, deriv=1)),
        make_pipeline(MultiplicativeScatterCorrection(), SavitzkyGolay(11, 2, deriv=1)),
        make_pipeline(
            SavitzkyGolay(window_length=15, polyorder=2), StandardNormalVariate()
        ),
        make_pipeline(NorrisWilliams(segment=5, gap=5, deriv=1)),
    ]


def methods(cv):
    pipe = Pipeline([("pre", StandardNormalVariate()), ("pls", PLSRegression())])
    grid = {"pre": preprocessings(), "pls__n_components": list(range(1, 21))}
    common = {"cv": cv, "scoring": "neg_root_mean_squared_error"}
    return {
        "GridSearchCV(n_jobs=1)": lambda: GridSearchCV(pipe, grid, n_jobs=1, **common),
        "GridSearchCV(n_jobs=2)": lambda: GridSearchCV(pipe, grid, n_jobs=2, **common),
        "ParallelModelSearch(n_jobs=2, cache=True)": lambda: ParallelModelSearch(
            [("pls", pipe, grid)], n_jobs=2, cache=True, **common
        ),
        "ParallelModelSearch(n_jobs=2, cache=False)": lambda: ParallelModelSearch(
            [("pls", pipe, grid)], n_jobs=2, cache=False, **common
        ),
    }


def split_scores(search):
    res = search.cv_results_
    keys = sorted(k for k in res if k.startswith("split") and "_test_" in k)
    return np.column_stack([res[k] for k in keys])


def run(name, X, y, repeats, skip=()):
    cv = KFold(5, shuffle=True, random_state=0)
    factories = {n: f for n, f in methods(cv).items() if n not in skip}
    names = list(factories)
    times = {n: [] for n in names}
    fitted = {}
    for r in range(repeats):
        # Alternate the order so that drift on a shared machine hits all sides.
        order = names[r % len(names) :] + names[: r % len(names)]
        if r % 2:
            order = order[::-1]
        for n in order:
            search = factories[n]()
            start = time.perf_counter()
            search.fit(X, y)
            times[n].append(time.perf_counter() - start)
            fitted[n] = search
            # Printed as measured: a long run on a busy machine shows progress.
            print(f"  [{name}] repeat {r + 1}: {n} {times[n][-1]:.2f} s", flush=True)
    print(
        f"\n== {name}: X {X.shape}, 200 configurations x 5 folds, {repeats} repeat(s)"
    )
    ref = "GridSearchCV(n_jobs=2)"
    base = split_scores(fitted[ref])
    gs1 = statistics.median(times.get("GridSearchCV(n_jobs=1)", [np.nan]))
    for n in names:
        med = statistics.median(times[n])
        diff = np.max(np.abs(split_scores(fitted[n]) - base) / np.abs(base))
        same = fitted[n].best_params_ == fitted[ref].best_params_
        extra = (
            f" backend={fitted[n].backend_.name}"
            if hasattr(fitted[n], "backend_")
            else ""
        )
        print(
            f"{n:44s} median {med:7.2f} s  "
            f"[{', '.join(f'{t:.2f}' for t in times[n])}]  "
            f"x{gs1 / med:5.2f} vs GS(1)  "
            f"x{statistics.median(times[ref]) / med:5.2f} vs GS(2)  "
            f"max rel score diff {diff:.1e}  same best: {same}{extra}"
        )
    best = fitted["ParallelModelSearch(n_jobs=2, cache=True)"]
    params = best.best_params_
    print(f"best: {params['pre']} n_components={params['pls__n_components']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["synthetic", "tecator"], default=None)
    parser.add_argument(
        "--skip-gs1",
        action="store_true",
        help="leave out GridSearchCV(n_jobs=1), the slowest side",
    )
    args = parser.parse_args()
    skip = ("GridSearchCV(n_jobs=1)",) if args.skip_gs1 else ()
    print(f"Python {platform.python_version()}, {platform.machine()}")
    for lib in threadpool_info():
        print(
            f"threadpool: {lib['internal_api']} {lib.get('version')} "
            f"num_threads={lib['num_threads']} ({lib['filepath'].split('/')[-1]})"
        )
    if args.only in (None, "tecator"):
        X, y = load_tecator(return_X_y=True)
        run("Tecator (fat)", X, y, args.repeats, skip)
    if args.only in (None, "synthetic"):
        X, y = make_nirs_regression(2000, 1000, random_state=0)
        run("Synthetic", X, y, args.repeats, skip)


if __name__ == "__main__":
    main()
