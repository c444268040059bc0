"""One decoded instruction as the timing model reads it, whichever decoder made it
(capstone in emu.timing.disasm, LLVM for Helium code in emu.timing.disasm_mve), and the
register units both decoders name the registers in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# Branches whose condition is a register test rather than a condition code.
CONDITIONAL_BY_OPERATION = frozenset({"cbz", "cbnz", "wls", "wlstp", "le", "letp"})


@dataclass(frozen=True)
class Instruction:
    address: int
    size: int  # bytes: 2 or 4
    mnemonic: str  # as capstone prints it, e.g. "ldr.w", "addeq", "vadd.f32"
    op_str: str
    operation: str  # without condition or width qualifier: "ldr", "add", "vadd"
    condition: str | None  # "eq", "ne", ... when executed conditionally (IT block or B<cc>)
    reads: frozenset[str]  # register units read; FP d/q registers are split into s units
    writes: frozenset[str]  # register units written; "flags" when the APSR flags change
    writes_pc: bool
    is_call: bool
    is_load: bool
    is_store: bool
    base_register: str | None  # memory operand's base, "pc" for literal loads
    index_register: str | None  # memory operand's register offset, if any
    access_bytes: int  # bytes moved by one execution of a load or store; 0 otherwise
    register_count: int  # registers in the list of LDM/STM/PUSH/POP and their FP forms
    data_type: str | None  # the FP data type from the mnemonic: "f32", "f64", ...
    shifted_operand: bool  # a data-processing operand register carries a shift
    vector: bool = False  # a Helium (MVE) instruction (emu.timing.disasm_mve)

    @property
    def is_branch(self) -> bool:
        return self.writes_pc

    @property
    def is_conditional(self) -> bool:
        return self.condition is not None or self.operation in CONDITIONAL_BY_OPERATION

    @property
    def address_registers(self) -> frozenset[str]:
        return frozenset(r for r in (self.base_register, self.index_register) if r)

    @property
    def loaded_registers(self) -> frozenset[str]:
        """Registers a load writes with data from memory (not its base write-back)."""
        if not self.is_load:
            return frozenset()
        return self.writes - {self.base_register, "flags"}

    @property
    def words_moved(self) -> int:
        return max(1, self.access_bytes // 4) if self.access_bytes else 0


def register_units(names: Iterable[str]) -> set[str]:
    """Register names as the units a dependency check compares: d0 is s0+s1, q0 is s0..s3."""
    units: set[str] = set()
    for name in names:
        if name.startswith("fpscr"):
            units.add("fpscr")
        elif name in ("cpsr", "apsr", "apsr_nzcv"):
            units.add("flags")
        elif name == "itstate":
            continue
        elif name[0] == "d" and name[1:].isdigit() and int(name[1:]) < 16:
            n = int(name[1:])
            units |= {f"s{2 * n}", f"s{2 * n + 1}"}
        elif name[0] == "q" and name[1:].isdigit():
            n = int(name[1:])
            units |= {f"s{4 * n + k}" for k in range(4)}
        else:
            units.add(name)
    return units
