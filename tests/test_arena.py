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
