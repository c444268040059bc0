"""The CI gate: fresh results against a baseline; a move beyond tolerance is a regression.

Rows are matched by (model, variant, board). Cycles, RAM and flash (and latency and energy,
when given a tolerance) must not rise past their tolerance; each host quality metric the
baseline row carries must not fall (accuracy, ROC AUC) or rise (RMSE, MAE) past its own. A
row only in the baseline is missing and fails the gate: a gate that matched nothing has
checked nothing (retire a row with `emu baseline --replace`). A row only in the fresh
results is new and passes: it has nothing to regress from. A metric the baseline has and the
fresh row lacks fails too (unmeasured); a baseline row without quality (written before
baselines carried it) is gated on its costs, and the verdict says its quality was not compared.
A measured baseline row whose fresh row does not fit its board or cannot run there fails, with
the fresh row's reason; a baseline row that was not measured has nothing to gate from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emu.console import table_text
from emu.decide.numbers import readable
from emu.decide.quality import format_quality, higher_is_better, metric_name
from emu.decide.tolerances import GATED, Tolerances
from emu.results.record import Result, result_key

COSTS = tuple(GATED.values())


@dataclass(frozen=True)
class Change:
    key: tuple[str, str, str]  # (model, variant, board)
    field: str  # a cost (cycles, ram_bytes, flash_bytes, latency_ms, energy_uj) or a quality metric's name
    before: float | None
    after: float | None
    allowed_rise: float | None  # how far it may move the wrong way (for a metric better higher: fall)
    # "ok", "regressed", "improved", "new", "missing", "unmeasured", or the fresh row's status when
    # a measured baseline row now has no measurement ("does not fit", "not runnable")
    status: str
    reason: str = ""  # why the fresh row has no measurement

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def percent(self) -> float | None:
        if self.delta is None or not self.before:
            return None
        return 100.0 * self.delta / self.before

    @property
    def is_quality(self) -> bool:
        return self.field not in COSTS


@dataclass
class GateVerdict:
    changes: list[Change]
    tolerances: Tolerances
    # Rows matched in both whose baseline carries no quality: their quality was not compared.
    quality_not_compared: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.status == "regressed"]

    @property
    def missing(self) -> list[tuple[str, str, str]]:
        """Baseline rows the fresh results lack, once each."""
        return sorted({c.key for c in self.changes if c.status == "missing"})

    @property
    def unmeasured(self) -> list[Change]:
        """Quality metrics the baseline row has and its fresh row lacks."""
        return [c for c in self.changes if c.status == "unmeasured"]

    @property
    def unplaced(self) -> list[Change]:
        """Measured baseline rows whose fresh row does not fit or cannot run, once each."""
        return [c for c in self.changes if c.status in NOT_MEASURED]

    @property
    def failures(self) -> list[Change]:
        return [c for c in self.changes if c.status in FAILING]

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        parts = []
        if self.regressions:
            parts.append(f"{len(self.regressions)} regression(s) beyond tolerance")
        if self.missing:
            parts.append(f"{len(self.missing)} baseline row(s) missing from the fresh results")
        if self.unmeasured:
            parts.append(f"{len(self.unmeasured)} quality figure(s) of the baseline missing from the fresh results")
        if self.unplaced:
            parts.append(f"{len(self.unplaced)} baseline row(s) that now do not fit or cannot run")
        return "passed" if not parts else "FAILED, " + " and ".join(parts)

    def quality_note(self) -> str | None:
        if not self.quality_not_compared:
            return None
        return (f"quality was not compared for {len(self.quality_not_compared)} row(s): the baseline carries none "
                f"(written before baselines held quality, or from results without it); record it again with "
                f"`emu baseline` from results that carry their quality")

    def tolerance_text(self, field: str) -> str:
        return allowed_text(field, self.tolerances)


NOT_MEASURED = ("does not fit", "not runnable")
FAILING = ("regressed", "missing", "unmeasured", *NOT_MEASURED)


def allowed_text(field: str, tolerances: Tolerances) -> str:
    """The tolerance as a signed move: '+2%' for a cost or an error measure, '-0.01' for accuracy."""
    tolerance = tolerances.for_field(field)
    text = str(tolerance)
    return "-" + text[1:] if field not in COSTS and higher_is_better(field) else text


def judge(before: float, after: float, allowed_rise: float, higher_better: bool = False) -> str:
    worse = (before - after) if higher_better else (after - before)
    # A hair of slack for decimal fractions: 1.0 - 0.99 is 0.010000000000000009, within a 0.01 tolerance.
    if worse > allowed_rise + 1e-9 * max(1.0, abs(before)):
        return "regressed"
    return "improved" if worse < 0 else "ok"


def _quality_changes(key, old: Result | None, new: Result | None, tolerances: Tolerances,
                     not_compared: list) -> list[Change]:
    if old is None:
        return [Change(key, m, None, v, None, "new") for m, v in sorted(new.quality.items())]
    if not old.quality:
        if new is not None:
            not_compared.append(key)
        return []
    changes = []
    for metric, before in sorted(old.quality.items()):
        if new is None:
            changes.append(Change(key, metric, before, None, None, "missing"))
        elif metric not in new.quality:
            changes.append(Change(key, metric, before, None, None, "unmeasured"))
        else:
            after = new.quality[metric]
            allowed = tolerances.for_field(metric).allowed_rise(before)
            changes.append(Change(key, metric, before, after, allowed,
                                  judge(before, after, allowed, higher_is_better(metric))))
    return changes


def compare(baseline: list[Result], fresh: list[Result], tolerances: Tolerances = Tolerances()) -> GateVerdict:
    old = {result_key(r): r for r in baseline if r.measured}
    new = {result_key(r): r for r in fresh}
    changes, not_compared = [], []
    for key in sorted(old.keys() | new.keys()):
        if key in new and not new[key].measured:
            if key in old:  # it was measured and now has no measurement: one failure, with the reason
                changes.append(Change(key, "status", None, None, None, new[key].status, new[key].reason))
            continue
        for name in tolerances.gated_costs():
            before = getattr(old[key], name) if key in old else None
            after = getattr(new[key], name) if key in new else None
            if before is None:
                changes.append(Change(key, name, None, after, None, "new"))
            elif after is None:
                changes.append(Change(key, name, before, None, None, "missing"))
            else:
                allowed = tolerances.for_field(name).allowed_rise(before)
                changes.append(Change(key, name, before, after, allowed, judge(before, after, allowed)))
        changes += _quality_changes(key, old.get(key), new.get(key), tolerances, not_compared)
    return GateVerdict(changes, tolerances, not_compared)


FIELD_TITLES = {"status": "status", "cycles": "cycles", "ram_bytes": "RAM (B)", "flash_bytes": "flash (B)",
                "latency_ms": "latency (ms)",
                "energy_uj": "energy (uJ)"}


def field_title(field: str) -> str:
    """How a gated figure is named in tables: 'RAM (B)', 'latency (ms)', 'accuracy', 'RMSE'."""
    return FIELD_TITLES.get(field) or metric_name(field)


def check_name(field: str) -> str:
    """A check's name in JUnit: 'cycles', 'RAM', 'flash', 'latency', 'energy', or the metric's name."""
    return FIELD_TITLES[field].split(" ")[0] if field in FIELD_TITLES else metric_name(field)


def format_value(field: str, value: float | None) -> str:
    if value is None:
        return "-"
    if field in ("latency_ms", "energy_uj"):
        return readable(value)
    if field in COSTS:
        return f"{value:,}"
    return format_quality(field, value)


def format_change(c: Change) -> str:
    if c.delta is None:
        return "-"
    if c.is_quality:
        return f"{c.delta:+.4g}" + (f" ({c.percent:+.2f}%)" if c.percent is not None else "")
    shown = f"{c.delta:+,}" if isinstance(c.delta, int) else f"{c.delta:+.3g}"
    return shown + (f" ({c.percent:+.2f}%)" if c.percent is not None else "")


def describe(c: Change, tolerances: Tolerances) -> str:
    """One failing check in words, for the command's error line and the JUnit failure."""
    if c.status in NOT_MEASURED:
        return f"measured in the baseline, but now {c.status}: {c.reason}"
    name = field_title(c.field).split(" (")[0] if c.is_quality else c.field
    if c.status == "unmeasured":
        return (f"the baseline has {name} {format_value(c.field, c.before)} but the fresh results carry no {name} "
                f"(bench a variants folder, or give the scenario its quality)")
    moved = "fell" if c.after < c.before else "rose"
    return (f"{name} {moved} from {format_value(c.field, c.before)} to {format_value(c.field, c.after)}"
            + (f" ({c.percent:+.2f}%)" if c.percent is not None else "")
            + f", allowed {allowed_text(c.field, tolerances)}")


def format_verdict(verdict: GateVerdict) -> str:
    headers = ("model/variant", "board", "metric", "baseline", "now", "change", "allowed", "verdict")
    rows = []
    for c in verdict.changes:
        model, variant, board = c.key
        rows.append((f"{model}/{variant}", board, field_title(c.field), format_value(c.field, c.before),
                     format_value(c.field, c.after), format_change(c), verdict.tolerance_text(c.field),
                     c.status.upper() if c.status in FAILING else c.status))
    note = verdict.quality_note()
    # The verdict stays the last line, where a CI log is read.
    return "\n".join([table_text(headers, rows, right=range(3, 7)), "", *([f"note: {note}"] if note else []),
                      f"gate: {verdict.summary()}"])
