"""How a rejected scenario is described: one `Problem` per broken rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (JSON pointer), what was there, and the rule it breaks."""

    pointer: str
    value: Any
    rule: str

    def as_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "value": self.value, "rule": self.rule}

    def __str__(self) -> str:
        if self.value is None:  # a missing field or an unreadable document: nothing to show
            return f"{self.pointer or '/'}: {self.rule}"
        shown = json.dumps(self.value, default=str)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{self.pointer or '/'}: {self.rule} (got {shown})"


class ScenarioError(ValueError):
    """A scenario was rejected; `problems` lists every rule it breaks."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        # Raised in a solver process and re-raised in the service: rebuilt from its problems.
        return ScenarioError, (self.problems,)


def pointer(*parts: object) -> str:
    """JSON pointer (RFC 6901) for a path of keys and indices."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)
