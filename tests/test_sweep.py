"""Sweeps: a pool of workers and a Dask cluster give the serial run's results, byte for byte,
in the same order; a killed worker's job is rerun; an interrupted sweep keeps what it finished."""

import os
import signal

import pytest

from emu.platforms import get_platform
from emu.results.cached_measure import ResultsCache
from emu.results.sweep import jobs_for, sweep
from tests.conftest import needs_arm_gcc, shared_model

BOARDS = ("rp2040-pico", "nucleo-l4r5zi", "disco-f746ng")


def quiet(message):
    pass


def sweep_jobs(*names):
    return jobs_for([(shared_model(n), "model") for n in names], [get_platform(b) for b in BOARDS])


def as_dicts(outcome):
    return [r.to_dict() for r in outcome.results]


@pytest.fixture(scope="module")
def serial():
    jobs = sweep_jobs("hello_world_int8.tflite", "hello_world_float.tflite")
    return jobs, as_dicts(sweep(jobs, workers=1, progress=quiet))


@needs_arm_gcc
def test_a_pool_gives_the_serial_results_in_order(serial):
    jobs, want = serial
    assert [(r["model"], r["platform"]) for r in want] == [(j.name, j.platform.name) for j in jobs]
    assert as_dicts(sweep(jobs, workers=2, progress=quiet)) == want


@needs_arm_gcc
def test_an_interrupted_sweep_keeps_what_it_finished(serial, tmp_path, monkeypatch):
    jobs, want = serial
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))  # a results cache of this test's own
    cache = ResultsCache()
    finished = []

    def interrupt_after_two(message):
        finished.append(message)
        if len(finished) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(jobs, workers=2, cache=cache, progress=interrupt_after_two)
    again = sweep(jobs, workers=2, cache=ResultsCache(), progress=quiet)
    assert again.reused == 2 and again.measured == len(jobs) - 2
    assert as_dicts(again) == want


@needs_arm_gcc
def test_a_model_that_cannot_run_is_a_row_beside_the_others_measured(tmp_path):
    from tests import modelgen

    tf = modelgen.tf()
    # TOPK_V2: an operator the converter writes that emu does not lower (nor does TFLM register it)
    model = modelgen.keras_model([tf.keras.layers.Dense(4),
                                  tf.keras.layers.Lambda(lambda x: tf.math.top_k(x, k=2).values)], (3,))
    (tmp_path / "top_k.tflite").write_bytes(modelgen.to_float(model))
    boards = [get_platform(b) for b in BOARDS]
    jobs = jobs_for([(tmp_path / "top_k.tflite", "model"), (shared_model("hello_world_int8.tflite"), "model")], boards)
    outcome = sweep(jobs, workers=2, progress=quiet)
    assert not outcome.failures
    assert [(r.model, r.platform, r.status) for r in outcome.results] == (
        [("top_k", b, "not runnable") for b in BOARDS] + [("hello_world_int8", b, "measured") for b in BOARDS])
    refused = outcome.results[:3]
    assert all("TOPK_V2" in r.reason and r.cycles is None for r in refused), refused[0].reason


@needs_arm_gcc
def test_a_cluster_with_a_worker_killed_mid_sweep_gives_the_serial_results(serial):
    distributed = pytest.importorskip("distributed")
    jobs, want = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_class=distributed.Nanny) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        killed = []

        def kill_one_worker(message):
            if not killed:  # at the first finished job the other worker is mid-job
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        outcome = sweep(jobs, cluster=cluster.scheduler_address, progress=kill_one_worker)
        assert killed and as_dicts(outcome) == want and not outcome.failures


def test_a_failure_is_reported_in_one_line_that_says_why():
    from emu.errors import first_line as one_line

    build = ("firmware build failed for alif-e7-appkit:\n  /tmp/x/model.c: In function 'emu_model_run':\n"
             "  /tmp/x/model.c:12:5: error: too few arguments to function 'f'\n   12 |     f(1);\n")
    assert one_line(build) == ("firmware build failed for alif-e7-appkit: /tmp/x/model.c:12:5: error: "
                               "too few arguments to function 'f'")
    assert one_line("unknown platform 'x' (known: a, b)\n") == "unknown platform 'x' (known: a, b)"
    assert one_line("  \n") == ""
    assert one_line(RuntimeError("\n  Failed to allocate tensors\n  detail\n")) == "Failed to allocate tensors"
    assert one_line(ValueError()) == "ValueError"  # an exception without a message is named by its type
