"""Helium (MVE) on the Cortex-M55: what the timing model is told about each vector instruction,
and the beat timing against the examples Arm documents (benchmarks/silicon_corpus.py,
M55_DOCUMENTED), run through `emu bsp` + arm-none-eabi-gcc + `emu profile`."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.silicon_corpus import M55_DOCUMENTED
from benchmarks.silicon_harness import measure
from emu.timing.classes import classify
from tests.test_timing import assemble, pytestmark  # noqa: F401  (same skip condition)

needs_llvm = pytest.mark.skipif(shutil.which("llvm-objdump") is None, reason="needs llvm-objdump")

S = {n: frozenset(f"s{4 * n + k}" for k in range(4)) for n in range(8)}  # q0..q7 as s units

# (assembly, operation, class, registers read, registers written, base register, bytes moved),
# the registers as the assembler source names them.
DECODED = [
    ("vldrw.u32 q0, [r4]", "vldrw", "vector-load", {"r4"}, S[0], "r4", 16),
    ("vldrb.s16 q1, [r2], #8", "vldrb", "vector-load", {"r2"}, S[1] | {"r2"}, "r2", 8),
    ("vstrb.32 q3, [r1, #4]!", "vstrb", "vector-store", S[3] | {"r1"}, {"r1"}, "r1", 4),
    ("vmladava.s8 r0, q0, q1", "vmlava", "vector-reduce", S[0] | S[1] | {"r0"}, {"r0"}, None, 0),
    ("vmlaldava.s16 r0, r1, q0, q1", "vmlalva", "vector-reduce", S[0] | S[1] | {"r0", "r1"}, {"r0", "r1"}, None, 0),
    ("vmladav.s8 r2, q0, q1", "vmlav", "vector-reduce", S[0] | S[1], {"r2"}, None, 0),
    ("vctp.8 r2", "vctp", "vector-predicate", {"r2"}, {"vpr"}, None, 0),
    ("vmov r0, r1, q0[2], q0[0]", "vmov", "vector-move", S[0], {"r0", "r1"}, None, 0),
    ("vmov.32 q5[1], r6", "vmov", "vector-move", {"r6"} | {f"s{20 + k}" for k in range(4)},
     {f"s{20 + k}" for k in range(4)}, None, 0),
    ("vdup.32 q6, r7", "vdup", "vector-alu", {"r7"}, {f"s{24 + k}" for k in range(4)}, None, 0),
    ("vrshl.s32 q0, q0, q1", "vrshl", "vector-shift-round", S[0] | S[1], S[0], None, 0),
    ("vqrdmulh.s32 q2, q2, q3", "vqrdmulh", "vector-mul", S[2] | S[3], S[2], None, 0),
    ("vmla.s32 q1, q2, r5", "vmla", "vector-mac", S[1] | S[2] | {"r5"}, S[1], None, 0),
    ("vadd.f32 q1, q2, q3", "vadd", "vector-fp", S[2] | S[3], S[1], None, 0),
    ("vmovlt.s8 q1, q2", "vmovlt", "vector-alu", S[2], S[1], None, 0),  # a T that is not a predicate
    ("vpt.s32 ge, q0, q1", "vpt", "vector-compare", S[0] | S[1], {"vpr"}, None, 0),
    ("vaddt.i32 q2, q3, q3", "vadd", "vector-alu", S[2] | S[3] | {"vpr"}, S[2], None, 0),  # in the VPT block
]


@needs_llvm
def test_helium_instructions_are_decoded(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", "\n".join(line for line, *_ in DECODED))
    decoded = [i for _, i in sorted(snippet.program.items())]
    assert len(decoded) == len(DECODED)  # no instruction split in two where capstone misreads one
    for ins, (line, operation, cls, reads, writes, base, moved) in zip(decoded, DECODED, strict=True):
        got = (ins.operation, classify(ins), ins.reads, ins.writes, ins.base_register, ins.access_bytes)
        assert got == (operation, cls, reads, writes, base, moved), line
        assert ins.vector and ins.size == 4


@needs_llvm
def test_a_vpt_block_predicates_its_instructions(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", """
    vctp.32 r2
    vpstt
    vldrwt.u32 q0, [r3]
    vaddt.i32 q1, q0, q0
    vadd.i32 q2, q0, q0
""")
    vctp, vpst, load, add, after = (i for _, i in sorted(snippet.program.items()))
    assert vpst.operation == "vpst" and vpst.reads == {"vpr"}
    # Inside the block: the predicate is read, and lanes predicated off keep the old value.
    assert (load.operation, add.operation) == ("vldrw", "vadd")
    assert "vpr" in load.reads and S[0] <= load.reads
    assert "vpr" in add.reads and S[1] <= add.reads
    assert "vpr" not in after.reads and not S[2] & after.reads


@needs_llvm
def test_scalar_code_of_an_mve_part_is_still_capstone_s(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", "add r0, r1\nldr r2, [r3, #4]\nvadd.f32 s0, s1, s2")
    add, ldr, vadd = (i for _, i in sorted(snippet.program.items()))
    assert not (add.vector or ldr.vector or vadd.vector)
    assert ldr.is_load and ldr.base_register == "r3" and classify(vadd) == "fp-alu"


@pytest.fixture(scope="module")
def documented(tmp_path_factory) -> dict[str, float]:
    if not (shutil.which("qemu-system-arm") and shutil.which("llvm-objdump")):
        pytest.skip("needs qemu-system-arm and llvm-objdump")
    return measure("alif-e7-appkit", M55_DOCUMENTED, tmp_path_factory.mktemp("m55"))


@pytest.mark.parametrize("seq", M55_DOCUMENTED, ids=lambda s: s.name)
def test_beats_match_the_documented_examples(seq, documented):
    assert documented[seq.name] == seq.silicon, (f"{seq.lines}: emu {documented[seq.name]:g}, Arm {seq.silicon} "
                                                 f"({seq.fact})")


def test_both_llvm_listing_formats_are_read():
    """LLVM 14 (Debian 12) prints an encoding as bytes, later LLVM (Debian 13) as halfwords."""
    from emu.timing.disasm_mve import parse_listing

    old = ("      1e: 02 f0 01 e8  \tvctp.8\tr2\n      22: 00 bf        \tnop\n"
           "      24: 94 ed 00 1f  \tvldrw.u32\tq0, [r4]\n")
    new = ("      1e: f002 e801    \tvctp.8\tr2\n      22: bf00         \tnop\n"
           "      24: ed94 1f00    \tvldrw.u32\tq0, [r4]\n")
    for text in (old, new):
        program, starts = parse_listing(text)
        assert starts == {0x1E, 0x22, 0x24}
        assert sorted(program) == [0x1E, 0x24] and {i.size for i in program.values()} == {4}
        assert program[0x24].base_register == "r4" and program[0x1E].writes == {"vpr"}


@needs_llvm
def test_helium_firmware_without_llvm_is_a_one_line_error(tmp_path, monkeypatch):
    from emu import tools
    from emu.errors import EmuError
    from emu.timing.disasm import read_program

    snippet = assemble(tmp_path, "cortex-m55", "vldrw.u32 q0, [r4]")  # decoded while llvm is there
    assert snippet.program
    monkeypatch.setattr(tools.shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(tools, "VERSIONED_DIR", tmp_path / "none")
    elf = tmp_path / "snippet.elf"
    elf.write_bytes(elf.read_bytes() + b"\0")  # another file for the decoder's cache
    with pytest.raises(EmuError, match=r"^llvm-objdump not found \(emu needs it for decoding the M55's Helium"
                                       r" \(MVE\) instructions\): apt-get install llvm "):
        read_program(elf)
