"""One 18-run sweep three ways, in one run: serial, on a local pool of two worker processes,
and through a Dask LocalCluster of two workers; the ratios of their wall times, the Dask
scheduler's overhead per job, and a check that all three give the same results.

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_scale.py [--workers 2]

Each way starts from an empty build cache, so every run compiles its firmware, emulates it,
counts its cycles and checks its outputs, as a sweep of new models does; only the trace
plugin is built beforehand. The results cache is not used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from emu.platforms import get_platform
from emu.results.sweep import jobs_for, sweep

MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
NAMES = ("person_detect.tflite", "micro_speech_quantized.tflite", "hello_world_int8.tflite")
BOARDS = ("rp2040-pico", "nucleo-l152re", "nucleo-l4r5zi", "disco-l475-iot01a", "disco-f746ng", "ek-ra6m4")


def quiet(message: str) -> None:
    pass


def timed(label: str, run) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    outcome = run()
    seconds = time.perf_counter() - started
    assert not outcome.failures, outcome.failures[0].reason
    print(f"{label:<28} {seconds:7.1f} s")
    return seconds, [r.to_dict() for r in outcome.results]


PLUGINS = Path(tempfile.mkdtemp(prefix="emu-sweep-plugins-"))


def fresh_cache() -> None:
    """An empty cache (workers started after this inherit it) holding only the trace plugin."""
    root = Path(tempfile.mkdtemp(prefix="emu-sweep-cache-"))
    shutil.copytree(PLUGINS, root / "plugins")
    os.environ["EMU_CACHE"] = str(root)


def scheduler_overhead(address: str, count: int = 200) -> float:
    """Seconds per job for Dask to schedule and return a job that does nothing."""
    import distributed

    with distributed.Client(address) as client:
        client.gather(client.map(abs, range(10)))  # warm
        started = time.perf_counter()
        client.gather(client.map(abs, range(-count, 0), pure=False))
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import distributed

    from emu.emulators.qemu_plugin import plugin_library

    jobs = jobs_for([(MODELS / n, "model") for n in NAMES], [get_platform(b) for b in BOARDS])
    print(f"{len(jobs)} runs: {len(NAMES)} models x {len(BOARDS)} boards, each from an empty build cache")
    os.environ["EMU_CACHE"] = str(PLUGINS.parent / (PLUGINS.name + "-root"))
    shutil.copytree(plugin_library().parent.parent, PLUGINS, dirs_exist_ok=True)  # the cache's plugins/
    fresh_cache()
    serial, want = timed("serial", lambda: sweep(jobs, workers=1, progress=quiet))
    fresh_cache()
    pool, got_pool = timed(f"--jobs {args.workers}", lambda: sweep(jobs, workers=args.workers, progress=quiet))
    fresh_cache()  # before the cluster starts: its workers take the cache from the environment
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster:
        on_cluster, got_cluster = timed(f"{args.workers}-worker LocalCluster",
                                        lambda: sweep(jobs, cluster=cluster.scheduler_address, progress=quiet))
        overhead = scheduler_overhead(cluster.scheduler_address)
    assert got_pool == want and got_cluster == want, "results differ between serial and parallel runs"
    print(f"\nspeed-up over serial: --jobs {args.workers} {serial / pool:.2f}x, cluster {serial / on_cluster:.2f}x; "
          f"identical results")
    print(f"per run (serial): {serial / len(jobs):.2f} s; Dask scheduling overhead per job: {overhead * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
