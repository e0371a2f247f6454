"""Property-based tests of ParallelFeatureAugmentation (issue 6).

Random subsets of the spectral transformers, random shapes, dtypes and
memory layouts (Fortran, sliced, read-only), on the "sequential" and
"threading" backends with one or two workers: the output equals the
side-by-side concatenation of each transformer applied alone to the same
spectra, or the augmentation raises the error that transformer raises alone,
naming it. The input is never modified.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from sklearn_nirs import ParallelFeatureAugmentation
from sklearn_nirs.utils import all_estimators

PARAMS = {
    "SavitzkyGolay": {"window_length": 5, "polyorder": 2, "mode": "interp"},
    "NorrisWilliams": {"segment": 3, "gap": 1},
    "GaussianSmoothing": {"sigma": 1.5},
    "WavelengthRange": {"start": 2, "stop": 50},
    "ExtendedMultiplicativeScatterCorrection": {"degree": 1},
    "AsymmetricLeastSquaresBaseline": {"lam": 100.0, "max_iter": 5},
    "Detrend": {"degree": 2},
}
TRANSFORMERS = {
    name: cls(**PARAMS.get(name, {}))
    for name, cls in all_estimators("transformer")
    if not name.startswith("Parallel")
}


@st.composite
def spectra(draw):
    n_samples = draw(st.integers(1, 40))
    n_wavelengths = draw(st.integers(1, 200))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    layout = draw(st.sampled_from(["C", "F", "rows", "cols", "readonly"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (
        n_samples * (2 if layout == "rows" else 1),
        n_wavelengths * (2 if layout == "cols" else 1),
    )
    magnitude = draw(st.sampled_from([1.0, 1e-30, 1e30]))
    if dtype == "int64":
        big = rng.integers(1, 1000, size=shape)
    else:
        w = np.linspace(0.0, 1.0, shape[1])
        band = np.exp(-(((w - rng.uniform(0, 1)) / 0.2) ** 2))
        big = 1.0 + rng.uniform(0.2, 2.0, (shape[0], 1)) * band
        big = big + rng.normal(0.0, 0.05, shape)
        if draw(st.booleans()):  # negative values (ToAbsorbance refuses them)
            big -= 1.5
        big = (big * magnitude).astype(dtype)
    if draw(st.booleans()):  # some constant spectra
        rows = rng.random(shape[0]) < 0.3
        big[rows] = big[rows, :1]
    if layout == "rows":
        X = big[::2]
    elif layout == "cols":
        X = big[:, ::2]
    elif layout == "F":
        X = np.asfortranarray(big)
    else:
        X = big
    if layout == "readonly":
        X.flags.writeable = False
    return X


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    X=spectra(),
    names=st.lists(
        st.sampled_from(sorted(TRANSFORMERS)), min_size=1, max_size=4, unique=True
    ),
    passthrough=st.booleans(),
    backend=st.sampled_from(["sequential", "threading"]),
    n_jobs=st.sampled_from([1, 2]),
    layout=st.sampled_from(["concat", "stack"]),
)
def test_equals_each_transformer_alone_or_its_error(
    X, names, passthrough, backend, n_jobs, layout
):
    steps = [(n.lower(), clone(TRANSFORMERS[n])) for n in names]
    if passthrough:
        steps.append(("raw", "passthrough"))
    aug = ParallelFeatureAugmentation(
        steps, layout=layout, backend=backend, n_jobs=n_jobs
    )
    before = X.copy()

    blocks, failure = [], None
    for n in names:
        try:
            blocks.append(clone(TRANSFORMERS[n]).fit_transform(X))
        except (ValueError, TypeError) as exc:
            failure = failure or (n, exc)
    if passthrough:
        blocks.append(X)

    if failure is not None:
        name, exc = failure
        try:
            aug.fit_transform(X)
        except type(exc) as raised:
            # The culprit is named, with the transformer's own message.
            assert name.lower() in str(raised)
            assert str(exc)[:40] in str(raised)
        else:
            raise AssertionError(f"{name} alone raised {exc!r}; augmentation not")
        assert_array_equal(X, before)
        return

    if layout == "stack" and len({b.shape[1] for b in blocks}) > 1:
        with pytest.raises(ValueError, match="layout='stack' needs every"):
            aug.fit_transform(X)
        return
    expected = np.hstack(blocks)
    if layout == "stack":
        expected = np.stack(blocks, axis=1)
    first = aug.fit_transform(X)
    again = aug.transform(X)

    assert_array_equal(X, before)
    assert first.shape == expected.shape
    assert first.dtype == np.result_type(*[b.dtype for b in blocks])
    assert np.isfinite(first).all()
    # Same transformers on the same spectra: equal up to relative rounding.
    assert_allclose(first, expected, rtol=1e-12, atol=0)
    assert_allclose(again, expected, rtol=1e-12, atol=0)
