"""Which variant to ship on each board: the best of those that meet every constraint.

"Best" is the preference (least energy per inference by default); ties go to higher
accuracy, then less energy, latency, flash and RAM, then the name and the board, so the answer never
depends on the order of the rows. When nothing meets the constraints, the closest
candidate is the one with the smallest total relative shortfall over the constraints.
Variants that do not fit a board, or cannot run on it, are no candidates there; each board's
decision lists them with their reason, so a board that can take nothing says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from emu.decide.candidates import Candidate, Unplaced
from emu.decide.constraints import Constraints, Limit
from emu.decide.numbers import readable
from emu.decide.quality import format_quality, higher_is_better, metric_name
from emu.errors import EmuError

# preference name -> (candidate field, True when larger is better; None: the metric's own direction)
PREFERENCES = {
    "energy": ("energy_uj", False),
    "latency": ("latency_ms", False),
    "accuracy": ("quality", None),
    "flash": ("flash_bytes", False),
    "ram": ("ram_bytes", False),
}


@dataclass
class Rejection:
    candidate: Candidate
    reasons: list[str]
    shortfall: float  # 0 when it meets every constraint but another one was preferred


@dataclass
class BoardDecision:
    board: str
    chosen: Candidate | None
    rejected: list[Rejection] = field(default_factory=list)
    closest: Rejection | None = None  # only when nothing fits
    unplaced: list[Unplaced] = field(default_factory=list)  # variants that do not fit or cannot run here

    @property
    def takes_nothing(self) -> bool:
        """No variant could even be measured here: each does not fit or cannot run."""
        return self.chosen is None and not self.rejected and bool(self.unplaced)


@dataclass
class Recommendation:
    constraints: Constraints
    prefer: str
    boards: list[BoardDecision]
    overall: Candidate | None  # the best choice over all boards, by the same preference

    @property
    def anything_fits(self) -> bool:
        return any(d.chosen for d in self.boards)

    @property
    def boards_taking_nothing(self) -> list[BoardDecision]:
        return [d for d in self.boards if d.takes_nothing]


def _ascending(value: float | None, larger_is_better: bool) -> float:
    """A sort key where smaller is better and unknown values come last."""
    if value is None:
        return math.inf
    return -value if larger_is_better else value


def preference_key(candidate: Candidate, prefer: str) -> tuple:
    name, larger_is_better = PREFERENCES[prefer]
    better_higher = higher_is_better(candidate.metric)
    if larger_is_better is None:
        larger_is_better = better_higher
    return (_ascending(getattr(candidate, name), larger_is_better),
            _ascending(candidate.quality, better_higher), candidate.energy_uj, candidate.latency_ms,
            candidate.flash_bytes, candidate.ram_bytes, candidate.label, candidate.platform)


def _kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def describe_miss(limit: Limit, value: float | None, metric: str = "accuracy") -> str:
    if limit.field == "quality":
        if value is None:
            return f"{metric_name(metric)} unknown (no metric for this variant)"
        if limit.at_least:
            return (f"{metric_name(metric)} {format_quality(metric, value)} is below the "
                    f"{format_quality(metric, limit.bound)} required")
        return (f"{metric_name(metric)} {format_quality(metric, value)} is over the "
                f"{format_quality(metric, limit.bound)} allowed")
    if limit.field == "battery_days":
        if value is None:
            return "one inference takes longer than the duty-cycle period"
        return f"battery life {value:.1f} days is below the {limit.bound:g} days required"
    if limit.field == "latency_ms":
        return f"latency {readable(value)} ms is over the {limit.bound:g} ms limit"
    if limit.field == "energy_uj":
        return f"energy {readable(value)} uJ per inference is over the {limit.bound:g} uJ limit"
    what = {"ram_bytes": "RAM", "flash_bytes": "flash"}[limit.field]
    return f"{what} {_kb(value)} is over the {_kb(limit.bound)} limit"


def misses(candidate: Candidate, constraints: Constraints) -> tuple[list[str], float]:
    """Why a candidate does not fit (empty when it does) and its total relative shortfall."""
    reasons, total = [], 0.0
    if candidate.output_matches_reference is False:
        reasons.append("its output differs from the reference interpreter's")
        total = math.inf
    for limit in constraints.limits():
        value = getattr(candidate, limit.field)
        short = limit.shortfall(value)
        if short > 0:
            reasons.append(describe_miss(limit, value, constraints.metric))
            total += short
    return reasons, total


def _lost_to(candidate: Candidate, chosen: Candidate, prefer: str, metric: str) -> str:
    name, _ = PREFERENCES[prefer]
    mine, theirs = getattr(candidate, name), getattr(chosen, name)
    what = metric_name(metric) if prefer == "accuracy" else prefer
    if mine == theirs:
        return f"meets the constraints, but ties with {chosen.label} on {what} and loses the tie-break"
    return (f"meets the constraints, but {chosen.label} is better on {what} "
            f"({_fmt(name, theirs, metric)} vs {_fmt(name, mine, metric)})")


def _fmt(name: str, value, metric: str) -> str:
    if value is None:
        return "unknown"
    if name == "quality":
        return format_quality(metric, value)
    return {"energy_uj": f"{readable(value)} uJ", "latency_ms": f"{readable(value)} ms",
            "flash_bytes": _kb(value), "ram_bytes": _kb(value)}[name]


def decide_board(board: str, candidates: list[Candidate], constraints: Constraints, prefer: str,
                 unplaced: list[Unplaced] = ()) -> BoardDecision:
    judged = [(c, *misses(c, constraints)) for c in candidates]
    fitting = sorted((c for c, reasons, _ in judged if not reasons), key=lambda c: preference_key(c, prefer))
    chosen = fitting[0] if fitting else None
    rejected = []
    for c, reasons, short in sorted(judged, key=lambda j: (j[2], preference_key(j[0], prefer))):
        if c is chosen:
            continue
        rejected.append(Rejection(c, reasons or [_lost_to(c, chosen, prefer, constraints.metric)], short))
    closest = rejected[0] if chosen is None and rejected else None
    return BoardDecision(board, chosen, rejected, closest,
                         sorted(unplaced, key=lambda u: (u.label, u.status, u.reason)))


def recommend(candidates: list[Candidate], constraints: Constraints, prefer: str = "energy",
              unplaced: list[Unplaced] = ()) -> Recommendation:
    """unplaced: the variants with no measurement on a board (emu.decide.candidates.unplaced_from)."""
    if prefer not in PREFERENCES:
        raise EmuError(f"unknown preference '{prefer}' (known: {', '.join(PREFERENCES)})")
    present = sorted({c.platform for c in candidates} | {u.platform for u in unplaced})
    boards = list(constraints.boards) or present
    missing = [b for b in boards if b not in present]
    if missing:
        raise EmuError(f"no results for board(s) {', '.join(missing)} (results cover: {', '.join(present) or 'none'})")
    decisions = [decide_board(b, [c for c in candidates if c.platform == b], constraints, prefer,
                              [u for u in unplaced if u.platform == b]) for b in boards]
    chosen = [d.chosen for d in decisions if d.chosen]
    overall = min(chosen, key=lambda c: preference_key(c, prefer)) if chosen else None
    return Recommendation(constraints, prefer, decisions, overall)
