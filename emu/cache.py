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
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import socket
import stat
import sys
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
    # Absolute: emulators run in a private folder of the cache, where a relative path would miss.
    return Path(os.path.abspath(base))


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
    """Write a whole output, never replacing what is not a regular file:

    - a regular file, a new name, or a symbolic link to a regular file or to nothing: a fresh
      file is written and renamed over the name (a link there is replaced, never followed);
    - `-`, or a name of one of this process's descriptors (`/dev/stdout`, `/dev/fd/N`): written
      to that descriptor;
    - a character device or a pipe (or a link to one): written through, as a stream;
    - a folder, or anything else (a socket, a block device): a one-line error.
    """
    data = data.encode() if isinstance(data, str) else data
    descriptor = own_descriptor(path)
    if descriptor is not None:
        _write_descriptor(descriptor, path, data)
        return
    path = Path(path)
    kind = _existing_kind(path)
    if kind == "stream":
        _write_stream(path, data)
    elif kind == "folder":
        raise EmuError(f"cannot write {_label(path)}: it is a folder")
    elif kind is not None:
        raise EmuError(f"cannot write {_label(path)}: it is a {kind}, not a regular file, a character device or a pipe")
    else:
        _write_by_rename(path, data)


def own_descriptor(path: str | Path) -> int | None:
    """The descriptor `path` names in this process: 1 for `-`, N for `/dev/fd/N`,
    `/proc/self/fd/N` or a link to one (`/dev/stdout`, `/dev/stderr`); else None. Such a name is
    written through even when the descriptor is a regular file: replacing `/dev/stdout` with a
    file would break every later program that prints."""
    if str(path) == "-":
        return 1
    here = os.path.abspath(path)
    own_folder = f"/proc/{os.getpid()}/fd"
    for _ in range(40):  # the kernel's own limit on links in a row
        folder, name = os.path.split(here)
        if name.isdigit() and os.path.realpath(folder) == own_folder:
            return int(name)
        if not os.path.islink(here):
            return None
        here = os.path.normpath(os.path.join(folder, os.readlink(here)))
    return None


def _existing_kind(path: Path) -> str | None:
    """What `path` leads to when it is not written by rename: "stream", "folder", or the
    name of another kind of file; None for a regular file, a link that is replaced, or nothing yet."""
    try:
        found = os.lstat(path)
        if stat.S_ISLNK(found.st_mode):
            try:
                target = os.stat(path)
            except OSError:
                return None  # dangling, or a loop: the link is replaced
            # A link to a device or a pipe is written through; any other link is replaced.
            return "stream" if stat.S_ISCHR(target.st_mode) or stat.S_ISFIFO(target.st_mode) else None
    except (FileNotFoundError, NotADirectoryError):
        return None  # a new name, or a path through a file (refused when its folder is made)
    except OSError as e:
        raise EmuError(f"cannot write {_label(path)}: {e.strerror}") from None
    mode = found.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    if stat.S_ISDIR(mode):
        return "folder"
    return "socket" if stat.S_ISSOCK(mode) else "block device" if stat.S_ISBLK(mode) else "special file"


def _write_descriptor(fd: int, path: str | Path, data: bytes) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # what was printed before comes first
        except (OSError, ValueError):
            pass
    try:
        _write_all(fd, data)
    except OSError as e:
        raise EmuError(f"cannot write {_label(path)}: {e.strerror}") from None


def _write_stream(path: Path, data: bytes) -> None:
    # O_NONBLOCK for the open only: a pipe nobody reads is an error now, not a wait forever.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        reason = "no process is reading this pipe" if e.errno == errno.ENXIO else e.strerror
        raise EmuError(f"cannot write {_label(path)}: {reason}") from None
    try:
        os.set_blocking(fd, True)
        _write_all(fd, data)
    except OSError as e:
        raise EmuError(f"cannot write {_label(path)}: {e.strerror}") from None
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_by_rename(path: Path, data: bytes, scratch: Path | None = None) -> None:
    """A fresh private file in `scratch` (default: the final name's folder, as a rename cannot
    cross file systems), renamed over `path`."""
    ensure_folder(path.parent)
    try:
        # mkstemp opens with O_CREAT | O_EXCL (and O_NOFOLLOW): a fresh file, never a link's target.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=scratch or path.parent)
    except OSError as e:
        raise EmuError(f"cannot write {_label(path)}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)  # what open() would give, not mkstemp's 0600
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise EmuError(f"cannot write {_label(path)}: {e.strerror}") from None
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
        raise EmuError(f"{_label(folder)} exists and is not a folder") from None
    except NotADirectoryError:
        raise EmuError(f"{_label(folder)}: a part of this path is a file, not a folder") from None
    except OSError as e:
        raise EmuError(f"cannot create folder {_label(folder)}: {e.strerror}") from None
    return folder


def _label(path: str | Path) -> str:
    """A path in a one-line message: escaped (a name may hold a newline or a terminal escape)."""
    return shown(str(path), 160)


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
        cache_folder(tmp_root)
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


# ---- what the cache holds: only what emu put there ------------------------------------------

KEY_VARIABLE = "EMU_CACHE_KEY"
MAX_VALUE_BYTES = 256 << 20  # far above any stored value; a larger file is not one of emu's


def signing_key() -> bytes | None:
    """The key entries are signed with ($EMU_CACHE_KEY), or None: then a digest shows damage but
    not forgery (docs/decisions.md, "The cache")."""
    return os.environ.get(KEY_VARIABLE, "").encode() or None


def _signature(text: bytes, key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, text, hashlib.sha256).hexdigest()


def _seal(text: bytes) -> str:
    """The first line stored before a value: its sha256, and its HMAC when a key is set."""
    key = signing_key()
    digest = hashlib.sha256(text).hexdigest()
    return digest if key is None else f"{digest} {_signature(text, key)}"


def _seal_problem(seal: bytes, text: bytes) -> str | None:
    """Why the first line stored before a value does not vouch for it, or None. Bytes: a
    hostile line need not be text."""
    digest, _, signature = seal.partition(b" ")
    if not hmac.compare_digest(digest, hashlib.sha256(text).hexdigest().encode()):
        return "its content does not match its checksum"
    key = signing_key()
    if key is not None and not hmac.compare_digest(signature, _signature(text, key).encode()):
        return f"it is not signed with {KEY_VARIABLE}"
    return None


def cache_folder(folder: Path) -> Path:
    """A folder inside the cache, made if missing. Anything else in the way (a file, a link, a
    pipe where a folder belongs) was not put there by emu: it is removed, with a notice."""
    folder = Path(folder)
    base = root()
    try:
        parts = folder.relative_to(base).parts
    except ValueError:
        return ensure_folder(folder)
    here = ensure_folder(base)
    for part in parts:
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as e:
            raise EmuError(f"cannot use the cache folder {_label(here)}: {e.strerror}") from None
        if mode is not None and not stat.S_ISDIR(mode):
            say(f"cache: {_label(here)} is not a folder emu made: removing it")
            _discard(here)
        try:
            here.mkdir(exist_ok=True)
        except OSError as e:
            raise EmuError(f"cannot create folder {_label(here)}: {e.strerror}") from None
    return folder


def _read_regular(path: Path) -> bytes | None:
    """A regular file's bytes, never through a link, a pipe or a device: None when nothing is
    there; OSError (with a reason) for anything else, or a file too large to be emu's."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(e.errno, "it is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as f:
        found = os.fstat(f.fileno())
        if not stat.S_ISREG(found.st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
        if found.st_size > MAX_VALUE_BYTES:
            raise OSError(errno.EFBIG, f"it holds {found.st_size:,} bytes")
        return f.read()


# ---- folder entries: sealed on publish, checked on read --------------------------------------

MANIFEST = ".emu-manifest.json"


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


SIGNATURE = "signature"  # a manifest's HMAC of its file list, with $EMU_CACHE_KEY


def _files_text(files: dict[str, str]) -> bytes:
    return json.dumps(files, sort_keys=True).encode()


def publish(folder: Path, final: Path, replace: bool = False) -> None:
    """Seal a finished staging folder with its manifest (written last) and rename it into
    place. If another run published the same key first, theirs is identical and stays;
    with replace, an old entry is swapped out."""
    final = Path(final)
    files = _digests(folder)
    manifest: dict = {"files": files}
    key = signing_key()
    if key is not None:
        manifest[SIGNATURE] = _signature(_files_text(files), key)
    atomic_write(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    cache_folder(final.parent)
    if replace and os.path.lexists(final):
        _discard(final)
    try:
        folder.rename(final)
    except OSError as e:
        if not final.is_dir():  # not another run's copy of the same entry: a real failure
            raise EmuError(f"cannot store {_label(final)} in the cache: {e.strerror}") from None


def entry(final: Path) -> Path | None:
    """A published folder entry holding exactly the files its manifest lists, each matching its
    digest (and the manifest its signature, with a key), else None: anything else at that
    name (cut short, edited, half deleted, a file or a link, a file added) is removed with a
    notice, so the caller rebuilds it."""
    final = Path(final)
    sweep(force=False)
    if not os.path.lexists(final):
        return None
    problem = _damage(final)
    if problem is None:
        return final
    say(f"cache entry {_label(final)} is damaged ({problem}): rebuilding it")
    _discard(final)
    return None


def _damage(final: Path) -> str | None:
    if not stat.S_ISDIR(os.lstat(final).st_mode):
        return "it is not a folder"
    try:
        manifest = json.loads(_read_regular(final / MANIFEST) or b"")
        listed = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if not isinstance(listed, dict) or not all(isinstance(d, str) for d in listed.values()):
        return "no readable manifest"
    key = signing_key()
    if key is not None and not hmac.compare_digest(str(manifest.get(SIGNATURE, "")).encode(),
                                                   _signature(_files_text(listed), key).encode()):
        return f"its manifest is not signed with {KEY_VARIABLE}"
    present = {p.relative_to(final).as_posix() for p in final.rglob("*")
               if p.name != MANIFEST and (p.is_symlink() or not p.is_dir())}
    for name in sorted(present - set(listed)):
        return f"{name} is not one of its files"
    for name, digest in listed.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            return f"its manifest names {shown(name)}, outside the entry"
        try:
            data = _read_regular(final / name)
        except OSError as e:
            return f"{shown(name)}: {e.strerror}"
        if data is None:
            return f"{shown(name)} is missing"
        if hashlib.sha256(data).hexdigest() != digest:
            return f"{shown(name)} does not match its checksum"
    return None


def _discard(path: Path) -> None:
    """Take whatever is at `path` out of sight at once (a rename into this run's scratch
    folder, which a later run sweeps should this one die half way), then delete it; a link
    is removed, never followed."""
    path = Path(path)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        _unlink(path)
        return
    aside = run_folder() / f"discard-{secrets.token_hex(4)}"
    try:
        path.rename(aside)
    except OSError:
        aside = path
    shutil.rmtree(aside, ignore_errors=True)


class ContentStore:
    """JSON values by key in one cache folder, each stored after a line with the SHA-256 of
    its text (and its HMAC, with $EMU_CACHE_KEY)."""

    def __init__(self, folder: Path):
        self.root = Path(folder)

    def path_for(self, key: str) -> Path:
        # Two-character shards keep folders small when a cache holds many runs.
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        path = self.path_for(key)
        sweep(force=False)
        try:
            stored = _read_regular(path)
            if stored is None:
                return None
            seal, _, text = stored.partition(b"\n")
            problem = _seal_problem(seal, text)
            if problem is None:
                value = json.loads(text)
                if isinstance(value, dict):
                    return value
                problem = "it does not hold a stored value"
        except OSError as e:
            problem = e.strerror or str(e)
        except ValueError as e:
            problem = str(e)
        # Cut short, edited, forged, or from an older emu: a miss, recomputed and replaced.
        say(f"cache entry {_label(path)} is damaged ({problem}): recomputing it")
        self.forget(key)
        return None

    def forget(self, key: str) -> None:
        path = self.path_for(key)
        if os.path.lexists(path):
            _discard(path)

    def put(self, key: str, value: dict) -> None:
        """Store a value; a cache that cannot take it (a full disk) costs a rerun, not this run."""
        text = json.dumps(value).encode()
        path = self.path_for(key)
        try:
            cache_folder(path.parent)
            if os.path.lexists(path) and (os.path.islink(path) or not os.path.isfile(path)):
                _discard(path)
            # Written in this run's scratch folder, so a run killed half way leaves nothing
            # in the store that a later run does not sweep.
            scratch = run_folder()
            same_disk = os.stat(scratch).st_dev == os.stat(path.parent).st_dev
            _write_by_rename(path, (_seal(text) + "\n").encode() + text, scratch if same_disk else None)
        except EmuError as e:
            say(f"emu: note: not stored in the cache: {e}")


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
