"""Present benchmark results: a Markdown table, JSON, and a PNG bar chart."""

from __future__ import annotations

import json
import math

TABLE_HEADER = (
    "Method",
    "Time (s), median [min-max]",
    "Speed-up",
    "Peak memory (MB)",
    "Memory vs sequential",
    "CPU utilization",
    "BLAS threads (main)",
    "Output = sequential",
)

_WORK_TITLES = {
    "augment": "augment: {augmenters} preprocessings, fit_transform and concatenate",
    "search": (
        "search: {augmenters} preprocessings x PLS n_components 1..{components}, "
        "5-fold CV"
    ),
}


def _fmt(value, spec: str, missing: str = "n/a") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


def _ratio(value) -> str:
    """``1.23x``; two significant digits below 0.1 (``0.0047x``, never ``0.00x``)."""
    if value is None:
        return "n/a"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def _equal_cell(row: dict) -> str:
    if row["equal"] is None:
        return "n/a"
    if row["equal"]:
        return "yes"
    return f"NO (max rel. diff {row['max_rel_diff']:.1e})"


def _blas_cell(row: dict) -> str:
    cell = _fmt(row["blas_threads"], "d")
    if row.get("worker_blas_threads"):
        cell += f" ({row['worker_blas_threads']} per worker)"
    return cell


def _method_cell(row: dict) -> str:
    label = row["label"]
    if row["method"].startswith("ours") and row.get("backend"):
        label += f" -> {row['backend']}"
    return label


def workload_title(results: dict, workload: str) -> str:
    """One line describing the data and the work of ``workload``."""
    s = results["settings"]
    shape = results["workloads"][workload].get("output_shape")
    if s["data"] == "tecator":
        data = "Tecator (215 x 100)"
    else:
        data = f"synthetic {s['samples']:,} x {s['wavelengths']:,}"
    components = s["components"]
    if workload == "search" and shape:
        components = shape[1]  # capped by the data's size
    title = _WORK_TITLES[workload].format(
        augmenters=s["augmenters"], components=components
    )
    start = "warm pools" if s.get("warmup") else "cold start"
    return (
        f"{title}; data {data}; n_jobs={s['n_jobs']}; {s['repeats']} repeat(s), "
        f"{start}; {results['machine']['cores']} cores"
    )


def markdown_table(results: dict, workload: str) -> str:
    """The Markdown table of one workload (the design note's columns, measured)."""
    lines = [
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "|".join("---" for _ in TABLE_HEADER) + "|",
    ]
    for row in results["workloads"][workload]["methods"]:
        if row["time_median"] is None:
            cells = [_method_cell(row), "failed", *["n/a"] * (len(TABLE_HEADER) - 2)]
        else:
            cells = [
                _method_cell(row),
                f"{row['time_median']:.3f} "
                f"[{row['time_min']:.3f}-{row['time_max']:.3f}]",
                _ratio(row["speedup"]),
                _fmt(row["peak_rss_mb"], ".0f"),
                _ratio(row["memory_vs_sequential"]),
                _fmt(row["cpu_utilization"], ".0%"),
                _blas_cell(row),
                _equal_cell(row),
            ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def markdown_report(results: dict) -> str:
    """Every workload's title and table, ready to paste into an issue."""
    parts = []
    for workload in results["workloads"]:
        parts.append(f"### {workload_title(results, workload)}\n")
        parts.append(markdown_table(results, workload) + "\n")
    m = results["machine"]
    v = m["versions"]
    blas = ", ".join(
        f"{b['internal_api']} {b['version']} ({b['num_threads']} threads)"
        for b in m["blas"]
    )
    parts.append(
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gb']} GB; "
        f"Python {v['python']}, numpy {v['numpy']}, scikit-learn {v['scikit-learn']}, "
        f"joblib {v['joblib']}; BLAS: {blas or 'none found'}.\n"
        "Time: the work only (data loading and Dask cluster start excluded), "
        "median of repeats. Memory: peak RSS of the process and its children, "
        "sampled. CPU utilization: (user + sys) / (wall x cores), children "
        "included.\n"
    )
    return "\n".join(parts)


def write_json(results: dict, path: str) -> None:
    """Write ``results`` as indented JSON to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, allow_nan=True)
        f.write("\n")


def write_plot(results: dict, path: str) -> None:
    """Save a PNG bar chart of time (with min-max) and peak memory per method."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "--plot needs matplotlib; install it with "
            '`pip install "sklearn-nirs[plot]"`.'
        ) from exc
    matplotlib.use("Agg")  # no display needed; only the PNG file is wanted
    import matplotlib.pyplot as plt

    workloads = list(results["workloads"])
    fig, axes = plt.subplots(
        len(workloads), 2, figsize=(13, 1.0 + 0.45 * 11 * len(workloads)), squeeze=False
    )
    for (ax_time, ax_mem), workload in zip(axes, workloads, strict=True):
        rows = [
            r for r in results["workloads"][workload]["methods"] if r["time_median"]
        ]
        labels = [_method_cell(r) for r in rows]
        ypos = range(len(rows))
        med = [r["time_median"] for r in rows]
        err = [
            [r["time_median"] - r["time_min"] for r in rows],
            [r["time_max"] - r["time_median"] for r in rows],
        ]
        ax_time.barh(ypos, med, xerr=err, color="tab:blue", capsize=3)
        ax_time.set_yticks(list(ypos), labels, fontsize=8)
        ax_time.invert_yaxis()
        ax_time.set_xlabel("time (s), median with min-max")
        ax_time.set_title(workload_title(results, workload), fontsize=8, loc="left")
        mem = [r["memory_vs_sequential"] or 0.0 for r in rows]
        ax_mem.barh(ypos, mem, color="tab:orange")
        ax_mem.axvline(1.0, color="grey", lw=0.8, ls="--")
        ax_mem.set_yticks(list(ypos), [""] * len(rows))
        ax_mem.invert_yaxis()
        ax_mem.set_xlabel("peak memory relative to the sequential loop")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
