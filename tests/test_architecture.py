"""The import rules of docs/architecture.md: arrows only go down.

Read from the source (tests/import_graph.py), so an import inside a function or under
`TYPE_CHECKING` counts as much as one at the top of a module.
"""

from __future__ import annotations

import re

from tests.import_graph import (
    LAYERS,
    ROOT,
    SERVICE_GATE,
    cycles,
    module_graph,
    picture,
    room,
    room_graph,
)


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(module_graph()) == []


def test_every_module_lives_in_a_room_of_the_layers() -> None:
    rooms = {r for layer in LAYERS for r in layer}
    assert {room(m) for m in module_graph()} - {"optimizer"} <= rooms


def test_rooms_import_only_rooms_below_them() -> None:
    depth = {r: i for i, layer in enumerate(LAYERS) for r in layer}
    upward = [
        f"{source} -> {target}"
        for source, targets in room_graph().items()
        for target in targets
        if source in depth and depth[target] <= depth[source]
    ]
    assert upward == []


def test_the_optimizer_never_imports_the_service_or_the_command_line() -> None:
    reaching = [
        f"{source} -> {target}"
        for source, targets in module_graph().items()
        if source.startswith("optimizer")
        for target in targets
        if not target.startswith("optimizer")
    ]
    assert reaching == []


def test_the_service_reaches_the_optimizer_through_one_package() -> None:
    through = sorted(
        source
        for source, targets in module_graph().items()
        if source.startswith("service.") and any(t.startswith("optimizer") for t in targets)
    )
    assert through and all(
        source == SERVICE_GATE or source.startswith(SERVICE_GATE + ".") for source in through
    ), through


def test_the_rules_catch_an_upward_import_and_a_circle() -> None:
    graph = {
        "optimizer.model.plan": {"optimizer.report.summary"},
        "optimizer.report.summary": set(),
    }
    rooms = {room(s): {room(t) for t in ts} for s, ts in graph.items()}
    depth = {r: i for i, layer in enumerate(LAYERS) for r in layer}
    assert any(depth[t] <= depth[s] for s, ts in rooms.items() for t in ts)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_architecture_page_shows_the_rooms_as_the_code_has_them() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    drawn = re.search(r"```mermaid\n.*?```", page, flags=re.S)
    assert drawn, "docs/architecture.md has no mermaid picture"
    assert drawn.group(0) == picture(), "regenerate it with: python -m tests.import_graph"
