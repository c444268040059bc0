"""The terminal: progress and notes go to stderr, so stdout stays the result; tables are
laid out by rich as plain text (the same on a terminal, in a pipe and in a file); and what
TensorFlow's native code prints (CUDA probes, MLIR notes, exported signatures) is kept
off it, since it bypasses Python's streams and is no business of an emu user.

Names in what emu prints come from files anyone may write (board files, results, variants,
models, firmware output), so every character a terminal would act on is escaped here, in
one place (emu.errors.terminal_safe): in each table cell (newlines too, so a name cannot
split a row), in every message said, and, while the `emu` command runs, in all it writes
to stdout and stderr (terminal_safe_streams)."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from emu.errors import terminal_safe


def say(message: str) -> None:
    print(terminal_safe(str(message)), file=sys.stderr, flush=True)


def table_text(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = ()) -> str:
    """rows under headers, one line each, with a dashed rule under the headers; the columns
    whose indexes are in right (numbers) are right-aligned. Plain ASCII, no colour, never
    wrapped, so it reads the same in a pipe or a file and on any terminal."""
    from rich.box import Box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    dashed = Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
    right = set(right)
    table = Table(box=dashed, show_edge=False, pad_edge=False, padding=(0, 1), header_style="", collapse_padding=True)
    for i, header in enumerate(headers):
        table.add_column(terminal_safe(header, keep=""), justify="right" if i in right else "left", no_wrap=True)
    for row in rows:
        # Text: brackets in a cell are not markup; a newline in a cell is shown as \n, one row a line.
        table.add_row(*(Text(terminal_safe(str(cell), keep="")) for cell in row))
    out = io.StringIO()
    Console(file=out, width=100_000, color_system=None, force_terminal=False, highlight=False).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


class _TerminalSafeStream(io.TextIOBase):
    """A text stream that writes through to another with terminal_safe applied. It says it is
    not a terminal, so that libraries which colour their output (rich, for typer's help) write
    plain text rather than escapes that would be shown escaped."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text, keep="\n\t"))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", "utf-8")


@contextmanager
def terminal_safe_streams():
    """For the duration, sys.stdout and sys.stderr escape what a terminal would act on."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafeStream(saved[0]), _TerminalSafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


@contextmanager
def native_output_silenced():
    """Point file descriptors 1 and 2 at /dev/null for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def import_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's CPU kernels may reorder float sums between runs; emu wants identical bytes.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from emu.extras import require

    with native_output_silenced():
        return require("tensorflow")
