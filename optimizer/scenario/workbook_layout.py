"""The scenario workbook's layout: sheets, columns and how a cell becomes a value.

The layout itself is described in `workbook.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT, NUMBER, WHOLE, FLAG, LIST = "text", "number", "whole number", "TRUE or FALSE", "list"
NONE = "(none)"  # an empty list; a blank cell means "omitted" instead
README = "README"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = NUMBER
    per_period: bool = False  # may also be given as one `name[<period>]` column per period
    required: bool = False  # a sheet with rows must have this column
    path: tuple[str, ...] = ()  # where the value sits in its entry, when not at `name`

    @property
    def fields(self) -> tuple[str, ...]:
        """The keys leading from the entry to the value: ("qualification", "cost")."""
        return self.path or (self.name,)


ID = Column("id", TEXT, required=True)
# Sheets whose rows are the entries of the document's list of the same name.
ENTRY_SHEETS: dict[str, tuple[Column, ...]] = {
    "products": (ID, Column("holding_cost"), Column("min_inventory")),
    "sectors": (
        ID, Column("tags", LIST), Column("shortage_penalty", required=True),
        Column("min_service"),
    ),
    "countries": (ID, Column("tariff"), Column("freight"), Column("restricted_end_uses", LIST)),
    "suppliers": (
        ID, Column("country", TEXT, required=True), Column("origin", TEXT),
        Column("capacity", per_period=True, required=True), Column("lead_time", WHOLE),
        Column("licence_required", FLAG), Column("min_order"), Column("fixed_cost"),
        Column("price_index", per_period=True),
        Column("qualification_cost", path=("qualification", "cost")),
        Column("qualification_lead", WHOLE, path=("qualification", "lead")),
    ),
    "licences": (
        ID, Column("suppliers", LIST, required=True), Column("quantity", required=True),
        Column("periods", LIST), Column("products", LIST),
    ),
    "plants": (
        ID, Column("country", TEXT, required=True),
        Column("capacity", per_period=True, required=True), Column("existing", FLAG),
        Column("build_cost"), Column("build_lead", WHOLE),
        Column("earliest_build", WHOLE), Column("incentive"), Column("incentive_cap"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class LinkSheet:
    """Rows that belong to an entry of another list: owner column, key column, value column."""

    owners: str  # the document list the owner column refers to
    columns: tuple[Column, Column, Column]


LINK_SHEETS = {
    "supplier_offers": LinkSheet(
        "suppliers",
        (Column("supplier", TEXT, required=True), Column("product", TEXT), Column("price")),
    ),
    "plant_offers": LinkSheet(
        "plants", (Column("plant", TEXT, required=True), Column("product", TEXT), Column("price"))
    ),
    "initial_inventory": LinkSheet(
        "products",
        (
            Column("product", TEXT, required=True),
            Column("origin", TEXT, required=True),
            Column("kg"),
        ),
    ),
}
OTHER_SHEETS: dict[str, tuple[Column, ...]] = {
    "scenario": (Column("field", TEXT, required=True), Column("value", TEXT)),
    # One row per bracket of a supplier's offer (MODEL.md §7), in the offer's order.
    "discounts": (
        Column("supplier", TEXT, required=True), Column("product", TEXT, required=True),
        Column("min_kg", required=True), Column("price", required=True),
    ),
    "periods": (Column("period", TEXT, required=True),),
    "demand": (
        Column("product", TEXT, required=True), Column("sector", TEXT, required=True),
        Column("period", TEXT), Column("quantity", per_period=True, required=True),
    ),
    "policy": (
        Column("setting", TEXT, required=True), Column("origin", TEXT), Column("product", TEXT),
        Column("value", per_period=True),
    ),
}  # fmt: skip
_ALL = {**OTHER_SHEETS, **ENTRY_SHEETS, **{k: v.columns for k, v in LINK_SHEETS.items()}}
ORDER = (
    "scenario", "periods", "products", "initial_inventory", "sectors", "countries", "suppliers",
    "supplier_offers", "discounts", "licences", "plants", "plant_offers", "demand", "policy",
)  # fmt: skip
SHEETS = {name: _ALL[name] for name in ORDER}  # in the order a workbook shows them
SCENARIO_FIELDS = ("name", "currency")
POLICY_SETTINGS = (
    "max_origin_share", "origin_share_penalty", "max_supplier_share", "max_suppliers", "budget",
)  # fmt: skip
PER_ORIGIN = ("max_origin_share", "origin_share_penalty")  # policy rows naming an origin
PER_PRODUCT = ("max_suppliers",)  # policy rows naming a product


# ---------------------------------------------------------------------------- cell values


class BadCell(ValueError):
    """A cell that cannot hold what its column needs; the message says what it needs."""


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise BadCell("text is needed here, not TRUE/FALSE")
    if isinstance(v, int | float):  # an id or label the spreadsheet took for a number
        return str(int(v)) if float(v).is_integer() else repr(v)
    raise BadCell(f"text is needed here, not a {type(v).__name__} (format the cells as text)")


def _number(v: Any) -> float | int:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    hint = ""
    if isinstance(v, str):
        try:
            float(v)
            hint = " (this one is stored as text: format the cell as a number)"
        except ValueError:
            pass
    raise BadCell(f"a number is needed here{hint}")


def _whole(v: Any) -> int:
    n = _number(v)
    if isinstance(n, float) and not n.is_integer():
        raise BadCell("a whole number is needed here")
    return int(n)


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "yes", "no"):
        return v.strip().lower() in ("true", "yes")
    raise BadCell("TRUE or FALSE is needed here")


def _list(v: Any) -> list[str]:
    if isinstance(v, str) and v.strip() == NONE:
        return []
    items = _text(v).split(",")
    return [item.strip() for item in items if item.strip()]


CONVERT = {TEXT: _text, NUMBER: _number, WHOLE: _whole, FLAG: _flag, LIST: _list}
MISSING: Any = object()  # a blank cell, or one whose problem is already recorded


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())
