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


def build_with_bsp(tmp_path, board: str, cpu: str, app: str, *defines: str):
    """The user's way: `emu bsp` for the board, then gcc on its files and the app."""
    bsp = tmp_path / "bsp"
    assert emu("bsp", board, "--out", str(bsp)).returncode == 0
    (tmp_path / "app.c").write_text(app)
    elf = tmp_path / "app.elf"
    subprocess.run(["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-O2", *defines, "-I", str(bsp),
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-T", str(bsp / "link.ld"),
                    str(bsp / "startup.c"), str(bsp / "semihost.c"), str(tmp_path / "app.c"), "-o", str(elf)],
                   check=True)
    return elf


def test_profile_reports_output_parts_and_uncertainty(tmp_path):
    elf = build_with_bsp(tmp_path, "nucleo-g0b1re", "cortex-m0plus", APP)
    result = emu("profile", str(elf), "-p", "nucleo-g0b1re", "--start", "work", "--end", "work_done",
                 "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr
    profile = json.loads((tmp_path / "p.json").read_text())
    assert profile["output"] == "done: 1225\n"  # what emu_write sent through semihosting
    assert "| done: 1225" in result.stdout
    parts = profile["cycles_by_part"]
    assert set(parts) == {"issue", "branch", "pipeline", "dual-issue", "flash-wait", "ram-wait"}
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
    elf = build_with_bsp(tmp_path, "nucleo-l4r5zi", "cortex-m4", HEAP_APP)
    result = emu("profile", str(elf), "-p", "nucleo-l4r5zi", "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr
    profile = json.loads((tmp_path / "p.json").read_text())
    assert profile["output"] == "refused\n"
    assert 0 < profile["stack_bytes"] < 1024


DEEP_APP = r"""
#include "semihost.h"
/* Data below the stack, as a model's arena lies below it: an overflow writes over it. */
volatile char below[16384];
/* Each call keeps a 512-byte frame: DEPTH calls need DEPTH x (512 + a few) bytes of stack. */
__attribute__((noinline)) int deep(int n)
{
    volatile char frame[512];
    for (int i = 0; i < 512; i++) frame[i] = (char)(n + i);
    return n ? deep(n - 1) + frame[0] + frame[511] : 0;
}
int main(void) { below[0] = 1; return deep(DEPTH) > 0 ? 0 : 1; }
"""


@pytest.mark.parametrize("depth, overflows", [(4, False), (20, True)])
def test_a_stack_overflow_is_a_firmware_failure(tmp_path, depth, overflows):
    """The bsp reserves 8 KB of stack: 4 frames of 512 B fit, 20 (over 10 KB) do not, and run on
    into the 16 KB below without faulting: only the stack's paint tells."""
    elf = build_with_bsp(tmp_path, "nucleo-l4r5zi", "cortex-m4", DEEP_APP, f"-DDEPTH={depth}")
    result = emu("profile", str(elf), "-p", "nucleo-l4r5zi")
    if overflows:
        assert result.returncode == 3, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(
            "emu: error: the stack overflowed: the firmware used all 8,192 bytes reserved for it")
    else:
        assert result.returncode == 0, result.stderr
