"""The arena planner: hand-worked plans and invariants over random lifetimes."""

import numpy as np

from emu.compile.arena import ALIGNMENT, Buffer, plan_arena
from emu.compile.overlap import row_streaming_lead
from emu.compile.row_fusion import Rows, schedule


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


def test_a_small_resnet_takes_under_0_6x_of_tflms_arena_and_still_matches_tflm():
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
        assert compiled.arena_bytes <= 0.6 * tflm, (kernel_set, compiled.arena_bytes, tflm)
        # the first block (stride 1) runs by bands: its inner activations never exist whole
        assert "by bands of" in compiled.source and "memmove(" in compiled.source
        # buffers that share memory must not clobber each other: the outputs say so
        for got, want in zip(run_compiled_on_host_many(compiled, inputs), wanted, strict=True):
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, w, err_msg=kernel_set)


def test_blocks_whose_add_reads_the_shortcut_second_run_by_bands_and_still_match_tflm():
    """Two residual blocks on 12 rows: Add([b, x]) (the block input second) after a 3x3 and a
    5x5 convolution, which runs by bands; then a 3x3 and a 1x1, which cannot (a band's first
    convolution would read a row of x the ADD before it has written over) and runs whole.
    int8 and float32, each with the reference and the optimized kernel sets."""
    from emu.compile.codegen import compile_graph
    from emu.compile.hostrun import run_compiled_on_host_many
    from emu.model.oracle import tflm_outputs
    from emu.model.reader import parse_model
    from tests import modelgen

    tf = modelgen.tf()
    k = tf.keras.layers
    tf.keras.utils.set_random_seed(1)
    inputs = tf.keras.Input((12, 12, 4), batch_size=1)
    x = k.Conv2D(8, 3, padding="same")(inputs)
    y = k.Conv2D(8, 5, padding="same")(k.Conv2D(8, 3, padding="same", activation="relu")(x))
    x = k.Add()([y, x])
    y = k.Conv2D(8, 1)(k.Conv2D(8, 3, padding="same", activation="relu")(x))
    outputs = k.Add()([y, x])
    keras = tf.keras.Model(inputs, outputs)
    for model in (modelgen.to_int8(keras, (12, 12, 4)), modelgen.to_float(keras)):
        graph = parse_model(model)
        samples = [modelgen.random_input(model, seed=s) for s in range(3)]
        wanted = [tflm_outputs(model, x) for x in samples]
        for kernel_set in ("reference", "optimized"):
            compiled = compile_graph(graph, kernel_set)
            assert compiled.source.count("by bands of") == 1, kernel_set
            for got, want in zip(run_compiled_on_host_many(compiled, samples), wanted, strict=True):
                for g, w in zip(got, want, strict=True):
                    np.testing.assert_array_equal(g, np.asarray(w).reshape(g.shape), err_msg=kernel_set)


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


def test_a_chain_of_streaming_layers_steps_down_through_memory():
    # Four 1,000 B activations, each written over the one before by a row-streaming kernel
    # that needs its input to start 200 B above its output. Alternating between two places
    # takes 2,000 B; stepping down 200 B a layer takes 1,000 + 3 x 200 = 1,600 B:
    # a at 600, b at 400, c at 200, d at 0.
    buffers = [Buffer("a", 1000, -1, 0), Buffer("b", 1000, 0, 1), Buffer("c", 1000, 1, 2), Buffer("d", 1000, 2, 3)]
    plan = plan_arena(buffers, {("b", "a"): 200, ("c", "b"): 200, ("d", "c"): 200})
    assert plan.offsets == {"a": 600, "b": 400, "c": 200, "d": 0} and plan.size == 1600


def test_a_chain_too_long_to_step_down_does_not_grow_past_two_buffers():
    # Leads of 600 B on 1,000 B buffers: stepping down all the way would take 1,000 + 3 x 600 =
    # 2,800 B; two side by side take 2,000 B, and no plan needs more.
    buffers = [Buffer(n, 1000, i - 1, i) for i, n in enumerate("abcd")]
    plan = plan_arena(buffers, {("b", "a"): 600, ("c", "b"): 600, ("d", "c"): 600})
    assert plan.size <= 2000


def _streaming_program(rng):
    """A random chain of row-streaming operators, with buffers skipping ahead to later
    operators (written when their first operator starts) and one-operator scratch buffers:
    the buffers, the leads the kernels' rule (emu/compile/overlap.py) gives, the chain's
    geometry and the skipping buffers each operator reads."""
    steps = int(rng.integers(2, 9))
    rows = int(rng.integers(2, 9))
    row_bytes = [int(rng.integers(1, 40))]
    buffers = [Buffer("x0", rows * row_bytes[0], -1, 0)]
    geometry, leads = [], {}
    for s in range(steps):
        stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, 3))
        filter_rows = pad + int(rng.integers(1, 3))
        out_rows = max(1, (rows + 2 * pad - filter_rows) // stride + 1)
        out_row_bytes = int(rng.integers(1, 40))
        buffers.append(Buffer(f"x{s + 1}", out_rows * out_row_bytes, s, s + 1))
        leads[f"x{s + 1}", f"x{s}"] = row_streaming_lead(rows, row_bytes[-1], out_rows, out_row_bytes, stride, pad)
        geometry.append((rows, row_bytes[-1], out_rows, out_row_bytes, stride, pad, filter_rows))
        rows = out_rows
        row_bytes.append(out_row_bytes)
    reads = {s: [] for s in range(steps + 1)}  # skip buffers read whole at the start of a step
    for k in range(int(rng.integers(0, 4))):
        first = int(rng.integers(-1, steps - 1))
        last = int(rng.integers(first + 1, steps + 1))
        buffers.append(Buffer(f"skip{k}", int(rng.integers(1, 300)), first, last))
        reads[last].append(f"skip{k}")
    for s in range(steps):
        if rng.random() < 0.5:
            buffers.append(Buffer(f"scratch{s}", int(rng.integers(1, 100)), s, s))
    return buffers, leads, geometry, reads


class _Memory:
    """The arena byte by byte, each byte tagged with the buffer last written there."""

    def __init__(self, buffers, size):
        self.where = {b.name: b for b in buffers}
        self.ids = {b.name: i for i, b in enumerate(buffers)}
        self.owner = np.full(size, -1)

    def _bytes(self, name, start, stop):
        b = self.where[name]
        return slice(b.offset + start, b.offset + (b.size if stop is None else stop))

    def write(self, name, start=0, stop=None):
        self.owner[self._bytes(name, start, stop)] = self.ids[name]

    def intact(self, name, start=0, stop=None):
        return bool((self.owner[self._bytes(name, start, stop)] == self.ids[name]).all())


def test_random_streaming_chains_never_overwrite_a_live_buffer_before_its_last_read():
    """Plays each plan byte by byte: every operator reads its input rows and writes its output
    rows in the order the row-streaming kernels do (output row y after the input rows it
    needs), writes scratch first and reads it last, and reads the buffers that skip ahead;
    every byte read must still hold the buffer it belongs to, and after each operator every
    buffer read later must be whole."""
    rng = np.random.default_rng(4)
    chained = 0
    for _ in range(400):
        buffers, leads, geometry, reads = _streaming_program(rng)
        plan = plan_arena(buffers, leads)
        memory = _Memory(buffers, plan.size)
        write, intact = memory.write, memory.intact
        for b in buffers:
            if b.first == -1:
                write(b.name)
        for s, (in_rows, in_row, out_rows, out_row, stride, pad, filter_rows) in enumerate(geometry):
            src, dst, scratch = f"x{s}", f"x{s + 1}", f"scratch{s}"
            for b in buffers:  # the operator's scratch and the buffers it hands to later ones
                if b.first == s and b.name != dst:
                    write(b.name)
            for name in reads[s]:
                assert intact(name), (name, s, plan, leads)
            for y in range(out_rows):
                top = max(0, y * stride - pad)
                bottom = min(in_rows, y * stride - pad + filter_rows)
                if top < bottom:
                    assert intact(src, top * in_row, bottom * in_row), (src, y, plan, leads)
                write(dst, y * out_row, (y + 1) * out_row)
            if scratch in memory.where:
                assert intact(scratch), (scratch, plan)
            for b in buffers:
                if b.first <= s < b.last:
                    assert intact(b.name), (b.name, s, plan, leads)
        for name in reads[len(geometry)]:
            assert intact(name), (name, plan)
        chained += plan.size < plan_arena([Buffer(b.name, b.size, b.first, b.last) for b in buffers]).size
    assert chained > 100  # the streaming overlaps were taken, not only allowed


def test_kws_steps_its_chain_of_activations_down_and_takes_under_0_6x_of_tflms_arena():
    """MLPerf Tiny's DS-CNN: after the first convolution, eight depthwise and pointwise layers
    each stream a 25x5x64 activation (8,000 B) over the one before. Stepped down through
    memory they need about one activation plus the leads, under 0.6x of what TFLM's
    interpreter allocates, and the outputs still equal TFLM's."""
    from emu.compile.codegen import compile_graph
    from emu.compile.hostrun import run_compiled_on_host_many
    from emu.model.oracle import tflm_arena_bytes, tflm_outputs
    from emu.model.reader import parse_model
    from tests import modelgen
    from tests.conftest import shared_model

    model = shared_model("kws_ref_model.tflite").read_bytes()
    graph = parse_model(model)
    tflm = tflm_arena_bytes(model)
    inputs = [modelgen.random_input(model, seed=s) for s in range(2)]
    wanted = [tflm_outputs(model, x) for x in inputs]
    for kernel_set in ("reference", "optimized"):
        compiled = compile_graph(graph, kernel_set)
        assert compiled.arena_bytes <= 0.6 * tflm, (kernel_set, compiled.arena_bytes, tflm)
        for got, want in zip(run_compiled_on_host_many(compiled, inputs), wanted, strict=True):
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, np.asarray(w).reshape(g.shape), err_msg=kernel_set)


def test_a_residual_block_by_hand_runs_in_bands_of_rows():
    # 8 rows, both convolutions 3x3 with padding 1, bands of 4 rows. Band 0 needs a's rows 0-4
    # (b's row 3 reads a's rows 2-4), computed from x's rows 0-5 with the top padding; band 1
    # keeps a's rows 3-4 (window rows 3-4 moved to the top), computes rows 5-7 from x's rows
    # 4-7, which band 0's ADD (x's rows 0-3) left alone, and reads a's rows 3-7.
    bands = schedule(8, 8, 1, 3, 1, 4)
    first, second = bands.steps
    assert (first.keep, first.first, first.second) == (0, Rows(0, 1, 8, 0, 5), Rows(0, 1, 5, 0, 4))
    assert (second.keep_from, second.keep) == (3, 2)
    assert second.first == Rows(4, 0, 4, 2, 3) and second.second == Rows(0, 0, 5, 0, 4)
    assert (bands.window_rows, bands.band_rows) == (5, 4)
    # a 1x1 second convolution after a 3x3 first: band 1's first row of a reads x's row 3,
    # which band 0's ADD has written over
    assert schedule(8, 8, 1, 1, 0, 4) is None


def _band_program(rng):
    """A random residual block and the buffers a banded run of it needs: the block input x
    (written before, its output c over it read after), the window of a, the band of b, one
    scratch, and buffers alive across the block."""
    while True:
        rows = int(rng.integers(1, 12))
        f1, f2 = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        p1, p2 = int(rng.integers(0, f1)), int(rng.integers(0, f2))
        mid = rows + 2 * p1 - f1 + 1  # stride 1: a's rows
        if mid < 1 or mid + 2 * p2 - f2 + 1 != rows:  # the output has x's rows, as the ADD needs
            continue
        bands = schedule(rows, mid, p1, f2, p2, int(rng.integers(1, rows + 1)))
        if bands is not None:
            break
    row_x, row_a = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    buffers = [Buffer("x", rows * row_x, -1, 1), Buffer("window", bands.window_rows * row_a, 0, 0),
               Buffer("band", bands.band_rows * row_x, 0, 0), Buffer("scratch", int(rng.integers(1, 60)), 0, 0)]
    for k in range(int(rng.integers(0, 4))):
        first = int(rng.integers(-1, 1))
        buffers.append(Buffer(f"skip{k}", int(rng.integers(1, 200)), first, int(rng.integers(max(first, 0), 2))))
    return (rows, mid, f1, p1, f2, p2), (row_x, row_a), bands, buffers


class _RowMemory:
    """The arena byte by byte, each byte tagged with (tensor, row) last written there."""

    def __init__(self, buffers, size):
        self.at = {b.name: b.offset for b in buffers}
        self.tag = [None] * size

    def write(self, name, row, size, what):
        start = self.at[name] + row * size
        self.tag[start:start + size] = [what] * size

    def holds(self, name, row, size, what):
        start = self.at[name] + row * size
        return all(t == what for t in self.tag[start:start + size])


def _play_convolution(memory, call, source, size_in, target, size_out, filter_h, pad_model, wanted_rows,
                      name_in, name_out, row0):
    """One banded convolution call: its output row oy (the model's row row0 + oy) reads rows
    oy - pad ... of what its pointer gives, each of which must hold the model's input row it
    stands for, and a row the model pads must be one outside the call's input rows."""
    for oy in range(call.output_h):
        out_row = row0 + oy
        for j in range(filter_h):
            needed = out_row - pad_model + j  # the model's input row
            rel = oy - call.pad + j  # the row the kernel reads, relative to its pointer
            if 0 <= needed < wanted_rows:
                assert 0 <= rel < call.input_h, (needed, rel, call)
                assert memory.holds(source, call.input_row + rel, size_in, (name_in, needed)), (name_in, needed)
            else:
                assert not 0 <= rel < call.input_h, (needed, rel, call)
        memory.write(target, call.output_row + oy, size_out, (name_out, out_row))


def test_random_banded_blocks_read_every_row_they_need_and_clobber_nothing():
    """Plays each banded block byte by byte in a planned arena, every byte tagged with the row
    of the tensor last written there: a convolution's output row oy reads input rows oy - pad
    to oy - pad + filter - 1 of what its pointer gives (rows outside 0..input_h - 1 being
    padding), as the kernels do. Each row of a must be computed from exactly the rows of x it
    needs, each row of b from exactly the rows of a it needs (a row the model pads must fall
    outside the call's rows), the ADD must read x's and b's same row, and at the end x's bytes
    must hold every row of c, the buffers alive across the block untouched."""
    rng = np.random.default_rng(5)
    moved = 0
    for _ in range(400):
        (rows, mid, f1, p1, f2, p2), (row_x, row_a), bands, buffers = _band_program(rng)
        memory = _RowMemory(buffers, plan_arena(buffers).size)
        tag, write, holds = memory.tag, memory.write, memory.holds
        at = memory.at
        for b in buffers:
            if b.name != "x" and b.first == -1 or b.first == 0 and b.name.startswith("skip"):
                write(b.name, 0, b.size, (b.name, 0))
        for y in range(rows):
            write("x", y, row_x, ("x", y))
        write("scratch", 0, buffers[3].size, ("scratch", 0))
        for step in bands.steps:
            if step.keep:
                window = at["window"]
                tag[window:window + step.keep * row_a] = \
                    tag[window + step.keep_from * row_a:window + (step.keep_from + step.keep) * row_a]
                moved += 1
            if step.first is not None:  # its output row oy is the row of a whose window of x starts where oy's does
                _play_convolution(memory, step.first, "x", row_x, "window", row_a, f1, p1, rows, "x", "a",
                                  step.first.input_row - step.first.pad + p1)
            _play_convolution(memory, step.second, "window", row_a, "band", row_x, f2, p2, mid, "a", "b", step.row)
            for y in range(step.row, step.row + step.rows):
                assert holds("x", y, row_x, ("x", y)) and holds("band", y - step.row, row_x, ("b", y))
                write("x", y, row_x, ("c", y))
            assert holds("scratch", 0, buffers[3].size, ("scratch", 0))
        assert all(holds("x", y, row_x, ("c", y)) for y in range(rows))
        for b in buffers:
            if b.name.startswith("skip") and b.first <= 0 <= b.last:
                assert holds(b.name, 0, b.size, (b.name, 0)), b
    assert moved > 50  # windows were carried from band to band, not only rebuilt
