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


def module_name(path: Path) -> str:
    parts = path.relative_to(EMU.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in EMU.rglob("*.py")}


def imported_modules(path: Path):
    """The emu modules a file imports anywhere in it (at the top, inside a function, under
    TYPE_CHECKING), each with the line: `from emu.x import y` names the module emu.x.y when
    there is one, else emu.x."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: counted up from this module's package
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != own:
                yield name, node.lineno


def test_no_two_modules_import_each_other():
    # A pair that imports each other (even inside a function) is one idea split in two, or
    # two ideas tangled: the shared part belongs in a module of its own below both.
    imports = {name: dict(imported_modules(path)) for name, path in MODULES.items()}
    pairs = sorted(f"{a}:{imports[a][b]} <-> {b}:{imports[b][a]}"
                   for a in imports for b in imports[a] if a < b and a in imports.get(b, {}))
    assert not pairs, "\n".join(pairs)


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
