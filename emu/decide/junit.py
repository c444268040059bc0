"""Gate verdicts and constraint checks as JUnit XML, the format CI systems show as test results.

Every regression, every baseline row missing from the fresh results and every model and board
where no variant meets the constraints is a failure; a row only in the fresh results passes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from emu.cache import atomic_write
from emu.decide.gate import NOT_MEASURED, GateVerdict, check_name, describe
from emu.errors import terminal_safe


def verdict_to_junit(verdict: GateVerdict) -> ET.Element:
    """One test case per row and check, named by the check: cycles, RAM, flash, latency, energy,
    or the quality metric (accuracy, RMSE, ...)."""
    suite = ET.Element("testsuite", name="emu gate", tests=str(len(verdict.changes)),
                       failures=str(len(verdict.failures)), errors="0", skipped="0")
    for c in verdict.changes:
        model, variant, board = c.key
        case = ET.SubElement(suite, "testcase", classname=f"emu.gate.{model}.{variant}.{board}",
                             name=check_name(c.field))
        if c.status == "regressed":
            failure = ET.SubElement(case, "failure", type="regression", message=describe(c, verdict.tolerances))
            failure.text = f"{model}/{variant} on {board}: {c.field} {c.before} -> {c.after}"
        elif c.status == "unmeasured":
            ET.SubElement(case, "failure", type="unmeasured",
                          message=f"{model}/{variant} on {board}: {describe(c, verdict.tolerances)}")
        elif c.status in NOT_MEASURED:
            ET.SubElement(case, "failure", type=c.status.replace(" ", "-"),
                          message=f"{model}/{variant} on {board}: {describe(c, verdict.tolerances)}")
        elif c.status == "missing":
            ET.SubElement(case, "failure", type="missing",
                          message=f"{model}/{variant} on {board} is in the baseline but not in the fresh results")
    note = verdict.quality_note()
    if note:
        ET.SubElement(suite, "system-out").text = note
    return suite


def decision_to_junit(decision) -> ET.Element:
    """One test case per model and board: it fails when no variant of the model meets the
    constraints there (with one model, or models compared, the case is named by its board alone)."""
    named = len(decision.sections) > 1
    cases = [(s.model if named else None, d) for s in decision.sections for d in s.recommendation.boards]
    suite = ET.Element("testsuite", name="emu constraints", tests=str(len(cases)),
                       failures=str(sum(1 for _, d in cases if d.chosen is None)), errors="0", skipped="0")
    for model, d in cases:
        where = d.board if model is None else f"{model}.{d.board}"
        case = ET.SubElement(suite, "testcase", classname=f"emu.constraints.{where}", name="fits")
        if d.chosen is None:
            closest = (f"; closest: {d.closest.candidate.label}, which misses by: " + "; ".join(d.closest.reasons)
                       if d.closest else "")
            what = "no variant" if model is None else f"no variant of {model}"
            if d.takes_nothing:  # none could even be measured there: say what each needs
                message = f"{what} fits or runs on {d.board}: " + "; ".join(u.why for u in d.unplaced)
            else:
                message = f"{what} meets the constraints on {d.board}{closest}"
            ET.SubElement(case, "failure", type="constraints", message=message)
    return suite


def write_junit(path: Path, verdict: GateVerdict | None = None, decision=None) -> None:
    root = ET.Element("testsuites")
    if verdict is not None:
        root.append(verdict_to_junit(verdict))
    if decision is not None:
        root.append(decision_to_junit(decision))
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
