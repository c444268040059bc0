"""Reading a firmware ELF: its section sizes, its symbols, and which function an address
belongs to (for per-function cycles and for saying where a fault was).

Every part of emu that looks inside an ELF does it here."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from emu.errors import EmuError

SHF_EXECINSTR = 0x4
# Symbols the runtime exports for the emulator and for measuring RAM.
RUNTIME_SYMBOLS = ("emu_arena", "__stack_top", "__stack_limit", "emu_mark_start", "emu_mark_layer", "emu_mark_end")


@dataclass
class Sections:
    text: int  # code
    rodata: int  # weights, parameters, tables
    data: int  # initialised data (in flash and copied to RAM)
    bss: int
    arena: int
    stack_reserved: int

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def static_ram(self) -> int:
        return self.data + self.bss + self.arena


@dataclass(frozen=True)
class FunctionTable:
    starts: list[int]  # sorted, Thumb bit cleared
    ends: list[int]  # one past each function's last byte
    names: list[str]

    def function_at(self, address: int) -> str | None:
        i = bisect.bisect_right(self.starts, address) - 1
        return self.names[i] if i >= 0 and address < self.ends[i] else None


def function_table(elf: Path) -> FunctionTable:
    """A function without a size (assembly without .size) runs to the next function, or to
    the end of its section."""
    with elf.open("rb") as f:
        e = ELFFile(f)
        symtab = e.get_section_by_name(".symtab")
        funcs = sorted({(s["st_value"] & ~1, s["st_size"], s.name) for s in (symtab.iter_symbols() if symtab else ())
                        if s["st_info"]["type"] == "STT_FUNC" and s.name})
        sections = [(sec["sh_addr"], sec["sh_addr"] + sec["sh_size"]) for sec in e.iter_sections()
                    if sec["sh_flags"] & SHF_EXECINSTR]
    starts = [start for start, _, _ in funcs]
    ends = []
    for i, (start, size, _) in enumerate(funcs):
        section_end = next((hi for lo, hi in sections if lo <= start < hi), start + 2)
        following = min([s for s in starts[i + 1:] if s > start] + [section_end])
        ends.append(start + size if size else following)
    return FunctionTable(starts, ends, [name for _, _, name in funcs])


def function_addresses(elf: Path) -> dict[str, int]:
    """Function symbols of an ELF (from every symbol table), by name, with the Thumb bit cleared."""
    try:
        with open(elf, "rb") as f:
            symbols = {}
            for section in ELFFile(f).iter_sections():
                if isinstance(section, SymbolTableSection):
                    for sym in section.iter_symbols():
                        if sym["st_info"]["type"] == "STT_FUNC" and sym.name:
                            symbols[sym.name] = sym["st_value"] & ~1
            return symbols
    except (OSError, ELFError) as e:
        raise EmuError(f"cannot read ELF {elf}: {e}") from None


def symbol_address(elf: Path, name: str) -> int | None:
    with elf.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        found = symtab.get_symbol_by_name(name) if symtab else None
    return found[0]["st_value"] if found else None


def section_sizes(elf: Path) -> tuple[Sections, dict[str, int]]:
    with elf.open("rb") as f:
        e = ELFFile(f)
        sizes = {s.name: s["sh_size"] for s in e.iter_sections()}
        symbols = {}
        symtab = e.get_section_by_name(".symtab")
        for name in RUNTIME_SYMBOLS:
            found = symtab.get_symbol_by_name(name) if symtab else None
            if found:
                symbols[name] = found[0]["st_value"] & ~1
    sections = Sections(
        text=sizes.get(".text", 0) + sizes.get(".ARM.exidx", 0),
        rodata=sizes.get(".rodata", 0),
        data=sizes.get(".data", 0),
        bss=sizes.get(".bss", 0),
        arena=sizes.get(".noinit", 0),
        stack_reserved=sizes.get(".stack", 0),
    )
    return sections, symbols
