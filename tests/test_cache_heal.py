"""The cache heals itself: a damaged entry is noticed, removed and rebuilt with identical
results; scratch folders of killed runs are swept by the next run while those of live runs
stay; a build killed half way leaves nothing once the next run is done."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from elftools.elf.elffile import ELFFile

from emu.cache import ContentStore
from emu.link.firmware import build_firmware
from emu.platforms import get_platform
from tests.conftest import needs_arm_gcc
from tests.test_build import hand_model

LOADED = (".text", ".rodata", ".data")


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("EMU_CACHE", str(root))
    return root


def loaded_sections(elf):
    """What the board runs; debug sections name the folder the build ran in, so they differ."""
    with open(elf, "rb") as f:
        sections = {s.name: s.data() for s in ELFFile(f).iter_sections() if s.name in LOADED}
    assert ".text" in sections
    return sections


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


@needs_arm_gcc
@pytest.mark.parametrize("damaged", ["build.json", "firmware.elf"])
def test_a_damaged_build_is_rebuilt_identically(damaged, cache_root, capsys):
    board = get_platform("nucleo-l4r5zi")
    first = build_firmware(hand_model(), board)
    info, sections = (first.elf.parent / "build.json").read_text(), loaded_sections(first.elf)
    truncate(first.elf.parent / damaged)
    capsys.readouterr()
    second = build_firmware(hand_model(), board)
    notice = capsys.readouterr().err.strip().splitlines()
    assert len(notice) == 1 and "damaged" in notice[0] and damaged in notice[0], notice
    assert second.elf == first.elf
    assert (second.elf.parent / "build.json").read_text() == info
    assert loaded_sections(second.elf) == sections
    assert second.sections == first.sections
    # healed: the next read is a plain hit, with no notice
    build_firmware(hand_model(), board)
    assert capsys.readouterr().err == ""


@needs_arm_gcc
def test_a_truncated_firmware_in_the_cache_gives_the_same_measurement(tiny_model, cache_root):
    from emu.results.measure import measure

    board = get_platform("nucleo-l4r5zi")
    before, outputs = measure(tiny_model, board)
    [entry] = (cache_root / "builds").iterdir()
    truncate(entry / "firmware.elf")
    after, again = measure(tiny_model, board)
    assert after.to_dict() == before.to_dict()
    assert [y.tolist() for y in again] == [y.tolist() for y in outputs]


def test_an_altered_stored_value_is_a_miss(tmp_path, capsys):
    store = ContentStore(tmp_path / "results")
    store.put("ab" * 32, {"cycles": 1234})
    path = store.path_for("ab" * 32)
    path.write_text(path.read_text().replace("1234", "1235"))  # still valid JSON, but not what was stored
    assert store.get("ab" * 32) is None
    assert "damaged" in capsys.readouterr().err and not path.exists()
    store.put("ab" * 32, {"cycles": 1234})
    assert store.get("ab" * 32) == {"cycles": 1234}


# ---- scratch folders -----------------------------------------------------------------------

HOLDER = ("import sys, time\nfrom emu import cache\n"
          "folder = cache.run_folder()\n(folder / 'partial.bin').write_bytes(b'x')\n"
          "print(folder, flush=True)\ntime.sleep(120)\n")


def scratch_holder(env):
    """A process that made its scratch folder and sleeps: its pid and the folder."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER], env=env, stdout=subprocess.PIPE, text=True)
    folder = process.stdout.readline().strip()
    assert folder, "the holder printed no folder"
    return process, folder


def emu(*args, env):
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], env=env, check=False, capture_output=True,
                          text=True, timeout=600)


@needs_arm_gcc
def test_the_next_run_sweeps_dead_runs_and_keeps_live_ones(tiny_model, tmp_path):
    env = {**os.environ, "EMU_CACHE": str(tmp_path / "cache"), "PYTHONPATH": os.getcwd()}
    live, live_folder = scratch_holder(env)  # first: making a scratch folder sweeps dead ones
    dead, dead_folder = scratch_holder(env)
    dead.kill()
    dead.wait()
    try:
        assert os.path.isdir(dead_folder) and os.path.isdir(live_folder)
        result = emu("build", tiny_model, "-p", "nucleo-l4r5zi", "--out", tmp_path / "out", env=env)
        assert result.returncode == 0, result.stderr
        assert not os.path.exists(dead_folder), "the killed run's scratch folder is still there"
        assert os.path.isfile(os.path.join(live_folder, "partial.bin")), "a live run's scratch folder was swept"
        assert sorted(os.listdir(tmp_path / "cache" / "tmp")) == [os.path.basename(live_folder)]
    finally:
        live.kill()
        live.wait()


def hidden_or_scratch(root):
    """Everything a finished run should not have left: scratch folders, hidden partial entries."""
    left = [p for p in (root / "tmp").iterdir()] if (root / "tmp").is_dir() else []
    return left + [p for p in root.rglob(".*") if p.name != ".emu-manifest.json"]


@needs_arm_gcc
def test_a_build_killed_while_compiling_leaves_nothing_after_the_next_run(tiny_model, tmp_path):
    killed_root, clean_root = tmp_path / "killed", tmp_path / "clean"
    env = {**os.environ, "EMU_CACHE": str(killed_root), "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "emu", "build", str(tiny_model), "-p", "nucleo-l4r5zi", "--out"]
    build = subprocess.Popen(command + [str(tmp_path / "first")], env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(killed_root.rglob("model.c")):  # the compiler has its sources: it is compiling
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before it could be killed"
        time.sleep(0.005)
    os.killpg(build.pid, signal.SIGKILL)  # the build and its compiler, as a cancelled CI job
    build.wait()
    assert hidden_or_scratch(killed_root), "the kill left nothing to clean up (the test would prove nothing)"
    builds = killed_root / "builds"
    assert not [p for p in (builds.iterdir() if builds.is_dir() else ()) if not p.name.startswith(".")], \
        "the build was published before the kill"

    rerun = emu("build", tiny_model, "-p", "nucleo-l4r5zi", "--out", tmp_path / "again", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert hidden_or_scratch(killed_root) == []
    reference = emu("build", tiny_model, "-p", "nucleo-l4r5zi", "--out", tmp_path / "reference",
                    env={**env, "EMU_CACHE": str(clean_root)})
    assert reference.returncode == 0, reference.stderr
    assert (json.loads((tmp_path / "again" / "build.json").read_text())
            == json.loads((tmp_path / "reference" / "build.json").read_text()))
    assert (loaded_sections(tmp_path / "again" / "firmware.elf")
            == loaded_sections(tmp_path / "reference" / "firmware.elf"))


@needs_arm_gcc
def test_a_run_killed_inside_qemu_leaves_nothing_after_the_next_run(tiny_model, tmp_path):
    import numpy as np

    root, tmpdir = tmp_path / "cache", tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "EMU_CACHE": str(root), "TMPDIR": str(tmpdir), "PYTHONPATH": os.getcwd()}
    np.save(tmp_path / "x.npy", np.zeros((1, 5), dtype=np.int8))
    command = [sys.executable, "-m", "emu", "run", str(tiny_model), "-p", "nucleo-l4r5zi",
               "--input", str(tmp_path / "x.npy"), "--no-check", "--output"]
    run = subprocess.Popen(command + [str(tmp_path / "y1.npy")], env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # QEMU's working folder: in the system's temporary folder or in the cache's scratch
    while not list(tmpdir.glob("emu-qemu-*")) + list(root.glob("tmp/*/emu-qemu-*")):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.002)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    rerun = emu(*command[3:], tmp_path / "y2.npy", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert np.load(tmp_path / "y2.npy").shape == (1, 3)
    assert list(tmpdir.iterdir()) == [], "temporary files left in the system's temporary folder"
    assert hidden_or_scratch(root) == []


@needs_arm_gcc
def test_a_run_killed_while_building_the_plugin_leaves_nothing_after_the_next_run(tiny_model, tmp_path):
    """The trace plugin is compiled on first use in a staging folder of the run's scratch
    folder, then published: a kill during its compile leaves a partial entry that the next
    run sweeps, and nothing at the entry's name."""
    import numpy as np

    root = tmp_path / "cache"
    env = {**os.environ, "EMU_CACHE": str(root), "PYTHONPATH": os.getcwd()}
    build = emu("build", tiny_model, "-p", "nucleo-l4r5zi", "--out", tmp_path / "built", env=env)
    assert build.returncode == 0, build.stderr  # the firmware is cached: what follows builds the plugin
    np.save(tmp_path / "x.npy", np.zeros((1, 5), dtype=np.int8))
    command = [sys.executable, "-m", "emu", "run", str(tiny_model), "-p", "nucleo-l4r5zi",
               "--input", str(tmp_path / "x.npy"), "--no-check", "--output"]
    run = subprocess.Popen(command + [str(tmp_path / "y1.npy")], env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(root.glob("tmp/*/emu_trace-api*")):  # the plugin's staging folder: compiling
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.002)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert not list(root.glob("plugins/*")), "the plugin was published before the kill"
    rerun = emu(*command[3:], tmp_path / "y2.npy", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert np.load(tmp_path / "y2.npy").shape == (1, 3)
    assert len(list(root.glob("plugins/*/emu_trace.so"))) == 1 and hidden_or_scratch(root) == []
