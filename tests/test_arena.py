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


def test_random_streaming_pairs_overlap_only_as_their_lead_allows():
    rng = np.random.default_rng(2)
    for _ in range(300):
        buffers = []
        for i in range(rng.integers(2, 10)):
            first = int(rng.integers(-1, 8))
            buffers.append(Buffer(f"b{i}", int(rng.integers(1, 400)), first, first + int(rng.integers(0, 4))))
        # an output written by the operator that last reads an input may stream over it
        leads = {(o.name, i.name): int(rng.integers(0, 500)) for o in buffers for i in buffers
                 if o is not i and o.first == i.last and rng.random() < 0.7}
        plan = plan_arena(buffers, leads)
        for a in buffers:
            assert a.offset % ALIGNMENT == 0 and a.offset + a.size <= plan.size
            for b in buffers:
                apart = a.offset + a.size <= b.offset or b.offset + b.size <= a.offset
                if a is b or not a.overlaps_in_time(b) or apart or (b.name, a.name) in leads:
                    continue  # (b, a) is looked at with the roles swapped
                # a overlaps b: a must be the output streaming over b, starting its lead before it
                assert (a.name, b.name) in leads and b.offset - a.offset >= min(leads[a.name, b.name], a.size), \
                    (a, b, leads)


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
    # The 3,000 B input is larger, so it is placed first. Placed at 0, the output could only
    # go after it (3,000 + 1,000 = 4,000 B). Leaving the 500 B lead free below it (504,
    # aligned to 8) lets the output start at 0 and overlap it: 504 + 3,000 = 3,504 B.
    plan = plan_arena([Buffer("in", 3000, -1, 0), Buffer("out", 1000, 0, 1)], {("out", "in"): 500})
    assert plan.offsets == {"in": 504, "out": 0} and plan.size == 3504


def test_residual_block_streams_the_second_convolution_over_the_first():
    # A ResNet block: A (16 KB) is the block's input and stays alive for the ADD at op 2;
    # op 0 convolves A into B, op 1 convolves B into C (row-streaming, lead 1,024 B).
    # Placed first at 16,384, B would leave C no room to overlap it, since A holds 0..16,384:
    # A, B, C side by side take 49,152 B. With 1,024 B kept free below B (B at 17,408),
    # C starts at 16,384 and overlaps B: 17,408 + 16,384 = 33,792 B.
    buffers = [Buffer("A", 16384, -1, 2), Buffer("B", 16384, 0, 1), Buffer("C", 16384, 1, 2)]
    plan = plan_arena(buffers, {("C", "B"): 1024})
    assert plan.offsets == {"A": 0, "B": 17408, "C": 16384} and plan.size == 33792
    assert plan_arena([Buffer(b.name, b.size, b.first, b.last) for b in buffers]).size == 49152


def small_resnet():
    """Three residual blocks (the last two downsampling through a 1x1 shortcut), as in the
    CIFAR ResNets of MLPerf Tiny, int8."""
    from tests import modelgen

    tf = modelgen.tf()
    k = tf.keras.layers
    tf.keras.utils.set_random_seed(0)
    inputs = tf.keras.Input((32, 32, 3), batch_size=1)
    x = k.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = k.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
        y = k.Conv2D(filters, 3, padding="same")(y)
        if stride != 1:
            x = k.Conv2D(filters, 1, strides=stride)(x)
        x = k.ReLU()(k.Add()([x, y]))
    outputs = k.Dense(10, activation="softmax")(k.GlobalAveragePooling2D()(x))
    return modelgen.to_int8(tf.keras.Model(inputs, outputs), (32, 32, 3))


def test_a_small_resnet_takes_under_0_7x_of_tflms_arena_and_still_matches_tflm():
    from emu.compile.codegen import compile_graph
    from emu.compile.hostrun import run_compiled_on_host_many
    from emu.model.oracle import tflm_arena_bytes, tflm_outputs
    from emu.model.reader import parse_model
    from tests import modelgen

    model = small_resnet()
    graph = parse_model(model)
    assert sum(op.op == "ADD" for op in graph.operators) == 3
    tflm = tflm_arena_bytes(model)
    inputs = [modelgen.random_input(model, seed=s) for s in range(3)]
    wanted = [tflm_outputs(model, x) for x in inputs]
    for kernel_set in ("reference", "optimized"):
        compiled = compile_graph(graph, kernel_set)
        assert compiled.arena_bytes <= 0.7 * tflm, (kernel_set, compiled.arena_bytes, tflm)
        # buffers that share memory must not clobber each other: the outputs say so
        for got, want in zip(run_compiled_on_host_many(compiled, inputs), wanted, strict=True):
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, w, err_msg=kernel_set)


def test_each_buffer_takes_the_lowest_aligned_offset_free_of_the_larger_ones():
    """The greedy rule checked by brute force: in placement order (largest first, then earliest),
    each buffer sits at the lowest multiple of ALIGNMENT where it overlaps in memory none of the
    buffers placed before it that are alive at the same time."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        buffers = []
        for i in range(rng.integers(1, 25)):
            first = int(rng.integers(-1, 12))
            buffers.append(Buffer(f"b{i}", int(rng.integers(0, 300)), first, first + int(rng.integers(0, 6))))
        plan_arena(buffers)
        order = sorted(buffers, key=lambda b: (-b.size, b.first, b.name))
        for k, buf in enumerate(order):
            before = [p for p in order[:k] if p.overlaps_in_time(buf)]
            lowest = next(start for start in range(0, 10**6, ALIGNMENT)
                          if all(start + buf.size <= p.offset or p.offset + p.size <= start for p in before))
            assert buf.offset == lowest, (buf, before)
