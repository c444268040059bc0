"""Instruction sequences timed on real chips, each with its silicon figure and source.

Every entry is a fact from a public source: the cycles one repetition of `body` takes on
the named silicon (steady state, as the copy-difference or loop methods of the sources
measure it). The figures are derived from the sources' stated measurements only, never
from emu. docs/timing.md lists the same facts; tests/test_timing_silicon.py runs every
sequence through `emu bsp` + arm-none-eabi-gcc + `emu profile` and compares.

`deviation` marks a sequence the model is known to get wrong: emu's cycles minus the
silicon figure, with the reason. The test asserts that exact deviation, so a model change
that moves it (for better or worse) shows up.
"""

from __future__ import annotations

from dataclasses import dataclass

# Branches that are never taken go to label 9, which the harness places after the
# repetitions: a branch to the next instruction would look taken to the trace.

SOURCES = {
    "rp2040": "Raspberry Pi RP2040 datasheet, section 2.4.3.3, Table 81 (Cortex-M0+ cycle counts)",
    "m4trm": "Arm Cortex-M4 TRM (DDI 0439D), Table 3-1 with its notes, section 3.3.2, Table 7-1",
    "m3trm": "Arm Cortex-M3 TRM (100165), Table 3-1 and section 3.3.2",
    "jnk-m3m4": "github.com/jnk0le/random, 'pipeline cycle test/doc/cortex_m3m4.md' "
                "(DWT.CYCCNT on STM32F103 and STM32F407)",
    "jnk-m7": "github.com/jnk0le/random, 'pipeline cycle test/doc/cortex_m7.md' "
              "(DWT.CYCCNT on STM32H743)",
    "jnk-m33": "github.com/jnk0le/random, 'pipeline cycle test/doc/cortex_m33.md' "
               "(DWT.CYCCNT on RP2350, Cortex-M33 r1p0)",
    "llvm-m55": "LLVM's Cortex-M55 scheduling model, llvm/lib/Target/ARM/ARMScheduleM55.td (written by Arm): "
                "the pipeline diagrams in its header (documented, not measured)",
    "arm-helium": "github.com/Arm-Examples/Helium-Optimization, General_optimizations/optimizing_c_functions.md "
                  "and basic_optimization_topics.md (Arm; documented, not measured)",
}

# The board each core's sequences run on (with its flash at zero wait states, see harness).
BOARD_OF_CORE = {
    "cortex-m0plus": "rp2040-pico",
    "cortex-m3": "nucleo-l152re",
    "cortex-m4": "nrf52840-dk",
    "cortex-m7": "disco-f746ng",
    "cortex-m33": "ek-ra6m4",
}


@dataclass(frozen=True)
class Sequence:
    name: str
    core: str
    body: str  # one repetition; `{reps}` makes it a loop of that many iterations
    silicon: float | tuple[int, int]  # cycles per repetition, or a published range
    source: str  # key of SOURCES
    fact: str  # what the source says that gives the figure
    setup: str = ""  # extra set-up before the repetitions (not timed: it cancels)
    deviation: tuple[float, str] | None = None  # (emu - silicon, reason)

    @property
    def lines(self) -> str:
        return "; ".join(line.strip() for line in self.body.strip().splitlines())


def _seqs(core: str, rows) -> list[Sequence]:
    return [Sequence(name=f"{core.removeprefix('cortex-')}_{row[0]}", core=core, **row[1]) for row in rows]


LOOP = "    movs r7, #{reps}\n1:\n"  # a counted loop; the iteration's cost is what is compared
CALL_SETUP = "    mov r9, lr\n"  # sequences that call keep the return address
CALL_RESTORE = "\n    mov lr, r9"

M0PLUS = _seqs("cortex-m0plus", [
    ("ldr_use", dict(body="ldr r1, [r4]\nadds r2, r1, r2", silicon=3, source="rp2040",
                     fact="LDR 2, ADDS 1; no load-use stall on the 2-stage pipeline")),
    ("str", dict(body="str r1, [r4, #8]", silicon=2, source="rp2040", fact="STR 2")),
    ("ldm3", dict(body="ldm r4!, {r1, r2, r3}", silicon=4, source="rp2040", fact="LDM 1+N")),
    ("push_pop2", dict(body="push {r1, r2}\npop {r1, r2}", silicon=6, source="rp2040",
                       fact="PUSH 1+N, POP 1+N")),
    ("muls", dict(body="muls r1, r2, r1", silicon=1, source="rp2040",
                  fact="MULS 1 (the RP2040's fast multiplier)")),
    ("b_forward", dict(body="b 1f\n1:", silicon=2, source="rp2040", fact="B 2")),
    ("beq_not_taken", dict(body="beq 9f", silicon=1, source="rp2040", fact="B<cc> not taken 1")),
    ("loop_backward", dict(body=LOOP + "subs r7, #1\nbne 1b", silicon=3, source="rp2040",
                           fact="SUBS 1 + B<cc> taken 2")),
    ("bl_bx", dict(body="bl 2f\nb 3f\n2:\nbx lr\n3:" + CALL_RESTORE.replace("\n", "\n", 1),
                   setup=CALL_SETUP, silicon=3 + 2 + 2 + 1, source="rp2040",
                   fact="BL 3, BX 2, B 2, then MOV LR,R9 1")),
])

# Sequences common to the Cortex-M3 and M4 (same load/store unit, same branch timing).
_M3M4 = [
    ("ldr_ldr", dict(body="ldr r1, [r4]\nldr r2, [r4, #4]\ncmp r0, #0", silicon=4, source="m4trm",
                     fact="LDR;LDR pipelined = 3 (3.3.2), then CMP 1 (cannot be eaten)")),
    ("ldr_x3", dict(body="ldr r1, [r4]\nldr r2, [r4, #4]\nldr r3, [r4, #8]\ncmp r0, #0", silicon=5,
                    source="m4trm", fact="3 x LDR = 4 (3.3.2), then CMP 1")),
    ("ldr_str", dict(body="ldr r1, [r4]\nstr r2, [r4, #8]\ncmp r0, #0", silicon=3, source="jnk-m3m4",
                     fact="an immediate-offset store after a load removes the stall (1 IPC): "
                          "LDR;STR = 2, then CMP 1")),
    ("str_ldr", dict(body="str r1, [r4, #8]\nldr r2, [r4]\ncmp r0, #0", silicon=5, source="jnk-m3m4",
                     fact="a store cannot pipeline with a following load (+1 on the store): "
                          "STR 2, LDR 2, CMP 1")),
    ("ldr_nop", dict(body="ldr r1, [r4]\nnop", silicon=2, source="jnk-m3m4",
                     fact="a load eats a following NOP (1 cycle effective)")),
    ("ldr_cmp", dict(body="ldr r1, [r4]\ncmp r0, #0", silicon=3, source="jnk-m3m4",
                     fact="CMP cannot be eaten by a load: LDR 2 + CMP 1")),
    ("str_reg_nop", dict(body="str r1, [r4, r6]\nnop", silicon=2, source="jnk-m3m4",
                         fact="a register-offset store takes 2 and eats a following NOP")),
    ("str_reg_cmp", dict(body="str r1, [r4, r6]\ncmp r0, #0", silicon=3, source="jnk-m3m4",
                         fact="register-offset store 2, then CMP 1")),
    ("address_dependency", dict(body="adds r7, r4, #0\nldr r1, [r7]", silicon=4, source="jnk-m3m4",
                                fact="the base must be ready a cycle early: ADDS 1 + stall 1 + LDR 2")),
    ("ldm4", dict(body="ldm r4, {r0, r1, r2, r3}", silicon=5, source="m4trm", fact="LDM 1+N")),
    ("stm8", dict(body="stm r5, {r0, r1, r2, r3, r6, r7, r8, r9}", silicon=9, source="m4trm",
                  fact="an 8-element STM takes 9 cycles (3.3.2)")),
    ("ldrd", dict(body="ldrd r0, r1, [r4]", silicon=3, source="m4trm",
                  fact="LDRD takes 3 cycles and does not pipeline (3.3.2)")),
    ("bne_w_taken", dict(body="bne.w 1f\n1:", silicon=2, source="jnk-m3m4",
                         fact="taken bne.w = 2 cycles (measurement template); the TRM's note: an "
                              "immediate branch normally reloads in 1 cycle, 2 in total")),
    ("loop_backward", dict(body=LOOP + "subs r7, #1\nbne.w 1b", silicon=3, source="jnk-m3m4",
                           fact="SUBS 1 + taken bne.w 2")),
    ("beq_not_taken", dict(body="adds r0, #0\nadds r1, #0\nbeq.w 9f", silicon=3, source="jnk-m3m4",
                           fact="not-taken bne.w after 2 or more 16-bit instructions: 1; ADDS 1 each")),
    ("beq_w_not_taken_alone", dict(
        body="beq.w 9f", silicon=2, source="jnk-m3m4",
        fact="a not-taken bne.w takes 2 when fewer than two 16-bit instructions precede it",
        deviation=(-1, "the model charges every not-taken branch 1 cycle; the fetch effect "
                       "after 32-bit instructions is not modelled"))),
    ("bl_bx", dict(body="bl 2f\nb.w 3f\n2:\nbx lr\n3:" + CALL_RESTORE, setup=CALL_SETUP,
                   silicon=2 + 3 + 2 + 1, source="m4trm",
                   fact="Table 3-1 notes: immediate branches normally 2 in total (BL, B), "
                        "register branches 3 (BX), then MOV 1")),
    ("it_folded", dict(body="cmp r0, #1\nit eq\nmoveq r1, r2", silicon=2, source="m4trm",
                       fact="IT folds onto a preceding 16-bit instruction (0 cycles): CMP 1 + MOV 1")),
    ("udiv", dict(body="udiv r1, r3, r0", silicon=(2, 12), source="m4trm",
                  fact="SDIV/UDIV 2-12 with early termination (no exact figure published)")),
]

M3 = _seqs("cortex-m3", _M3M4 + [
    ("mul", dict(body="mul r1, r2, r3", silicon=1, source="m3trm", fact="MUL 1")),
    ("mla", dict(body="mla r1, r2, r3, r1", silicon=2, source="m3trm", fact="MLA 2")),
])

M4 = _seqs("cortex-m4", _M3M4 + [
    ("mla", dict(body="mla r1, r2, r3, r1", silicon=1, source="m4trm", fact="MLA 1 (Table 3-1)")),
    ("smull", dict(body="smull r0, r1, r2, r3", silicon=1, source="m4trm", fact="SMULL 1")),
    ("smlad", dict(body="smlad r1, r2, r3, r1", silicon=1, source="m4trm", fact="SMLAD 1 (Table 3-2)")),
    ("vadd", dict(body="vadd.f32 s6, s1, s2", silicon=1, source="m4trm", fact="VADD.F32 1 (Table 7-1)")),
    ("vadd_chain", dict(body="vadd.f32 s0, s0, s1", silicon=2, source="m4trm",
                        fact="VADD 1, +1 when the next instruction uses the result (Table 7-1)")),
    ("vmla_pair", dict(body="vmla.f32 s6, s1, s2\nvmla.f32 s7, s1, s2", silicon=6, source="m4trm",
                       fact="VMLA.F32 3 (Table 7-1)")),
    ("vdiv", dict(body="vdiv.f32 s6, s1, s2", silicon=14, source="m4trm", fact="VDIV.F32 14")),
    ("vldr", dict(body="vldr s6, [r4]", silicon=2, source="m4trm", fact="VLDR.32 2")),
])

M7 = _seqs("cortex-m7", [
    ("nop_w_pair", dict(body="nop.w\nnop.w", silicon=1, source="jnk-m7",
                        fact="40 nop.w run in 20 cycles (dual issue)")),
    ("movw_movt", dict(body="movw r1, #1\nmovt r1, #2", silicon=1, source="jnk-m7",
                       fact="MOVW+MOVT dual-issue despite their dependency")),
    ("add_pair", dict(body="add.w r1, r2, #1\nadd.w r3, r2, #2", silicon=1, source="jnk-m7",
                      fact="two simple-constant ALU ops dual-issue")),
    ("ldr_use", dict(body="ldr r1, [r4]\nadd.w r2, r1, #1", silicon=1, source="jnk-m7",
                     fact="a word load feeds the late ALU next cycle; the ADD pairs with the "
                          "next LDR: one cycle per LDR;ADD")),
    ("ldrb_use", dict(body="ldrb r1, [r4]\nadd.w r2, r1, #1", silicon=2, source="jnk-m7",
                      fact="byte/half loads have +1 latency: LDRB, a stall, ADD paired with the next LDRB")),
    ("ldr_mul", dict(body="ldr r1, [r4]\nmul r7, r1, r2", silicon=2, source="jnk-m7",
                     fact="a MUL cannot consume an LDR result from the previous cycle")),
    ("mul_use", dict(body="mul r1, r2, r3\nadd.w r7, r1, #1", silicon=2, source="jnk-m7",
                     fact="multiplies have +1 result latency")),
    ("mla_chain", dict(body="mla r1, r2, r3, r1", silicon=1, source="jnk-m7",
                       fact="multiply-accumulates chain on the accumulator every cycle")),
    ("mul_pair", dict(body="mul r1, r2, r3\nmul r7, r2, r3", silicon=2, source="jnk-m7",
                      fact="MUL/MAC cannot dual-issue with each other")),
    ("str_pair", dict(body="str r1, [r4, #8]\nstr r2, [r4, #12]", silicon=2, source="jnk-m7",
                      fact="two stores cannot dual-issue")),
    ("ldr_str", dict(body="ldr r1, [r4]\nstr r2, [r4, #8]", silicon=1, source="jnk-m7",
                     fact="a load and a store dual-issue")),
    ("shifted_pair", dict(body="add.w r1, r2, r3, lsl #2\nadd.w r7, r2, r3, lsl #2", silicon=2,
                          source="jnk-m7", fact="two inline-shifted operands cannot pair")),
    ("shifted_simple", dict(body="add.w r1, r2, r3, lsl #2\nadd.w r7, r2, #1", silicon=1,
                            source="jnk-m7", fact="inline-shifted (older) + simple constant pair")),
    ("ubfx_pair", dict(body="ubfx r1, r2, #0, #8\nubfx r7, r3, #0, #8", silicon=2, source="jnk-m7",
                       fact="bitfield instructions cannot dual-issue with each other")),
    ("ldm4", dict(body="ldm r4, {r0, r1, r2, r3}", silicon=2, source="jnk-m7", fact="LDM ceil(N/2)")),
    ("ldm3", dict(body="ldm r4, {r0, r1, r2}", silicon=2, source="jnk-m7", fact="LDM ceil(N/2)")),
    ("stm4", dict(body="stm r5, {r0, r1, r2, r3}", silicon=2, source="jnk-m7",
                  fact="STM ceil(N/2), 8-byte aligned")),
    ("beq_not_taken_pair", dict(body="beq.w 9f\nadd.w r7, r2, #1", silicon=1, source="jnk-m7",
                                fact="a not-taken branch dual-issues with the following instruction")),
    ("vadd_chain", dict(body="vadd.f32 s0, s0, s1", silicon=3, source="jnk-m7",
                        fact="VADD result into VADD operand: latency 3")),
    ("vmul_chain", dict(body="vmul.f32 s0, s0, s1", silicon=3, source="jnk-m7",
                        fact="VMUL result into VMUL operand: latency 3")),
    ("vfma_acc_chain", dict(body="vfma.f32 s0, s1, s2", silicon=3, source="jnk-m7",
                            fact="VFMA result as the next VFMA's accumulator: latency 3")),
    ("vadd_pair", dict(body="vadd.f32 s6, s1, s2\nvadd.f32 s7, s1, s2", silicon=2, source="jnk-m7",
                       fact="FP arithmetic ops cannot dual-issue")),
    ("vdiv", dict(body="vdiv.f32 s6, s1, s2", silicon=16, source="jnk-m7", fact="VDIV.F32 16")),
    ("vsqrt", dict(body="vsqrt.f32 s6, s1", silicon=14, source="jnk-m7", fact="VSQRT.F32 14")),
])

M33 = _seqs("cortex-m33", [
    ("ldr_use", dict(body="ldr r1, [r4]\nadds r2, r1, #1", silicon=3, source="jnk-m33",
                     fact="load-to-use latency 2: LDR, a stall, ADDS")),
    ("ldr_independent", dict(body="ldr r1, [r4]\nadds r2, r3, #1", silicon=2, source="jnk-m33",
                             fact="loads issue in 1 cycle; load/store + arithmetic do not pair")),
    ("ldr_ldr", dict(body="ldr r1, [r4]\nldr r2, [r4, #4]", silicon=2, source="jnk-m33",
                     fact="loads issue in 1 cycle each")),
    ("ldr_str", dict(body="ldr r1, [r4]\nstr r1, [r4, #8]", silicon=2, source="jnk-m33",
                     fact="load-to-store latency 1")),
    ("ldrd", dict(body="ldrd r0, r1, [r4]", silicon=2, source="jnk-m33", fact="LDRD 2")),
    ("strd", dict(body="strd r0, r1, [r5]", silicon=2, source="jnk-m33", fact="STRD 2")),
    ("ldm4", dict(body="ldm r4, {r0, r1, r2, r3}", silicon=4, source="jnk-m33",
                  fact="LDM of x registers takes exactly x cycles")),
    ("ldm2", dict(body="ldm r4, {r0, r1}", silicon=2, source="jnk-m33", fact="LDM x registers: x")),
    ("stm3", dict(body="stm r5, {r0, r1, r2}", silicon=3, source="jnk-m33", fact="STM x registers: x")),
    ("loop_subs_bne", dict(body=LOOP + "subs r7, #1\nbne 1b", silicon=3, source="jnk-m33",
                           fact="SUBS 1, taken BNE after a flag setter 2")),
    ("loop_add_bne", dict(body=LOOP + "subs r7, #1\nadd r0, r1\nbne 1b", silicon=3, source="jnk-m33",
                          fact="a taken branch after a non-flag-setting 16-bit instruction dual-issues: "
                               "SUBS 1, ADD 1, BNE 1")),
    ("beq_not_taken", dict(body="adds r3, #1\nbeq 9f", silicon=1, source="jnk-m33",
                           fact="a not-taken branch costs 0 (dual-issued), even after a flag setter")),
    ("bne_taken", dict(body="adds r3, #1\nbne 1f\n1:", silicon=3, source="jnk-m33",
                       fact="ADDS 1, taken branch after a flag setter 2")),
    ("nop_pair", dict(body="adds r0, #1\nnop", silicon=1, source="jnk-m33",
                      fact="NOP dual-issues with arithmetic")),
    ("ldr_nop", dict(body="ldr r1, [r4]\nnop", silicon=1, source="jnk-m33",
                     fact="NOP dual-issues with a load")),
    ("alu_pair", dict(body="adds r0, #1\nadds r1, #1", silicon=2, source="jnk-m33",
                      fact="arithmetic + arithmetic do not dual-issue")),
    ("it", dict(body="cmp r0, #1\nit eq\nmoveq r1, r2", silicon=2, source="jnk-m33",
                fact="IT dual-issues with the preceding instruction: CMP 1, MOV 1")),
    ("mla_use", dict(body="mla r1, r2, r3, r6\nadd r7, r1", silicon=3, source="jnk-m33",
                     fact="MAC result latency 2")),
    ("mla_chain", dict(body="mla r1, r2, r3, r1", silicon=1, source="jnk-m33",
                       fact="the accumulate dependency chains every cycle")),
    ("muls_n_pair", dict(body="muls r1, r2, r1\nmuls r7, r2, r7", silicon=4, source="jnk-m33",
                         fact="MULS.N (flag-setting, 2-stage) takes 2 cycles",
                         deviation=(-2, "flag-setting 2-stage instructions (MULS.N, shifted-constant "
                                        "ADDS) are not told apart from their 1-cycle forms"))),
    ("shifted_use", dict(body="add.w r1, r2, r3, lsl #2\nadd r7, r1", silicon=3, source="jnk-m33",
                         fact="shifted operand2 result latency 2")),
    ("uadd8_use", dict(body="uadd8 r1, r2, r3\nadd r7, r1", silicon=3, source="jnk-m33",
                       fact="DSP/SIMD result latency 2")),
    ("vadd_chain", dict(body="vadd.f32 s0, s0, s1", silicon=2, source="jnk-m33",
                        fact="VADD latency 2, fully pipelined")),
    ("vadd", dict(body="vadd.f32 s6, s1, s2", silicon=1, source="jnk-m33", fact="VADD pipelined: 1")),
    ("vmul_chain", dict(body="vmul.f32 s0, s0, s1", silicon=2, source="jnk-m33", fact="VMUL latency 2")),
    ("vfma_chain", dict(body="vfma.f32 s0, s1, s2", silicon=3, source="jnk-m33",
                        fact="VFMA latency 3 to the next accumulator; no FP issue for 2 cycles after")),
    ("vldr_use", dict(body="vldr s6, [r4]\nvadd.f32 s7, s6, s1", silicon=2, source="jnk-m33",
                      fact="VLDR.32 load-to-use 1 (no stall)")),
])

CORPUS: list[Sequence] = M0PLUS + M3 + M4 + M7 + M33

# Helium on the Cortex-M55: no public silicon measurement was found, so these are the examples
# Arm documents, kept apart from the silicon corpus (and its uncertainty counts). Each vector
# instruction holds its pipe for two beats; the next one overlaps the second beat when it
# needs another pipe. `silicon` is the documented figure per repetition.
M55_DOCUMENTED = _seqs("cortex-m55", [
    ("vldr_vadd_vmul_vstr", dict(
        body="vldrw.u32 q0, [r4]\nvadd.i32 q1, q0, q0\nvmul.i32 q2, q1, q1\nvstrw.32 q2, [r4, #16]", silicon=5,
        source="llvm-m55", fact="VLDR;VADD;VMUL;VSTR run in 5 cycles, each overlapping the one before "
                                "(load/store, integer, float/mul, load/store pipes); the next VLDR waits for the "
                                "VSTR's second beat")),
    ("vldr_vldrb_vadd_vstr", dict(
        body="vldrw.u32 q0, [r4]\nvldrb.u32 q1, [r4, #32]\nvadd.i32 q2, q0, q1\nvstrw.32 q2, [r4, #16]", silicon=6,
        source="llvm-m55", fact="VLDR;VLDRB;VADD;VSTR take 6 cycles: two loads cannot overlap")),
    ("vldr_pair", dict(body="vldrw.u32 q0, [r4]\nvldrw.u32 q1, [r4, #16]", silicon=4, source="llvm-m55",
                       fact="loads cannot overlap: each holds the load/store pipe for two beats")),
    ("vadd_vmul", dict(body="vadd.i32 q0, q1, q2\nvmul.i32 q3, q1, q2", silicon=2, source="llvm-m55",
                       fact="an integer and a multiply instruction overlap (VADD then VMUL in the diagram)")),
    ("vldr_vmla", dict(body="vldrw.u32 q0, [r4]\nvmla.s32 q1, q0, r5", silicon=2, source="arm-helium",
                       fact="interleaved loads and multiply-accumulates overlap; instructions of different "
                            "groups reach one per cycle")),
])


def by_core() -> dict[str, list[Sequence]]:
    grouped: dict[str, list[Sequence]] = {}
    for seq in CORPUS:
        grouped.setdefault(seq.core, []).append(seq)
    return grouped


def error(seq: Sequence, emu_cycles: float) -> float:
    """emu minus silicon; 0 inside a published range."""
    if isinstance(seq.silicon, tuple):
        low, high = seq.silicon
        return 0.0 if low <= emu_cycles <= high else min(emu_cycles - low, emu_cycles - high, key=abs)
    return emu_cycles - seq.silicon
