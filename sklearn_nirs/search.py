"""ParallelModelSearch: cross-validate many candidate models, sharing the work.

How the search is evaluated
---------------------------
1. The candidates are expanded into *configurations* (a candidate at one
   point of its ``param_grid``), in order: these are the rows of
   ``cv_results_``.
2. With ``cache=True`` the configurations' pipelines are merged into a
   *prefix tree*: the steps of a :class:`~sklearn.pipeline.Pipeline` before
   its final estimator, compared step by step by value (a hash of each
   cloned, unfitted step; step names do not matter). SNV+SG and SNV+Detrend
   share the SNV node; SG and Detrend are its children. Estimators that are
   not pipelines share the empty prefix.
3. One task is one (top-level prefix subtree, fold). Depth first, each node
   is fitted once on its parent's training output and transforms the
   training and test data once; the final estimators of its configurations
   are fitted on that output and scored, then its children continue from
   it, and its outputs are released when its subtree is done. Shared arrays
   are made read-only, so a model writing into its input (``copy=False``)
   cannot change what the next one sees: scikit-learn estimators copy
   read-only input, any other is retried on a private copy.
   Final estimators that differ only along a registered path parameter
   (:mod:`sklearn_nirs._paths`: ``PLSRegression.n_components``) are fitted
   once with the largest value and every smaller model is derived from it. If
   that path fit raises, each configuration is fitted on its own, so errors
   are exactly those of separate fits. A task's cached arrays are released
   when it ends.
4. With ``cache=False`` every (configuration, fold) is a task fitting the
   whole estimator, like :class:`~sklearn.model_selection.GridSearchCV`.
   Scores are identical either way (same data, same operations).

Timings in ``cv_results_``: the time to fit and transform a shared prefix on
the training fold, and the time of a shared path fit, are split evenly among
the configurations that use them and added to their ``fit_time``; the time
to transform the test fold through the prefix is split the same way into
``score_time``. So summed times reflect the work actually done.

With ``cache=True`` scorers receive the final estimator and the preprocessed
test data (which gives the same scores for any scorer that only calls
``predict``, ``predict_proba``, ``decision_function`` or ``score``); a custom
scorer that inspects the pipeline itself needs ``cache=False``.
"""

from __future__ import annotations

import contextlib
import numbers
import time
import traceback
import warnings

import numpy as np
from scipy.stats import rankdata
from sklearn.base import MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import _BaseComposition, available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_nirs import _parallel
from sklearn_nirs._candidates import expand as expand_candidates
from sklearn_nirs._candidates import (
    named_candidates,
    plan,
    replace_candidate,
    validate_candidates,
)
from sklearn_nirs._paths import get_path_evaluator
from sklearn_nirs._readonly import protected as _protected
from sklearn_nirs._readonly import read_only as _read_only

__all__ = ["ParallelModelSearch"]


# ---------------------------------------------------------------------------
# Worker functions (module level: picklable for process backends)
# ---------------------------------------------------------------------------


def _summary(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _failure(exc, stage):
    """A picklable record of a failure inside a task."""
    text = traceback.format_exc()
    try:
        import pickle

        pickle.loads(pickle.dumps(exc))
    except Exception:  # unpicklable exception: keep its text
        exc = RuntimeError(_summary(exc))
    return {"exception": exc, "traceback": text, "stage": stage}


def _as_number(score):
    if hasattr(score, "item"):
        with contextlib.suppress(ValueError):
            score = score.item()
    if not isinstance(score, numbers.Number):
        raise ValueError(
            f"scoring must return a number, got {score!r} ({type(score)}) instead."
        )
    return score


def _score(scorer, estimator, X, y):
    scores = scorer(estimator, X) if y is None else scorer(estimator, X, y)
    if isinstance(scores, dict):
        return {name: _as_number(value) for name, value in scores.items()}
    return _as_number(scores)


def _take(a, indices):
    return None if a is None else a[indices]


def _freeze(*arrays):
    """Make shared arrays read-only (in place; they belong to the task).

    Several configurations read the same fold data and prefix outputs; one
    that wrote into its input (``copy=False``...) would silently change what
    the next one sees. scikit-learn estimators copy read-only input before
    writing into it (``check_array(force_writeable=True)``); for any other,
    :func:`sklearn_nirs._readonly.protected` retries on private copies.
    """
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False


def _fit_prefix(steps, X_train, y_train, X_test):
    # Names are positions: a merged chain's original names need not be unique.
    prefix = Pipeline([(str(i), clone(step)) for i, (_, step) in enumerate(steps)])
    X_train = prefix.fit_transform(X_train, y_train)
    middle = time.perf_counter()
    return X_train, prefix.transform(X_test), middle


def _fit_one(estimator, X, y, clone_it=True):
    model = clone(estimator) if clone_it else estimator
    return model.fit(X) if y is None else model.fit(X, y)


def _evaluate_group(X, y, train, test, group, scorer, return_train_score, stop):
    """Evaluate every configuration of one prefix tree on one fold.

    Returns a list of per-configuration records ``(index, test_scores,
    train_scores, fit_time, score_time, failure)``. ``stop``: return at the
    first failure (error_score="raise").
    """
    X_train, y_train = X[train], _take(y, train)
    X_test, y_test = X[test], _take(y, test)
    _freeze(X_train, y_train, X_test, y_test)
    records = []
    _evaluate_node(
        group,
        (X_train, y_train, X_test, y_test),
        (scorer, return_train_score, stop),
        records,
        0.0,
        0.0,
    )
    return records


def _evaluate_node(node, data, options, records, fit_share, score_share):
    """Fit ``node``'s prefix on its parent's output, then everything below it.

    Depth first: a node's outputs are released as soon as its subtree is
    done. ``fit_share``/``score_share``: each configuration's share of the
    prefix time spent above this node. Returns False to stop (a failure with
    error_score="raise").
    """
    X_train, y_train, X_test, y_test = data
    scorer, return_train_score, stop = options
    n_configs = len(node.config_indices)

    def fail(index, exc, stage, fit_time=0.0):
        records.append((index, None, None, fit_time, 0.0, _failure(exc, stage)))

    if node.prefix:
        start = time.perf_counter()
        try:
            X_train, X_test, middle = _protected(
                lambda Xa, Xb: _fit_prefix(node.prefix, Xa, y_train, Xb),
                X_train,
                X_test,
            )
        except Exception as exc:
            spent = (time.perf_counter() - start) / n_configs
            for index in node.config_indices:
                fail(index, exc, "prefix", fit_share + spent)
            return not stop
        fit_share += (middle - start) / n_configs
        score_share += (time.perf_counter() - middle) / n_configs
        _freeze(X_train, X_test)

    def score_one(index, model, fit_time):
        start = time.perf_counter()
        try:
            test_scores = _protected(
                lambda Xs, ys: _score(scorer, model, Xs, ys), X_test, y_test
            )
            train_scores = (
                _protected(
                    lambda Xs, ys: _score(scorer, model, Xs, ys), X_train, y_train
                )
                if return_train_score
                else None
            )
        except Exception as exc:
            fail(index, exc, "score", fit_time)
            return False
        score_time = time.perf_counter() - start + score_share
        records.append((index, test_scores, train_scores, fit_time, score_time, None))
        return True

    def fit_alone(index, estimator):
        start = time.perf_counter()
        try:
            model = _protected(
                lambda Xs, ys: _fit_one(estimator, Xs, ys), X_train, y_train
            )
        except Exception as exc:
            fail(index, exc, "fit", time.perf_counter() - start + fit_share)
            return False
        return score_one(index, model, time.perf_counter() - start + fit_share)

    for downstream in node.downstream:
        models = [None] * len(downstream.configs)
        path_time = 0.0
        if downstream.path is not None:
            evaluator = get_path_evaluator(downstream.template)
            start = time.perf_counter()
            try:
                fitted = _protected(
                    lambda Xs, ys, d=downstream, e=evaluator: e.fit_path(
                        clone(d.template), Xs, ys, d.values
                    ),
                    X_train,
                    y_train,
                )
                if len(fitted) != len(downstream.configs):
                    raise ValueError("path evaluator returned a wrong number of models")
                models = list(fitted)
            except Exception:
                # Fall back to separate fits: their errors are the real ones.
                pass
            n_path = sum(m is not None for m in models)
            path_time = (time.perf_counter() - start) / max(n_path, 1)
        for (index, estimator), model in zip(downstream.configs, models, strict=True):
            if model is not None:
                ok = score_one(index, model, path_time + fit_share)
            else:
                # Not derived from a path (none, a failed one, or a value the
                # path cannot give): fitted alone.
                ok = fit_alone(index, estimator)
            if not ok and stop:
                return False
    data = (X_train, y_train, X_test, y_test)
    for child in node.children:
        if not _evaluate_node(child, data, options, records, fit_share, score_share):
            return False
    return True


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _masked_params(params_list):
    """``param_*`` masked arrays, as GridSearchCV builds them."""
    n = len(params_list)
    found: dict[str, dict[int, object]] = {}
    for i, params in enumerate(params_list):
        for name, value in params.items():
            found.setdefault(f"param_{name}", {})[i] = value
    out = {}
    for key, values in found.items():
        try:
            arr = np.array(list(values.values()))
        except ValueError:
            dtype = np.dtype(object)
        else:
            dtype = arr.dtype if arr.dtype.kind != "U" and arr.ndim == 1 else object
        ma = np.ma.MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for i, value in values.items():
            ma[i] = value
        out[key] = ma
    return out


def _best_has(attr):
    """available_if check: the refitted best estimator (or every candidate) has it."""

    def check(self):
        if not self.refit:
            raise AttributeError(
                f"This ParallelModelSearch was initialized with refit=False; {attr} "
                "is available only after refitting the best configuration."
            )
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
            return True
        named = named_candidates(self.candidates) or []
        if not named or not all(hasattr(est, attr) for _, est, _ in named):
            raise AttributeError(f"Not every candidate has {attr}.")
        return True

    return check


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class ParallelModelSearch(MetaEstimatorMixin, _BaseComposition):
    """Cross-validate many candidate models in parallel, reusing shared work.

    Each candidate (an estimator, often a preprocessing
    :class:`~sklearn.pipeline.Pipeline` ending in a model) is expanded over its
    own ``param_grid`` into configurations, every configuration is
    cross-validated, and the best one is refitted on all the data, like
    :class:`~sklearn.model_selection.GridSearchCV`, whose ``cv_results_``
    layout and fitted attributes it keeps. Unlike it, with ``cache=True`` a
    preprocessing prefix shared by several configurations (same steps, same
    parameters, compared by value) is fitted once per fold, and
    :class:`~sklearn.cross_decomposition.PLSRegression` models that differ
    only in ``n_components`` are derived from one fit per fold (the first
    ``k`` components of a PLS model are those of any larger one; Wold et al.
    2001), as chemometrics software does (Mevik and Wehrens 2007). Scores are
    identical with ``cache=False``. See the module docstring of
    ``sklearn_nirs.search`` for the evaluation plan and how shared fit times
    are apportioned.

    Parameters
    ----------
    candidates : dict or list
        ``{name: estimator}``, or a list of estimators (named after their
        lower-cased class, numbered when repeated), ``(name, estimator)`` or
        ``(name, estimator, param_grid)`` tuples. ``param_grid`` uses
        :class:`~sklearn.model_selection.ParameterGrid` syntax (a dict or a
        list of dicts) with the estimator's own parameter names. Names must be
        unique and free of ``"__"``. Nested parameters are settable as
        ``<name>__<param>``. All candidates must be of one kind (classifiers
        or regressors).
    scoring : str, callable, list, tuple or dict, default=None
        As in ``GridSearchCV`` (multi-metric with a list or dict); None uses
        each estimator's ``score``.
    cv : int, cross-validation generator or iterable, default=None
        As in ``GridSearchCV`` (None: 5-fold, stratified for classifiers).
    refit : bool, str or callable, default=True
        As in ``GridSearchCV``: refit the best configuration on all the data;
        with multi-metric scoring, the metric name that picks it, or a
        callable returning ``best_index_`` from ``cv_results_``.
    n_jobs : int, default=None
        Number of workers; None means 1 unless a ``joblib.parallel_config``
        says otherwise, -1 all CPUs.
    backend : str, default=None
        ``"auto"``, ``"sequential"``, ``"threading"``, ``"loky"``,
        ``"multiprocessing"`` or a joblib-registered backend (``"dask"``);
        None follows an active ``joblib.parallel_config``, else ``"auto"``.
        ``"auto"`` runs small searches sequentially and larger ones with
        threads, one BLAS thread per worker (measured fastest for PLS;
        processes may pay for pure-Python models). BLAS threads are limited
        inside workers with every local backend.
    error_score : "raise" or float, default=np.nan
        Score given to a configuration whose fit or scoring fails on a fold;
        one ``FitFailedWarning`` then lists the failing configurations by
        candidate name and parameters. ``"raise"`` re-raises the first
        failure, naming the candidate, with the original as ``__cause__``.
    return_train_score : bool, default=False
        Also compute the training scores.
    cache : bool, default=True
        Share preprocessing prefixes and use component paths (see above).
    progress : bool, default=False
        Show a tqdm progress bar (``pip install "sklearn-nirs[progress]"``).
    verbose : int, default=0
        Print the evaluation plan and per-task timings when > 0.
    pre_dispatch : int or str, default="2*n_jobs"
        Passed to joblib.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        ``GridSearchCV``'s layout (``params``, ``param_*``,
        ``split{k}_test_{metric}``, ``mean_/std_/rank_test_{metric}``,
        ``mean_/std_fit_time``, ``mean_/std_score_time``, train scores when
        asked) plus ``candidate``, the candidate name of each row. ``params``
        are relative to the candidate's estimator.
    best_estimator_ : estimator
        The best configuration refitted on all the data (``refit`` only).
    best_score_ : float
        Mean cross-validated score of the best configuration (not set when
        ``refit`` is a callable).
    best_params_ : dict
        Parameters of the best configuration.
    best_index_ : int
        Row of the best configuration in ``cv_results_``.
    best_candidate_ : str
        Candidate name of the best configuration.
    scorer_ : callable or dict
        The scorer, or a dict of scorers for multi-metric scoring.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best configuration.
    multimetric_ : bool
        Whether several metrics were scored.
    backend_ : BackendChoice
        The backend used, with the reason for the choice.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during ``fit`` (string column names only).
    classes_ : ndarray
        Class labels (classifiers, refitted searches).

    See Also
    --------
    sklearn.model_selection.GridSearchCV : exhaustive search over one estimator.

    Notes
    -----
    Candidates receive the validated NumPy array (NaN and infinity are refused
    unless every candidate's tags allow NaN; infinity always is), so column
    names are checked by the search, not by the candidates. Fit parameters
    other than ``groups`` (passed to the splitter) are not supported.

    References
    ----------
    .. [1] Wold, S., Sjostrom, M. and Eriksson, L. (2001). PLS-regression: a
       basic tool of chemometrics. Chemometrics and Intelligent Laboratory
       Systems 58(2), 109-130.
    .. [2] Mevik, B.-H. and Wehrens, R. (2007). The pls package: principal
       component and partial least squares regression in R. Journal of
       Statistical Software 18(2).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_nirs import ParallelModelSearch
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 20))
    >>> y = X[:, :3].sum(axis=1) + 0.1 * rng.normal(size=60)
    >>> search = ParallelModelSearch(
    ...     [
    ...         (
    ...             "pls",
    ...             make_pipeline(StandardScaler(), PLSRegression()),
    ...             {"plsregression__n_components": [1, 2, 3, 4]},
    ...         ),
    ...         ("ridge", Ridge(), {"alpha": [0.1, 10.0]}),
    ...     ],
    ...     cv=3,
    ... ).fit(X, y)
    >>> search.best_candidate_ in ("pls", "ridge")
    True
    >>> len(search.cv_results_["params"])
    6
    """

    def __init__(
        self,
        candidates,
        *,
        scoring=None,
        cv=None,
        refit=True,
        n_jobs=None,
        backend=None,
        error_score=np.nan,
        return_train_score=False,
        cache=True,
        progress=False,
        verbose=0,
        pre_dispatch="2*n_jobs",
    ):
        self.candidates = candidates
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.backend = backend
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.cache = cache
        self.progress = progress
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch

    # -- parameters ---------------------------------------------------------

    def get_params(self, deep=True):
        """Get parameters, including ``<name>__<param>`` of each candidate.

        Parameters
        ----------
        deep : bool, default=True
            Also return the candidates and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super().get_params(deep=False)
        if not deep:
            return out
        named = named_candidates(self.candidates)
        if named is None:
            return out
        for name, est, _ in named:
            out[name] = est
            if hasattr(est, "get_params") and not isinstance(est, type):
                for key, value in est.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters; ``<name>`` replaces a candidate's estimator.

        Parameters
        ----------
        **params : dict
            Parameters of the search, candidates by name, and
            ``<name>__<param>`` nested parameters.

        Returns
        -------
        self : ParallelModelSearch
        """
        if "candidates" in params:
            self.candidates = params.pop("candidates")
        named = named_candidates(self.candidates) or []
        names = {name for name, _, _ in named}
        for key in list(params):
            if key in names:
                self.candidates = replace_candidate(
                    self.candidates, key, params.pop(key)
                )
        if params:
            super().set_params(**params)
        return self

    # -- tags ---------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        named = named_candidates(self.candidates) or []
        try:
            sub = [get_tags(est) for _, est, _ in named]
        except Exception:  # malformed candidates: fit will say so
            sub = []
        if not sub:
            return tags
        kinds = {t.estimator_type for t in sub} - {None}
        # Candidates of different kinds are refused by fit; no kind until then.
        # Candidates without a declared kind take the others' kind.
        tags.estimator_type = kinds.pop() if len(kinds) == 1 else None
        tags.classifier_tags = sub[0].classifier_tags
        tags.regressor_tags = sub[0].regressor_tags
        tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in sub)
        tags.input_tags.sparse = all(t.input_tags.sparse for t in sub)
        tags.input_tags.positive_only = any(t.input_tags.positive_only for t in sub)
        tags.target_tags.required = any(t.target_tags.required for t in sub)
        tags.target_tags.multi_output = all(t.target_tags.multi_output for t in sub)
        tags.target_tags.single_output = all(t.target_tags.single_output for t in sub)
        tags.non_deterministic = any(t.non_deterministic for t in sub)
        return tags

    # -- validation ---------------------------------------------------------

    def _check_params(self):
        if not (
            self.error_score == "raise"
            or (
                isinstance(self.error_score, numbers.Real)
                and not isinstance(self.error_score, bool)
            )
        ):
            raise ValueError(
                f"error_score must be 'raise' or a number; got {self.error_score!r}."
            )
        for name in ("return_train_score", "cache", "progress"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(f"{name} must be a bool; got {getattr(self, name)!r}.")
        if not (isinstance(self.refit, bool | np.bool_ | str) or callable(self.refit)):
            raise TypeError(
                "refit must be a bool, a metric name or a callable; got "
                f"{self.refit!r}."
            )
        if isinstance(self.verbose, bool) or not isinstance(
            self.verbose, numbers.Integral
        ):
            raise TypeError(f"verbose must be an int; got {self.verbose!r}.")

    def _validate_X(self, X, y=None, *, reset):
        tags = self.__sklearn_tags__()
        kwargs = {
            "reset": reset,
            "accept_sparse": ("csr", "csc") if tags.input_tags.sparse else False,
            "ensure_all_finite": "allow-nan" if tags.input_tags.allow_nan else True,
            "dtype": "numeric",
        }
        if not reset:
            return validate_data(self, X, **kwargs)
        if y is None and not tags.target_tags.required:
            return validate_data(self, X, **kwargs), None
        return validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=tags.estimator_type == "regressor",
            **kwargs,
        )

    def _get_scorers(self, estimator):
        """(scorer to call, scorer_ attribute, multimetric or None if unknown)."""
        scoring = self.scoring
        if callable(scoring):
            return scoring, scoring, None
        if scoring is None or isinstance(scoring, str):
            scorer = check_scoring(estimator, scoring=scoring)
            return scorer, scorer, False
        multi = check_scoring(estimator, scoring=scoring)  # validates, caches
        values = scoring if isinstance(scoring, dict) else {n: n for n in scoring}
        scorer_ = {n: check_scoring(estimator, scoring=v) for n, v in values.items()}
        self._check_refit_for_multimetric(scorer_)
        return multi, scorer_, True

    def _check_refit_for_multimetric(self, scores):
        if self.refit is not False and not (
            (isinstance(self.refit, str) and self.refit in scores)
            or callable(self.refit)
        ):
            raise ValueError(
                "For multi-metric scoring, refit must be a metric name (one of "
                f"{sorted(scores)}) or a callable returning the best index, or "
                f"False; got {self.refit!r}."
            )

    # -- fit ----------------------------------------------------------------

    def fit(self, X, y=None, *, groups=None):
        """Cross-validate every configuration and refit the best one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training spectra (or any features).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        groups : array-like of shape (n_samples,), default=None
            Group labels for group-aware splitters (e.g. replicate spectra of
            one sample kept in one fold).

        Returns
        -------
        self : ParallelModelSearch
            The fitted search.
        """
        self._check_params()
        validated = validate_candidates(
            self.candidates, reserved=super().get_params(deep=False)
        )
        if self.scoring is None:
            for name, est, _ in validated:
                if not hasattr(est, "score"):
                    raise TypeError(
                        f"scoring=None uses each estimator's score method, but "
                        f"candidate {name!r} ({type(est).__name__}) has none; "
                        "pass scoring."
                    )
        X, y = self._validate_X(X, y, reset=True)
        first = validated[0][1]
        scorer, scorer_, multimetric = self._get_scorers(first)

        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = n_splits = len(splits)
        if n_splits < 1:
            raise ValueError("The cross-validation produced no split.")
        configs = expand_candidates(validated)
        groups_ = plan(configs, cache=self.cache)
        n_configs = len(configs)

        tasks = []
        for group in groups_:
            for fold, (train, test) in enumerate(splits):
                tasks.append(
                    _parallel.Task(
                        _evaluate_group,
                        (
                            X,
                            y,
                            train,
                            test,
                            group,
                            scorer,
                            self.return_train_score,
                            self.error_score == "raise",
                        ),
                        self._group_label(group, configs, fold),
                    )
                )
        nodes = [node for g in groups_ for node in g.walk()]
        n_fits = sum(
            len(d.configs) if d.path is None else 1
            for node in nodes
            for d in node.downstream
        )
        n_prefix = sum(bool(node.prefix) for node in nodes)
        cost = float(X.shape[0]) * X.shape[1] * n_splits * (n_fits + n_prefix)
        choice = _parallel.resolve_backend(
            self.backend, self.n_jobs, n_tasks=len(tasks), workload="search", cost=cost
        )
        self.backend_ = choice
        if self.verbose > 0:
            print(
                f"Fitting {n_splits} folds for each of {n_configs} configurations "
                f"({len(validated)} candidates), totalling {n_configs * n_splits} "
                f"fits, evaluated as {len(tasks)} tasks: {n_prefix} shared "
                f"preprocessing(s), {n_fits} model fit(s) per fold; backend {choice}"
            )
        out = _parallel.run_tasks(
            tasks,
            choice,
            on_error="return",
            progress=self.progress,
            verbose=max(0, self.verbose - 1),
            desc="ParallelModelSearch",
            pre_dispatch=self.pre_dispatch,
        )

        results, failures = self._collect(configs, groups_, splits, tasks, out)
        self._report_failures(configs, failures, n_splits)
        if multimetric is None:
            multimetric = isinstance(self._first_score, dict)
            if multimetric:
                self._check_refit_for_multimetric(self._first_score)
        self.multimetric_ = multimetric
        self.scorer_ = scorer_
        self.cv_results_ = self._format_results(configs, results, n_splits)

        refit_metric = self.refit if multimetric else "score"
        if self.refit or not multimetric:
            if callable(self.refit):
                best = self.refit(self.cv_results_)
                if not isinstance(best, numbers.Integral) or isinstance(best, bool):
                    raise TypeError("best_index_ returned is not an integer")
                if best < 0 or best >= n_configs:
                    raise IndexError("best_index_ index out of range")
            else:
                best = int(self.cv_results_[f"rank_test_{refit_metric}"].argmin())
                self.best_score_ = self.cv_results_[f"mean_test_{refit_metric}"][best]
            self.best_index_ = int(best)
            self.best_params_ = configs[best].params
            self.best_candidate_ = configs[best].candidate
        if self.refit:
            estimator = {n: e for n, e, _ in validated}[self.best_candidate_]
            self.best_estimator_ = clone(estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            start = time.perf_counter()
            # Read-only views: a model with copy=False must not write into
            # the caller's X and y.
            _protected(
                lambda Xs, ys: _fit_one(self.best_estimator_, Xs, ys, clone_it=False),
                _read_only(X),
                _read_only(y),
            )
            self.refit_time_ = time.perf_counter() - start
        return self

    @staticmethod
    def _group_label(group, configs, fold):
        if len(group.config_indices) == 1:
            c = configs[group.config_indices[0]]
            return f"candidate {c.candidate!r} {c.params}, fold {fold}"
        names = [n for n, _ in group.prefix] or ["no preprocessing"]
        return (
            f"preprocessing {names} shared by {len(group.config_indices)} "
            f"configurations, fold {fold}"
        )

    def _collect(self, configs, groups_, splits, tasks, out):
        n_configs, n_splits = len(configs), len(splits)
        results = {
            "test": [[None] * n_splits for _ in range(n_configs)],
            "train": [[None] * n_splits for _ in range(n_configs)],
            "fit_time": np.zeros((n_configs, n_splits)),
            "score_time": np.zeros((n_configs, n_splits)),
        }
        failures = []  # (config index, fold, failure record)
        self._first_score = None
        task_index = 0
        for group in groups_:
            for fold in range(n_splits):
                value = out[task_index]
                label = tasks[task_index].label
                task_index += 1
                if isinstance(value, _parallel.TaskFailure):
                    record = {
                        "exception": value.exception,
                        "traceback": value.traceback,
                        "stage": "task",
                    }
                    value = [
                        (i, None, None, 0.0, 0.0, record) for i in group.config_indices
                    ]
                for index, test, train, fit_time, score_time, failure in value:
                    results["fit_time"][index, fold] = fit_time
                    results["score_time"][index, fold] = score_time
                    if failure is not None:
                        failure["task"] = label
                        failures.append((index, fold, failure))
                        continue
                    if self._first_score is None:
                        self._first_score = test
                    results["test"][index][fold] = test
                    results["train"][index][fold] = train
        return results, failures

    def _describe(self, config):
        return f"candidate {config.candidate!r} {config.params}"

    def _report_failures(self, configs, failures, n_splits):
        if not failures:
            return
        if self.error_score == "raise":
            index, fold, failure = min(failures, key=lambda f: (f[1], f[0]))
            stage = {"prefix": " (in its shared preprocessing)"}.get(
                failure["stage"], ""
            )
            _parallel.raise_failure(
                _parallel.TaskFailure(
                    f"{self._describe(configs[index])}, fold {fold}{stage}",
                    failure["exception"],
                    failure["traceback"],
                ),
                context="ParallelModelSearch",
            )
        n_total = len(configs) * n_splits
        if len(failures) == n_total:
            index, fold, failure = min(failures, key=lambda f: (f[0], f[1]))
            raise ValueError(
                f"All {len(configs)} configurations failed on every fold (all "
                f"{n_total} fits failed); the model is probably misconfigured. "
                f"The first error, for {self._describe(configs[index])} on fold "
                f"{fold}:\n{failure['traceback']}"
            )
        grouped: dict = {}
        for index, fold, failure in failures:
            summary = _summary(failure["exception"])
            if failure["stage"] == "prefix":
                summary = f"its shared preprocessing failed: {summary}"
            elif failure["stage"] == "score":
                summary = f"scoring failed: {summary}"
            grouped.setdefault((index, summary), []).append(fold)
        lines = []
        for (index, summary), folds in sorted(grouped.items()):
            lines.append(
                f"  - {self._describe(configs[index])}: {len(folds)} of {n_splits} "
                f"folds failed (fold(s) {folds}): {summary}"
            )
        warnings.warn(
            f"{len(failures)} of {n_total} fits failed; their scores are set to "
            f"error_score={self.error_score}. Failing configurations:\n"
            + "\n".join(lines)
            + "\nSet error_score='raise' to see the full traceback.",
            FitFailedWarning,
            stacklevel=3,
        )

    def _format_results(self, configs, results, n_splits):
        n_configs = len(configs)
        cv_results = {}

        def store(key, array, splits=False, rank=False):
            array = np.asarray(array, dtype=np.float64).reshape(n_configs, n_splits)
            if splits:
                for k in range(n_splits):
                    cv_results[f"split{k}_{key}"] = array[:, k]
            means = array.mean(axis=1)
            cv_results[f"mean_{key}"] = means
            if key.startswith(("train_", "test_")) and not np.all(np.isfinite(means)):
                warnings.warn(
                    f"One or more of the {key.split('_')[0]} scores are "
                    f"non-finite: {means}",
                    UserWarning,
                    stacklevel=4,
                )
            cv_results[f"std_{key}"] = np.sqrt(
                ((array - means[:, None]) ** 2).mean(axis=1)
            )
            if rank:
                if np.isnan(means).all():
                    ranks = np.ones_like(means, dtype=np.int32)
                else:
                    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
                    ranks = rankdata(-filled, method="min").astype(np.int32)
                cv_results[f"rank_{key}"] = ranks

        store("fit_time", results["fit_time"])
        store("score_time", results["score_time"])
        params = [c.params for c in configs]
        cv_results.update(_masked_params(params))
        cv_results["candidate"] = np.array([c.candidate for c in configs], dtype=object)
        cv_results["params"] = params

        first = self._first_score
        names = list(first) if isinstance(first, dict) else None

        def table(kind, name):
            rows = []
            for row in results[kind]:
                rows.append(
                    [
                        self.error_score
                        if value is None
                        else (value[name] if name is not None else value)
                        for value in row
                    ]
                )
            return rows

        for name in names or [None]:
            suffix = name if name is not None else "score"
            store(f"test_{suffix}", table("test", name), splits=True, rank=True)
            if self.return_train_score:
                store(f"train_{suffix}", table("train", name), splits=True)
        return cv_results

    # -- delegation ---------------------------------------------------------

    @property
    def classes_(self):
        """Class labels of the best estimator (classifiers, refit only)."""
        _best_has("classes_")(self)
        return self.best_estimator_.classes_

    def _delegate(self, method, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        # Never write into the caller's X (a best model with copy=False would).
        return _protected(getattr(self.best_estimator_, method), _read_only(X))

    @available_if(_best_has("predict"))
    def predict(self, X):
        """Predict with the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray
            The best estimator's predictions.
        """
        return self._delegate("predict", X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The best estimator's class probabilities.
        """
        return self._delegate("predict_proba", X)

    @available_if(_best_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The best estimator's log class probabilities.
        """
        return self._delegate("predict_log_proba", X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray
            The best estimator's decision function.
        """
        return self._delegate("decision_function", X)

    @available_if(_best_has("score_samples"))
    def score_samples(self, X):
        """Score samples with the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The best estimator's ``score_samples``.
        """
        return self._delegate("score_samples", X)

    @available_if(_best_has("transform"))
    def transform(self, X):
        """Transform with the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        X_new : ndarray
            The best estimator's transform of ``X``.
        """
        return self._delegate("transform", X)

    @available_if(_best_has("score"))
    def score(self, X, y=None):
        """Score the best estimator with ``scoring`` (else its own ``score``).

        With multi-metric scoring the ``refit`` metric is used.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        score : float
            The score of the best estimator.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        scorer = self.scorer_[self.refit] if self.multimetric_ else self.scorer_
        if callable(self.scoring) and isinstance(self._first_score, dict):
            raise ValueError(
                "score is ambiguous with a callable scoring returning several "
                "metrics; call the scorer yourself."
            )
        return _protected(
            lambda Xs, ys: scorer(self.best_estimator_, Xs, ys),
            _read_only(X),
            _read_only(y),
        )
