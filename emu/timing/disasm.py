"""Decode a firmware ELF into the instructions the timing model reads.

Capstone decodes Thumb for M-profile cores; this module keeps only what timing needs from
its answer: the operation, the registers read and written, the memory operand, how many
bytes move, whether the instruction writes the PC and under which condition.
Decoding follows the ELF's mapping symbols ($t code, $d data) so literal pools are not
decoded as instructions and cannot desynchronise the instruction stream after them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

import capstone
from capstone import arm
from elftools.common.exceptions import ELFError

from emu.elf import code_ranges
from emu.errors import EmuError
from emu.timing.disasm_mve import mve_instructions
from emu.timing.instruction import Instruction, register_units

# Capstone's condition codes, in its numbering (ARM_CC_EQ = 1 ... ARM_CC_LE = 14).
_CONDITIONS = {
    arm.ARM_CC_EQ: "eq", arm.ARM_CC_NE: "ne", arm.ARM_CC_HS: "hs", arm.ARM_CC_LO: "lo",
    arm.ARM_CC_MI: "mi", arm.ARM_CC_PL: "pl", arm.ARM_CC_VS: "vs", arm.ARM_CC_VC: "vc",
    arm.ARM_CC_HI: "hi", arm.ARM_CC_LS: "ls", arm.ARM_CC_GE: "ge", arm.ARM_CC_LT: "lt",
    arm.ARM_CC_GT: "gt", arm.ARM_CC_LE: "le",
}

# Operations that read memory / write memory. TBB and TBH read a table entry but are
# branches first; the timing model treats them as such.
LOAD_OPERATIONS = frozenset({
    "ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrd", "ldrt", "ldrbt", "ldrht", "ldrsbt",
    "ldrsht", "ldrex", "ldrexb", "ldrexh", "lda", "ldab", "ldah", "ldaex", "ldaexb", "ldaexh",
    "ldm", "ldmdb", "ldmia", "pop", "vldr", "vldmia", "vldmdb", "vldm", "vpop",
})
STORE_OPERATIONS = frozenset({
    "str", "strb", "strh", "strd", "strt", "strbt", "strht", "strex", "strexb", "strexh",
    "stl", "stlb", "stlh", "stlex", "stlexb", "stlexh",
    "stm", "stmdb", "stmia", "push", "vstr", "vstmia", "vstmdb", "vstm", "vpush",
})
# Operations whose register list (rather than a single register) says what moves.
MULTIPLE_OPERATIONS = frozenset({
    "ldm", "ldmdb", "ldmia", "pop", "stm", "stmdb", "stmia", "push",
    "vldmia", "vldmdb", "vldm", "vpop", "vstmia", "vstmdb", "vstm", "vpush",
})
# Operations whose first operand is the base register, not part of the list.
_BASE_FIRST = frozenset({"ldm", "ldmdb", "ldmia", "stm", "stmdb", "stmia",
                         "vldmia", "vldmdb", "vldm", "vstmia", "vstmdb", "vstm"})
_ACCESS_BYTES = {"b": 1, "sb": 1, "h": 2, "sh": 2, "d": 8}


def read_program(elf: Path, addresses: Iterable[int] | None = None) -> dict[int, Instruction]:
    """Instructions of the ELF's executable sections by address; only `addresses` if given."""
    path = Path(elf)
    try:
        stat = path.stat()
    except OSError as e:
        raise EmuError(f"cannot read firmware {path}: {e}") from None
    program = _decode_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if addresses is None:
        return dict(program)
    return {a: program[a] for a in addresses if a in program}


@lru_cache(maxsize=8)
def _decode_file(path: str, mtime_ns: int, size: int) -> dict[int, Instruction]:
    # mtime and size are part of the cache key so a rebuilt ELF is decoded again.
    try:
        decoder = _decoder()
        program: dict[int, Instruction] = {}
        ranges = list(code_ranges(Path(path)))
        for start, data in ranges:
            program.update(_decode_range(decoder, data, start))
        # Capstone 5 misreads Helium encodings: where the ELF may hold them, LLVM's decoding
        # replaces its answer, and LLVM's instruction boundaries hold.
        vector, starts = mve_instructions(Path(path))
        if starts:
            program = {a: i for a, i in program.items() if a in starts}
        program.update(vector)
        # An encoding capstone misreads (VMRS of the predicate, P0) can take it off the
        # instruction boundaries for what follows; those instructions it decodes again from
        # LLVM's boundaries, one at a time.
        for start, data in ranges:
            for address in sorted(a for a in starts if start <= a < start + len(data) and a not in program):
                insn = next(decoder.disasm(data[address - start: address - start + 4], address, 1), None)
                if insn is not None:
                    program[address] = _instruction(insn)
        return program
    except (OSError, ValueError, ELFError, capstone.CsError) as e:
        raise EmuError(f"cannot decode firmware {path}: {e}") from None


def _decoder() -> capstone.Cs:
    decoder = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    decoder.detail = True
    return decoder


def _decode_range(decoder: capstone.Cs, data: bytes, start: int) -> dict[int, Instruction]:
    program: dict[int, Instruction] = {}
    offset = 0
    while offset < len(data):
        resumed_at = offset
        for insn in decoder.disasm(data[offset:], start + offset):
            program[insn.address] = _instruction(insn)
            offset = insn.address + insn.size - start
        if offset == resumed_at:
            loop = _loop_instruction(data[offset: offset + 4], start + offset)
            if loop is not None:
                program[loop.address] = loop
            # Step over what capstone cannot decode: a loop instruction, or one halfword.
            offset += loop.size if loop is not None else 2
    return program


def _instruction(insn) -> Instruction:
    operation = insn.insn_name()
    reads, writes = insn.regs_access()
    read_units = register_units(insn.reg_name(r) for r in reads) - {"pc"}
    write_units = register_units(insn.reg_name(r) for r in writes)
    if insn.update_flags:
        write_units |= {"flags"}
    condition = _CONDITIONS.get(insn.cc) if operation != "it" else None
    if condition is not None:
        read_units |= {"flags"}
    base, index = _memory_operand(insn)
    count = _register_count(insn, operation)
    if operation in MULTIPLE_OPERATIONS:
        # Capstone's access lists are incomplete for some register lists (VLDM, VPUSH):
        # a list is written by a load and read by a store, never both.
        listed = register_units(_register_list(insn, operation)) - {"pc"}
        if operation in LOAD_OPERATIONS:
            read_units, write_units = read_units - listed, write_units | listed
        else:
            read_units, write_units = read_units | listed, write_units - listed
    return Instruction(
        address=insn.address,
        size=insn.size,
        mnemonic=insn.mnemonic,
        op_str=insn.op_str,
        operation=operation,
        condition=condition,
        reads=frozenset(read_units),
        writes=frozenset(write_units - {"pc"}),
        writes_pc="pc" in write_units or insn.group(capstone.CS_GRP_JUMP),
        is_call=insn.group(capstone.CS_GRP_CALL),
        is_load=operation in LOAD_OPERATIONS,
        is_store=operation in STORE_OPERATIONS,
        base_register=base,
        index_register=index,
        access_bytes=_access_bytes(insn, operation, count),
        register_count=count,
        data_type=_data_type(insn.mnemonic),
        shifted_operand=_has_shifted_operand(insn, operation),
    )


def _memory_operand(insn) -> tuple[str | None, str | None]:
    for op in insn.operands:
        if op.type == arm.ARM_OP_MEM:
            base = insn.reg_name(op.mem.base) if op.mem.base else None
            index = insn.reg_name(op.mem.index) if op.mem.index else None
            return base, index
    operation = insn.insn_name()
    if operation in _BASE_FIRST:
        return insn.reg_name(insn.operands[0].reg), None
    if operation in ("push", "pop", "vpush", "vpop"):
        return "sp", None
    return None, None


def _register_list(insn, operation: str) -> list[str]:
    operands = insn.operands[1:] if operation in _BASE_FIRST else insn.operands
    return [insn.reg_name(op.reg) for op in operands if op.type == arm.ARM_OP_REG]


def _register_count(insn, operation: str) -> int:
    return len(_register_list(insn, operation)) if operation in MULTIPLE_OPERATIONS else 0


def _access_bytes(insn, operation: str, count: int) -> int:
    if operation not in LOAD_OPERATIONS and operation not in STORE_OPERATIONS:
        return 0
    if operation.startswith("v"):
        # FP transfers move s (4 bytes) or d (8 bytes) registers.
        if operation in MULTIPLE_OPERATIONS:
            registers = _register_list(insn, operation)
        else:
            registers = [insn.reg_name(op.reg) for op in insn.operands[:1]]
        return sum(8 if r.startswith("d") else 4 for r in registers)
    if operation in MULTIPLE_OPERATIONS:
        return 4 * count
    # The width is spelt after the stem (ldr, str, lda, stl), past any "ex" and the
    # unprivileged "t": ldrsh -> "sh", strexb -> "b", ldrbt -> "b", ldr -> "" (a word).
    width = operation[3:]
    if width.startswith("ex"):
        width = width[2:]
    return _ACCESS_BYTES.get(width.rstrip("t"), 4)


def _data_type(mnemonic: str) -> str | None:
    parts = mnemonic.split(".")[1:]
    types = [p for p in parts if p[:1] in ("f", "s", "u", "i") and p[1:].isdigit()]
    floats = [p for p in types if p.startswith("f")]
    if floats:
        return floats[0]
    return types[0] if types else None


def _has_shifted_operand(insn, operation: str) -> bool:
    if operation in LOAD_OPERATIONS or operation in STORE_OPERATIONS:
        return False
    registers = [op for op in insn.operands if op.type == arm.ARM_OP_REG]
    # Only a second or later source register can carry an operand shift; "lsls r0, r1, #2"
    # is a shift instruction, not a shifted operand.
    return any(op.shift.type != arm.ARM_SFT_INVALID and op.shift.value for op in registers[1:])


def _loop_instruction(data: bytes, address: int) -> Instruction | None:
    """Armv8.1-M low-overhead-branch instructions, which capstone 5 does not decode.

    Encodings from the Armv8.1-M Architecture Reference Manual (DLS, DLSTP, WLS, WLSTP, LE,
    LETP, LCTP); GCC emits DLS/LE loops for the Cortex-M55 even without MVE.
    """
    if len(data) < 4:
        return None
    first = int.from_bytes(data[0:2], "little")
    second = int.from_bytes(data[2:4], "little")
    rn = f"r{first & 0xF}"
    lr = frozenset({"lr"})
    # (operation, registers read, registers written, writes the PC)
    if first == 0xF00F and second == 0xE001:
        decoded = ("lctp", frozenset(), frozenset(), False)
    elif second == 0xE001 and first & 0xFFF0 == 0xF040:
        decoded = ("dls", frozenset({rn}), lr, False)
    elif second == 0xE001 and first & 0xFFC0 == 0xF000:
        decoded = ("dlstp", frozenset({rn}), lr, False)
    elif second & 0xF001 == 0xC001 and first in (0xF00F, 0xF01F):
        decoded = ("le" if first == 0xF00F else "letp", lr, lr, True)
    elif second & 0xF001 == 0xC001 and first == 0xF02F:
        decoded = ("b", frozenset(), frozenset(), True)  # LE without LR: always branches
    elif second & 0xF001 == 0xC001 and first & 0xFFF0 == 0xF040:
        decoded = ("wls", frozenset({rn}), lr, True)
    elif second & 0xF001 == 0xC001 and first & 0xFFC0 == 0xF000:
        decoded = ("wlstp", frozenset({rn}), lr, True)
    else:
        return None
    operation, reads, writes, branches = decoded
    return Instruction(
        address=address, size=4, mnemonic="le" if first == 0xF02F else operation, op_str="",
        operation=operation, condition=None, reads=reads, writes=writes, writes_pc=branches,
        is_call=False, is_load=False, is_store=False, base_register=None, index_register=None,
        access_bytes=0, register_count=0, data_type=None, shifted_operand=False,
    )
