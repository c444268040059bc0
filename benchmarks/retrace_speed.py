"""How fast emu reads a Renode binary execution trace, and that memory stays flat.

Writes a synthetic trace (format version 4, PCAndOpcode with memory accesses) of a
multiply-accumulate loop: two loads, a multiply-add, a subtract and a conditional
branch per iteration. Reads it back with emu.emulators.retrace and prints records per
second and the peak resident memory before and after, for two trace lengths; a reader
that kept the trace would grow with its size.

usage: python benchmarks/retrace_speed.py [--iterations 2000000]
"""

from __future__ import annotations

import argparse
import resource
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOOP = [  # (pc, opcode bytes, read address or None)
    (0x1000, bytes.fromhex("0868"), 0x00008000),  # ldr r0, [r1]   (weights in flash)
    (0x1002, bytes.fromhex("1368"), 0x20000100),  # ldr r3, [r2]   (activations in RAM)
    (0x1004, bytes.fromhex("00fb0344"), None),    # mla r4, r0, r3, r4
    (0x1008, bytes.fromhex("013d"), None),        # subs r5, #1
    (0x100A, bytes.fromhex("f9d1"), None),        # bne 0x1000
]


def write_trace(path: Path, iterations: int) -> int:
    name = b"thumb cortex-m4"
    records = []
    for pc, opcode, address in LOOP:
        entry = struct.pack("<I", pc) + bytes([len(opcode)]) + opcode
        if address is not None:
            entry += bytes([1, 2]) + struct.pack("<QQQ", address, 0, address)
        records.append(entry + b"\x00")
    loop = b"".join(records)
    with open(path, "wb") as f:
        f.write(b"ReTrace" + bytes([4, 4, 1, 0, len(name)]) + name)
        block = loop * 10_000
        for _ in range(iterations // 10_000):
            f.write(block)
    return (iterations // 10_000) * 10_000 * len(LOOP)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from emu.emulators import retrace

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=2_000_000)
    args = parser.parse_args()
    regions = retrace.Regions(0, 0x100000, 0x20000000, 0x40000)
    with tempfile.TemporaryDirectory() as tmp:
        for iterations in (args.iterations // 4, args.iterations):
            path = Path(tmp) / "trace.bin"
            n = write_trace(path, iterations)
            before = peak_rss_mb()
            t0 = time.perf_counter()
            counted = retrace.count_file(path, regions)
            seconds = time.perf_counter() - t0
            assert counted.total == n and counted.segments[0].taken[0x100A] == n // len(LOOP) - 1  # all but the last
            print(f"{n:>12,} records  {path.stat().st_size / 1e6:8.1f} MB  {seconds:6.2f} s  "
                  f"{n / seconds / 1e6:5.2f} M records/s  peak RSS {before:6.1f} -> {peak_rss_mb():6.1f} MB")


if __name__ == "__main__":
    main()
