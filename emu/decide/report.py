"""The report a run leaves behind: reports/<run>/index.html, one self-contained page
(inline CSS and SVG, no network), and report.md beside it for pull requests."""

from __future__ import annotations

import html
from pathlib import Path

import emu
from emu.cache import atomic_write, ensure_folder
from emu.decide import plots
from emu.decide.explain import (
    board_lines,
    constraint_summary,
    headline,
    preference_phrase,
    quality_notice,
)
from emu.decide.report_input import ReportInput
from emu.decide.report_md import render_markdown, summary_headers, summary_rows

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1250px;
       color: #1b1f24; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.decision { background: #e9f7ef; border-left: 6px solid #1a7f37; padding: .8rem 1rem; font-size: 1.1rem; }
.decision.none { background: #fff1f0; border-left-color: #cf222e; }
.muted { color: #57606a; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: right; vertical-align: top; }
th { background: #f6f8fa; } td.text { text-align: left; }
tr.chosen td { background: #dafbe1; font-weight: 600; }
tr.rejected td.verdict { color: #9a6700; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .82rem; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: .85rem; }
.fail { color: #cf222e; font-weight: 600; } .pass { color: #1a7f37; font-weight: 600; }
"""

# Lets a headless browser (and a curious reader's console) tell that the page rendered:
# it records script errors and how many figures have a visible size.
CHECK_SCRIPT = """
window.addEventListener('error', function (e) {
  document.body.dataset.errors = (document.body.dataset.errors || '') + e.message + ';';
});
window.addEventListener('load', function () {
  var shown = 0;
  document.querySelectorAll('figure svg').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width > 50 && box.height > 50) { shown += 1; }
  });
  document.body.dataset.figuresShown = String(shown);
  document.body.dataset.figures = String(document.querySelectorAll('figure svg').length);
});
"""


def esc(text) -> str:
    return html.escape(str(text))


def figure(svg: str | None, caption: str, missing: str) -> str:
    if svg is None:
        return f"<p class='muted'>{esc(missing)}</p>"
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def summary_table(data: ReportInput) -> str:
    chosen = {id(d.chosen) for d in data.recommendation.boards if d.chosen}
    head = "".join(f"<th>{esc(h)}</th>" for h in summary_headers(data.recommendation.constraints.metric))
    body = []
    for c, row in zip(data.candidates, summary_rows(data)):
        kind = "chosen" if id(c) in chosen else ("fits" if row[-1] == "fits" else "rejected")
        cells = "".join(f"<td class='{'text' if i in (0, 1) else ''}{' verdict text' if i == len(row) - 1 else ''}'>"
                        f"{esc(x.replace('**', ''))}</td>" for i, x in enumerate(row))
        body.append(f"<tr class='{kind}'>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def gate_html(data: ReportInput) -> str:
    v = data.verdict
    if v is None:
        return ""
    state = "<span class='pass'>passed</span>" if v.passed else f"<span class='fail'>failed: {len(v.regressions)} regression(s)</span>"
    rows = "".join(
        f"<tr class='{'rejected' if c.status == 'regressed' else ''}'><td class='text'>{esc(c.key[0])}/{esc(c.key[1])}</td>"
        f"<td class='text'>{esc(c.key[2])}</td><td class='text'>{esc(c.field)}</td>"
        f"<td>{'-' if c.before is None else f'{c.before:,}'}</td><td>{'-' if c.after is None else f'{c.after:,}'}</td>"
        f"<td>{'-' if c.percent is None else f'{c.percent:+.2f}%'}</td><td>{esc(v.tolerances.for_field(c.field))}</td>"
        f"<td class='text verdict'>{esc(c.status)}</td></tr>" for c in v.changes)
    return (f"<h2>Gate against the baseline: {state}</h2><table><thead><tr><th>model/variant</th><th>board</th>"
            f"<th>metric</th><th>baseline</th><th>now</th><th>change</th><th>allowed rise</th><th>verdict</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def render_html(data: ReportInput) -> str:
    rec = data.recommendation
    chosen = [d.chosen for d in rec.boards if d.chosen]
    duty = ""
    if data.duty:
        d = data.duty
        sleep = f"{d.sleep_current_ua:g} uA" if d.sleep_current_ua is not None else "each board's own sleep current"
        duty = (f"<p>Duty cycle: one inference every {d.period_s:g} s, {sleep} between inferences, "
                f"battery {d.battery_mah:g} mAh at {d.battery_v:g} V (lossless regulator assumed).</p>")
    sections = [
        f"<h1>{esc(data.title)}</h1>",
        f"<p class='muted'>{esc(data.description)}</p>" if data.description else "",
        f"<p class='decision none'><strong>{esc(quality_notice(rec))}</strong></p>" if quality_notice(rec) else "",
        f"<p class='decision{'' if rec.overall else ' none'}'><strong>Decision.</strong> {esc(headline(rec))}</p>",
        f"<p>Constraints: {esc(constraint_summary(rec))}. Among the variants that fit: {esc(preference_phrase(rec.prefer, rec.constraints.metric))}.</p>",
        duty,
        "<h2>Per board</h2><pre>" + esc("\n".join(x for b in rec.boards for x in board_lines(b, rec.constraints.metric))) + "</pre>",
        "<h2>All results</h2>", summary_table(data),
        "<p class='muted'>Latency and energy per inference from emulated cycles and each board's clock and power model; "
        "flash and RAM from the linked firmware (RAM includes the measured peak stack). Accuracy is measured on the host "
        "with the TFLM interpreter on held-out data.</p>",
        gate_html(data),
        "<h2>Accuracy against cost</h2>",
        figure(plots.tradeoff_figure(data.candidates, rec.constraints, chosen),
               "Each point is a variant on a board. The shaded region meets the constraints; stars mark the recommended choices.",
               "No accuracy figures for these variants (give a variants.json, or a metric in the scenario), so no trade-off plots."),
        "<h2>Board comparison</h2>",
        figure(plots.board_figure(data.candidates), "Lower is better for latency and energy, higher for battery life.", ""),
        "<h2>Confusion matrices</h2>",
        figure(plots.confusion_figure(data.qualities),
               "Float and integer variants side by side, on the same held-out data.",
               "No confusion matrices for these variants."),
        "<h2>Per-layer cycles</h2>",
        figure(plots.layer_figure(data.results), "Each bar is one inference, split by operator type.",
               "No per-layer cycles in these results."),
    ]
    if data.notes:
        sections.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in data.notes) + "</ul>")
    sections.append(f"<p class='muted'>Written by emu {esc(emu.__version__)}.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(data.title)}</title>"
            f"<style>{STYLE}</style><script>{CHECK_SCRIPT}</script></head><body>"
            + "\n".join(s for s in sections if s) + "</body></html>\n")


def write_report(data: ReportInput, out: Path) -> tuple[Path, Path]:
    out = Path(out)
    ensure_folder(out)
    page, markdown = out / "index.html", out / "report.md"
    atomic_write(page, render_html(data))
    atomic_write(markdown, render_markdown(data))
    return page, markdown


def report_key(data: ReportInput) -> str:
    """Same inputs, same report code, same matplotlib: the same page."""
    import dataclasses
    import hashlib
    import json
    from importlib import metadata

    h = hashlib.sha256(json.dumps(dataclasses.asdict(data), sort_keys=True, default=str).encode())
    h.update(metadata.version("matplotlib").encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def write_report_cached(data: ReportInput, out: Path, store) -> tuple[Path, Path]:
    """write_report, served from a content store when the same report was drawn before:
    drawing the figures is most of a fully cached scenario run's time."""
    key = report_key(data)
    stored = store.get(key)
    if stored is None:
        stored = {"html": render_html(data), "markdown": render_markdown(data)}
        store.put(key, stored)
    out = Path(out)
    ensure_folder(out)
    page, markdown = out / "index.html", out / "report.md"
    atomic_write(page, stored["html"])
    atomic_write(markdown, stored["markdown"])
    return page, markdown
