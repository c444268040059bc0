"""Boards: one YAML file each in emu/boards/, read into plain Platform values.

Every figure in a platform file carries its source in a comment beside it; the loader
checks that every field is there, of its kind and in its range (PlatformFile), and
refuses a bad file in one line naming the field (emu.configs).

A board file holds two kinds of memory figure: the part's flash and RAM (flash_bytes,
ram_bytes, from its datasheet: what decides whether a model fits the board), and where the
emulated QEMU machine holds them (origins and the sizes it maps there: what the linker script
and the trace use). Where the machine's code memory is smaller than the part's flash, a
second region of the machine (weights_origin) holds the read-only data, the weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from emu.configs import read_yaml, validated
from emu.errors import EmuError, shown
from emu.resources import BOARDS

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# Cores with the DSP extension (SMLAD, SXTB16, ...: Armv7E-M, and Armv8-M Mainline with it; the
# compiler defines __ARM_FEATURE_DSP for their -mcpu). M0+ (Armv6-M) and M3 (Armv7-M) lack it.
DSP_CORES = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# Cores with Helium (MVE, Armv8.1-M): GCC defines __ARM_FEATURE_MVE for their -mcpu.
MVE_CORES = ("cortex-m55",)
# Cores that issue two instructions a cycle: the optimized kernels order some loops for them
# (EMU_DUAL_ISSUE; GCC defines nothing that tells a Cortex-M7 from a Cortex-M4).
DUAL_ISSUE_CORES = ("cortex-m7",)
# What hides flash wait states (emu.timing.flash has each one's line width).
ACCELERATORS = ("none", "prefetch", "art", "xip-cache", "tcm")


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    core: str  # one of CORES
    fpu: bool  # firmware is built with the FPU on (hard float) or soft float
    clock_hz: int
    flash_bytes: int  # the part's flash (code, weights, initialised data), from its datasheet
    ram_bytes: int  # the part's SRAM (data, bss, tensor arena, stack), from its datasheet
    cflags: tuple[str, ...]  # -mcpu/-mfpu/-mfloat-abi for this part
    qemu_machine: str  # the QEMU machine whose core runs this ISA (or a superset)
    flash_origin: int  # where the emulated machine has code memory
    ram_origin: int  # where the emulated machine has data memory
    flash_wait_states: int  # at clock_hz
    flash_accelerator: str  # one of ACCELERATORS: what hides the flash's wait states
    supply_v: float
    run_current_ua_per_mhz: float
    static_current_ua: float  # current that does not scale with clock, drawn while running
    sleep_current_ua: float
    path: Path
    # The kernel set this board name pins ('<board>:reference' or '<board>:optimized'); None:
    # the board's default (emu/compile/kernel_set.py), or whatever a command asks for.
    kernels: str | None = None
    # Whether the run power (supply_v, run and static current) comes from a published source or
    # measurement ("sourced") or is, in any part, an assumption ("assumed"); and where it is
    # discussed, a section of docs/sources.md. Energy figures carry it (Result.energy_basis).
    power_basis: str = "assumed"
    power_source: str | None = None
    # Wait states each data read from the board's SRAM pays at clock_hz (every board file
    # states it, with its source; 0 here only for platforms built in code).
    ram_wait_states: int = 0
    # How much the emulated machine maps at flash_origin and ram_origin (None: as much as the
    # part has), and the machine's region for the read-only data (the weights) where its code
    # memory is smaller than the part's flash (None: they follow the code).
    emulated_flash_bytes: int | None = None
    emulated_ram_bytes: int | None = None
    weights_origin: int | None = None
    emulated_weights_bytes: int | None = None
    # The flash cache's geometry where the board file gives it (all three, or none): line bytes,
    # lines and ways. With it the trace counts which data reads from flash miss the cache
    # (emu/emulators/plugin/emu_trace.c) and emu.timing.flash charges a line fill per miss.
    flash_cache_line_bytes: int | None = None
    flash_cache_lines: int | None = None
    flash_cache_ways: int | None = None

    @property
    def flash_cache(self) -> tuple[int, int, int] | None:
        """(line bytes, sets, ways) of the flash cache, or None where the board file gives none."""
        if self.flash_cache_line_bytes is None or self.flash_cache_lines is None or self.flash_cache_ways is None:
            return None
        return self.flash_cache_line_bytes, self.flash_cache_lines // self.flash_cache_ways, self.flash_cache_ways

    @property
    def flash_data_waits(self) -> bool:
        """Every data read from flash pays the wait states (the board file gives no cache
        geometry: emu/timing/flash.py), so a filter read again and again pays them each time."""
        return self.flash_wait_states > 0 and self.flash_cache is None

    @property
    def code_region(self) -> tuple[int, int]:
        """(origin, bytes) of the emulated memory for the code, the vector table and, without
        a weights region, the read-only data: at most what the part's flash holds."""
        return self.flash_origin, min(self.flash_bytes, self.emulated_flash_bytes or self.flash_bytes)

    @property
    def weights_region(self) -> tuple[int, int] | None:
        """(origin, bytes) of the emulated memory for the read-only data, or None."""
        if self.weights_origin is None or self.emulated_weights_bytes is None:
            return None
        return self.weights_origin, min(self.flash_bytes, self.emulated_weights_bytes)

    @property
    def ram_region(self) -> tuple[int, int]:
        """(origin, bytes) of the emulated memory for the data: at most what the part's RAM holds."""
        return self.ram_origin, min(self.ram_bytes, self.emulated_ram_bytes or self.ram_bytes)

    @property
    def flash_regions(self) -> tuple[tuple[int, int], ...]:
        """The emulated regions that hold what the part's flash holds (reads there are flash reads)."""
        weights = self.weights_region
        return (self.code_region,) if weights is None else (self.code_region, weights)

    def in_flash(self, address: int) -> bool:
        return any(origin <= address < origin + size for origin, size in self.flash_regions)

    @property
    def clock_mhz(self) -> float:
        return self.clock_hz / 1e6

    @property
    def mve(self) -> bool:
        """The core has Helium (the M-profile vector extension), which the optimized kernels use
        where they have a vector form; built with it unless the flags say +nomve."""
        return self.core in MVE_CORES and not any("+nomve" in f for f in self.cflags)

    @property
    def compile_flags(self) -> list[str]:
        """The board's cflags and the defines the kernels read about its core."""
        return [*self.cflags, *(["-DEMU_DUAL_ISSUE"] if self.core in DUAL_ISSUE_CORES else [])]

    @property
    def dsp(self) -> bool:
        """The core has the DSP extension, which the optimized kernels use."""
        return self.core in DSP_CORES and not any("+nodsp" in f for f in self.cflags)


MAX_CLOCK_HZ = 10**10  # 10 GHz: ten times the fastest Cortex-M
ADDRESS_SPACE = 1 << 32


def _target_flag(flag: str) -> str:
    """Compiler options a board may set: the target's -m options (-mcpu=, -mfpu=, -mfloat-abi=,
    -mthumb), nothing that loads code or runs a program (-fplugin=, -wrapper, -B, @file)."""
    if not re.fullmatch(r"-m[a-z0-9][a-z0-9-]*(=[A-Za-z0-9.+_-]+)?", flag):
        raise ValueError(f"must be a target option such as -mcpu=cortex-m4 (got '{shown(flag, 40)}')")
    return flag


def _machine_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", name):
        raise ValueError(f"must be a QEMU machine name such as mps2-an386 (got '{shown(name, 40)}')")
    return name


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError(f"must be one line of printable text, without control characters (got '{shown(text, 40)}')")
    return text


def _plain_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", text):
        raise ValueError(f"must be a plain name of at most 64 letters, digits, '.', '_' or '-' "
                         f"(got '{shown(text, 40)}')")
    return text


def _source_anchor(text: str) -> str:
    """Where a figure is discussed: a section of docs/sources.md."""
    if not re.fullmatch(re.escape("docs/sources.md") + "#[a-z0-9][a-z0-9-]{0,63}", text):
        raise ValueError(f"must be a section of docs/sources.md such as docs/sources.md#mlperf-tiny-energy "
                         f"(got '{shown(text, 60)}')")
    return text


class PlatformFile(BaseModel):
    """What a board file must hold; types are strict (a clock written "120" is refused), and each
    figure lies within what a microcontroller board can have."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    # The name is typed after -p, keys the caches and is written into linker scripts and Renode
    # scripts: a plain name. The description is one line of printable text.
    name: Annotated[str, AfterValidator(_plain_name)]
    description: Annotated[str, AfterValidator(_printable)] = Field(max_length=300)
    core: Literal[CORES]
    fpu: bool
    clock_hz: int = Field(gt=0, le=MAX_CLOCK_HZ)
    flash_bytes: int = Field(gt=0, le=ADDRESS_SPACE)
    ram_bytes: int = Field(gt=0, le=ADDRESS_SPACE)
    cflags: list[Annotated[str, AfterValidator(_target_flag)]] = Field(min_length=1, max_length=16)
    qemu_machine: Annotated[str, AfterValidator(_machine_name)]
    flash_origin: int = Field(ge=0, lt=ADDRESS_SPACE)
    ram_origin: int = Field(ge=0, lt=ADDRESS_SPACE)
    flash_wait_states: int = Field(ge=0, le=255)
    flash_accelerator: Literal[ACCELERATORS]
    ram_wait_states: int = Field(ge=0, le=255)
    emulated_flash_bytes: int = Field(gt=0, le=ADDRESS_SPACE)
    emulated_ram_bytes: int = Field(gt=0, le=ADDRESS_SPACE)
    weights_origin: int | None = Field(default=None, ge=0, lt=ADDRESS_SPACE)
    emulated_weights_bytes: int | None = Field(default=None, gt=0, le=ADDRESS_SPACE)
    flash_cache_line_bytes: int | None = Field(default=None, ge=4, le=4096)
    flash_cache_lines: int | None = Field(default=None, ge=1, le=65536)
    flash_cache_ways: int | None = Field(default=None, ge=1, le=64)
    supply_v: float = Field(gt=0, le=60)
    run_current_ua_per_mhz: float = Field(gt=0, le=100_000)  # 100 mA per MHz
    static_current_ua: float = Field(ge=0, le=10_000_000)  # 10 A
    sleep_current_ua: float = Field(ge=0, le=10_000_000)
    # A board file that does not say where its power figures come from has assumed them.
    power_basis: Literal["sourced", "assumed"] = "assumed"
    power_source: Annotated[str, AfterValidator(_source_anchor)] | None = None

    @model_validator(mode="after")
    def a_sourced_figure_names_its_source(self):
        if self.power_basis == "sourced" and self.power_source is None:
            raise ValueError("power_basis: sourced needs power_source, the section of docs/sources.md it comes from")
        return self

    @model_validator(mode="after")
    def a_flash_cache_has_its_whole_geometry(self):
        geometry = {"flash_cache_line_bytes": self.flash_cache_line_bytes, "flash_cache_lines": self.flash_cache_lines,
                    "flash_cache_ways": self.flash_cache_ways}
        given = [name for name, value in geometry.items() if value is not None]
        if not given:
            return self
        if len(given) != len(geometry):
            raise ValueError("flash_cache_line_bytes, flash_cache_lines and flash_cache_ways go together: "
                             "give all three or none")
        for name, value in geometry.items():
            if value & (value - 1):
                raise ValueError(f"{name} must be a power of two (got {value})")
        if self.flash_cache_ways > self.flash_cache_lines:
            raise ValueError("flash_cache_ways cannot exceed flash_cache_lines")
        if self.flash_accelerator not in ("art", "xip-cache"):
            raise ValueError(f"a flash cache's geometry needs flash_accelerator art or xip-cache "
                             f"(got {self.flash_accelerator})")
        return self

    @model_validator(mode="after")
    def memories_in_the_address_space(self):
        if (self.weights_origin is None) != (self.emulated_weights_bytes is None):
            raise ValueError("weights_origin and emulated_weights_bytes go together: give both or neither")
        regions = [("flash_origin", self.flash_origin, "emulated_flash_bytes", self.emulated_flash_bytes),
                   ("ram_origin", self.ram_origin, "emulated_ram_bytes", self.emulated_ram_bytes)]
        if self.weights_origin is not None:
            regions.append(("weights_origin", self.weights_origin, "emulated_weights_bytes",
                            self.emulated_weights_bytes))
        for origin_name, origin, size_name, size in regions:
            if origin + size > ADDRESS_SPACE:
                raise ValueError(f"{origin_name} {origin:#x} + {size_name} {size:,} run past the 4 GB "
                                 f"address space")
        spans = sorted((origin, origin + size, name) for name, origin, _, size in regions)
        for (_, end, first), (start, _, second) in pairwise(spans):
            if start < end:
                raise ValueError(f"the emulated regions at {first} and {second} overlap")
        return self


def load_platform_file(path: Path) -> Platform:
    checked = validated(PlatformFile, read_yaml(path), str(path))
    values = checked.model_dump()
    values["cflags"] = tuple(values["cflags"])
    return Platform(**values, path=path)


def list_platforms(directory: Path = BOARDS) -> list[Platform]:
    return [load_platform_file(p) for p in sorted(directory.glob("*.yaml"))]


SOFT_FLOAT = ":soft-float"


def without_fpu(platform: Platform) -> Platform:
    """The same board built with its FPU off: float arithmetic becomes library calls, as
    on a part without an FPU. Named '<board>:soft-float'."""
    if not platform.fpu:
        return platform
    flags = tuple(f for f in platform.cflags if not f.startswith(("-mfpu=", "-mfloat-abi=")))
    return replace(platform, name=platform.name + SOFT_FLOAT, fpu=False, cflags=(*flags, "-mfloat-abi=soft"))


# '<board>:reference' and '<board>:optimized': the board built with that kernel set, so that
# a sweep's board list can hold one part with both (the name then tells its rows apart).
KERNEL_SUFFIXES = (":reference", ":optimized")


def get_platform(name: str, directory: Path = BOARDS) -> Platform:
    """A board by name (with ':soft-float' for its FPU off, ':reference' or ':optimized' for a
    kernel set), or a platform YAML file by path."""
    for suffix in KERNEL_SUFFIXES:
        if name.endswith(suffix):
            board = get_platform(name[: -len(suffix)], directory)
            if suffix == ":optimized" and not board.dsp:
                raise EmuError(f"{board.name} ({board.core}) has no DSP extension, which the optimized kernels "
                               f"need: name it without ':optimized'")
            return replace(board, name=board.name + suffix, kernels=suffix[1:])
    if name.endswith(SOFT_FLOAT):
        return without_fpu(get_platform(name[: -len(SOFT_FLOAT)], directory))
    as_path = Path(name)
    if name.endswith((".yaml", ".yml")) and as_path.exists():
        return load_platform_file(as_path)
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise EmuError(f"unknown platform '{shown(name)}' (known: {known})")
    return load_platform_file(path)
