"""Tensors in .npy files given by users, checked against what the model expects before the
data is read: a wrong or hostile file gives one line naming the expected and given form."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from emu.errors import EmuError, shown


def load_tensor(path: Path, shape: tuple[int, ...], dtype: str, what: str = "input") -> np.ndarray:
    """The array in `path`, which must hold `dtype` values of `shape` (or as many values)."""
    where = f"{what} {shown(str(path), 200)}"
    want = np.dtype(dtype)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise EmuError(f"{where} is not a regular file")
        with open(path, "rb") as f:
            try:
                version = npy_format.read_magic(f)
                header = (npy_format.read_array_header_1_0 if version == (1, 0)
                          else npy_format.read_array_header_2_0)(f)
            except (ValueError, OSError, EOFError) as e:
                raise EmuError(f"{where} is not a .npy file ({shown(str(e))})") from None
            given_shape, _, given_dtype = header
            if given_dtype != want:
                raise EmuError(f"{where} holds {given_dtype}, the model expects {want} of shape {list(shape)}")
            if given_shape != tuple(shape) and int(np.prod(given_shape)) != int(np.prod(shape)):
                raise EmuError(f"{where} has shape {list(given_shape)}, the model expects {list(shape)} ({want})")
            need = int(np.prod(given_shape)) * want.itemsize
            start = f.tell()
            have = path.stat().st_size - start
            if have != need:
                raise EmuError(f"{where} holds {have} bytes of data, its header says {need}")
            f.seek(0)
            data = f.read(start + need)
        x = np.load(io.BytesIO(data), allow_pickle=False)
    except FileNotFoundError:
        raise EmuError(f"{where} not found") from None
    except OSError as e:
        raise EmuError(f"cannot read {where}: {e.strerror or e}") from None
    except ValueError as e:
        raise EmuError(f"cannot read {where}: {shown(str(e))}") from None
    return x.reshape(shape)


def save_tensor(path: Path, x: np.ndarray) -> None:
    """Write `x` as .npy to exactly `path` (np.save would add '.npy'), whole or not at all."""
    from emu.cache import atomic_write

    buffer = io.BytesIO()
    np.save(buffer, np.asarray(x), allow_pickle=False)
    try:
        atomic_write(Path(path), buffer.getvalue())
    except OSError as e:
        raise EmuError(f"cannot write {shown(str(path), 200)}: {e.strerror or e}") from None
