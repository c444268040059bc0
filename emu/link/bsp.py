"""Board support: the linker script and startup files that put a program on a board.

emu's own firmware is linked with the same script; `emu bsp` writes these files for a
user who builds their own firmware (TFLM, say) to measure with `emu profile`.
"""

from __future__ import annotations

from pathlib import Path

from emu.cache import atomic_write, copy_file, ensure_folder
from emu.platforms import Platform
from emu.resources import FIRMWARE

# Stack reserved above the arena. The RAM a result reports uses the measured peak instead.
STACK_RESERVE = 8 * 1024


def linker_script(platform: Platform, stack_reserve: int = STACK_RESERVE) -> str:
    """The regions are the emulated machine's, each no longer than what the part holds there
    (Platform.code_region, weights_region, ram_region), so the linker refuses what the part
    could not hold; emu.link.firmware tells that apart from what only the machine cannot."""
    code_origin, code_bytes = platform.code_region
    ram_origin, ram_bytes = platform.ram_region
    weights = platform.weights_region
    regions = f"    FLASH (rx) : ORIGIN = {code_origin:#x}, LENGTH = {code_bytes}\n"
    if weights is not None:
        regions += f"    WEIGHTS (r) : ORIGIN = {weights[0]:#x}, LENGTH = {weights[1]}\n"
    regions += f"    RAM (rwx) : ORIGIN = {ram_origin:#x}, LENGTH = {ram_bytes}\n"
    rodata = "WEIGHTS" if weights is not None else "FLASH"
    return f"""/* Written by emu for {platform.name}: a part with {platform.flash_bytes} bytes of flash and
 * {platform.ram_bytes} bytes of RAM, at the addresses of the emulated {platform.qemu_machine}. */
MEMORY
{{
{regions}}}
ENTRY(emu_reset_handler)
SECTIONS
{{
    .text : {{ KEEP(*(.vectors)) *(.text*) . = ALIGN(8); }} > FLASH
    .rodata : {{ *(.rodata*) . = ALIGN(8); }} > {rodata}
    .ARM.exidx : {{ *(.ARM.exidx*) }} > FLASH
    .data : {{ . = ALIGN(4); __data_start = .; *(.data*) . = ALIGN(4); __data_end = .; }} > RAM AT > FLASH
    __data_load = LOADADDR(.data);
    .bss (NOLOAD) : {{ . = ALIGN(4); __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end = .; }} > RAM
    .noinit (NOLOAD) : {{ . = ALIGN(8); *(.noinit*) . = ALIGN(8); }} > RAM
    .stack (NOLOAD) : {{ . = ALIGN(8); __stack_limit = .; . += {stack_reserve}; __stack_top = .; }} > RAM
    /* malloc's heap: above the stack's top, to the end of RAM (_sbrk in semihost.c) */
    end = __stack_top;
    __heap_limit = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


BSP_FILES = ("startup.c", "semihost.c", "semihost.h")


def write_bsp(platform: Platform, out: Path) -> list[Path]:
    ensure_folder(out)
    written = []
    for name in BSP_FILES:
        copy_file(FIRMWARE / "runtime" / name, out / name)
        written.append(out / name)
    atomic_write(out / "link.ld", linker_script(platform))
    written.append(out / "link.ld")
    flags = " ".join(platform.cflags)
    atomic_write(out / "README.md", f"""# Board support for {platform.name}

Build your firmware with these files and run it with `emu profile`:

    arm-none-eabi-gcc {flags} -O2 -ffunction-sections -fdata-sections \\
        -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \\
        -T link.ld startup.c semihost.c your_sources.c -lm -o firmware.elf
    emu profile firmware.elf --platform {platform.name} --start my_inference --end my_inference_done

`startup.c` turns the FPU on where the board has one, paints the stack, calls `main` and
leaves through semihosting with main's return value; a fault prints its PC and status.
The window opens when the `--start` function is entered and closes when the `--end`
function is entered (by default the whole run).
""")
    written.append(out / "README.md")
    return written
