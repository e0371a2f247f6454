"""Many preprocessings of the same spectra, computed in parallel and combined.

NIRS modellers rarely know in advance which preprocessing suits their data
(Rinnan, van den Berg and Engelsen 2009), so they give a model several views
of the same spectra at once: SNV, MSC, Savitzky-Golay derivatives, detrending,
and so on. :class:`ParallelFeatureAugmentation` does that, like
:class:`sklearn.pipeline.FeatureUnion`, but schedules the work so that
parallelism pays off on spectra (see :mod:`sklearn_nirs._parallel` for the
backend policy).
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_nirs._parallel import BackendChoice, Task, resolve_backend, run_tasks
from sklearn_nirs._readonly import protected, read_only
from sklearn_nirs.preprocessing._base import check_finite_spectra

__all__ = ["ParallelFeatureAugmentation"]

_SPECIAL = ("passthrough", "drop")
_LAYOUTS = ("concat", "stack")
# A transform task covers at least this many values: smaller tasks cost more
# to dispatch than to compute.
_MIN_TASK_VALUES = 200_000
# Small bookkeeping calls run in the caller's thread, with culprit-naming errors.
_SEQUENTIAL = BackendChoice("sequential", 1, "a plain loop", None)


# ---------------------------------------------------------------------------
# Worker functions (module level: picklable for process backends)
# ---------------------------------------------------------------------------


def _as_block(result, n_rows: int) -> np.ndarray:
    """A transformer's output as a 2-D numeric ndarray with ``n_rows`` rows.

    Frames (from ``set_output``) and sparse matrices are accepted; sparse
    output is densified, since the combined output is a dense array.
    """
    if hasattr(result, "toarray"):  # sparse
        result = result.toarray()
    block = np.asarray(result)
    if block.ndim != 2:
        raise ValueError(
            f"the transformer returned an array with {block.ndim} dimension(s); "
            "expected 2 (n_samples, n_features)."
        )
    if block.dtype.kind not in "biuf":
        # object or str columns would turn the whole output into objects
        raise TypeError(
            f"the transformer returned values of dtype {block.dtype}; expected "
            "real numbers."
        )
    if block.shape[0] != n_rows:
        # without this, a wrong row count surfaces as a broadcasting error
        raise ValueError(
            f"the transformer returned {block.shape[0]} row(s) for {n_rows} "
            "spectra; a transformer must return one row per input row."
        )
    return block


def _fit_one(transformer, X, y):
    """Fit a clone; learn its output width and dtype from its first row."""
    protected(lambda X: transformer.fit(X, y), X)
    probe = _as_block(protected(transformer.transform, X[:1]), 1)
    return transformer, probe.shape[1], probe.dtype, None


def _fit_transform_one(transformer, X, y, out, start, width):
    """Fit a clone with its own ``fit_transform``: one pass over the data.

    When ``out`` (the shared output, threads only) is given and the block has
    the guessed width and dtype, the block is written into its columns and
    dropped at once; otherwise it is returned to the parent.
    """
    block = _as_block(
        protected(lambda X: transformer.fit_transform(X, y), X), X.shape[0]
    )
    if out is not None and block.shape[1] == width and block.dtype == out.dtype:
        out[:, start : start + width] = block
        return transformer, width, block.dtype, None
    return transformer, block.shape[1], block.dtype, block


def _probe_dtype(transformer, X):
    """Output dtype of a fitted transformer for the dtype of ``X``."""
    return _as_block(protected(transformer.transform, X[:1]), 1).dtype


def _transform_rows(transformer, X, rows, width):
    """Transform a block of rows; check the width learnt at fit."""
    block = _as_block(protected(transformer.transform, X[rows]), rows.stop - rows.start)
    if block.shape[1] != width:
        raise ValueError(
            f"transform returned {block.shape[1]} column(s) but {width} at fit; "
            "the output width must not change between fit and transform."
        )
    return block


def _transform_rows_into(transformer, X, rows, width, out, cols):
    """Transform a block of rows and write it into the shared output (threads)."""
    block = _transform_rows(transformer, X, rows, width)
    if not np.can_cast(block.dtype, out.dtype, casting="same_kind"):
        raise TypeError(
            f"transform returned {block.dtype} values, which cannot be stored "
            f"as {out.dtype} without loss."
        )
    out[rows, cols] = block


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def _is_pair(entry) -> bool:
    return isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)


def _default_name(entry) -> str:
    return entry if isinstance(entry, str) else type(entry).__name__.lower()


def _name_entries(entries) -> list[tuple[str, object]]:
    """``(name, transformer)`` pairs; unnamed entries are named as make_union does.

    Unnamed entries get their lowercased class name, numbered ``-1``, ``-2``,
    ... when several share it.
    """
    pairs = [e if _is_pair(e) else (None, e) for e in entries]
    auto = [_default_name(t) for n, t in pairs if n is None]
    counts = {n: auto.count(n) for n in auto}
    seen: dict[str, int] = {}
    named = []
    for name, trans in pairs:
        if name is None:
            name = _default_name(trans)
            if counts[name] > 1:
                seen[name] = seen.get(name, 0) + 1
                name = f"{name}-{seen[name]}"
        named.append((name, trans))
    return named


def _lenient_names(entries) -> list[tuple[str, object]]:
    """``_name_entries`` for get/set_params and tags: [] when not a list.

    A bad ``transformers`` (a string, a generator) is reported by ``fit``;
    iterating it here would invent parameters from its characters.
    """
    if not isinstance(entries, (list, tuple)):
        return []
    return _name_entries(entries)


class ParallelFeatureAugmentation(TransformerMixin, _BaseComposition):
    """Apply several preprocessings to the same spectra in parallel and combine them.

    Each transformer is cloned and fitted on the same spectra; the outputs are
    concatenated side by side (``layout="concat"``) or stacked as channels
    (``layout="stack"``). Unlike :class:`sklearn.pipeline.FeatureUnion`, the
    ``transformers`` are never modified (fitted clones live in
    ``transformers_``), ``fit_transform`` makes a single pass, ``transform``
    splits the work by transformer *and* by blocks of rows, and with threads
    every worker writes straight into one preallocated output array. Spectral
    preprocessing (Rinnan et al. 2009) is row-wise, so any transformer's
    ``transform`` can be split by rows.

    Parameters
    ----------
    transformers : list of transformers or of (str, transformer) pairs
        The preprocessings. Unnamed entries are named as
        :func:`sklearn.pipeline.make_union` does (lowercased class name,
        numbered when repeated). ``"passthrough"`` keeps the raw spectra,
        ``"drop"`` removes an entry. Each transformer must return one row
        per input row, in real numbers (sparse output is densified). Nested
        parameters work both ways
        (``snv__ddof`` in ``get_params``; ``set_params(sg__window_length=15)``
        and ``set_params(sg=OtherTransformer())``), so a grid search can tune
        them.
    layout : {"concat", "stack"}, default="concat"
        ``"concat"``: output of shape ``(n_samples, sum of output widths)``,
        columns in the order of ``transformers``. ``"stack"``: output of shape
        ``(n_samples, n_transformers, width)`` for models taking one channel
        per preprocessing; every transformer must then output the same number
        of columns. A 3-D output cannot be a DataFrame: ``set_output`` with
        pandas or polars raises a ValueError with ``"stack"``.
    n_jobs : int or None, default=None
        Number of workers. None means 1 unless a
        :func:`joblib.parallel_config` context says otherwise; -1 means all
        CPUs. Never more workers than tasks.
    backend : str or None, default=None
        None uses the backend of an active :func:`joblib.parallel_config` if
        one is set, else ``"auto"``. ``"auto"`` runs small work sequentially
        and large work on threads (one BLAS thread per worker when the CPUs
        are all busy); see :mod:`sklearn_nirs._parallel` for the policy and
        for why processes rarely pay for augmentation. Also
        ``"sequential"``, ``"threading"``, ``"loky"``, ``"multiprocessing"``,
        or a backend registered with joblib (``"dask"`` with a
        ``dask.distributed.Client``, ``"ray"``, ``"spark"``). Inside a joblib
        worker (for instance in ``GridSearchCV(n_jobs=2)``) local backends run
        sequentially so as not to oversubscribe the CPUs.
    progress : bool, default=False
        Show a tqdm progress bar (``pip install "sklearn-nirs[progress]"``).
    verbose : int, default=0
        When > 0, print the backend chosen and each task's time.

    Attributes
    ----------
    transformers_ : list of (str, transformer or "passthrough")
        The fitted clones, in order, without the dropped entries.
    named_transformers_ : :class:`~sklearn.utils.Bunch`
        The same, by name.
    output_slices_ : dict of str to slice
        Columns of each transformer in the ``"concat"`` output (with
        ``"stack"``: its columns in ``Xt.reshape(n_samples, -1)``).
    timings_ : dict of str to dict
        Seconds each transformer took in the last fit, to spot a slow
        preprocessing: ``{"fit": seconds, "fit_transform": None}`` after
        ``fit``; after ``fit_transform``, whose single pass fits and
        transforms the training spectra at once, ``{"fit": None,
        "fit_transform": seconds}``. ``transform`` records nothing (it never
        changes a fitted estimator); ``verbose=1`` prints its task times.
        ``"passthrough"`` entries take 0 seconds.
    backend_ : :class:`~sklearn_nirs._parallel.BackendChoice`
        The backend used by the last fit: ``backend_.name``,
        ``backend_.n_jobs``, ``backend_.blas_threads``. ``transform`` chooses
        again for its own input size.
    backend_reason_ : str
        Why that backend was chosen.
    n_features_in_ : int
        Number of wavelengths seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths, when fitted on a DataFrame with string
        column names.

    See Also
    --------
    sklearn.pipeline.FeatureUnion : The scikit-learn original.

    References
    ----------
    .. [1] Rinnan, A., van den Berg, F. and Engelsen, S. B. (2009). Review of
       the most common pre-processing techniques for near-infrared spectra.
       TrAC Trends in Analytical Chemistry, 28(10), 1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer, StandardScaler
    >>> from sklearn_nirs import ParallelFeatureAugmentation
    >>> X = np.random.default_rng(0).normal(size=(6, 4))
    >>> aug = ParallelFeatureAugmentation(
    ...     [
    ...         ("scale", StandardScaler()),
    ...         ("diff", FunctionTransformer(np.diff)),
    ...         "passthrough",
    ...     ]
    ... )
    >>> aug.fit_transform(X).shape
    (6, 11)
    >>> aug.output_slices_["diff"]
    slice(4, 7, None)
    >>> aug.backend_.name
    'sequential'
    >>> aug.get_params()["scale__with_mean"]
    True
    """

    def __init__(
        self,
        transformers,
        *,
        layout="concat",
        n_jobs=None,
        backend=None,
        progress=False,
        verbose=0,
    ):
        self.transformers = transformers
        self.layout = layout
        self.n_jobs = n_jobs
        self.backend = backend
        self.progress = progress
        self.verbose = verbose

    # -- parameters -------------------------------------------------------

    def get_params(self, deep=True):
        """Get parameters, with ``name__param`` for the nested transformers.

        Parameters
        ----------
        deep : bool, default=True
            Also return the transformers by name and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = BaseEstimator.get_params(self, deep=False)
        if not deep:
            return out
        for name, trans in _lenient_names(self.transformers):
            out[name] = trans
            if hasattr(trans, "get_params") and not isinstance(trans, type):
                for key, value in trans.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters, including ``name=transformer`` and ``name__param``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : ParallelFeatureAugmentation
            This estimator.
        """
        if "transformers" in params:
            self.transformers = params.pop("transformers")
        names = [name for name, _ in _lenient_names(self.transformers)]
        for key in list(params):
            if "__" not in key and key in names:
                entries = list(self.transformers)
                # Replacing an unnamed entry keeps its name: stored as a pair.
                entries[names.index(key)] = (key, params.pop(key))
                self.transformers = entries
        BaseEstimator.set_params(self, **params)
        return self

    # -- validation -------------------------------------------------------

    def _validate_params(self):
        name = type(self).__name__
        if self.layout not in _LAYOUTS:
            raise ValueError(
                f"layout must be one of {list(_LAYOUTS)}; got {self.layout!r}."
            )
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress must be a bool; got {self.progress!r}.")
        if isinstance(self.verbose, bool) or not isinstance(
            self.verbose, numbers.Integral
        ):
            raise TypeError(f"verbose must be an int; got {self.verbose!r}.")
        entries = self.transformers
        if not isinstance(entries, (list, tuple)):
            raise TypeError(
                f"{name}: transformers must be a list of transformers or of "
                f"(name, transformer) pairs; got {type(entries).__name__}."
            )
        if len(entries) == 0:
            raise ValueError(
                f"{name} needs at least one transformer; transformers is empty."
            )
        for i, entry in enumerate(entries):
            if isinstance(entry, (tuple, list)) and not _is_pair(entry):
                raise TypeError(
                    f"{name}: entry {i} of transformers is a {type(entry).__name__} "
                    f"of length {len(entry)}; expected a transformer or a "
                    "(name, transformer) tuple with a str name."
                )
        named = _name_entries(entries)
        names = [n for n, _ in named]
        self._validate_names(names)
        if "" in names:
            # "" would give feature names like "__x0" and an unusable
            # set_params key
            raise ValueError(
                f"{name}: transformer names must not be empty (index "
                f"{names.index('')})."
            )
        for i, (n, trans) in enumerate(named):
            if isinstance(trans, type):
                raise TypeError(
                    f"{name}: transformer {n!r} (index {i}) is the class "
                    f"{trans.__name__}; pass an instance, {trans.__name__}()."
                )
            if isinstance(trans, str):
                if trans not in _SPECIAL:
                    raise ValueError(
                        f"{name}: transformer {n!r} (index {i}) is the string "
                        f"{trans!r}; the only strings allowed are 'passthrough' "
                        "and 'drop'."
                    )
                continue
            # fit is called by `fit`, transform by `transform`, get_params by
            # clone: a transformer needs all three.
            missing = [
                m for m in ("fit", "transform", "get_params") if not hasattr(trans, m)
            ]
            if missing:
                raise TypeError(
                    f"{name}: transformer {n!r} (index {i}) of type "
                    f"{type(trans).__name__} is not a transformer: it needs "
                    f"fit, transform and get_params methods; missing: "
                    f"{', '.join(missing)}."
                )
        kept = [(i, n, t) for i, (n, t) in enumerate(named) if not _eq(t, "drop")]
        if not kept:
            raise ValueError(f"{name}: every transformer is 'drop'; nothing left.")
        return kept

    def _validate_X(self, X, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype="numeric",
            ensure_all_finite=False,
            ensure_2d=True,
            allow_nd=False,
        )
        if X.dtype.kind in "fc":
            check_finite_spectra(X, type(self).__name__)
        return X

    def _check_output_config(self):
        if self.layout != "stack":
            return
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        if config is None:
            config = get_config().get("transform_output", "default")
        if config not in ("default", None):
            raise ValueError(
                f"layout='stack' gives a 3-D array (n_samples, n_transformers, "
                f"width), which cannot be a {config} DataFrame; use "
                "set_output(transform='default') with 'stack', or "
                "layout='concat' for a DataFrame."
            )

    # -- fitting ----------------------------------------------------------

    def _fit(self, X, y, *, keep_output):
        kept = self._validate_params()
        self._check_output_config()
        # Transformers share X: a read-only view keeps one that writes into
        # its input from changing the caller's data or the others' input.
        X = read_only(self._validate_X(X, reset=True))
        n_samples, n_features = X.shape
        label = "transformer {!r} (index {}) during {}"
        work = [(i, n, clone(t)) for i, n, t in kept if not _eq(t, "passthrough")]
        cost = float(n_samples) * n_features * max(1, len(kept))
        choice = resolve_backend(
            self.backend,
            self.n_jobs,
            n_tasks=len(work),
            workload="augment",
            cost=cost,
        )
        self.backend_ = choice
        self.backend_reason_ = choice.reason
        if self.verbose:
            print(f"[{type(self).__name__}] backend: {choice}", flush=True)

        guess_dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        # Speculative preallocation: most spectral transformers keep the width
        # and dtype, so the output is allocated before fitting; each block that
        # matches is written in place at once (no list of blocks + hstack).
        starts = {}
        offset = 0
        for _, n, _ in kept:
            starts[n] = offset
            offset += n_features
        out = np.empty((n_samples, offset), dtype=guess_dtype) if keep_output else None
        shared = out if (keep_output and not choice.uses_processes) else None
        phase = "fit_transform" if keep_output else "fit"
        tasks = []
        for i, n, t in work:
            if keep_output:
                args = (t, X, y, shared, starts[n], n_features)
                tasks.append(Task(_fit_transform_one, args, label.format(n, i, phase)))
            else:
                tasks.append(Task(_fit_one, (t, X, y), label.format(n, i, phase)))

        def place(j, result):
            # Process workers return their blocks: copy each into the output
            # as it arrives so at most a few blocks are alive at once.
            trans, width, dtype, block = result
            if (
                block is not None
                and out is not None
                and width == n_features
                and dtype == out.dtype
            ):
                n = work[j][1]
                out[:, starts[n] : starts[n] + width] = block
                block = None
            return trans, width, dtype, block

        seconds = []
        results = run_tasks(
            tasks,
            choice,
            progress=self.progress,
            verbose=self.verbose,
            desc=type(self).__name__,
            timings=seconds,
            on_result=place,
        )

        fitted = {n: r for (i, n, t), r in zip(work, results, strict=False)}
        timing = {n: s for (i, n, t), s in zip(work, seconds, strict=False)}
        self.transformers_ = []
        widths, dtypes, leftovers = {}, {}, {}
        for _, n, t in kept:
            if _eq(t, "passthrough"):
                self.transformers_.append((n, "passthrough"))
                widths[n], dtypes[n] = n_features, X.dtype
                timing[n] = 0.0
                continue
            trans, width, dtype, block = fitted[n]
            self.transformers_.append((n, trans))
            widths[n], dtypes[n] = width, np.dtype(dtype)
            if block is not None:
                leftovers[n] = block
        self.named_transformers_ = Bunch(**dict(self.transformers_))
        self._widths = widths
        self._fit_dtype = X.dtype
        self._out_dtype = np.result_type(*dtypes.values())
        self.output_slices_ = {}
        offset = 0
        for n, _ in self.transformers_:
            self.output_slices_[n] = slice(offset, offset + widths[n])
            offset += widths[n]
        self._n_features_out = offset
        # Only the call that fitted is timed: `transform` must not change a
        # fitted estimator (scikit-learn's check_dict_unchanged), so it records
        # nothing here.
        self.timings_ = {
            n: {"fit": None, "fit_transform": None, phase: timing[n]} for n in widths
        }
        self._check_stack_widths()
        if not keep_output:
            return None

        if leftovers or out.dtype != self._out_dtype:
            # A guess was wrong (width or dtype): assemble the true output.
            final = np.empty((n_samples, offset), dtype=self._out_dtype)
            for n, _ in self.transformers_:
                sl = self.output_slices_[n]
                if n in leftovers:
                    final[:, sl] = leftovers.pop(n)
                elif _eq(self.named_transformers_[n], "passthrough"):
                    final[:, sl] = X
                else:
                    final[:, sl] = out[:, starts[n] : starts[n] + n_features]
            out = final
        else:
            for n, t in self.transformers_:
                if _eq(t, "passthrough"):
                    out[:, self.output_slices_[n]] = X
        return self._shape_output(out)

    def _check_stack_widths(self):
        if self.layout != "stack":
            return
        if len(set(self._widths.values())) > 1:
            detail = ", ".join(f"{n}: {w}" for n, w in self._widths.items())
            raise ValueError(
                "layout='stack' needs every transformer to output the same number "
                f"of columns; got {detail}. Use layout='concat', or transformers "
                "that keep the width."
            )

    def _shape_output(self, out):
        if self.layout == "stack":
            n_channels = len(self.transformers_)
            return out.reshape(out.shape[0], n_channels, -1)
        return out

    def fit(self, X, y=None):
        """Fit a clone of each transformer on the spectra, one task each.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Training spectra, one per row.
        y : array-like of shape (n_samples,), default=None
            Passed to each transformer's ``fit``.

        Returns
        -------
        self : ParallelFeatureAugmentation
            The fitted augmentation.
        """
        self._fit(X, y, keep_output=False)
        return self

    def fit_transform(self, X, y=None):
        """Fit every transformer and return the combined output in one pass.

        Each clone is fitted with its own ``fit_transform``: the training
        spectra are transformed once, never fitted then transformed again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Training spectra, one per row.
        y : array-like of shape (n_samples,), default=None
            Passed to each transformer's ``fit_transform``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out) or \
(n_samples, n_transformers, width)
            The combined outputs (see ``layout``).
        """
        return self._fit(X, y, keep_output=True)

    # -- transform --------------------------------------------------------

    def _plan_blocks(self, n_samples, n_features, n_jobs, sequential):
        """Row blocks per transformer: a fixed grid, never from measured times.

        Every transformer is split into ``2 * n_jobs`` row blocks (fewer when
        a block would hold under ``_MIN_TASK_VALUES`` values), so a slow one
        (AsLS) is spread over all workers. The plan depends only on the shape
        and ``n_jobs``, not on timings: BLAS-based transformers (MSC, EMSC,
        detrend, Savitzky-Golay) can change in the last bit with the row split,
        and two runs with the same settings must agree bit for bit.
        """
        names = [n for n, t in self.transformers_ if not _eq(t, "passthrough")]
        if sequential or n_jobs <= 1 or not names:
            return dict.fromkeys(names, 1)
        min_rows = max(1, math.ceil(_MIN_TASK_VALUES / max(1, n_features)))
        max_blocks = max(1, n_samples // min_rows)
        return dict.fromkeys(names, min(max_blocks, 2 * n_jobs))

    def _weight(self, name) -> float:
        """Seconds the last fit spent on a transformer (for task order only)."""
        timing = self.timings_[name]
        seconds = (
            timing["fit"] if timing["fit"] is not None else timing["fit_transform"]
        )
        return seconds or 0.0

    def transform(self, X):
        """Transform the spectra with every fitted transformer and combine them.

        The work is split by transformer and by blocks of rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, with as many wavelengths as in ``fit``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out) or \
(n_samples, n_transformers, width)
            The combined outputs (see ``layout``). ``X`` is never modified.
        """
        check_is_fitted(self)
        self._check_output_config()
        X = read_only(self._validate_X(X, reset=False))
        n_samples, n_features = X.shape
        work = [
            (i, n, t)
            for i, (n, t) in enumerate(self.transformers_)
            if not _eq(t, "passthrough")
        ]
        if X.dtype == self._fit_dtype:
            out_dtype = self._out_dtype
        else:  # the output dtype may follow the input's: ask each transformer
            probes = [
                Task(
                    _probe_dtype,
                    (t, X),
                    f"transformer {n!r} (index {i}) during transform",
                )
                for i, n, t in work
            ]
            dtypes = run_tasks(probes, _SEQUENTIAL)
            if len(work) < len(self.transformers_):  # a passthrough
                dtypes.append(X.dtype)
            out_dtype = np.result_type(*dtypes)
        cost = float(n_samples) * n_features * len(self.transformers_)
        max_tasks = len(work) * max(
            1, n_samples // max(1, math.ceil(_MIN_TASK_VALUES / max(1, n_features)))
        )
        choice = resolve_backend(
            self.backend,
            self.n_jobs,
            n_tasks=max(1, max_tasks),
            workload="augment",
            cost=cost,
        )
        if self.verbose:
            print(f"[{type(self).__name__}] backend: {choice}", flush=True)
        blocks = self._plan_blocks(
            n_samples, n_features, choice.n_jobs, choice.name == "sequential"
        )
        out = np.empty((n_samples, self._n_features_out), dtype=out_dtype)
        index = {n: k for k, (n, _) in enumerate(self.transformers_)}
        tasks, places = [], []
        # Slowest transformers first (longest processing time first): the
        # order balances the workers and never changes a value.
        order = sorted(work, key=lambda w: -self._weight(w[1]))
        for _, n, t in order:
            cols = self.output_slices_[n]
            width = self._widths[n]
            edges = np.linspace(0, n_samples, blocks[n] + 1).astype(int)
            for a, b in itertools.pairwise(edges):
                if b <= a:
                    continue
                rows = slice(int(a), int(b))
                where = f"transformer {n!r} (index {index[n]}) during transform"
                if blocks[n] > 1:
                    where += f" (rows {a} to {b - 1})"
                if choice.uses_processes:
                    args = (t, X, rows, width)
                    tasks.append(Task(_transform_rows, args, where))
                else:
                    args = (t, X, rows, width, out, cols)
                    tasks.append(Task(_transform_rows_into, args, where))
                places.append((rows, cols))

        def place(j, block):
            if block is not None:
                rows, cols = places[j]
                out[rows, cols] = block
            return None

        run_tasks(
            tasks,
            choice,
            progress=self.progress,
            verbose=self.verbose,
            desc=type(self).__name__,
            on_result=place,
        )
        for n, t in self.transformers_:
            if _eq(t, "passthrough"):
                out[:, self.output_slices_[n]] = X
        return self._shape_output(out)

    # -- feature names, tags ---------------------------------------------

    def get_feature_names_out(self, input_features=None):
        """Output feature names, ``name__feature``.

        With ``layout="stack"`` they name the columns of
        ``Xt.reshape(n_samples, -1)`` (channel by channel).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
            if input_features is None:
                input_features = [f"x{i}" for i in range(self.n_features_in_)]
        input_features = np.asarray(input_features, dtype=object)
        if input_features.shape != (self.n_features_in_,):
            raise ValueError(
                f"input_features should have length {self.n_features_in_} "
                f"(n_features_in_); got {len(input_features)}."
            )
        names_in = getattr(self, "feature_names_in_", None)
        if names_in is not None and not np.array_equal(input_features, names_in):
            raise ValueError("input_features is not equal to feature_names_in_.")
        names = []
        for n, t in self.transformers_:
            if _eq(t, "passthrough"):
                own = input_features
            elif hasattr(t, "get_feature_names_out"):
                own = t.get_feature_names_out(input_features)
            else:
                own = [f"{n}{j}" for j in range(self._widths[n])]
            names.extend(f"{n}__{f}" for f in own)
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        preserved = None
        for _, t in _lenient_names(self.transformers):
            if isinstance(t, (str, type)):
                continue
            try:
                own = set(get_tags(t).transformer_tags.preserves_dtype)
            except Exception:
                own = {"float64"}
            preserved = own if preserved is None else preserved & own
        if tags.transformer_tags is not None:
            kept = ["float64", "float32"]
            if preserved is not None:
                kept = [d for d in kept if d in preserved]
            tags.transformer_tags.preserves_dtype = kept
        return tags


def _eq(trans, word: str) -> bool:
    """``trans == word`` without calling ``__eq__`` of estimators or arrays."""
    return isinstance(trans, str) and trans == word
