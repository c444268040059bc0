"""Run a scenario: make or find its models, measure each on each board (through the
results cache), then recommend, estimate battery life, gate and write the report.

    from emu.orchestrate import run_scenario
    outcome = run_scenario("scenarios/coin-cell-anomaly.yaml")
    print(outcome.decision.single.overall)  # one model; outcome.decision.sections holds one per model
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from emu import cache as emu_cache
from emu.cache import ContentStore, atomic_write, ensure_folder
from emu.decide.baseline import write_baseline
from emu.decide.candidates import Candidate, candidates_from, unplaced_from
from emu.decide.explain import decision_to_dict
from emu.decide.gate import GateVerdict, compare
from emu.decide.junit import write_junit
from emu.decide.per_model import Decision, decide
from emu.decide.quality import VariantQuality, quality_for
from emu.decide.recommend import Recommendation
from emu.decide.scenario import KERAS_SUFFIXES, ModelSource, Scenario, load_scenario
from emu.errors import EmuError
from emu.orchestrate.task_models import ModelFile, Trained, task_models
from emu.platforms import get_platform
from emu.results.record import Result, load_results, unmeasured_result, write_csv, write_json

if TYPE_CHECKING:  # measuring is imported only when a scenario runs: this package loads without it
    from emu.results.cached_measure import ResultsCache


def _quiet(message: str) -> None:
    pass


@dataclass
class ScenarioOutcome:
    scenario: Scenario
    results: list[Result]
    qualities: list[VariantQuality]
    candidates: list[Candidate]
    decision: Decision  # one per model (emu.decide.per_model)
    verdict: GateVerdict | None
    out: Path
    notes: list[str] = field(default_factory=list)  # skipped models, a baseline created
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0
    validations: list[dict] = field(default_factory=list)  # the `validate:` step's, as in validation.json

    @property
    def recommendation(self) -> Recommendation | None:
        """The recommendation of a scenario with one model (or models compared); None with several."""
        return self.decision.single


def model_files(source: ModelSource, scenario: Scenario, models_dir: Path, use_cache: bool,
                notes: list[str], progress: Callable[[str], None], workers: int | None = None) -> list[ModelFile]:
    if source.task:
        trained = Trained(task=source.task, seed=scenario.seed, settings=source.training)
        return task_models(trained, list(source.variants), models_dir, use_cache=use_cache, progress=progress,
                           notes=notes, workers=workers)
    if not source.path.is_file():
        if source.optional:
            notes.append(f"skipped {source.path}: not present")
            return []
        raise EmuError(f"{scenario.path}: model file not found: {source.path}")
    if source.data is not None and not source.data.is_file():
        raise EmuError(f"{scenario.path}: data file not found: {source.data}")
    if source.path.suffix in KERAS_SUFFIXES:
        trained = Trained(model=source.path, data=source.data, kind=source.kind, seed=scenario.seed,
                          settings=source.training)
        return task_models(trained, list(source.variants), models_dir, use_cache=use_cache, progress=progress,
                           notes=notes, workers=workers)
    variant = source.variants[0]
    if source.data is not None:
        return [scored_file(source, variant, models_dir)]
    quality = VariantQuality(source.path.stem, variant, dict(source.metric)) if source.metric else None
    return [ModelFile(source.path, variant, quality)]


def scored_file(source: ModelSource, variant: str, models_dir: Path) -> ModelFile:
    """A .tflite file scored with its data by the TFLM interpreter (emu variants MODEL.tflite
    --data DATA.npz), so its quality is measured rather than typed in."""
    from emu.variants.make import score_files
    from emu.variants.userfile import tflite_task

    task, model = tflite_task(source.path, source.data, source.kind)
    folder = models_dir / f"{source.path.stem}-{variant}"
    (record,) = score_files(task, [(variant, model)], folder)
    quality = VariantQuality(task.name, variant, {record.metric: record.value}, sha256=record.model_sha256,
                             extra={"collapsed": record.collapsed} if record.collapsed else {})
    return ModelFile(folder / record.file, variant, quality)


def inside(folder: Path, path: Path, what: str) -> Path:
    """`path`, refused unless it lies in `folder` (compared by name: '..' and absolute paths
    cannot climb out)."""
    full, base = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    if full == base or not full.is_relative_to(base):
        raise EmuError(f"{what} {path} is outside {folder}: a scenario file may only write inside it")
    return Path(path)


@dataclass(frozen=True)
class OutputPaths:
    run: Path
    baseline: Path | None = None
    junit: Path | None = None


def output_paths(scenario: Scenario, out: Path | None) -> OutputPaths:
    """Where a scenario run writes, checked before anything is written. Paths read from the
    scenario file stay inside the folders they belong to: the run folder is reports/NAME,
    the JUnit file lies in the run folder, the baseline beside the scenario file (where it
    is committed). A --out given on the command line is taken as given."""
    where = str(scenario.path)
    run = Path(out) if out else inside(Path("reports"), Path("reports") / scenario.name, f"{where}: name")
    if not scenario.gate:
        return OutputPaths(run)
    return OutputPaths(run, inside(scenario.path.parent, scenario.gate.baseline, f"{where}: gate baseline"),
                       inside(run, run / scenario.gate.junit, f"{where}: gate junit"))


def run_gate(scenario: Scenario, results: list[Result], paths: OutputPaths, notes: list[str]) -> GateVerdict | None:
    spec = scenario.gate
    if not paths.baseline.is_file():
        # The first run records where things stand; commit the file and later runs gate against it.
        write_baseline(results, paths.baseline)
        notes.append(f"no baseline yet: wrote {paths.baseline} from this run")
        return None
    return compare(load_results(paths.baseline), results, spec.tolerances)


def run_scenario(scenario: Scenario | str | Path, out: Path | None = None, use_cache: bool = True,
                 cache: ResultsCache | None = None, write_report: bool = True,
                 progress: Callable[[str], None] = _quiet, jobs: int | None = None,
                 cluster: str | None = None) -> ScenarioOutcome:
    """jobs and cluster, when given, override the scenario's own."""
    started = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    paths = output_paths(scenario, out)
    out = ensure_folder(paths.run)
    # measuring pulls in the compiler and the toolchain: imported here, so that loading this module stays light
    from emu.results.cached_measure import ResultsCache
    from emu.results.sweep import jobs_for, sweep

    cache = cache or ResultsCache()
    boards = [get_platform(b) for b in scenario.boards]
    notes: list[str] = []
    sourced = [(s, f) for s in scenario.models
               for f in model_files(s, scenario, out / "models", use_cache, notes, progress, jobs or scenario.jobs)]
    files = [f for _, f in sourced]
    swept = sweep(jobs_for([(f.path, f.variant) for f in files if not f.not_runnable], boards,
                           objective=scenario.optimize),
                  workers=jobs or scenario.jobs, cluster=cluster or scenario.cluster,
                  cache=cache if use_cache else None, progress=progress)
    if swept.failures:
        first = swept.failures[0]
        raise EmuError(f"{len(swept.failures)} run(s) failed, first: {first.job.label}: {first.reason}")
    qualities = [f.quality for f in files if f.quality]
    results = with_quality(swept.results + not_runnable_rows(files, boards), qualities)
    candidates = candidates_from(results, qualities, scenario.constraints.metric, scenario.duty)
    decision = decide(candidates, scenario.constraints, scenario.prefer, scenario.compare_models,
                      unplaced_from(results, qualities))
    validations = run_validations(scenario, sourced, boards, results, notes, progress)
    verdict = run_gate(scenario, results, paths, notes) if scenario.gate else None
    write_junit(paths.junit or out / "junit.xml", verdict=verdict, decision=decision)
    outcome = ScenarioOutcome(scenario, results, qualities, candidates, decision, verdict, out, notes,
                              swept.reused, swept.measured, validations=validations)
    write_outputs(outcome, write_report, ContentStore(emu_cache.root() / "reports") if use_cache else None)
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_validations(scenario: Scenario, sourced: list[tuple[ModelSource, ModelFile]], boards: list,
                    results: list[Result], notes: list[str], progress: Callable[[str], None]) -> list[dict]:
    """The `validate:` step: every task variant, and every model given with its data, measured on
    a board, run there on its test samples (a model file without data is noted as not validated)."""
    if scenario.validation is None:
        return []
    from emu.orchestrate.validation import validate_files, validate_with_data, validation_note

    records = []
    for source in scenario.models:
        files = [f for s, f in sourced if s is source and not f.not_runnable]
        if source.task:
            records += validate_files(source.task, files, boards, results, scenario.seed,
                                      scenario.validation.samples, progress)
        elif source.data is not None:
            records += validate_with_data(files, source.data, source.kind, boards, results,
                                          scenario.validation.samples, progress)
        else:
            notes.extend(f"not validated: {f.path.name} (a model file without 'data:' has no test samples; give "
                         f"it 'data: DATA.npz')" for f in files)
    for r in records:
        notes.append(validation_note(r))
    return records


def not_runnable_rows(files: list[ModelFile], boards: list) -> list[Result]:
    """A row "not runnable" on every board for each variant the device cannot run, so that
    every variant the scenario asked for is in its results."""
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.model.reader import model_name

    return [unmeasured_result(model_name(f.path), f.sha256, f.variant, board, resolve_kernel_set(board, None),
                              "not runnable", f.not_runnable)
            for f in files if f.not_runnable for board in boards]


def with_quality(results: list[Result], qualities: list[VariantQuality]) -> list[Result]:
    """Each row with its variant's host quality, as `emu bench` carries it: the results file and
    the baseline a scenario writes then hold it, and its gate compares it."""
    rows = []
    for r in results:
        q = quality_for(r, qualities)
        rows.append(replace(r, quality=dict(q.metric), collapsed=q.extra.get("collapsed") or "")
                    if q and not r.quality else r)
    return rows


def write_outputs(outcome: ScenarioOutcome, write_report: bool, report_store: ContentStore | None) -> None:
    out = outcome.out
    write_json(outcome.results, out / "results.json")
    write_csv(outcome.results, out / "results.csv")
    atomic_write(out / "recommendation.json",
                 json.dumps(decision_to_dict(outcome.decision), indent=2) + "\n")
    if outcome.validations:
        atomic_write(out / "validation.json", json.dumps({"validations": outcome.validations}, indent=2) + "\n")
    if write_report:
        from emu.decide.report import write_report as draw_report
        from emu.decide.report import write_report_cached
        from emu.decide.report_input import ReportInput

        data = ReportInput.from_outcome(outcome)
        if report_store is None:
            draw_report(data, out)
        else:
            write_report_cached(data, out, report_store)
