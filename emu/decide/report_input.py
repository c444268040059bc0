"""Everything a report shows, as one plain value, whether it comes from a scenario run or
from result files given on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from emu.decide.battery import DutyCycle
from emu.decide.candidates import Candidate
from emu.decide.constraints import Constraints
from emu.decide.gate import GateVerdict
from emu.decide.numbers import readable
from emu.decide.per_model import Decision
from emu.decide.quality import VariantQuality
from emu.results.record import Result


def latency_band(result: Result) -> float | None:
    if result.cycles_uncertainty_pct is not None:
        return result.cycles_uncertainty_pct
    from emu.timing.uncertainty import uncertainty_pct  # imported here: loading decisions stays light

    return uncertainty_pct(result.core)


def with_band(text: str, latency_ms: float, band: float | None) -> str:
    """A sentence about a candidate with its latency ('0.74 ms') followed by the cycle
    model's error band ('0.74 ms ±10%')."""
    if band is None:
        return text
    shown = f"{readable(latency_ms)} ms"
    return text.replace(shown, f"{shown} \u00b1{band:g}%", 1)


@dataclass
class ReportInput:
    title: str
    description: str
    results: list[Result]
    qualities: list[VariantQuality]
    candidates: list[Candidate]
    decision: Decision  # one recommendation per model (emu.decide.per_model)
    duty: DutyCycle | None = None
    verdict: GateVerdict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def constraints(self) -> Constraints:
        """The constraints every model was decided under (the same for each)."""
        return self.decision.sections[0].recommendation.constraints

    def chosen(self) -> list[Candidate]:
        """Every model's choice on every board."""
        return [d.chosen for s in self.decision.sections for d in s.recommendation.boards if d.chosen]

    def latency_bands(self) -> dict[tuple[str, str, str], float | None]:
        """(model, variant, board) -> the cycle model's stated uncertainty for the row's core, in percent."""
        return {(r.model, r.variant, r.platform): latency_band(r) for r in self.results}

    @classmethod
    def from_outcome(cls, outcome) -> ReportInput:
        s = outcome.scenario
        return cls(s.title, s.description, outcome.results, outcome.qualities, outcome.candidates,
                   outcome.decision, s.duty, outcome.verdict, outcome.notes)
