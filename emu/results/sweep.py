"""Many measurements at once: every (model, board) pair as an independent job, run on a pool
of local worker processes or on a Dask distributed cluster, answered from the results cache
where it can be.

A job carries its inputs by content (the model's bytes, the board's resolved fields, the
options), so a worker needs emu, the toolchain and QEMU but no shared file system. Each
finished job enters the client's content-addressed cache at once, so an interrupted sweep
keeps what it finished and a rerun only runs what is missing. Results come back in job
order, whatever order the workers finish in: a sweep gives the same bytes serial, on a
pool, or on a cluster.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from emu import processes
from emu.cache import temp_folder
from emu.compile.kernel_set import resolve_kernel_set
from emu.compile.objective import resolve_objective
from emu.console import say
from emu.emulators import emulator_name
from emu.errors import EmuError, NotRunnable, first_line, shown
from emu.platforms import Platform
from emu.results.cached_measure import ResultsCache, answer_of, measure_key, read_answer, sources_digest
from emu.results.record import Result, unmeasured_result


@dataclass(frozen=True)
class Job:
    """One measurement, self-contained: what a worker anywhere needs to run it."""

    name: str  # the model's name in the result (its file's stem)
    model: bytes
    platform: Platform
    variant: str = "model"
    check: bool = True
    sources: str = ""  # the client's sources_digest: a worker running other emu code refuses the job
    emulator: str = "qemu"  # the backend, as the client chose it
    source: str = ""  # the model's file name, for messages
    kernels: str = "reference"  # the kernel set, resolved for the board
    objective: str = "latency"  # what the weight formats are chosen for (emu/compile/objective.py)

    @property
    def label(self) -> str:
        return f"{shown(self.source or self.name)} ({shown(self.variant)}) on {self.platform.name}"


@dataclass
class Failure:
    job: Job
    reason: str


@dataclass
class SweepOutcome:
    results: list[Result]  # in job order, failed jobs left out; a job that does not fit or cannot run is a row
    failures: list[Failure] = field(default_factory=list)
    reused: int = 0  # answered from the cache
    measured: int = 0


def jobs_for(models: Iterable[tuple[Path, str]], platforms: list[Platform], check: bool = True,
             kernels: str | None = None, objective: str | None = None) -> list[Job]:
    """(path, variant) pairs x boards, model by model; each model file read once. kernels: the
    kernel set, None for each board's default; objective: None for the default."""
    from emu.model.reader import model_name, read_model_bytes

    sources, emulator = sources_digest(), emulator_name()
    sets = {p.name: resolve_kernel_set(p, kernels) for p in platforms}
    objective = resolve_objective(objective)
    jobs = []
    for path, variant in models:
        path = Path(path)
        model = read_model_bytes(path)
        jobs += [Job(model_name(path), model, p, variant, check, sources, emulator, path.name, sets[p.name],
                     objective)
                 for p in platforms]
    return jobs


def run_job(job: Job) -> dict:
    """Measure one job (in a worker): {"result": ..., "outputs": ...} or {"error": reason}. A
    model that does not fit the board, or that the compiler cannot run, is an answer too: a row
    with that status and its reason, and no outputs."""
    from emu.results.measure import measure

    if job.sources and job.sources != sources_digest():
        return {"error": "this worker runs other emu or firmware sources than the client; install the same emu"}
    os.environ["EMU_EMULATOR"] = job.emulator  # every job of a sweep names the same backend
    with temp_folder("emu-job-") as folder:  # in this run's scratch folder: swept if the worker dies
        path = folder / f"{job.name}.tflite"
        path.write_bytes(job.model)
        try:
            result, outputs = measure(path, job.platform, variant=job.variant, check=job.check, kernels=job.kernels,
                                      objective=job.objective)
        except NotRunnable as e:
            return answer_of(unmeasured_result(job.name, hashlib.sha256(job.model).hexdigest(), job.variant,
                                               job.platform, job.kernels, e.status, e.reason,
                                               job.objective), [])
        except EmuError as e:
            return {"error": first_line(e)}
    return answer_of(result, outputs)


def job_key(job: Job) -> str:
    """The results cache's key for a job."""
    return measure_key(job.name, job.model, job.platform, job.variant, None, job.check,
                       job.sources or sources_digest(), job.kernels, job.objective)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def sweep(jobs: list[Job], workers: int | None = None, cluster: str | None = None,
          cache: ResultsCache | None = None, progress: Callable[[str], None] = say) -> SweepOutcome:
    """Run every job; `workers` local processes (default: one per core), or the Dask
    scheduler at `cluster`. With a cache, known answers are reused and new ones stored."""
    keys = [job_key(j) for j in jobs]
    results: dict[int, Result] = {}
    errors: dict[int, str] = {}
    if cache is not None:
        for i, key in enumerate(keys):
            found = cache.lookup(key)
            if found is not None:
                results[i] = found[0]
    reused = len(results)
    pending = [i for i in range(len(jobs)) if i not in results]
    done = len(results)

    def finished(i: int, answer: dict) -> None:
        nonlocal done
        done += 1
        if "error" in answer:
            errors[i] = answer["error"]
        else:
            results[i] = read_answer(answer)[0]
            if cache is not None:
                cache.remember(keys[i], answer)  # at once: an interrupted sweep keeps it
        state = "FAILED: " + answer["error"] if "error" in answer else _state(results[i])
        progress(f"[{done}/{len(jobs)}] {jobs[i].label}: {state}")

    if reused:
        progress(f"{reused} of {len(jobs)} runs answered from the cache")
    if pending:
        if cluster:
            _on_cluster(cluster, jobs, pending, finished)
        elif (workers or default_jobs()) <= 1 or len(pending) == 1:
            for i in pending:
                finished(i, run_job(jobs[i]))
        else:
            _on_pool(min(workers or default_jobs(), len(pending)), jobs, pending, finished)
    return SweepOutcome([results[i] for i in range(len(jobs)) if i in results],
                        [Failure(job, errors[i]) for i, job in enumerate(jobs) if i in errors],
                        reused=reused, measured=len(pending))


def _state(result: Result) -> str:
    return "done" if result.measured else f"{result.status}: {result.reason}"


def _on_pool(workers: int, jobs: list[Job], pending: list[int], finished) -> None:
    with processes.pool(workers) as pool:  # spawned workers that end when this process ends
        futures: dict[Future, int] = {pool.submit(run_job, jobs[i]): i for i in pending}
        try:
            while futures:
                ready, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in ready:
                    finished(futures.pop(future), future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _on_cluster(address: str, jobs: list[Job], pending: list[int], finished) -> None:
    from emu.extras import require

    distributed = require("distributed")
    try:
        client = distributed.Client(address, timeout="20s")
    except (OSError, TimeoutError) as e:
        raise EmuError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    with client:
        # pure=False: a job is rerun, never deduplicated by Dask, if its worker dies
        futures = {client.submit(run_job, jobs[i], pure=False, key=f"emu-{i}-{os.urandom(4).hex()}"): i
                   for i in pending}
        try:
            for future in distributed.as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:
            client.cancel(list(futures))
            raise
