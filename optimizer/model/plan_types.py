"""The plan of MODEL.md §4 as a typed value: `Plan`, its row types, its terms.

A plan's tables can hold a hundred thousand rows, so a `Table` keeps its rows column by
column (one tuple per field of its row type) and makes a row object only when asked for
one; `Plan.to_document()` writes the JSON document straight from the columns. The row
types name the fields and their order, which is the order of the keys in the JSON.

The document is what `magnets solve` prints and the service sends: optional keys
(`message`, `marginal_values`, `diagnosis`, `explain_error`, `timings`, `model`,
`scenario`, `currency`, and `explain_s` in the timings) are present exactly when their
value is not None. `Plan.from_document` reads such a document back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Generic, TypeVar, get_args, overload

from pydantic import ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from optimizer.model.status import PlanStatus


@dataclass(frozen=True, slots=True)
class Terms:
    """The objective's terms, MODEL.md §3.6 and §7; subsidy is a positive amount
    subtracted. Its fields are the one list of cost terms (`TERMS`). The two of §7 are 0
    when the rules are unused, and read as 0 from a plan written before them."""

    purchase: float
    fixed: float
    production: float
    subsidy: float
    build: float
    holding: float
    shortage: float
    qualification: float = 0.0
    cap_excess: float = 0.0

    @property
    def objective(self) -> float:
        """purchase + fixed + production − subsidy + build + holding + shortage
        + qualification + cap_excess."""
        return (
            self.purchase
            + self.fixed
            + self.production
            - self.subsidy
            + self.build
            + self.holding
            + self.shortage
            + self.qualification
            + self.cap_excess
        )


TERMS: tuple[str, ...] = tuple(f.name for f in fields(Terms))  # the cost terms, in §4's order


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds; build_s and solve_s are null when the model could not be built.
    `explain_s` only with explain."""

    build_s: float | None
    solve_s: float | None
    total_s: float
    explain_s: float | None = None


@dataclass(frozen=True, slots=True)
class ModelSize:
    """The model handed to HiGHS."""

    columns: int
    rows: int
    nonzeros: int
    binaries: int
    milp: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    """kg bought from a supplier; landed_cost is currency per kg, cost = kg × landed_cost."""

    supplier: str
    product: str
    period: str
    kg: float
    landed_cost: float
    cost: float


@dataclass(frozen=True, slots=True)
class Production:
    """kg made at a plant."""

    plant: str
    product: str
    period: str
    kg: float


@dataclass(frozen=True, slots=True)
class Consumption:
    """kg of an origin's material used by a sector."""

    product: str
    origin: str
    sector: str
    period: str
    kg: float


@dataclass(frozen=True, slots=True)
class Stock:
    """kg held at the end of a period, by origin."""

    product: str
    origin: str
    period: str
    kg: float


@dataclass(frozen=True, slots=True)
class Shortage:
    """Unmet demand, kg."""

    product: str
    sector: str
    period: str
    kg: float


@dataclass(frozen=True, slots=True)
class LicenceUse:
    """Every licence, unused ones too."""

    licence: str
    used: float
    quantity: float


@dataclass(frozen=True, slots=True)
class Contract:
    """A supplier whose fixed cost is paid."""

    supplier: str
    fixed_cost: float


@dataclass(frozen=True, slots=True)
class PlantBuilt:
    """A plant built in a period."""

    plant: str
    period: str


@dataclass(frozen=True, slots=True)
class OriginShare:
    """An origin's share of supply (deliveries and production) in a period."""

    period: str
    origin: str
    share: float


@dataclass(frozen=True, slots=True)
class Qualified:
    """A supplier whose qualification starts in a period (MODEL.md §7)."""

    supplier: str
    period: str


@dataclass(frozen=True, slots=True)
class CapExcess:
    """kg of an origin above its max_origin_share target in a period, paid at its
    origin_share_penalty (MODEL.md §7)."""

    origin: str
    period: str
    kg: float


@dataclass(frozen=True, slots=True)
class MarginalValue:
    """The optimal objective's change per unit increase of one limit; `period` is null
    where the limit spans the horizon."""

    constraint: str
    id: str | None
    period: str | None
    value: float | None


@dataclass(frozen=True, slots=True)
class Conflicting:
    """A member of a diagnosis; `text` states the constraint in one sentence."""

    constraint: str
    id: str | None
    period: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """An irreducible set of constraints that cannot hold together; `irreducible` is
    false when the time limit ran out before the set was minimal."""

    conflict: tuple[Conflicting, ...]
    irreducible: bool | None = None


R = TypeVar("R")


class Table(Generic[R]):
    """Rows of one type, kept as one tuple per field of `row_type` (in its order).
    Immutable, like the rows it gives out."""

    __slots__ = ("columns", "row_type")
    row_type: type[R]
    columns: tuple[tuple[Any, ...], ...]

    def __init__(self, row_type: type[R], columns: tuple[tuple[Any, ...], ...]):
        object.__setattr__(self, "row_type", row_type)
        object.__setattr__(self, "columns", columns)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Table is immutable: cannot set {name}")

    def __repr__(self) -> str:
        return f"Table[{self.row_type.__name__}]({len(self)} rows)"

    @classmethod
    def of_columns(cls, row_type: type[R], *columns: Sequence[Any]) -> Table[R]:
        names = field_names(row_type)
        if len(columns) != len(names) or len({len(c) for c in columns}) > 1:
            raise ValueError(f"{row_type.__name__} takes {len(names)} columns of one length")
        return cls(row_type, tuple(tuple(c) for c in columns))

    @classmethod
    def of_rows(cls, row_type: type[R], rows: Iterable[R]) -> Table[R]:
        rows = list(rows)
        names = field_names(row_type)
        return cls(row_type, tuple(tuple(getattr(r, n) for r in rows) for n in names))

    @classmethod
    def of_records(cls, row_type: type[R], records: Iterable[Mapping[str, Any]]) -> Table[R]:
        records = list(records)
        names = field_names(row_type)
        return cls(row_type, tuple(tuple(r[n] for r in records) for n in names))

    @classmethod
    def empty(cls, row_type: type[R]) -> Table[R]:
        return cls(row_type, tuple(() for _ in field_names(row_type)))

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __iter__(self) -> Iterator[R]:
        make = self.row_type
        return (make(*values) for values in zip(*self.columns, strict=True))

    @overload
    def __getitem__(self, i: int) -> R: ...
    @overload
    def __getitem__(self, i: slice) -> list[R]: ...
    def __getitem__(self, i: int | slice) -> R | list[R]:
        if isinstance(i, slice):
            return [
                self.row_type(*values) for values in zip(*(c[i] for c in self.columns), strict=True)
            ]
        return self.row_type(*(c[i] for c in self.columns))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Table)
            and self.row_type is other.row_type
            and self.columns == other.columns
        )

    def __hash__(self) -> int:
        return hash((self.row_type, self.columns))

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON objects, keys in the row type's field order."""
        names = field_names(self.row_type)
        return [dict(zip(names, values, strict=True)) for values in zip(*self.columns, strict=True)]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """In a schema a table is a list of its rows (what `records` writes)."""
        (row_type,) = get_args(source)
        rows = handler.generate_schema(list[row_type])  # type: ignore[valid-type]
        return core_schema.no_info_after_validator_function(
            lambda values: cls.of_rows(row_type, values),
            rows,
            serialization=core_schema.plain_serializer_function_ser_schema(
                list, return_schema=rows
            ),
        )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(row_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(row_type)
    if names is None:
        names = _FIELD_NAMES[row_type] = tuple(f.name for f in fields(row_type))
    return names


TABLE_ROWS: dict[str, type] = {  # each table of §4 and its row type, in the plan's order
    "deliveries": Delivery,
    "production": Production,
    "consumption": Consumption,
    "inventory": Stock,
    "shortages": Shortage,
    "licences": LicenceUse,
    "contracts": Contract,
    "plants_built": PlantBuilt,
    "origin_share": OriginShare,
    "qualified": Qualified,  # MODEL.md §7
    "cap_excess": CapExcess,
}
TABLES: tuple[str, ...] = tuple(TABLE_ROWS)


ALWAYS_THERE = ("status", "objective", "terms", "mip_gap", *TABLES)  # keys of every plan


def _empty(row_type: type[R]) -> Any:
    return field(default_factory=lambda: Table.empty(row_type))


@dataclass(frozen=True, slots=True)
class Plan:
    """MODEL.md §4. Without a solution `objective` and `terms` are null and the tables
    empty. In the document a field that is None is left out, except the first four,
    which are always there; non-finite numbers are sent as null by the service."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        json_schema_extra=lambda schema: schema.update(required=[*ALWAYS_THERE])
    )

    status: PlanStatus
    objective: float | None = None
    terms: Terms | None = None
    mip_gap: float | None = None
    deliveries: Table[Delivery] = _empty(Delivery)
    production: Table[Production] = _empty(Production)
    consumption: Table[Consumption] = _empty(Consumption)
    inventory: Table[Stock] = _empty(Stock)
    shortages: Table[Shortage] = _empty(Shortage)
    licences: Table[LicenceUse] = _empty(LicenceUse)
    contracts: Table[Contract] = _empty(Contract)
    plants_built: Table[PlantBuilt] = _empty(PlantBuilt)
    origin_share: Table[OriginShare] = _empty(OriginShare)
    qualified: Table[Qualified] = _empty(Qualified)
    cap_excess: Table[CapExcess] = _empty(CapExcess)
    message: str | None = None  # why there is no solution, in words
    marginal_values: tuple[MarginalValue, ...] | None = None  # explain, with a solution
    diagnosis: Diagnosis | None = None  # explain, for an infeasible scenario
    explain_error: str | None = None  # explain, why no explanation could be given
    timings: Timings | None = None
    model: ModelSize | None = None
    scenario: str | None = None  # the scenario's name
    currency: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The plan as JSON: the keys and their order of MODEL.md §4, as `magnets solve`
        prints it."""
        doc: dict[str, Any] = {
            "status": str(self.status),
            "objective": self.objective,
            "terms": None if self.terms is None else _object(self.terms),
            "mip_gap": self.mip_gap,
        }
        for name in TABLES:
            doc[name] = getattr(self, name).records()
        if self.message is not None:
            doc["message"] = self.message
        if self.marginal_values is not None:
            doc["marginal_values"] = [_object(v) for v in self.marginal_values]
        if self.diagnosis is not None:
            diagnosis: dict[str, Any] = {"conflict": [_object(c) for c in self.diagnosis.conflict]}
            if self.diagnosis.irreducible is not None:
                diagnosis["irreducible"] = self.diagnosis.irreducible
            doc["diagnosis"] = diagnosis
        if self.explain_error is not None:
            doc["explain_error"] = self.explain_error
        if self.timings is not None:
            timings = _object(self.timings)
            if self.timings.explain_s is None:
                del timings["explain_s"]
            doc["timings"] = timings
        for name in ("model", "scenario", "currency"):
            value = getattr(self, name)
            if value is not None:
                doc[name] = _object(value) if name == "model" else value
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Plan:
        """A plan document (as `to_document` writes it) read back."""
        terms, timings, model = doc.get("terms"), doc.get("timings"), doc.get("model")
        marginal, diagnosis = doc.get("marginal_values"), doc.get("diagnosis")
        return cls(
            status=PlanStatus(doc["status"]),
            objective=doc.get("objective"),
            terms=None if terms is None else Terms(**terms),
            mip_gap=doc.get("mip_gap"),
            **{
                name: Table.of_records(row, doc.get(name) or []) for name, row in TABLE_ROWS.items()
            },
            message=doc.get("message"),
            marginal_values=None
            if marginal is None
            else tuple(MarginalValue(**v) for v in marginal),
            diagnosis=None
            if diagnosis is None
            else Diagnosis(
                tuple(Conflicting(**c) for c in diagnosis["conflict"]),
                diagnosis.get("irreducible"),
            ),
            explain_error=doc.get("explain_error"),
            timings=None if timings is None else Timings(**timings),
            model=None if model is None else ModelSize(**model),
            scenario=doc.get("scenario"),
            currency=doc.get("currency"),
        )


def _object(value: Any) -> dict[str, Any]:
    """A row-like dataclass as a JSON object, keys in field order (not recursive)."""
    return {name: getattr(value, name) for name in field_names(type(value))}
