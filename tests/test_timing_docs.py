"""docs/timing.md states what the cycle model does: its tables against the code.

The page has one section per core (a heading ending in the core's name in backticks) with
a table of instruction classes (`| class | cycles | taken | source |`), a table of the
core's other rules (`| rule | value | source |`), and where the core models result
latencies, `| result of | latency | into an accumulator | source |`; the Cortex-M55 adds
its Helium pipes. Every row must match the core's table in emu/timing, and every entry of
that table must have its row. The flash table's formulas are evaluated on a stream whose
figures are counted by hand below and compared with emu/timing/flash.py, and the silicon
corpus table with emu/timing/uncertainty.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from emu.emulators.trace import Segment
from emu.platforms import get_platform, list_platforms
from emu.timing import CORE_TABLES
from emu.timing.branches import INDIRECT
from emu.timing.classes import CLASSES, GROUP_OF_CLASS, classify
from emu.timing.core import CoreTable, Cost
from emu.timing.flash import FILL_READ_BYTES, LINE_BYTES, flash_total
from emu.timing.instruction import Instruction
from emu.timing.stream import Executed
from emu.timing.uncertainty import UNCERTAINTY

DOC = Path(__file__).resolve().parents[1] / "docs" / "timing.md"

CLASS_HEADER = ("class", "cycles", "taken", "source")
RULE_HEADER = ("rule", "value", "source")
LATENCY_HEADER = ("result of", "latency", "into an accumulator", "source")
PIPE_HEADER = ("vector class", "pipe", "cycles held", "source")
FLASH_HEADER = ("accelerator", "line bytes", "instruction fetch", "data read from flash")
CORPUS_HEADER = ("core", "sequences", "worst error (cycles)", "whole-program comparisons",
                 "stated uncertainty")

# Classes that write the PC: a taken one refills the pipeline (DLS, "loop-start", does not branch).
BRANCH_CLASSES = frozenset(c for c, g in GROUP_OF_CLASS.items() if g == "branch") - {"loop-start"}
# Latency a class has when the core's latency table does not list it (pipeline.result_latency).
DEFAULT_LATENCY = 1

CORE_HEADING = re.compile(r"^###\s.*\(`(cortex-[a-z0-9]+)`\)\s*$")
CORPUS_CORE = {"M0+": "cortex-m0plus", "M3": "cortex-m3", "M4": "cortex-m4", "M7": "cortex-m7",
               "M33": "cortex-m33", "M55": "cortex-m55"}


# --- reading the page ----------------------------------------------------------------------

def tables(lines: list[str]) -> list[tuple[tuple[str, ...], list[list[str]]]]:
    """The markdown tables in `lines`: each header and its rows of stripped cells."""
    found: list[tuple[tuple[str, ...], list[list[str]]]] = []
    block: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if len(block) >= 2:
            found.append((tuple(block[0]), block[2:]))
        block = []
    return found


def by_header(found: list[tuple[tuple[str, ...], list[list[str]]]]) -> dict[tuple[str, ...], list[list[str]]]:
    headers = [header for header, _ in found]
    twice = {h for h in headers if headers.count(h) > 1}
    assert not twice, f"two tables headed {sorted(twice)} in one place"
    return dict(found)


def page_table(header: tuple[str, ...]) -> list[list[str]]:
    """The one table of the whole page with this header."""
    rows = [rows for h, rows in tables(doc_text().splitlines()) if h == header]
    assert len(rows) == 1, f"{len(rows)} tables headed {header}"
    return rows[0]


def core_sections(text: str) -> dict[str, dict[tuple[str, ...], list[list[str]]]]:
    """Each core's tables, from its heading to the next heading of any level."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = CORE_HEADING.match(line)
            current = sections.setdefault(heading.group(1), []) if heading else None
        elif current is not None:
            current.append(line)
    return {core: by_header(tables(lines)) for core, lines in sections.items()}


def code_name(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, f"expected one name in backticks, got {cell!r}"
    return match.group(1)


def names(cell: str, known: set[str]) -> frozenset[str]:
    """`a`, `b`, `fp-*`: class names, a trailing * standing for every known class it starts."""
    result: set[str] = set()
    for name in re.findall(r"`([^`]+)`", cell):
        expanded = {k for k in known if k.startswith(name[:-1])} if name.endswith("*") else {name}
        assert expanded, f"{name} names no class"
        result |= expanded
    return frozenset(result)


def parse_cost(cell: str) -> Cost:
    """"2", "1+N", "N", "ceil(N/2)", "1+ceil(N/2)": N is the words the instruction moves."""
    fixed, per_word = 0, 0.0
    for term in cell.replace(" ", "").split("+"):
        if term.isdigit():
            fixed += int(term)
        elif term == "N":
            per_word += 1
        elif term == "ceil(N/2)":
            per_word += 0.5
        else:
            raise AssertionError(f"cannot read cycles {cell!r}")
    return Cost(fixed, per_word)


def parse_taken(cell: str) -> int | None:
    """"+3", "+0 (...)": cycles each taken branch adds; "-" for a class that never branches."""
    if cell == "-":
        return None
    match = re.match(r"\+(\d+)\b", cell)
    assert match, f"cannot read taken cycles {cell!r}"
    return int(match.group(1))


def parse_value(cell: str) -> int | bool | str:
    """"-" (rule off: 0, False or none), "yes", "+1", "8", or a name in backticks."""
    if cell == "-":
        return 0
    if cell == "yes":
        return True
    match = re.fullmatch(r"\+?(\d+)(?:\s.*)?", cell)
    if match:
        return int(match.group(1))
    return code_name(cell)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections():
    return core_sections(doc_text())


# --- each core's tables against its module -------------------------------------------------

def test_every_core_has_its_section(sections):
    assert set(sections) == set(CORE_TABLES)


@pytest.mark.parametrize("core", sorted(CORE_TABLES))
def test_class_table_matches_the_code(sections, core):
    table = CORE_TABLES[core]
    rows = sections[core][CLASS_HEADER]
    documented = [code_name(row[0]) for row in rows]
    assert len(documented) == len(set(documented)), f"{core}: a class listed twice"
    assert set(documented) == set(table.costs), (
        f"{core}: in the code only {sorted(set(table.costs) - set(documented))}, "
        f"in the doc only {sorted(set(documented) - set(table.costs))}")
    assert set(documented) <= CLASSES
    for row in rows:
        cls, cycles, taken, source = code_name(row[0]), row[1], row[2], row[3]
        assert parse_cost(cycles) == table.costs[cls], f"{core} {cls}: doc {cycles}, code {table.costs[cls]}"
        assert source, f"{core} {cls}: no source"
        if cls not in BRANCH_CLASSES:
            assert parse_taken(taken) is None, f"{core} {cls} never branches, the doc says {taken}"
        else:
            assert parse_taken(taken) == taken_cost(table, cls), f"{core} {cls}: taken {taken}"


def taken_cost(table: CoreTable, cls: str) -> int:
    """What branches.py adds per taken branch: the refill on a core without a predictor; on one
    with a predictor, a mispredict for every taken indirect branch (direct ones are
    predicted, conditional ones mispredict their minority outcomes: the rules table)."""
    if not table.mispredict:
        return table.refill_for(cls)
    return table.mispredict if cls in INDIRECT else 0


def rule_values(table: CoreTable, core: str) -> dict[str, object]:
    """The value each rule row states, as the code holds it."""
    return {
        "mispredict": table.mispredict,
        "fetch bytes": table.fetch_bytes,
        "load pipelining": table.load_pipelining,
        "store then load": table.store_load_stall,
        "address from previous result": table.address_dependency_stall,
        "IT folding": table.it_folding,
        "FP result used next": table.fp_result_stall,
        "word load into a multiply": table.load_to_multiply,
        "dual issue": 0 if table.dual_issue == "none" else table.dual_issue,
        "issue alone": table.single_issue,
        "never paired": set(table.exclusive_pairs),
        "uncertainty": UNCERTAINTY[core].whole_program_pct,
    }


@pytest.mark.parametrize("core", sorted(CORE_TABLES))
def test_rule_table_matches_the_code(sections, core):
    table = CORE_TABLES[core]
    expected = rule_values(table, core)
    rows = {row[0]: row for row in sections[core][RULE_HEADER]}
    assert set(rows) == set(expected), f"{core}: rules {sorted(set(rows) ^ set(expected))} differ"
    known = set(table.costs)
    for rule, (_, cell, source) in rows.items():
        assert source, f"{core} {rule}: no source"
        if rule == "issue alone":
            stated: object = names(cell, known) if cell != "-" else frozenset()
        elif rule == "never paired":
            stated = {names(group, known) for group in cell.split(";")} if cell != "-" else set()
        elif rule == "uncertainty":
            match = re.fullmatch(r"\+/-(\d+(?:\.\d+)?)%", cell)
            assert match, f"{core}: cannot read uncertainty {cell!r}"
            stated = float(match.group(1))
        elif isinstance(expected[rule], bool):
            assert cell in ("yes", "-"), f"{core} {rule}: a switch is yes or -, not {cell!r}"
            stated = cell == "yes"
        else:
            stated = parse_value(cell)
            assert not isinstance(stated, bool), f"{core} {rule}: a figure, not {cell!r}"
        assert stated == expected[rule], f"{core} {rule}: doc {cell!r}, code {expected[rule]!r}"


@pytest.mark.parametrize("core", sorted(CORE_TABLES))
def test_latency_table_matches_the_code(sections, core):
    table = CORE_TABLES[core]
    rows = sections[core].get(LATENCY_HEADER, [])
    if not table.latency:
        assert not rows, f"{core} models no result latency; the doc lists some"
        return
    assert set(table.accumulate_latency) <= set(table.latency)
    documented = {code_name(row[0]): row for row in rows}
    assert len(documented) == len(rows), f"{core}: a class listed twice"
    missing = set(table.latency) - set(documented)
    assert not missing, f"{core}: latencies of {sorted(missing)} not in the doc"
    for key, (_, latency, accumulate, source) in documented.items():
        assert source, f"{core} {key}: no source"
        # A row the code's table lacks must state the default the code then uses.
        code_latency = table.latency.get(key, DEFAULT_LATENCY)
        assert int(latency) == code_latency, f"{core} {key}: doc latency {latency}, code {code_latency}"
        code_accumulate = table.accumulate_latency.get(key, code_latency - 1)
        assert int(accumulate) == code_accumulate, f"{core} {key}: doc {accumulate}, code {code_accumulate}"


@pytest.mark.parametrize("core", sorted(CORE_TABLES))
def test_vector_pipe_table_matches_the_code(sections, core):
    table = CORE_TABLES[core]
    rows = sections[core].get(PIPE_HEADER, [])
    documented = {code_name(row[0]): (code_name(row[1]), int(row[2])) for row in rows}
    assert all(row[3] for row in rows), f"{core}: a pipe row without source"
    assert documented == dict(table.vector_pipes)


# --- flash -------------------------------------------------------------------------------

# A stream run from flash, counted by hand for the flash table's variables:
#   (size, operation, count, taken, base, access bytes, registers listed, loads from flash, from RAM)
FLASH_ORIGIN = 0x0800_0000
STREAM = [
    (2, "adds", 10, 0, None, 0, 0, 0, 0),
    (4, "add", 10, 0, None, 0, 0, 0, 0),
    (2, "ldr", 10, 0, "pc", 4, 0, 10, 0),  # a literal-pool load
    (2, "ldrb", 10, 0, "r2", 1, 0, 6, 4),  # 6 of 10 reads from flash
    (2, "ldm", 5, 0, "r3", 16, 4, 5, 0),  # four words a time
    (2, "b", 10, 9, None, 0, 0, 0, 0),  # bne, taken 9 times
]
# fetched: 10x2 + 10x4 + 10x2 + 10x2 + 5x2 + 10x2 = 130 bytes; executed 55; taken 9
# words read from flash: literal 10x1 + LDRB 10x1x6/10 + LDM 5x4 = 36
# data bytes other than literal loads: LDRB 10x1x6/10 + LDM 5x16 = 86
HAND_COUNTED = {"fetched": 130, "executed": 55, "taken": 9, "words": 36, "data_bytes": 86}


def flash_stream() -> tuple[list[Executed], Segment]:
    stream, segment, address = [], Segment(), FLASH_ORIGIN
    for size, op, count, taken, base, access, registers, from_flash, from_ram in STREAM:
        branch = op == "b"
        ins = Instruction(
            address=address, size=size, mnemonic="bne" if branch else op, op_str="",
            operation=op, condition="ne" if branch else None, reads=frozenset(),
            writes=frozenset({"r0"}) if access else frozenset(), writes_pc=branch, is_call=False,
            is_load=bool(access), is_store=False, base_register=base, index_register=None,
            access_bytes=access, register_count=registers, data_type=None, shifted_operand=False)
        stream.append(Executed(ins=ins, cls=classify(ins), count=count, taken=taken, previous=None,
                               after_previous=0))
        segment.executions[address] = count
        if access:
            segment.loads[address] = (from_flash, from_ram, 0)
        address += size
    return stream, segment


def flash_rows() -> dict[str, list[str]]:
    return {code_name(row[0]): row for row in page_table(FLASH_HEADER)}


def formula(cell: str) -> str:
    match = re.match(r"`([^`]+)`", cell)
    assert match, f"expected a formula in backticks first, got {cell!r}"
    return match.group(1)


def test_flash_table_lists_every_accelerator_and_its_line():
    rows = flash_rows()
    assert set(rows) == set(LINE_BYTES)
    for accelerator, row in rows.items():
        assert int(row[1]) == LINE_BYTES[accelerator], f"{accelerator}: line bytes {row[1]}"


@pytest.mark.parametrize("core", ["cortex-m3", "cortex-m7"])  # 4- and 8-byte fetches
@pytest.mark.parametrize("accelerator", sorted(LINE_BYTES))
def test_flash_formulas_are_what_the_code_charges(accelerator, core):
    table = CORE_TABLES[core]
    wait = 3
    stream, segment = flash_stream()
    platform = replace(get_platform("nucleo-l152re"), flash_origin=FLASH_ORIGIN, flash_bytes=1 << 20,
                       flash_wait_states=wait, flash_accelerator=accelerator)
    row = flash_rows()[accelerator]
    variables = {**HAND_COUNTED, "WS": wait, "fetch_bytes": table.fetch_bytes, "line": LINE_BYTES[accelerator]}
    stated = sum(eval(formula(cell), {"__builtins__": {}, "max": max}, variables)
                 for cell in (row[2], row[3]))
    charged = flash_total(stream, segment, platform, table)["flash-wait"]
    assert math.isclose(stated, charged), f"{accelerator} on {core}: doc {stated}, code {charged}"


# --- every board's memories --------------------------------------------------------------

MEMORY_HEADER = ("board", "flash WS", "accelerator", "SRAM WS", "basis")


def test_memory_table_is_what_the_board_files_hold():
    rows = {row[0]: row for row in page_table(MEMORY_HEADER)}
    boards = {p.name: p for p in list_platforms()}
    assert set(rows) == set(boards)
    for name, (_, flash, accelerator, sram, basis) in rows.items():
        board = boards[name]
        assert (int(flash), code_name(accelerator), int(sram)) == (
            board.flash_wait_states, board.flash_accelerator, board.ram_wait_states), name
        assert basis, f"{name}: no basis"


# --- stated uncertainty ----------------------------------------------------------------------

def test_silicon_corpus_table_matches_the_stated_uncertainty():
    rows = page_table(CORPUS_HEADER)
    assert {CORPUS_CORE[row[0]] for row in rows} == set(UNCERTAINTY)
    for core_cell, sequences, worst, _, band in rows:
        known = UNCERTAINTY[CORPUS_CORE[core_cell]]
        assert int(sequences.split()[0]) == known.sequences, core_cell
        assert (0 if worst == "-" else float(worst.split()[0])) == known.worst_cycles, core_cell
        assert band == f"+/-{known.whole_program_pct:g}%", core_cell


# --- whole programs against silicon --------------------------------------------------------

WHOLE_PROGRAM_HEADER = ("benchmark", "instructions", "silicon ms", "before: emu ms", "before / silicon",
                        "after: emu ms", "after / silicon")


def test_whole_program_checks_agree_with_the_stated_band_and_comparisons():
    # The page's EK-RA6M4 table (emu's current figures are the "after" columns): each ratio is
    # its two latencies' quotient, within the M33's band, and what uncertainty.py records.
    m33 = UNCERTAINTY["cortex-m33"]
    ratios = {}
    for benchmark, _, silicon, _, _, after, ratio in page_table(WHOLE_PROGRAM_HEADER):
        assert math.isclose(float(after) / float(silicon), float(ratio), abs_tol=0.0011), benchmark
        assert abs(float(ratio) - 1) * 100 <= m33.whole_program_pct, benchmark
        ratios[benchmark] = ratio
    assert m33.comparisons == tuple(f"MLPerf Tiny v0.7 EK-RA6M4 {b} {r}" for b, r in ratios.items())


def test_the_flash_cache_rule_is_stated_as_the_code_charges_it():
    # The page states the fill as WS * fills * cache_line / FILL_READ_BYTES.
    assert f"WS * fills * cache_line / {FILL_READ_BYTES}" in doc_text()


# --- the parser reads what it should ---------------------------------------------------------

def test_the_readers_read_what_the_page_writes():
    assert parse_cost("1+ceil(N/2)") == Cost(1, 0.5) and parse_cost("N") == Cost(0, 1)
    assert parse_cost("14") == Cost(14)
    with pytest.raises(AssertionError):
        parse_cost("2-3")
    assert parse_taken("+8 every time") == 8 and parse_taken("-") is None
    assert parse_value("+1") == 1 and parse_value("-") == 0 and parse_value("`m7`") == "m7"
    assert names("`fp-div`, `vector-*`", {"fp-div", "vector-load", "vector-alu", "load"}) == {
        "fp-div", "vector-load", "vector-alu"}
    page = "### Cortex-M3 (`cortex-m3`)\n\n| class | cycles | taken | source |\n|---|---|---|---|\n" \
           "| `alu` | 1 | - | x |\n\n## Next\n| class | cycles | taken | source |\n|---|---|---|---|\n"
    assert core_sections(page) == {"cortex-m3": {CLASS_HEADER: [["`alu`", "1", "-", "x"]]}}
