"""The trace plugin against each QEMU plugin API version emu supports.

CI has only QEMU 7.2, so the newer APIs are checked by building the plugin for each and
comparing what it needs from QEMU with what that QEMU exports. The export lists are facts
from QEMU's plugins/qemu-plugins.symbols and include/qemu/qemu-plugin.h at each release
(docs/sources.md#qemu-plugin-api); the list for the installed QEMU is also checked against
what its binary exports (done on Debian's 7.2 and 10.0.2).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from emu.emulators import qemu_plugin, qemu_self_test
from emu.emulators.qemu_trace import parse_trace_file
from emu.errors import EmuError

pytestmark = pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("nm")), reason="needs gcc and nm")

# Present from QEMU 7.2 through 11.x (docs/sources.md#qemu-plugin-api).
STABLE = {
    "qemu_plugin_bool_parse", "qemu_plugin_end_code", "qemu_plugin_entry_code", "qemu_plugin_get_hwaddr",
    "qemu_plugin_hwaddr_device_name", "qemu_plugin_hwaddr_is_io", "qemu_plugin_hwaddr_phys_addr",
    "qemu_plugin_insn_data", "qemu_plugin_insn_disas", "qemu_plugin_insn_haddr", "qemu_plugin_insn_size",
    "qemu_plugin_insn_symbol", "qemu_plugin_insn_vaddr", "qemu_plugin_mem_is_big_endian",
    "qemu_plugin_mem_is_sign_extended", "qemu_plugin_mem_is_store", "qemu_plugin_mem_size_shift",
    "qemu_plugin_outs", "qemu_plugin_path_to_binary", "qemu_plugin_register_atexit_cb",
    "qemu_plugin_register_flush_cb", "qemu_plugin_register_vcpu_exit_cb", "qemu_plugin_register_vcpu_idle_cb",
    "qemu_plugin_register_vcpu_init_cb", "qemu_plugin_register_vcpu_insn_exec_cb",
    "qemu_plugin_register_vcpu_mem_cb", "qemu_plugin_register_vcpu_resume_cb",
    "qemu_plugin_register_vcpu_syscall_cb", "qemu_plugin_register_vcpu_syscall_ret_cb",
    "qemu_plugin_register_vcpu_tb_exec_cb", "qemu_plugin_register_vcpu_tb_trans_cb", "qemu_plugin_reset",
    "qemu_plugin_start_code", "qemu_plugin_tb_get_insn", "qemu_plugin_tb_n_insns", "qemu_plugin_tb_vaddr",
    "qemu_plugin_uninstall", "qemu_plugin_vcpu_for_each",
}
# API 1 only: pointer inline operations and the vCPU counts, removed by API 2 (QEMU 9.0).
API1_ONLY = {
    "qemu_plugin_n_max_vcpus", "qemu_plugin_n_vcpus", "qemu_plugin_register_vcpu_insn_exec_inline",
    "qemu_plugin_register_vcpu_mem_inline", "qemu_plugin_register_vcpu_tb_exec_inline",
}
# Added by API 2 (QEMU 9.0): scoreboards, their counters, per-vCPU inline operations, registers.
API2_ADDED = {
    "qemu_plugin_get_registers", "qemu_plugin_num_vcpus", "qemu_plugin_read_register",
    "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu", "qemu_plugin_register_vcpu_mem_inline_per_vcpu",
    "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu", "qemu_plugin_scoreboard_find",
    "qemu_plugin_scoreboard_free", "qemu_plugin_scoreboard_new", "qemu_plugin_u64_add", "qemu_plugin_u64_get",
    "qemu_plugin_u64_set", "qemu_plugin_u64_sum",
}
API4_ADDED = {"qemu_plugin_read_memory_vaddr"}  # QEMU 9.2
API5_ADDED = {  # QEMU 10.1
    "qemu_plugin_read_memory_hwaddr", "qemu_plugin_translate_vaddr", "qemu_plugin_write_memory_hwaddr",
    "qemu_plugin_write_memory_vaddr", "qemu_plugin_write_register",
}
# API 3 (QEMU 9.1) changed qemu_plugin_insn_data's arguments, API 6 (QEMU 11.0) the return type
# of the register functions; neither renamed nor removed a function.
EXPORTS = {
    1: STABLE | API1_ONLY,
    2: STABLE | API2_ADDED,
    3: STABLE | API2_ADDED,
    4: STABLE | API2_ADDED | API4_ADDED,
    5: STABLE | API2_ADDED | API4_ADDED | API5_ADDED,
    6: STABLE | API2_ADDED | API4_ADDED | API5_ADDED,
}
APIS = sorted({api for _, api in qemu_plugin.PLUGIN_APIS})


def build_plugin(api: int, out: Path) -> Path:
    """The plugin as qemu_plugin.plugin_library builds it, for `api`, with warnings as errors."""
    target = out / f"emu_trace-api{api}.so"
    subprocess.run([*qemu_plugin.build_command("gcc", api, target), "-Wall", "-Wextra", "-Werror"], check=True)
    return target


def needed_from_qemu(plugin: Path) -> set[str]:
    out = subprocess.run(["nm", "-D", "--undefined-only", str(plugin)], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"\b(qemu_plugin_\w+)", out))


def declared_version(plugin: Path) -> int:
    """The value of the plugin's exported `qemu_plugin_version`, read from its data."""
    with open(plugin, "rb") as f:
        elf = ELFFile(f)
        symbol = elf.get_section_by_name(".dynsym").get_symbol_by_name("qemu_plugin_version")[0]
        section = elf.get_section(symbol["st_shndx"])
        offset = symbol["st_value"] - section["sh_addr"]
        return int.from_bytes(section.data()[offset:offset + symbol["st_size"]], "little", signed=True)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    out = tmp_path_factory.mktemp("plugins")
    return {api: build_plugin(api, out) for api in APIS}


def test_every_supported_api_is_carried():
    assert APIS == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("api", [1, 2, 3, 4, 5, 6])
def test_the_plugin_needs_only_what_that_qemu_exports(plugins, api):
    needed = needed_from_qemu(plugins[api])
    assert "qemu_plugin_insn_data" in needed  # the check sees QEMU's functions at all
    assert needed <= EXPORTS[api], sorted(needed - EXPORTS[api])


@pytest.mark.parametrize("api", [1, 2, 3, 4, 5, 6])
def test_the_plugin_declares_its_api_version(plugins, api):
    assert declared_version(plugins[api]) == api


def test_api_2_and_later_count_in_scoreboards(plugins):
    for api in APIS[1:]:
        needed = needed_from_qemu(plugins[api])
        assert {"qemu_plugin_scoreboard_new", "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu"} <= needed
        assert not needed & API1_ONLY


def test_a_plugin_for_api_1_would_not_link_on_qemu_9(plugins):
    # Why one build per API: the pointer inline operations are gone from QEMU 9.0 on.
    missing = needed_from_qemu(plugins[1]) - EXPORTS[2]
    assert missing == {"qemu_plugin_register_vcpu_tb_exec_inline", "qemu_plugin_register_vcpu_insn_exec_inline"}


@pytest.mark.skipif(not shutil.which("qemu-system-arm"), reason="needs qemu-system-arm")
def test_the_installed_qemu_exports_what_its_plugin_needs(plugins):
    version = qemu_plugin.qemu_version()
    api = qemu_plugin.plugin_api_for(version)
    out = subprocess.run(["nm", "-D", "--defined-only", shutil.which("qemu-system-arm")], capture_output=True,
                         text=True, check=True).stdout
    exported = set(re.findall(r"\b(qemu_plugin_\w+)", out))
    assert needed_from_qemu(plugins[api]) <= exported
    # The carried list for this QEMU holds on the real binary (checked on 7.2 and 10.0.2),
    # and what its API removed is gone.
    assert EXPORTS[api] <= exported, sorted(EXPORTS[api] - exported)
    if api >= 2:
        assert not API1_ONLY & exported


# ---- version to API ---------------------------------------------------------------------


@pytest.mark.parametrize("line, version, api", [
    ("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", (7, 2, 22), 1),
    ("QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", (8, 2, 2), 1),
    ("QEMU emulator version 9.0.0", (9, 0, 0), 2),
    ("QEMU emulator version 9.1.2 (Debian 1:9.1.2+ds-1)", (9, 1, 2), 3),
    ("QEMU emulator version 9.2.0", (9, 2, 0), 4),
    ("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2)", (10, 0, 2), 4),
    ("QEMU emulator version 10.1.0 (Debian 1:10.1.0+ds-5ubuntu2)", (10, 1, 0), 5),
    ("QEMU emulator version 10.2.0", (10, 2, 0), 5),
    ("QEMU emulator version 11.0.0", (11, 0, 0), 6),
    ("QEMU emulator version 11.1.50 (v11.1.0-123-gabcdef)", (11, 1, 50), 6),
])
def test_each_qemu_release_maps_to_its_plugin_api(line, version, api):
    assert qemu_plugin.parse_qemu_version(line) == version
    assert qemu_plugin.plugin_api_for(version) == api


def test_qemu_older_than_7_2_is_refused():
    with pytest.raises(EmuError, match=r"^QEMU 7\.1\.0 is too old: emu needs qemu-system-arm 7\.2 or newer$"):
        qemu_plugin.plugin_api_for((7, 1, 0))


def test_qemu_newer_than_emu_knows_is_refused_naming_it():
    with pytest.raises(EmuError, match=r"^QEMU 12\.0\.0 is newer than emu's trace plugin supports"):
        qemu_plugin.plugin_api_for((12, 0, 0))


def test_a_version_line_without_a_version_is_refused():
    with pytest.raises(EmuError, match="cannot tell the QEMU version"):
        qemu_plugin.parse_qemu_version("qemu-system-arm: unusable")


def test_the_plugin_cache_key_holds_the_api(tmp_path, monkeypatch):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path))
    one, three = qemu_plugin.plugin_library(1), qemu_plugin.plugin_library(3)
    assert one != three and "api1" in one.parent.name and "api3" in three.parent.name
    assert declared_version(one) == 1 and declared_version(three) == 3


def test_the_plugin_is_a_sealed_cache_entry_and_a_damaged_one_is_rebuilt(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path))
    plugin = qemu_plugin.plugin_library(1)
    built = plugin.read_bytes()
    manifest = json.loads((plugin.parent / ".emu-manifest.json").read_text())["files"]
    assert manifest == {"emu_trace.so": hashlib.sha256(built).hexdigest()}
    assert sorted(p.name for p in (tmp_path / "plugins").iterdir()) == [plugin.parent.name]
    plugin.write_bytes(built[: len(built) // 2])  # cut short, as by a full disk
    assert qemu_plugin.plugin_library(1) == plugin
    assert "is damaged" in capsys.readouterr().err
    assert plugin.read_bytes() == built and declared_version(plugin) == 1


@pytest.mark.skipif(not shutil.which("qemu-system-arm"), reason="needs qemu-system-arm")
def test_doctor_sees_a_plugin_that_does_not_load(monkeypatch):
    from emu import doctor

    installed = qemu_plugin.plugin_api_for(qemu_plugin.qemu_version())
    wrong = 3 if installed < 3 else 1  # the other side of QEMU 9.0's break
    build = qemu_plugin.plugin_library
    monkeypatch.setattr(qemu_self_test, "plugin_library", lambda api=None: build(wrong))
    checks = {c.name: c for c in doctor.trace_plugin_checks()}
    assert not checks["trace plugin"].ok
    assert checks["trace plugin"].detail.startswith("QEMU did not load the trace plugin: ")


def test_a_cut_block_gives_back_the_instructions_that_did_not_run(tmp_path):
    # What the plugin writes on QEMU 10 for a block of five instructions at 0x100 that was
    # left after its third instruction twice out of seven runs, the rest running in a block
    # of its own: the last two ran 7 - 2 + 2 = 7 times, like the first three.
    trace = tmp_path / "trace.txt"
    trace.write_text("emu-trace 1\n"
                     "block 0 256 258 260 262 264\n"
                     "block 1 262 264\n"
                     "segment\n"
                     "x 0 7\n"
                     "x 1 2\n"
                     "c 0 262 2\n"
                     "end exit 39 256\n")
    recorded = parse_trace_file(trace)
    assert recorded.segments[0].executions == {256: 7, 258: 7, 260: 7, 262: 7, 264: 7}
    assert (recorded.end_kind, recorded.total) == ("exit", 39)


def test_format_2_carries_flash_line_fills_per_load_where_a_cache_was_modelled(tmp_path):
    # Format 2 adds the flash cache line fills of each load's reads as the fifth field of an
    # "l" record, counted where the plugin modelled a cache (its "flashcache" record); without
    # one, as in format 1, there are none, which the timing model must not read as zero.
    body = "block 0 256 258\nsegment\nx 0 3\nl 256 6 0 0{fills}\nl 258 0 3 0{none}\nend exit 6 256\n"
    cached, uncached, old = tmp_path / "cached.txt", tmp_path / "uncached.txt", tmp_path / "old.txt"
    cached.write_text("emu-trace 2\nflashcache 32 128 2\n" + body.format(fills=" 2", none=" 0"))
    uncached.write_text("emu-trace 2\n" + body.format(fills=" 0", none=" 0"))
    old.write_text("emu-trace 1\n" + body.format(fills="", none=""))
    assert parse_trace_file(cached).segments[0].flash_line_fills == {256: 2}
    assert parse_trace_file(uncached).segments[0].flash_line_fills is None
    assert parse_trace_file(old).segments[0].flash_line_fills is None
    assert {path.name: parse_trace_file(path).segments[0].loads for path in (cached, uncached, old)} == {
        name: {256: (6, 0, 0), 258: (0, 3, 0)} for name in ("cached.txt", "uncached.txt", "old.txt")}
