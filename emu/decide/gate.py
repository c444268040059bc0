"""The CI gate: fresh results against a baseline; a rise beyond tolerance is a regression.

Rows are matched by (model, variant, board). A row only in the baseline is missing and
fails the gate: a gate that matched nothing has checked nothing (retire a row with
`emu baseline --replace`). A row only in the fresh results is new and passes: it has
nothing to regress from.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.console import table_text
from emu.decide.tolerances import GATED, Tolerances
from emu.results.record import Result, result_key


@dataclass(frozen=True)
class Change:
    key: tuple[str, str, str]  # (model, variant, board)
    field: str  # cycles, ram_bytes, flash_bytes
    before: int | None
    after: int | None
    allowed_rise: float | None
    status: str  # "ok", "regressed", "improved", "new", "missing"

    @property
    def delta(self) -> int | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def percent(self) -> float | None:
        if self.delta is None or not self.before:
            return None
        return 100.0 * self.delta / self.before


@dataclass
class GateVerdict:
    changes: list[Change]
    tolerances: Tolerances

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.status == "regressed"]

    @property
    def missing(self) -> list[tuple[str, str, str]]:
        """Baseline rows the fresh results lack, once each."""
        return sorted({c.key for c in self.changes if c.status == "missing"})

    @property
    def failures(self) -> list[Change]:
        return [c for c in self.changes if c.status in ("regressed", "missing")]

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        parts = []
        if self.regressions:
            parts.append(f"{len(self.regressions)} regression(s) beyond tolerance")
        if self.missing:
            parts.append(f"{len(self.missing)} baseline row(s) missing from the fresh results")
        return "passed" if not parts else "FAILED, " + " and ".join(parts)


def judge(before: int, after: int, allowed_rise: float) -> str:
    rise = after - before
    if rise > allowed_rise:
        return "regressed"
    return "improved" if rise < 0 else "ok"


def compare(baseline: list[Result], fresh: list[Result], tolerances: Tolerances = Tolerances()) -> GateVerdict:
    old = {result_key(r): r for r in baseline}
    new = {result_key(r): r for r in fresh}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        for field in GATED.values():
            before = getattr(old[key], field) if key in old else None
            after = getattr(new[key], field) if key in new else None
            if before is None:
                changes.append(Change(key, field, None, after, None, "new"))
            elif after is None:
                changes.append(Change(key, field, before, None, None, "missing"))
            else:
                allowed = tolerances.for_field(field).allowed_rise(before)
                changes.append(Change(key, field, before, after, allowed, judge(before, after, allowed)))
    return GateVerdict(changes, tolerances)


FIELD_TITLES = {"cycles": "cycles", "ram_bytes": "RAM (B)", "flash_bytes": "flash (B)"}


def format_verdict(verdict: GateVerdict) -> str:
    headers = ("model/variant", "board", "metric", "baseline", "now", "change", "allowed", "verdict")
    rows = []
    for c in verdict.changes:
        model, variant, board = c.key
        change = ("-" if c.delta is None
                  else f"{c.delta:+,}" + (f" ({c.percent:+.2f}%)" if c.percent is not None else ""))
        rows.append((f"{model}/{variant}", board, FIELD_TITLES[c.field],
                     "-" if c.before is None else f"{c.before:,}", "-" if c.after is None else f"{c.after:,}",
                     change, str(verdict.tolerances.for_field(c.field)),
                     c.status.upper() if c.status in ("regressed", "missing") else c.status))
    return "\n".join([table_text(headers, rows, right=range(3, 7)), "", f"gate: {verdict.summary()}"])
