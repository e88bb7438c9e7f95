"""The scenario and hedge documents a route takes as plain JSON, published with the
optimizer's own schema for them: the optimizer checks the document itself, naming every
problem with its pointer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ..solving import HedgeSchema as HedgeModel  # its JSON schema only
from ..solving import ScenarioSchema as ScenarioModel  # its JSON schema only


@dataclass(frozen=True)
class DocumentedAs:
    """Publish `model`'s JSON schema for a value the route takes as plain JSON: the
    optimizer checks the document itself, naming every problem with its pointer."""

    model: type[BaseModel]
    edit: Callable[[JsonSchemaValue], None] | None = None  # applied to the model's schema

    def __get_pydantic_json_schema__(
        self, _schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(self.model.__pydantic_core_schema__)
        if self.edit is not None:
            self.edit(handler.resolve_ref_schema(schema))
        return schema


# A scenario document, MODEL.md §1. The schema states its shape; references between ids,
# per-period list lengths and the server's size caps are checked on top (422).
Scenario = Annotated[dict[str, Any], DocumentedAs(ScenarioModel)]


# A hedge document, MODEL.md §6: the base scenario inline, the outcomes (listed, or a
# sample), reveal, risk. The rules tying outcomes to base and the server's size caps
# (summed over the outcomes) are checked on top (422).
def _outcome_count_in_words(schema: JsonSchemaValue) -> None:
    """The listed outcomes' maximum said in words rather than as `maxItems`: a list longer
    than that is larger than a body the server reads (413 before any rule is looked at),
    which a schema's reader would take for accepting it; it is still refused (422)."""
    outcomes = schema["properties"]["outcomes"]
    for branch in outcomes.get("oneOf", outcomes.get("anyOf", [])):
        most = branch.pop("maxItems", None) if branch.get("type") == "array" else None
        if most is not None:
            outcomes["description"] = (
                f"The outcomes: a list of at most {most:,} (422 beyond), or a sample."
            )


Hedge = Annotated[dict[str, Any], DocumentedAs(HedgeModel, _outcome_count_in_words)]
