"""`emu profile`: what the firmware printed, and cycles split by model part and by class."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")),
    reason="needs qemu-system-arm and arm-none-eabi-gcc",
)

APP = r"""
#include "semihost.h"
volatile int sink;
__attribute__((noinline)) void work(void) { for (int i = 0; i < 50; i++) sink += i; }
__attribute__((noinline)) void work_done(void) { __asm__ volatile(""); }
int main(void) { work(); work_done(); emu_write("done: 1225\n"); return 0; }
"""


def emu(*args):
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, text=True)


def test_profile_reports_output_parts_and_uncertainty(tmp_path):
    bsp = tmp_path / "bsp"
    assert emu("bsp", "nucleo-g0b1re", "--out", str(bsp)).returncode == 0
    (tmp_path / "app.c").write_text(APP)
    elf = tmp_path / "app.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0plus", "-mthumb", "-O2", "-I", str(bsp),
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-T", str(bsp / "link.ld"),
                    str(bsp / "startup.c"), str(bsp / "semihost.c"), str(tmp_path / "app.c"), "-o", str(elf)],
                   check=True)
    result = emu("profile", str(elf), "-p", "nucleo-g0b1re", "--start", "work", "--end", "work_done",
                 "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr
    profile = json.loads((tmp_path / "p.json").read_text())
    assert profile["output"] == "done: 1225\n"  # what emu_write sent through semihosting
    assert "| done: 1225" in result.stdout
    parts = profile["cycles_by_part"]
    assert set(parts) == {"issue", "branch", "pipeline", "dual-issue", "flash-wait"}
    assert sum(parts.values()) == profile["cycles"] == sum(profile["cycles_by_class"].values())
    # 50 taken loop branches on a 2 WS prefetch flash each pay the wait
    assert parts["branch"] >= 49 and parts["flash-wait"] >= 2 * 49
    assert profile["cycles_uncertainty_pct"] > 0
    assert "uncertainty for cortex-m0plus" in result.stdout
    # the functions table: a header, then each function's cycles and instructions as in the JSON
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["cycles", "instructions", "function"])
    listed = {line.split()[-1]: line.split()[:2] for line in lines[header + 2:header + 2 + len(profile["functions"])]}
    assert "work" in listed
    for f in profile["functions"][:15]:
        assert listed[f["name"]] == [f"{f['cycles']:,}", f"{f['instructions']:,}"], f


HEAP_APP = r"""
#include <stdlib.h>
#include <string.h>
#include "semihost.h"
int main(void)
{
    char *block = malloc(4096);
    if (!block) { emu_write("no memory\n"); return 1; }
    memset(block, 0x55, 4096);
    /* a request larger than all of RAM is refused, not carved out of the stack */
    emu_write(malloc(1 << 20) == NULL ? "refused\n" : "granted\n");
    return block[100] == 0x55 ? 0 : 2;
}
"""


def test_malloc_takes_memory_beside_the_stack_not_inside_it(tmp_path):
    """A program with a few shallow frames uses well under 1 KB of stack; a heap that started
    inside the stack made one malloc look like the whole 8 KB stack was used."""
    bsp = tmp_path / "bsp"
    assert emu("bsp", "nucleo-l4r5zi", "--out", str(bsp)).returncode == 0
    (tmp_path / "app.c").write_text(HEAP_APP)
    elf = tmp_path / "app.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-O2", "-I", str(bsp),
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-T", str(bsp / "link.ld"),
                    str(bsp / "startup.c"), str(bsp / "semihost.c"), str(tmp_path / "app.c"), "-o", str(elf)],
                   check=True)
    result = emu("profile", str(elf), "-p", "nucleo-l4r5zi", "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr
    profile = json.loads((tmp_path / "p.json").read_text())
    assert profile["output"] == "refused\n"
    assert 0 < profile["stack_bytes"] < 1024
