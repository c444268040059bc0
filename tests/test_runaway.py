"""Runaway firmware: a WFI or WFE that no interrupt can end is reported at once, with its
address and function, under its own exit code; and a killed emu leaves no QEMU running.

The expected addresses come from the test programs' own symbols (tests/asm/wfi*.S)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emu.emulators.image import interrupts_can_come
from emu.emulators.qemu import run_firmware
from emu.errors import FirmwareError
from emu.platforms import get_platform
from tests.test_emulator import build, labels, platform_for, pytestmark  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
BOARD = "nucleo-l152re"  # mps2-an385 with code at 0 and data at 0x20000000, as the test programs


def emu_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "emu", *args]


def emu_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_wfi_without_interrupts_ends_the_run_at_the_wfi(tmp_path):
    elf = build("wfi", tmp_path)
    assert not interrupts_can_come(elf, platform_for("mps2-an385"))
    started = time.monotonic()
    trace = run_firmware(elf, platform_for("mps2-an385"), timeout_s=60.0)
    elapsed = time.monotonic() - started
    assert trace.exit.kind == "wait"
    assert trace.exit.pc == labels(elf)["wait_here"]
    assert trace.exit.detail == "WFI"
    assert elapsed < 10.0  # reported at once, not after the 60 s timeout


def test_the_32_bit_wfe_is_recognised(tmp_path):
    elf = build("wfe_wide", tmp_path)
    trace = run_firmware(elf, platform_for("mps2-an385"), timeout_s=60.0)
    assert (trace.exit.kind, trace.exit.detail) == ("wait", "WFE")
    assert trace.exit.pc == labels(elf)["wait_here"]
    at = labels(elf)
    # movs, cpsid and the WFE once each; the branch back never runs
    assert trace.segments[0].executions == {at["reset"]: 1, at["reset"] + 2: 1, at["wait_here"]: 1}


def test_wfi_with_an_interrupt_handler_is_left_to_sleep(tmp_path):
    elf = build("wfi_handled", tmp_path)
    assert interrupts_can_come(elf, platform_for("mps2-an385"))
    trace = run_firmware(elf, platform_for("mps2-an385"), timeout_s=2.0)
    assert trace.exit.kind == "timeout"


def test_emu_reports_the_wfi_with_its_function_and_exit_code_3(tmp_path):
    elf = build("wfi", tmp_path)
    started = time.monotonic()
    result = subprocess.run(emu_command("profile", str(elf), "-p", BOARD), capture_output=True, text=True, check=False,
                            env=emu_env(), timeout=300)
    elapsed = time.monotonic() - started
    at = labels(elf)["wait_here"]
    assert result.returncode == 3, result.stderr
    expected = f"emu: error: firmware waits for an interrupt that cannot come (WFI at {at:#x} in sleep_forever)"
    assert expected in result.stderr.splitlines()
    assert elapsed < 60.0, elapsed  # the whole command, Python start-up included
    print(f"emu profile reported the WFI after {elapsed:.2f} s")


def test_firmware_failures_have_their_own_exit_code():
    assert FirmwareError.exit_code == 3
    assert FirmwareError("x").exit_code not in (0, 1, 2)


def qemu_children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` and whose name is QEMU's (a zombie counts as gone)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, parent = stat[stat.rindex(")") + 2:].split()[:2]
        if int(parent) == pid and name.startswith("qemu-system") and state != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_qemu_dies_with_a_killed_emu(tmp_path):
    elf = build("spin", tmp_path)
    emu = subprocess.Popen(emu_command("profile", str(elf), "-p", BOARD), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=emu_env())
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not children and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.1)
            children = qemu_children(emu.pid)
        assert children, "emu never started QEMU"
        emu.send_signal(signal.SIGKILL)
        emu.wait()
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in children), "QEMU outlived the emu that started it"
    finally:
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if emu.poll() is None:
            emu.kill()


def test_the_board_matches_the_test_programs_layout():
    board = get_platform(BOARD)
    assert (board.qemu_machine, board.flash_origin, board.ram_origin) == ("mps2-an385", 0, 0x20000000)


def test_a_branch_to_itself_without_interrupts_is_reported_at_once(tmp_path):
    """tests/asm/selfloop.S ends in `spin: b spin` with no interrupt handler: it would spin
    until the instruction budget ran out; it is stopped at the branch."""
    elf = build("selfloop", tmp_path)
    trace = run_firmware(elf, platform_for("mps2-an385"), timeout_s=60.0)
    assert (trace.exit.kind, trace.exit.detail) == ("wait", "branch-to-self")
    assert trace.exit.pc == labels(elf)["spin"]
    result = subprocess.run(emu_command("profile", str(elf), "-p", BOARD), capture_output=True, text=True,
                            env=emu_env(), timeout=120)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1] == (
        f"emu: error: firmware loops forever: a branch to itself at {labels(elf)['spin']:#x} in reset, "
        "and no interrupt can end it")
