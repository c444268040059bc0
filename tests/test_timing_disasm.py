"""read_program: what the timing model is told about each instruction."""

from __future__ import annotations

from emu.timing.disasm import read_program
from tests.test_timing import assemble, pytestmark  # noqa: F401  (same skip condition)


def test_literal_pools_are_not_decoded(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", """
    ldr r0, =0x12345678
    b after
    .ltorg
after:
    nop
""")
    # The pool word just before `after` is data ($d): neither of its halfwords is decoded.
    after = snippet.labels["after"]
    assert after - 4 not in snippet.program and after - 2 not in snippet.program
    assert snippet.program[after].operation == "hint"
    literal = snippet.program[0]
    assert literal.base_register == "pc" and literal.is_load and literal.loaded_registers == {"r0"}


def test_register_lists_and_widths(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", """
    push {r4, r5, lr}
    pop {r4, r5, pc}
    vldmia r0!, {s0-s3}
    vpop {d8, d9}
    ldrsh r1, [r2, #2]
    ldrd r2, r3, [r4]
""")
    push, pop, vldm, vpop, ldrsh, ldrd = (i for _, i in sorted(snippet.program.items()))
    assert (push.register_count, push.access_bytes, push.is_store) == (3, 12, True)
    assert pop.is_branch and pop.register_count == 3 and pop.loaded_registers == {"r4", "r5"}
    assert vldm.writes >= {"s0", "s1", "s2", "s3", "r0"} and vldm.access_bytes == 16
    assert vpop.writes == {"s16", "s17", "s18", "s19"} and vpop.words_moved == 4
    assert ldrsh.access_bytes == 2 and ldrd.access_bytes == 8


def test_it_block_conditions(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", """
    cmp r0, #0
    ite eq
    moveq r0, #1
    movne r0, #2
""")
    cmp, it, first, second = (i for _, i in sorted(snippet.program.items()))
    assert cmp.writes == {"flags"} and it.condition is None
    assert (first.condition, second.condition) == ("eq", "ne")
    assert "flags" in first.reads


def test_low_overhead_loop_instructions(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", """
    dls lr, r3
loop:
    nop
    le lr, loop
""")
    dls, nop, le = (i for _, i in sorted(snippet.program.items()))
    assert (dls.operation, dls.reads, dls.writes) == ("dls", {"r3"}, {"lr"})
    assert le.operation == "le" and le.is_branch and le.is_conditional and le.size == 4


def test_selected_addresses_only(tmp_path):
    assemble(tmp_path, "cortex-m3", "nop\n nop\n nop")
    assert set(read_program(tmp_path / "snippet.elf", [2, 4, 100])) == {2, 4}


def test_mapping_symbols_of_other_sections_do_not_hide_code(tmp_path):
    # Tools' data sections (debug frames) carry $d symbols at their own offsets, which can
    # equal code addresses; here one at offset 4, the third instruction's address.
    snippet = assemble(tmp_path, "cortex-m3", """
    adds r0, #1
    adds r1, #1
    adds r2, #1
    .section .notes_for_tools, "", %progbits
    .word 7
$d:
    .word 8
""")
    assert sorted(snippet.program) == [0, 2, 4]
