"""A data set as four arrays, and reading one from a user's .npz file."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emu.errors import EmuError

ARRAYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_npz(path: Path) -> Dataset:
    """DATA.npz with arrays x_train, y_train, x_test, y_test (one sample per row)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [name for name in ARRAYS if name not in archive.files]
            if missing:
                raise EmuError(f"{path} lacks {', '.join(missing)}: it needs arrays {', '.join(ARRAYS)}")
            arrays = {name: archive[name] for name in ARRAYS}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise EmuError(f"cannot read data {path}: {e}") from None
    return checked_dataset(arrays, str(path))


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
