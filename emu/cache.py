"""The one cache: a folder of content-addressed entries, safe for concurrent and killed runs.

Everything emu remembers between runs lives under `root()` (`$EMU_CACHE`, or
`$XDG_CACHE_HOME/emu`, or `~/.cache/emu`), one sub-folder per kind: firmware builds, the
trace plugin, measured results, task variant folders, drawn reports. An entry's name is a
key over everything its content depends on, so a stale entry is never served: it is
simply never asked for again.

Writes never show half a value, and never write through a link. A file is written to a
fresh private name in its own folder (created exclusively, so no existing file or link is
reused) and renamed over its final name, which replaces a symbolic link there rather
than following it. A folder entry is assembled in this run's scratch folder, sealed with
a manifest of its files' SHA-256, and renamed into place; a reader checks the manifest
and treats a damaged entry as a miss. Scratch folders live under `root()/tmp`, one per
process, named by host and pid: removed at exit, and swept by the next run once their
process is gone, so even `kill -9` leaves nothing behind for long.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from emu.console import say
from emu.errors import EmuError, shown


def root() -> Path:
    given = os.environ.get("EMU_CACHE")
    base = Path(given or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "emu"))
    if given and base.exists() and not base.is_dir():
        raise EmuError(f"EMU_CACHE={shown(given, 200)} is not a folder")
    return base


def key(*parts: str | bytes, length: int = 64) -> str:
    """A hex digest over the parts, each kept apart from the next so ("ab", "c") != ("a", "bc")."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()[:length]


def platform_fingerprint(platform) -> str:
    """Every resolved field of a board, not its file's text: a board and its ':soft-float'
    form share one file but build and measure differently. A pinned kernel set is left out:
    the name says it, and every key holds the kernel set resolved."""
    fields = {f.name: getattr(platform, f.name) for f in dataclasses.fields(platform)
              if f.name not in ("path", "kernels")}
    return json.dumps(fields, sort_keys=True, default=str)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing. A symlink at the final name is replaced, never followed."""
    path = Path(path)
    ensure_folder(path.parent)
    if path.is_dir() and not path.is_symlink():
        raise EmuError(f"cannot write {path}: it is a folder")
    try:
        # mkstemp opens with O_CREAT | O_EXCL (and O_NOFOLLOW): a fresh file, never a link's target.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise EmuError(f"cannot write {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)  # what open() would give, not mkstemp's 0600
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise EmuError(f"cannot write {path}: {e.strerror}") from None
    except BaseException:
        _unlink(tmp)
        raise


def copy_file(source: Path, target: Path) -> None:
    """atomic_write with another file's bytes (the outputs emu copies are small)."""
    atomic_write(target, Path(source).read_bytes())


def ensure_folder(folder: Path) -> Path:
    """An output folder, created if missing; a file in its place is a user error, not a traceback."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise EmuError(f"{folder} exists and is not a folder") from None
    except NotADirectoryError:
        raise EmuError(f"{folder}: a part of this path is a file, not a folder") from None
    except OSError as e:
        raise EmuError(f"cannot create folder {folder}: {e.strerror}") from None
    return folder


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before any threads write.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# ---- this run's scratch folder -------------------------------------------------------------

_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"
_runs: dict[tuple[Path, int], Path] = {}  # (root()/tmp, pid) -> that process's scratch folder


def run_folder() -> Path:
    """This process's scratch folder, `root()/tmp/<host>-<pid>-<random>`: made on first use
    (sweeping what dead runs left), removed at exit."""
    tmp_root = root() / "tmp"
    here = (tmp_root, os.getpid())
    folder = _runs.get(here)
    if folder is None or not folder.is_dir():
        ensure_folder(tmp_root)
        sweep()
        folder = _new_folder(f"{_HOST}-{os.getpid()}-", tmp_root)
        _runs[here] = folder
    return folder


def _new_folder(prefix: str, parent: Path) -> Path:
    """A fresh private folder in parent; a full disk or a read-only place is a one-line error."""
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as e:
        raise EmuError(f"cannot create a folder in {shown(str(parent), 200)}: {e.strerror}") from None


_swept: set[tuple[Path, int]] = set()


def sweep(force: bool = True) -> list[Path]:
    """Remove the scratch folders of this host's runs whose process is gone. Reading the
    cache sweeps once per process (force=False), so a run served wholly from the cache
    cleans up after a killed one too."""
    tmp_root = root() / "tmp"
    if not force and (tmp_root, os.getpid()) in _swept:
        return []
    _swept.add((tmp_root, os.getpid()))
    removed = []
    mine = {f for (_, pid), f in _runs.items() if pid == os.getpid()}
    for folder in Path(tmp_root).iterdir() if Path(tmp_root).is_dir() else ():
        if not folder.is_dir():
            continue
        host, _, rest = folder.name.rpartition("-")[0].rpartition("-")
        pid = int(rest) if rest.isdigit() else None
        # Another host's pids mean nothing here (a cache shared between machines or containers).
        # A folder named with this process's own pid but not made by it was left by an earlier,
        # dead holder of the pid.
        if host != _HOST or pid is None or folder in mine or (pid != os.getpid() and _alive(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    return True


@atexit.register
def _remove_run_folders() -> None:
    for (_, pid), folder in list(_runs.items()):
        if pid == os.getpid():  # a forked child leaves its parent's folder alone
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def temp_folder(prefix: str = "emu-") -> Iterator[Path]:
    """A private folder inside this run's scratch folder, removed afterwards whatever happens."""
    work = _new_folder(prefix, run_folder())
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def staging(parent: Path, name: str) -> Iterator[Path]:
    """A private folder to assemble what will be renamed into `parent`: in this run's scratch
    folder when that is on the same file system (a rename cannot cross file systems), else
    hidden in the destination's nearest existing folder. Nothing is created at the
    destination until the caller publishes."""
    nearest = Path(parent).absolute()
    while not nearest.exists():
        nearest = nearest.parent
    if os.stat(nearest).st_dev == os.stat(run_folder()).st_dev:
        with temp_folder(f"{name[:40]}-") as work:
            yield work
        return
    work = _new_folder(f".{name[:40]}-", nearest)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- folder entries: sealed on publish, checked on read --------------------------------------

MANIFEST = ".emu-manifest.json"


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def publish(folder: Path, final: Path, replace: bool = False) -> None:
    """Seal a finished staging folder with its manifest (written last) and rename it into
    place. If another run published the same key first, theirs is identical and stays;
    with replace, an old entry is swapped out."""
    final = Path(final)
    atomic_write(folder / MANIFEST, json.dumps({"files": _digests(folder)}, indent=1, sort_keys=True))
    ensure_folder(final.parent)
    if replace and final.exists():
        _discard(final)
    try:
        folder.rename(final)
    except OSError as e:
        if not final.is_dir():  # not another run's copy of the same entry: a real failure
            raise EmuError(f"cannot store {final} in the cache: {e.strerror}") from None


def entry(final: Path) -> Path | None:
    """A published folder entry whose files match its manifest, else None: a damaged entry
    (cut short, edited, half deleted) is removed with a notice, so the caller rebuilds it."""
    final = Path(final)
    sweep(force=False)
    if not final.exists():
        return None
    problem = _damage(final)
    if problem is None:
        return final
    say(f"cache entry {final} is damaged ({problem}): rebuilding it")
    _discard(final)
    return None


def _damage(final: Path) -> str | None:
    try:
        listed = json.loads((final / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if not isinstance(listed, dict):
        return "no readable manifest"
    for name, digest in listed.items():
        try:
            if hashlib.sha256((final / name).read_bytes()).hexdigest() != digest:
                return f"{name} does not match its checksum"
        except OSError:
            return f"{name} is missing"
    return None


def _discard(path: Path) -> None:
    """Take a folder out of sight at once (a rename into this run's scratch folder, which a
    later run sweeps should this one die half way), then delete it."""
    aside = run_folder() / f"discard-{secrets.token_hex(4)}"
    try:
        Path(path).rename(aside)
    except OSError:
        aside = Path(path)
    shutil.rmtree(aside, ignore_errors=True)


class ContentStore:
    """JSON values by key in one cache folder, each stored with the SHA-256 of its text."""

    def __init__(self, folder: Path):
        self.root = Path(folder)

    def path_for(self, key: str) -> Path:
        # Two-character shards keep folders small when a cache holds many runs.
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        path = self.path_for(key)
        sweep(force=False)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            problem = str(e)
        else:
            digest, _, value = text.partition("\n")
            if hashlib.sha256(value.encode()).hexdigest() == digest:
                return json.loads(value)
            problem = "its content does not match its checksum"
        # Cut short, edited, or from an older emu: a miss, recomputed and replaced.
        say(f"cache entry {path} is damaged ({problem}): recomputing it")
        _unlink(path)
        return None

    def put(self, key: str, value: dict) -> None:
        text = json.dumps(value)
        atomic_write(self.path_for(key), hashlib.sha256(text.encode()).hexdigest() + "\n" + text)


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
