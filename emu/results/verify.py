"""Results carried in a cache, checked: a random sample measured again and compared.

A stored result carries a digest, which shows damage but not forgery: whoever can write a
shared cache can write an entry and its digest. A keyed digest ($EMU_CACHE_KEY) shows forgery
to whoever holds the key; without one, `emu bench --verify-cache N` measures N of the results
the cache would answer, picked at random when the run starts (so a forger cannot know which),
and fails if any differs from what is stored. Measuring is deterministic: the same job gives
the same record and outputs, byte for byte.
"""

from __future__ import annotations

import random
from typing import Callable

from emu.console import say
from emu.errors import CheckFailed
from emu.results.cached_measure import ResultsCache
from emu.results.sweep import Job, job_key, run_job


def verify_cached(jobs: list[Job], count: int, cache: ResultsCache, workers: int = 1,
                  progress: Callable[[str], None] = say) -> int:
    """Measure up to `count` of the jobs the cache holds afresh; CheckFailed naming the first
    entry that differs (removed, so the next run measures it). Returns how many were checked."""
    keys = [job_key(job) for job in jobs]
    held = [i for i, key in enumerate(keys) if cache.stored(key) is not None]
    chosen = sorted(random.SystemRandom().sample(held, min(count, len(held))))
    if not chosen:
        progress("--verify-cache: no result of this run is in the cache yet")
        return 0
    progress(f"--verify-cache: measuring {len(chosen)} of {len(held)} cached results again")
    fresh = _measure(jobs, chosen, workers)
    for i, answer in zip(chosen, fresh, strict=True):
        stored = cache.stored(keys[i])
        difference = _difference(stored, answer)
        if difference:
            cache.forget(keys[i])
            raise CheckFailed(f"the cached result {cache.store.path_for(keys[i])} for {jobs[i].label} differs "
                              f"from a new measurement ({difference}); it was removed")
    progress(f"--verify-cache: {len(chosen)} cached results match a new measurement")
    return len(chosen)


def _measure(jobs: list[Job], chosen: list[int], workers: int) -> list[dict]:
    if workers <= 1 or len(chosen) == 1:
        return [run_job(jobs[i]) for i in chosen]
    from emu import processes

    with processes.pool(min(workers, len(chosen))) as pool:
        return list(pool.map(run_job, [jobs[i] for i in chosen]))


def _difference(stored: dict | None, fresh: dict) -> str | None:
    """The first way a stored answer differs from a fresh one, in words; None when equal."""
    if stored is None:
        return "it vanished while being checked"
    if "error" in fresh:
        return f"it cannot be measured now: {fresh['error']}"
    if stored.get("outputs") != fresh["outputs"]:
        return "its outputs differ"
    old, new = stored.get("result"), fresh["result"]
    if not isinstance(old, dict):
        return "it holds no result"
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            shown_old, shown_new = (f"{v:,}" if isinstance(v, int) else "..." if isinstance(v, list) else repr(v)
                                    for v in (old.get(name), new.get(name)))
            return f"{name}: {shown_old} stored, {shown_new} measured"
    return None
