"""`emu doctor` says exactly what is missing and how to install it: a missing system tool
with its Debian package, a missing required Python package with `pip install emu`, a
missing optional one with its extra; it fails (exit 2) only for what is required."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from emu import doctor, tools

REQUIRED_TOOLS = [name for name, tool in tools.TOOLS.items() if tool.required]
needs_every_tool = pytest.mark.skipif(not all(tools.locate(name) for name in REQUIRED_TOOLS),
                                      reason="needs every tool of emu.tools.TOOLS (make setup)")


def hide_programs(monkeypatch, *hidden: str) -> None:
    real_which = shutil.which
    def which(name, *args, **options):
        return None if any(h in str(name) for h in hidden) else real_which(name, *args, **options)

    monkeypatch.setattr(tools.shutil, "which", which)


def test_a_missing_tool_is_required_and_named_with_its_debian_package(monkeypatch):
    hide_programs(monkeypatch, "qemu-system-arm")
    checks = {c.name: c for c in doctor.tool_checks()}
    qemu = checks["qemu-system-arm"]
    assert (qemu.ok, qemu.required, qemu.status) == (False, True, "MISSING")
    assert qemu.detail == ("not found, needed for running the firmware: apt-get install qemu-system-arm "
                           "(or run 'make setup' in emu's checkout)")


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_a_found_tool_shows_the_version_it_prints():
    check = {c.name: c for c in doctor.tool_checks()}["arm-none-eabi-gcc"]
    printed = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True, check=True).stdout
    assert check.ok and check.detail == printed.splitlines()[0]


def test_finding_a_missing_tool_fails_in_one_line_naming_the_package(monkeypatch):
    from emu.errors import EmuError

    hide_programs(monkeypatch, "arm-none-eabi-gcc")
    with pytest.raises(EmuError) as error:
        tools.find_tool("arm-none-eabi-gcc")
    assert str(error.value) == ("arm-none-eabi-gcc not found (emu needs it for building the firmware): "
                                "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                                "(or run 'make setup' in emu's checkout)")


def test_package_versions_are_those_installed():
    import numpy
    import yaml

    checks = {c.name: c for c in (doctor.package_check("numpy"), doctor.package_check("yaml"))}
    assert checks["python: numpy"].detail == f"{numpy.__version__} (numpy)"
    assert checks["python: yaml"].detail == f"{yaml.__version__} (PyYAML)"  # the distribution, not the module


def test_a_missing_optional_package_names_its_extra_and_is_no_failure(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)  # import plotly now fails as if not installed
    check = doctor.package_check("plotly", "report")
    assert (check.ok, check.required, check.status) == (False, False, "optional")
    assert check.detail == "not installed, only needed for the charts of the HTML report: pip install 'emu[report]'"
    assert doctor.missing_required([check]) == []


def test_a_missing_required_package_says_pip_install_emu(monkeypatch):
    monkeypatch.setitem(sys.modules, "capstone", None)
    check = doctor.package_check("capstone")
    assert (check.ok, check.required, check.status) == (False, True, "MISSING")
    assert check.detail == "not installed: pip install emu (or reinstall emu; in a checkout, make setup)"
    assert doctor.missing_required([check]) == [check]


def test_every_optional_package_is_checked_under_its_extra_and_none_is_required(monkeypatch):
    from emu.extras import EXTRAS

    for modules in EXTRAS.values():
        for module in modules:
            monkeypatch.setitem(sys.modules, module, None)
    optional = {c.name: c for c in doctor.package_checks() if c.name.endswith("]")}
    assert set(optional) == {f"python: {m} [{extra}]" for extra, modules in EXTRAS.items() for m in modules}
    for extra, modules in EXTRAS.items():
        for module in modules:
            check = optional[f"python: {module} [{extra}]"]
            assert check.status == "optional" and check.detail.endswith(f": pip install 'emu[{extra}]'")
    assert doctor.missing_required(list(optional.values())) == []


# ---- the command: its table and exit code ---------------------------------------------------

# Hides modules and programs before emu is imported, then runs `emu doctor` as installed.
RUN_HIDDEN = """
import shutil, sys
modules, programs = sys.argv[1].split(","), sys.argv[2].split(",")
for module in filter(None, modules):
    sys.modules[module] = None
real_which = shutil.which
shutil.which = lambda name, *a, **k: None if any(p and p in str(name) for p in programs) else real_which(name, *a, **k)
sys.argv = ["emu", "doctor"]
from emu.cli.app import main
main()
"""


def doctor_hiding(modules: str = "", programs: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN_HIDDEN, modules, programs], capture_output=True, text=True,
                          timeout=300)


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """check name -> (status, detail), from the table (columns are two or more spaces apart)."""
    import re

    table = {}
    for line in stdout.splitlines()[2:]:
        status, name, detail = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        table[name] = (status, detail)
    return table


@needs_every_tool
def test_without_the_variants_extra_doctor_passes_and_names_the_extra():
    # What a wheel installed without extras looks like: TensorFlow cannot be imported.
    result = doctor_hiding(modules="tensorflow")
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert table["python: tensorflow [variants]"] == (
        "optional", "not installed, only needed for making and scoring model variants (emu variants): "
                    "pip install 'emu[variants]'")
    assert table["trace plugin"][0] == "ok"
    assert result.stderr == ""


@needs_every_tool
def test_a_missing_required_tool_fails_doctor_with_exit_2_naming_it():
    result = doctor_hiding(modules="tensorflow", programs="qemu-system-arm")
    assert result.returncode == 2, result.stdout + result.stderr
    table = rows(result.stdout)
    assert table["qemu-system-arm"] == ("MISSING", "not found, needed for running the firmware: apt-get install "
                                                   "qemu-system-arm (or run 'make setup' in emu's checkout)")
    assert "trace plugin" not in table  # nothing to boot it with
    assert table["python: tensorflow [variants]"][0] == "optional"
    assert result.stderr.splitlines() == ["emu: error: missing: qemu-system-arm (how to install each is above)"]
