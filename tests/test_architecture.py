"""The layering in docs/architecture.md, checked on the code itself: each package imports
only from the layers below it, and loading decisions does not pull in the measuring stack."""

import ast
import subprocess
import sys
from pathlib import Path

EMU = Path(__file__).resolve().parent.parent / "emu"

# Bottom to top. A package may import from its own layer's foundations and from any layer
# before it in this list, never from one after it. (docs/architecture.md has the picture.)
LAYERS = [
    {"errors", "console", "cache", "configs", "tools", "extras", "platforms", "resources", "elf", "processes"},
    {"model"},
    {"compile"},
    {"link"},
    {"emulators"},
    {"timing"},
    {"results"},
    {"variants"},
    {"decide"},
    {"orchestrate", "doctor"},
    {"cli", "__main__"},
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def top_package(path: Path) -> str:
    rel = path.relative_to(EMU)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_packages(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "emu" and len(parts) > 1:
                yield parts[1], node.lineno


def test_every_module_is_placed_in_a_layer():
    packages = {top_package(p) for p in EMU.rglob("*.py")} - {"__init__"}
    assert packages <= set(LEVEL), f"not in any layer: {packages - set(LEVEL)}"


def test_imports_point_down_the_pipeline():
    wrong = []
    for path in EMU.rglob("*.py"):
        own = top_package(path)
        if own == "__init__":
            continue
        for imported, line in imported_packages(path):
            if imported in LEVEL and LEVEL[imported] > LEVEL[own]:
                wrong.append(f"{path.relative_to(EMU)}:{line} imports emu.{imported}")
    assert not wrong, "\n".join(wrong)


def test_decide_loads_without_measuring():
    # decide sits above results for the record only; measuring is emu.orchestrate's to pull in.
    code = ("import sys, emu.decide, emu.decide.recommend, emu.decide.gate, emu.decide.report_md\n"
            "heavy = [m for m in ('emu.compile', 'emu.link', 'emu.emulators.qemu', 'emu.results.measure',"
            " 'tensorflow', 'tflite_micro') if m in sys.modules]\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"importing emu.decide loaded {out.stdout.strip()}"


def test_external_programs_are_found_only_through_tools():
    # One home for finding programs (emu/tools.py): its table gives every missing one the same
    # one-line fix, and `emu doctor` checks the same list.
    elsewhere = []
    for path in EMU.rglob("*.py"):
        if path.name == "tools.py" and path.parent == EMU:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "which" and \
                    isinstance(node.value, ast.Name) and node.value.id == "shutil":
                elsewhere.append(f"{path.relative_to(EMU)}:{node.lineno}")
    assert not elsewhere, "shutil.which outside emu/tools.py: " + ", ".join(elsewhere)
