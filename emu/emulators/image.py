"""What the emulator is given to boot: the firmware ELF as QEMU must load it beside the
input tensors, the inputs as files, and what the ELF's vector table says about interrupts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from emu.elf import load_segments
from emu.errors import EmuError
from emu.platforms import Platform


def write_loads(loads: Sequence[tuple[int, bytes]], work: Path) -> list[tuple[int, Path]]:
    """Each (address, bytes) to place in guest memory, as (address, file in `work`)."""
    files = []
    for i, (address, data) in enumerate(loads):
        path = work / f"load{i}.bin"
        path.write_bytes(bytes(data))
        files.append((address, path))
    return files


def kernel_without_zero_fill(elf: Path, loads: Sequence[tuple[int, bytes]], work: Path) -> Path:
    """A copy of the ELF whose segments no longer ask QEMU to zero .bss.

    QEMU refuses two images that cover the same address, and it would count the zeroed
    tail of a segment (.bss, the tensor arena) as covered. Guest RAM starts out zeroed
    anyway, so only the bytes stored in the file need to stay.
    """
    data = bytearray(elf.read_bytes())
    for segment in load_segments(elf):
        start, stored = segment.address, segment.stored
        for address, content in loads:
            if address < start + stored and start < address + len(content):
                raise EmuError(f"input at {address:#x} overlaps data stored in {elf.name} "
                               f"({start:#x}..{start + stored:#x})")
        # p_memsz is the sixth 32-bit field of an Elf32_Phdr.
        offset = segment.header_offset + 20
        data[offset:offset + 4] = stored.to_bytes(4, "little")
    copy = work / "kernel.elf"
    copy.write_bytes(data)
    return copy


def interrupts_can_come(elf: Path, platform: Platform) -> bool:
    """Whether the vector table at the start of flash gives any interrupt (PendSV, SysTick,
    external IRQs) a handler other than the HardFault handler.

    emu's startup code routes every interrupt to its fault handler, as does a CMSIS startup
    file whose handlers are all the default one; for such firmware a WFI or WFE can only
    sleep until the timeout, so the run can end there and report where.
    """
    table = flash_words(elf, platform.flash_origin, 16 + 240)
    if len(table) < 16:
        return True  # no table where the core looks for it: claim nothing
    fault = table[3]

    def is_handler(word: int) -> bool:
        inside = platform.in_flash(word)
        return bool(word & 1) and inside

    for index, word in enumerate(table[14:], start=14):
        if not is_handler(word):
            if index >= 16:
                break  # past the end of the table (code or constants follow)
            continue
        if word != fault:
            return True
    return False


def flash_words(elf: Path, address: int, count: int) -> list[int]:
    """Up to `count` little-endian words the ELF stores from `address` on."""
    for segment in load_segments(elf):
        start, data = segment.address, segment.data
        if start <= address < start + len(data):
            chunk = data[address - start:address - start + 4 * count]
            return [int.from_bytes(chunk[i:i + 4], "little") for i in range(0, len(chunk) - 3, 4)]
    return []
