"""A data set as four arrays, and reading one from a user's .npz file."""

from __future__ import annotations

import math
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from emu.errors import EmuError, shown

ARRAYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# The most a data set may hold, all four arrays together: far more than a microcontroller
# model trains on, and a bound on what a header that lies about its shape can make emu allocate.
MAX_DATA_BYTES = 2 << 30


def load_npz(path: Path) -> Dataset:
    """DATA.npz with arrays x_train, y_train, x_test, y_test (one sample per row). Each array's
    header is checked against the bytes the archive holds, and pickled arrays are refused,
    before any array is read."""
    path = Path(path)
    where = shown(str(path), 200)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, a device never end
            raise EmuError(f"data {where} is not a regular file")
        with zipfile.ZipFile(path) as archive:
            members = {name[:-4]: archive.getinfo(name) for name in archive.namelist() if name.endswith(".npy")}
            missing = [name for name in ARRAYS if name not in members]
            if missing:
                raise EmuError(f"{where} lacks {', '.join(missing)}: it needs arrays {', '.join(ARRAYS)}")
            claimed = sum(_checked_member(archive, members[name], f"{name} in {where}") for name in ARRAYS)
            if claimed > MAX_DATA_BYTES:
                raise EmuError(f"{where} holds {claimed:,} bytes of arrays, more than the {MAX_DATA_BYTES:,} a data "
                               f"set may have")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in ARRAYS}
    except FileNotFoundError:
        raise EmuError(f"data {where} not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise EmuError(f"cannot read data {where}: {shown(str(e), 120)}") from None
    except MemoryError:
        raise EmuError(f"data {where} does not fit in this machine's memory") from None
    return checked_dataset(arrays, str(path))


def _checked_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> int:
    """The data bytes of one .npy member, after checking that its header describes a plain
    numeric array whose size is what the archive holds."""
    with archive.open(info) as f:
        try:
            version = npy_format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy version {version}")
            shape, _, dtype = (npy_format.read_array_header_1_0 if version == (1, 0)
                               else npy_format.read_array_header_2_0)(f)
        except (ValueError, OSError, EOFError) as e:
            raise EmuError(f"{what} is not a .npy array ({shown(str(e), 120)})") from None
        header_bytes = f.tell()
    if dtype.hasobject or dtype.kind not in "biuf":
        raise EmuError(f"{what} must be numeric, it is {shown(str(dtype), 40)} (pickled objects are refused)")
    need = math.prod(shape) * dtype.itemsize
    have = info.file_size - header_bytes
    if need != have:
        raise EmuError(f"{what}: its header says shape {list(shape)} of {dtype} ({need:,} bytes), the archive "
                       f"holds {have:,}")
    return need


def checked_dataset(arrays: dict[str, np.ndarray], where: str) -> Dataset:
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise EmuError(f"{name} in {where} must be numeric, it is {array.dtype}")
        if array.ndim == 0 or len(array) == 0:
            raise EmuError(f"{name} in {where} is empty")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise EmuError(f"x_{split} has {len(x)} samples but y_{split} has {len(y)} in {where}")
    return Dataset(arrays["x_train"].astype(np.float32), arrays["y_train"],
                   arrays["x_test"].astype(np.float32), arrays["y_test"])
