"""The built-in default job: a whole decision on a model emu makes itself.

It is a scenario without a file: the digits task (a small CNN trained here on
scikit-learn's bundled 8x8 digits) in every default variant, on boards with and without
an FPU and DSP instructions (one of them with both kernel sets), under limits that suit a
digits classifier, ending in a recommendation and the HTML report. Trained models and
measured results are cached by content, so a second run reads them back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from emu.decide.constraints import Constraints
from emu.decide.explain import constraint_summary, format_decision
from emu.decide.scenario import ModelSource, Scenario
from emu.orchestrate.scenario_runner import ScenarioOutcome, run_scenario
from emu.platforms import get_platform
from emu.results.bench import format_table

# Cortex-M0+ (no FPU, no DSP), M3 (no FPU, no DSP), M4F (FPU and DSP) with the optimized and the
# reference kernels, M7 (FPU and DSP): float against int8 where there is no FPU, reference
# against optimized kernels on one part.
DEFAULT_BOARDS = ("rp2040-pico", "nucleo-l152re", "nucleo-l4r5zi", "nucleo-l4r5zi:reference", "disco-f746ng")

# A digits classifier is useful above 90% (the float model reaches about 98%); 20 ms leaves
# room for a camera frame at 30 frames a second; RAM and flash fit the smallest board here
# with most of it left to the application.
DEFAULT_CONSTRAINTS = {"min_accuracy": 0.90, "max_latency_ms": 20.0, "max_ram_bytes": 32 * 1024,
                           "max_flash_bytes": 128 * 1024}


def demo_scenario(boards: list[str] | None = None) -> Scenario:
    chosen = tuple(boards or DEFAULT_BOARDS)
    for board in chosen:
        get_platform(board)  # an unknown board stops here, before any training
    return Scenario(
        name="demo", title="emu demo: which digits classifier on which board",
        description=("A small CNN trained here on scikit-learn's bundled 8x8 handwritten digits, made in every "
                     "default variant, built as firmware and emulated on Cortex-M boards with and without an FPU."),
        path=Path("emu demo"), models=(ModelSource(task="digits"),), boards=chosen,
        constraints=Constraints(**DEFAULT_CONSTRAINTS, boards=chosen), prefer="energy")


def run_demo(out: Path, boards: list[str] | None, progress: Callable[[str], None]) -> ScenarioOutcome:
    scenario = demo_scenario(boards)
    progress(f"emu demo: the digits task in every default variant on {', '.join(scenario.boards)}")
    progress(f"constraints: {constraint_summary_of(scenario)}; prefer the least energy per inference")
    outcome = run_scenario(scenario, out=out, progress=progress)
    print(format_table(outcome.results))
    print()
    print(format_decision(outcome.decision))
    for note in outcome.notes:
        print(f"note: {note}")
    print(f"\nreport: {(outcome.out / 'index.html').resolve()} (and report.md, results.json, results.csv)")
    print(f"{outcome.cache_hits} results read from the cache, {outcome.cache_misses} measured, "
          f"{outcome.seconds:.0f} s")
    return outcome


def constraint_summary_of(scenario: Scenario) -> str:
    from emu.decide.recommend import Recommendation

    return constraint_summary(Recommendation(scenario.constraints, scenario.prefer, [], None))
