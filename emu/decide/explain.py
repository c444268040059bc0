"""A recommendation in words: the sentence at the top of a report, and the full reasoning."""

from __future__ import annotations

from emu.decide.candidates import COLLAPSED, Candidate
from emu.decide.numbers import readable
from emu.decide.per_model import Decision
from emu.decide.quality import format_quality, higher_is_better, metric_name
from emu.decide.recommend import BoardDecision, Recommendation
from emu.errors import terminal_safe


def figures(c: Candidate, metric: str = "accuracy") -> str:
    parts = []
    if c.quality is not None:
        parts.append(f"{metric_name(metric)} {format_quality(metric, c.quality)}")
    parts += [f"{readable(c.latency_ms)} ms", f"{readable(c.energy_uj)} uJ per inference{basis_suffix(c)}",
              f"{c.flash_bytes / 1024:.1f} KB flash", f"{c.ram_bytes / 1024:.1f} KB RAM"]
    if c.battery_days is not None:
        parts.append(f"battery life {battery_text(c)}")
    return ", ".join(parts)


def basis_suffix(c: Candidate) -> str:
    """' (assumed power figures)' after an energy or battery figure that rests on them."""
    return " (assumed power figures)" if c.energy_assumed else ""


def battery_text(c: Candidate) -> str:
    """'353.8 days (336.1 days to 372.4 days over the cycle model's band; assumed power figures)'."""
    text = format_days(c.battery_days)
    notes = []
    if c.battery_days_band is not None:
        low, high = c.battery_days_band
        notes.append(f"{'-' if low is None else format_days(low)} to {'-' if high is None else format_days(high)} "
                     f"over the cycle model's band")
    if c.energy_assumed:
        notes.append("assumed power figures")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def assumed_energy_notice(rec: Recommendation) -> str | None:
    """When the decision weighs energy (the preference, an energy limit or a battery life
    limit) and a board's choice rests on power figures its board file marks as assumed: one
    sentence naming them, to open the decision."""
    c = rec.constraints
    if rec.overall is None or not (rec.prefer == "energy" or c.max_energy_uj is not None
                                   or c.min_battery_days is not None):
        return None
    assumed = sorted({(d.chosen.platform, d.chosen.energy_source) for d in rec.boards
                      if d.chosen and d.chosen.energy_assumed})
    if not assumed:
        return None
    named = ", ".join(f"{board_name(b)} ({terminal_safe(s, keep='') or 'no source given'})" for b, s in assumed)
    return f"Decided on assumed energy figures: the power figures of {named} are assumptions."


def format_days(days: float) -> str:
    if days == float("inf"):
        return "unlimited"
    if days >= 365:
        return f"{days / 365.25:.1f} years ({days:,.0f} days)"
    if days >= 2:
        return f"{days:.1f} days"
    return f"{days * 24:.1f} hours"


def constraint_summary(rec: Recommendation) -> str:
    c = rec.constraints
    parts = []
    if c.min_accuracy is not None:
        parts.append(f"{metric_name(c.metric)} at least {format_quality(c.metric, c.min_accuracy)}")
    if c.max_error is not None:
        parts.append(f"{metric_name(c.metric)} at most {format_quality(c.metric, c.max_error)}")
    if c.max_latency_ms is not None:
        parts.append(f"latency at most {c.max_latency_ms:g} ms")
    if c.max_ram_bytes is not None:
        parts.append(f"RAM at most {c.max_ram_bytes / 1024:g} KB")
    if c.max_flash_bytes is not None:
        parts.append(f"flash at most {c.max_flash_bytes / 1024:g} KB")
    if c.max_energy_uj is not None:
        parts.append(f"energy at most {c.max_energy_uj:g} uJ per inference")
    if c.min_battery_days is not None:
        parts.append(f"battery life at least {c.min_battery_days:g} days")
    return "; ".join(parts) or "no constraints"


def preference_phrase(prefer: str, metric: str = "accuracy") -> str:
    if prefer == "accuracy":
        return f"{'highest' if higher_is_better(metric) else 'lowest'} {metric_name(metric)}"
    return f"least {prefer}"


def candidates_of(rec: Recommendation) -> list[Candidate]:
    return [c for d in rec.boards for c in ([d.chosen] if d.chosen else []) + [r.candidate for r in d.rejected]]


def quality_notice(rec: Recommendation) -> str | None:
    """A warning for the top of a recommendation that does not weigh quality: without a
    floor (or, for an error measure, a ceiling) any variant that is cheap enough fits."""
    c = rec.constraints
    if c.min_accuracy is not None or c.max_error is not None:
        return None
    name = metric_name(c.metric)
    if not any(x.quality is not None for x in candidates_of(rec)):
        return (f"Warning: no {name} is known for these results (no --variants file, or none that matches), "
                f"so this choice weighs cost alone.")
    option = "--min-accuracy" if higher_is_better(c.metric) else "--max-error"
    shown = "" if rec.overall is None or rec.overall.quality is None else \
        f"; the chosen variant's {name} is {format_quality(c.metric, rec.overall.quality)}"
    return f"Warning: no {name} limit was given ({option}), so this choice ignores {name}{shown}."


def takes_nothing_text(d: BoardDecision) -> str:
    """Why a board can take no variant at all: 'int8 needs 40,112 B of RAM (...), board has
    32,768 B; fp32 needs ...'."""
    return "; ".join(u.why for u in d.unplaced)


def takes_nothing_sentence(rec: Recommendation) -> str:
    """' Nothing fits rp2040-pico: int8 needs ... (and 3 more variants).', one per board that
    can take no variant at all; '' when there is none."""
    sentences = []
    for d in rec.boards_taking_nothing:
        first, more = d.unplaced[0].why, len(d.unplaced) - 1
        collapsed = any(u.status == COLLAPSED for u in d.unplaced)
        verb, which = ("Nothing usable on", "that do not fit, cannot run or collapsed") if collapsed else \
            ("Nothing fits", "that do not fit or cannot run")
        sentences.append(f" {verb} {board_name(d.board)}: {first}"
                         + (f" (and {more} more variant{'s' if more > 1 else ''} {which})" if more else "") + ".")
    return "".join(sentences)


def headline(rec: Recommendation) -> str:
    """One sentence: the decision; and, for each board that can take no variant at all, why."""
    nothing = takes_nothing_sentence(rec)
    if rec.overall is None:
        if rec.boards and all(d.takes_nothing for d in rec.boards):
            return "No variant fits or runs on any board." + nothing
        return "Nothing meets the constraints on any board; see what comes closest below." + nothing
    best = rec.overall
    others = [d for d in rec.boards if d.board != best.platform]
    tail = ""
    if others:
        fit = sum(1 for d in others if d.chosen)
        if len(others) == 1:
            tail = " The other board also has a variant that fits." if fit else " The other board has none that fits."
        else:
            tail = f" {fit} of the {len(others)} other boards also have a variant that fits."
    tail += nothing
    meets = "every constraint" if quality_notice(rec) is None else "the constraints given"
    assumed = assumed_energy_notice(rec)  # first: a choice on assumed figures says so before anything else
    return ((f"{assumed} " if assumed else "")
            + f"Ship {best.label} on {board_name(best.platform)}: {figures(best, rec.constraints.metric)}. "
            f"It meets {meets} and has the {preference_phrase(rec.prefer, rec.constraints.metric)}.{tail}")


def board_name(board: str) -> str:
    """A board's name from a results file, on one line (as variant_label names variants)."""
    return terminal_safe(board, keep="")


def board_lines(d: BoardDecision, metric: str = "accuracy") -> list[str]:
    lines = []
    if d.chosen:
        lines.append(f"{board_name(d.board)}: choose {d.chosen.label} ({figures(d.chosen, metric)})")
    elif d.takes_nothing:
        return [f"{board_name(d.board)}: nothing fits: {takes_nothing_text(d)}"]
    else:
        lines.append(f"{board_name(d.board)}: nothing fits")
        if d.closest:
            lines.append(f"  closest: {d.closest.candidate.label}, which misses by: " + "; ".join(d.closest.reasons))
    for r in d.rejected:
        if d.closest is not None and r is d.closest:
            continue
        lines.append(f"  rejected {r.candidate.label}: " + "; ".join(r.reasons))
    for u in d.unplaced:
        lines.append(f"  rejected {u.label}: {u.status}: {terminal_safe(u.reason, keep='')}")
    return lines


def format_recommendation(rec: Recommendation) -> str:
    notice = quality_notice(rec)
    lines = ([notice] if notice else []) + [headline(rec),
                                            f"Constraints: {constraint_summary(rec)}. Among those that fit: "
                                            f"{preference_phrase(rec.prefer, rec.constraints.metric)}.", ""]
    for d in rec.boards:
        lines += board_lines(d, rec.constraints.metric)
    return "\n".join(lines)


def recommendation_to_dict(rec: Recommendation) -> dict:
    from dataclasses import asdict

    def cand(c):
        return None if c is None else {**asdict(c), "label": c.label}

    return {
        "decision": headline(rec), "warning": quality_notice(rec), "prefer": rec.prefer,
        "constraints": asdict(rec.constraints),
        "overall": cand(rec.overall),
        "boards": [{"board": d.board, "chosen": cand(d.chosen),
                    "closest": None if d.closest is None else {"candidate": cand(d.closest.candidate),
                                                               "misses": d.closest.reasons},
                    "rejected": [{"candidate": cand(r.candidate), "reasons": r.reasons} for r in d.rejected],
                    "takes_nothing": d.takes_nothing,
                    "unplaced": [{**asdict(u), "label": u.label} for u in d.unplaced]}
                   for d in rec.boards],
    }


def model_title(model: str | None) -> str:
    return "All models compared" if model is None else f"Model {terminal_safe(model, keep='')}"


def decision_preamble(decision: Decision) -> str | None:
    """What the decision compared, when that is not one model's variants: several models each
    decided on its own, or a comparison across models asked for by name."""
    if decision.compare_models:
        return ("Compared across models (--compare-models): the variants of every model are weighed against "
                "each other.")
    if len(decision.sections) < 2:
        return None
    names = ", ".join(terminal_safe(s.model, keep="") for s in decision.sections)
    return (f"These results hold {len(decision.sections)} models ({names}): each is decided on its own, its "
            f"variants compared with each other only (--compare-models weighs models against each other).")


def format_decision(decision: Decision) -> str:
    """One model: its recommendation as format_recommendation gives it. Several: a section each."""
    preamble = decision_preamble(decision)
    if len(decision.sections) == 1:
        text = format_recommendation(decision.sections[0].recommendation)
        return text if preamble is None else f"{preamble}\n{text}"
    parts = [preamble]
    for s in decision.sections:
        parts += ["", f"== {model_title(s.model)} ==", format_recommendation(s.recommendation)]
    return "\n".join(parts)


def decision_to_dict(decision: Decision) -> dict:
    """One recommendation: its fields at the top (as before), with the model they are for.
    Several models: {"compare_models": false, "models": [{"model": ..., <its recommendation>}, ...]}."""
    if len(decision.sections) == 1:
        s = decision.sections[0]
        return {"model": s.model, "compare_models": decision.compare_models,
                **recommendation_to_dict(s.recommendation)}
    return {"compare_models": False,
            "models": [{"model": s.model, **recommendation_to_dict(s.recommendation)} for s in decision.sections]}
