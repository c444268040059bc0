"""Progress and notes for the person at the terminal: stderr, so stdout stays the result."""

import sys


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
