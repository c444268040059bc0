"""The report's interactive figures, built with Plotly and returned as HTML fragments that
draw themselves with the plotly.js the page carries once (no files, no network).

Every figure keys its colours by board and its marker symbols by variant through one
Styles value, so a board has the same colour in every chart of a report. Point labels
appear on hover only, and each axis range is computed to hold every point with a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emu.decide.candidates import Candidate
from emu.decide.constraints import Constraints
from emu.decide.numbers import readable
from emu.decide.quality import VariantQuality, format_quality, higher_is_better, metric_info, metric_name
from emu.extras import require
from emu.results.record import Result

# Okabe and Ito's colour-blind-safe set (yellow last: it reads poorly on white), then more.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B",
           "#7F7F7F", "#BCBD22", "#17BECF", "#F0E442")
# Plotly's marker symbol and the character that draws the same shape in the page's legend.
SYMBOLS = (("circle", "\u25cf"), ("square", "\u25a0"), ("diamond", "\u25c6"), ("triangle-up", "\u25b2"),
           ("triangle-down", "\u25bc"), ("star", "\u2605"), ("cross", "\u271a"), ("x", "\u2716"),
           ("triangle-left", "\u25c0"), ("triangle-right", "\u25b6"), ("circle-open", "\u25cb"),
           ("square-open", "\u25a1"))
CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12, "color": "#1b1f24"}
FEASIBLE = "rgba(26, 127, 55, 0.10)"
FEASIBLE_EDGE = "rgba(26, 127, 55, 0.8)"


@dataclass(frozen=True)
class Styles:
    """One colour per board and one marker symbol per variant, for every chart of a report."""

    colors: dict  # board -> colour
    symbols: dict  # variant label -> (plotly symbol, legend character)
    names: dict  # variant label -> the name shown: the variant alone when every row is of one model

    @classmethod
    def of(cls, boards, labelled: dict) -> Styles:
        """labelled: variant label -> (model, variant)."""
        labels = sorted(labelled)
        one_model = len({model for model, _ in labelled.values()}) == 1
        return cls({b: PALETTE[i % len(PALETTE)] for i, b in enumerate(sorted(set(boards)))},
                   {v: SYMBOLS[i % len(SYMBOLS)] for i, v in enumerate(labels)},
                   {v: labelled[v][1] if one_model else v for v in labels})


def latency_text(ms: float, band_pct: float | None) -> str:
    """'1.23 ms ±8%': a latency with the cycle model's stated error band."""
    return f"{readable(ms)} ms" + ("" if band_pct is None else f" \u00b1{band_pct:g}%")


def _go():
    return require("plotly.graph_objects")


def to_html(fig, div_id: str, height: int) -> str:
    """The figure as a <div> and the script that draws it; plotly.js itself is on the page once."""
    pio = require("plotly.io")
    fig.update_layout(font=FONT, height=height, autosize=True, paper_bgcolor="white", plot_bgcolor="white",
                      hoverlabel={"font_size": 12})
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG,
                       default_width="100%", default_height=f"{height}px")


def axis_range(values: list[float], log: bool) -> list[float]:
    """A range holding every value with 8% room either side (in log10 units on a log axis,
    as Plotly takes them)."""
    if log:
        values = [math.log10(v) for v in values]
    lo, hi = min(values), max(values)
    span = hi - lo or (0.3 if log else abs(hi) * 0.2 or 1.0)
    return [lo - 0.08 * span, hi + 0.08 * span]


def wide(values: list[float]) -> bool:
    """Log scale when the values span more than 20 times."""
    positive = [v for v in values if v and v > 0]
    return len(positive) == len(values) and bool(positive) and max(positive) / min(positive) > 20


def log_ticks(axis_range: list[float]) -> dict:
    """Ticks for a log axis at 1, 2 and 5 times each power of ten (only the powers when
    that gives too many), written out in full: Plotly's own minor labels read "2" for 0.2."""
    lo, hi = axis_range
    steps = (1, 2, 5) if hi - lo < 3 else (1,)
    values = [m * 10 ** e for e in range(math.floor(lo), math.ceil(hi) + 1) for m in steps
              if lo <= math.log10(m * 10 ** e) <= hi]
    return {"tickmode": "array", "tickvals": values, "ticktext": [readable(v) for v in values]}


def _axis_style(title: str) -> dict:
    return {"title": {"text": title, "standoff": 8}, "showgrid": True, "gridcolor": "#eaeef2", "zeroline": False,
                "showline": True, "linecolor": "#8c959f", "mirror": True, "automargin": True}


TRADEOFFS = (("latency_ms", "latency per inference (ms)", "max_latency_ms", 1.0),
             ("ram_bytes", "RAM (KB)", "max_ram_bytes", 1 / 1024),
             ("flash_bytes", "flash (KB)", "max_flash_bytes", 1 / 1024),
             ("energy_uj", "energy per inference (uJ)", "max_energy_uj", 1.0))


def quality_axis(metric: str) -> tuple[float, str]:
    """The scale quality values are drawn at and the axis title, with the metric's direction."""
    info = metric_info(metric)
    scale = 100.0 if info.percent else 1.0
    unit = " (%)" if info.percent else ""
    return scale, f"{metric_name(metric)}{unit}, {'higher' if info.higher_is_better else 'lower'} is better"


def tradeoff_figures(candidates: list[Candidate], constraints: Constraints, chosen: list[Candidate],
                     styles: Styles, bands: dict) -> list[tuple[str, object]]:
    """Quality against latency, RAM, flash and energy, one figure each, with the region that
    meets the constraints shaded. bands: (model, variant, board) -> stated latency band in %."""
    scored = [c for c in candidates if c.quality is not None]
    if not scored:
        return []
    go = _go()
    metric = constraints.metric
    y_scale, y_title = quality_axis(metric)
    better_higher = higher_is_better(metric)
    bound = constraints.min_accuracy if better_higher else constraints.max_error
    y_bound = None if bound is None else bound * y_scale
    ys = [c.quality * y_scale for c in scored]
    y_range = axis_range(ys + ([y_bound] if y_bound is not None else []), log=False)
    chosen_keys = {(c.model, c.variant, c.platform) for c in chosen}
    figures = []
    for field, title, limit_name, scale in TRADEOFFS:
        limit = getattr(constraints, limit_name)
        x_limit = None if limit is None else limit * scale
        xs = [getattr(c, field) * scale for c in scored]
        log = wide(xs + ([x_limit] if x_limit else []))
        x_range = axis_range(xs + ([x_limit] if x_limit is not None else []), log)
        fig = go.Figure()
        fig.add_trace(_feasible_region(x_range, y_range, log, x_limit, y_bound, better_higher))
        for c, x, y in zip(scored, xs, ys, strict=True):
            cost = (latency_text(c.latency_ms, bands.get((c.model, c.variant, c.platform)))
                    if field == "latency_ms" else f"{readable(x)} {title.split('(')[-1].rstrip(')')}")
            fig.add_trace(go.Scatter(
                x=[x], y=[y], mode="markers", name=f"{styles.names[c.label]} on {c.platform}", showlegend=False,
                marker={"color": styles.colors[c.platform], "symbol": styles.symbols[c.label][0], "size": 11,
                            "line": {"color": "white", "width": 1}},
                hovertext=[(f"<b>{styles.names[c.label]}</b> on {c.platform}<br>{metric_name(metric)} "
                            f"{format_quality(metric, c.quality)}<br>{title.split(' (')[0]} {cost}")],
                hovertemplate="%{hovertext}<extra></extra>"))
        picked = [(x, y) for c, x, y in zip(scored, xs, ys, strict=True)
                  if (c.model, c.variant, c.platform) in chosen_keys]
        if picked:
            fig.add_trace(go.Scatter(x=[p[0] for p in picked], y=[p[1] for p in picked], mode="markers",
                                     name="recommended", showlegend=False, hoverinfo="skip",
                                     marker={"symbol": "circle-open", "size": 22, "color": "#1b1f24",
                                             "line": {"width": 2}}))
        fig.update_layout(title={"text": f"{metric_name(metric)} against {title.split(' (')[0]}", "x": 0.02,
                                 "font_size": 14},
                          margin={"l": 10, "r": 16, "t": 44, "b": 10}, hovermode="closest",
                          xaxis=dict(_axis_style(title), type="log" if log else "linear", range=x_range,
                                     **(log_ticks(x_range) if log else {})),
                          yaxis=dict(_axis_style(y_title), range=y_range))
        figures.append((field, fig))
    return figures


def _feasible_region(x_range, y_range, log, x_limit, y_bound, better_higher):
    """The part of the plot that meets the constraints, as a filled polygon in data units."""
    go = _go()
    left, right = (10 ** v for v in x_range) if log else x_range
    bottom, top = y_range
    if x_limit is not None:
        right = min(right, x_limit)
    if y_bound is not None:
        if better_higher:
            bottom = max(bottom, y_bound)
        else:
            top = min(top, y_bound)
    return go.Scatter(x=[left, right, right, left, left], y=[bottom, bottom, top, top, bottom], mode="lines",
                      fill="toself", fillcolor=FEASIBLE, line={"color": FEASIBLE_EDGE, "width": 1, "dash": "dash"},
                      hoverinfo="skip", showlegend=False, name="meets the constraints")


def board_figures(candidates: list[Candidate], styles: Styles, bands: dict) -> list[tuple[str, object, int]]:
    """Latency (with the cycle model's error band), energy and, under a duty cycle, battery
    life: for each variant one horizontal bar per board (the variants' names read across,
    also on a phone). Returns (field, figure, height in px)."""
    go = _go()
    boards = sorted({c.platform for c in candidates})
    labels = sorted({c.label for c in candidates}, reverse=True)  # Plotly draws the first category at the bottom
    panels = [("latency_ms", "latency per inference (ms)", "ms"), ("energy_uj", "energy per inference (uJ)", "uJ")]
    if any(c.battery_days not in (None, math.inf) for c in candidates):
        panels.append(("battery_days", "battery life (days)", "days"))
    height = max(260, 110 + len(labels) * (len(boards) * 9 + 12))
    figures = []
    for field, title, unit in panels:
        fig = go.Figure()
        values = []
        for board in reversed(boards):  # so that the boards read top to bottom in name order
            row = {c.label: c for c in candidates if c.platform == board}
            xs = [None if label not in row or getattr(row[label], field) in (None, math.inf)
                  else getattr(row[label], field) for label in labels]
            values += [x for x in xs if x is not None]
            hover = []
            for label, x in zip(labels, xs, strict=True):
                if x is None:
                    hover.append(f"{styles.names[label]} on {board}: not measured")
                    continue
                c = row[label]
                shown = latency_text(x, bands.get((c.model, c.variant, board))) if field == "latency_ms" \
                    else f"{readable(x)} {unit}"
                hover.append(f"<b>{styles.names[label]}</b> on {board}<br>{title.split(' (')[0]} {shown}")
            band = None
            if field == "latency_ms":
                known = [bands.get((c.model, c.variant, board)) for c in row.values()]
                band = next((b for b in known if b is not None), None)
            fig.add_trace(go.Bar(y=[styles.names[label] for label in labels], x=xs, name=board, orientation="h",
                                 marker_color=styles.colors[board], hovertext=hover,
                                 hovertemplate="%{hovertext}<extra></extra>",
                                 error_x=None if band is None else {"type": "percent", "value": band, "thickness": 1,
                                                                        "width": 2, "color": "#57606a"}))
        log = wide(values)
        x_axis = dict(_axis_style(title), type="log" if log else "linear")
        if values:
            ends = [v * (1 + max(bands.values(), default=0) / 100) for v in values] if field == "latency_ms" else values
            x_axis["range"] = axis_range(values + ends, log) if log else [0, max(ends) * 1.08]
            if log:
                x_axis.update(log_ticks(x_axis["range"]))
        fig.update_layout(title={"text": title.split(" (")[0] + (" (log scale)" if log else ""), "x": 0.02,
                                 "font_size": 14},
                          barmode="group", bargap=0.18, margin={"l": 10, "r": 16, "t": 44, "b": 10}, showlegend=False,
                          xaxis=x_axis, yaxis=dict(_axis_style(""), showgrid=False))
        figures.append((field, fig, height))
    return figures


def confusion_figure(q: VariantQuality, label: str):
    """One confusion matrix as a heatmap; hovering a cell gives its count and its share of
    the true class."""
    go = _go()
    matrix = [[int(v) for v in row] for row in q.confusion_matrix]
    names = [str(n) for n in (q.class_names or range(len(matrix)))]
    share = [[v / (sum(row) or 1) for v in row] for row in matrix]
    acc = q.metric.get("accuracy")
    fig = go.Figure(go.Heatmap(
        z=matrix, x=names, y=names, customdata=share, colorscale="Blues", showscale=False, xgap=1, ygap=1,
        texttemplate="%{z}", textfont={"size": 11},
        hovertemplate="true %{y}, predicted %{x}<br>%{z} samples<br>%{customdata:.1%} of true %{y}<extra></extra>"))
    fig.update_layout(title={"text": label + ("" if acc is None else f", accuracy {acc:.1%}"), "x": 0.02,
                             "font_size": 14},
                      margin={"l": 10, "r": 10, "t": 44, "b": 10},
                      xaxis={"title": {"text": "predicted class", "standoff": 6}, "type": "category", "side": "bottom",
                                 "constrain": "domain", "automargin": True},
                      yaxis={"title": {"text": "true class", "standoff": 6}, "type": "category",
                                 "autorange": "reversed",
                                 "scaleanchor": "x", "constrain": "domain", "automargin": True})
    return fig


def layer_figure(results: list[Result], styles: Styles, labels: dict, shown: str):
    """Cycles per layer, one bar per board, for one variant at a time: every variant's bars
    are in the figure (trace `meta` names the variant), and only those of `shown` are visible."""
    go = _go()
    fig = go.Figure()
    for r in sorted((r for r in results if r.layers), key=lambda r: (labels[id(r)], r.platform)):
        label = labels[id(r)]
        total = sum(layer.cycles for layer in r.layers) or 1
        fig.add_trace(go.Bar(
            x=[f"{layer.index} {layer.op}" for layer in r.layers], y=[layer.cycles for layer in r.layers],
            name=r.platform, meta=label, visible=label == shown, marker_color=styles.colors[r.platform],
            hovertext=[f"<b>layer {layer.index}, {layer.op}</b><br>{styles.names[label]} on {r.platform}<br>"
                       f"{layer.cycles:,} cycles "
                       f"({100 * layer.cycles / total:.1f}% of the inference)<br>{layer.instructions:,} instructions"
                       for layer in r.layers],
            hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(title={"text": "cycles per layer", "x": 0.02, "font_size": 14}, barmode="group",
                      margin={"l": 10, "r": 16, "t": 44, "b": 10}, showlegend=False,
                      xaxis=dict(_axis_style("layer"), type="category", tickangle=-30),
                      yaxis=dict(_axis_style("cycles"), rangemode="tozero"))
    return fig
