"""The house has one way through: no import circle and no import up the layer list in ``src/``.

Reads every module of ``src/stagnation`` with :mod:`ast` (nothing is imported), maps each
module to its room (the first name under ``stagnation``) and each room to its floor in
:data:`LAYERS`, and fails on an arrow that runs up or sideways into another room, on a circle
between modules, and on an import of another room deferred into a function (only the top floor,
the command line, may defer imports: it keeps ``stagnation --help`` fast). Imports under
``if TYPE_CHECKING:`` are for the type checker only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: The floors, top first. A module may import its own room, and any room on a lower floor.
#: ``timeline`` (the point-in-time rule), ``errors`` and ``_memory`` (the allocator tuning)
#: import nothing of the package.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "_entry"),
    ("cli",),
    ("workflow", "backtest", "explore", "importers"),
    ("spark",),
    ("scoring",),
    ("tracking",),
    ("plots",),
    ("training",),
    ("simulator",),
    ("snapshots",),
    ("labels",),
    ("features",),
    ("crm",),
    ("timeline",),
    ("errors", "_memory"),
)
#: Rooms whose functions may import (lazily, for start-up time): the package's root (for
#: ``stagnation.score``), the console script's entry and the command line.
MAY_DEFER = (*LAYERS[0], *LAYERS[1])


def room(module: str) -> str:
    """Return the room of a dotted module name: ``stagnation.scoring._actions`` -> scoring."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    name = parts[1]
    return "cli" if name.startswith(("cli", "_cli")) else name


def floor(module: str) -> int:
    """Return the floor of a module (0 is the top); fail on a room not in :data:`LAYERS`."""
    name = room(module)
    for level, rooms in enumerate(LAYERS):
        if name in rooms:
            return level
    raise AssertionError(f"{module}: room {name!r} has no floor; add it to LAYERS in {__file__}")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, module: str, package: str) -> list[tuple[str, int, bool]]:
    """Return ``(imported module, line, deferred into a function)`` of one module's tree."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                visit(other, deferred)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, deferred) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # `from stagnation import plots` imports the module stagnation.plots
            found.extend(
                (name if name in MODULES else target, node.lineno, deferred)
                for name in (f"{target}.{alias.name}" for alias in node.names)
            )
        inner = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return [(name, line, late) for name, line, late in found if name.split(".")[0] == "stagnation"]


def _owner(name: str) -> str:
    """Return the module of ``name`` (an imported module, or a name inside one)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


PATHS = {_module_name(p): p for p in sorted((SRC / "stagnation").rglob("*.py"))}
MODULES = set(PATHS)


def edges() -> list[tuple[str, str, int, bool]]:
    """Return every import of one stagnation module by another: (from, to, line, deferred)."""
    out = []
    for module, path in PATHS.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, line, late in _imports(tree, module, package):
            target = _owner(name)
            if target != module:
                out.append((module, target, line, late))
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one circle of ``graph`` (a list of nodes, first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_no_import_runs_up_or_sideways_the_layer_list() -> None:
    wrong = [
        f"{src}:{line} imports {dst} ({room(src)} on floor {floor(src)}, "
        f"{room(dst)} on floor {floor(dst)})"
        for src, dst, line, _ in edges()
        if room(src) != room(dst) and floor(src) >= floor(dst)
    ]
    assert not wrong, "imports up or across the layer list:\n" + "\n".join(wrong)


def test_no_import_of_another_room_is_deferred_into_a_function() -> None:
    late = [
        f"{src}:{line} imports {dst} inside a function"
        for src, dst, line, deferred in edges()
        if deferred and room(src) != room(dst) and room(src) not in MAY_DEFER
    ]
    assert not late, "deferred imports (a circle being dodged?):\n" + "\n".join(late)


def test_the_modules_import_each_other_without_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for src, dst, _, _ in edges():
        graph.setdefault(src, set()).add(dst)
    circle = _cycle(graph)
    assert circle is None, "import circle: " + " -> ".join(circle or [])


@pytest.mark.parametrize(
    ("graph", "circle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_the_circle_finder_finds_circles(graph, circle) -> None:  # type: ignore[no-untyped-def]
    assert _cycle(graph) == circle


def test_the_reader_sees_deferred_relative_and_type_checking_imports() -> None:
    code = (
        "from typing import TYPE_CHECKING\n"
        "from . import _b\n"
        "from stagnation.crm import CRM\n"
        "if TYPE_CHECKING:\n"
        "    from stagnation.tracking import x\n"
        "def f():\n"
        "    from stagnation.plots import y\n"
    )
    found = _imports(ast.parse(code), "stagnation.scoring._a", "stagnation.scoring")
    # stagnation.scoring._b is no module of src: the import counts as one of its package
    assert found == [
        ("stagnation.scoring", 2, False),
        ("stagnation.crm", 3, False),
        ("stagnation.plots", 7, True),
    ]
    assert floor("stagnation.simulator._market") > floor("stagnation.training")
    assert room("stagnation._cli_train") == "cli" and floor("stagnation.cli") == 1
