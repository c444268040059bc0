"""A hostile file system, cache and process table: every case ends in exit 0 with the right
result, or exit 2 or 3 with one clean line; nothing is written outside the output folder;
no process is left behind.

The oracle is the file system's real state (what lstat says sits at a path, what a reader
at the other end of a pipe received, which processes /proc lists) and results measured
before the damage. Output cases run `emu bench` in this process, answered from a cache
filled once; device cases use a device node made under the test's own folder, and the
real /dev/stdout only once a harmless probe shows that emu writes through such a name
instead of replacing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from emu import cache
from tests.conftest import needs_arm_gcc

BOARD = "nucleo-l4r5zi"
STALL_S = 20  # a case that takes longer than this is hung


# ---- running emu --------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str


def emu_here(capfd, monkeypatch, *args) -> Run:
    """`emu ARGS` in this process (fd-level capture: emu may write to descriptor 1 itself)."""
    from emu.cli.app import main

    monkeypatch.setattr(sys, "argv", ["emu", *map(str, args)])
    capfd.readouterr()
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capfd.readouterr()
    return Run(code, out, err)


def assert_one_clean_line(run: Run, code: int, *words: str) -> None:
    assert run.code == code, (run.code, run.err)
    errors = [line for line in run.err.splitlines() if line.startswith("emu: error:")]
    assert len(errors) == 1, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert "\x1b" not in run.err, "a raw escape reached the terminal"
    for word in words:
        assert word in errors[0], errors[0]


def tree(folder: Path) -> dict[str, str]:
    """Every path under `folder` and what kind of file it is, without following links."""
    kinds = {}
    for path in sorted(folder.rglob("*")):
        mode = os.lstat(path).st_mode
        kinds[str(path.relative_to(folder))] = ("link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode)
                                                else "file" if stat.S_ISREG(mode) else "fifo" if stat.S_ISFIFO(mode)
                                                else "chr" if stat.S_ISCHR(mode) else "other")
    return kinds


# ---- a cache that answers the bench ---------------------------------------------------------


@pytest.fixture(scope="module")
def benched(tiny_model, tmp_path_factory):
    """A cache holding the tiny model's result on BOARD, and that result as a real run wrote it."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc missing: run make setup")
    folder = tmp_path_factory.mktemp("benched")
    env = {**os.environ, "EMU_CACHE": str(folder / "cache"), "PYTHONPATH": os.getcwd()}
    env.pop("EMU_CACHE_KEY", None)
    done = subprocess.run([sys.executable, "-m", "emu", "bench", str(tiny_model), "-p", BOARD,
                           "--json", str(folder / "reference.json")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return folder / "cache", (folder / "reference.json").read_text()


@pytest.fixture
def bench_here(benched, tiny_model, tmp_path, capfd, monkeypatch):
    """`emu bench tiny -p BOARD EXTRA...` in this process from the filled cache, cwd a fresh
    folder `work` (returned with the reference output)."""
    root, reference = benched
    monkeypatch.setenv("EMU_CACHE", str(root))
    monkeypatch.delenv("EMU_CACHE_KEY", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def run(*extra) -> Run:
        return emu_here(capfd, monkeypatch, "bench", tiny_model, "-p", BOARD, *extra)

    return run, work, reference


# ---- output paths -------------------------------------------------------------------------


def test_a_new_name_is_written(bench_here):
    run, work, reference = bench_here
    before = tree(work)
    result = run("--json", work / "out.json")
    assert result.code == 0, result.err
    assert (work / "out.json").read_text() == reference
    assert set(tree(work)) - set(before) == {"out.json"}


def test_missing_folders_on_the_way_are_made(bench_here):
    run, work, reference = bench_here
    result = run("--json", work / "a" / "b" / "out.json")
    assert result.code == 0, result.err
    assert (work / "a" / "b" / "out.json").read_text() == reference


def test_a_regular_file_is_replaced_whole(bench_here):
    run, work, reference = bench_here
    (work / "out.json").write_text("old and much longer than what replaces it " * 1000)
    assert run("--json", work / "out.json").code == 0
    assert (work / "out.json").read_text() == reference


def test_csv_to_a_new_name(bench_here):
    run, work, _ = bench_here
    assert run("--csv", work / "out.csv").code == 0
    header, row = (work / "out.csv").read_text().splitlines()[:2]
    assert header.startswith("model,") and row.startswith("tiny_int8,")


def test_a_link_to_a_regular_file_is_replaced_and_its_target_kept(bench_here):
    run, work, reference = bench_here
    (work / "victim.txt").write_text("victim\n")
    (work / "out.json").symlink_to(work / "victim.txt")
    assert run("--json", work / "out.json").code == 0
    assert (work / "victim.txt").read_text() == "victim\n"
    assert tree(work)["out.json"] == "file" and (work / "out.json").read_text() == reference


def test_a_dangling_link_is_replaced_and_nothing_made_at_its_target(bench_here):
    run, work, reference = bench_here
    (work / "out.json").symlink_to(work / "nowhere" / "target.json")
    assert run("--json", work / "out.json").code == 0
    assert not (work / "nowhere").exists()
    assert tree(work)["out.json"] == "file" and (work / "out.json").read_text() == reference


def test_a_link_to_a_folder_is_replaced_and_the_folder_kept(bench_here):
    run, work, reference = bench_here
    (work / "folder").mkdir()
    (work / "out.json").symlink_to(work / "folder")
    assert run("--json", work / "out.json").code == 0
    assert list((work / "folder").iterdir()) == []
    assert (work / "out.json").read_text() == reference


def test_a_link_loop_is_replaced(bench_here):
    run, work, reference = bench_here
    (work / "a").symlink_to(work / "b")
    (work / "b").symlink_to(work / "a")
    assert run("--json", work / "a").code == 0
    assert (work / "a").read_text() == reference and tree(work)["b"] == "link"


def test_a_folder_is_one_line(bench_here):
    run, work, _ = bench_here
    (work / "out.json").mkdir()
    (work / "out.json" / "keep").write_text("keep\n")
    before = tree(work)
    assert_one_clean_line(run("--json", work / "out.json"), 2, "folder")
    assert tree(work) == before


def test_a_path_through_a_file_is_one_line(bench_here):
    run, work, _ = bench_here
    (work / "file").write_text("a file\n")
    before = tree(work)
    assert_one_clean_line(run("--json", work / "file" / "out.json"), 2, "not a folder")
    assert tree(work) == before and (work / "file").read_text() == "a file\n"


def test_a_very_long_name_is_one_line(bench_here):
    run, work, _ = bench_here
    before = tree(work)
    assert_one_clean_line(run("--json", work / ("x" * 300 + ".json")), 2, "too long")
    assert tree(work) == before


def test_a_place_nobody_can_write_is_one_line(bench_here):
    run, work, _ = bench_here
    assert_one_clean_line(run("--json", "/proc/emu-results.json"), 2, "cannot write")
    assert not os.path.exists("/proc/emu-results.json")


def test_a_name_with_control_characters_is_shown_escaped(bench_here):
    run, work, _ = bench_here
    name = work / "bad\x1b[31m\nname"
    name.mkdir()
    assert_one_clean_line(run("--json", name), 2, "folder")


def test_a_socket_is_one_line_and_kept(bench_here):
    run, work, _ = bench_here
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(work / "out.sock"))
    try:
        assert_one_clean_line(run("--json", work / "out.sock"), 2, "socket")
        assert stat.S_ISSOCK(os.lstat(work / "out.sock").st_mode)
    finally:
        server.close()


class PipeReader:
    """Reads a FIFO from another thread until its writer closes it (or a deadline)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # open now: emu finds a reader
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        deadline = time.monotonic() + STALL_S
        while time.monotonic() < deadline:
            if not select.select([self.fd], [], [], 0.1)[0]:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if chunk:
                self.data += chunk
            elif self.data:
                break  # the writer closed it
            else:
                time.sleep(0.01)  # no writer yet
        os.close(self.fd)

    def result(self) -> str:
        self.thread.join(STALL_S + 1)
        return self.data.decode()


def test_a_fifo_is_written_through(bench_here):
    run, work, reference = bench_here
    os.mkfifo(work / "out.json")
    reader = PipeReader(work / "out.json")
    assert run("--json", work / "out.json").code == 0
    assert reader.result() == reference
    assert tree(work)["out.json"] == "fifo"


def test_a_link_to_a_fifo_is_written_through(bench_here):
    run, work, reference = bench_here
    os.mkfifo(work / "pipe")
    (work / "out.json").symlink_to(work / "pipe")
    reader = PipeReader(work / "pipe")
    assert run("--json", work / "out.json").code == 0
    assert reader.result() == reference
    assert tree(work)["out.json"] == "link" and tree(work)["pipe"] == "fifo"


def test_csv_through_a_fifo(bench_here):
    run, work, _ = bench_here
    os.mkfifo(work / "out.csv")
    reader = PipeReader(work / "out.csv")
    assert run("--csv", work / "out.csv").code == 0
    assert reader.result().startswith("model,")
    assert tree(work)["out.csv"] == "fifo"


def test_a_fifo_nobody_reads_is_one_line_not_a_hang(bench_here):
    run, work, _ = bench_here
    os.mkfifo(work / "out.json")
    started = time.monotonic()
    assert_one_clean_line(run("--json", work / "out.json"), 2, "reading")
    assert time.monotonic() - started < STALL_S
    assert tree(work)["out.json"] == "fifo"


def null_device(path: Path) -> Path:
    """A character device like /dev/null (1, 3), made in the test's own folder."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return path


def test_a_character_device_is_written_through_and_kept(bench_here):
    run, work, _ = bench_here
    device = null_device(work / "null")
    assert run("--json", device).code == 0
    assert stat.S_ISCHR(os.lstat(device).st_mode) and os.stat(device).st_rdev == os.makedev(1, 3)
    assert set(tree(work)) == {"null"}


def test_a_link_to_a_character_device_is_written_through(bench_here):
    run, work, _ = bench_here
    device = null_device(work / "null")
    (work / "out.json").symlink_to(device)
    assert run("--csv", work / "out.json").code == 0
    assert tree(work) == {"null": "chr", "out.json": "link"}


def test_a_dash_is_standard_output(bench_here):
    run, work, reference = bench_here
    result = run("--json", "-")
    assert result.code == 0, result.err
    assert result.out == reference, "stdout holds the results and only them"
    assert list(work.iterdir()) == []


def test_csv_dash_is_standard_output(bench_here):
    run, work, _ = bench_here
    result = run("--csv", "-")
    assert result.code == 0 and result.out.startswith("model,")
    assert list(work.iterdir()) == []


def test_a_link_to_this_process_s_stdout_is_written_through(bench_here):
    """What /dev/stdout is, made in the test's folder: replacing it would be harmless here."""
    run, work, reference = bench_here
    (work / "stdout").symlink_to("/proc/self/fd/1")
    result = run("--json", work / "stdout")
    assert result.code == 0 and result.out == reference
    assert tree(work) == {"stdout": "link"}


@pytest.fixture
def system_names_are_safe(tmp_path):
    """Writing to /dev/stdout or /dev/fd/1 is tried only when emu writes through a link to a
    descriptor instead of replacing it: else the case fails without touching /dev."""
    probe = tmp_path / "probe"
    probe.symlink_to("/proc/self/fd/1")
    with open(tmp_path / "captured", "wb") as captured:
        saved = os.dup(1)
        os.dup2(captured.fileno(), 1)
        try:
            cache.atomic_write(probe, "probe\n")
        except Exception:  # noqa: BLE001 - any failure makes the probe fail
            pass
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    if not probe.is_symlink():
        pytest.fail("emu replaces a link to a descriptor: /dev/stdout would be replaced, so it is not tried")


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_a_name_of_standard_output(name, system_names_are_safe, bench_here):
    run, work, reference = bench_here
    before = os.readlink("/dev/stdout")
    result = run("--json", name)
    assert result.code == 0, result.err
    assert result.out == reference
    assert os.readlink("/dev/stdout") == before and list(work.iterdir()) == []


@pytest.fixture
def devices_are_safe(tmp_path):
    """The real /dev/null is tried only when emu keeps a device node made here a device."""
    probe = null_device(tmp_path / "probe-null")
    try:
        cache.atomic_write(probe, "probe\n")
    except Exception:  # noqa: BLE001 - any failure makes the probe fail
        pass
    if not stat.S_ISCHR(os.lstat(probe).st_mode):
        pytest.fail("emu replaces a device node: /dev/null would be replaced, so it is not tried")


def test_dev_null_is_written_through_and_stays_a_device(devices_are_safe, bench_here):
    run, work, _ = bench_here
    before = os.lstat("/dev/null")
    assert run("--json", "/dev/null", "--csv", "/dev/null").code == 0
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert list(work.iterdir()) == []


# ---- the results cache: values ------------------------------------------------------------


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A ContentStore in a fresh cache root, with one value stored under KEY."""
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("EMU_CACHE_KEY", raising=False)
    s = cache.ContentStore(tmp_path / "cache" / "results")
    s.put(KEY, VALUE)
    return s


KEY = "ab" + "0" * 62
VALUE = {"result": {"cycles": 1298}, "outputs": []}
FORGED = {"result": {"cycles": 1234567}, "outputs": []}


def sealed(value: dict) -> str:
    """A value with its sha256 line recomputed, as anyone who can write the cache can."""
    text = json.dumps(value)
    return hashlib.sha256(text.encode()).hexdigest() + "\n" + text


def get_within(s, key, seconds=STALL_S):
    """store.get in a thread: a read that hangs (a pipe, a device) fails the case, not the suite."""
    answer = {}
    worker = threading.Thread(target=lambda: answer.update(value=s.get(key)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "reading the cache hung"
    return answer["value"]


def assert_heals(s, key=KEY):
    """The damaged entry is a miss, gone, and the store takes and serves the value again."""
    assert get_within(s, key) is None
    assert not os.path.lexists(s.path_for(key)), "the damaged entry is still there"
    s.put(key, VALUE)
    assert s.get(key) == VALUE
    assert tree(s.path_for(key).parent)[s.path_for(key).name] == "file"


def test_a_stored_value_is_served(store):
    assert store.get(KEY) == VALUE


def test_a_truncated_value_heals(store):
    path = store.path_for(KEY)
    path.write_bytes(path.read_bytes()[:40])
    assert_heals(store)


def test_a_value_with_a_wrong_digest_heals(store):
    path = store.path_for(KEY)
    path.write_text("0" * 64 + "\n" + json.dumps(FORGED))
    assert_heals(store)


def test_a_value_replaced_by_a_folder_heals(store):
    path = store.path_for(KEY)
    path.unlink()
    (path / "inside").mkdir(parents=True)
    (path / "inside" / "file").write_text("x")
    assert_heals(store)


def test_a_value_replaced_by_a_link_is_not_followed(store, tmp_path):
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(sealed(FORGED))
    path = store.path_for(KEY)
    path.unlink()
    path.symlink_to(elsewhere)
    assert get_within(store, KEY) is None, "a value was read through a link"
    assert elsewhere.read_text() == sealed(FORGED)
    assert_heals(store)


def test_a_value_linked_to_a_fifo_does_not_hang(store, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    path = store.path_for(KEY)
    path.unlink()
    path.symlink_to(tmp_path / "pipe")
    try:
        assert_heals(store)
    finally:
        unblock(tmp_path / "pipe")


def test_a_value_that_is_a_fifo_does_not_hang(store):
    path = store.path_for(KEY)
    path.unlink()
    os.mkfifo(path)
    try:
        assert_heals(store)
    finally:
        unblock(path)


def unblock(fifo: Path) -> None:
    """Let a reader stuck on a FIFO go (when the code under test opened it blocking)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def test_a_huge_value_is_not_read_whole(store):
    path = store.path_for(KEY)
    with open(path, "r+b") as f:
        f.truncate(300 << 20)  # sparse: costs no disk
    assert_heals(store)


def test_a_value_that_is_not_an_object_heals(store):
    store.path_for(KEY).write_text(sealed([1, 2, 3]))  # type: ignore[arg-type]
    assert_heals(store)


def test_a_value_that_is_not_text_heals(store):
    store.path_for(KEY).write_bytes(b"\xff\xfe\x00garbage\n\x80\x81")
    assert_heals(store)


def test_a_forged_value_is_refused_with_a_key(store, monkeypatch):
    monkeypatch.setenv("EMU_CACHE_KEY", "the team's secret")
    store.put(KEY, VALUE)
    store.path_for(KEY).write_text(sealed(FORGED))  # digest recomputed, no key to sign with
    assert_heals(store)


def test_a_value_signed_with_another_key_is_refused(store, monkeypatch):
    monkeypatch.setenv("EMU_CACHE_KEY", "another key")
    store.put(KEY, FORGED)
    monkeypatch.setenv("EMU_CACHE_KEY", "the team's secret")
    assert_heals(store)


def test_a_signed_value_is_served_with_its_key_and_without_one(store, monkeypatch):
    monkeypatch.setenv("EMU_CACHE_KEY", "the team's secret")
    store.put(KEY, VALUE)
    assert store.get(KEY) == VALUE
    monkeypatch.delenv("EMU_CACHE_KEY")
    assert store.get(KEY) == VALUE  # its digest still shows damage


def test_a_file_where_a_shard_folder_belongs_heals(store):
    shard = store.path_for(KEY).parent
    shutil.rmtree(shard)
    shard.write_text("not a folder")
    assert store.get(KEY) is None
    store.put(KEY, VALUE)
    assert store.get(KEY) == VALUE


def test_a_link_where_a_shard_folder_belongs_is_not_written_through(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shard = store.path_for(KEY).parent
    shutil.rmtree(shard)
    shard.symlink_to(outside)
    store.put(KEY, VALUE)
    assert list(outside.iterdir()) == [], "the cache wrote through a link out of its folder"
    assert store.get(KEY) == VALUE


def test_a_file_where_the_results_folder_belongs_heals(store):
    shutil.rmtree(store.root)
    store.root.write_text("junk")
    store.put(KEY, VALUE)
    assert store.get(KEY) == VALUE


def test_a_file_where_the_scratch_folder_belongs_heals(store, tmp_path):
    scratch = tmp_path / "cache" / "tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.write_text("junk")
    with cache.temp_folder() as work:
        assert work.is_dir() and work.parent.parent == scratch


def test_a_cache_that_cannot_store_costs_a_rerun_not_the_run(monkeypatch, capfd):
    monkeypatch.setenv("EMU_CACHE", "/proc/emu-cache-nowhere")
    unusable = cache.ContentStore(Path("/proc/emu-cache-nowhere/results"))
    unusable.put(KEY, VALUE)  # no exception: the run goes on
    assert "not stored in the cache" in capfd.readouterr().err
    assert unusable.get(KEY) is None
    assert not os.path.exists("/proc/emu-cache-nowhere")


def test_foreign_files_in_the_cache_change_nothing(store, tmp_path):
    root = tmp_path / "cache"
    (root / "notes.txt").write_text("mine")
    (root / "results" / "zz").mkdir()
    (root / "results" / "zz" / "readme").write_text("mine too")
    (store.path_for(KEY).parent / "x.json").write_text("not a key")
    assert store.get(KEY) == VALUE
    store.put("ab" + "1" * 62, FORGED)
    assert (root / "notes.txt").read_text() == "mine" and (root / "results" / "zz" / "readme").exists()


def test_a_killed_run_s_leftovers_are_swept_and_change_nothing(store, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = cache._HOST
    leftover = tmp_path / "cache" / "tmp" / f"{host}-{dead.pid}-killed"
    leftover.mkdir(parents=True)
    (leftover / "partial.bin").write_bytes(b"\0" * 100)
    (store.path_for(KEY).parent / f".{KEY}.json.abcd.tmp").write_text("half")
    cache._swept.clear()
    assert store.get(KEY) == VALUE
    assert not leftover.exists()


WRITER = """
import json, sys
from emu.cache import ContentStore
store = ContentStore(sys.argv[1])
for _ in range(int(sys.argv[3])):
    store.put(sys.argv[2], json.loads(sys.argv[4]))
"""


def test_two_processes_writing_one_key_never_show_half_a_value(store, tmp_path, capfd):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), KEY, "150", json.dumps(VALUE)],
                                env=env) for _ in range(2)]
    seen = set()
    while any(w.poll() is None for w in writers):
        value = store.get(KEY)
        seen.add(json.dumps(value))
    assert [w.wait() for w in writers] == [0, 0]
    assert seen <= {json.dumps(VALUE), "null"}
    assert "damaged" not in capfd.readouterr().err
    assert store.get(KEY) == VALUE
    assert [p.name for p in store.path_for(KEY).parent.iterdir()] == [store.path_for(KEY).name]


# ---- the cache: folder entries (builds, kernel archives, the trace plugin) ----------------------


@pytest.fixture
def folder_entry(tmp_path, monkeypatch):
    """A published folder entry `builds/e` of two files; returns its path."""
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("EMU_CACHE_KEY", raising=False)
    return publish_entry(tmp_path / "cache" / "builds" / "e")


def publish_entry(final: Path) -> Path:
    with cache.staging(final.parent, final.name) as work:
        (work / "firmware.elf").write_bytes(b"\x7fELF" + bytes(range(256)))
        (work / "sub").mkdir()
        (work / "sub" / "build.json").write_text('{"ok": true}\n')
        cache.publish(work, final)
    return final


def reseal(final: Path) -> None:
    """Recompute the manifest's digests, as anyone who can write the cache can (keeping
    whatever else it holds, a signature included)."""
    manifest = json.loads((final / cache.MANIFEST).read_text())
    manifest["files"] = {p.relative_to(final).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in sorted(final.rglob("*")) if p.is_file() and p.name != cache.MANIFEST}
    (final / cache.MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))


def entry_within(final, seconds=STALL_S):
    answer = {}
    worker = threading.Thread(target=lambda: answer.update(value=cache.entry(final)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "checking the entry hung"
    return answer["value"]


def assert_rebuilt(final: Path) -> None:
    assert entry_within(final) is None
    assert not os.path.lexists(final), "the entry is still there"
    publish_entry(final)
    assert cache.entry(final) == final


def test_a_folder_entry_is_served(folder_entry):
    assert cache.entry(folder_entry) == folder_entry


def test_an_entry_replaced_by_a_file_is_rebuilt(folder_entry):
    shutil.rmtree(folder_entry)
    folder_entry.write_text("junk")
    assert_rebuilt(folder_entry)


def test_an_entry_that_links_elsewhere_is_not_served(folder_entry, tmp_path):
    elsewhere = publish_entry(tmp_path / "cache" / "builds" / "other")
    shutil.rmtree(folder_entry)
    folder_entry.symlink_to(elsewhere)
    assert_rebuilt(folder_entry)
    assert cache.entry(elsewhere) == elsewhere, "the link's target was touched"


def test_a_file_added_to_an_entry_is_rebuilt(folder_entry):
    (folder_entry / "sub" / "extra.so").write_bytes(b"not emu's")
    assert_rebuilt(folder_entry)


def test_a_file_of_an_entry_replaced_by_a_link_is_rebuilt(folder_entry, tmp_path):
    copy = tmp_path / "copy.elf"
    copy.write_bytes((folder_entry / "firmware.elf").read_bytes())
    (folder_entry / "firmware.elf").unlink()
    (folder_entry / "firmware.elf").symlink_to(copy)
    assert_rebuilt(folder_entry)
    assert copy.exists()


def test_a_file_of_an_entry_replaced_by_a_fifo_does_not_hang(folder_entry):
    (folder_entry / "firmware.elf").unlink()
    os.mkfifo(folder_entry / "firmware.elf")
    try:
        assert_rebuilt(folder_entry)
    finally:
        if (folder_entry / "firmware.elf").exists():
            unblock(folder_entry / "firmware.elf")


def test_a_manifest_naming_a_file_outside_the_entry_is_rebuilt(folder_entry, tmp_path):
    (tmp_path / "cache" / "builds" / "secret").write_text("outside\n")
    manifest = json.loads((folder_entry / cache.MANIFEST).read_text())
    manifest["files"]["../secret"] = hashlib.sha256(b"outside\n").hexdigest()
    (folder_entry / cache.MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    assert_rebuilt(folder_entry)
    assert (tmp_path / "cache" / "builds" / "secret").read_text() == "outside\n"


def test_a_manifest_replaced_by_a_folder_is_rebuilt(folder_entry):
    (folder_entry / cache.MANIFEST).unlink()
    (folder_entry / cache.MANIFEST).mkdir()
    assert_rebuilt(folder_entry)


def test_a_forged_entry_is_rebuilt_with_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("EMU_CACHE_KEY", "the team's secret")
    final = publish_entry(tmp_path / "cache" / "builds" / "e")
    assert cache.entry(final) == final
    (final / "firmware.elf").write_bytes(b"\x7fELF forged firmware")
    reseal(final)
    assert_rebuilt(final)


def test_a_forged_entry_without_a_key_is_served_as_documented(folder_entry):
    """Without a key a digest shows damage, not forgery (docs/decisions.md, "Trust")."""
    (folder_entry / "firmware.elf").write_bytes(b"\x7fELF forged firmware")
    reseal(folder_entry)
    assert cache.entry(folder_entry) == folder_entry


# ---- the cache, through `emu bench` --------------------------------------------------------------


@pytest.fixture
def own_cache(benched, tmp_path, monkeypatch):
    """A private copy of the filled cache (its results are changed by the case)."""
    root = tmp_path / "cache"
    shutil.copytree(benched[0], root, symlinks=True)
    monkeypatch.setenv("EMU_CACHE", str(root))
    monkeypatch.delenv("EMU_CACHE_KEY", raising=False)
    return root, json.loads(benched[1])


def stored_results(root: Path) -> list[Path]:
    return sorted((root / "results").rglob("*.json"))


def bench_json(capfd, monkeypatch, tiny_model, out: Path, *extra) -> tuple[Run, list | None]:
    run = emu_here(capfd, monkeypatch, "bench", tiny_model, "-p", BOARD, "--json", out, *extra)
    return run, json.loads(out.read_text()) if out.exists() else None


@needs_arm_gcc
def test_bench_heals_a_result_replaced_by_a_folder(own_cache, tiny_model, tmp_path, capfd, monkeypatch):
    root, reference = own_cache
    [entry] = stored_results(root)
    entry.unlink()
    (entry / "x").mkdir(parents=True)
    for attempt in range(2):  # and the run after it too
        run, results = bench_json(capfd, monkeypatch, tiny_model, tmp_path / f"out{attempt}.json")
        assert run.code == 0, run.err
        assert results == reference
    assert tree(entry.parent)[entry.name] == "file"


@needs_arm_gcc
def test_bench_with_a_key_does_not_serve_a_forged_result(own_cache, tiny_model, tmp_path, capfd, monkeypatch):
    root, reference = own_cache
    monkeypatch.setenv("EMU_CACHE_KEY", "the team's secret")
    run, _ = bench_json(capfd, monkeypatch, tiny_model, tmp_path / "signed.json")  # re-stored, signed
    assert run.code == 0, run.err
    [entry] = stored_results(root)
    value = json.loads(entry.read_text().partition("\n")[2])
    value["result"]["cycles"] = 1234567
    entry.write_text(sealed(value))
    run, results = bench_json(capfd, monkeypatch, tiny_model, tmp_path / "out.json")
    assert run.code == 0, run.err
    assert results == reference and results[0]["cycles"] != 1234567


@needs_arm_gcc
def test_verify_cache_finds_a_forged_result(own_cache, tiny_model, tmp_path, capfd, monkeypatch):
    root, _ = own_cache
    [entry] = stored_results(root)
    value = json.loads(entry.read_text().partition("\n")[2])
    value["result"]["cycles"] = 1234567
    entry.write_text(sealed(value))
    run, results = bench_json(capfd, monkeypatch, tiny_model, tmp_path / "out.json", "--verify-cache", "1")
    assert_one_clean_line(run, 1, entry.name, "1,234,567")
    assert results is None, "a forged result was written"
    assert not entry.exists(), "the forged entry is still served"


@needs_arm_gcc
def test_verify_cache_passes_an_honest_cache(own_cache, tiny_model, tmp_path, capfd, monkeypatch):
    _, reference = own_cache
    run, results = bench_json(capfd, monkeypatch, tiny_model, tmp_path / "out.json", "--verify-cache", "3")
    assert run.code == 0, run.err
    assert results == reference and "1 cached results match" in run.err


# ---- killed runs: no process left behind ---------------------------------------------------------


def marked(mark: str) -> list[tuple[int, str]]:
    """Every live process whose environment carries the mark (all of a run's descendants
    inherit it, wherever they were re-parented), with its command line."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read().split(b"\0")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"EMU_TEST_MARK={mark}".encode() in environ:
            found.append((int(entry), command))
    return found


def stop_marked(mark: str) -> None:
    """Clean up after a failed case: the processes this case started, by pid."""
    for pid, _ in marked(mark):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def kill_when(command: list[str], env: dict, ready, sig=signal.SIGKILL, limit_s: float = 240) -> list:
    """Start `emu ...`, wait until `ready(processes)` holds, send `sig` to emu alone, and return
    what is left of the run after a grace of a few seconds."""
    mark = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, "-m", "emu", *command], env={**env, "EMU_TEST_MARK": mark},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + limit_s
        while not ready([c for pid, c in marked(mark) if pid != process.pid]):
            assert process.poll() is None, "emu ended before the moment to kill it"
            assert time.monotonic() < deadline, "the moment to kill never came"
            time.sleep(0.02)
        process.send_signal(sig)
        process.wait()
        deadline = time.monotonic() + 5
        while marked(mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        return marked(mark)
    finally:
        stop_marked(mark)
        if process.poll() is None:
            process.kill()
            process.wait()


def workers(commands) -> list[str]:
    """The pool's workers (not multiprocessing's resource tracker)."""
    return [c for c in commands if "spawn_main" in c]


@pytest.fixture
def kill_env(benched, tiny_model, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(benched[0], root, symlinks=True)
    second = tmp_path / "tiny_b.tflite"  # same bytes, another name: its own jobs and builds
    second.write_bytes(Path(tiny_model).read_bytes())
    env = {**os.environ, "EMU_CACHE": str(root), "PYTHONPATH": os.getcwd()}
    env.pop("EMU_CACHE_KEY", None)
    return env, [str(tiny_model), str(second)], root


BOARDS = ["-p", BOARD, "-p", "nucleo-l4r5zi:reference"]


@needs_arm_gcc
def test_kill_9_of_bench_while_its_workers_compile_leaves_no_process(kill_env):
    env, models, _ = kill_env
    left = kill_when(["bench", *models, *BOARDS, "--jobs", "2", "--no-cache"], env,
                     lambda cs: len(workers(cs)) >= 2 and any("arm-none-eabi-gcc" in c or "cc1" in c for c in cs))
    assert left == [], left


@needs_arm_gcc
def test_kill_9_of_bench_while_a_worker_holds_the_reference_interpreter_leaves_no_process(kill_env):
    env, models, _ = kill_env
    left = kill_when(["bench", *models, *BOARDS, "--jobs", "2", "--no-cache"], env,
                     lambda cs: len(workers(cs)) >= 2 and any("oracle_worker" in c for c in cs))
    assert left == [], left


@needs_arm_gcc
def test_sigterm_of_bench_leaves_no_process(kill_env):
    env, models, _ = kill_env
    left = kill_when(["bench", *models, *BOARDS, "--jobs", "2", "--no-cache"], env,
                     lambda cs: len(workers(cs)) >= 2, sig=signal.SIGTERM)
    assert left == [], left


@needs_arm_gcc
def test_kill_9_of_a_serial_bench_inside_qemu_leaves_no_process(kill_env):
    env, models, _ = kill_env
    left = kill_when(["bench", models[0], "-p", BOARD, "--jobs", "1", "--no-cache"], env,
                     lambda cs: any("qemu-system-arm" in c for c in cs))
    assert left == [], left


@needs_arm_gcc
def test_the_run_after_a_kill_finds_nothing_of_the_last_and_answers(kill_env, benched, tmp_path):
    env, models, root = kill_env
    left = kill_when(["bench", *models, *BOARDS, "--jobs", "2", "--no-cache"], env,
                     lambda cs: len(workers(cs)) >= 2)
    assert left == [], left
    done = subprocess.run([sys.executable, "-m", "emu", "bench", models[0], "-p", BOARD, "--json",
                           str(tmp_path / "after.json")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "after.json").read_text() == benched[1]
    assert not (root / "tmp").exists() or list((root / "tmp").iterdir()) == [], "a killed run's scratch is left"

