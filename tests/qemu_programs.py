"""Hand-written Thumb programs (tests/asm) assembled, linked for a board's memory and run
through QEMU with the trace plugin: the one home of that harness for the tests that count
what such a program does by hand (test_emulator, test_sandbox, the timing tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from emu.emulators.qemu import run_firmware
from emu.timing.disasm import read_program

ASM = Path(__file__).resolve().parent / "asm"

needs_qemu_and_gcc = pytest.mark.skipif(
    not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")),
    reason="needs qemu-system-arm and arm-none-eabi-gcc",
)


def assemble(source: Path, elf: Path, cpu: str, flash_base: int, ram_base: int, *flags: str) -> Path:
    """SOURCE (with tests/asm/common.inc at hand) linked by tests/asm/link.ld with code at
    FLASH_BASE and data at RAM_BASE, for CPU; FLAGS go to the compiler as they are."""
    subprocess.run(
        ["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-nostdlib", "-nostartfiles",
         "-I", str(ASM), "-T", str(ASM / "link.ld"),
         f"-Wl,--defsym=FLASH_BASE={flash_base:#x}", f"-Wl,--defsym=RAM_BASE={ram_base:#x}",
         *flags, str(source), "-o", str(elf)],
        check=True,
    )
    return elf


# A program whose measured window is `body`, between the start and end markers, after `setup`;
# `data` holds its sections besides .text. The markers are plain returns, as the firmware's are.
MARKED = """
    .include "common.inc"
    .type emu_mark_start, %function
    .type emu_mark_end, %function
    .text
    .thumb_func
reset:
{setup}
    bl emu_mark_start
{body}
    bl emu_mark_end
    exit_success
    .ltorg

    .thumb_func
emu_mark_start:
    bx lr
    .thumb_func
emu_mark_end:
    bx lr

{data}
"""


def marked_program(setup: str, body: str, data: str) -> str:
    """The assembly source of a program that measures `body` (see MARKED)."""
    return MARKED.format(setup=setup, body=body, data=data)


def run_marked(source: str, board, out_dir: Path):
    """SOURCE built for BOARD's core and memory and run in QEMU: the one segment of its window
    and the program read from the ELF for it, ready for emu.timing.count_cycles."""
    path, elf = out_dir / "bench.S", out_dir / "bench.elf"
    path.write_text(source)
    assemble(path, elf, board.core, board.flash_origin, board.ram_origin)
    trace = run_firmware(elf, board)
    assert trace.exit.kind == "exit" and len(trace.segments) == 1
    segment = trace.segments[0]
    return segment, read_program(elf, segment.executions)
