"""Every process emu starts ends when emu ends, however emu ends (`kill -9` included).

A process whose parent dies keeps running: it is handed to init and nothing stops it. So
each kind of child is tied to its parent by the kernel or by a watch of its own:

- Programs emu runs and waits for (compilers, QEMU, Renode, llvm-objdump, a host build)
  are started by `run` or `start`, which ask Linux to send them SIGKILL when their parent
  dies (PR_SET_PDEATHSIG). The kernel sends it when the *thread* that started the child
  ends, not the process, so these are only for children that the starting thread waits
  for; they are.
- emu's own Python workers (the process pools of a sweep and of `emu variants`, the
  reference interpreters' process) may outlive the thread that started them, so they watch
  their parent themselves (`watch_parent`): a thread notices within a fraction of a second
  that the parent is gone, stops and kills the worker's own children and their children
  (a compiler's cc1, as and ld, which no PDEATHSIG covers), and ends the worker.

Elsewhere than Linux the kernel request is skipped; the watch works on any POSIX system.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_INTERVAL_S = 0.1

# Loaded before any fork: the function run between fork and exec makes one call into it and
# nothing else (no import, no allocation that could wait on a lock another thread held).
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn: the kernel kills the child when the thread that started it ends (Linux).
    A child whose parent died before the request took effect ends at once."""
    if _LIBC is None:
        return None
    parent = os.getpid()
    prctl = _LIBC.prctl

    def arrange() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arrange


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run for a program that must not outlive emu."""
    return subprocess.run(command, preexec_fn=die_with_parent(), **options)  # noqa: PLW1509


def start(command: list[str], **options) -> subprocess.Popen:
    """subprocess.Popen for a program that must not outlive emu; the calling thread must be
    the one that waits for it (see the module's note on threads)."""
    return subprocess.Popen(command, preexec_fn=die_with_parent(), **options)  # noqa: PLW1509


def watch_parent(parent: int) -> None:
    """In a worker process: end it, with every process under it, as soon as `parent` is no
    longer its parent. Returns at once; a daemon thread watches."""
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL_S)
        kill_descendants(os.getpid())
        os._exit(1)

    threading.Thread(target=watch, name="emu-watch-parent", daemon=True).start()


def descendants(pid: int) -> list[int]:
    """The processes under `pid`, parents before their children (Linux /proc; elsewhere none)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += children
            frontier += children
    return found


def kill_descendants(pid: int) -> None:
    """Stop every process under `pid` (a stopped process cannot start another), look again
    for any started meanwhile, then kill them all."""
    stopped: list[int] = []
    for _ in range(3):
        fresh = [p for p in descendants(pid) if p not in stopped]
        if not fresh:
            break
        for p in fresh:
            _signal(p, signal.SIGSTOP)
        stopped += fresh
    for p in stopped:
        _signal(p, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:  # already gone
        pass


def pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers end when this process ends. spawn: a fresh interpreter
    per worker, never a fork of a process with threads or TensorFlow loaded."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=watch_parent,
                               initargs=(os.getpid(),))
