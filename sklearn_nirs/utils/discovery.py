"""Find every public estimator the package defines.

Feeds ``tests/test_common.py`` so that a new estimator is checked by
:func:`sklearn.utils.estimator_checks.parametrize_with_checks` automatically.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from operator import itemgetter

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}

# Subpackages that hold no estimators and import optional dependencies.
_SKIP = ("benchmark", "_cli", "__main__")


def all_estimators(
    type_filter: str | list[str] | None = None,
) -> list[tuple[str, type]]:
    """List the public estimators defined by sklearn-nirs.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or list \
            of those, default=None
        Keep only estimators of these kinds; ``None`` keeps all.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name. Private classes (leading underscore) and abstract
        bases are left out.

    Examples
    --------
    >>> from sklearn_nirs.utils import all_estimators
    >>> names = [name for name, _ in all_estimators("transformer")]
    >>> "StandardNormalVariate" in names
    True
    """
    import sklearn_nirs

    # The public API is what public modules list in ``__all__``: estimators live
    # in private modules (``preprocessing/_scatter.py``) and are re-exported, and
    # base classes such as ``SpectralTransformer`` are never listed.
    found: dict[str, type] = {}
    prefix = sklearn_nirs.__name__ + "."
    modules = [sklearn_nirs.__name__]
    modules += [
        info.name
        for info in pkgutil.walk_packages(sklearn_nirs.__path__, prefix)
        if not any(part.startswith("_") for part in info.name.split("."))
        and not any(part in _SKIP for part in info.name.split("."))
    ]
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                found[name] = obj

    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is None:
        return estimators
    kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = set(kinds) - set(_TYPE_MIXINS)
    if unknown:
        raise ValueError(
            f"type_filter must be one of {sorted(_TYPE_MIXINS)} or a list of "
            f"them; got {sorted(unknown)}."
        )
    return [
        (name, cls)
        for name, cls in estimators
        if any(issubclass(cls, _TYPE_MIXINS[kind]) for kind in kinds)
    ]
