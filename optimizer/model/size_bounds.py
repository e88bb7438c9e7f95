"""What building a scenario's model would cost, counted on the raw document before any
array is made.

The model's size is set by products of dimensions, not by the document's length: 2,000
countries and 2,000 demand rows make a 191 KB document but 4 million candidate `use`
columns (gigabytes while building). Each bound below is the number of cells of one
array the build makes or may make (MODEL.md §2-3), an upper bound of what the build
allocates for it; a service compares them with its cap before accepting a scenario.
Malformed parts count as empty: the schema names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bound:
    """One array's cells: what it is, in words, and the list that drives it most."""

    what: str
    cells: int
    pointer: str


def size_bounds(document: Any) -> list[Bound]:
    if not isinstance(document, dict):
        return []
    n = {key: _count(document, key) for key in _LISTS}
    t = n["periods"]
    demand_cells = n["products"] * n["sectors"] * t
    offers_of = {
        s.get("id"): _count(s, "offers") for s in _items(document, "suppliers") if _keyed(s)
    }
    offers = sum(offers_of.values())
    covered = sum(_licence_cover(lic, offers_of, t) for lic in _items(document, "licences"))
    brackets = sum(_brackets(s) for s in _items(document, "suppliers"))
    return [
        Bound(
            "demand rows times countries (candidate consumption columns)",
            min(n["demand"], demand_cells) * n["countries"],
            "/countries",
        ),
        Bound("products times countries times periods (stock)", n["products"] * n["countries"] * t, "/countries"),
        Bound("products times sectors times periods (demand)", demand_cells, "/sectors"),
        Bound("countries times sectors (end-use bans)", n["countries"] * n["sectors"], "/countries"),
        Bound("supplier offers times periods (deliveries)", offers * t, "/suppliers"),
        Bound("licences times the deliveries each covers", covered, "/licences"),
        Bound("discount brackets times periods (MODEL.md §7 q and y)", brackets * t, "/suppliers"),
    ]  # fmt: skip


def _brackets(supplier: Any) -> int:
    """A discounted offer's brackets, its own price included (0 for an offer without)."""
    offers = supplier.get("offers") if isinstance(supplier, dict) else None
    discounts = [o.get("discounts") for o in offers or [] if isinstance(o, dict)]
    return sum(len(d) + 1 for d in discounts if isinstance(d, list) and d)


_LISTS = ("periods", "products", "sectors", "countries", "demand")


def _licence_cover(licence: Any, offers_of: dict[Any, int], periods: int) -> int:
    """The deliveries a licence may count: its suppliers' offers in its periods."""
    if not isinstance(licence, dict):
        return 0
    listed = licence.get("periods")
    covered_periods = min(len(listed), periods) if isinstance(listed, list) else periods
    suppliers = licence.get("suppliers")
    names = suppliers if isinstance(suppliers, list) else []
    return sum(offers_of.get(s, 0) for s in names if isinstance(s, str)) * covered_periods


def _keyed(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), str)


def _items(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def _count(document: Any, key: str) -> int:
    value = document.get(key) if isinstance(document, dict) else None
    return len(value) if isinstance(value, list) else 0
