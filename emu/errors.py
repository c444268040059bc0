"""The kinds of failure the command line turns into exit codes (see README.md, exit codes)."""


class EmuError(Exception):
    """Bad input or a missing dependency: exit code 2, one line on stderr."""

    exit_code = 2


class NotRunnable(EmuError):
    """A sound model that cannot run on a board (an operator emu does not compile, a hybrid
    model): `emu bench` records it as a row "not runnable" with `reason`, not as a failure."""

    status = "not runnable"

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


class DoesNotFit(NotRunnable):
    """A model that needs more RAM or flash than a board has: a row "does not fit", whose
    reason says what it needs and what the board has."""

    status = "does not fit"


class CheckFailed(Exception):
    """A check did not hold (outputs differ, a gate regressed): exit code 1."""

    exit_code = 1


class FirmwareError(EmuError):
    """Emulated firmware faulted, waited for an interrupt that cannot come, made a semihosting
    call emu does not allow, or did not finish within its instruction budget or time: exit
    code 3, apart from bad input."""

    exit_code = 3


SHOWN_CHARS = 80


def first_line(message: str | BaseException) -> str:
    """A long message (an exception, a compiler's or an interpreter's output) as the one line
    an error shows: its first non-empty line; where that line only introduces what follows
    ("firmware build failed for BOARD:" before the compiler's output), joined to the first
    line below it that names an error. An exception without a message gives its type's name;
    an empty text, "".
    """
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    if not lines:
        return type(message).__name__ if isinstance(message, BaseException) else ""
    if lines[0].endswith(":") and len(lines) > 1:
        cause = next((line for line in lines[1:] if "error" in line.lower()), lines[1])
        return f"{lines[0]} {cause}"
    return lines[0]


def escaped(text: str | bytes) -> str:
    """Control characters, terminal escapes and undecodable bytes escaped the way repr() does."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="surrogateescape")
    inner = repr(str(text))[1:-1]
    # repr() keeps lone surrogates (the undecodable bytes of a file name); no terminal can print them.
    return inner.encode("utf-8", errors="backslashreplace").decode("utf-8")


def shown(text: str | bytes, limit: int = SHOWN_CHARS) -> str:
    """A string from a model or a file name, safe to put in a one-line message: escaped, and
    cut at `limit` characters with an ellipsis."""
    inner = escaped(text)
    return inner if len(inner) <= limit else inner[: limit - 3] + "..."


def terminal_safe(text: str, keep: str = "\n") -> str:
    """text with every character a terminal would act on rather than show (control characters,
    escape sequences, bidirectional overrides, undecodable bytes) written as repr() writes it,
    apart from those in keep; everything else, backslashes and quotes included, unchanged.
    What emu prints goes through this (emu.console), so no file or model can drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape_char(c) for c in text)


def _escape_char(c: str) -> str:
    return repr(c)[1:-1].encode("utf-8", errors="backslashreplace").decode("utf-8")
