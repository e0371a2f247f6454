"""Candidates of a model search: normalise, validate, expand, and plan.

:class:`~sklearn_nirs.ParallelModelSearch` accepts its ``candidates`` as a
dict ``{name: estimator}`` or a list of estimators, ``(name, estimator)`` or
``(name, estimator, param_grid)`` tuples. This module turns them into a flat
list of *configurations* (one candidate with one point of its grid) and into
an evaluation plan: configurations whose pipelines share the same
preprocessing prefix (compared by value) are grouped, and inside a group the
final estimators that differ only along a registered path parameter
(:mod:`sklearn_nirs._paths`) are fitted as one path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import joblib
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from sklearn_nirs._paths import get_path_evaluator


@dataclass
class Configuration:
    """One candidate at one point of its parameter grid."""

    index: int  # position in cv_results_
    candidate: str  # candidate name
    params: dict  # grid point, relative to the candidate's estimator
    estimator: object  # unfitted clone with ``params`` set


@dataclass
class DownstreamGroup:
    """Final estimators evaluated on one prefix output.

    ``path`` is None for a plain list of configurations (each fitted alone);
    otherwise it is the path parameter and ``values`` the value per
    configuration, all evaluated from one path fit of ``template``.
    """

    configs: list  # list of (config index, unfitted final estimator)
    path: str | None = None
    values: list = field(default_factory=list)
    template: object = None


@dataclass
class PrefixGroup:
    """A node of the prefix tree: configurations sharing a preprocessing prefix.

    ``prefix`` are the steps this node applies, in order, to its parent's
    output (to the raw data for a top-level node; ``[]``: the data as is).
    ``downstream`` are the final estimators fitted on this node's output and
    ``children`` the nodes that continue from it with further steps.
    ``config_indices`` lists every configuration of the subtree.
    """

    prefix: list  # unfitted (name, transformer) steps
    downstream: list  # list of DownstreamGroup
    config_indices: list
    children: list = field(default_factory=list)  # list of PrefixGroup

    def walk(self):
        """This node and every node below it (depth first)."""
        yield self
        for child in self.children:
            yield from child.walk()


def named_candidates(candidates):
    """``[(name, estimator, grid or None), ...]`` or None when malformed.

    Lenient on purpose: ``get_params``/``set_params`` call it with whatever a
    user (or an estimator check) stored, and must not raise.
    """
    if isinstance(candidates, Mapping):
        return [(name, est, None) for name, est in candidates.items()]
    if not isinstance(candidates, list | tuple):
        return None
    out, unnamed = [], []
    for item in candidates:
        if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[0], str):
            grid = item[2] if len(item) == 3 else None
            out.append((item[0], item[1], grid))
        elif isinstance(item, tuple | list | str) or item is None:
            return None
        else:
            unnamed.append(len(out))
            out.append((None, item, None))
    if unnamed:
        names = _auto_names([out[i][1] for i in unnamed])
        for i, name in zip(unnamed, names, strict=False):
            out[i] = (name, out[i][1], None)
    return out


def _auto_names(estimators):
    """Lower-cased class names, numbered when repeated (like make_pipeline)."""
    names = [type(est).__name__.lower() for est in estimators]
    counts = defaultdict(int)
    for name in names:
        counts[name] += 1
    seen = defaultdict(int)
    out = []
    for name in names:
        if counts[name] > 1:
            seen[name] += 1
            out.append(f"{name}-{seen[name]}")
        else:
            out.append(name)
    return out


def replace_candidate(candidates, name, new_estimator):
    """A copy of ``candidates`` (same form) with candidate ``name`` replaced."""
    if isinstance(candidates, Mapping):
        out = dict(candidates)
        out[name] = new_estimator
        return out
    named = named_candidates(candidates)
    out = list(candidates)
    for i, (item_name, _, grid) in enumerate(named):
        if item_name != name:
            continue
        item = candidates[i]
        if isinstance(item, tuple):
            out[i] = (
                (name, new_estimator, *item[2:])
                if grid is not None
                else (
                    name,
                    new_estimator,
                )
            )
        else:
            out[i] = new_estimator
        break
    return out


def validate_candidates(candidates, reserved):
    """Check the candidates and return ``[(name, estimator, grids), ...]``.

    ``grids`` is a list of dicts (ParameterGrid syntax). Raises ValueError or
    TypeError naming the offending candidate.
    """
    if isinstance(candidates, Mapping | list | tuple) and len(candidates) == 0:
        raise ValueError("candidates is empty: give at least one estimator.")
    named = named_candidates(candidates)
    if named is None:
        raise TypeError(
            "candidates must be a dict {name: estimator} or a list of "
            "estimators, (name, estimator) or (name, estimator, param_grid) "
            f"tuples; got {candidates!r}."
        )
    names = [name for name, _, _ in named]
    not_str = [n for n in names if not isinstance(n, str)]
    if not_str:
        raise TypeError(f"Candidate names must be strings; got {not_str!r}.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Candidate names must be unique; repeated: {duplicates}.")
    bad = [n for n in names if "__" in n or not n]
    if bad:
        raise ValueError(
            f"Candidate names must be non-empty and must not contain '__': {bad}."
        )
    clash = sorted(set(names) & set(reserved))
    if clash:
        raise ValueError(
            f"Candidate names conflict with constructor arguments: {clash}."
        )
    out = []
    for name, est, grid in named:
        if isinstance(est, type):
            raise TypeError(
                f"Candidate {name!r} is the class {est.__name__}; pass an "
                f"instance ({est.__name__}())."
            )
        if not (hasattr(est, "fit") and hasattr(est, "get_params")):
            raise TypeError(
                f"Candidate {name!r} is not a scikit-learn estimator (it needs "
                f"fit and get_params): {est!r}."
            )
        out.append((name, est, _validate_grid(name, est, grid)))
    _check_same_kind(out)
    return out


def _validate_grid(name, est, grid):
    if grid is None:
        return [{}]
    try:
        grids = ParameterGrid(grid).param_grid
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Invalid param_grid for candidate {name!r}: {exc}") from exc
    if not grids:
        raise ValueError(
            f"param_grid of candidate {name!r} is an empty list: it gives no "
            "configuration. Use {} (or no grid) for the estimator as it is."
        )
    valid = est.get_params(deep=True)
    for sub in grids:
        # A key may also reach into an estimator the same grid sets, e.g.
        # {"pre": [SavitzkyGolay()], "pre__deriv": [1, 2]} (as in GridSearchCV);
        # such keys are checked when each configuration is built (expand).
        unknown = sorted(
            key
            for key in set(sub) - set(valid)
            if not any(key.startswith(f"{other}__") for other in sub if other != key)
        )
        if unknown:
            raise ValueError(
                f"param_grid of candidate {name!r} has key(s) {unknown} that "
                f"{type(est).__name__} does not have. Valid keys: {sorted(valid)}."
            )
    return grids


def _check_same_kind(named):
    kinds = defaultdict(list)
    for name, est, _ in named:
        kind = get_tags(est).estimator_type
        # An estimator without a declared kind (no RegressorMixin...) mixes
        # with any; two declared kinds (classifier and regressor) do not.
        if kind is not None:
            kinds[kind].append(name)
    if len(kinds) > 1:
        detail = "; ".join(f"{kind}: {names}" for kind, names in kinds.items())
        raise ValueError(
            "All candidates must be of the same kind (all classifiers or all "
            f"regressors), so that cv, scoring and refit mean one thing; got {detail}."
        )


def expand(validated):
    """Configurations, in order: candidates, then their grid points."""
    configs = []
    for name, est, grids in validated:
        for params in ParameterGrid(grids):
            # Parameters are cloned like GridSearchCV does (they may be
            # estimators themselves).
            try:
                configured = clone(est).set_params(**clone(params, safe=False))
            except ValueError as exc:
                raise ValueError(
                    f"param_grid of candidate {name!r}: cannot set {params}: {exc}"
                ) from exc
            configs.append(Configuration(len(configs), name, params, configured))
    return configs


def _split(estimator):
    """(prefix steps, final estimator); prefix [] when nothing is shareable."""
    if (
        not isinstance(estimator, Pipeline)
        or len(estimator.steps) < 2
        or estimator.memory is not None
        or getattr(estimator, "transform_input", None) is not None
    ):
        return [], estimator
    final = estimator.steps[-1][1]
    if final is None or final == "passthrough":
        return [], estimator
    prefix = [
        (n, s) for n, s in estimator.steps[:-1] if s is not None and s != "passthrough"
    ]
    return prefix, final


def _value_key(obj, fallback):
    """A hash equal for estimators equal by value (their cloned parameters)."""
    try:
        return joblib.hash(clone(obj, safe=False))
    except Exception:  # unpicklable parameter (a lambda...): no sharing
        return ("id", fallback)


def plan(configs, *, cache=True):
    """Top-level prefix groups: one per distinct first preprocessing step.

    With ``cache=True`` the configurations' pipelines are merged into a prefix
    tree (a trie over their steps compared by value): a node is one prefix
    computed once per fold, and every configuration below it reuses its
    output. Chains of nodes without a branch are merged into one node. Each
    top-level group (plus one for configurations without preprocessing) is
    evaluated as one task per fold. With ``cache=False`` every configuration
    is its own group and is fitted whole, like GridSearchCV.
    """
    if not cache:
        return [
            PrefixGroup([], [DownstreamGroup([(c.index, c.estimator)])], [c.index])
            for c in configs
        ]
    root = _TrieNode(None)
    for c in configs:
        prefix, final = _split(c.estimator)
        node = root
        for position, step in enumerate(prefix):
            # Step names do not change what a prefix computes; values do.
            key = _value_key(step[1], (c.index, position))
            node = node.children.setdefault(key, _TrieNode(step))
        node.finals.append((c.index, final))
    groups = []
    if root.finals:
        groups.append(
            PrefixGroup([], _path_groups(root.finals), [i for i, _ in root.finals])
        )
    groups.extend(_to_group(child) for child in root.children.values())
    return groups


class _TrieNode:
    def __init__(self, step):
        self.step = step  # (name, unfitted transformer); None for the root
        self.children: dict = {}
        self.finals: list = []  # (config index, unfitted final estimator)


def _to_group(node):
    steps = [node.step]
    while len(node.children) == 1 and not node.finals:
        node = next(iter(node.children.values()))
        steps.append(node.step)
    children = [_to_group(child) for child in node.children.values()]
    indices = [i for i, _ in node.finals]
    for child in children:
        indices.extend(child.config_indices)
    return PrefixGroup(steps, _path_groups(node.finals), sorted(indices), children)


def _path_groups(finals):
    """Gather final estimators that differ only along their path parameter."""
    by_key: dict = {}
    singles = []
    for index, est in finals:
        evaluator = get_path_evaluator(est)
        if evaluator is None:
            singles.append((index, est))
            continue
        params = est.get_params(deep=False)
        value = params.pop(evaluator.param)
        key = (type(est), _value_key(params, index))
        by_key.setdefault(key, []).append((index, est, value))
    out = [DownstreamGroup([s]) for s in singles]
    for members in by_key.values():
        if len(members) == 1:
            out.append(DownstreamGroup([(members[0][0], members[0][1])]))
            continue
        evaluator = get_path_evaluator(members[0][1])
        out.append(
            DownstreamGroup(
                [(i, e) for i, e, _ in members],
                path=evaluator.param,
                values=[v for _, _, v in members],
                template=members[0][1],
            )
        )
    return out
