"""``backend="dask"`` on the estimators themselves runs on a Dask cluster.

A two-worker ``LocalCluster`` (processes, one thread each) stands in for a
real cluster; the results must equal the sequential ones exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import make_pipeline

from sklearn_nirs import ParallelFeatureAugmentation, ParallelModelSearch
from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def tecator():
    return load_tecator(return_X_y=True)


def _augmenters():
    return [StandardNormalVariate(), SavitzkyGolay(window_length=11, deriv=1)]


def _candidates():
    pipe = make_pipeline(StandardNormalVariate(), PLSRegression(scale=False))
    return [("snv_pls", pipe, {"plsregression__n_components": [2, 5, 9]})]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_augmentation_with_dask_backend_equals_sequential(client, tecator, n_jobs):
    X, _ = tecator
    augment = ParallelFeatureAugmentation(_augmenters(), backend="dask", n_jobs=n_jobs)
    out = augment.fit_transform(X)
    expected = ParallelFeatureAugmentation(
        _augmenters(), backend="sequential"
    ).fit_transform(X)
    # No n_jobs with a cluster backend means the whole cluster, not one
    # local worker.
    assert augment.backend_.name == "dask"
    assert augment.backend_.n_jobs == 2
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(augment.transform(X), expected)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_search_with_dask_backend_equals_sequential(client, tecator, n_jobs):
    X, y = tecator
    search = ParallelModelSearch(_candidates(), cv=3, backend="dask", n_jobs=n_jobs)
    search.fit(X, y)
    expected = ParallelModelSearch(_candidates(), cv=3, backend="sequential")
    expected.fit(X, y)
    assert search.backend_.name == "dask"
    assert search.backend_.n_jobs == 2
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], expected.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == expected.best_params_


def test_large_input_is_scattered_once_not_shipped_with_every_task(client):
    # Dask warns "Sending large graph of size ..." whenever a task carries a
    # big array itself; scattered arrays travel once and tasks hold a key.
    X = np.random.default_rng(0).random((3000, 1000))  # 24 MB
    augment = ParallelFeatureAugmentation(
        [StandardNormalVariate(), SavitzkyGolay(window_length=11), "passthrough"],
        backend="dask",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = augment.fit_transform(X)
        again = augment.transform(X)
    large = [w for w in caught if "large graph" in str(w.message)]
    assert large == []
    # Row blocks at transform may round differently in the last bit (the
    # Savitzky-Golay edge fit is a least-squares solve over the block).
    np.testing.assert_allclose(again, out, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out[:, -1000:], X)
