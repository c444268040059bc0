"""Reading a firmware ELF: its section sizes, its symbols, and which function an address
belongs to (for per-function cycles and for saying where a fault was).

Every part of emu that looks inside an ELF does it here."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
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


@dataclass(frozen=True)
class LoadSegment:
    """A PT_LOAD program header: where it loads, what the file stores, and where its header is."""

    index: int  # its place in the program header table
    header_offset: int  # file offset of its Elf32_Phdr
    address: int  # p_paddr
    stored: int  # p_filesz: bytes the file holds; the rest up to p_memsz is zero-filled
    data: bytes


def check_arm_elf(elf: Path) -> None:
    """A one-line error unless `elf` is a 32-bit little-endian Arm ELF file."""
    if not elf.is_file():
        raise EmuError(f"firmware {elf} not found")
    try:
        with open(elf, "rb") as f:
            reader = ELFFile(f)
            is_arm = reader.elfclass == 32 and reader.little_endian and reader.header["e_machine"] == "EM_ARM"
    except ELFError as e:
        raise EmuError(f"{elf} is not an ELF file: {e}") from None
    if not is_arm:
        raise EmuError(f"{elf} is not a 32-bit little-endian Arm ELF")


def load_segments(elf: Path) -> list[LoadSegment]:
    with open(elf, "rb") as f:
        reader = ELFFile(f)
        header = reader.header
        return [LoadSegment(i, header["e_phoff"] + i * header["e_phentsize"], seg["p_paddr"], seg["p_filesz"],
                            seg.data())
                for i, seg in enumerate(reader.iter_segments()) if seg["p_type"] == "PT_LOAD"]


def code_ranges(path: Path) -> list[tuple[int, bytes]]:
    """(address, bytes) of every stretch of Thumb code, cut at the $d mapping symbols, so that
    literal pools are never read as code."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return list(_code_ranges(elf, _mapping_symbols(elf)))


def _code_ranges(elf: ELFFile, marks: dict[int, dict[int, str]]) -> Iterator[tuple[int, bytes]]:
    for index, section in enumerate(elf.iter_sections()):
        if not section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR or section["sh_type"] != "SHT_PROGBITS":
            continue
        start, data = section["sh_addr"], section.data()
        end = start + len(data)
        # A mapping symbol marks only the section it is defined in.
        inside = sorted((a, kind) for a, kind in marks.get(index, {}).items() if start <= a < end)
        if not inside or inside[0][0] != start:
            inside.insert(0, (start, "t"))  # a section without mapping symbols is all code
        for (a, kind), nxt in zip(inside, inside[1:] + [(end, "")], strict=True):
            if kind == "t" and nxt[0] > a:
                yield a, data[a - start: nxt[0] - start]


def _mapping_symbols(elf: ELFFile) -> dict[int, dict[int, str]]:
    """Section index -> {address: "t" | "d" | "a"} from the $t/$d/$a mapping symbols."""
    marks: dict[int, dict[int, str]] = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return marks
    for symbol in symtab.iter_symbols():
        name, section = symbol.name, symbol["st_shndx"]
        if name.startswith(("$t", "$d", "$a")) and (len(name) == 2 or name[2] == ".") \
                and isinstance(section, int):
            marks.setdefault(section, {})[symbol["st_value"]] = name[1]
    return marks
