"""The kinds of failure the command line turns into exit codes (see README.md, exit codes)."""


class EmuError(Exception):
    """Bad input or a missing dependency: exit code 2, one line on stderr."""

    exit_code = 2


class CheckFailed(Exception):
    """A check did not hold (outputs differ, a gate regressed): exit code 1."""

    exit_code = 1


class FirmwareError(EmuError):
    """Emulated firmware faulted, waited for an interrupt that cannot come, made a semihosting
    call emu does not allow, or did not finish within its instruction budget or time: exit
    code 3, apart from bad input."""

    exit_code = 3


SHOWN_CHARS = 80


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
