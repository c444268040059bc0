"""An emulator as a child process: started with its output in files, given a time limit,
asked to stop and then killed, and never left behind by a killed emu. Both backends run
their emulator through `run_process`.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from emu import processes

# How long an emulator gets to write its results after being asked to stop, before it is killed.
GRACE_S = 10.0


def run_process(command: list[str], work: Path, timeout_s: float, cwd: Path | None = None) -> tuple[int | None, str]:
    """The child's exit status (None when it had to be stopped at the time limit) and what it
    wrote to stderr; its stdout and stderr are kept in `work` (stdout.txt, stderr.txt)."""
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        # Waited for in this thread, so the kernel may tie the emulator's life to it (emu.processes).
        process = processes.start(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                                  start_new_session=True)
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


def read_text(path: Path) -> str:
    """A file the child wrote, or "" when it wrote none."""
    return path.read_text(errors="replace") if path.exists() else ""
