"""One decision per model: the variants of a model are compared with each other, and
different models are not, unless a comparison across models is asked for by name
(`--compare-models`, or `compare_models: true` in a scenario). Each model's decision is the
per-board recommendation of emu.decide.recommend over that model's rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.decide.candidates import Candidate, Unplaced
from emu.decide.constraints import Constraints
from emu.decide.recommend import Recommendation, recommend
from emu.errors import EmuError, shown


@dataclass
class ModelDecision:
    model: str | None  # None: every model weighed together, as asked for by name
    recommendation: Recommendation


@dataclass
class Decision:
    sections: list[ModelDecision]  # one per model, in name order; one in all when models are compared
    compare_models: bool = False

    @property
    def single(self) -> Recommendation | None:
        """The recommendation when there is only one (one model, or models compared)."""
        return self.sections[0].recommendation if len(self.sections) == 1 else None

    @property
    def models_without_a_fit(self) -> list[str]:
        """The models (or, compared, "any model") with nothing that fits on any board."""
        return [s.model or "any model" for s in self.sections if not s.recommendation.anything_fits]

    @property
    def every_model_fits(self) -> bool:
        return not self.models_without_a_fit


def decide(candidates: list[Candidate], constraints: Constraints, prefer: str = "energy",
           compare_models: bool = False, unplaced: list[Unplaced] = ()) -> Decision:
    """unplaced: the variants that do not fit a board or cannot run there, listed by each
    model's decision (emu.decide.candidates.unplaced_from)."""
    if compare_models:
        return Decision([ModelDecision(None, recommend(candidates, constraints, prefer, unplaced))],
                        compare_models=True)
    models = sorted({c.base_model for c in candidates} | {u.base_model for u in unplaced})
    if len(models) <= 1:
        return Decision([ModelDecision(models[0] if models else None,
                                       recommend(candidates, constraints, prefer, unplaced))])
    sections = []
    for model in models:
        try:
            sections.append(ModelDecision(model, recommend([c for c in candidates if c.base_model == model],
                                                           constraints, prefer,
                                                           [u for u in unplaced if u.base_model == model])))
        except EmuError as e:
            raise EmuError(f"model {shown(model)}: {e}") from None
    return Decision(sections)
