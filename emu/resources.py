"""The files emu ships inside its package: the device firmware's C sources, the board files
and the trace plugin's source. One home for finding them, so an installed wheel works the
same as a checkout.

setuptools installs a package as plain files, so each folder is a real directory that the
compiler can be pointed at; a zipped install (which would need extracting first) is refused
in one line rather than failing later inside gcc.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from emu.errors import EmuError


def package_folder(*parts: str) -> Path:
    folder = files("emu").joinpath(*parts)
    path = Path(str(folder))
    if not path.is_dir():
        raise EmuError(f"emu's package files are missing: {'/'.join(parts)} "
                       f"(reinstall emu; a zipped install is not supported)")
    return path


FIRMWARE = package_folder("firmware")
BOARDS = package_folder("boards")
PLUGIN = package_folder("emulators", "plugin")
