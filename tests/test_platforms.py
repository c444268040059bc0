"""The board files: they load, they are the boards asked for, every figure has a source."""

from __future__ import annotations

import re

import pytest

import emu.resources
from emu.platforms import list_platforms

BOARDS = {
    "nucleo-l4r5zi": ("cortex-m4", True, 120_000_000),
    "disco-l475-iot01a": ("cortex-m4", True, 80_000_000),
    "nucleo-l152re": ("cortex-m3", False, 32_000_000),
    "nrf52840-dk": ("cortex-m4", True, 64_000_000),
    "rp2040-pico": ("cortex-m0plus", False, 133_000_000),
    "nucleo-g0b1re": ("cortex-m0plus", False, 64_000_000),
    "disco-f746ng": ("cortex-m7", True, 216_000_000),
    "ek-ra6m4": ("cortex-m33", True, 200_000_000),
    "alif-e7-appkit": ("cortex-m55", True, 400_000_000),
}

MB = 1 << 20
# core -> QEMU machine, code and data origins, how much code and data memory it maps there,
# and its region for the weights (origin, bytes) where its code memory is smaller than the
# part's flash (docs/sources.md#qemu-mps2; QEMU's memory tree, `info mtree`, checked by
# booting bare-metal programs that read and write the ends of each region)
MACHINE = {
    "cortex-m0plus": ("mps2-an385", 0x0, 0x20000000, 4 * MB, 4 * MB, (None, None)),
    "cortex-m3": ("mps2-an385", 0x0, 0x20000000, 4 * MB, 4 * MB, (None, None)),
    "cortex-m4": ("mps2-an386", 0x0, 0x20000000, 4 * MB, 4 * MB, (None, None)),
    "cortex-m7": ("mps2-an500", 0x0, 0x20000000, 4 * MB, 4 * MB, (None, None)),
    "cortex-m33": ("mps2-an505", 0x10000000, 0x38000000, 4 * MB, 4 * MB, (None, None)),
    "cortex-m55": ("mps3-an547", 0x0, 0x21000000, 512 * 1024, 4 * MB, (0x28000000, 8 * MB)),
}
ACCELERATORS = {"none", "prefetch", "art", "xip-cache", "tcm"}


@pytest.fixture(scope="module")
def platforms():
    return {p.name: p for p in list_platforms()}


def test_the_boards_asked_for(platforms):
    assert set(platforms) == set(BOARDS)
    for name, (core, fpu, clock) in BOARDS.items():
        p = platforms[name]
        assert (p.core, p.fpu, p.clock_hz) == (core, fpu, clock), name
        assert p.path.stem == name


def test_emulated_machine_and_memory_limits(platforms):
    for p in platforms.values():
        machine, code, data, code_size, data_size, weights = MACHINE[p.core]
        assert (p.qemu_machine, p.flash_origin, p.ram_origin) == (machine, code, data), p.name
        assert (p.emulated_flash_bytes, p.emulated_ram_bytes) == (code_size, data_size), p.name
        assert (p.weights_origin, p.emulated_weights_bytes) == weights, p.name
        # No board is limited by its emulated machine: what the part's flash holds fits where
        # the machine puts the read-only data, and the part's RAM fits the machine's data memory.
        read_only = weights[1] if weights[1] is not None else code_size
        assert 0 < p.flash_bytes <= read_only and 0 < p.ram_bytes <= data_size, p.name
        assert p.flash_accelerator in ACCELERATORS, p.name


def test_compiler_flags(platforms):
    for p in platforms.values():
        assert p.cflags[0].startswith(f"-mcpu={p.core}") and "-mthumb" in p.cflags, p.name
        if p.fpu:
            assert "-mfloat-abi=hard" in p.cflags and any(f.startswith("-mfpu=") for f in p.cflags), p.name
        else:
            assert "-mfloat-abi=soft" in p.cflags, p.name


def test_power_figures_are_plausible(platforms):
    for p in platforms.values():
        assert 1.0 <= p.supply_v <= 3.6 and p.run_current_ua_per_mhz > 0, p.name
        assert p.static_current_ua >= 0 and p.sleep_current_ua >= 0, p.name


@pytest.mark.parametrize("path", sorted(emu.resources.BOARDS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_figure_has_a_source(path):
    """Each line holding a number carries a comment naming its source or an assumption."""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or ":" not in line:
            continue
        key, _, rest = line.partition(":")
        value, _, comment = rest.partition("#")
        if not re.fullmatch(r"\s*-?(0x[0-9a-fA-F]+|[0-9.]+)\s*", value):
            continue
        assert len(comment.strip()) >= 10, f"{path.name}: '{key.strip()}' has no source comment"


@pytest.mark.parametrize("change, refusal", [
    ({"flash_cache_lines": None}, "give all three or none"),
    ({"flash_cache_lines": 200}, "flash_cache_lines must be a power of two"),
    ({"flash_cache_ways": 512}, "flash_cache_ways"),
    ({"flash_accelerator": "prefetch"}, "needs flash_accelerator art or xip-cache"),
])
def test_a_flash_cache_geometry_is_whole_and_fits_its_accelerator(tmp_path, change, refusal):
    import yaml

    from emu.errors import EmuError
    from emu.platforms import load_platform_file

    board = yaml.safe_load((emu.resources.BOARDS / "ek-ra6m4.yaml").read_text())
    board.update(change)
    board = {key: value for key, value in board.items() if value is not None}
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(board))
    with pytest.raises(EmuError, match=refusal):
        load_platform_file(path)
