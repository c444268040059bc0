"""Everything a report shows, as one plain value, whether it comes from a scenario run or
from result files given on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from emu.decide.battery import DutyCycle
from emu.decide.candidates import Candidate
from emu.decide.gate import GateVerdict
from emu.decide.quality import VariantQuality
from emu.decide.recommend import Recommendation
from emu.results.record import Result


@dataclass
class ReportInput:
    title: str
    description: str
    results: list[Result]
    qualities: list[VariantQuality]
    candidates: list[Candidate]
    recommendation: Recommendation
    duty: DutyCycle | None = None
    verdict: GateVerdict | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_outcome(cls, outcome) -> "ReportInput":
        s = outcome.scenario
        return cls(s.title, s.description, outcome.results, outcome.qualities, outcome.candidates,
                   outcome.recommendation, s.duty, outcome.verdict, outcome.notes)
