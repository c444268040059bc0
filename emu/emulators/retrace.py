"""Renode's binary execution trace ("ReTrace") read as a stream and counted into a Trace.

Renode writes this file when a CPU's execution tracer is created in binary mode
(`cpu CreateExecutionTracing "name" @file PCAndOpcode true`) and, with
`name TrackMemoryAccesses`, each instruction's memory accesses follow its record.
The layout (docs/emulator.md lists the public sources):

    header   "ReTrace"  version(1)  pc_width(1)  has_opcodes(1)
             if has_opcodes: multiple_instruction_sets(1)  name_length(1)  "triple model"
    records  [if multiple_instruction_sets, before each block: isa(1) count(8)]
             pc(pc_width)  opcode_length(1)  opcode  {data_type(1) data}*  0

All numbers are little-endian. Opcode bytes are as they lie in memory. A memory access
is access_type(1) address(8), then value(8) from version 3 and physical address(8)
from version 4.

The file is read in chunks, record by record, so a trace of billions of instructions
needs no more memory than its counts.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple

from emu.emulators.trace import Segment
from emu.errors import EmuError

SIGNATURE = b"ReTrace"
# format version -> bytes of one memory access record (after its data-type byte)
MEMORY_ACCESS_BYTES = {2: 9, 3: 17, 4: 25}
VERSIONS = tuple(sorted(MEMORY_ACCESS_BYTES))

# data-type byte that follows an instruction record
DATA_END, DATA_MEMORY_ACCESS, DATA_RISCV_VECTOR = 0, 1, 2
RISCV_VECTOR_BYTES = 16
# memory access types; the I/O kinds are accesses to peripherals rather than memory
IO_READ, IO_WRITE, READ, WRITE, FETCH = 0, 1, 2, 3, 4
READ_KINDS = (IO_READ, READ)

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


class TraceFormatError(EmuError):
    """The file is not a Renode execution trace emu can read."""


@dataclass(frozen=True)
class Header:
    version: int
    pc_bytes: int
    has_opcodes: bool
    multiple_instruction_sets: bool = False
    triple_and_model: str = ""


class Record(NamedTuple):
    """One executed instruction: where, its encoding, and the addresses it read."""

    pc: int
    opcode: bytes
    reads: tuple[int, ...] = ()


class _Cursor:
    """Bytes of a file taken in order, refilled a chunk at a time."""

    def __init__(self, stream: BinaryIO, name: str):
        self.stream, self.name = stream, name
        self.buffer, self.at, self.consumed = b"", 0, 0

    def _fill(self, n: int) -> bool:
        if len(self.buffer) - self.at >= n:
            return True
        self.consumed += self.at
        self.buffer = self.buffer[self.at:] + self.stream.read(max(CHUNK, n))
        self.at = 0
        return len(self.buffer) >= n

    def at_end(self) -> bool:
        return not self._fill(1)

    def take(self, n: int, what: str) -> bytes:
        if not self._fill(n):
            offset = self.consumed + self.at
            raise TraceFormatError(f"{self.name}: truncated Renode trace: {what} at byte {offset} "
                                   f"needs {n} bytes, {len(self.buffer) - self.at} left")
        piece = self.buffer[self.at:self.at + n]
        self.at += n
        return piece

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]


def open_trace(path: Path) -> BinaryIO:
    """The trace's bytes, through gzip when Renode was asked to compress it."""
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise EmuError(f"cannot read Renode trace {path}: {e.strerror}") from None
    if raw.peek(2)[:2] == GZIP_MAGIC:
        return gzip.open(raw)  # type: ignore[return-value]
    return raw


def read_header(cursor: _Cursor) -> Header:
    name = cursor.name
    try:
        signature = cursor.take(len(SIGNATURE), "the signature")
    except TraceFormatError:
        signature = b""
    if signature != SIGNATURE:
        raise TraceFormatError(f"{name}: not a Renode binary execution trace (no 'ReTrace' signature)")
    version = cursor.byte("the format version")
    if version not in MEMORY_ACCESS_BYTES:
        raise TraceFormatError(f"{name}: Renode trace format version {version} is not supported "
                               f"(emu reads versions {', '.join(map(str, VERSIONS))})")
    pc_bytes = cursor.byte("the PC width")
    flag = cursor.byte("the opcode flag")
    if flag not in (0, 1):
        raise TraceFormatError(f"{name}: bad opcode flag {flag} in the Renode trace header (0 or 1 expected)")
    if pc_bytes not in (4, 8) or not flag:
        raise TraceFormatError(f"{name}: the Renode trace needs PCs and opcodes (PCAndOpcode mode); "
                               f"it has {pc_bytes}-byte PCs and {'' if flag else 'no '}opcodes")
    multiple = cursor.byte("the instruction-set flag")
    if multiple not in (0, 1):
        raise TraceFormatError(f"{name}: bad instruction-set flag {multiple} in the Renode trace header")
    length = cursor.byte("the architecture name length")
    triple = cursor.take(length, "the architecture name").decode("ascii", errors="replace")
    return Header(version, pc_bytes, True, bool(multiple), triple)


def read_records(cursor: _Cursor, header: Header) -> Iterator[Record]:
    if header.multiple_instruction_sets:
        yield from _records_in_blocks(cursor, header)
        return
    pc_bytes = header.pc_bytes
    access_bytes = MEMORY_ACCESS_BYTES[header.version]
    address_at = _address_offset(header)
    while True:
        # Fast path: parse straight from the buffer while whole records are in it; a record
        # that runs past the buffer's end (or is malformed) goes through the checked reader.
        buffer, at = cursor.buffer, cursor.at
        end = len(buffer)
        while True:
            p = at + pc_bytes + 1
            if p > end:
                break
            length = buffer[p - 1]
            q = p + length
            reads = []
            while q < end:
                kind = buffer[q]
                q += 1
                if kind == DATA_END:
                    break
                if kind != DATA_MEMORY_ACCESS or q + access_bytes > end:
                    q = end + 1  # leave it to the checked reader
                    break
                if buffer[q] in READ_KINDS:
                    reads.append(int.from_bytes(buffer[q + address_at:q + address_at + 8], "little"))
                q += access_bytes
            else:
                break
            if q > end:
                break
            yield Record(int.from_bytes(buffer[at:at + pc_bytes], "little"), buffer[p:p + length], tuple(reads))
            at = q
        cursor.at = at
        if cursor.at_end():
            return
        yield _checked_record(cursor, header, access_bytes, address_at)


def _address_offset(header: Header) -> int:
    # The physical address is the last field from version 4 on; before, only the one address.
    return 17 if header.version >= 4 else 1


def _checked_record(cursor: _Cursor, header: Header, access_bytes: int, address_at: int) -> Record:
    """One record, every field checked for truncation and unknown data."""
    pc = int.from_bytes(cursor.take(header.pc_bytes, "a PC"), "little")
    opcode = cursor.take(cursor.byte("an opcode length"), "an opcode")
    reads = []
    while True:
        kind = cursor.byte("the data after an instruction")
        if kind == DATA_END:
            return Record(pc, opcode, tuple(reads))
        if kind == DATA_MEMORY_ACCESS:
            access = cursor.take(access_bytes, "a memory access")
            if access[0] in READ_KINDS:
                reads.append(int.from_bytes(access[address_at:address_at + 8], "little"))
        elif kind == DATA_RISCV_VECTOR:
            cursor.take(RISCV_VECTOR_BYTES, "a vector configuration")
        else:
            raise TraceFormatError(f"{cursor.name}: unknown data type {kind} after the instruction "
                                   f"at pc {pc:#x} in the Renode trace")


def _records_in_blocks(cursor: _Cursor, header: Header) -> Iterator[Record]:
    """Cores with several instruction sets: each block opens with its set and length."""
    access_bytes = MEMORY_ACCESS_BYTES[header.version]
    address_at = _address_offset(header)
    while not cursor.at_end():
        cursor.byte("a block's instruction set")
        instructions = int.from_bytes(cursor.take(8, "a block's instruction count"), "little")
        for _ in range(instructions):
            if cursor.at_end():
                return
            yield _checked_record(cursor, header, access_bytes, address_at)


def records(path: Path) -> tuple[Header, Iterator[Record]]:
    """The header and a stream of the instruction records of a Renode trace file."""
    path = Path(path)
    stream = open_trace(path)
    cursor = _Cursor(stream, path.name)
    try:
        header = read_header(cursor)
    except BaseException:
        stream.close()
        raise

    def stream_records() -> Iterator[Record]:
        try:
            yield from read_records(cursor, header)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise TraceFormatError(f"{path.name}: cannot read the Renode trace: {e}") from None
        finally:
            stream.close()

    return header, stream_records()


# ---- counting ---------------------------------------------------------------------------


def is_conditional_branch(opcode: bytes) -> bool:
    """B<cond> (16 and 32 bit), CBZ and CBNZ, from their Thumb encodings (Arm ARM A7.7.12, A7.7.21)."""
    if len(opcode) < 2:
        return False
    first = opcode[0] | opcode[1] << 8
    if len(opcode) == 2:
        if first & 0xF000 == 0xD000:  # B<cond> T1; cond 1110 is UDF, 1111 is SVC
            return (first >> 8) & 0xF < 0xE
        return first & 0xF500 == 0xB100  # CBZ / CBNZ
    if len(opcode) == 4:
        second = opcode[2] | opcode[3] << 8
        # B<cond> T3: 11110 S cond imm6, 10 J1 0 J2 imm11; cond 111x encodes other instructions
        return first & 0xF800 == 0xF000 and second & 0xD000 == 0x8000 and (first >> 6) & 0xF < 0xE
    return False


@dataclass(frozen=True)
class Regions:
    """Where flash and RAM are; reads elsewhere count as "other"."""

    flash_origin: int
    flash_bytes: int
    ram_origin: int
    ram_bytes: int
    weights: tuple[int, int] | None = None  # (origin, bytes): a second region read as flash

    def index(self, address: int) -> int:
        if 0 <= address - self.flash_origin < self.flash_bytes:
            return 0
        if self.weights is not None and 0 <= address - self.weights[0] < self.weights[1]:
            return 0
        if 0 <= address - self.ram_origin < self.ram_bytes:
            return 1
        return 2


@dataclass
class Counted:
    """What a PC sequence amounts to, in the terms of emu.emulators.trace."""

    segments: list[Segment]
    total: int  # instructions in the whole run
    last_pc: int | None  # the last instruction executed


def count(stream: Iterator[Record], regions: Regions, start: int | None = None, end: int | None = None,
          layer: int | None = None) -> Counted:
    """Executions, taken conditional branches and reads by region, per window segment.

    The window opens on the first execution of `start` (at reset when None) and closes on
    the first execution of `end`; each execution of `layer` inside it starts a segment,
    which that instruction belongs to. A conditional branch was taken exactly when the
    next instruction is not the one after it.
    """
    segments: list[Segment] = []
    current: Segment | None = Segment() if start is None else None
    if current is not None:
        segments.append(current)
    closed = False
    total = 0
    last_pc = None
    # the previous instruction, when it was a conditional branch inside the window
    branch: tuple[Segment, int, int] | None = None
    branches: dict[bytes, bool] = {}
    for record in stream:
        pc = record.pc
        total += 1
        last_pc = pc
        if branch is not None:
            segment, address, fall_through = branch
            if pc != fall_through:
                segment.taken[address] = segment.taken.get(address, 0) + 1
            branch = None
        if closed:
            continue
        if current is None:
            if pc != start:
                continue
            current = Segment()
            segments.append(current)
        elif pc == end:
            current, closed = None, True
            continue
        elif pc == layer:
            current = Segment()
            segments.append(current)
        executions = current.executions
        executions[pc] = executions.get(pc, 0) + 1
        if record.reads:
            by_region = list(current.loads.get(pc, (0, 0, 0)))
            for address in record.reads:
                by_region[regions.index(address)] += 1
            current.loads[pc] = tuple(by_region)
        opcode = record.opcode
        conditional = branches.get(opcode)
        if conditional is None:
            conditional = branches[opcode] = is_conditional_branch(opcode)
        if conditional:
            branch = (current, pc, pc + len(opcode))
    return Counted(segments, total, last_pc)


def count_file(path: Path, regions: Regions, start: int | None = None, end: int | None = None,
               layer: int | None = None) -> Counted:
    _, stream = records(path)
    return count(stream, regions, start, end, layer)
