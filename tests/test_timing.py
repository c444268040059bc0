"""The cycle model against hand counts from the published timing tables.

Each test assembles a small Thumb snippet, decodes it with read_program, builds the
Segment a run of it would produce (executions and taken counts known by reading the
snippet) and compares count_cycles with a count done by hand from the tables in
docs/timing.md and docs/sources.md. The derivation is written beside each expected value;
where the figure is one of the model's stated assumptions (docs/timing.md), it says so.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from emu.emulators.trace import Segment
from emu.errors import EmuError
from emu.platforms import get_platform
from emu.timing import CORE_TABLES, count_cycles
from emu.timing.classes import CLASSES
from emu.timing.disasm import read_program

pytestmark = pytest.mark.skipif(
    shutil.which("arm-none-eabi-as") is None, reason="needs arm-none-eabi-as and -ld"
)

ASSEMBLER_TARGET = {
    "cortex-m0plus": ".cpu cortex-m0plus\n",
    "cortex-m3": ".cpu cortex-m3\n",
    "cortex-m4": ".cpu cortex-m4\n.fpu fpv4-sp-d16\n",
    "cortex-m7": ".cpu cortex-m7\n.fpu fpv5-sp-d16\n",
    "cortex-m33": ".cpu cortex-m33\n.fpu fpv5-sp-d16\n",
    "cortex-m55": ".arch armv8.1-m.main\n.arch_extension dsp\n.arch_extension mve.fp\n.fpu fpv5-d16\n",
}

# One board per core, as the timing tests use them.
BOARD_OF_CORE = {
    "cortex-m0plus": "rp2040-pico",
    "cortex-m3": "nucleo-l152re",
    "cortex-m4": "nucleo-l4r5zi",
    "cortex-m7": "disco-f746ng",
    "cortex-m33": "ek-ra6m4",
    "cortex-m55": "alif-e7-appkit",
}


@dataclass
class Snippet:
    program: dict
    labels: dict[str, int]

    def region(self, label: str) -> list[int]:
        """Addresses of the instructions from `label` up to the next label."""
        start = self.labels[label]
        later = [a for a in self.labels.values() if a > start]
        end = min(later) if later else max(self.program) + 1
        return [a for a in sorted(self.program) if start <= a < end]

    def segment(self, counts: dict[str, int], taken: dict[str, int] | None = None,
                flash_loads: dict[str, int] | None = None,
                ram_loads: dict[str, int] | None = None) -> Segment:
        """counts: label -> times each instruction of its region ran; taken: label of a
        one-instruction region holding a conditional branch -> times taken;
        flash_loads / ram_loads: label of a load -> loads from that region."""
        segment = Segment()
        for label, n in counts.items():
            for address in self.region(label):
                segment.executions[address] = n
        for label, n in (taken or {}).items():
            segment.taken[self.labels[label]] = n
        for label, n in (flash_loads or {}).items():
            segment.loads[self.labels[label]] = (n, 0, 0)
        for label, n in (ram_loads or {}).items():
            segment.loads[self.labels[label]] = (0, n, 0)
        return segment

    def straight(self, times: int = 1) -> Segment:
        return Segment(executions={a: times for a in self.program})


def assemble(tmp_path: Path, core: str, body: str) -> Snippet:
    source = tmp_path / "snippet.s"
    source.write_text(".syntax unified\n.thumb\n" + ASSEMBLER_TARGET[core]
                      + ".text\n.global _start\n_start:\n" + body + "\n")
    obj, elf = tmp_path / "snippet.o", tmp_path / "snippet.elf"
    subprocess.run(["arm-none-eabi-as", str(source), "-o", str(obj)], check=True)
    subprocess.run(["arm-none-eabi-ld", "-Ttext=0", "-e", "_start", str(obj), "-o", str(elf)],
                   check=True)
    return Snippet(read_program(elf), _labels(elf))


def _labels(elf: Path) -> dict[str, int]:
    with open(elf, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] & ~1 for s in symtab.iter_symbols()
                if s.name and not s.name.startswith("$") and s["st_info"]["type"] in ("STT_NOTYPE", "STT_FUNC")
                and s["st_shndx"] != "SHN_UNDEF" and s["st_shndx"] != "SHN_ABS"}


def board(core: str, **changes):
    """The core's board with flash and SRAM wait states off, so only the core's rules count."""
    return replace(get_platform(BOARD_OF_CORE[core]), **{"flash_wait_states": 0, "ram_wait_states": 0, **changes})


def cycles_of(tmp_path: Path, core: str, body: str, times: int = 1) -> int:
    snippet = assemble(tmp_path, core, body)
    return count_cycles(snippet.straight(times), snippet.program, board(core)).cycles


# ---- tables ----------------------------------------------------------------------------


def test_every_table_prices_only_known_classes():
    for table in CORE_TABLES.values():
        assert set(table.costs) <= CLASSES, table.core
        assert set(table.latency) <= CLASSES | {"load-narrow"}, table.core


# ---- Cortex-M0+ (RP2040 datasheet Table 81) ---------------------------------------------


def test_m0plus_loop_with_load_store_and_branch(tmp_path):
    snippet = assemble(tmp_path, "cortex-m0plus", """
start:
    movs r0, #0
    movs r1, #10
loop:
    ldr r2, [r3]
    adds r0, r0, r2
    str r0, [r3, #4]
    subs r1, #1
branch:
    bne loop
done:
    nop
""")
    segment = snippet.segment({"start": 1, "loop": 10, "branch": 10, "done": 1}, taken={"branch": 9})
    # 2 x MOVS (1) + 10 x [LDR 2 + ADDS 1 + STR 2 + SUBS 1] + 10 x BNE (1) + 9 taken (+1)
    # + NOP (1) = 2 + 60 + 10 + 9 + 1 = 82
    result = count_cycles(segment, snippet.program, board("cortex-m0plus"))
    assert result.cycles == 82
    assert result.by_class == {"alu": 2 + 20 + 1, "load": 20, "store": 20, "branch": 19}


def test_m0plus_multiply_and_stack(tmp_path):
    # PUSH 3 regs 1+3 = 4; MULS 1 (fast multiplier); LDM 2 regs 1+2 = 3; STM 1+2 = 3;
    # POP {r4, r5, pc} 3+N with N = 2 = 5: 4 + 1 + 3 + 3 + 5 = 16
    assert cycles_of(tmp_path, "cortex-m0plus", """
    push {r4, r5, lr}
    muls r0, r1, r0
    ldm r2!, {r3, r4}
    stm r2!, {r3, r4}
    pop {r4, r5, pc}
""") == 16


def test_m0plus_soft_float_call(tmp_path):
    # A soft-float helper (negation, as __aeabi_fneg does it) called with BL, counted
    # instruction by instruction: MOVS 1, LSLS 1, BL 3, then the helper MOVS 1, LSLS 1,
    # EORS 1, BX 2, then back at the caller ADDS 1: 1+1+3 + 1+1+1+2 + 1 = 11
    snippet = assemble(tmp_path, "cortex-m0plus", """
start:
    movs r0, #1
    lsls r0, r0, #30
    bl fneg
after:
    adds r1, r0, #0
fneg:
    movs r1, #1
    lsls r1, r1, #31
    eors r0, r1
    bx lr
""")
    segment = snippet.segment({"start": 1, "after": 1, "fneg": 1})
    assert count_cycles(segment, snippet.program, board("cortex-m0plus")).cycles == 11


# ---- Cortex-M3 (Arm 100165 Table 3-1, section 3.3.2) ------------------------------------


def test_m3_alu_multiply_divide(tmp_path):
    # ADDS 1 + MUL 1 + MLA 2 + SMULL 5 (3-5: the model takes the upper bound, an assumption)
    # + SDIV 7 (2-12: the model takes the midpoint, an assumption) = 16
    assert cycles_of(tmp_path, "cortex-m3", """
    adds r0, r1, r2
    mul r3, r0, r1
    mla r3, r0, r1, r3
    smull r4, r5, r0, r1
    sdiv r6, r0, r1
""") == 16


@pytest.mark.parametrize("body, expected", [
    # LDR;LDR, the second's address not from the first's result: 2 + 1 = 3 (3.3.2)
    ("ldr r0, [r1]\n ldr r2, [r3]", 3),
    # the second's address is the first's result: no pipelining, 2 + 2 = 4
    ("ldr r0, [r1]\n ldr r2, [r0]", 4),
    # 3.3.2's example: LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4] = 4
    ("ldr r0, [r1, r5]\n ldr r1, [r2]\n ldr r2, [r3, #4]", 4),
    # 3.3.2's example: LDR R0,[R1,R2]; STR R0,[R3,#20] = 3
    ("ldr r0, [r1, r2]\n str r0, [r3, #20]", 3),
    # 3.3.2's example: LDR R0,[R1,R2]; STR R1,[R3,R2] = 3 (register-offset STR 2, pipelined 1)
    ("ldr r0, [r1, r2]\n str r1, [r3, r2]", 3),
    # STR Rx,[Ry,#imm] is always 1: 1 + 1 = 2
    ("str r0, [r1, #4]\n str r2, [r1, #8]", 2),
    # nothing pipelines after a store: register-offset STR 2 + LDR 2 = 4
    ("str r0, [r1, r2]\n ldr r3, [r4]", 4),
    # LDRD 3 (1+N), not pipelined with the next LDR 2 = 5
    ("ldrd r0, r1, [r2]\n ldr r3, [r4]", 5),
    # LDM of 3 registers 1+3 = 4
    ("ldm r0!, {r1, r2, r3}", 4),
    # 8-element STM (PUSH) = 9 (3.3.2)
    ("push {r4, r5, r6, r7, r8, r9, r10, r11}", 9),
    # address from the previous data-processing result: ADDS 1 + LDR 2 + stall 1 = 4
    ("adds r1, r1, #4\n ldr r0, [r1]", 4),
    # a loaded value used by an ALU instruction: LDR 2 + ADDS 1 = 3 (no load-use stall)
    ("ldr r0, [r1]\n adds r2, r0, #1", 3),
])
def test_m3_loads_and_stores(tmp_path, body, expected):
    assert cycles_of(tmp_path, "cortex-m3", body) == expected


@pytest.mark.parametrize("body, expected", [
    # CMP (16-bit) 1 + IT folded 0 + MOVEQ 1 = 2
    ("cmp r0, #0\n it eq\n moveq r0, #1", 2),
    # CMP.W (32-bit) 1 + IT 1 (no folding after a 32-bit instruction) + MOVEQ 1 = 3
    ("cmp.w r0, #1000\n it eq\n moveq r0, #1", 3),
])
def test_m3_it_folding(tmp_path, body, expected):
    assert cycles_of(tmp_path, "cortex-m3", body) == expected


def test_m3_branches_taken_and_not_taken(tmp_path):
    snippet = assemble(tmp_path, "cortex-m3", """
start:
    movs r0, #4
loop:
    subs r0, #1
branch:
    bne loop
compare:
    cbz r0, skip
skipped:
    nop
skip:
    bl func
back:
    b end
func:
    bx lr
end:
    nop
""")
    segment = snippet.segment(
        {"start": 1, "loop": 4, "branch": 4, "compare": 1, "skip": 1, "back": 1, "func": 1, "end": 1},
        taken={"branch": 3, "compare": 1},
    )
    # TRM Table 3-1 notes: a taken immediate branch reloads in 1 (2 in total), a register
    # branch in 2 (3 in total). MOVS 1 + 4 x SUBS 1 + 4 x BNE 1 + 3 taken x 1 + CBZ taken 1+1
    # + BL 1+1 + B 1+1 + BX 1+2 + NOP 1 = 1 + 4 + 4 + 3 + 2 + 2 + 2 + 3 + 1 = 22
    assert count_cycles(segment, snippet.program, board("cortex-m3")).cycles == 22


@pytest.mark.parametrize("body, expected", [
    # POP {r4, pc}: 1 + N (2) + P, P = 3 for a target loaded from memory (3.3.2) = 6
    ("pop {r4, pc}", 6),
    # LDR PC: at least 5 (3.3.2: 2 for the load, 3 for the refill)
    ("ldr pc, [sp], #4", 5),
    # TBB: at least 6 (3.3.2: 2 load, 1 add, 3 refill)
    ("tbb [pc, r0]\n.byte 2, 4", 6),
])
def test_m3_loads_of_the_pc(tmp_path, body, expected):
    assert cycles_of(tmp_path, "cortex-m3", body) == expected


def test_m3_soft_float_call(tmp_path):
    # MOV.W 1 + BL 1+1 + the helper EOR.W 1 + BX 1+2 + back at the caller NOP 1 = 8
    snippet = assemble(tmp_path, "cortex-m3", """
start:
    mov.w r0, #0x40000000
    bl fneg
after:
    nop
fneg:
    eor r0, r0, #0x80000000
    bx lr
""")
    segment = snippet.segment({"start": 1, "after": 1, "fneg": 1})
    assert count_cycles(segment, snippet.program, board("cortex-m3")).cycles == 8


def test_fp_instruction_on_a_part_without_fpu_is_reported(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", "vadd.f32 s0, s1, s2")
    with pytest.raises(EmuError, match="no timing"):
        count_cycles(snippet.straight(), snippet.program, board("cortex-m4", fpu=False))


# ---- Cortex-M4 (DDI 0439D Tables 3-1, 3-2, 7-1) -----------------------------------------


def test_m4_multiplies_and_dsp(tmp_path):
    # MLA 1 + SMULL 1 + SMLAL 1 + SMLAD 1 (all 1 on the M4) + SDIV 7 (2-12, midpoint
    # assumed) = 11
    assert cycles_of(tmp_path, "cortex-m4", """
    mla r0, r1, r2, r3
    smull r4, r5, r1, r2
    smlal r4, r5, r1, r2
    smlad r6, r1, r2, r3
    sdiv r7, r1, r2
""") == 11


def test_m4_fpu_arithmetic(tmp_path):
    # VADD 1 + VMUL 1 (+1: it reads s0, the VADD's result) + VMLA 3 + VDIV 14
    # + VLDR.32 2 + VSTR.32 2 = 1 + 2 + 3 + 14 + 2 + 2 = 24
    assert cycles_of(tmp_path, "cortex-m4", """
    vadd.f32 s0, s1, s2
    vmul.f32 s3, s0, s4
    vmla.f32 s5, s6, s7
    vdiv.f32 s8, s9, s10
    vldr s11, [r0]
    vstr s11, [r0, #4]
""") == 24


def test_m4_fp_transfers(tmp_path):
    # VPUSH {s16-s19} 1+N = 5; VLDR.64 3; VPOP {d8, d9} 1+2N = 5: 13
    assert cycles_of(tmp_path, "cortex-m4", """
    vpush {s16-s19}
    vldr d0, [r0]
    vpop {d8, d9}
""") == 13


def test_m4_loop_with_pipelined_loads(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", """
start:
    movs r3, #8
loop:
    ldr r0, [r1], #4
    ldr r2, [r4], #4
    mla r5, r0, r2, r5
    subs r3, #1
branch:
    bne loop
""")
    segment = snippet.segment({"start": 1, "loop": 8, "branch": 8}, taken={"branch": 7})
    # MOVS 1 + 8 x [LDR 2 + LDR 1 (pipelined) + MLA 1 + SUBS 1] + 8 x BNE 1 + 7 taken x 1
    # = 1 + 40 + 8 + 7 = 56
    assert count_cycles(segment, snippet.program, board("cortex-m4")).cycles == 56


# ---- Cortex-M33: its own pipeline (measured on an RP2350, see cortex_m33.py) ------------


def test_m33_loads_issue_in_one_cycle(tmp_path):
    # MLA 1 + LDR 1 + LDR 1 (no M4-style 2-cycle load) + VMLA 3 = 6
    assert cycles_of(tmp_path, "cortex-m33", """
    mla r0, r1, r2, r3
    ldr r4, [r5]
    ldr r6, [r7]
    vmla.f32 s0, s1, s2
""") == 6


# ---- Cortex-M7 (LLVM scheduling model and a hardware measurement, see cortex_m7.py) -----


@pytest.mark.parametrize("body, expected", [
    # four independent ALU instructions issue as two pairs: 2
    ("adds r0, #1\n adds r1, #1\n adds r2, #1\n adds r3, #1", 2),
    # three: one pair and one alone: 2
    ("adds r0, #1\n adds r1, #1\n adds r2, #1", 2),
    # dependent: the second reads r0, no pairing: 2
    ("adds r0, #1\n adds r0, #2", 2),
    # no two stores: 2
    ("str r0, [sp]\n str r1, [sp, #4]", 2),
    # a load and a store pair: 1
    ("ldr r0, [sp]\n str r1, [sp, #8]", 1),
    # two loads pair (not listed as a conflict; an assumption): 1
    ("ldr r0, [r4]\n ldr r1, [r5]", 1),
    # no two MULs: 2
    ("mul r0, r1, r2\n mul r3, r4, r5", 2),
    # no two shifted-operand instructions: 2
    ("add.w r0, r1, r2, lsl #2\n add.w r3, r4, r5, lsl #2", 2),
    # measured: a word load feeds the next instruction without a stall: LDR 1 + ADDS 1 = 2
    ("ldr r0, [r1]\n adds r2, r0, #1", 2),
    # byte loads one cycle later: LDRB 1 + ADDS 1 + wait 1 = 3
    ("ldrb r0, [r1]\n adds r2, r0, #1", 3),
    # MUL latency 2: MUL 1 + ADDS 1 + wait 1 = 3
    ("mul r0, r1, r2\n adds r3, r0, #1", 3),
    # FP latency 3: VADD 1 + VMUL 1 + wait 2 = 4
    ("vadd.f32 s0, s1, s2\n vmul.f32 s3, s0, s4", 4),
    # no two FP arithmetic instructions: 2
    ("vadd.f32 s0, s1, s2\n vadd.f32 s3, s4, s5", 2),
    # FP and integer pair: 1
    ("vadd.f32 s0, s1, s2\n adds r0, #1", 1),
    # LDM of 4 registers: ceil(4/2) = 2
    ("ldm r0, {r1, r2, r3, r4}", 2),
    # SDIV 7, issued alone
    ("sdiv r0, r1, r2", 7),
])
def test_m7_dual_issue_and_latency(tmp_path, body, expected):
    assert cycles_of(tmp_path, "cortex-m7", body) == expected


def test_m7_loop_mispredicts_once(tmp_path):
    snippet = assemble(tmp_path, "cortex-m7", """
start:
    movs r0, #10
loop:
    subs r0, #1
branch:
    bne loop
""")
    segment = snippet.segment({"start": 1, "loop": 10, "branch": 10}, taken={"branch": 9})
    # MOVS 1; SUBS 1 x 10 (cannot pair with MOVS: it reads r0); BNE pairs with SUBS, 0;
    # the back edge is predicted taken, the exit mispredicts once: 8 (H7 measurement)
    # = 1 + 10 + 0 + 8 = 19
    assert count_cycles(segment, snippet.program, board("cortex-m7")).cycles == 19


# ---- Cortex-M55 scalar (LLVM and SLOTHY models, see cortex_m55.py) ----------------------


@pytest.mark.parametrize("body, expected", [
    # two independent 16-bit instructions dual-issue: 1
    ("adds r0, #1\n adds r1, #1", 1),
    # 32-bit instructions do not: 2
    ("add.w r0, r0, #1\n add.w r1, r1, #1", 2),
    # MUL latency 2: MULS 1 + ADDS 1 + wait 1 = 3
    ("muls r0, r1, r0\n adds r2, r0, #1", 3),
    # LDR latency 2: LDR 1 + ADDS 1 + wait 1 = 3
    ("ldr r0, [r1]\n adds r2, r0, #1", 3),
    # one load/store unit (assumption): two loads do not pair, 2
    ("ldr r0, [r1]\n ldr r2, [r3]", 2),
])
def test_m55_scalar(tmp_path, body, expected):
    assert cycles_of(tmp_path, "cortex-m55", body) == expected


def test_m55_low_overhead_loop(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", """
start:
    dls lr, r1
loop:
    adds r0, #1
    adds r2, #1
end_of_loop:
    le lr, loop
after:
    b done
done:
    nop
""")
    segment = snippet.segment({"start": 1, "loop": 5, "end_of_loop": 5, "after": 1, "done": 1})
    # DLS 1 + 5 x ADDS 1 + 5 x ADDS 0 (16-bit pair) + 5 x LE 1 (no refill: the loop start
    # is cached, assumption) + B 1+3 + NOP 1 = 1 + 5 + 0 + 5 + 4 + 1 = 16
    assert count_cycles(segment, snippet.program, board("cortex-m55")).cycles == 16
