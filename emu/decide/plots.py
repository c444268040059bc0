"""The report's figures, drawn with matplotlib and returned as inline SVG text, so the
page needs no files or network beside itself. Each function draws one figure."""

from __future__ import annotations

import io
from collections import defaultdict

from emu.decide.candidates import Candidate, variant_label
from emu.decide.constraints import Constraints
from emu.decide.quality import VariantQuality, metric_name
from emu.extras import require
from emu.results.record import Result

CHOSEN_STYLE = dict(marker="*", s=260, facecolors="none", edgecolors="black", linewidths=1.6, zorder=5)


def _pyplot():
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")  # no display here; also keeps the report the same on any machine
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "axes.titlesize": 10,
                         "svg.hashsalt": "emu"})  # stable ids: the same data gives the same page
    return plt


def to_svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML


def _board_colors(boards: list[str]) -> dict[str, tuple]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return {b: cmap(i % 10) for i, b in enumerate(sorted(boards))}


def _wide_range(values: list[float]) -> bool:
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > 20


TRADEOFFS = (("latency_ms", "latency per inference (ms)", "max_latency_ms", 1.0),
             ("ram_bytes", "RAM (KB)", "max_ram_bytes", 1 / 1024),
             ("energy_uj", "energy per inference (uJ)", "max_energy_uj", 1.0))


def tradeoff_figure(candidates: list[Candidate], constraints: Constraints, chosen: list[Candidate]) -> str | None:
    """Accuracy against latency, RAM and energy; the region meeting the constraints shaded."""
    scored = [c for c in candidates if c.quality is not None]
    if not scored:
        return None
    plt = _pyplot()
    colors = _board_colors([c.platform for c in scored])
    metric = constraints.metric
    y_scale = 100 if metric == "accuracy" else 1  # accuracy reads best in percent; ROC AUC as is
    y_title = metric_name(metric) + (" (%)" if metric == "accuracy" else "")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, (field, title, limit_name, scale) in zip(axes, TRADEOFFS):
        xs = [getattr(c, field) * scale for c in scored]
        for c, x in zip(scored, xs):
            ax.scatter(x, c.quality * y_scale, color=colors[c.platform], s=40, zorder=3,
                       label=c.platform, marker="o" if "int" in c.variant else "s")
            ax.annotate(c.variant, (x, c.quality * y_scale), textcoords="offset points", xytext=(5, 4), fontsize=7)
        for c in chosen:
            ax.scatter(getattr(c, field) * scale, c.quality * y_scale, **CHOSEN_STYLE)
        if _wide_range(xs):
            ax.set_xscale("log")
        floor = None if constraints.min_accuracy is None else constraints.min_accuracy * y_scale
        _shade_feasible(ax, getattr(constraints, limit_name), scale, floor)
        ax.set_xlabel(title)
        ax.set_ylabel(y_title)
        ax.grid(True, alpha=0.3)
        ax.set_title(f"{metric_name(metric)} vs {title.split(' (')[0]}")
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=min(len(unique), 6), frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.suptitle("Trade-offs (shaded: meets the constraints; star: recommended; circle: integer, square: other)",
                 fontsize=10)
    fig.tight_layout()
    return to_svg(fig)


def _shade_feasible(ax, limit, scale, floor) -> None:
    # Widen the axes to show the bounds themselves, so a reader sees how much room is left.
    if limit is not None:
        ax.update_datalim([(limit * scale, ax.dataLim.y0)])
    if floor is not None:
        ax.update_datalim([(ax.dataLim.x0, floor)])
    ax.margins(0.08)
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    right = min(limit * scale, x1) if limit is not None else x1
    bottom = max(floor, y0) if floor is not None else y0
    if right > x0 and bottom < y1:
        ax.fill_between([x0, right], bottom, y1, color="tab:green", alpha=0.12, zorder=0, linewidth=0)
    if limit is not None and x0 < limit * scale < x1:
        ax.axvline(limit * scale, color="tab:green", linestyle="--", linewidth=1)
    if floor is not None and y0 < floor < y1:
        ax.axhline(floor, color="tab:green", linestyle="--", linewidth=1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def confusion_figure(qualities: list[VariantQuality]) -> str | None:
    """Confusion matrices of the variants side by side (float and int8 of one model together)."""
    shown = sorted((q for q in qualities if q.confusion_matrix), key=lambda q: (q.model.rsplit("_", 1)[0], q.variant))
    if not shown:
        return None
    import numpy as np

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 4), squeeze=False)
    for ax, q in zip(axes[0], shown):
        m = np.array(q.confusion_matrix)
        ax.imshow(m, cmap="Blues")
        names = q.class_names or [str(i) for i in range(len(m))]
        ax.set_xticks(range(len(m)), names, fontsize=7)
        ax.set_yticks(range(len(m)), names, fontsize=7)
        for (i, j), v in np.ndenumerate(m):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=6,
                        color="white" if v > m.max() / 2 else "black")
        acc = q.metric.get("accuracy")
        ax.set_title(f"{variant_label(q.model, q.variant)}" + (f", accuracy {acc:.1%}" if acc is not None else ""))
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
    fig.tight_layout()
    return to_svg(fig)


def layer_figure(results: list[Result]) -> str | None:
    """Share of cycles by operator type for each variant on each board; totals on the right."""
    rows = [r for r in results if r.layers]
    if not rows:
        return None
    plt = _pyplot()
    ops = sorted({layer.op for r in rows for layer in r.layers})
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(rows) + 1.6))
    for y, r in enumerate(rows):
        by_op = defaultdict(int)
        for layer in r.layers:
            by_op[layer.op] += layer.cycles
        total = sum(by_op.values()) or 1
        left = 0.0
        for k, op in enumerate(ops):
            share = 100 * by_op.get(op, 0) / total
            ax.barh(y, share, left=left, color=cmap(k % 20), label=op if y == 0 else None)
            left += share
        ax.text(101, y, f"{r.cycles:,} cycles", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [f"{variant_label(r.model, r.variant)} @ {r.platform}" for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("share of the inference's cycles (%)")
    ax.set_title("Where the cycles go: per-layer cycles grouped by operator type")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=7, title="operator")
    fig.tight_layout()
    return to_svg(fig)


def board_figure(candidates: list[Candidate]) -> str:
    """Latency, energy (and battery life when known) per board, one bar per variant."""
    import numpy as np

    plt = _pyplot()
    boards = sorted({c.platform for c in candidates})
    labels = sorted({c.label for c in candidates})
    panels = [("latency_ms", "latency per inference (ms)"), ("energy_uj", "energy per inference (uJ)")]
    if any(c.battery_days is not None for c in candidates):
        panels.append(("battery_days", "battery life (days)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    width = 0.8 / max(len(labels), 1)
    for ax, (field, title) in zip(axes[0], panels):
        for k, label in enumerate(labels):
            values = []
            for b in boards:
                found = [c for c in candidates if c.platform == b and c.label == label]
                v = getattr(found[0], field) if found else None
                values.append(v if v is not None else np.nan)
            ax.bar(np.arange(len(boards)) + (k - (len(labels) - 1) / 2) * width, values, width, label=label)
        ax.set_xticks(range(len(boards)), boards, rotation=25, ha="right", fontsize=7)
        finite = [getattr(c, field) for c in candidates if getattr(c, field) not in (None, float("inf"))]
        if _wide_range(finite):
            ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Board comparison", fontsize=10)
    fig.tight_layout()
    return to_svg(fig)
