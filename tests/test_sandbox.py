"""Firmware stays in its box: every semihosting call that would reach the host (run a
command, open, delete or rename a file, read the console) ends `emu profile` with exit 3 and
one line naming the call, and the host is left as it was; console output still arrives.

The oracles are the host itself (the files the firmware asked to create, change or read,
the kernel's view of the QEMU process) and the test programs' own symbols (tests/asm/host_*.S:
`host_call` is the `bkpt 0xab` that asks)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emu.cli.app import main as emu_main
from emu.emulators import semihosting
from emu.emulators.qemu import QEMU, run_firmware
from emu.errors import FirmwareError, shown
from tests.qemu_programs import ASM, assemble
from tests.test_emulator import labels, platform_for, pytestmark  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
BOARD = "nucleo-l152re"  # mps2-an385, code at 0 and data at 0x20000000 like the test programs


def build(program: str, out_dir: Path, **defines: str) -> Path:
    """tests/asm/PROGRAM.S for mps2-an385, with each define a C string (-DNAME="value")."""
    return assemble(ASM / f"{program}.S", out_dir / f"{program}.elf", "cortex-m3", 0, 0x20000000,
                    *(f'-D{name}="{value}"' for name, value in defines.items()))


def profile(elf: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    """`emu profile ELF -p BOARD` in this process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["emu", "profile", str(elf), "-p", BOARD])
    with pytest.raises(SystemExit) as ended:
        emu_main()
        raise SystemExit(0)
    captured = capsys.readouterr()
    return ended.value.code or 0, captured.out, captured.err


def quoted(text: object) -> str:
    """A string from the firmware as the refusal shows it: escaped and cut like every name emu prints."""
    return f"'{shown(str(text))}'"


def refusal_line(elf: Path, call: str) -> str:
    at = labels(elf)["host_call"]
    return f"emu: error: firmware made semihosting call {call} at pc {at:#010x} in reset, which emu does not allow"


def test_sys_system_runs_nothing_on_the_host(tmp_path, monkeypatch, capsys):
    made = tmp_path / "made-by-firmware"
    elf = build("host_system", tmp_path, COMMAND=f"touch {made}")
    code, out, err = profile(elf, monkeypatch, capsys)
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, f"SYS_SYSTEM ({quoted(f'touch {made}')})")]
    assert not made.exists()
    assert "returned by SYS_SYSTEM" not in out


def test_open_for_writing_outside_the_run_creates_nothing(tmp_path, monkeypatch, capsys):
    target = tmp_path / "outside" / "written.txt"
    target.parent.mkdir()
    elf = build("host_open_write", tmp_path, TARGET=str(target))
    code, _, err = profile(elf, monkeypatch, capsys)
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, f"SYS_OPEN ({quoted(target)} for writing)")]
    assert list(target.parent.iterdir()) == []


def test_open_for_reading_shows_nothing_of_a_host_file(tmp_path, monkeypatch, capsys):
    secret = secrets.token_hex(16)
    target = tmp_path / "secret.txt"
    target.write_text(secret + "\n")
    elf = build("host_open_read", tmp_path, TARGET=str(target))
    code, out, err = profile(elf, monkeypatch, capsys)
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, f"SYS_OPEN ({quoted(target)} for reading)")]
    assert secret not in out + err


def test_remove_leaves_the_file(tmp_path, monkeypatch, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("still here\n")
    elf = build("host_remove", tmp_path, TARGET=str(victim))
    code, _, err = profile(elf, monkeypatch, capsys)
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, f"SYS_REMOVE ({quoted(victim)})")]
    assert victim.read_text() == "still here\n"


def test_rename_leaves_the_file_where_it_was(tmp_path, monkeypatch, capsys):
    victim, moved = tmp_path / "victim.txt", tmp_path / "moved.txt"
    victim.write_text("still here\n")
    elf = build("host_rename", tmp_path, TARGET=str(victim), NEW_NAME=str(moved))
    code, _, err = profile(elf, monkeypatch, capsys)
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, f"SYS_RENAME ({quoted(victim)} to {quoted(moved)})")]
    assert victim.read_text() == "still here\n"
    assert not moved.exists()


def test_waiting_for_console_input_is_reported_at_once(tmp_path, monkeypatch, capsys):
    elf = build("host_readc", tmp_path)
    started = time.monotonic()
    code, _, err = profile(elf, monkeypatch, capsys)
    elapsed = time.monotonic() - started
    assert code == 3
    assert err.splitlines() == [refusal_line(elf, "SYS_READC (console input; emu gives firmware none)")]
    assert elapsed < 60, elapsed  # the run's time limit is 900 s


def test_the_real_command_refuses_sys_system(tmp_path):
    made = tmp_path / "made-by-firmware"
    elf = build("host_system", tmp_path, COMMAND=f"touch {made}")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "emu", "profile", str(elf), "-p", BOARD],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines() == [refusal_line(elf, f"SYS_SYSTEM ({quoted(f'touch {made}')})")]
    assert not made.exists()


def test_console_output_still_arrives(tmp_path, monkeypatch, capsys):
    elf = build("console_calls", tmp_path)
    code, out, err = profile(elf, monkeypatch, capsys)
    assert code == 0, err
    printed = [line.removeprefix("  | ") for line in out.splitlines() if line.startswith("  | ")]
    # What console_calls.S writes, with each call's result as Arm's semihosting specification
    # gives it for a terminal: all bytes written, a TTY, length 0, closed.
    assert printed == ["hello from the firmware", "!", "written to :tt", "unwritten 00000000",
                       "istty 00000001", "flen 00000000", "close 00000000"]


def test_relative_paths_still_reach_the_emulator_in_its_own_folder(tmp_path, monkeypatch, capsys):
    """QEMU runs in a private folder: a relative ELF path and a relative EMU_CACHE, given from
    the user's folder, must still name the same files there."""
    build("console_calls", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMU_CACHE", "relative-cache")
    code, out, err = profile(Path("console_calls.elf"), monkeypatch, capsys)
    assert code == 0, err
    assert "  | hello from the firmware" in out.splitlines()
    assert (tmp_path / "relative-cache").is_dir()


def children_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[1]) == os.getpid() and (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table of Linux")
def test_qemu_runs_filtered_in_a_folder_of_its_own_with_no_inherited_descriptor(tmp_path):
    if not semihosting.sandbox_options(QEMU):
        pytest.skip("this QEMU cannot run under -sandbox (built without seccomp)")
    leaked = tmp_path / "leaked.txt"
    fd = os.open(leaked, os.O_WRONLY | os.O_CREAT)
    os.set_inheritable(fd, True)  # what a careless parent could hand down
    elf = build("spin", tmp_path)

    def spin() -> None:
        try:
            run_firmware(elf, platform_for("mps2-an385"), budget=10**15, timeout_s=20.0)
        except FirmwareError:  # stopped below, maybe before its trace was finished
            pass

    run = threading.Thread(target=spin)
    try:
        run.start()
        deadline = time.monotonic() + 15
        while not children_named(QEMU[:15]) and time.monotonic() < deadline:  # comm keeps 15 characters
            time.sleep(0.05)
        (pid,) = children_named(QEMU[:15])
        proc = Path("/proc") / str(pid)

        def seccomp() -> str:
            lines = (proc / "status").read_text().splitlines()
            return dict(line.split(":\t", 1) for line in lines if ":\t" in line)["Seccomp"].strip()

        # QEMU installs its filter while it starts, a moment after exec: wait for it, within reason.
        while seccomp() != "2" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seccomp() == "2"  # a seccomp filter is installed
        cwd = Path(os.readlink(proc / "cwd"))
        assert cwd != Path.cwd() and cwd.name.startswith("emu-qemu-")
        targets = [os.readlink(link) for link in (proc / "fd").iterdir()]
        assert str(leaked) not in targets
        assert sum(target.startswith("socket:") for target in targets) == 1  # the gdbstub, nothing else handed down
        os.kill(pid, 15)
    finally:
        os.close(fd)
        run.join(60)
    assert not run.is_alive()


# ---- Renode (not installed here: the script emu writes and how its result is read) -------


def bkpt_addresses(elf: Path) -> list[int]:
    """Every `bkpt 0xab` as the toolchain's own disassembler lists it."""
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True,
                             check=True).stdout
    return [int(line.split(":")[0], 16) for line in listing.splitlines() if "bkpt\t0x00ab" in line]


def test_renode_hooks_every_semihosting_call_of_the_firmware(tmp_path):
    from emu.emulators import renode

    elf = build("host_system", tmp_path, COMMAND="touch x")
    sites = renode.semihosting_call_sites(elf)
    assert sites == bkpt_addresses(elf)
    assert labels(elf)["host_call"] in sites
    script = renode.run_script(elf, platform_for("mps2-an385"), tmp_path, [], budget=1_000_000, exit_hook=None,
                               call_sites=sites)
    hooks = [line for line in script.splitlines() if line.startswith("cpu AddHook ")]
    assert [int(line.split()[2], 16) for line in hooks] == sites
    for line, site in zip(hooks, sites, strict=True):
        hook = line.split(" ", 3)[3]
        assert hook.startswith('"') and hook.endswith('"') and '"' not in hook[1:-1]  # one Renode string
        # SYS_SYSTEM (0x12), SYS_REMOVE, SYS_RENAME and SYS_READC are refused; the console calls pass
        assert "r0 in (7, 14, 15, 18)" in hook
        assert f"open(r'{tmp_path / 'refused.txt'}', 'w').write(str(r0) + ' {site}')" in hook
        assert "setattr(self, 'IsHalted', True)" in hook


def test_a_call_refused_under_renode_ends_like_under_qemu(tmp_path):
    from emu.emulators import renode, retrace
    from emu.errors import FirmwareError
    from emu.results.measure import raise_for_exit

    elf = build("host_system", tmp_path, COMMAND="touch x")
    at = labels(elf)["host_call"]
    trace = renode.assemble_trace(0, "", "", retrace.Counted([], 10, at), refused_text=f"18 {at}")
    assert (trace.exit.kind, trace.exit.pc, trace.exit.detail) == ("refused", at, "SYS_SYSTEM")
    with pytest.raises(FirmwareError) as refused:
        raise_for_exit(trace, elf)
    assert str(refused.value) == (f"firmware made semihosting call SYS_SYSTEM at pc {at:#010x} in reset, "
                                  "which emu does not allow")
