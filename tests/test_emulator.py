"""The QEMU backend against hand counts of small Thumb programs (tests/asm/*.S).

Every expected number below comes from reading the program, not from a previous run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from emu import tools
from emu.emulators.qemu import run_firmware
from emu.emulators.window import Window, window_from_elf
from emu.errors import EmuError
from emu.platforms import Platform
from tests.qemu_programs import ASM, assemble, needs_qemu_and_gcc

pytestmark = needs_qemu_and_gcc

# machine -> (-mcpu, code origin, data origin), from docs/sources.md#qemu-mps2
MACHINES = {
    "mps2-an385": ("cortex-m3", 0x00000000, 0x20000000),
    "mps2-an386": ("cortex-m4", 0x00000000, 0x20000000),
    "mps2-an500": ("cortex-m7", 0x00000000, 0x20000000),
    "mps2-an505": ("cortex-m33", 0x10000000, 0x38000000),
    "mps3-an547": ("cortex-m55", 0x00000000, 0x20000000),
}

# Loop lengths, as set in counting.S
LOOPS, READS, WIDE_LOOPS = 10, 7, 5


def platform_for(machine: str) -> Platform:
    cpu, flash, ram = MACHINES[machine]
    return Platform(
        name=f"test-{machine}", description="test board", core=cpu, fpu=False,
        clock_hz=100_000_000, flash_bytes=0x80000, ram_bytes=0x80000,
        cflags=(f"-mcpu={cpu}", "-mthumb"), qemu_machine=machine,
        flash_origin=flash, ram_origin=ram, flash_wait_states=0, flash_accelerator="none",
        supply_v=3.3, run_current_ua_per_mhz=100.0, static_current_ua=0.0,
        sleep_current_ua=1.0, path=Path("test.yaml"),
    )


def build(program: str, out_dir: Path, machine: str = "mps2-an385") -> Path:
    cpu, flash, ram = MACHINES[machine]
    return assemble(ASM / f"{program}.S", out_dir / f"{program}-{machine}.elf", cpu, flash, ram)


def labels(elf: Path) -> dict[str, int]:
    """Every symbol of a test program (labels included), Thumb bit cleared."""
    with open(elf, "rb") as f:
        table = next(s for s in ELFFile(f).iter_sections() if isinstance(s, SymbolTableSection))
        return {sym.name: sym["st_value"] & ~1 for sym in table.iter_symbols() if sym.name}


@pytest.fixture(scope="module")
def counting(tmp_path_factory):
    elf = build("counting", tmp_path_factory.mktemp("counting"))
    return elf, labels(elf), run_firmware(elf, platform_for("mps2-an385"))


def expected_counting_segments(at: dict[str, int]) -> list[dict[int, int]]:
    """Executions per address in each segment of counting.S, read off the source."""
    segment0 = {
        at["emu_mark_start"]: 1,              # bx lr
        at["seg0"]: 1,                        # movs
        at["loop0"]: LOOPS, at["loop0"] + 2: LOOPS,  # subs, bne
        at["seg0_call"]: 1,                   # bl emu_mark_layer
    }
    segment1 = {
        at["emu_mark_layer"]: 1,
        at["seg1"]: 1, at["seg1"] + 2: 1, at["seg1"] + 4: 1, at["seg1"] + 6: 1,  # 3 ldr, movs
        at["loop1"]: READS, at["loop1"] + 2: READS, at["loop1"] + 4: READS,   # 3 ldr
        at["loop1"] + 6: READS,               # subs
        at["loop1_cbz"]: READS,
        at["loop1_back"]: READS - 1,          # b loop1, skipped on the last pass
        at["seg1_call"]: 1,
    }
    segment2 = {
        at["emu_mark_layer"]: 1,
        at["seg2"]: 1,
        at["loop2"]: WIDE_LOOPS, at["loop2"] + 2: WIDE_LOOPS,  # subs, bne.w
        at["seg2_call"]: 1,                   # bl emu_mark_end
    }
    return [segment0, segment1, segment2]


def test_executions_per_address_match_hand_counts(counting):
    _, at, trace = counting
    assert trace.exit.kind == "exit" and trace.exit.code == 0
    assert [s.executions for s in trace.segments] == expected_counting_segments(at)


def test_conditional_branches_taken_all_but_the_last_time(counting):
    _, at, trace = counting
    assert trace.segments[0].taken == {at["loop0"] + 2: LOOPS - 1}      # bne (16-bit)
    assert trace.segments[1].taken == {at["loop1_cbz"]: 1}             # cbz leaves once
    assert trace.segments[2].taken == {at["loop2"] + 2: WIDE_LOOPS - 1}  # bne.w (32-bit)


def test_loads_are_split_into_flash_ram_and_other(counting):
    _, at, trace = counting
    assert trace.segments[1].loads == {
        at["seg1"]: (1, 0, 0), at["seg1"] + 2: (1, 0, 0), at["seg1"] + 4: (1, 0, 0),  # literals
        at["loop1"]: (READS, 0, 0),       # flash_word
        at["loop1"] + 2: (0, READS, 0),   # ram_word
        at["loop1"] + 4: (0, 0, READS),   # CPUID in the system control space
    }
    assert trace.segments[0].loads == {} and trace.segments[2].loads == {}


def test_reads_known_from_the_instruction_are_counted_by_region(tmp_path):
    elf = build("reads", tmp_path)
    at = labels(elf)
    trace = run_firmware(elf, platform_for("mps2-an385"))
    loads = trace.segments[0].loads
    assert {address: loads[address] for address in loads if at["work"] <= address < at["literal_word"]} == {
        at["sp_load"]: (0, 1, 0),
        at["wide_sp_load"]: (0, 1, 0),
        at["literal16"]: (1, 0, 0),
        at["literal32"]: (1, 0, 0),
        at["pop_all"]: (0, 4, 0),
    }
    assert trace.segments[0].executions[at["skipped_load"]] == 1  # skipped, but issued


def test_window_excludes_code_before_start_and_after_end(counting):
    _, at, trace = counting
    outside = {at["before"], at["after"], at["emu_mark_end"], at["reset"], at["puts"]}
    assert all(outside.isdisjoint(s.executions) for s in trace.segments)
    assert trace.instructions == sum(sum(s.values()) for s in expected_counting_segments(at))
    # The whole run: bl before, before (3), bl emu_mark_start, the window, the end
    # marker's bx lr, bl after, after (2), then ldr, bl puts, puts (4), movs, ldr, bkpt.
    outside_count = 1 + 3 + 1 + 1 + 1 + 2 + 2 + 4 + 3
    assert trace.total_instructions == trace.instructions + outside_count


def test_semihosting_text_and_stack_mark_are_reported(counting):
    _, _, trace = counting
    assert "emu: stack-low 0x2000fe00" in trace.stdout
    assert trace.min_stack_address == 0x2000FE00


def test_runs_are_deterministic(counting):
    elf, _, first = counting
    assert run_firmware(elf, platform_for("mps2-an385")) == first


def test_without_markers_the_window_is_the_whole_run(counting):
    elf, at, _ = counting
    trace = run_firmware(elf, platform_for("mps2-an385"), window=Window(None, None, None))
    assert len(trace.segments) == 1
    assert trace.instructions == trace.total_instructions
    assert trace.segments[0].executions[at["before"]] == 1


def test_fault_is_reported_with_the_faulting_pc(tmp_path):
    elf = build("fault", tmp_path)
    trace = run_firmware(elf, platform_for("mps2-an385"))
    assert trace.exit.kind == "fault"
    assert trace.exit.pc == labels(elf)["fault_here"]
    assert "hfsr=0x40000000" in trace.exit.detail  # escalated to HardFault ("forced")


def test_endless_loop_is_stopped_by_the_budget(tmp_path):
    elf = build("spin", tmp_path)
    trace = run_firmware(elf, platform_for("mps2-an385"), budget=100_000)
    assert trace.exit.kind == "budget"
    assert trace.exit.pc == labels(elf)["spin"]
    assert trace.total_instructions > 100_000


def test_endless_loop_is_stopped_by_the_timeout(tmp_path):
    elf = build("spin", tmp_path)
    trace = run_firmware(elf, platform_for("mps2-an385"), budget=10**15, timeout_s=1.0)
    assert trace.exit.kind == "timeout"
    assert trace.exit.pc == labels(elf)["spin"]


def test_bytes_loaded_before_boot_reach_the_program(tmp_path):
    elf = build("echo_input", tmp_path)
    message = b"*input from the host\n\0"
    trace = run_firmware(elf, platform_for("mps2-an385"), loads=[(labels(elf)["input"], message)])
    assert trace.stdout == "*input from the host\n"
    assert trace.exit.kind == "exit" and trace.exit.code == ord("*")


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_each_machine_runs_the_counting_program(machine, tmp_path):
    elf = build("counting", tmp_path, machine)
    trace = run_firmware(elf, platform_for(machine))
    assert trace.exit.kind == "exit" and trace.exit.code == 0
    assert [s.executions for s in trace.segments] == expected_counting_segments(labels(elf))
    assert trace.segments[1].loads[labels(elf)["loop1"] + 2] == (0, READS, 0)


def test_window_from_elf_resolves_marker_functions(counting):
    elf, at, _ = counting
    assert window_from_elf(elf) == Window(at["emu_mark_start"], at["emu_mark_end"], at["emu_mark_layer"])
    assert window_from_elf(elf, start="before", end=None, layer=None) == Window(at["before"], None, None)


def test_window_from_elf_names_a_missing_symbol(tmp_path):
    elf = build("spin", tmp_path)
    assert window_from_elf(elf) == Window(None, None, None)  # default markers may be absent
    with pytest.raises(EmuError, match="no_such_function"):
        window_from_elf(elf, start="no_such_function")


def test_a_file_that_is_not_an_arm_elf_is_refused(tmp_path):
    not_elf = tmp_path / "notes.txt"
    not_elf.write_text("not firmware")
    with pytest.raises(EmuError, match="not an ELF"):
        run_firmware(not_elf, platform_for("mps2-an385"))


def test_missing_qemu_says_how_to_install_it(counting, monkeypatch):
    elf, _, _ = counting
    real_which = shutil.which
    monkeypatch.setattr(tools.shutil, "which", lambda name, *a, **k: None if "qemu" in name else real_which(name))
    with pytest.raises(EmuError, match="apt-get install qemu-system-arm"):
        run_firmware(elf, platform_for("mps2-an385"))
