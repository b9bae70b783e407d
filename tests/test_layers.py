"""The package's layers, read from the import statements themselves (AST), so a violation is caught
even in a branch no test runs: the NumPy layers never reach Rich, Textual, the CLI, rendering or the
viewer, and no two modules import each other, directly or around a loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rnnviz"
NUMPY_LAYERS = ("rnnviz.core", "rnnviz.io", "rnnviz.analysis", "rnnviz.training")
FORBIDDEN_FOR_NUMPY_LAYERS = ("rich", "textual", "rnnviz.cli", "rnnviz.render", "rnnviz.tui", "rnnviz.bench")
TUI_STATE_FORBIDDEN = ("textual", "rich", "rnnviz.tui.widgets", "rnnviz.tui.screens", "rnnviz.tui.app")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import mod` imports a module too
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {m for m in imports_of(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", NUMPY_LAYERS)
def test_numpy_layers_import_no_ui_cli_or_render(layer: str) -> None:
    violations = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if within(name, (layer,))
        for target in sorted(imports_of(path))
        if within(target, FORBIDDEN_FOR_NUMPY_LAYERS)
    ]
    assert violations == []


def test_the_viewers_state_knows_nothing_of_textual() -> None:
    violations = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if within(name, ("rnnviz.tui.state",))
        for target in sorted(imports_of(path))
        if within(target, TUI_STATE_FORBIDDEN)
    ]
    assert violations == []


def test_the_import_graph_has_no_cycles() -> None:
    """Edges between modules (a package's own __init__ re-exporting its children is not an edge back)."""
    edges = {
        name: {t for t in targets if not (MODULES[t].name == "__init__.py" and name.startswith(t + "."))}
        for name, targets in GRAPH.items()
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_checker_sees_a_violation() -> None:
    """The AST reader finds imports inside functions too: the rule cannot pass by not looking."""
    cli_imports = imports_of(PACKAGE / "cli" / "render.py")
    assert "rnnviz.render.picture" in cli_imports
    assert "rnnviz.io.weights" in cli_imports  # imported inside command()
