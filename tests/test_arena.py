"""The arena planner: hand-worked plans and invariants over random lifetimes."""

import numpy as np

from emu.compile.arena import ALIGNMENT, Buffer, plan_arena


def test_chain_reuses_memory_of_dead_tensors():
    # A (100 B) feeds op 0 which writes B (50 B); op 1 reads B and writes C (100 B).
    # A is dead when C is written, so C takes A's place: A,C at 0, B at 104 (100 aligned to 8).
    # Arena = 104 + 50 = 154, aligned to 8 = 160.
    plan = plan_arena([Buffer("A", 100, -1, 0), Buffer("B", 50, 0, 1), Buffer("C", 100, 1, 2)])
    assert plan.offsets == {"A": 0, "C": 0, "B": 104}
    assert plan.size == 160


def test_random_lifetimes_never_collide_and_meet_the_live_bound():
    rng = np.random.default_rng(1)
    for _ in range(200):
        buffers = []
        for i in range(rng.integers(1, 12)):
            first = int(rng.integers(-1, 10))
            buffers.append(Buffer(f"b{i}", int(rng.integers(1, 500)), first, first + int(rng.integers(0, 4))))
        plan = plan_arena(buffers)
        for a in buffers:
            assert a.offset % ALIGNMENT == 0
            assert a.offset + a.size <= plan.size
            for b in buffers:
                if a is not b and a.overlaps_in_time(b):
                    assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset
        # no plan can be smaller than what is alive at the busiest moment
        busiest = max(sum(b.size for b in buffers if b.first <= t <= b.last) for t in range(-1, 14))
        assert plan.size >= busiest


def test_streaming_output_may_overlap_the_input_it_has_finished_with():
    # micro_speech's depthwise layer: input 1,960 B (alive until op 0), output 4,000 B
    # (from op 0), lead 2,240 B (tests/test_overlap.py). Largest first: the output at 0,
    # then the input at the lowest start >= 0 + 2,240: arena max(4000, 2240 + 1960) = 4,200.
    buffers = [Buffer("in", 1960, -1, 0), Buffer("out", 4000, 0, 1)]
    plan = plan_arena(buffers, {("out", "in"): 2240})
    assert plan.offsets == {"out": 0, "in": 2240} and plan.size == 4200
    # without the lead they may not overlap at all
    assert plan_arena([Buffer("in", 1960, -1, 0), Buffer("out", 4000, 0, 1)]).size == 5960


def test_lead_when_the_input_is_placed_first():
    # The 3,000 B input is larger, so it is placed first, at 0. The output may overlap it
    # only by starting `lead` bytes or more before it, and there is no room below 0, so the
    # output goes after the input, at 3,000.
    plan = plan_arena([Buffer("in", 3000, -1, 0), Buffer("out", 1000, 0, 1)], {("out", "in"): 500})
    assert plan.offsets == {"in": 0, "out": 3000}
