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
# A model with several outputs has the labels of output i as y_train_<i> and y_test_<i>.
MAX_OUTPUTS = 64


@dataclass
class Dataset:
    """One output's labels as arrays; several outputs' as lists of arrays, in output order."""

    x_train: np.ndarray
    y_train: np.ndarray | list[np.ndarray]
    x_test: np.ndarray
    y_test: np.ndarray | list[np.ndarray]

    @property
    def outputs(self) -> int:
        return len(self.y_train) if isinstance(self.y_train, list) else 1

    def labels(self, split: str) -> list[np.ndarray]:
        """The labels of `split` ("train" or "test"), one array per output."""
        y = getattr(self, f"y_{split}")
        return list(y) if isinstance(y, list) else [y]


# The most a data set may hold, all four arrays together: far more than a microcontroller
# model trains on, and a bound on what a header that lies about its shape can make emu allocate.
MAX_DATA_BYTES = 2 << 30


def load_npz(path: Path) -> Dataset:
    """DATA.npz with arrays x_train, y_train, x_test, y_test (one sample per row), or, for a
    model with several outputs, y_train_0, y_test_0, y_train_1, ... in place of y_train and
    y_test. Each array's header is checked against the bytes the archive holds, and pickled
    arrays are refused, before any array is read."""
    path = Path(path)
    where = shown(str(path), 200)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, a device never end
            raise EmuError(f"data {where} is not a regular file")
        with zipfile.ZipFile(path) as archive:
            members = {name[:-4]: archive.getinfo(name) for name in archive.namelist() if name.endswith(".npy")}
            names = array_names(members, where)
            claimed = sum(_checked_member(archive, members[name], f"{name} in {where}") for name in names)
            if claimed > MAX_DATA_BYTES:
                raise EmuError(f"{where} holds {claimed:,} bytes of arrays, more than the {MAX_DATA_BYTES:,} a data "
                               f"set may have")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in names}
    except FileNotFoundError:
        raise EmuError(f"data {where} not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise EmuError(f"cannot read data {where}: {shown(str(e), 120)}") from None
    except MemoryError:
        raise EmuError(f"data {where} does not fit in this machine's memory") from None
    return checked_dataset(arrays, str(path))


def array_names(members, where: str) -> list[str]:
    """The arrays to read: ARRAYS, or x_train, x_test and y_train_<i>, y_test_<i> for each output i."""
    if "y_train" in members or "y_test" in members or "y_train_0" not in members:
        missing = [name for name in ARRAYS if name not in members]
        if missing:
            raise EmuError(f"{where} lacks {', '.join(missing)}: it needs arrays {', '.join(ARRAYS)} (or "
                           f"y_train_0, y_test_0, y_train_1, ... for a model with several outputs)")
        return list(ARRAYS)
    count = 0
    while f"y_train_{count}" in members and count < MAX_OUTPUTS:
        count += 1
    names = ["x_train", "x_test", *[f"y_{split}_{i}" for i in range(count) for split in ("train", "test")]]
    missing = [name for name in names if name not in members]
    if missing:
        raise EmuError(f"{where} lacks {', '.join(missing)}: each output i needs y_train_i and y_test_i")
    return names


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
    labels = {}
    for split in ("train", "test"):
        x = arrays[f"x_{split}"]
        names = [f"y_{split}"] if f"y_{split}" in arrays else sorted(
            (n for n in arrays if n.startswith(f"y_{split}_")), key=lambda n: int(n.rsplit("_", 1)[1]))
        for name in names:
            if len(x) != len(arrays[name]):
                raise EmuError(f"x_{split} has {len(x)} samples but {name} has {len(arrays[name])} in {where}")
        labels[split] = arrays[names[0]] if names == [f"y_{split}"] else [arrays[n] for n in names]
    return Dataset(arrays["x_train"].astype(np.float32), labels["train"],
                   arrays["x_test"].astype(np.float32), labels["test"])
