"""Packages talk to each other through public names only, and crm knows nothing of the simulator.

Read from the source with :mod:`ast` (nothing is imported), so the rule holds for imports at the
top of a module, under ``TYPE_CHECKING`` and inside functions alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    """Return the package a source file belongs to (its own name for an ``__init__``)."""
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) of every ``stagnation`` import in a file, names included.

    ``from stagnation.crm import _io`` gives ``stagnation.crm`` and ``stagnation.crm._io``;
    relative imports are resolved against the file's package.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package(path).split(".")
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, m) for line, m in found if m == "stagnation" or m.startswith("stagnation.")]


def private_owner(module: str) -> str | None:
    """Return the package owning the first private part of ``module`` (None when all public)."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def private_imports_across_packages(path: Path, package: str | None = None) -> list[str]:
    """Return the imports in ``path`` (of ``package``) of private modules of other packages."""
    here = package or _package(path)
    return [
        f"{path.name}:{line} imports {module}"
        for line, module in imported_modules(path)
        if (owner := private_owner(module)) is not None
        and here != owner
        and not here.startswith(owner + ".")
    ]


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_another_packages_private_module(path: Path) -> None:
    assert private_imports_across_packages(path) == []


def test_a_private_import_across_packages_is_caught(tmp_path: Path) -> None:
    fake = tmp_path / "labels.py"
    fake.write_text(
        "from stagnation.features._context import FeatureContext\n"
        "from stagnation.features import EventIndex\n"
        "def f():\n"
        "    from stagnation.crm._io import load_crm\n"
    )
    assert private_imports_across_packages(fake, "stagnation") == [
        "labels.py:1 imports stagnation.features._context",
        "labels.py:1 imports stagnation.features._context.FeatureContext",
        "labels.py:4 imports stagnation.crm._io",
        "labels.py:4 imports stagnation.crm._io.load_crm",
    ]
    # inside its own package (or a subpackage of it) a private module is fine
    assert private_imports_across_packages(fake, "stagnation.features") == [
        "labels.py:4 imports stagnation.crm._io",
        "labels.py:4 imports stagnation.crm._io.load_crm",
    ]


def test_crm_never_imports_the_simulator() -> None:
    crm = sorted((SRC / "stagnation" / "crm").rglob("*.py"))
    assert crm
    reaching = [
        f"{path.relative_to(SRC)}:{line}"
        for path in crm
        for line, module in imported_modules(path)
        if module.startswith("stagnation.simulator")
    ]
    assert reaching == []


def test_the_simulator_imports_nothing_inside_a_function() -> None:
    deferred = []
    for path in sorted((SRC / "stagnation" / "simulator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                deferred += [
                    f"{path.name}:{inner.lineno}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert deferred == []
