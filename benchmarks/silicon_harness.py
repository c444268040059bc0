"""Run corpus sequences through emu's public path and measure cycles per repetition.

For each core, every sequence becomes two functions in one assembly file: the sequence
repeated 4 times and 14 times (the copy-difference method of the silicon measurements:
cycles = (long - short) / 10, which cancels the call, the set-up and the return). The file
is built with the board's `emu bsp` files and arm-none-eabi-gcc, and run once through
`emu profile --json`, whose per-function cycle counts give both copies.

A sequence whose body holds `{reps}` is a loop: it is emitted once, with `{reps}` its
iteration count (4 and 14), so the difference is the cost of one iteration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.silicon_corpus import Sequence
from emu.platforms import get_platform
from emu.resources import BOARDS

SHORT, LONG = 4, 14

# Registers every sequence starts with: r4 and r5 point at words in RAM (the first word of
# each holds its own address, for pointer chasing); r0-r3 hold small non-zero values, r6 = 4
# (a word offset), the flags NE. FP registers s0-s15 hold 1.0 where the board has an FPU.
PROLOGUE = """\
    ldr r4, =corpus_data
    ldr r5, =corpus_data + 64
    movs r0, #1
    movs r1, #2
    movs r2, #3
    movs r3, #4
    movs r6, #4
"""
FP_PROLOGUE = """\
    vmov.f32 s0, #1.0
    vmov.f32 s1, #1.0
    vmov.f32 s2, #1.0
    vmov.f32 s3, #1.0
    vmov.f32 s4, #1.0
    vmov.f32 s5, #1.0
"""


def zero_wait_board(board: str, out: Path) -> Path:
    """The board with its flash and SRAM at zero wait states: the silicon figures time the
    core alone (the measured loops run from cache, TCM or zero-wait memory), so the corpus
    checks the core's rules without the memory model on top."""
    data = yaml.safe_load((BOARDS / f"{board}.yaml").read_text())
    data["flash_wait_states"] = 0
    data["ram_wait_states"] = 0
    path = out / f"{board}-zero-wait.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def function_names(seq: Sequence) -> tuple[str, str]:
    return f"seq_{seq.name}_short", f"seq_{seq.name}_long"


def assembly(sequences: list[Sequence], fpu: bool) -> str:
    lines = ["    .syntax unified", "    .thumb", "    .text",
             "    .global main", "    .type main, %function", "    .thumb_func", "main:",
             "    push {r4-r7, lr}", "    bl corpus_start"]
    for seq in sequences:
        for name in function_names(seq):
            lines.append(f"    bl {name}")
    lines += ["    bl corpus_end", "    movs r0, #0", "    pop {r4-r7, pc}"]
    for marker in ("corpus_start", "corpus_end"):
        lines += [f"    .type {marker}, %function", "    .thumb_func", f"{marker}:", "    bx lr"]
    for seq in sequences:
        for name, reps in zip(function_names(seq), (SHORT, LONG), strict=True):
            lines += ["    .balign 16", f"    .type {name}, %function", "    .thumb_func",
                      f"{name}:", PROLOGUE + (FP_PROLOGUE if fpu else "") + seq.setup]
            if "{reps}" in seq.body:
                lines.append(seq.body.replace("{reps}", str(reps)))
            else:
                lines += [f"    .rept {reps}", seq.body, "    .endr"]
            lines += ["9:", "    bx lr", "    .ltorg"]
    lines += ["    .data", "    .balign 8", "corpus_data:",
              "    .word corpus_data", *["    .word 1"] * 15,
              "    .word corpus_data + 64", *["    .word 1"] * 15, ""]
    return "\n".join(lines)


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:3])}... failed:\n{done.stdout}{done.stderr}")


def emu(*args: str) -> None:
    run([sys.executable, "-m", "emu", *args])


def measure(board: str, sequences: list[Sequence], workdir: Path) -> dict[str, float]:
    """Cycles per repetition of each sequence on `board`, as `emu profile` reports them."""
    workdir.mkdir(parents=True, exist_ok=True)
    platform = get_platform(board)
    bsp = workdir / "bsp"
    emu("bsp", board, "--out", str(bsp))
    source = workdir / "corpus.S"
    source.write_text(assembly(sequences, platform.fpu))
    elf = workdir / "corpus.elf"
    run(["arm-none-eabi-gcc", *platform.cflags, "-O2", "-nostartfiles", "--specs=nano.specs",
         "--specs=nosys.specs", "-T", str(bsp / "link.ld"), str(bsp / "startup.c"),
         str(bsp / "semihost.c"), str(source), "-o", str(elf)])
    report = workdir / "profile.json"
    emu("profile", str(elf), "-p", str(zero_wait_board(board, workdir)), "--start", "corpus_start",
        "--end", "corpus_end", "--json", str(report), "--top", "0")
    cycles = {f["name"]: f["cycles"] for f in json.loads(report.read_text())["functions"]}
    measured = {}
    for seq in sequences:
        short, long = function_names(seq)
        measured[seq.name] = (cycles[long] - cycles[short]) / (LONG - SHORT)
    return measured
