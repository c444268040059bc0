"""The Renode backend: its reader gives the QEMU backend's Trace; what it asks Renode to do.

Renode is not needed for most of this file. The cross-check writes the Renode trace that
a run of a test program (tests/asm) produces: the instruction sequence comes from QEMU's
own execution log (`-singlestep -d exec,nochain`, no emu plugin involved), the opcodes
from the ELF's bytes at each PC, and the memory reads from the program's source, as
in tests/test_emulator.py. The reader's Trace of that file must equal the Trace the QEMU
backend measures for the same ELF.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from emu import tools
from emu.emulators import emulator_name, renode, retrace, select_emulator
from emu.emulators import run_firmware as run_chosen
from emu.emulators.qemu import run_firmware
from emu.emulators.window import Window, window_from_elf
from emu.errors import EmuError
from emu.link.bsp import linker_script
from emu.platforms import get_platform
from tests.test_emulator import build, labels, platform_for

needs_qemu = pytest.mark.skipif(
    not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")),
    reason="needs qemu-system-arm and arm-none-eabi-gcc",
)
MACHINE = "mps2-an385"
STACK_TOP = 0x20010000  # tests/asm/link.ld: RAM_BASE + 0x10000
CPUID = 0xE000ED00


# ---- the instruction sequence, independently of emu's plugin ------------------------------


def executed_pcs(elf: Path, work: Path) -> list[int]:
    """Every instruction QEMU executed, in order: one translation block per instruction."""
    log = work / "exec.log"
    subprocess.run(["qemu-system-arm", "-M", MACHINE, "-nographic", "-monitor", "none",
                    "-semihosting-config", "enable=on,target=native", "-kernel", str(elf),
                    "-singlestep", "-d", "exec,nochain", "-D", str(log)],
                   check=True, capture_output=True, timeout=60)
    # QEMU 7.2: "Trace 0: 0x7f.. [00000000/0000010c/00000110/ff200000] reset"
    return [int(m[1], 16) for m in re.finditer(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/", log.read_text())]


def code_bytes(elf: Path) -> tuple[int, bytes]:
    with open(elf, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        return text["sh_addr"], text.data()


def opcode_at(pc: int, origin: int, code: bytes) -> bytes:
    """The instruction's bytes: 32-bit when the first halfword starts 0b11101, 0b11110 or 0b11111."""
    first = code[pc - origin] | code[pc - origin + 1] << 8
    length = 4 if first >> 11 in (0b11101, 0b11110, 0b11111) else 2
    return code[pc - origin:pc - origin + length]


def literal_address(pc: int, opcode: bytes) -> int | None:
    """Where an LDR (literal) reads: Align(PC + 4, 4) +/- offset (Arm ARM A7.7.43)."""
    first = opcode[0] | opcode[1] << 8
    if len(opcode) == 2 and first & 0xF800 == 0x4800:
        return ((pc + 4) & ~3) + (first & 0xFF) * 4
    if len(opcode) == 4 and first & 0xFF7F == 0xF85F:
        offset = opcode[2] | (opcode[3] & 0x0F) << 8
        return ((pc + 4) & ~3) + (offset if first & 0x80 else -offset)
    return None


def reads_counting(at: dict[str, int]) -> dict[int, list[tuple[int, int]]]:
    """Non-literal reads of counting.S, read off its source: (access type, address)."""
    return {at["loop1"]: [(2, at["flash_word"])],
            at["loop1"] + 2: [(2, at["ram_word"])],
            at["loop1"] + 4: [(0, CPUID)]}  # the system control space is a peripheral in Renode


def reads_reads(at: dict[str, int]) -> dict[int, list[tuple[int, int]]]:
    """reads.S: `work` pushes four words below the stack top, then reads them back."""
    sp = STACK_TOP - 16
    return {at["sp_load"]: [(2, sp + 4)], at["wide_sp_load"]: [(2, sp + 8)],
            at["pop_all"]: [(2, sp + 4 * i) for i in range(4)]}


def stores(at: dict[str, int]) -> dict[int, list[tuple[int, int]]]:
    """Writes are in the trace too and must not count as reads (push in reads.S)."""
    return {at["work"]: [(3, STACK_TOP - 16 + 4 * i) for i in range(4)]} if "work" in at else {}


def renode_trace(elf: Path, work: Path, version: int, reads: dict[int, list[tuple[int, int]]]) -> Path:
    """The trace Renode would write for this run, built byte by byte (format in docs/emulator.md)."""
    origin, code = code_bytes(elf)
    skipped = labels(elf).get("skipped_load")  # inside a failing IT block: executed, reads nothing
    out = bytearray(b"ReTrace" + bytes([version, 4, 1, 0, len(b"thumb cortex-m3")]) + b"thumb cortex-m3")
    for pc in executed_pcs(elf, work):
        opcode = opcode_at(pc, origin, code)
        out += struct.pack("<I", pc) + bytes([len(opcode)]) + opcode
        accesses = list(reads.get(pc, []))
        literal = literal_address(pc, opcode)
        if literal is not None and pc != skipped:
            accesses.append((2, literal))
        for kind, address in accesses:
            out += bytes([1, kind]) + struct.pack("<Q", address)
            if version >= 3:
                out += struct.pack("<Q", 0x5A5A5A5A)  # the value read: not used by emu
            if version >= 4:
                out += struct.pack("<Q", address)  # physical = virtual on Cortex-M
        out += b"\x00"
    path = work / f"trace-v{version}.bin"
    path.write_bytes(bytes(out))
    return path


def regions(machine: str = MACHINE) -> retrace.Regions:
    p = platform_for(machine)
    return retrace.Regions(p.flash_origin, p.flash_bytes, p.ram_origin, p.ram_bytes)


@needs_qemu
@pytest.mark.parametrize("version", [3, 4])
def test_reader_trace_equals_qemu_trace_for_counting_program(tmp_path, version):
    elf = build("counting", tmp_path)
    at = labels(elf)
    qemu_trace = run_firmware(elf, platform_for(MACHINE))
    window = window_from_elf(elf)
    path = renode_trace(elf, tmp_path, version, reads_counting(at))
    counted = retrace.count_file(path, regions(), window.start, window.end, window.layer)
    assert qemu_trace.exit.kind == "exit" and len(qemu_trace.segments) == 3
    assert counted.segments == qemu_trace.segments
    assert counted.total == qemu_trace.total_instructions


@needs_qemu
def test_reader_trace_equals_qemu_trace_for_reads_program(tmp_path):
    elf = build("reads", tmp_path)
    at = labels(elf)
    qemu_trace = run_firmware(elf, platform_for(MACHINE), window=Window(None, None, None))
    path = renode_trace(elf, tmp_path, 4, {**reads_reads(at), **stores(at)})
    counted = retrace.count_file(path, regions())
    assert counted.segments == qemu_trace.segments
    assert counted.segments[0].loads[at["pop_all"]] == (0, 4, 0)  # and by hand, as in test_emulator
    assert counted.total == qemu_trace.total_instructions


# ---- what Renode is asked to do ----------------------------------------------------------


def repl_values(text: str) -> dict[str, str]:
    """`name: Type @ sysbus ADDRESS` and `    key: value` lines of a .repl, flattened."""
    values, current = {}, ""
    for line in text.splitlines():
        if line.startswith("//") or not line.strip():
            continue
        if not line.startswith(" "):
            current = line.split(":")[0]
            values[current] = line.split("@")[-1].strip()
        elif ":" in line:
            key, value = line.strip().split(":", 1)
            values[f"{current}.{key}"] = value.strip().strip('"')
    return values


@pytest.mark.parametrize("board, cpu", [("nucleo-l4r5zi", "cortex-m4f"), ("rp2040-pico", "cortex-m0+"),
                                        ("alif-e7-appkit", "cortex-m55")])
def test_platform_description_puts_memory_where_the_board_links_it(board, cpu):
    p = get_platform(board)
    values = repl_values(renode.platform_description(p))
    # The memories are the linker script's regions (emu.link.bsp), at their origins and lengths.
    linked = {name: (int(origin, 16), int(length)) for name, origin, length in
              re.findall(r"^\s*(\w+) \(\w+\) : ORIGIN = (0x[0-9a-f]+), LENGTH = (\d+)$",
                         linker_script(p), re.MULTILINE)}
    repl_name = {"FLASH": "flash", "WEIGHTS": "weights", "RAM": "sram"}
    memories = {name for name in values if f"{name}.size" in values}
    assert memories == {repl_name[name] for name in linked}
    for name, (origin, length) in linked.items():
        assert int(values[repl_name[name]].split()[-1], 16) == origin, name
        assert int(values[f"{repl_name[name]}.size"], 16) == length, name
    assert ("WEIGHTS" in linked) == (board == "alif-e7-appkit")
    assert values["cpu.cpuType"] == cpu  # Renode's names for the cores
    assert values["nvic"] == "sysbus 0xE000E000"  # the Armv7-M/v8-M system control space
    assert "semihosting" in values


def test_script_loads_inputs_traces_in_binary_with_memory_and_stops_at_the_budget(tmp_path):
    p = get_platform("nucleo-l4r5zi")
    elf = tmp_path / "firmware.elf"
    script = renode.run_script(elf, p, tmp_path, [(0x20000100, tmp_path / "load0.bin")], budget=250_000_000,
                               exit_hook=0x1234)
    lines = script.splitlines()
    assert f'sysbus LoadELF @"{elf}"' in lines
    assert f'sysbus LoadBinary @"{tmp_path / "load0.bin"}" 0x20000100' in lines
    assert f'cpu CreateExecutionTracing "emu_trace" @"{tmp_path / "trace.bin"}" PCAndOpcode true' in lines
    assert "emu_trace TrackMemoryAccesses" in lines
    assert f"cpu VectorTableOffset {p.flash_origin:#x}" in lines  # vectors lead flash (emu.link)
    assert any(line.startswith("cpu AddHook 0x1234 ") for line in lines)
    # 250 M instructions at 100 MIPS of virtual time: 2.5 s
    assert 'emulation RunFor "2.500000"' in lines and "cpu PerformanceInMips 100" in lines
    load_binary = f'sysbus LoadBinary @"{tmp_path / "load0.bin"}" 0x20000100'
    assert lines.index(f'sysbus LoadELF @"{elf}"') < lines.index(load_binary)
    assert lines[-1] == "quit" or lines[-2] == "quit"


@pytest.fixture
def no_renode(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(tools.shutil, "which", lambda name, *a, **k: None if "renode" in name else real_which(name))
    monkeypatch.setattr(renode.importlib.util, "find_spec", lambda name: None)


def test_without_renode_the_backend_says_how_to_install_it(no_renode, tmp_path, monkeypatch):
    monkeypatch.delenv("EMU_EMULATOR", raising=False)
    with pytest.raises(EmuError, match="renode.io") as error:
        select_emulator("renode")
    assert "\n" not in str(error.value)
    assert renode.renode_version() is None
    # a refused choice is not left behind for the rest of the process
    assert os.environ.get("EMU_EMULATOR") is None


@needs_qemu
def test_without_renode_a_run_fails_before_starting(no_renode, tmp_path):
    elf = build("spin", tmp_path)
    with pytest.raises(EmuError, match="Renode not found"):
        run_chosen(elf, platform_for(MACHINE), emulator="renode")


def test_emulator_is_chosen_by_argument_then_environment(monkeypatch):
    monkeypatch.delenv("EMU_EMULATOR", raising=False)
    assert emulator_name() == "qemu"
    monkeypatch.setenv("EMU_EMULATOR", "Renode")
    assert emulator_name() == "renode"
    assert emulator_name("qemu") == "qemu"
    with pytest.raises(EmuError, match="unknown emulator 'bochs'"):
        emulator_name("bochs")


def test_exit_fault_and_budget_are_told_apart():
    counted = retrace.Counted([], 10, 0x200)
    assert renode.assemble_trace(0, "", "0", counted).exit.kind == "exit"
    assert renode.assemble_trace(0, "", "3", counted).exit.code == 3
    fault = renode.assemble_trace(0, "emu: fault pc=0x00000124 cfsr=0x00000001 hfsr=0x40000000\n", "3", counted)
    assert (fault.exit.kind, fault.exit.pc, fault.exit.detail) == ("fault", 0x124, "cfsr=0x00000001 hfsr=0x40000000")
    budget = renode.assemble_trace(0, "", "", counted)
    assert (budget.exit.kind, budget.exit.pc) == ("budget", 0x200)
    assert renode.assemble_trace(None, "", "", counted).exit.kind == "timeout"


# ---- with Renode installed ----------------------------------------------------------------


@pytest.mark.renode
@pytest.mark.skipif(not shutil.which("renode"), reason="needs renode on PATH")
@needs_qemu
def test_renode_run_of_counting_program_matches_qemu(tmp_path):
    elf = build("counting", tmp_path)
    platform = platform_for(MACHINE)
    qemu_trace = run_firmware(elf, platform)
    renode_trace_ = renode.run_firmware(elf, platform, budget=1_000_000, timeout_s=300)
    assert renode_trace_.segments == qemu_trace.segments
    assert "emu: stack-low 0x2000fe00" in renode_trace_.stdout


@pytest.mark.skipif(bool(shutil.which("renode") or shutil.which("renode-test")), reason="Renode is installed here")
@pytest.mark.parametrize("command, variable", [
    (["profile", "firmware.elf", "-p", "nucleo-l4r5zi", "--emulator", "renode"], None),
    (["run", "m.tflite", "-p", "nucleo-l4r5zi", "-i", "x.npy", "-o", "y.npy", "--emulator", "renode"], None),
    (["bench", "m.tflite", "-p", "nucleo-l4r5zi"], "renode"),  # chosen by EMU_EMULATOR
])
def test_cli_without_renode_is_a_one_line_error(command, variable, tmp_path):
    import os
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    if variable:
        env["EMU_EMULATOR"] = variable
    result = subprocess.run([sys.executable, "-m", "emu", *command], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("emu:")]
    assert errors == [errors[0]] and "Renode not found" in errors[0] and "renode.io" in errors[0]
