"""Does the trace plugin load in the installed QEMU and count? `emu doctor` boots a
three-instruction image with it, through the same command line as every run, and checks
the count the plugin wrote."""

from __future__ import annotations

from pathlib import Path

from emu import cache
from emu.emulators.qemu import plugin_spec, qemu_command, qemu_complaint
from emu.emulators.qemu_plugin import plugin_library
from emu.emulators.qemu_trace import parse_trace_file
from emu.emulators.semihosting import run_served
from emu.errors import EmuError, first_line

# A raw image for mps2-an385 (Cortex-M3, code at 0): the vector table's stack pointer and
# reset vector, then three Thumb instructions that leave through semihosting SYS_EXIT with
# ADP_Stopped_ApplicationExit, and the literal they load.
SELF_TEST_MACHINE = "mps2-an385"
SELF_TEST_IMAGE = b"".join([
    (0x20001000).to_bytes(4, "little"),  # initial SP
    (0x00000009).to_bytes(4, "little"),  # reset: 0x8, Thumb
    (0x2018).to_bytes(2, "little"),      # 0x08 movs r0, #0x18 (SYS_EXIT)
    (0x4901).to_bytes(2, "little"),      # 0x0a ldr r1, [pc, #4] (the word at 0x10)
    (0xBEAB).to_bytes(2, "little"),      # 0x0c bkpt 0xab (semihosting call)
    (0xE7FE).to_bytes(2, "little"),      # 0x0e b . (never reached)
    (0x00020026).to_bytes(4, "little"),  # 0x10 ADP_Stopped_ApplicationExit
])
SELF_TEST_INSTRUCTIONS = 3  # movs, ldr, bkpt: one block, counted once
# The machine's code and data memories (mps2-an385: 4 MB at 0, SRAM at 0x20000000).
SELF_TEST_FLASH = (0x0, 0x400000)
SELF_TEST_RAM = (0x20000000, 0x400000)


def plugin_self_test(timeout_s: float = 30.0) -> str:
    """Boot SELF_TEST_IMAGE with the trace plugin and check what the plugin wrote.

    Returns a one-line summary; raises EmuError saying what went wrong.
    """
    plugin = plugin_library()
    with cache.temp_folder("emu-selftest-") as tmp:
        work = Path(tmp)
        image = work / "selftest.bin"
        image.write_bytes(SELF_TEST_IMAGE)
        results = work / "trace.txt"
        spec = plugin_spec(plugin, results, SELF_TEST_FLASH, SELF_TEST_RAM)
        status, stderr, _ = run_served(qemu_command(image, SELF_TEST_MACHINE, spec, [], work), work, timeout_s)
        if status is None:
            raise EmuError(f"QEMU did not finish the plugin self-test within {timeout_s:.0f} s")
        if not results.exists():
            reason = qemu_complaint(stderr) or first_line(stderr) or f"exit status {status}"
            raise EmuError(f"QEMU did not load the trace plugin: {reason}")
        recorded = parse_trace_file(results)
    if recorded.end_kind != "exit" or recorded.total != SELF_TEST_INSTRUCTIONS:
        raise EmuError(f"the trace plugin counted {recorded.total} instructions of the self-test "
                       f"(expected {SELF_TEST_INSTRUCTIONS}), ending '{recorded.end_kind}'")
    return f"loads and counts ({plugin.parent.name})"
