"""Whole jobs that drive measuring and deciding together: a scenario run (make or find its
models, measure each on each board through the results cache, then recommend, gate and
report), the models a scenario names by task, and the built-in demo.

    from emu.orchestrate import run_scenario
    outcome = run_scenario("scenarios/image-classifier-boards.yaml")

It sits above `results`, `variants` and `decide`, so that deciding never reaches up into
measuring.
"""

from emu.orchestrate.scenario_runner import ScenarioOutcome, run_scenario

__all__ = ["ScenarioOutcome", "run_scenario"]
