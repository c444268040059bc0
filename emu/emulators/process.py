"""An emulator as a child process: started with its output in files, given a time limit,
asked to stop and then killed, and never left behind by a killed emu. Both backends run
their emulator through `run_process`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

# How long an emulator gets to write its results after being asked to stop, before it is killed.
GRACE_S = 10.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def run_process(command: list[str], work: Path, timeout_s: float, cwd: Path | None = None) -> tuple[int | None, str]:
    """The child's exit status (None when it had to be stopped at the time limit) and what it
    wrote to stderr; its stdout and stderr are kept in `work` (stdout.txt, stderr.txt)."""
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        # The preexec_fn makes one prctl call through a library loaded before the fork.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                                   start_new_session=True,
                                   preexec_fn=die_with_parent(os.getpid()))  # noqa: PLW1509
        try:
            status = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop(process)
            status = None
        except BaseException:
            stop(process)
            raise
    return status, read_text(work / "stderr.txt")


def stop(process: subprocess.Popen) -> None:
    """Ask the emulator to quit (its exit handlers let a trace be written out), then insist."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def die_with_parent(parent: int):
    """A preexec_fn that has the kernel kill the child when `parent` dies (Linux), so a
    killed emu leaves no emulator behind; elsewhere, nothing. The kernel sends the signal
    when the thread that started the child ends, and run_process waits in that thread."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arrange() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return arrange


def read_text(path: Path) -> str:
    """A file the child wrote, or "" when it wrote none."""
    return path.read_text(errors="replace") if path.exists() else ""


def first_line(text: str) -> str:
    """The first non-blank line of what a child wrote, for a one-line message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
