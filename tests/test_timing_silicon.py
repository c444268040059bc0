"""The cycle model against instruction sequences timed on real chips (benchmarks/silicon_corpus.py).

Each core's sequences are built into one ELF with the board's `emu bsp` files and
arm-none-eabi-gcc and run once through `emu profile --json`; every sequence must come
within 1 cycle of its silicon figure, or show exactly its documented deviation.
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks.silicon_corpus import BOARD_OF_CORE, CORPUS, by_core, error
from benchmarks.silicon_harness import measure

pytestmark = pytest.mark.skipif(
    not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")),
    reason="needs qemu-system-arm and arm-none-eabi-gcc",
)


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, float]:
    cycles: dict[str, float] = {}
    for core, sequences in by_core().items():
        cycles.update(measure(BOARD_OF_CORE[core], sequences, tmp_path_factory.mktemp(core)))
    return cycles


@pytest.mark.parametrize("seq", CORPUS, ids=lambda s: s.name)
def test_sequence_matches_silicon(seq, measured):
    err = error(seq, measured[seq.name])
    if seq.deviation:
        size, reason = seq.deviation
        assert err == size, f"{seq.lines}: documented deviation {size:+g} ({reason}), now {err:+g}"
    else:
        assert abs(err) <= 1, (f"{seq.lines}: emu {measured[seq.name]:g} cycles, silicon {seq.silicon} "
                               f"({seq.fact})")


def test_corpus_covers_every_timed_core():
    assert len(CORPUS) >= 60
    assert set(by_core()) == set(BOARD_OF_CORE)


@pytest.mark.parametrize("core", sorted(BOARD_OF_CORE))
def test_stated_uncertainty_matches_the_corpus(core, measured):
    from emu.timing.uncertainty import UNCERTAINTY

    sequences = by_core()[core]
    stated = UNCERTAINTY[core]
    assert stated.sequences == len(sequences)
    assert stated.worst_cycles == max(abs(error(s, measured[s.name])) for s in sequences)
