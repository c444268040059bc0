"""A gate verdict as JUnit XML, the format CI systems show as test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from emu.cache import atomic_write
from emu.decide.gate import FIELD_TITLES, GateVerdict


def verdict_to_junit(verdict: GateVerdict) -> ET.Element:
    suite = ET.Element("testsuite", name="emu gate", tests=str(len(verdict.changes)),
                       failures=str(len(verdict.regressions)), errors="0", skipped="0")
    for c in verdict.changes:
        model, variant, board = c.key
        case = ET.SubElement(suite, "testcase", classname=f"emu.gate.{model}.{variant}.{board}",
                             name=FIELD_TITLES[c.field].split(" ")[0])
        if c.status == "regressed":
            failure = ET.SubElement(case, "failure", type="regression",
                                    message=f"{c.field} rose from {c.before:,} to {c.after:,} "
                                            f"({c.percent:+.2f}%), allowed {verdict.tolerances.for_field(c.field)}")
            failure.text = f"{model}/{variant} on {board}: {c.field} {c.before} -> {c.after}"
        elif c.status in ("new", "missing"):
            ET.SubElement(case, "skipped", message=f"{c.status} in the fresh results" if c.status == "new"
                          else "missing from the fresh results")
    suite.set("skipped", str(sum(1 for c in verdict.changes if c.status in ("new", "missing"))))
    return suite


def write_junit(verdict: GateVerdict, path: Path) -> None:
    path = Path(path)
    root = ET.Element("testsuites")
    root.append(verdict_to_junit(verdict))
    ET.indent(root)
    atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
