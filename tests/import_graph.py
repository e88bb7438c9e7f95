"""The project's import graph read from the source, and the room picture drawn from it.

Every `import` counts: at the top of a module, inside a function (imported on use) and
under `TYPE_CHECKING`, so that an arrow hidden in a function is still an arrow.

    python -m tests.import_graph    # print the picture that docs/architecture.md holds
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "service", "optimizer")

# The rooms, top to bottom: a room imports only rooms on lower lines (and itself). Rooms
# on one line do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("service",),
    ("optimizer.report", "optimizer.whatif"),
    ("optimizer.solve",),
    ("optimizer.insight",),
    ("optimizer.model",),
    ("optimizer.scenario",),
    (
        "optimizer.errors",
        "optimizer.options",
        "optimizer.spreadsheet_text",
        "optimizer.moved",
        "optimizer.gc_pause",
    ),
)
# The one package through which the service reaches the optimizer.
SERVICE_GATE = "service.solving"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules `module` imports (a name imported from a package counts as its
    submodule when there is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def module_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports(path, name, known) - {name} for name, path in modules.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "optimizer" and len(parts) > 1 else parts[0]


def room_graph() -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = defaultdict(set)
    for source, targets in module_graph().items():
        rooms[room(source)].update(room(t) for t in targets if room(t) != room(source))
    return dict(rooms)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def picture() -> str:
    """The rooms and their arrows as a Mermaid flowchart, drawn top to bottom."""
    rooms = room_graph()
    lines = ["```mermaid", "flowchart TD"]
    lines.extend(f"  {_node(r)}[{r}]" for layer in LAYERS for r in layer)
    for source in (r for layer in LAYERS for r in layer):
        lines.extend(f"  {_node(source)} --> {_node(t)}" for t in sorted(rooms.get(source, ())))
    lines.append("```")
    return "\n".join(lines)


def _node(name: str) -> str:
    return name.replace(".", "_")


if __name__ == "__main__":
    print(picture())
