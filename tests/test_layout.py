"""The house keeps its shape: imports go one way, from the edge down to the core, with no
cycles, and no module grows past 400 lines.

A newcomer reads the README's map and finds each behaviour's room; these checks keep the map
true when a change would quietly import upwards (at module level, inside a function or only
for type checking: each is a dependency all the same).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("hub", "routing", "messages", "config")
# From the top (the composition root) down to the settings. A module may import its own
# layer and those below it, never one above.
LAYERS = ("app", "hub.cli", "hub.web", "messages", "routing", "hub", "config")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the product (not tests, benchmarks or migration scripts)."""
    found = {"app": REPO / "app.py"}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "versions" not in path.relative_to(REPO).parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets.add(source)
            # `from hub import crypto` imports the module hub.crypto
            targets.update(f"{source}.{alias.name}" for alias in node.names
                           if f"{source}.{alias.name}" in known)
    return {target for target in targets if target in known and target != name}


def layer_of(name: str) -> int:
    for rank, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return rank
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS or move it")


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_layer_above_its_own():
    upward = [f"{name} (layer {LAYERS[layer_of(name)]}) imports {target} "
              f"(layer {LAYERS[layer_of(target)]})"
              for name, targets in sorted(import_graph().items())
              for target in sorted(targets) if layer_of(target) < layer_of(name)]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    assert cycles(import_graph()) == []


def test_the_layer_check_sees_imports_inside_functions_and_for_type_checking(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from routing.policy import Policy\n"
                      "def later():\n    from messages import texts\n")
    known = {"routing.policy", "messages", "messages.texts", "hub.sneaky"}
    assert imports_of("hub.sneaky", sneaky, known) == {"routing.policy", "messages",
                                                        "messages.texts"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_is_under_400_lines():
    long = {str(path.relative_to(REPO)): lines
            for path in REPO.rglob("*.py")
            if not {".git", "versions"} & set(path.relative_to(REPO).parts)
            and (lines := len(path.read_text().splitlines())) >= MAX_LINES}
    assert long == {}
