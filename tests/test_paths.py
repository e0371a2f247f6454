"""PLS component paths equal separate PLSRegression fits, for every k."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.cross_decomposition import PLSRegression

from sklearn_nirs import _paths
from sklearn_nirs._paths import (
    PathEvaluator,
    get_path_evaluator,
    pls_component_path,
    register_path_evaluator,
)

K = 12


def _data(n_targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 30))
    X[:, 5] *= 30.0  # uneven column scales make scale=True matter
    coef = rng.normal(size=(30, n_targets))
    y = X @ coef + 0.5 * rng.normal(size=(50, n_targets))
    return X, (y.ravel() if n_targets == 1 else y)


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_every_component_count_equals_a_separate_fit(scale, n_targets):
    # Arrange
    X, y = _data(n_targets)
    X_new = np.random.default_rng(1).normal(size=(7, 30))

    # Act
    models = pls_component_path(PLSRegression(scale=scale), X, y, range(1, K + 1))

    # Assert: against PLSRegression actually fitted with n_components=k.
    for k, model in zip(range(1, K + 1), models, strict=False):
        separate = PLSRegression(n_components=k, scale=scale).fit(X, y)
        assert isinstance(model, PLSRegression)
        assert model.n_components == k
        assert_allclose(model.coef_, separate.coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(model.intercept_, separate.intercept_, rtol=1e-10)
        assert_allclose(
            model.x_rotations_, separate.x_rotations_, rtol=1e-10, atol=1e-12
        )
        assert_allclose(model.predict(X_new), separate.predict(X_new), rtol=1e-10)
        assert_allclose(model.transform(X_new), separate.transform(X_new), rtol=1e-10)
        assert model.predict(X_new).shape == separate.predict(X_new).shape
        assert model.score(X, y) == pytest.approx(separate.score(X, y), rel=1e-10)


def test_values_in_any_order_and_repeated():
    X, y = _data(1)
    models = pls_component_path(PLSRegression(), X, y, [5, 2, 5])
    assert [m.n_components for m in models] == [5, 2, 5]
    assert_allclose(
        models[1].predict(X), PLSRegression(n_components=2).fit(X, y).predict(X)
    )


def test_too_many_components_raises_like_sklearn():
    X, y = _data(1)
    with pytest.raises(ValueError, match="upper bound"):
        pls_component_path(PLSRegression(), X[:, :4], y, [2, 6])


def test_template_is_not_fitted():
    X, y = _data(1)
    template = PLSRegression(n_components=3)
    pls_component_path(template, X, y, [1, 2])
    assert not hasattr(template, "coef_")
    assert template.n_components == 3


def test_registry_matches_exact_types_only(monkeypatch):
    monkeypatch.setattr(_paths, "_REGISTRY", dict(_paths._REGISTRY))

    class SubPLS(PLSRegression):
        pass

    assert isinstance(get_path_evaluator(PLSRegression()), PathEvaluator)
    assert get_path_evaluator(PLSRegression()).param == "n_components"
    assert get_path_evaluator(SubPLS()) is None  # a subclass may change fit

    register_path_evaluator(SubPLS, "n_components", pls_component_path)
    assert get_path_evaluator(SubPLS()).fit_path is pls_component_path


def test_register_rejects_bad_arguments():
    with pytest.raises(TypeError, match="class"):
        register_path_evaluator(PLSRegression(), "n_components", pls_component_path)
    with pytest.raises(TypeError):
        register_path_evaluator(PLSRegression, "n_components", "not callable")
