"""``sklearn-nirs demo``: a real NIRS calibration on the bundled Tecator data.

The demo is a list of sections (small functions taking a :class:`DemoContext`)
run in order by :func:`run_demo`; a new section is one function appended to
:data:`SECTIONS`. Nothing in the package imports this module.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline

from sklearn_nirs import __version__
from sklearn_nirs.datasets import load_tecator

CV_FOLDS = 5
CV_SEED = 0
MAX_COMPONENTS = 20
QUICK_MAX_COMPONENTS = 8


@dataclass
class CalibrationResult:
    """Cross-validated PLS results of one preprocessing."""

    name: str
    pipeline: Pipeline  # unfitted, with the best n_components set
    n_components: int
    rmsecv: float
    r2cv: float
    seconds: float


@dataclass
class DemoContext:
    """What every demo section needs: the data, the CV scheme, the options."""

    X_cal: np.ndarray
    y_cal: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    target: str
    wavelengths: np.ndarray
    cv: KFold
    quick: bool
    n_jobs: int | None
    out: TextIO
    results: list[CalibrationResult] = field(default_factory=list)

    def print(self, *args) -> None:
        print(*args, file=self.out)


def preprocessings(quick: bool = False) -> list[tuple[str, list]]:
    """Named preprocessing chains (lists of pipeline steps) to compare.

    Savitzky-Golay settings (window 15, quadratic) are those of the reference
    figure in the data README; on 2 nm channels the window spans 30 nm.
    """
    from sklearn_nirs.preprocessing import (
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    def sg(deriv: int) -> SavitzkyGolay:
        return SavitzkyGolay(window_length=15, polyorder=2, deriv=deriv)

    chains = [
        ("raw", []),
        ("SNV", [("snv", StandardNormalVariate())]),
        ("SNV + SG 1st deriv.", [("snv", StandardNormalVariate()), ("sg", sg(1))]),
        (
            "MSC + SG 1st deriv.",
            [("msc", MultiplicativeScatterCorrection()), ("sg", sg(1))],
        ),
        ("SG 2nd deriv.", [("sg", sg(2))]),
    ]
    if quick:
        return [chains[0], chains[2]]
    return chains


def make_pipeline(steps: list, n_components: int, scale: bool = False) -> Pipeline:
    """Preprocessing steps followed by PLS (no autoscaling by default, as usual
    for NIR spectra, whose wavelengths share one unit)."""
    steps = [(name, clone(step)) for name, step in steps]
    pls = PLSRegression(n_components=n_components, scale=scale)
    return Pipeline([*steps, ("pls", pls)])


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def cross_validate_pls(
    name: str,
    steps: list,
    X: np.ndarray,
    y: np.ndarray,
    cv,
    components: Sequence[int],
    n_jobs: int | None = None,
    scale: bool = False,
) -> CalibrationResult:
    """Pick the number of PLS components with the lowest RMSECV.

    RMSECV is pooled over all cross-validated predictions,
    ``sqrt(mean((y - y_cv)^2))``, the chemometric definition (not the mean of
    per-fold scores).
    """
    start = time.perf_counter()
    best = None
    for k in components:
        model = make_pipeline(steps, k, scale)
        y_cv = cross_val_predict(model, X, y, cv=cv, n_jobs=n_jobs)
        y_cv = np.ravel(y_cv)
        score = rmse(y, y_cv)
        if best is None or score < best[1]:
            best = (k, score, r2_score(y, y_cv))
    k, score, r2 = best
    return CalibrationResult(
        name=name,
        pipeline=make_pipeline(steps, k, scale),
        n_components=k,
        rmsecv=score,
        r2cv=float(r2),
        seconds=time.perf_counter() - start,
    )


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str
) -> str:
    """Plain-text table; ``align`` has one "<" or ">" per column."""
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]

    def line(cells):
        return "  ".join(
            f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def section_header(ctx: DemoContext) -> None:
    wl = ctx.wavelengths
    ctx.print(
        f"sklearn-nirs {__version__} demo: PLS calibration of Tecator {ctx.target} (%)"
    )
    ctx.print(
        f"Data: {len(ctx.y_cal)} calibration spectra (train + monitor), "
        f"{len(ctx.y_test)} test spectra, {wl.size} wavelengths "
        f"({wl[0]:.0f}-{wl[-1]:.0f} nm)."
    )


def section_calibration(ctx: DemoContext) -> None:
    """Cross-validate PLS on each preprocessing; print the comparison table."""
    n_max = QUICK_MAX_COMPONENTS if ctx.quick else MAX_COMPONENTS
    components = range(1, n_max + 1)
    ctx.print(
        f"Cross-validation: shuffled {CV_FOLDS}-fold KFold (random_state={CV_SEED}), "
        f"PLSRegression(scale=False) with 1-{n_max} components;\n"
        "the number of components with the lowest RMSECV is kept.\n"
    )
    for name, steps in preprocessings(ctx.quick):
        ctx.results.append(
            cross_validate_pls(
                name, steps, ctx.X_cal, ctx.y_cal, ctx.cv, components, ctx.n_jobs
            )
        )
    rows = [
        (
            r.name,
            str(r.n_components),
            f"{r.rmsecv:.3f}",
            f"{r.r2cv:.4f}",
            f"{r.seconds:.2f}",
        )
        for r in ctx.results
    ]
    headers = ("preprocessing", "n_components", "RMSECV", "R2(CV)", "time (s)")
    ctx.print(format_table(headers, rows, "<>>>>"))
    ctx.print()


def section_test(ctx: DemoContext) -> None:
    """Refit the best calibration on all calibration spectra; score the test split."""
    best = min(ctx.results, key=lambda r: r.rmsecv)
    model = clone(best.pipeline).fit(ctx.X_cal, ctx.y_cal)
    y_pred = np.ravel(model.predict(ctx.X_test))
    ctx.print(
        f"Best by RMSECV: {best.name}, {best.n_components} components, refitted on "
        f"the {len(ctx.y_cal)} calibration spectra."
    )
    rmsep = rmse(ctx.y_test, y_pred)
    r2 = r2_score(ctx.y_test, y_pred)
    ctx.print(f"Test split ({len(ctx.y_test)} spectra): RMSEP {rmsep:.3f}, R2 {r2:.4f}")
    ctx.print()


def _median_seconds(func: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def augmenters() -> list[tuple[str, object]]:
    """The preprocessings that ``ParallelFeatureAugmentation`` combines."""
    from sklearn_nirs.preprocessing import (
        Detrend,
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    return [
        ("snv", StandardNormalVariate()),
        ("msc", MultiplicativeScatterCorrection()),
        ("sg1", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
        ("sg2", SavitzkyGolay(window_length=15, polyorder=2, deriv=2)),
        ("detrend", Detrend()),
    ]


def section_augmentation(ctx: DemoContext) -> None:
    """Several preprocessings side by side, computed by ParallelFeatureAugmentation."""
    from sklearn_nirs import ParallelFeatureAugmentation

    steps = augmenters()
    n_jobs = -1 if ctx.n_jobs is None else ctx.n_jobs
    augment = ParallelFeatureAugmentation(steps, n_jobs=n_jobs)

    def sequential_loop():
        return np.hstack([clone(t).fit_transform(ctx.X_cal) for _, t in steps])

    # Alternate the two sides so machine drift hits both.
    repeats = 3 if ctx.quick else 15
    ours, loop = [], []
    for _ in range(repeats):
        ours.append(_median_seconds(lambda: augment.fit_transform(ctx.X_cal), 1))
        loop.append(_median_seconds(sequential_loop, 1))
    fitted = clone(augment).fit(ctx.X_cal)
    same = np.allclose(fitted.transform(ctx.X_cal), sequential_loop(), rtol=1e-12)
    t_ours, t_loop = float(np.median(ours)), float(np.median(loop))
    ctx.print(
        f"ParallelFeatureAugmentation of {len(steps)} preprocessings "
        f"({', '.join(name for name, _ in steps)}), n_jobs={n_jobs}:"
    )
    ctx.print(f"  backend chosen: {fitted.backend_}")
    ctx.print(
        f"  fit_transform {t_ours * 1e3:.1f} ms vs sequential loop + np.hstack "
        f"{t_loop * 1e3:.1f} ms (ratio {t_ours / t_loop:.2f}, median of {repeats}); "
        f"same output: {same}"
    )
    # The blocks differ in scale by orders of magnitude (derivatives are small),
    # so PLS autoscales here; otherwise it would see only the largest block.
    n_max = QUICK_MAX_COMPONENTS if ctx.quick else MAX_COMPONENTS
    result = cross_validate_pls(
        "augmented (5 blocks), PLS scale=True",
        [("augment", augment)],
        ctx.X_cal,
        ctx.y_cal,
        ctx.cv,
        range(1, n_max + 1),
        scale=True,
    )
    ctx.print(
        f"  PLS on the {fitted.output_slices_[steps[-1][0]].stop} augmented columns: "
        f"RMSECV {result.rmsecv:.3f} with {result.n_components} components"
    )
    ctx.print()


def _search_space(quick: bool):
    """Candidates for ParallelModelSearch and the equivalent GridSearchCV grid."""
    from sklearn.linear_model import Ridge

    n_max = QUICK_MAX_COMPONENTS if quick else MAX_COMPONENTS
    components = list(range(1, n_max + 1))
    alphas = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
    candidates, grid = [], []
    for name, steps in preprocessings(quick):
        prep = Pipeline(steps) if steps else "passthrough"
        slug = name.lower().replace(" + ", "_").replace(" ", "_").replace(".", "")
        candidates.append(
            (
                f"{slug}_pls",
                make_pipeline(steps, 1),
                {"pls__n_components": components},
            )
        )
        grid.append(
            {
                "prep": [prep],
                "model": [PLSRegression(scale=False)],
                "model__n_components": components,
            }
        )
    from sklearn_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

    ridge_steps = [
        ("snv", StandardNormalVariate()),
        ("sg", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
    ]
    candidates.append(
        (
            "snv_sg1_ridge",
            Pipeline([*ridge_steps, ("ridge", Ridge())]),
            {"ridge__alpha": alphas},
        )
    )
    grid.append(
        {"prep": [Pipeline(ridge_steps)], "model": [Ridge()], "model__alpha": alphas}
    )
    return candidates, grid


def section_search(ctx: DemoContext) -> None:
    """ParallelModelSearch: preprocessings x PLS sizes and ridge, vs GridSearchCV."""
    from sklearn.model_selection import GridSearchCV

    from sklearn_nirs import ParallelModelSearch

    n_jobs = -1 if ctx.n_jobs is None else ctx.n_jobs
    scoring = "neg_root_mean_squared_error"
    candidates, grid = _search_space(ctx.quick)
    search = ParallelModelSearch(candidates, scoring=scoring, cv=ctx.cv, n_jobs=n_jobs)
    gscv = GridSearchCV(
        Pipeline([("prep", "passthrough"), ("model", PLSRegression(scale=False))]),
        grid,
        scoring=scoring,
        cv=ctx.cv,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(ctx.X_cal, ctx.y_cal)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    gscv.fit(ctx.X_cal, ctx.y_cal)
    t_grid = time.perf_counter() - start
    res = search.cv_results_
    n_configs = len(res["params"])
    same = np.allclose(
        np.sort(res["mean_test_score"]), np.sort(gscv.cv_results_["mean_test_score"])
    )
    ctx.print(
        f"ParallelModelSearch: {len(candidates)} candidates, {n_configs} "
        f"configurations x {CV_FOLDS} folds, n_jobs={n_jobs}"
    )
    ctx.print(f"  backend chosen: {search.backend_}")
    ctx.print(
        f"  {t_ours:.2f} s vs GridSearchCV(n_jobs={n_jobs}) over the same grid "
        f"{t_grid:.2f} s ({t_grid / t_ours:.1f}x faster); same scores: {same}\n"
    )
    order = np.argsort(res["rank_test_score"], kind="stable")[:5]
    rows = [
        (
            str(res["rank_test_score"][i]),
            res["candidate"][i],
            ", ".join(f"{k.split('__')[-1]}={v}" for k, v in res["params"][i].items()),
            f"{-res['mean_test_score'][i]:.3f}",
            f"{res['std_test_score'][i]:.3f}",
        )
        for i in order
    ]
    headers = ("rank", "candidate", "parameters", "mean fold RMSE", "std")
    ctx.print(format_table(headers, rows, "><<>>"))
    y_pred = np.ravel(search.predict(ctx.X_test))
    ctx.print(
        f"\nSearch's best ({search.best_candidate_}, refitted): test RMSEP "
        f"{rmse(ctx.y_test, y_pred):.3f}, R2 {r2_score(ctx.y_test, y_pred):.4f}"
    )


# The demo runs these in order; later features append their own section.
SECTIONS: list[Callable[[DemoContext], None]] = [
    section_header,
    section_calibration,
    section_test,
    section_augmentation,
    section_search,
]


def run_demo(
    *,
    target: str = "fat",
    quick: bool = False,
    n_jobs: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Run every demo section on the Tecator data; return an exit status."""
    out = sys.stdout if out is None else out
    start = time.perf_counter()
    data = load_tecator(target=target)
    cal = data.split != "test"
    ctx = DemoContext(
        X_cal=data.data[cal],
        y_cal=data.target[cal],
        X_test=data.data[~cal],
        y_test=data.target[~cal],
        target=target,
        wavelengths=data.wavelengths,
        cv=KFold(n_splits=CV_FOLDS, shuffle=True, random_state=CV_SEED),
        quick=quick,
        n_jobs=n_jobs,
        out=out,
    )
    for section in SECTIONS:
        section(ctx)
    ctx.print(f"\nTotal time: {time.perf_counter() - start:.1f} s")
    return 0
