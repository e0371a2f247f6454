"""The order in which the example gallery shows its scripts.

sphinx-gallery imports this by its dotted name (``gallery_order.ExampleOrder``)
so that the configuration stays picklable. Examples follow the path a new user
takes: preprocess, augment, search, validate, then pick a backend and scale
out. Scripts not listed here come after, by file name.
"""

from __future__ import annotations

from pathlib import Path

ORDER = (
    "plot_preprocessing_gallery.py",
    "plot_augmentation_pls_gridsearch.py",
    "plot_model_search.py",
    "plot_nested_cv.py",
    "plot_choosing_backend.py",
    "plot_dask_cluster.py",
)


class ExampleOrder:
    """Sort key: position in ``ORDER``, then file name."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        rank = ORDER.index(name) if name in ORDER else len(ORDER)
        return rank, name
