"""Which backend should "auto" pick for a model search? Threads vs loky vs a loop.

10 preprocessings x PLS n_components 1..20, 5-fold CV, on 2,000 x 1,000
synthetic spectra, ParallelModelSearch(n_jobs=2) with each backend named
on the command line; repeats alternate the backends. Run from the
repository root::

    python benchmarks/bench_search_backends.py threading loky sequential
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_info

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.benchmark._workloads import make_augmenters
from sklearn_nirs.datasets import make_nirs_regression


def main(backends: list[str], repeats: int = 3) -> None:
    X, y = make_nirs_regression(2000, 1000, random_state=0)
    grid = {"plsregression__n_components": list(range(1, 21))}
    candidates = [
        (name, make_pipeline(step, PLSRegression(scale=False)), grid)
        for name, step in make_augmenters(10, n_wavelengths=1000)
    ]
    cv = KFold(5, shuffle=True, random_state=0)
    print("BLAS:", [(d["internal_api"], d["num_threads"]) for d in threadpool_info()])
    times: dict[str, list[float]] = {b: [] for b in backends}
    for r in range(repeats):
        order = backends if r % 2 == 0 else backends[::-1]
        for backend in order:
            search = ParallelModelSearch(
                candidates,
                cv=cv,
                scoring="neg_root_mean_squared_error",
                n_jobs=2,
                backend=backend,
            )
            start = time.perf_counter()
            search.fit(X, y)
            times[backend].append(time.perf_counter() - start)
            print(f"{backend} run {r + 1}: {times[backend][-1]:.2f} s", flush=True)
    for backend, values in times.items():
        print(f"{backend}: median {np.median(values):.2f} s over {repeats} runs")


if __name__ == "__main__":
    main(sys.argv[1:] or ["threading", "loky", "sequential"])
