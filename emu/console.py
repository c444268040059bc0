"""The terminal: progress and notes go to stderr, so stdout stays the result; and what
TensorFlow's native code prints (CUDA probes, MLIR notes, exported signatures) is kept
off it, since it bypasses Python's streams and is no business of an emu user."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
        for fd, copy in zip((1, 2), saved):
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
