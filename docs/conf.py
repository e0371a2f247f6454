"""Sphinx configuration for the sklearn-nirs documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` from the repository
root (``pip install ".[docs]"`` first). The example gallery is executed from
``../examples`` at build time, so every figure on the site is made by code that
runs; ``-D plot_gallery=0`` skips that for a quick text-only build.

The build needs no network: intersphinx is not used, and references to
scikit-learn, numpy or scipy objects render as plain code text.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

import matplotlib

# The gallery and any figure code run headless.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

import sklearn_nirs  # noqa: E402

# -- Project information -----------------------------------------------------

project = "sklearn-nirs"
author = "The sklearn-nirs developers"
copyright = "2026, The sklearn-nirs developers"
release = sklearn_nirs.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes these next to the generated pages; they are
    # downloads, not pages.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.md5",
    "auto_examples/*.pickle",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.codeobj.json",
]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc -------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # numpydoc's Parameters section says it better

# numpydoc lists methods itself; autosummary stubs for every method would be
# noise for a small package.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# No type cross-references: they would need intersphinx (no network here).
numpydoc_xref_param_type = False


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Leave out the members a class inherits from scikit-learn itself.

    ``get_params``, ``set_output``, ``set_fit_request``... are documented by
    scikit-learn, and their docstrings point at labels of scikit-learn's own
    site (unresolvable offline). Members defined in sklearn-nirs, including
    those of its private base classes, stay. ``available_if`` descriptors are
    judged by the function they wrap.
    """
    if what != "class":
        return None
    func = getattr(obj, "fn", obj)  # available_if descriptors wrap ``fn``
    module = getattr(func, "__module__", None) or ""
    if module == "sklearn" or module.startswith("sklearn."):
        return True
    return None


_SHAPE = re.compile(r"shape \(([^)]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)\s]|$)")


def _normalize_docstring(app, what, name, obj, options, lines):
    """Quote ``(n_features_in_,)`` in shapes before numpydoc parses them.

    In ``ndarray of shape (n_features_in_,)`` the bare name ending in ``_``
    is a reST link target, an "unknown target" warning. scikit-learn writes
    ``(`n_features_in_`,)`` for this reason; the ``feature_names_in_``
    attributes of ``ParallelFeatureAugmentation`` and ``ParallelModelSearch``
    still use the bare form, so it is quoted here as literal text.
    """

    def quote(match: re.Match) -> str:
        inner = _TRAILING_UNDERSCORE.sub(r"``\1``", match.group(1))
        return f"shape ({inner})"

    lines[:] = [_SHAPE.sub(quote, line) for line in lines]


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _normalize_docstring, priority=100)


# -- MyST (Markdown pages) ----------------------------------------------------

myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# -- sphinx-gallery -----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Execute every plot_*.py script (the default pattern, spelled out).
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("sklearn_nirs",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklearn_nirs": None},
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
    "download_all_examples": True,
}

# Quiet, known-harmless warnings from examples executed inside the build
# (matplotlib font cache, Dask's "port in use" notice on a shared machine).
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently"
)
warnings.filterwarnings("ignore", message=".*Port 8787 is already in use.*")

# -- HTML output --------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-nirs {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {
    "index": [],
    "getting_started": [],
    "changelog": [],
    "tecator": [],
}
html_static_path = [p for p in ["_static"] if (HERE / p).is_dir()]
html_show_sourcelink = True
