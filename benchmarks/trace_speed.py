"""How much the trace plugin slows QEMU down, on a conv-like int8 workload.

Builds a bare-metal firmware whose hot loop multiplies int8 weights in flash by int8
activations in RAM (a few hundred million instructions), runs it once in plain QEMU and
once traced, and prints guest instructions per second for both. Both rates use the
instruction count of the traced run, so the ratio is the ratio of wall times.

    PYTHONPATH=. .venv/bin/python benchmarks/trace_speed.py [--platform nucleo-l4r5zi] [--repeats 4000]

Goal: traced / bare >= 0.8. The default 4000 passes (1.4 G instructions) keep QEMU's start-up a
small share of the bare run.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from pathlib import Path

from emu.emulators.qemu import run_firmware
from emu.emulators.qemu_plugin import plugin_library
from emu.emulators.window import Window
from emu.platforms import get_platform
from emu.tools import find_tool

INPUTS, OUTPUTS = 1024, 64

FIRMWARE = r"""
#include <stdint.h>

#define INPUTS {inputs}
#define OUTPUTS {outputs}
#define REPEATS {repeats}

extern uint32_t stack_top;
void reset(void);
__attribute__((section(".vectors"), used)) static const void *vectors[] = {{ &stack_top, reset }};

static const int8_t weights[OUTPUTS][INPUTS] = {{ {weights} }};  /* flash */
static int8_t activations[INPUTS];                               /* RAM */
static int8_t mixed[INPUTS];                                     /* RAM */
static int32_t outputs[OUTPUTS];

/* Weights from flash against activations from RAM, like a fully connected or 1x1 conv layer. */
__attribute__((noinline)) static void dense(void)
{{
    for (int o = 0; o < OUTPUTS; o++) {{
        int32_t acc = 0;
        for (int i = 0; i < INPUTS; i++) {{
            acc += weights[o][i] * activations[i];
        }}
        outputs[o] = acc;
    }}
}}

/* Both operands in RAM, like a depthwise layer working on activations. */
__attribute__((noinline)) static void mix(void)
{{
    for (int i = 0; i < INPUTS; i++) {{
        int32_t v = activations[i] * mixed[i] + (outputs[i % OUTPUTS] >> 8);
        mixed[i] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
    }}
}}

static void semihosting_exit(uint32_t reason)
{{
    register uint32_t r0 __asm__("r0") = 0x18;
    register uint32_t r1 __asm__("r1") = reason;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
}}

void reset(void)
{{
    for (int i = 0; i < INPUTS; i++) {{
        activations[i] = (int8_t)(i * 7 + 3);
        mixed[i] = (int8_t)(i * 13 + 1);
    }}
    for (int r = 0; r < REPEATS; r++) {{
        dense();
        mix();
    }}
    semihosting_exit(0x20026);
}}
"""

LINKER_SCRIPT = """
SECTIONS
{{
    . = {flash:#x};
    .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) }}
    . = {ram:#x};
    .bss (NOLOAD) : {{ *(.bss*) *(COMMON) }}
    stack_top = {ram:#x} + 0x10000;
}}
"""


def build_firmware(platform, repeats: int, work: Path) -> Path:
    rng = random.Random(1)
    weights = ", ".join(str(rng.randint(-128, 127)) for _ in range(INPUTS * OUTPUTS))
    source = work / "speed.c"
    source.write_text(FIRMWARE.format(inputs=INPUTS, outputs=OUTPUTS, repeats=repeats, weights=weights))
    script = work / "speed.ld"
    script.write_text(LINKER_SCRIPT.format(flash=platform.flash_origin, ram=platform.ram_origin))
    elf = work / "speed.elf"
    subprocess.run(["arm-none-eabi-gcc", *platform.cflags, "-O2", "-nostdlib", "-nostartfiles",
                    "-T", str(script), str(source), "-o", str(elf)], check=True)
    return elf


def run_bare(elf: Path, platform) -> float:
    command = [find_tool("qemu-system-arm"), "-M", platform.qemu_machine, "-nographic", "-monitor", "none",
               "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - began


def run_traced(elf: Path, platform) -> tuple[float, int]:
    began = time.perf_counter()
    trace = run_firmware(elf, platform, window=Window(None, None, None))
    seconds = time.perf_counter() - began
    if trace.exit.kind != "exit":
        raise SystemExit(f"traced run ended with {trace.exit}")
    return seconds, trace.total_instructions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="nucleo-l4r5zi")
    parser.add_argument("--repeats", type=int, default=4000, help="passes over the layer pair")
    args = parser.parse_args()
    platform = get_platform(args.platform)
    plugin_library()  # build outside the timed runs
    with tempfile.TemporaryDirectory(prefix="emu-speed-") as tmp:
        elf = build_firmware(platform, args.repeats, Path(tmp))
        bare_s = run_bare(elf, platform)
        traced_s, instructions = run_traced(elf, platform)
    bare_rate, traced_rate = instructions / bare_s, instructions / traced_s
    print(f"guest instructions  {instructions:,}")
    print(f"bare QEMU           {bare_s:7.2f} s  {bare_rate / 1e6:8.1f} M instructions/s")
    print(f"traced              {traced_s:7.2f} s  {traced_rate / 1e6:8.1f} M instructions/s")
    print(f"ratio traced/bare   {traced_rate / bare_rate:7.2f}  (goal >= 0.80)")


if __name__ == "__main__":
    main()
