"""docs/runtime.md's memory table states each board's memory: the part's flash and RAM as
its datasheet gives them (with the section of docs/sources.md that quotes the datasheet),
and the emulated machine's regions. Every board file must say the same, every board must
have its row, and the cited section must give the same sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emu.platforms import list_platforms

DOCS = Path(__file__).resolve().parents[1] / "docs"
HEADER = ("board", "part", "flash", "RAM", "datasheet", "QEMU machine", "code", "weights", "data")
UNIT = {"KB": 1024, "MB": 1024 * 1024}
SIZE = re.compile(r"^(\d+(?:\.\d+)?) (KB|MB)$")
REGION = re.compile(r"^(\d+(?:\.\d+)?) (KB|MB) at (0x[0-9a-fA-F]{8})$")
CITED = re.compile(r"\(sources\.md#([a-z0-9-]+)\)")


def size(text: str) -> int:
    number, unit = SIZE.match(text).groups()
    value = float(number) * UNIT[unit]
    assert value == int(value), text
    return int(value)


def region(text: str) -> tuple[int, int] | None:
    if text == "-":
        return None
    number, unit, origin = REGION.match(text).groups()
    return int(origin, 16), size(f"{number} {unit}")


def table_rows() -> dict[str, list[str]]:
    lines = (DOCS / "runtime.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines)
                 if tuple(c.strip() for c in line.strip("|").split("|")) == HEADER)
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(HEADER), line
        rows[cells[0]] = cells
    return rows


def source_sections() -> dict[str, str]:
    """docs/sources.md's sections by anchor."""
    text = (DOCS / "sources.md").read_text()
    parts = re.split(r'<a id="([a-z0-9-]+)"></a>', text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


BOARDS = {p.name: p for p in list_platforms()}


def test_every_board_has_a_row():
    assert set(table_rows()) == set(BOARDS)


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_the_board_file_states_the_documented_memory(name):
    board, cells = BOARDS[name], table_rows()[name]
    row = dict(zip(HEADER, cells, strict=True))
    assert (board.flash_bytes, board.ram_bytes) == (size(row["flash"]), size(row["RAM"]))
    assert board.qemu_machine == row["QEMU machine"]
    assert (board.flash_origin, board.emulated_flash_bytes) == region(row["code"])
    assert (board.ram_origin, board.emulated_ram_bytes) == region(row["data"])
    weights = region(row["weights"])
    assert (board.weights_origin, board.emulated_weights_bytes) == (weights or (None, None))


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_the_cited_datasheet_section_gives_the_same_sizes(name):
    """The sizes of the row are written in the cited section of docs/sources.md (where the
    datasheet's figures are quoted), in its own words: '1 MB flash', '5.5 MB MRAM', ..."""
    row = dict(zip(HEADER, table_rows()[name], strict=True))
    sections = source_sections()
    cited = CITED.findall(row["datasheet"])
    assert cited and all(anchor in sections for anchor in cited), row["datasheet"]
    text = " ".join(sections[anchor] for anchor in cited)
    text = re.sub(r"\s+", " ", text)
    for figure in (row["flash"], row["RAM"]):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}\b", text), f"{name}: {figure} not in {cited}"
