"""What every what-if shock kind shares: the field types it is written with, the base
models, and the finders that pick the parts of a scenario document a shock changes.

A shock names what it changes by the scenario's own ids and by how much: a `factor` that
scales the current value or a `value` that replaces it (`FactorOrValue`). Each kind lists
the scenario lists its ids must name (`references`), so that `shocks.apply_shocks` can
check them before `apply` runs.

Per-period fields (capacities, price indices) given as one scalar become a list when a
shock touches only some periods, so that the other periods keep their value (`scaled`).
"""

from collections.abc import Iterator, Sequence
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from optimizer.errors import Problem
from optimizer.scenario.schema import amount, text

Document = dict[str, Any]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Id = Annotated[str, text(min_length=1, max_length=200)]
Ids = Annotated[Annotated[list[Id], Field(min_length=1)] | None, BeforeValidator(_as_list)]
Factor = Annotated[float, amount(ge=0)]
Share = Annotated[float, amount(ge=0, le=1)]
Periods = Annotated[list[Annotated[str, text()]] | None, BeforeValidator(_as_list)]
RequiredIds = Annotated[Annotated[list[Id], Field(min_length=1)], BeforeValidator(_as_list)]
Scale = Annotated[float, amount(gt=0)]


def _whole(value: Any) -> Any:
    """2.0 (a grid level or a draw of `choice`) is the whole number 2; 2.5 stays a float
    and is refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Count = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=1_000_000, strict=True)]
Lead = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=1000, strict=True)]
Shift = Annotated[int, BeforeValidator(_whole), Field(ge=-1000, le=1000, strict=True)]


class ShockModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # field name -> the scenario list whose ids it must name ("periods" for labels)
    references: ClassVar[dict[str, str]] = {}

    def apply(self, doc: Document) -> None:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def document_problems(self, doc: Document, where: Sequence[object]) -> Iterator[Problem]:
        """What the document must hold for this shock beyond its ids (checked once every
        id it names is known); nothing, for most kinds."""
        return iter(())


class FactorOrValue(ShockModel):
    """A shock that either scales (`factor`) or replaces (`value`) one number."""

    factor: Factor | None = Field(None, description="Multiplier of the current value.")
    value: Factor | None = Field(None, description="New value (replaces the current one).")

    @model_validator(mode="after")
    def _one_amount(self) -> Self:
        if (self.factor is None) == (self.value is None):
            raise ValueError("give exactly one of `factor` and `value`")
        return self

    def changed(self, current: float) -> float:
        return current * self.factor if self.factor is not None else float(self.value or 0.0)


# -- finding what a shock changes ---------------------------------------------------------
def selecting(*fields: str) -> Any:
    """A shock's model validator: at least one of `fields` (the selectors) given, since a
    shock that selects nothing would change nothing."""

    def check(model: Any) -> Any:
        if not any(getattr(model, f) for f in fields):
            raise ValueError("give at least one of " + ", ".join(f"`{f}`" for f in fields))
        return model

    return model_validator(mode="after")(check)


def by_id(doc: Document, field: str, id_: str) -> dict[str, Any]:
    return next(item for item in doc[field] if item["id"] == id_)


def picked(value: str, wanted: list[str] | None) -> bool:
    return wanted is None or value in wanted


def selected_suppliers(doc: Document, sel: Any) -> list[dict[str, Any]]:
    """Suppliers matching every supplier selector given; none when no selector is given."""
    if not (sel.origin or sel.country or sel.supplier):
        return []
    return [
        s
        for s in doc.get("suppliers", [])
        if (sel.origin is None or (s.get("origin") or s["country"]) in sel.origin)
        and (sel.country is None or s["country"] in sel.country)
        and (sel.supplier is None or s["id"] in sel.supplier)
    ]


def selected_plants(doc: Document, ids: list[str] | None) -> list[dict[str, Any]]:
    return [k for k in doc.get("plants", []) if ids is not None and k["id"] in ids]


def period_positions(doc: Document, labels: list[str] | None) -> set[int] | None:
    if labels is None:
        return None
    return {t for t, label in enumerate(doc["periods"]) if label in labels}


def scaled(
    value: float | list[float], factor: float, chosen: set[int] | None, doc: Document
) -> float | list[float]:
    """A per-period value scaled in the chosen periods (all when None); a scalar becomes a
    per-period list only when some periods keep their value."""
    if chosen is None:
        return [v * factor for v in value] if isinstance(value, list) else value * factor
    values = value if isinstance(value, list) else [value] * len(doc["periods"])
    return [v * factor if t in chosen else v for t, v in enumerate(values)]
