"""Gate verdicts and constraint checks as JUnit XML, the format CI systems show as test results.

Every regression, every baseline row missing from the fresh results and every board where
no variant meets the constraints is a failure; a row only in the fresh results passes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from emu.cache import atomic_write
from emu.decide.gate import FIELD_TITLES, GateVerdict
from emu.errors import terminal_safe


def verdict_to_junit(verdict: GateVerdict) -> ET.Element:
    suite = ET.Element("testsuite", name="emu gate", tests=str(len(verdict.changes)),
                       failures=str(len(verdict.failures)), errors="0", skipped="0")
    for c in verdict.changes:
        model, variant, board = c.key
        case = ET.SubElement(suite, "testcase", classname=f"emu.gate.{model}.{variant}.{board}",
                             name=FIELD_TITLES[c.field].split(" ")[0])
        if c.status == "regressed":
            failure = ET.SubElement(case, "failure", type="regression",
                                    message=f"{c.field} rose from {c.before:,} to {c.after:,} "
                                            f"({c.percent:+.2f}%), allowed {verdict.tolerances.for_field(c.field)}")
            failure.text = f"{model}/{variant} on {board}: {c.field} {c.before} -> {c.after}"
        elif c.status == "missing":
            ET.SubElement(case, "failure", type="missing",
                          message=f"{model}/{variant} on {board} is in the baseline but not in the fresh results")
    return suite


def recommendation_to_junit(rec) -> ET.Element:
    """One test case per board: it fails when no variant meets the constraints there."""
    suite = ET.Element("testsuite", name="emu constraints", tests=str(len(rec.boards)),
                       failures=str(sum(1 for d in rec.boards if d.chosen is None)), errors="0", skipped="0")
    for d in rec.boards:
        case = ET.SubElement(suite, "testcase", classname=f"emu.constraints.{d.board}", name="fits")
        if d.chosen is None:
            closest = (f"; closest: {d.closest.candidate.label}, which misses by: " + "; ".join(d.closest.reasons)
                       if d.closest else "")
            ET.SubElement(case, "failure", type="constraints",
                          message=f"no variant meets the constraints on {d.board}{closest}")
    return suite


def write_junit(path: Path, verdict: GateVerdict | None = None, recommendation=None) -> None:
    root = ET.Element("testsuites")
    if verdict is not None:
        root.append(verdict_to_junit(verdict))
    if recommendation is not None:
        root.append(recommendation_to_junit(recommendation))
    _well_formed(root)
    ET.indent(root)
    atomic_write(Path(path), ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _well_formed(root: ET.Element) -> None:
    """Names from results files may hold characters XML 1.0 cannot carry (an escape, a NUL):
    every text and attribute is written escaped the way emu prints it (emu.errors.terminal_safe)."""
    for element in root.iter():
        element.attrib = {k: terminal_safe(v, keep="") for k, v in element.attrib.items()}
        if element.text:
            element.text = terminal_safe(element.text, keep="\n")
