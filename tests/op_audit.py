"""A pytest plugin that records which (operator, type) pairs each test runs against TFLM, and where.

    pytest -p tests.op_audit --op-audit=audit.json tests/test_ops_x.py ...

It wraps emu's two ways to run a compiled model: emu.results.measure.measure (the firmware
in the emulator; a pair counts for the board when the run's outputs equalled TFLM's) and the
host build (emu.compile.hostrun; a pair counts for "host" when the model ran, the test then
comparing it with TFLM as the host tests do). The pairs come from the graph the compiler
lowered (tests/op_coverage.py). The JSON lists [test, where, operator, type] rows; `python -m
tests.op_audit audit.json` prints the gaps against tests/op_coverage.tflm_checkable_pairs().
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import pytest

from emu.compile import codegen, hostrun
from emu.results import measure as measure_module
from tests.op_coverage import graph_pairs, tflm_checkable_pairs

WHERE = ("host", "rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit")
_rows: set[tuple[str, str, str, str]] = set()
_test = ["(collection)"]
_compiled: list = []  # (CompiledModel, its pairs), in the order compiled


def _record(where, pairs):
    _rows.update((_test[0], where, op, kind) for op, kind in pairs)


def _wrap_compile(original):
    def compile_graph(graph, *args, **kwargs):
        compiled = original(graph, *args, **kwargs)
        _compiled.append((compiled, graph_pairs(graph)))
        return compiled
    return compile_graph


def _wrap_measure(original):
    def measure(model_path, platform, *args, **kwargs):
        before = len(_compiled)
        result, outputs = original(model_path, platform, *args, **kwargs)
        if result.output_matches_reference is True and result.reference == "tflm":
            for _, pairs in _compiled[before:]:
                _record(platform.name, pairs)
        return result, outputs
    return measure


def _wrap_host_run(original):
    def _run(compiled, *args, **kwargs):
        outputs = original(compiled, *args, **kwargs)
        _record("host", next((p for c, p in reversed(_compiled) if c is compiled), ()))
        return outputs
    return _run


# Patched when the plugin loads, before the test modules import these names.
codegen.compile_graph = _wrap_compile(codegen.compile_graph)
for module in (hostrun, measure_module):
    module.compile_graph = codegen.compile_graph
measure_module.measure = _wrap_measure(measure_module.measure)
hostrun._run = _wrap_host_run(hostrun._run)


def pytest_addoption(parser):
    parser.addoption("--op-audit", default="op-audit.json", help="where tests.op_audit writes its rows")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _test[0] = item.nodeid
    yield
    _test[0] = "(between tests)"


def pytest_sessionfinish(session):
    with open(session.config.getoption("--op-audit"), "w") as f:
        json.dump(sorted(_rows), f, indent=0)


def gap_table(rows, wanted) -> str:
    """Markdown: for each wanted pair, which test file covers it where; a gap is a blank."""
    covered = defaultdict(set)
    for test, where, op, kind in rows:
        covered[op, kind, where].add(test.split("::")[0].removeprefix("tests/").removesuffix(".py"))
    lines = ["| operator | type | " + " | ".join(WHERE) + " |", "|---|---|" + "---|" * len(WHERE)]
    missing = {where: 0 for where in WHERE}
    for op, kind in sorted(wanted):
        cells = []
        for where in WHERE:
            files = covered.get((op, kind, where))
            cells.append(", ".join(sorted(files)) if files else "**gap**")
            missing[where] += not files
        lines.append(f"| {op} | {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"{len(wanted)} pairs; gaps: " + ", ".join(f"{w} {n}" for w, n in missing.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    leave_out = frozenset(sys.argv[2].split(",")) if len(sys.argv) > 2 else frozenset()
    rows = [tuple(r) for path in sys.argv[1].split(",") for r in json.load(open(path))]
    print(gap_table(rows, tflm_checkable_pairs(leave_out)))
