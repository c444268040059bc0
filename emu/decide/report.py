"""The report a run leaves behind: reports/<run>/index.html, one self-contained page
(inline CSS, plotly.js carried once, interactive figures, no network), and report.md
beside it for pull requests.

The page reads top to bottom as a decision: what to ship and why, every result in a
sortable table with each missed constraint marked, quality against each cost, the
confusion matrices, where the cycles go layer by layer, and the boards side by side.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import emu
from emu.cache import atomic_write, ensure_folder
from emu.decide import plots
from emu.decide.candidates import Candidate, variant_label
from emu.decide.explain import (
    basis_suffix,
    battery_text,
    constraint_summary,
    decision_preamble,
    headline,
    model_title,
    preference_phrase,
    quality_notice,
    takes_nothing_text,
)
from emu.decide.gate import FAILING, field_title, format_value
from emu.decide.numbers import readable
from emu.decide.quality import format_quality, metric_name
from emu.decide.recommend import BoardDecision, Recommendation, describe_miss, misses
from emu.decide.report_input import ReportInput, with_band
from emu.decide.report_md import render_markdown
from emu.extras import require

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1250px;
       color: #1b1f24; padding: 0 1rem; line-height: 1.45; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.decision { background: #e9f7ef; border-left: 6px solid #1a7f37; padding: .8rem 1rem; font-size: 1.1rem; }
.decision.none, .decision.warn { background: #fff1f0; border-left-color: #cf222e; }
.muted { color: #57606a; } .small { font-size: .85rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: right; vertical-align: top; white-space: nowrap; }
th { background: #f6f8fa; } td.text, th.text { text-align: left; } td.wrap { white-space: normal; min-width: 16rem; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: ' \\2195'; color: #8c959f; }
table.sortable th[aria-sort=ascending]::after { content: ' \\2191'; color: #1b1f24; }
table.sortable th[aria-sort=descending]::after { content: ' \\2193'; color: #1b1f24; }
tr.chosen td { background: #dafbe1; font-weight: 600; }
td.miss { background: #ffebe9; color: #a40e26; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(280px, 100%), 1fr)); gap: .8rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; border-top: 5px solid var(--c); }
.card h3 { margin: 0 0 .3rem; font-size: 1rem; } .card ul { margin: .2rem 0; padding-left: 1.1rem; }
.card .verdict { font-weight: 600; } .card .none { color: #cf222e; }
details summary { cursor: pointer; color: #0969da; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(var(--w, 340px), 100%), 1fr)); gap: 1rem; }
.grid > * { min-width: 0; }
.key { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .85rem; margin: .4rem 0 .6rem; }
.key b { font-weight: 600; margin-right: -.4rem; } .key i { font-style: normal; font-size: 1.05rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: -1px;
          margin-right: .25rem; }
.region { display: inline-block; width: 1.1rem; height: .8rem; background: rgba(26, 127, 55, .15);
          border: 1px dashed rgba(26, 127, 55, .8); vertical-align: -1px; margin-right: .25rem; }
.plot { min-height: 200px; }
table.classes { font-size: .72rem; margin-top: .3rem; }
table.classes th, table.classes td { padding: .1rem .2rem; }
select { font-size: .95rem; padding: .2rem; max-width: 100%; }
.fail { color: #cf222e; font-weight: 600; } .pass { color: #1a7f37; font-weight: 600; }
@media (max-width: 640px) {
  body { margin: 1rem auto; padding: 0 .6rem; } h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; }
  .decision { font-size: 1rem; } table { font-size: .78rem; } td.wrap { min-width: 12rem; }
}
"""

# Records script errors and how many figures were drawn, for a headless browser (and a
# curious reader's console) to read; sorts tables on a header click; switches the
# per-layer view between variants.
PAGE_SCRIPT = """
window.addEventListener('error', function (e) {
  document.body.dataset.errors = (document.body.dataset.errors || '') + e.message + ';';
});
function emuSortable(table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener('click', function () {
      var up = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y), c;
        if (isNaN(nx) || isNaN(ny)) {  /* unknown values last, text by its letters */
          c = (isNaN(nx) && isNaN(ny)) ? String(x).localeCompare(String(y)) : (isNaN(nx) ? 1 : -1);
          if (!(isNaN(nx) && isNaN(ny))) { return c; }
        } else { c = nx - ny; }
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
}
function emuShowLayers(label) {
  var figure = document.getElementById('fig-layers');
  if (figure && figure.data) {
    Plotly.restyle(figure, {visible: figure.data.map(function (t) { return t.meta === label; })});
  }
  document.querySelectorAll('.layer-table').forEach(function (t) { t.hidden = t.dataset.variant !== label; });
}
window.addEventListener('load', function () {
  document.querySelectorAll('table.sortable').forEach(emuSortable);
  var pick = document.getElementById('layer-variant');
  if (pick) { pick.addEventListener('change', function () { emuShowLayers(pick.value); }); }
  var plots = document.querySelectorAll('.js-plotly-plot'), shown = 0;
  plots.forEach(function (p) {
    var svg = p.querySelector('.main-svg'), box = svg && svg.getBoundingClientRect();
    if (box && box.width > 50 && box.height > 50) { shown += 1; }
  });
  document.body.dataset.figures = String(plots.length);
  document.body.dataset.figuresShown = String(shown);
});
"""


def esc(text) -> str:
    return html.escape(str(text))


class Page:
    """What the sections share: the styles keyed by board and variant, each row's latency band."""

    def __init__(self, data: ReportInput):
        self.data = data
        self.constraints = data.constraints
        self.metric = self.constraints.metric
        self.by_key = {(r.model, r.variant, r.platform): r for r in data.results}
        self.bands = data.latency_bands()
        labelled = {variant_label(r.model, r.variant): (r.model, r.variant) for r in data.results}
        labelled.update({c.label: (c.model, c.variant) for c in data.candidates})
        self.styles = plots.Styles.of([c.platform for c in data.candidates] + [r.platform for r in data.results],
                                      labelled)
        self.chosen = {(c.model, c.variant, c.platform) for c in data.chosen()}

    def band(self, c: Candidate) -> float | None:
        return self.bands.get((c.model, c.variant, c.platform))

    def reasons(self, c: Candidate, reasons: list[str]) -> str:
        """Why a candidate lost, its latency with its error band."""
        return with_band("; ".join(reasons), c.latency_ms, self.band(c))

    def board_name(self, board: str) -> str:
        return f"<span class='swatch' style='background:{self.styles.colors.get(board, '#999')}'></span>{esc(board)}"

    def variant_name(self, label: str) -> str:
        symbol = self.styles.symbols.get(label)
        return (f"<i aria-hidden='true'>{symbol[1]}</i> " if symbol else "") + esc(self.styles.names.get(label, label))

    def key(self, boards: bool = True, variants: bool = False, region: bool = False) -> str:
        parts = []
        if boards:
            parts += ["<b>boards:</b>"] + [f"<span>{self.board_name(b)}</span>" for b in self.styles.colors]
        if variants:
            parts += ["<b>variants:</b>"] + [f"<span>{self.variant_name(v)}</span>" for v in self.styles.symbols]
        if region:
            parts += ["<span><i>\u25cb</i> recommended</span>",
                      "<span><span class='region'></span>meets the constraints</span>"]
        return f"<div class='key'>{''.join(parts)}</div>"


def figure_html(fig, div_id: str, height: int) -> str:
    return f"<div class='plot'>{plots.to_html(fig, div_id, height)}</div>"


def recommendation_parts(page: Page, rec: Recommendation) -> list[str]:
    """A recommendation's warning, decision and constraints."""
    notice = quality_notice(rec)
    decision = headline(rec) if rec.overall is None else with_band(headline(rec), rec.overall.latency_ms,
                                                                   page.band(rec.overall))
    return [f"<p class='decision warn'><strong>{esc(notice)}</strong></p>" if notice else "",
            f"<p class='decision{'' if rec.overall else ' none'}'><strong>Decision.</strong> {esc(decision)}</p>",
            (f"<p>Constraints: {esc(constraint_summary(rec))}. Among the variants that fit: "
             f"{esc(preference_phrase(rec.prefer, page.metric))}.</p>")]


def board_cards(page: Page, rec: Recommendation) -> str:
    return "<div class='cards'>" + "".join(board_card(page, d) for d in rec.boards) + "</div>"


def decision_section(page: Page) -> str:
    data = page.data
    sections = data.decision.sections
    preamble = decision_preamble(data.decision)
    parts = [f"<h1>{esc(data.title)}</h1>",
             f"<p class='muted'>{esc(data.description)}</p>" if data.description else "",
             f"<p><strong>{esc(preamble)}</strong></p>" if preamble else ""]
    if len(sections) == 1:
        parts += recommendation_parts(page, sections[0].recommendation)
    cores = sorted({(r.core, page.bands[k]) for k, r in page.by_key.items() if page.bands[k] is not None})
    if cores:
        parts.append("<p class='muted small'>Latency and energy come from emulated cycles; the cycle model states its "
                     "error per core: " + ", ".join(f"{esc(core)} \u00b1{band:g}%" for core, band in cores)
                     + " (docs/timing.md, 'Uncertainty').</p>")
    if data.duty:
        d = data.duty
        sleep = f"{d.sleep_current_ua:g} uA" if d.sleep_current_ua is not None else "each board's own sleep current"
        parts.append(f"<p>Duty cycle: one inference every {d.period_s:g} s, {sleep} between inferences, "
                     f"battery {d.battery_mah:g} mAh at {d.battery_v:g} V (lossless regulator assumed).</p>")
    if len(sections) == 1:
        parts.append("<h2>Per board</h2>" + board_cards(page, sections[0].recommendation))
    else:
        for s in sections:
            parts += [f"<h2>{esc(model_title(s.model))}</h2>", *recommendation_parts(page, s.recommendation),
                      "<h3>Per board</h3>" + board_cards(page, s.recommendation)]
    return "\n".join(p for p in parts if p)


def candidate_figures(page: Page, c: Candidate) -> str:
    items = []
    if c.quality is not None:
        items.append(f"{metric_name(page.metric)} {format_quality(page.metric, c.quality)}")
    items += [f"latency {plots.latency_text(c.latency_ms, page.band(c))}",
              f"energy {readable(c.energy_uj)} uJ{basis_suffix(c)}",
              f"flash {c.flash_bytes / 1024:.1f} KB", f"RAM {c.ram_bytes / 1024:.1f} KB"]
    if c.battery_days is not None:
        items.append(f"battery life {battery_text(c)}")
    return ", ".join(items)


def board_card(page: Page, d: BoardDecision) -> str:
    result = next((r for r in page.data.results if r.platform == d.board), None)
    core = "" if result is None else (f"<div class='muted small'>{esc(result.core)}, "
                                      f"{'FPU' if result.fpu else 'no FPU'}, {result.clock_hz / 1e6:g} MHz</div>")
    if d.chosen:
        verdict = (f"<p><span class='verdict'>Choose {page.variant_name(d.chosen.label)}</span>: "
                   f"{esc(candidate_figures(page, d.chosen))}</p>")
    else:
        verdict = "<p class='verdict none'>Nothing fits.</p>"
        if d.closest:
            verdict += (f"<p>Closest: {page.variant_name(d.closest.candidate.label)}, which misses by: "
                        f"{esc(page.reasons(d.closest.candidate, d.closest.reasons))}</p>")
    if d.takes_nothing:
        verdict = f"<p class='verdict none'>Nothing fits: {esc(takes_nothing_text(d))}.</p>"
    others = [r for r in d.rejected if r is not d.closest]
    lost = ""
    if others:
        lost = (f"<details><summary>why the other {len(others)} lost</summary><ul>"
                + "".join(f"<li>{page.variant_name(r.candidate.label)}: "
                          f"{esc(page.reasons(r.candidate, r.reasons))}</li>" for r in others)
                + "</ul></details>")
    if d.unplaced and not d.takes_nothing:
        lost += (f"<p>Does not fit or cannot run here ({len(d.unplaced)}):</p><ul>"
                 + "".join(f"<li>{page.variant_name(u.label)}: {esc(u.status)}: {esc(u.reason)}</li>"
                           for u in d.unplaced) + "</ul>")
    color = page.styles.colors.get(d.board, "#999")
    return f"<div class='card' style='--c:{color}'><h3>{page.board_name(d.board)}</h3>{core}{verdict}{lost}</div>"


def _cell(text: str, value, kind: str = "", miss: str | None = None) -> str:
    classes = " ".join(x for x in (kind, "miss" if miss else "") if x)
    attrs = f" class='{classes}'" if classes else ""
    if miss:
        attrs += f" title='{esc(miss)}'"
    return f"<td{attrs} data-v='{esc('' if value is None else value)}'>{text}</td>"


def results_table(page: Page) -> str:
    constraints = page.constraints
    battery = any(c.battery_days is not None for c in page.data.candidates)
    one_model = len({c.model for c in page.data.candidates}) == 1
    heads = ["board", "variant" if one_model else "model/variant", metric_name(page.metric),
             "latency (ms)", "energy (uJ)", "flash (KB)",
             "weights (KB)", "RAM (KB)"] + (["battery life"] if battery else []) + ["output = TFLM", "verdict"]
    rows = []

    for c in page.data.candidates:
        missed = {}
        for limit in constraints.limits():
            value = getattr(c, limit.field)
            if limit.shortfall(value) > 0:
                missed[limit.field] = describe_miss(limit, value, page.metric)
        reasons, _ = misses(c, constraints)
        key = (c.model, c.variant, c.platform)
        chosen = key in page.chosen
        verdict = "recommended" if chosen else ("fits" if not reasons else "no: " + page.reasons(c, reasons))
        band = page.band(c)
        cells = [
            _cell(page.board_name(c.platform), c.platform, "text"),
            _cell(page.variant_name(c.label), c.label, "text"),
            _cell("-" if c.quality is None else esc(format_quality(page.metric, c.quality)), c.quality, "",
                  missed.get("quality")),
            _cell(esc(readable(c.latency_ms)) + ("" if band is None else f" <span class='muted'>"
                                                                         f"\u00b1{band:g}%</span>"),
                  c.latency_ms, "", missed.get("latency_ms")),
            _cell(esc(readable(c.energy_uj)) + (" <span class='muted'>assumed</span>" if c.energy_assumed else ""),
                  c.energy_uj, "", missed.get("energy_uj")),
            _cell(f"{c.flash_bytes / 1024:.1f}", c.flash_bytes, "", missed.get("flash_bytes")),
            _cell(f"{c.weight_bytes / 1024:.1f}", c.weight_bytes, ""),
            _cell(f"{c.ram_bytes / 1024:.1f}", c.ram_bytes, "", missed.get("ram_bytes")),
        ]
        if battery:
            days = c.battery_days
            cells.append(_cell("-" if days is None else esc(battery_text(c)),
                               None if days is None else (1e12 if days == float("inf") else days), "",
                               missed.get("battery_days")))
        matches = {True: "yes", False: "no", None: "-"}[c.output_matches_reference]
        cells.append(_cell(matches, matches, "text", "its output differs from the reference interpreter's"
                           if c.output_matches_reference is False else None))
        cells.append(_cell(esc(verdict), f"{0 if chosen else (1 if not reasons else 2)} {verdict}", "text wrap"))
        rows.append(f"<tr class='{'chosen' if chosen else ('fits' if not reasons else 'rejected')}'>"
                    f"{''.join(cells)}</tr>")
    head = "".join(f"<th class='{'text' if i < 2 or i >= len(heads) - 2 else ''}' scope='col'>{esc(h)}</th>"
                   for i, h in enumerate(heads))
    return ("<h2>All results</h2><p class='muted small'>One row per variant and board; click a header to sort. "
            "A red cell misses a constraint (hover it for by how much).</p>"
            f"<div class='scroll'><table class='sortable' id='results'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            "<p class='muted small'>Latency and energy per inference from emulated cycles and each board's clock and "
            "power model (marked assumed where the board file marks its power figures as assumptions); flash and "
            "RAM from the linked firmware (RAM includes the measured peak stack). Quality is "
            "measured on the host with the TFLM interpreter on held-out data.</p>")


def gate_html(data: ReportInput) -> str:
    v = data.verdict
    if v is None:
        return ""
    state = ("<span class='pass'>passed</span>" if v.passed
             else f"<span class='fail'>failed: {esc(v.summary().removeprefix('FAILED, '))}</span>")
    rows = "".join(
        f"<tr class='{'rejected' if c.status in FAILING else ''}'>"
        f"<td class='text'>{esc(c.key[0])}/{esc(c.key[1])}</td>"
        f"<td class='text'>{esc(c.key[2])}</td><td class='text'>{esc(field_title(c.field))}</td>"
        f"<td>{esc(format_value(c.field, c.before))}</td><td>{esc(format_value(c.field, c.after))}</td>"
        f"<td>{'-' if c.percent is None else f'{c.percent:+.2f}%'}</td><td>{esc(v.tolerance_text(c.field))}</td>"
        f"<td class='text'>{esc(c.status)}</td></tr>" for c in v.changes)
    note = v.quality_note()
    return (f"<h2>Gate against the baseline: {state}</h2><div class='scroll'><table><thead><tr>"
            f"<th class='text'>model/variant</th>"
            f"<th class='text'>board</th><th class='text'>metric</th><th>baseline</th><th>now</th><th>change</th>"
            f"<th>allowed</th><th class='text'>verdict</th></tr></thead><tbody>{rows}</tbody></table></div>"
            + (f"<p class='muted small'>Note: {esc(note)}.</p>" if note else ""))


def tradeoff_section(page: Page) -> str:
    chosen = page.data.chosen()
    figures = plots.tradeoff_figures(page.data.candidates, page.constraints, chosen, page.styles, page.bands)
    title = f"<h2>{esc(metric_name(page.metric))} against cost</h2>"
    if not figures:
        return title + ("<p class='muted'>No quality figures for these variants (give a variants.json, or a metric "
                        "in the scenario), so no trade-off plots.</p>")
    return (title + "<p class='muted small'>Each point is a variant on a board; hover a point for its name and "
            "figures. The shaded region meets the constraints.</p>" + page.key(variants=True, region=True)
            + "<div class='grid' style='--w:460px'>"
            + "".join(figure_html(fig, f"fig-tradeoff-{field}", 380) for field, fig in figures) + "</div>")


def class_scores(matrix: list[list[int]]) -> tuple[list[float | None], list[float | None]]:
    """Per-class precision (of what was predicted as the class, the share that was it) and
    recall (of the class's samples, the share found)."""
    n = len(matrix)
    predicted = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    precision = [matrix[j][j] / predicted[j] if predicted[j] else None for j in range(n)]
    recall = [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]
    return precision, recall


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def confusion_section(page: Page) -> str:
    def order(q):  # float first, then int8, then the other variants: the comparison most want
        return ({"fp32": 0, "int8": 1}.get(q.variant, 2), variant_label(q.model, q.variant))

    shown = sorted((q for q in page.data.qualities if q.confusion_matrix), key=order)
    title = "<h2>Confusion matrices</h2>"
    if not shown:
        return title + "<p class='muted'>No confusion matrices for these variants.</p>"
    cells = []
    for i, q in enumerate(shown):
        label = variant_label(q.model, q.variant)
        names = [str(n) for n in (q.class_names or range(len(q.confusion_matrix)))]
        precision, recall = class_scores(q.confusion_matrix)
        scores = ("<div class='scroll'><table class='classes'><thead><tr><th class='text'>class</th>"
                  + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr></thead><tbody>"
                  + "<tr><th class='text'>precision</th>"
                  + "".join(f"<td>{_share(p)}</td>" for p in precision) + "</tr>"
                  + "<tr><th class='text'>recall</th>" + "".join(f"<td>{_share(r)}</td>" for r in recall) + "</tr>"
                  + "</tbody></table></div>")
        cells.append("<div>" + figure_html(plots.confusion_figure(q, page.styles.names.get(label, label)),
                                           f"fig-confusion-{i}", 400) + scores + "</div>")
    return (title + "<p class='muted small'>On the same held-out data; rows are the true class, columns the "
            "predicted one. Hover a cell for its count and its share of the true class.</p>"
            + "<div class='grid' style='--w:340px'>" + "".join(cells) + "</div>")


def layer_section(page: Page) -> str:
    rows = [r for r in page.data.results if r.layers]
    title = "<h2>Per-layer cycles</h2>"
    if not rows:
        return title + "<p class='muted'>No per-layer cycles in these results.</p>"
    labels = {id(r): variant_label(r.model, r.variant) for r in rows}
    variants = sorted(set(labels.values()))
    overalls = [s.recommendation.overall.label for s in page.data.decision.sections if s.recommendation.overall]
    shown = next((label for label in overalls if label in variants), variants[0])
    options = "".join(f"<option value='{esc(v)}'{' selected' if v == shown else ''}>"
                      f"{esc(page.styles.names[v])}</option>"
                      for v in variants)
    tables = []
    for label in variants:
        mine = sorted((r for r in rows if labels[id(r)] == label), key=lambda r: r.platform)
        layers, macs = {}, {}
        for r in mine:
            for layer in r.layers:
                layers.setdefault(layer.index, layer.op)
                macs[layer.index] = max(macs.get(layer.index, 0), layer.macs)
        head = ("<tr><th rowspan='2'>layer</th><th rowspan='2' class='text'>op</th><th rowspan='2'>MACs</th>"
                + "".join(f"<th colspan='6' class='text'>{page.board_name(r.platform)} <span class='muted'>arena "
                          f"{r.arena_bytes:,} B, peak stack {r.stack_bytes:,} B</span></th>" for r in mine)
                + "</tr><tr>"
                + ("<th class='text'>kernel</th><th>instructions</th><th>cycles</th><th>cycles / instr.</th>"
                   "<th>cycles / MAC</th><th>share</th>") * len(mine) + "</tr>")
        body = []
        for index, op in sorted(layers.items()):
            cells = [f"<td>{index}</td>", f"<td class='text'>{esc(op)}</td>",
                     f"<td>{macs[index]:,}</td>" if macs[index] else "<td>-</td>"]
            for r in mine:
                layer = next((x for x in r.layers if x.index == index), None)
                total = sum(x.cycles for x in r.layers) or 1
                if layer is None:
                    cells.append("<td>-</td>" * 6)
                    continue
                cpi = f"{layer.cycles / layer.instructions:.2f}" if layer.instructions else "-"
                cpm = "-" if layer.cycles_per_mac is None else f"{layer.cycles_per_mac:.2f}"
                cells.append(f"<td class='text'>{esc(layer.path or '-')}</td><td>{layer.instructions:,}</td>"
                             f"<td>{layer.cycles:,}</td><td>{cpi}</td><td>{cpm}</td>"
                             f"<td>{100 * layer.cycles / total:.1f}%</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        total_cells = "".join(f"<td></td><td>{sum(x.instructions for x in r.layers):,}</td>"
                              f"<td>{sum(x.cycles for x in r.layers):,}</td><td></td><td></td><td>100%</td>"
                              for r in mine)
        body.append(f"<tr><th colspan='3' class='text'>all layers</th>{total_cells}</tr>")
        tables.append(f"<div class='scroll layer-table' data-variant='{esc(label)}'"
                      f"{'' if label == shown else ' hidden'}>"
                      f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table></div>")
    fig = plots.layer_figure(rows, page.styles, labels, shown)
    return (title + "<p class='muted small'>Each layer's cycles and instructions as the trace attributes them; "
            "the tensor arena is planned for the whole model, so it is given per board. "
            "Cycles per instruction show where the core waits (multi-cycle multiplies, flash wait states, "
            "soft-float calls); cycles per multiply-accumulate, and the kernel that ran, show where an optimized "
            "kernel paid.</p>"
            f"<p><label for='layer-variant'>Variant: </label><select id='layer-variant'>{options}</select></p>"
            + page.key() + figure_html(fig, "fig-layers", 420) + "".join(tables))


def board_section(page: Page) -> str:
    figures = plots.board_figures(page.data.candidates, page.styles, page.bands)
    note = ("Error bars on latency: the cycle model's stated uncertainty for each core."
            + (" Battery life is for the duty cycle above." if len(figures) > 2 else ""))
    return ("<h2>Board comparison</h2>" + f"<p class='muted small'>{note}</p>" + page.key()
            + "<div class='grid' style='--w:460px'>"
            + "".join(figure_html(fig, f"fig-board-{field}", height) for field, fig, height in figures) + "</div>")


def render_body(data: ReportInput) -> str:
    """The page without plotly.js: what a report's cache stores."""
    page = Page(data)
    sections = [decision_section(page), results_table(page), gate_html(data), tradeoff_section(page),
                confusion_section(page), layer_section(page), board_section(page)]
    if data.notes:
        sections.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in data.notes) + "</ul>")
    sections.append(f"<p class='muted small'>Written by emu {esc(emu.__version__)}.</p>")
    return "\n".join(s for s in sections if s)


def assemble(title: str, body: str) -> str:
    plotlyjs = require("plotly.offline").get_plotlyjs()
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style><script>{plotlyjs}</script><script>{PAGE_SCRIPT}</script></head><body>"
            + body + "</body></html>\n")


def _write(out: Path, title: str, body: str, markdown_text: str) -> tuple[Path, Path]:
    out = ensure_folder(Path(out))
    page, markdown = out / "index.html", out / "report.md"
    atomic_write(page, assemble(title, body))
    atomic_write(markdown, markdown_text)
    return page, markdown


def write_report(data: ReportInput, out: Path) -> tuple[Path, Path]:
    return _write(out, data.title, render_body(data), render_markdown(data))


def report_key(data: ReportInput) -> str:
    """Same inputs, same report code, same plotly: the same page."""
    import dataclasses
    import hashlib
    from importlib import metadata

    h = hashlib.sha256(json.dumps(dataclasses.asdict(data), sort_keys=True, default=str).encode())
    h.update(metadata.version("plotly").encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def write_report_cached(data: ReportInput, out: Path, store) -> tuple[Path, Path]:
    """write_report, served from a content store when the same report was drawn before.
    The store keeps the page without plotly.js (the same few megabytes for every report),
    which is put back when the page is written."""
    key = report_key(data)
    stored = store.get(key)
    if stored is None:
        stored = {"body": render_body(data), "markdown": render_markdown(data)}
        store.put(key, stored)
    return _write(out, data.title, stored["body"], stored["markdown"])
