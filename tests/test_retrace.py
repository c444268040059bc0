"""The Renode trace reader against trace files written here byte by byte.

The bytes follow Renode's published description of its binary execution trace (see
docs/emulator.md): a "ReTrace" header with format version, PC width and opcode flag, then
per instruction its PC, opcode length, opcode, memory accesses and a terminating 0. This
file builds them with struct, not with anything from emu.
"""

from __future__ import annotations

import gzip
import struct

import pytest

from emu.emulators import retrace
from emu.emulators.retrace import Record, Regions, TraceFormatError, count, count_file, records

NAME = b"thumb cortex-m4"
MEMORY_READ, MEMORY_WRITE, IO_READ, FETCH = 2, 3, 0, 4
REGIONS = Regions(flash_origin=0x0, flash_bytes=0x80000, ram_origin=0x20000000, ram_bytes=0x80000)


def header(version: int = 4, pc_width: int = 4, opcodes: int = 1, multiple: int = 0, name: bytes = NAME) -> bytes:
    out = b"ReTrace" + bytes([version, pc_width, opcodes])
    if opcodes == 1:
        out += bytes([multiple, len(name)]) + name
    return out


def access(version: int, kind: int, address: int, value: int = 0, physical: int | None = None) -> bytes:
    """One memory-access entry: data type 1, access type, address (and value, physical address)."""
    out = bytes([1, kind]) + struct.pack("<Q", address)
    if version >= 3:
        out += struct.pack("<Q", value)
    if version >= 4:
        out += struct.pack("<Q", address if physical is None else physical)
    return out


def record(pc: int, opcode: bytes, *entries: bytes, pc_width: int = 4) -> bytes:
    pc_bytes = struct.pack("<I", pc) if pc_width == 4 else struct.pack("<Q", pc)
    return pc_bytes + bytes([len(opcode)]) + opcode + b"".join(entries) + b"\x00"


# Thumb encodings, as they lie in memory (little-endian halfwords).
MOVS = bytes.fromhex("0a20")       # movs r0, #10
SUBS = bytes.fromhex("0138")       # subs r0, #1
BNE_BACK = bytes.fromhex("fdd1")   # bne.n to the subs
LDR_R3 = bytes.fromhex("0b68")     # ldr r3, [r1]
CBZ = bytes.fromhex("08b1")        # cbz r0, +2
BNE_W = bytes.fromhex("7ff4fdaf")  # bne.w (32-bit B<cond> T3)
BL = bytes.fromhex("00f002f8")     # bl (not conditional)
NOP = bytes.fromhex("00bf")


def write(tmp_path, data: bytes, name: str = "trace.bin"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path) -> list[Record]:
    _, stream = records(path)
    return list(stream)


@pytest.mark.parametrize("version", [2, 3, 4])
def test_records_give_pc_opcode_and_reads_in_each_version(tmp_path, version):
    data = header(version) + record(0x100, LDR_R3, access(version, MEMORY_READ, 0x20000010, 0x22222222)) \
        + record(0x102, NOP) \
        + record(0x104, LDR_R3, access(version, MEMORY_WRITE, 0x20000020), access(version, IO_READ, 0xE000ED00)) \
        + record(0x106, BNE_W, access(version, FETCH, 0x106))
    got = read_all(write(tmp_path, data))
    assert got == [
        Record(0x100, LDR_R3, (0x20000010,)),
        Record(0x102, NOP, ()),
        Record(0x104, LDR_R3, (0xE000ED00,)),  # the write and the fetch are not reads
        Record(0x106, BNE_W, ()),
    ]


def test_header_fields_are_read(tmp_path):
    header_, _ = records(write(tmp_path, header(3, multiple=0, name=b"thumbv7m cortex-m3")))
    assert header_ == retrace.Header(3, 4, True, False, "thumbv7m cortex-m3")


def test_physical_address_counts_in_version_4(tmp_path):
    # With an MMU the virtual and physical addresses differ; memory regions are physical.
    data = header(4) + record(0x100, LDR_R3, access(4, MEMORY_READ, 0x80000010, physical=0x20000010))
    assert read_all(write(tmp_path, data)) == [Record(0x100, LDR_R3, (0x20000010,))]


def test_eight_byte_pcs(tmp_path):
    data = header(4, pc_width=8) + record(0x1_0000_0100, NOP, pc_width=8)
    assert read_all(write(tmp_path, data)) == [Record(0x1_0000_0100, NOP, ())]


def test_blocks_of_cores_with_several_instruction_sets(tmp_path):
    # Each block starts with its instruction set (1 byte) and instruction count (8 bytes).
    data = header(4, multiple=1, name=b"armv7a cortex-a9") \
        + bytes([1]) + struct.pack("<Q", 2) + record(0x100, NOP) + record(0x102, SUBS) \
        + bytes([0]) + struct.pack("<Q", 1) + record(0x200, bytes.fromhex("0000a0e1"))
    assert [r.pc for r in read_all(write(tmp_path, data))] == [0x100, 0x102, 0x200]


def test_compressed_trace_is_read_through_gzip(tmp_path):
    data = header(4) + record(0x100, NOP) + record(0x102, NOP)
    assert [r.pc for r in read_all(write(tmp_path, gzip.compress(data), "trace.bin.gz"))] == [0x100, 0x102]


def test_records_across_chunk_boundaries(tmp_path, monkeypatch):
    # Streamed in pieces smaller than a record, the result is the same as in one piece.
    data = header(4) + b"".join(record(0x100 + 2 * i, LDR_R3, access(4, MEMORY_READ, 0x20000000 + 4 * i))
                                 for i in range(50))
    path = write(tmp_path, data)
    whole = read_all(path)
    monkeypatch.setattr(retrace, "CHUNK", 7)
    assert read_all(path) == whole
    assert len(whole) == 50 and whole[49] == Record(0x100 + 98, LDR_R3, (0x20000000 + 196,))


@pytest.mark.parametrize("cut", [1, 3, 5, 20, 26])
def test_truncated_record_is_a_one_line_error(tmp_path, cut):
    data = header(4) + record(0x100, NOP) + record(0x102, LDR_R3, access(4, MEMORY_READ, 0x20000000))
    with pytest.raises(TraceFormatError, match="truncated") as error:
        read_all(write(tmp_path, data[:-cut]))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("data, message", [
    (b"", "no 'ReTrace' signature"),
    (b"NotATrace\x04\x04\x01", "no 'ReTrace' signature"),
    (header(9), "version 9 is not supported"),
    (header(4)[:9], "truncated"),
    (b"ReTrace\x04\x04\x02", "bad opcode flag 2"),
    (header(4, opcodes=0), "needs PCs and opcodes"),
    (header(4, pc_width=0), "needs PCs and opcodes"),
    (header(4, name=b"thumb")[:-2], "truncated"),
])
def test_wrong_headers_are_one_line_errors(tmp_path, data, message):
    with pytest.raises(TraceFormatError, match=message) as error:
        read_all(write(tmp_path, data))
    assert "\n" not in str(error.value)


def test_unknown_data_type_is_refused(tmp_path):
    data = header(4) + struct.pack("<I", 0x100) + bytes([2]) + NOP + bytes([7, 0])
    with pytest.raises(TraceFormatError, match="unknown data type 7"):
        read_all(write(tmp_path, data))


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(retrace.EmuError, match="cannot read Renode trace"):
        records(tmp_path / "absent.bin")


# ---- counting ------------------------------------------------------------------------------


def test_taken_branches_come_from_the_next_pc():
    # movs; 3 x (subs; bne back): bne is taken twice and falls through once; then cbz taken
    # (next pc is not cbz + 2) and bne.w not taken.
    program = [Record(0x100, MOVS)]
    for _ in range(3):
        program += [Record(0x102, SUBS), Record(0x104, BNE_BACK)]
    program += [Record(0x106, CBZ), Record(0x10A, BNE_W), Record(0x10E, BL), Record(0x200, NOP)]
    counted = count(iter(program), REGIONS)
    assert counted.segments[0].taken == {0x104: 2, 0x106: 1}
    assert counted.segments[0].executions == {0x100: 1, 0x102: 3, 0x104: 3, 0x106: 1, 0x10A: 1, 0x10E: 1, 0x200: 1}
    assert counted.total == 1 + 3 * 2 + 4 and counted.last_pc == 0x200


def test_window_and_layer_markers_split_segments():
    start, layer, end = 0x300, 0x310, 0x320
    run = [Record(0x100, NOP), Record(start, NOP), Record(0x102, LDR_R3, (0x20000000, 0x0, 0xE000ED00)),
           Record(layer, NOP), Record(0x104, LDR_R3, (0x40,)), Record(layer, NOP), Record(end, NOP),
           Record(0x106, NOP), Record(start, NOP)]
    counted = count(iter(run), REGIONS, start, end, layer)
    assert [s.executions for s in counted.segments] == [
        {start: 1, 0x102: 1}, {layer: 1, 0x104: 1}, {layer: 1}]
    assert counted.segments[0].loads == {0x102: (1, 1, 1)}
    assert counted.segments[1].loads == {0x104: (1, 0, 0)}
    assert counted.total == len(run)


def test_a_window_that_never_opens_has_no_segments():
    counted = count(iter([Record(0x100, NOP)]), REGIONS, start=0x200)
    assert counted.segments == [] and counted.total == 1


def test_count_file_streams_a_written_trace(tmp_path):
    data = header(4) + record(0x100, MOVS) + record(0x102, SUBS) + record(0x104, BNE_BACK) \
        + record(0x102, SUBS) + record(0x104, BNE_BACK) + record(0x106, NOP)
    counted = count_file(write(tmp_path, data), REGIONS)
    assert counted.segments[0].taken == {0x104: 1}
    assert counted.segments[0].instructions == 6


def test_vector_configuration_entries_are_skipped(tmp_path):
    # Data type 2 (RISC-V vector configuration): VL and VTYPE, 8 bytes each.
    vector = bytes([2]) + struct.pack("<QQ", 16, 0xD8)
    data = header(4, name=b"riscv32 rv32gcv") + record(0x100, bytes.fromhex("57700708"), vector) \
        + record(0x104, LDR_R3, access(4, MEMORY_READ, 0x20000000))
    assert read_all(write(tmp_path, data)) == [Record(0x100, bytes.fromhex("57700708")),
                                               Record(0x104, LDR_R3, (0x20000000,))]
