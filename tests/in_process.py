"""The `emu` command run inside the test's own process, as a user runs it but without a new
interpreter per case, under a time limit that no handler inside emu can swallow."""

from __future__ import annotations

import contextlib
import io
import signal
import sys


class Hang(BaseException):
    """Raised by the time limit in the running case's frame: not an Exception, so that emu's
    catch-all for unexpected errors cannot report it as one of its own."""


def _alarm(signum, frame):
    raise Hang()


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise Hang in the body once `seconds` have passed."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def emu_in_process(*args: object, seconds: int = 60) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `emu ARGS`, as the `emu` command gives them; Hang past
    `seconds`."""
    from emu.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    saved_argv, sys.argv = sys.argv, ["emu", *map(str, args)]
    code = 0
    try:
        with time_limit(seconds), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved_argv
    return code, out.getvalue(), err.getvalue()
