"""The decision commands: recommend, report, gate, baseline and scenario run.

A thin shell over emu.decide; `register(app)` adds them to the `emu` command.
Exit codes: 0 done; 1 a check failed (a gate regressed, or nothing fits on any board);
2 bad input, with a one-line reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from emu.cache import atomic_write
from emu.console import say
from emu.errors import CheckFailed, shown


def _decision_input(results: List[Path], variants: Optional[List[Path]], metric: Optional[str], limits: dict):
    """Result rows, their qualities, the constraints and the candidates, with the metric the
    variants files share when none is named."""
    from emu.decide.candidates import candidates_from
    from emu.decide.constraints import constraints_from_mapping
    from emu.decide.quality import infer_metric, load_qualities, qualities_from_results
    from emu.results.record import load_results

    rows = [r for path in results for r in load_results(path)]
    qualities = load_qualities(variants or []) or qualities_from_results(rows)
    metric = metric or infer_metric(qualities, want_error=limits.get("max_error") is not None)
    constraints = constraints_from_mapping(limits, "options", default_metric=metric)
    return rows, qualities, constraints, candidates_from(rows, qualities, metric)


def _limits(min_accuracy, max_error, max_latency_ms, max_ram, max_flash, max_energy_uj, board) -> dict:
    return {"min_accuracy": min_accuracy, "max_error": max_error, "max_latency_ms": max_latency_ms,
            "max_ram_bytes": max_ram, "max_flash_bytes": max_flash, "max_energy_uj": max_energy_uj,
            "boards": board or []}


# Typer reads these shared options from each command's signature.
MinAccuracy = typer.Option(None, "--min-accuracy", help="Lowest acceptable accuracy or ROC AUC (0.9 or 90%).")
MaxError = typer.Option(None, "--max-error", help="Highest acceptable error, for metrics better lower (RMSE, MAE).")
MaxLatency = typer.Option(None, "--max-latency-ms", help="Longest acceptable latency per inference (ms).")
MaxRam = typer.Option(None, "--max-ram", help="Most RAM a variant may use (bytes, or 64KB).")
MaxFlash = typer.Option(None, "--max-flash", help="Most flash a variant may use (bytes, or 512KB).")
MaxEnergy = typer.Option(None, "--max-energy-uj", help="Most energy per inference (uJ).")
Boards = typer.Option(None, "--board", "-p", help="Decide for this board (repeat); "
                                                  "default: every board in the results.")
Variants = typer.Option(None, "--variants", help="variants.json from `emu variants`, for accuracy (repeat).")
Prefer = typer.Option("energy", "--prefer", help="Among variants that fit: energy, latency, accuracy, flash or ram.")
CompareModels = typer.Option(False, "--compare-models",
                             help="Weigh different models against each other (default: one decision per model, "
                                  "its variants compared with each other only).")
Metric = typer.Option(None, "--metric", help="Which variants.json metric the limits apply to (accuracy, roc_auc, "
                                             "rmse, mae); default: the one every variant has.")


def recommend(
    results: List[Path] = typer.Argument(..., help="Results JSON files from `emu bench` or `emu variants`."),
    variants: Optional[List[Path]] = Variants,
    min_accuracy: Optional[str] = MinAccuracy, max_error: Optional[float] = MaxError,
    max_latency_ms: Optional[float] = MaxLatency,
    max_ram: Optional[str] = MaxRam, max_flash: Optional[str] = MaxFlash, max_energy_uj: Optional[float] = MaxEnergy,
    board: Optional[List[str]] = Boards, prefer: str = Prefer, metric: Optional[str] = Metric,
    compare_models: bool = CompareModels,
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the recommendation as JSON."),
) -> None:
    """Pick a variant per model and board under constraints, and say why every other one lost.

    Example: emu recommend results.json --variants variants.json --min-accuracy 90% --max-ram 64KB -p nucleo-l4r5zi
    """
    from emu.decide.candidates import unplaced_from
    from emu.decide.explain import decision_to_dict, format_decision
    from emu.decide.per_model import decide

    rows, qualities, constraints, candidates = _decision_input(
        results, variants, metric,
        _limits(min_accuracy, max_error, max_latency_ms, max_ram, max_flash, max_energy_uj, board))
    decision = decide(candidates, constraints, prefer, compare_models, unplaced_from(rows, qualities))
    print(format_decision(decision))
    if json_out:
        atomic_write(json_out, json.dumps(decision_to_dict(decision), indent=2) + "\n")
    _nothing_fits(decision)


def _nothing_fits(decision) -> None:
    """Exit 1 when a model has no variant that meets the constraints on any board."""
    lacking = decision.models_without_a_fit
    if not lacking:
        return
    if len(decision.sections) == 1:
        raise CheckFailed("no variant meets the constraints on any board")
    raise CheckFailed(f"no variant meets the constraints on any board for model(s) "
                      f"{', '.join(shown(m) for m in lacking)}")


def report(
    results: List[Path] = typer.Argument(..., help="Results JSON files."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for index.html and report.md (e.g. reports/my-run)."),
    variants: Optional[List[Path]] = Variants,
    title: str = typer.Option("emu report", "--title", help="The page's title."),
    min_accuracy: Optional[str] = MinAccuracy, max_error: Optional[float] = MaxError,
    max_latency_ms: Optional[float] = MaxLatency,
    max_ram: Optional[str] = MaxRam, max_flash: Optional[str] = MaxFlash, max_energy_uj: Optional[float] = MaxEnergy,
    board: Optional[List[str]] = Boards, prefer: str = Prefer, metric: Optional[str] = Metric,
    compare_models: bool = CompareModels,
) -> None:
    """Write a self-contained HTML report (and report.md) with the recommendation and plots.

    Example: emu report results.json --variants variants.json --max-latency-ms 10 --out reports/run1
    """
    from emu.decide.candidates import unplaced_from
    from emu.decide.per_model import decide
    from emu.decide.report import write_report
    from emu.decide.report_input import ReportInput

    rows, qualities, constraints, candidates = _decision_input(
        results, variants, metric,
        _limits(min_accuracy, max_error, max_latency_ms, max_ram, max_flash, max_energy_uj, board))
    decision = decide(candidates, constraints, prefer, compare_models, unplaced_from(rows, qualities))
    page, markdown = write_report(ReportInput(title, "", rows, qualities, candidates, decision), out)
    print(f"{page}\n{markdown}")


def _tolerances(config: Optional[Path], options: dict):
    from emu.decide.tolerances import Tolerances, tolerances_from_file

    base = tolerances_from_file(config) if config else Tolerances()
    return base.updated(options, "options")


def gate(
    results: List[Path] = typer.Argument(..., help="Fresh results JSON files."),
    baseline: Path = typer.Option(..., "--baseline", "-b", help="The baseline written by `emu baseline`."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with tolerances: "
                                                                 "gate: {cycles: 2%, ram: 0, flash: 1%, "
                                                                 "accuracy: 0.01}."),
    cycles: Optional[str] = typer.Option(None, "--cycles", help="Allowed rise in cycles: 2% or an absolute count. "
                                                                "Default 2%."),
    ram: Optional[str] = typer.Option(None, "--ram", help="Allowed rise in RAM: bytes or a percentage. Default 0."),
    flash: Optional[str] = typer.Option(None, "--flash", help="Allowed rise in flash: bytes or a percentage. "
                                                              "Default 1%."),
    latency: Optional[str] = typer.Option(None, "--latency", help="Allowed rise in latency: ms or a percentage. "
                                                                  "Default: not gated apart from cycles."),
    energy: Optional[str] = typer.Option(None, "--energy", help="Allowed rise in energy per inference: uJ or a "
                                                                "percentage. Default: not gated apart from cycles."),
    accuracy: Optional[str] = typer.Option(None, "--accuracy", help="Allowed fall in accuracy (or ROC AUC): 0.01 "
                                                                    "(one percentage point) or a percentage of the "
                                                                    "baseline's. Default 0.01."),
    error: Optional[str] = typer.Option(None, "--error", help="Allowed rise in an error measure (RMSE, MAE): an "
                                                              "amount or a percentage. Default 5%."),
    junit: Path = typer.Option(Path("emu-gate.xml"), "--junit", help="Where to write the JUnit XML verdict."),
) -> None:
    """Compare fresh results with a baseline; exit 1 when cycles, RAM, flash (latency, energy) rose or
    accuracy fell beyond tolerance.

    Example: emu gate results.json --baseline baseline.json --junit reports/gate.xml
    """
    from emu.decide.gate import compare, describe, format_verdict
    from emu.decide.junit import write_junit
    from emu.results.record import load_results

    fresh = [r for path in results for r in load_results(path)]
    tolerances = _tolerances(config, {"cycles": cycles, "ram": ram, "flash": flash, "latency": latency,
                                      "energy": energy, "accuracy": accuracy, "error": error})
    verdict = compare(load_results(baseline), fresh, tolerances)
    print(format_verdict(verdict))
    write_junit(junit, verdict=verdict)
    first = (verdict.unplaced or verdict.regressions or verdict.unmeasured or [None])[0]
    if first is not None:
        raise CheckFailed(f"gate {verdict.summary()}; first: {shown(first.key[0])}/{shown(first.key[1])} on "
                          f"{shown(first.key[2])}, {describe(first, tolerances)}")
    if verdict.missing:
        model, variant, board = verdict.missing[0]
        raise CheckFailed(f"gate {verdict.summary()}; first: {shown(model)}/{shown(variant)} on {shown(board)} "
                          f"(update the baseline with `emu baseline --replace` to retire rows)")


def baseline(
    results: List[Path] = typer.Argument(..., help="Results JSON files to record."),
    out: Path = typer.Option(..., "--out", "-o", help="The baseline file to write or update."),
    replace: bool = typer.Option(False, "--replace", help="Drop rows the fresh results do not have "
                                                          "(default: keep them)."),
) -> None:
    """Write or update the gate's baseline from results (rows are matched by model, variant, board),
    with the host quality they carry, which the gate then compares.

    Example: emu baseline results.json --out baseline.json
    """
    from emu.decide.baseline import write_baseline
    from emu.results.record import load_results

    rows = write_baseline([r for path in results for r in load_results(path)], out, replace=replace)
    print(f"{out}: {len(rows)} row(s)")


scenario_app = typer.Typer(no_args_is_help=True, help="Scenario files: models, boards, constraints and a duty cycle.")


@scenario_app.command("run")
def scenario_run(
    file: Path = typer.Argument(..., help="A scenario YAML file (see scenarios/)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: reports/<scenario name>)."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Reuse results measured before for the same content."),
    emulator: Optional[str] = typer.Option(None, "--emulator",
                                           help="Emulator backend: qemu (default) or renode; "
                                                "also set by EMU_EMULATOR."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Worker processes (default: the scenario's jobs:, else one per core)."),
    cluster: Optional[str] = typer.Option(None, "--cluster",
                                          help="A Dask scheduler to run the measurements on "
                                               "(default: the scenario's cluster:)."),
) -> None:
    """Run a scenario: measure, recommend, estimate battery life, gate, and write the report.

    Example: emu scenario run scenarios/coin-cell-anomaly.yaml
    """
    from emu.decide.explain import format_decision
    from emu.decide.gate import format_verdict
    from emu.emulators import select_emulator
    from emu.orchestrate import run_scenario

    select_emulator(emulator)
    outcome = run_scenario(file, out=out, use_cache=cache, progress=say, jobs=jobs, cluster=cluster)
    print(format_decision(outcome.decision))
    if outcome.verdict:
        print()
        print(format_verdict(outcome.verdict))
    for note in outcome.notes:
        print(f"note: {note}")
    print(f"\nreport: {outcome.out / 'index.html'} ({outcome.cache_hits} cached, "
          f"{outcome.cache_misses} measured, {outcome.seconds:.1f} s)")
    if outcome.verdict and not outcome.verdict.passed:
        raise CheckFailed(f"the gate failed: {outcome.verdict.summary()}")
    differ = [v for v in outcome.validations if v["beyond_tolerance"]]
    if differ:
        raise CheckFailed(f"{len(differ)} validation(s) found device outputs that differ from the reference "
                          f"(validation.json)")
    _nothing_fits(outcome.decision)


def register(app: typer.Typer) -> None:
    for command in (recommend, report, gate, baseline):
        app.command()(command)
    app.add_typer(scenario_app, name="scenario")
