"""The package's shape: layers in data-flow order, no module importing from a later layer, no
import circle, and no table name that the store does not declare."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jsna.store import TABLES
from tests.conftest import ROOT

PACKAGE = ROOT / "jsna"
#: The layers, first to last. A module may import from its own layer or an earlier one.
LAYERS = [
    ("foundation", ("jsna", "jsna.errors", "jsna.files", "jsna.config", "jsna.processes", "jsna.stats")),
    ("inputs", ("jsna.inputs",)),
    ("store", ("jsna.store",)),
    ("compute", ("jsna.compute",)),
    ("pages", ("jsna.pages",)),
    ("book", ("jsna.book",)),
    ("command line", ("jsna.__main__",)),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    found = [i for i, (_, prefixes) in enumerate(LAYERS) for p in prefixes if module == p or (p != "jsna" and module.startswith(p + "."))]
    assert found, f"{module} is in no layer"
    return max(found)


def imports_of(path: Path) -> set[str]:
    """The jsna modules a file imports, at any depth of the file (functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("jsna")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jsna"):
            for alias in node.names:  # "from jsna.compute import disclosure" imports a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                          or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else node.module)  # fmt: skip
    return found


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_later_layer(module: str) -> None:
    mine = layer_of(module)
    for imported in imports_of(MODULES[module]):
        if imported == "jsna":
            continue
        assert layer_of(imported) <= mine, f"{module} ({LAYERS[mine][0]}) imports {imported} ({LAYERS[layer_of(imported)][0]})"


def test_no_import_circle() -> None:
    graph = {module: {i for i in imports_of(path) if i in MODULES and i != module and i != "jsna"} for module, path in MODULES.items()}
    # A package's __init__ is imported by its modules' imports; it may import them only if they do not import it back.
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                raise AssertionError("import circle: " + " -> ".join(trail + [module, imported]))
            if imported not in state:
                visit(imported, trail + [module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_every_table_name_in_the_package_is_declared() -> None:
    """``store.table("x")`` and ``TABLES["x"]`` name only declared tables: nothing else invents one."""
    named = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("table", "read_table"):
                first = node.args[-1] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    named.append((module, first.value))
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "TABLES":
                if isinstance(node.slice, ast.Constant):
                    named.append((module, node.slice.value))
    assert len(named) > 20
    undeclared = [(module, name) for module, name in named if name not in TABLES]
    assert not undeclared


def test_the_layers_cover_the_package_and_each_layer_is_a_folder_or_module() -> None:
    assert all(layer_of(module) >= 0 for module in MODULES)
    for folder in ("inputs", "compute", "pages", "book", "stats"):
        assert (PACKAGE / folder / "__init__.py").exists()
    assert len([p for p in PACKAGE.glob("*.py")]) <= 7  # the foundation, the store and the command line; the rest in folders
