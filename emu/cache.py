"""The one cache: a folder of content-addressed entries, safe for concurrent and killed runs.

Everything emu remembers between runs lives under `root()` (`$EMU_CACHE`, or
`$XDG_CACHE_HOME/emu`, or `~/.cache/emu`), one sub-folder per kind: firmware builds, the
trace plugin, measured results, variant folders, drawn reports. An entry's name is a key
over everything its content depends on, so a stale entry is never served: it is simply
never asked for again.

Writes never show half a value. A file is written to a private temporary name in the
same folder and renamed over its final name; a folder is assembled in a private staging
folder and renamed into place. A rename within one file system is atomic, so a reader
sees no entry or a whole one, however many processes share the cache. Two writers of
one key write the same content, so whichever rename lands last is fine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def root() -> Path:
    base = os.environ.get("EMU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "emu")
    return Path(base)


def key(*parts: str | bytes, length: int = 64) -> str:
    """A hex digest over the parts, each kept apart from the next so ("ab", "c") != ("a", "bc")."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()[:length]


def platform_fingerprint(platform) -> str:
    """Every resolved field of a board, not its file's text: a board and its ':soft-float'
    form share one file but build and measure differently."""
    fields = {f.name: getattr(platform, f.name) for f in dataclasses.fields(platform) if f.name != "path"}
    return json.dumps(fields, sort_keys=True, default=str)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing. A symlink at the final name is replaced, never followed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


@contextmanager
def staging(parent: Path, name: str) -> Iterator[Path]:
    """A private folder beside where an entry will live, removed afterwards whatever happens."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name[:40]}-", dir=parent))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish(folder: Path, final: Path, replace: bool = False) -> None:
    """Rename a finished staging folder into place. If another run published the same key
    first, theirs is identical and stays; with replace, an old entry is swapped out."""
    if replace and final.exists():
        shutil.rmtree(final, ignore_errors=True)
    try:
        folder.rename(final)
    except OSError:
        pass


class ContentStore:
    """JSON values by key in one cache folder."""

    def __init__(self, folder: Path):
        self.root = Path(folder)

    def path_for(self, key: str) -> Path:
        # Two-character shards keep folders small when a cache holds many runs.
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self.path_for(key).read_text())
        except (OSError, ValueError):
            # Missing, or not one of ours (written by hand, disk trouble): a miss, recomputed and replaced.
            return None

    def put(self, key: str, value: dict) -> None:
        atomic_write(self.path_for(key), json.dumps(value))


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
