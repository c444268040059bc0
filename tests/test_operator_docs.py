"""docs/operators.md is what `python -m emu.compile.operator_table` writes from the code, so it
cannot go stale; and the facts it is made of hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tflite

from emu.compile import operator_table, ops
from emu.model import tflm_operators

DOC = Path(__file__).resolve().parent.parent / "docs" / "operators.md"


def test_the_document_is_what_the_command_writes():
    # the real command, as a contributor runs it: its stdout is the file
    done = subprocess.run([sys.executable, "-m", "emu.compile.operator_table"], capture_output=True, text=True,
                          timeout=120, cwd=DOC.parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout == DOC.read_text(), f"docs/operators.md is stale: run `{operator_table.COMMAND}`"


def test_every_operator_module_declares_the_types_it_takes():
    # TYPES is the one home of a lowering's types: the document shows it and lower() checks it
    missing = []
    for module in ops.modules():
        declared = getattr(module, "TYPES", None)
        for name in module.OPERATORS:
            types = declared.get(name) if isinstance(declared, dict) else declared
            if not types:
                missing.append(f"{module.__name__}: {name}")
    assert not missing, "no TYPES for " + ", ".join(missing)


def test_tflm_operators_are_builtin_operators_of_the_schema():
    # the tflite schema package (not written here) names every builtin operator
    schema = {name for name, value in vars(tflite.BuiltinOperator).items() if isinstance(value, int)}
    assert set(tflm_operators.BUILTIN_OPERATORS) <= schema
    assert len(set(tflm_operators.BUILTIN_OPERATORS)) == len(tflm_operators.BUILTIN_OPERATORS) == 100
    assert set(tflm_operators.TYPES) == set(tflm_operators.BUILTIN_OPERATORS)


def test_the_table_has_a_row_per_tflm_operator_and_one_per_operator_emu_lowers():
    tables = operator_table.markdown().split("## Where the faster kernels apply")[0]
    rows = {line.split("|")[1].strip(): line for line in tables.splitlines() if line.startswith("| ")}
    assert set(tflm_operators.BUILTIN_OPERATORS) <= set(rows)
    assert set(ops.lowerings()) <= set(rows)
    # a hook in a module shows as a kernel of each of its operators, and only then
    assert "reference, DSP, Helium" in rows["CONV_2D"]
    assert "reference, Helium |" in rows["MAXIMUM"]
    # an operator no module lowers says so; WHILE, which runs subgraphs, is lowered like any other
    assert all("not lowered" in rows[name] for name in tflm_operators.BUILTIN_OPERATORS if name not in ops.lowerings())
    assert rows["WHILE"].endswith("| any | reference | `control_flow` |")
