"""Optional packages: a command that needs a missing one names the extra that brings it."""

import subprocess
import sys

import pytest

from emu.errors import EmuError
from emu.extras import EXTRAS, require


@pytest.mark.parametrize("module,extra", [("sklearn.datasets", "variants"), ("tensorflow", "variants"),
                                          ("plotly.graph_objects", "report")])
def test_missing_optional_package_names_its_extra(monkeypatch, module, extra):
    for name in {module.split(".")[0], module}:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes the import fail
    with pytest.raises(EmuError, match=rf"pip install 'emu\[{extra}\]'") as info:
        require(module)
    assert "\n" not in str(info.value)


def test_variants_command_without_the_extra_is_one_line_and_exit_2(tmp_path):
    # sklearn blocked in the child: the built-in digits task cannot load its data set
    code = ("import sys\nsys.modules['sklearn'] = None\nsys.modules['sklearn.datasets'] = None\n"
            "from emu.cli.app import main\nsys.argv = ['emu', 'variants', '--task', 'digits', '--out', sys.argv[1]]\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "v")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 2
    assert "emu[variants]" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) <= 3  # progress line(s) and the one-line reason


def test_every_extra_module_is_a_declared_extra():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    assert set(EXTRAS) <= set(project["optional-dependencies"])
