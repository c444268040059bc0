"""Decisions from results: which variant to ship on which board (recommend), whether a
change may merge (gate, baseline), how long a battery lasts (battery), the scenario files
that tie them together (scenario; emu.orchestrate runs them), and the report a run leaves
(report).

    from emu.decide import load_scenario, recommend
"""

from emu.decide.battery import DutyCycle, battery_life_hours
from emu.decide.candidates import Candidate, candidates_from
from emu.decide.constraints import Constraints
from emu.decide.gate import compare
from emu.decide.recommend import Recommendation, recommend
from emu.decide.scenario import Scenario, load_scenario
from emu.decide.tolerances import Tolerances

__all__ = ["Candidate", "Constraints", "DutyCycle", "Recommendation", "Scenario", "Tolerances",
           "battery_life_hours", "candidates_from", "compare", "load_scenario", "recommend"]
