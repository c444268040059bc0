"""The tables emu prints: laid out by rich as plain text, headers and values in their columns."""

from __future__ import annotations

import re

from emu.console import table_text
from emu.decide.gate import compare, format_verdict
from emu.results.bench import format_table
from emu.results.record import Result


def row(variant="int8", cycles=100_000) -> Result:
    return Result(model="m", model_sha256="0" * 64, variant=variant, platform="nucleo-l4r5zi", core="cortex-m4",
                  fpu=True, clock_hz=120_000_000, kernels="optimized", instructions=cycles // 2, cycles=cycles,
                  latency_ms=1.0, energy_uj=1.0, flash_bytes=10_240, ram_bytes=2_048, arena_bytes=500,
                  stack_bytes=300, output_matches_reference=True)


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_a_table_by_hand():
    text = table_text(("name", "count", "note"), [("a", "1,234", "[x] kept as text"), ("longer", "5", "-")],
                      right=[1])
    assert text.splitlines() == [
        "name    count  note",
        "------- ------ ----------------",
        "a       1,234  [x] kept as text",
        "longer      5  -",
    ]


def test_the_gate_table_has_each_change_on_its_own_line():
    verdict = compare([row(), row(variant="old")], [row(cycles=150_000), row(variant="new")])
    lines = format_verdict(verdict).splitlines()
    assert cells(lines[0]) == ["model/variant", "board", "metric", "baseline", "now", "change", "allowed", "verdict"]
    assert set(lines[1]) <= {"-", " "}
    assert cells(lines[2]) == ["m/int8", "nucleo-l4r5zi", "cycles", "100,000", "150,000", "+50,000 (+50.00%)", "+2%",
                               "REGRESSED"]
    assert ["m/new", "nucleo-l4r5zi", "RAM (B)", "-", "2,048", "-", "+0", "new"] in map(cells, lines)
    assert ["m/old", "nucleo-l4r5zi", "flash (B)", "10,240", "-", "-", "+1%", "MISSING"] in map(cells, lines)
    assert lines[-1] == ("gate: FAILED, 1 regression(s) beyond tolerance and 1 baseline row(s) missing from "
                         "the fresh results")
    # numbers are right-aligned: the baseline column ends where its header ends
    header_end = lines[0].index("baseline") + len("baseline")
    assert lines[2].index("100,000") + len("100,000") == header_end


def test_the_bench_table_has_a_row_per_result():
    assumed = row(variant="fp32", cycles=1_234_567)
    assumed.energy_basis, assumed.energy_source = "assumed", "docs/sources.md#st-stm32l4r5"
    assumed.quality = {"accuracy": 0.38}
    assumed.collapsed = "answers class 2 for every test sample"
    lines = format_table([row(), assumed]).splitlines()
    assert cells(lines[0]) == ["model", "variant", "platform", "core", "kernels", "instr", "cycles", "ms", "uJ",
                               "power", "flash KB", "weights KB", "RAM KB", "arena B", "matches", "quality"]
    assert cells(lines[2])[8:10] == ["1.00", "-"]  # a row from before results carried the basis
    assert cells(lines[2])[-1] == "-"  # and without a host quality
    assert cells(lines[3]) == ["m", "fp32", "nucleo-l4r5zi", "m4F", "optimized", "617,283", "1,234,567", "1.000",
                               "1.00", "assumed", "10.0", "0.0", "2.0", "500", "yes", "accuracy 38.0% collapsed"]
    assert lines[-3] == "m (fp32) collapsed: answers class 2 for every test sample"
    assert lines[-2].startswith("cycles are model estimates: m4 +/-")
    assert lines[-1] == ("energy on assumed power figures (power: assumed): nucleo-l4r5zi "
                         "(docs/sources.md#st-stm32l4r5)")


def test_the_variants_table_keeps_a_long_reason_in_its_column():
    from types import SimpleNamespace

    from emu.cli.variants import format_variants

    def record(variant, runs, reason=None):
        return SimpleNamespace(variant=variant, metric="accuracy", value=0.91234, reference="TFLM", file_bytes=12_345,
                               weight_sparsity=0.5, unique_weight_values=16, runs_on_device=runs,
                               not_runnable_reason=reason, weight_format="lut4" if runs else None,
                               weight_flash_bytes=1_234 if runs else None, collapsed=None)

    lines = format_variants([record("int8", True), record("fp16", False, "not runnable on the device: [DEQUANTIZE] "
                                                                          "of float16 weights")]).splitlines()
    assert cells(lines[0]) == ["variant", "metric", "value", "reference", "bytes", "zeros", "unique/ch", "device"]
    assert cells(lines[2]) == ["int8", "accuracy", "0.9123", "TFLM", "12,345", "50.0%", "16",
                               "yes: lut4, 1,234 B filters"]
    assert cells(lines[3]) == ["fp16", "accuracy", "0.9123", "TFLM", "12,345", "50.0%", "16",
                               "no: [DEQUANTIZE] of float16 weights"]
