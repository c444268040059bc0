"""The report as Markdown, for pasting into a pull request."""

from __future__ import annotations

from emu.decide.explain import (
    battery_text,
    board_lines,
    constraint_summary,
    decision_preamble,
    headline,
    model_title,
    preference_phrase,
    quality_notice,
)
from emu.decide.gate import field_title, format_value
from emu.decide.numbers import readable
from emu.decide.quality import format_quality, metric_name
from emu.decide.recommend import Recommendation, misses
from emu.decide.report_input import ReportInput, with_band
from emu.errors import terminal_safe


def _cell(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _quality(value: float | None, metric: str) -> str:
    return "-" if value is None else format_quality(metric, value)


def summary_rows(data: ReportInput) -> list[list[str]]:
    chosen = {id(c) for c in data.chosen()}
    bands = data.latency_bands()
    rows = []
    for c in data.candidates:
        band = bands.get((c.model, c.variant, c.platform))
        reasons, _ = misses(c, data.constraints)
        verdict = ("**recommended**" if id(c) in chosen
                   else ("fits" if not reasons else "no: " + with_band("; ".join(reasons), c.latency_ms, band)))
        rows.append([c.platform, c.label, _quality(c.quality, data.constraints.metric),
                     readable(c.latency_ms) + ("" if band is None else f" \u00b1{band:g}%"),
                     f"{readable(c.energy_uj)}" + (" (assumed)" if c.energy_assumed else ""),
                     f"{c.flash_bytes / 1024:.1f}", f"{c.weight_bytes / 1024:.1f}", f"{c.ram_bytes / 1024:.1f}",
                     "-" if c.battery_days is None else battery_text(c), verdict])
    return rows


def summary_headers(metric: str) -> list[str]:
    return ["board", "model/variant", metric_name(metric), "latency (ms)", "energy (uJ)", "flash (KB)",
            "weights (KB)", "RAM (KB)", "battery life", "verdict"]


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(_markdown_cell, r)) + " |" for r in rows]
    return "\n".join(lines)


def _markdown_cell(text: str) -> str:
    """A cell on one line (names from results files are escaped as emu prints them), with its
    pipes kept from ending the cell."""
    return terminal_safe(str(text), keep="").replace("|", "\\|")


def gate_section(data: ReportInput) -> list[str]:
    v = data.verdict
    if v is None:
        return []
    state = "passed" if v.passed else f"**failed**: {v.summary().removeprefix('FAILED, ')}"
    rows = [[f"{c.key[0]}/{c.key[1]}", c.key[2], field_title(c.field), format_value(c.field, c.before),
             format_value(c.field, c.after), "-" if c.percent is None else f"{c.percent:+.2f}%",
             v.tolerance_text(c.field), c.status]
            for c in v.changes]
    note = v.quality_note()
    return ["", f"## Gate: {state}", "",
            markdown_table(["model/variant", "board", "metric", "baseline", "now", "change", "allowed", "verdict"],
                           rows), *(["", f"Note: {note}."] if note else [])]


def decision_lines(data: ReportInput, rec: Recommendation) -> list[str]:
    """A recommendation's warning, decision and constraints."""
    notice = quality_notice(rec)
    decision = headline(rec) if rec.overall is None else with_band(
        headline(rec), rec.overall.latency_ms, data.latency_bands().get((rec.overall.model, rec.overall.variant,
                                                                         rec.overall.platform)))
    return [*([f"**{notice}**", ""] if notice else []), f"**Decision:** {decision}", "",
            f"Constraints: {constraint_summary(rec)}. Among variants that fit: "
            f"{preference_phrase(rec.prefer, rec.constraints.metric)}."]


def _per_board(rec: Recommendation) -> list[str]:
    return ["```", *[x for b in rec.boards for x in board_lines(b, rec.constraints.metric)], "```"]


def render_markdown(data: ReportInput) -> str:
    sections = data.decision.sections
    preamble = decision_preamble(data.decision)
    lines = [f"# {data.title}", "", *([preamble, ""] if preamble else [])]
    if len(sections) == 1:
        lines += decision_lines(data, sections[0].recommendation)
    if data.duty:
        d = data.duty
        sleep = f"{d.sleep_current_ua:g} uA" if d.sleep_current_ua is not None else "each board's own figure"
        lines.append(f"Duty cycle: one inference every {d.period_s:g} s, sleep current {sleep}, "
                     f"battery {d.battery_mah:g} mAh at {d.battery_v:g} V.")
    if len(sections) == 1:
        lines += ["", "## Per board", "", *_per_board(sections[0].recommendation)]
    else:
        for s in sections:
            lines += ["", f"## {model_title(s.model)}", "", *decision_lines(data, s.recommendation), "",
                      *_per_board(s.recommendation)]
    lines += ["", "## All results", "", markdown_table(summary_headers(data.constraints.metric), summary_rows(data))]
    assumed = sorted({(c.platform, c.energy_source) for c in data.candidates if c.energy_assumed})
    if assumed:
        lines += ["", "Energy (and battery life) marked assumed rests on power figures the board file marks as "
                  "assumptions: " + ", ".join(f"{terminal_safe(b, keep='')} ({terminal_safe(s, keep='') or '-'})"
                                              for b, s in assumed) + "."]
    lines += gate_section(data)
    if data.notes:
        lines += ["", "Notes: " + "; ".join(data.notes)]
    return "\n".join(lines) + "\n"
