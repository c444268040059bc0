"""Many inferences of one model on one board: the device side of `emu validate`.

The test samples go into the firmware's flash (emu.compile.samples) and the firmware runs
them one after the other in one boot, reporting each sample's outputs on the console
(emu/firmware/runtime/samples_main.c). When they do not all fit beside the model, they go in
batches, one boot each. One inference of the first sample, as `emu run` makes it, comes
first: what it costs bounds the instructions of the boots. Nothing is traced per operator:
the runs have no measured window, so the trace plugin only counts, and a boot costs little
more than the instructions it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from emu.compile.kernel_set import resolve_kernel_set
from emu.compile.samples import sample_bytes, samples_source
from emu.emulators.window import Window
from emu.errors import DoesNotFit, FirmwareError, NotRunnable
from emu.link.firmware import build_firmware
from emu.model.reader import model_name, parse_model, read_model_bytes
from emu.platforms import Platform
from emu.results.measure import check_inputs, compile_for_device, emulate, raise_for_exit
from emu.results.outputs import parse_sample_outputs, reported_samples

# Flash kept free beside the samples for what the validation loop adds to a firmware (the
# loop, memcpy) and for the alignment of sections.
LOOP_FLASH = 2048
# Instructions a boot may run: this many times what one inference took (boot and report
# included) for every sample in it. Inferences of one model differ in instructions only
# where data does (a ReLU's branch, soft-float operands), far less than this; a firmware
# that loops without end is stopped near where it began to, not at the time limit.
BUDGET_MARGIN = 4
# The run without a measured window: the trace plugin only counts.
NO_WINDOW = Window(None, None, None)


@dataclass
class DeviceOutputs:
    outputs: list[list[np.ndarray]]  # per sample, each output as the firmware reported it
    boots: int
    samples_per_boot: int
    instructions: int  # in all boots, from reset to exit


def samples_per_boot(firmware_flash: int, board_flash: int, one_sample: int, board: str) -> int:
    """How many samples fit the flash the one-inference firmware leaves free."""
    room = board_flash - firmware_flash - LOOP_FLASH
    if room < one_sample:
        raise DoesNotFit(f"no test sample fits beside the model on {board}: one takes {one_sample:,} B of flash, "
                         f"the firmware leaves {max(room, 0):,} B", f"needs {one_sample:,} B of flash for a sample")
    return room // max(one_sample, 1)


def run_samples(model_path: str | Path, platform: Platform, samples: Sequence[list[np.ndarray]],
                kernels: str | None = None, progress: Callable[[str], None] = lambda m: None) -> DeviceOutputs:
    """Every sample (a list of input arrays) through the model's firmware on `platform`."""
    from emu.emulators import run_firmware

    model_path = Path(model_path)
    graph = parse_model(read_model_bytes(model_path), name=model_name(model_path))
    try:
        compiled = compile_for_device(graph, resolve_kernel_set(platform, kernels), platform)
    except NotRunnable as e:
        raise type(e)(f"{graph.name} cannot run on the device: {e}", e.reason) from None
    samples = [check_inputs(graph, s) for s in samples]
    single = build_firmware(compiled, platform)  # what the samples are added to
    # One inference as `emu run` makes it, on the first sample: what one costs sets the budget
    # of the boots below (a firmware that fails on one inference fails here, in sample 0).
    try:
        _, probe = emulate(single, platform, samples[0], window=NO_WINDOW)
    except FirmwareError as e:
        raise FirmwareError(f"{e}, in sample 0") from None
    per_boot = samples_per_boot(single.sections.flash, platform.flash_bytes, sample_bytes(compiled.inputs),
                                platform.name)
    outputs: list[list[np.ndarray]] = []
    boots = instructions = 0
    for start in range(0, len(samples), per_boot):
        batch = samples[start:start + per_boot]
        if boots:
            progress(f"boot {boots + 1}: samples {start} to {start + len(batch) - 1}")
        firmware = build_firmware(compiled, platform, samples_source(batch, compiled.inputs))
        trace = run_firmware(firmware.elf, platform, window=NO_WINDOW, timeout_s=900.0 + len(batch),
                             budget=int(BUDGET_MARGIN * probe.total_instructions * len(batch)))
        try:
            raise_for_exit(trace, firmware.elf)
        except FirmwareError as e:
            done = reported_samples(trace.stdout)
            raise FirmwareError(f"{e}, in sample {start + done} (samples {start} to {start + done - 1} "
                                f"were reported)" if done else f"{e}, in sample {start}") from None
        outputs += parse_sample_outputs(trace.stdout, firmware.outputs, len(batch))
        boots += 1
        instructions += trace.total_instructions
    return DeviceOutputs(outputs, boots, per_boot, instructions)
