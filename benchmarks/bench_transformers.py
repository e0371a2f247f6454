"""Time each preprocessing transformer's fit_transform on 10,000 x 2,000 float64.

Run from the repository root: ``python benchmarks/bench_transformers.py``.
"""

import time

import numpy as np
from threadpoolctl import threadpool_info

from sklearn_nirs import preprocessing as pp
from sklearn_nirs.datasets import make_nirs_regression

X, _ = make_nirs_regression(10000, 2000, random_state=0)
X_small = X[:1000]
cases = [
    ("StandardNormalVariate()", pp.StandardNormalVariate(), X),
    ("RobustNormalVariate()", pp.RobustNormalVariate(), X),
    ("MultiplicativeScatterCorrection()", pp.MultiplicativeScatterCorrection(), X),
    (
        "ExtendedMultiplicativeScatterCorrection()",
        pp.ExtendedMultiplicativeScatterCorrection(),
        X,
    ),
    ("SavitzkyGolay()", pp.SavitzkyGolay(), X),
    (
        "SavitzkyGolay(window_length=15, deriv=1)",
        pp.SavitzkyGolay(window_length=15, deriv=1),
        X,
    ),
    ("NorrisWilliams()", pp.NorrisWilliams(), X),
    ("Detrend()", pp.Detrend(), X),
    ("GaussianSmoothing()", pp.GaussianSmoothing(), X),
    ("Normalize()", pp.Normalize(), X),
    ("ToAbsorbance()", pp.ToAbsorbance(), np.exp(-X)),
    (
        "WavelengthRange(start=500, stop=1500)",
        pp.WavelengthRange(start=500, stop=1500),
        X,
    ),
    (
        "AsymmetricLeastSquaresBaseline() [1,000 x 2,000]",
        pp.AsymmetricLeastSquaresBaseline(),
        X_small,
    ),
]
print("BLAS:", [(d["internal_api"], d["num_threads"]) for d in threadpool_info()])
print("| transformer | fit_transform, median of 5 (s) |\n|---|---|")
for name, t, data in cases:
    # Warm up: the first touch of fresh output pages is costly on these VMs.
    t.fit_transform(data)
    times = []
    for _ in range(5):
        s = time.perf_counter()
        t.fit_transform(data)
        times.append(time.perf_counter() - s)
    print(f"| {name} | {np.median(times):.3f} |", flush=True)
