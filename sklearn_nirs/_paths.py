"""Path evaluators: one fit that yields a whole family of fitted models.

Some models nest: a :class:`~sklearn.cross_decomposition.PLSRegression` with
``k`` components is exactly the first ``k`` components of one with ``K > k``,
because NIPALS extracts the components one after another and each depends
only on the ones before it (Wold, Sjostrom and Eriksson 2001; Wegelin 2000).
Chemometrics software uses this to cross-validate every component count in
one pass (Mevik and Wehrens 2007, R package ``pls``). A *path evaluator*
fits the largest model once and derives each smaller fitted model from it.

The registry maps an estimator class (exact type, not subclasses: a subclass
may change ``fit``) to a :class:`PathEvaluator`.
:class:`~sklearn_nirs.ParallelModelSearch` consults it through
:func:`get_path_evaluator` when configurations of one estimator differ only
in the evaluator's path parameter. :func:`register_path_evaluator` is the
extension point for other path models (e.g. ridge over ``alpha`` through one
SVD, lasso paths).

A path evaluator's contract: ``fit_path(estimator, X, y, values)`` receives an
unfitted estimator (its path parameter is irrelevant), training data and the
requested path values; it returns a list, in the order of ``values``, of fitted
estimators of the same class whose predictions equal (to rounding) those of
``clone(estimator).set_params(**{param: value}).fit(X, y)``. An entry may be
None for a value the path cannot derive (an invalid value, say): the search
fits that configuration on its own, so its error is the real one. If
``fit_path`` raises, the search falls back to fitting each configuration
separately, so errors are exactly those of separate fits.

References
----------
.. [1] Wold, S., Sjostrom, M. and Eriksson, L. (2001). PLS-regression: a basic
   tool of chemometrics. Chemometrics and Intelligent Laboratory Systems
   58(2), 109-130.
.. [2] Wegelin, J. A. (2000). A survey of Partial Least Squares (PLS) methods,
   with emphasis on the two-block case. Technical report 371, University of
   Washington.
.. [3] Mevik, B.-H. and Wehrens, R. (2007). The pls package: principal
   component and partial least squares regression in R. Journal of
   Statistical Software 18(2).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import pinv
from sklearn.base import BaseEstimator, clone
from sklearn.cross_decomposition import PLSRegression

__all__ = [
    "PathEvaluator",
    "get_path_evaluator",
    "pls_component_path",
    "register_path_evaluator",
]


@dataclass(frozen=True)
class PathEvaluator:
    """How to fit a family of models that differ in one parameter at once.

    Parameters
    ----------
    param : str
        The estimator parameter along which the path runs (``"n_components"``
        for PLS).
    fit_path : callable
        ``fit_path(estimator, X, y, values) -> list of fitted estimators``, one
        per entry of ``values``, in order (None where a value cannot be
        derived from the path).
    """

    param: str
    fit_path: Callable[[BaseEstimator, object, object, Sequence], list]


_REGISTRY: dict[type, PathEvaluator] = {}


def register_path_evaluator(
    estimator_class: type,
    param: str,
    fit_path: Callable[[BaseEstimator, object, object, Sequence], list],
) -> None:
    """Register (or replace) the path evaluator of an estimator class.

    Parameters
    ----------
    estimator_class : type
        The exact estimator class; subclasses are not matched.
    param : str
        The parameter the path runs along.
    fit_path : callable
        ``fit_path(estimator, X, y, values)`` returning one fitted estimator
        per value, each predicting like a separate fit with that value.

    Examples
    --------
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn_nirs._paths import get_path_evaluator, register_path_evaluator
    >>> class MyPLS(PLSRegression):
    ...     pass
    >>> evaluator = get_path_evaluator(PLSRegression())
    >>> register_path_evaluator(MyPLS, "n_components", evaluator.fit_path)
    >>> get_path_evaluator(MyPLS()).param
    'n_components'
    """
    if not isinstance(estimator_class, type):
        raise TypeError(
            f"estimator_class must be a class, got {type(estimator_class).__name__}."
        )
    if not isinstance(param, str) or not callable(fit_path):
        raise TypeError("param must be a str and fit_path a callable.")
    _REGISTRY[estimator_class] = PathEvaluator(param=param, fit_path=fit_path)


def get_path_evaluator(estimator) -> PathEvaluator | None:
    """Return the path evaluator registered for ``type(estimator)``, or None."""
    return _REGISTRY.get(type(estimator))


def pls_component_path(
    estimator: PLSRegression, X, y, values: Sequence[int]
) -> list[PLSRegression]:
    """Fit one PLS with ``max(values)`` components; derive every smaller one.

    For ``k`` components scikit-learn computes (``_PLS.fit``)::

        x_rotations = W_k pinv(P_k' W_k)
        coef        = (x_rotations @ Q_k' * y_std).T / x_std

    with ``W_k``, ``P_k``, ``Q_k`` the first ``k`` columns of ``x_weights_``,
    ``x_loadings_`` and ``y_loadings_``. Those columns do not depend on how
    many components follow, so the same formulas on the truncated matrices of
    the largest fit give the ``k``-component model; the centring and scaling
    (``_x_mean``, ``_x_std``, ``_y_mean``, ``_y_std``, ``scale=True`` or not)
    are shared by all ``k``.

    Parameters
    ----------
    estimator : PLSRegression
        Unfitted template; every parameter but ``n_components`` is used.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Training targets.
    values : sequence of int
        The component counts wanted.

    Returns
    -------
    models : list of PLSRegression or None
        Fitted models, one per entry of ``values``; each is a real
        ``PLSRegression`` (``predict``, ``transform``, ``score`` work). An
        entry is None where the value is not an integer >= 1 (a separate fit
        would reject it; the search then fits it alone to report that error).

    Raises
    ------
    ValueError
        If no value is a valid component count, or (from ``fit``) if the
        largest one exceeds what the data allow.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn_nirs._paths import pls_component_path
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(30, 8)), rng.normal(size=30)
    >>> models = pls_component_path(PLSRegression(), X, y, [1, 3])
    >>> separate = PLSRegression(n_components=3).fit(X, y)
    >>> bool(np.allclose(models[1].predict(X), separate.predict(X)))
    True
    """
    # Only what PLSRegression itself accepts (an Integral >= 1, not a bool):
    # the path must never succeed where a separate fit would fail.
    valid = [
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
        for v in values
    ]
    if not any(valid):
        raise ValueError(f"no valid n_components among {list(values)}.")
    largest = max(int(v) for v, ok in zip(values, valid, strict=True) if ok)
    big = clone(estimator).set_params(n_components=largest).fit(X, y)
    return [
        _truncate_pls(big, int(v)) if ok else None
        for v, ok in zip(values, valid, strict=True)
    ]


def _truncate_pls(big: PLSRegression, k: int) -> PLSRegression:
    """The fitted ``k``-component model contained in the fitted ``big``."""
    model = copy.copy(big)  # shallow: shares means, stds and metadata
    model.n_components = k

    def first(name):
        # Contiguous copies: the same memory layout as a separate fit, so the
        # BLAS products below see the very same inputs.
        return np.ascontiguousarray(getattr(big, name)[:, :k])

    x_weights, y_weights = first("x_weights_"), first("y_weights_")
    x_loadings, y_loadings = first("x_loadings_"), first("y_loadings_")
    model.x_weights_, model.y_weights_ = x_weights, y_weights
    model.x_loadings_, model.y_loadings_ = x_loadings, y_loadings
    model._x_scores, model._y_scores = first("_x_scores"), first("_y_scores")
    model.n_iter_ = list(big.n_iter_[:k])
    # Exactly the statements of sklearn's _PLS.fit after the NIPALS loop.
    model.x_rotations_ = np.dot(
        x_weights, pinv(np.dot(x_loadings.T, x_weights), check_finite=False)
    )
    model.y_rotations_ = np.dot(
        y_weights, pinv(np.dot(y_loadings.T, y_weights), check_finite=False)
    )
    coef = np.dot(model.x_rotations_, y_loadings.T)
    model.coef_ = (coef * big._y_std).T / big._x_std
    model.intercept_ = big._y_mean
    model._n_features_out = k
    return model


register_path_evaluator(PLSRegression, "n_components", pls_component_path)
