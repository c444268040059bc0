"""Helium (MVE) instructions, decoded by LLVM's disassembler.

Capstone 5 reads MVE encodings as coprocessor operations (CDP, LDC, STC) or as Neon, so for
firmware whose ELF attributes say it may hold MVE code (Tag_MVE_arch, which GCC writes for
-mcpu=cortex-m55), `llvm-objdump` (Debian's `llvm` package) decodes the whole image once and
its answer replaces capstone's at every address where it names an MVE instruction. What timing
needs is read from LLVM's text: the operation, the registers read and written (a q register
is the four s units it overlays, as in emu.timing.instruction), the memory operand and the bytes it
moves. The VPT predicate register is the unit "vpr".
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

from emu import processes
from emu.errors import EmuError
from emu.timing.instruction import Instruction, register_units
from emu.tools import find_tool

TRIPLE = "thumbv8.1m.main-none-eabi"
FEATURES = "+mve.fp,+fp64,+dsp"
# Loop instructions are emu.timing.disasm's own (capstone leaves them undecoded).
_LOOP_OPERATIONS = frozenset({"dls", "dlstp", "wls", "wlstp", "le", "letp", "lctp"})
# Capstone's names for the registers LLVM spells by number.
_CAPSTONE_NAMES = {"r9": "sb", "r10": "sl", "r11": "fp", "r12": "ip"}
# Operations that read their destination too: accumulations, inserts into part of a register.
_READS_DESTINATION = (
    "vmla", "vmlas", "vfma", "vfms", "vqdmlah", "vqrdmlah", "vqdmlash", "vqrdmlash", "vsli", "vsri",
    "vmovnb", "vmovnt", "vqmovnb", "vqmovnt", "vqmovunb", "vqmovunt", "vshrnb", "vshrnt",
    "vrshrnb", "vrshrnt", "vqshrnb", "vqshrnt", "vqrshrnb", "vqrshrnt", "vqshrunb", "vqshrunt",
    "vqrshrunb", "vqrshrunt", "vcvtb", "vcvtt",
)
# Reductions across the vector into core registers (LLVM prints VMLADAV without exchange as
# VMLAV, VMLALDAV as VMLALV): the "a" forms accumulate, and the maximum, minimum and
# absolute-difference ones always fold in what the register held.
REDUCTION = re.compile(r"^v(?:r?ml[as]l?(?:dav|v)h?(?P<a>a?)x?|addl?v(?P<b>a?)|(?P<c>abav|(?:max|min)(?:nm)?a?v))$")
_LANE_BYTES = {"8": 1, "16": 2, "32": 4, "64": 8}
_ELEMENT_BYTES = {"b": 1, "h": 2, "w": 4, "d": 8}
_MEMORY = re.compile(r"\[((?:r\d+|sp|lr)[^\]]*)\](!?)(\s*,\s*#-?\d+)?")
# "addr: encoding<tab>mnemonic<tab>operands"; LLVM 14 prints the encoding as bytes
# ("02 f0 01 e8"), later versions as Thumb halfwords ("f002 e801").
_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2}(?:[0-9a-f]{2})? )+)\s*([a-z]\S*)\s*(.*)$")


def has_mve(elf: Path) -> bool:
    """Whether the ELF's build attributes allow MVE code (Tag_MVE_arch 1 or 2)."""
    with open(elf, "rb") as f:
        section = ELFFile(f).get_section_by_name(".ARM.attributes")
        if section is None:
            return False
        for subsection in section.iter_subsections():
            for subsubsection in subsection.iter_subsubsections():
                for attribute in subsubsection.iter_attributes():
                    if attribute.tag == "TAG_MVE_ARCH" and attribute.value:
                        return True
    return False


def mve_instructions(elf: Path) -> tuple[dict[int, Instruction], frozenset[int]]:
    """The MVE instructions of the ELF by address, and where LLVM finds every instruction to
    start (capstone, misreading an MVE encoding, may have split it in two); both empty when the
    ELF's attributes rule MVE out."""
    if not has_mve(elf):
        return {}, frozenset()
    try:
        text = processes.run(
            [find_tool("llvm-objdump"), "-d", f"--triple={TRIPLE}", f"--mattr={FEATURES}", str(elf)],
            capture_output=True, text=True, timeout=600, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise EmuError(f"llvm-objdump could not decode {elf}: {e}") from None
    return parse_listing(text)


def parse_listing(text: str) -> tuple[dict[int, Instruction], frozenset[int]]:
    program: dict[int, Instruction] = {}
    starts: set[int] = set()
    predicated = 0  # instructions left in the current VPT block
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        address, raw, mnemonic, op_str = match.groups()
        starts.add(int(address, 16))
        op_str = op_str.split("@")[0].split("<")[0].strip()
        in_block = predicated > 0
        predicated = max(predicated - 1, 0)
        block = _vpt_block_length(mnemonic)
        if block:
            predicated = block
        if not is_mve(mnemonic, op_str):
            continue
        size = len("".join(raw.split())) // 2
        program[int(address, 16)] = decode(int(address, 16), size, mnemonic, op_str, in_block)
    return program, frozenset(starts)


def _vpt_block_length(mnemonic: str) -> int:
    """VPST/VPT open a block of as many instructions as their mask has T and E letters."""
    stem = mnemonic.split(".")[0]
    if stem.startswith("vpst"):
        return len(stem) - 3
    if stem.startswith("vpt") and set(stem[3:]) <= {"t", "e"}:
        return len(stem) - 2
    return 0


def is_mve(mnemonic: str, op_str: str) -> bool:
    stem = mnemonic.split(".")[0]
    if stem in _LOOP_OPERATIONS or not stem.startswith("v"):
        return False
    if _vpt_block_length(mnemonic) or stem.startswith(("vctp", "vpsel", "vpnot")):
        return True
    return bool(re.search(r"\bq\d+\b|\bp0\b", op_str))


def decode(address: int, size: int, mnemonic: str, op_str: str, in_block: bool) -> Instruction:
    parts = mnemonic.split(".")
    operation = parts[0]
    if _vpt_block_length(mnemonic):
        operation = "vpst" if operation.startswith("vpst") else "vpt"  # without the mask: vpstte -> vpst
    elif in_block and operation[-1] in "te":
        operation = operation[:-1]  # the predication letter: vldrbt -> vldrb
    memory = _MEMORY.search(op_str)  # not a lane index: q0[2]
    registers_before_memory = _registers(op_str[: memory.start()] if memory else op_str)
    is_load = operation.startswith(("vldr", "vld2", "vld4"))
    is_store = operation.startswith(("vstr", "vst2", "vst4"))
    base = index = None
    writes: set[str] = set()
    reads: set[str] = set()
    if memory:
        inside = _registers(memory.group(1))
        base = inside[0] if inside else None
        index = inside[1] if len(inside) > 1 else None
        reads |= set(inside)
        if memory.group(2) or memory.group(3):
            writes.add(base)  # pre-indexed with write-back, or post-indexed
    if is_store:
        reads |= set(registers_before_memory)
    elif is_load:
        writes |= set(registers_before_memory)
    elif operation == "vpst":
        reads.add("vpr")
    elif registers_before_memory:
        destination, sources = _destination(operation, registers_before_memory)
        writes |= destination
        reads |= sources
        if operation.startswith(("vctp", "vpt", "vcmp")):
            writes -= destination  # they only read their operands, and write the predicate
            reads |= destination
        elif _accumulates(operation) or operation in _READS_DESTINATION:
            reads |= destination
        elif operation == "vmov" and re.match(r"q\d+\[", op_str):
            reads |= destination  # a lane written: the others stay
    if operation.startswith(("vctp", "vpt", "vcmp")):
        writes.add("vpr")
    if in_block:
        reads.add("vpr")
        reads |= writes - {"vpr", base}  # lanes predicated off keep their old value
    if operation == "vpsel":
        reads.add("vpr")
    data_type = next((p for p in parts[1:] if p[:1] in "fsuip" and p[1:].isdigit()), None)
    return Instruction(
        address=address, size=size, mnemonic=mnemonic, op_str=op_str, operation=operation,
        condition=None, reads=frozenset(_units(reads)), writes=frozenset(_units(writes)),
        writes_pc=False, is_call=False, is_load=is_load, is_store=is_store,
        base_register=_name(base) if base else None, index_register=_name(index) if index else None,
        access_bytes=_access_bytes(operation, parts[1:]) if is_load or is_store else 0,
        register_count=0, data_type=data_type, shifted_operand=False, vector=True,
    )


def _accumulates(operation: str) -> bool:
    match = REDUCTION.match(operation)
    return bool(match and any(match.groups()))


def _destination(operation: str, registers: list[str]) -> tuple[set[str], set[str]]:
    """(written, read) registers of a data-processing operation: the first one or two
    operands written (two for VMOV of two lanes to core registers and the long across-vector
    forms, which write a register pair), the rest read."""
    pair = (operation == "vmov" and len(registers) == 4 and registers[0].startswith("r")) or \
        re.match(r"^vr?ml[as]l", operation) is not None or operation.startswith("vaddlv")
    count = 2 if pair and len(registers) >= 3 else 1
    return set(registers[:count]), set(registers[count:])


def _registers(text: str) -> list[str]:
    return re.findall(r"\b(r\d+|sp|lr|q\d+|s\d+|d\d+|p0)\b", text)


def _name(register: str) -> str:
    return _CAPSTONE_NAMES.get(register, register)


def _units(registers: set[str]) -> set[str]:
    """The units emu.timing.disasm compares, from LLVM's names: p0 is the predicate "vpr"."""
    return register_units("vpr" if r == "p0" else _name(r) for r in registers if r is not None)


def _access_bytes(operation: str, types: list[str]) -> int:
    """Bytes one vector load or store moves: VLDRB.S32 reads four bytes, VLDRW.U32 sixteen,
    VLD4 four registers' worth."""
    registers = 4 if operation.startswith(("vld4", "vst4")) else 2 if operation.startswith(("vld2", "vst2")) else 1
    element = _ELEMENT_BYTES.get(operation[4:5], 0) if operation.startswith(("vldr", "vstr")) else 0
    lane = next((_LANE_BYTES[t[1:]] for t in types if t[1:] in _LANE_BYTES), 4)
    if not element:  # VLD2/VLD4 move whole registers of the given lane size
        return 16 * registers
    return (16 // lane) * element
