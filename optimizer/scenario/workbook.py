"""The scenario document of MODEL.md §1 spelled as an Excel workbook, read and written.

The layout, which the README sheet of every written workbook explains to analysts:
- `scenario` (field | value: name, currency) and `periods` (one label per row).
- One sheet per list, a row per entry and a column per field: products, sectors,
  countries, suppliers, licences, plants. Offers and opening stock are rows of their
  own sheets naming their owner: supplier_offers, plant_offers, initial_inventory.
- The sourcing rules of MODEL.md §7: a sector's `min_service` is a column of sectors; a
  supplier's qualification is two columns of suppliers (`qualification_cost`,
  `qualification_lead`, given together); quantity discounts are rows of `discounts`
  (supplier | product | min_kg | price, one per bracket of that supplier's offer).
- A per-period value (capacity, price_index, budget) sits either in its plain column
  (the same value every period) or in one column per period headed `capacity[2025-Q3]`;
  each row picks one form, and writing keeps the form the document used.
- demand: product | sector | quantity[<period>]…; a blank cell is no demand row. Rows
  in long form (period | quantity columns) are read as well.
- policy: setting | origin | product | value rows — max_origin_share and
  origin_share_penalty (one row per origin), max_suppliers (one row per product),
  max_supplier_share and budget (value, or value[<period>] columns).
- A blank cell omits the field (its default applies). Lists are comma-separated;
  `(none)` is an empty list (for a licence, "covers nothing", unlike a blank cell).
- Numbers keep 16 significant digits (what openpyxl writes); formulas are read as the
  values the spreadsheet program last computed and saved.

`read_workbook` returns the plain document, which `parse_scenario` validates exactly
like JSON; `scenario_from_workbook` does both and names the sheet and cell of every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.scenario.workbook_layout import (
    ENTRY_SHEETS,
    LINK_SHEETS,
    LIST,
    NONE,
    PER_ORIGIN,
    README,
    SCENARIO_FIELDS,
    SHEETS,
    Column,
)
from optimizer.scenario.workbook_read import read_workbook, scenario_from_workbook  # noqa: F401  (public API)

# ---------------------------------------------------------------------------- writing


def write_scenario_workbook(doc_or_scenario: dict[str, Any] | Scenario, path: str | Path) -> None:
    """Write a scenario (validated first when given as a document) in the workbook layout."""
    scenario = (
        doc_or_scenario
        if isinstance(doc_or_scenario, Scenario)
        else parse_scenario(doc_or_scenario)
    )
    doc = scenario.model_dump(exclude_unset=True)  # what the author wrote, scalars kept scalar
    problems = [*_unwritable(doc), *_unlistable(doc)]
    if problems:
        raise ScenarioError(problems)
    book = Workbook()
    book.remove(book.active)
    _readme_sheet(book)
    tables = _sheet_tables(doc)
    for sheet in SHEETS:
        _table(book, sheet, *tables[sheet])
    book.save(path)


def _sheet_tables(doc: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    periods, get = doc["periods"], doc.get
    tables = {
        "scenario": (["field", "value"], [[k, doc[k]] for k in SCENARIO_FIELDS if k in doc]),
        "periods": (["period"], [[p] for p in periods]),
    }
    for sheet, columns in ENTRY_SHEETS.items():
        tables[sheet] = _entry_table(get(sheet, []), columns, periods)
    for sheet, link in LINK_SHEETS.items():
        owners, (owner, key, value) = get(link.owners, []), link.columns
        tables[sheet] = ([owner.name, key.name, value.name], _link_table(sheet, owners))
    tables["discounts"] = (["supplier", "product", "min_kg", "price"], _discount_table(doc))
    tables["demand"] = _demand_table(get("demand", []), periods)
    tables["policy"] = _policy_table(get("policy", {}), periods)
    return tables


def _entry_table(
    entries: list[dict[str, Any]], columns: tuple[Column, ...], periods: list[str]
) -> tuple[list[str], list[list[Any]]]:
    split = {
        c.name
        for c in columns
        if c.per_period and any(isinstance(e.get(c.name), list) for e in entries)
    }
    header = [
        h for c in columns for h in [c.name, *_split_headers(c.name, c.name in split, periods)]
    ]
    rows = []
    for e in entries:
        row: list[Any] = []
        for c in columns:
            v = _at(e, c.fields)
            if c.name in split:
                row += [None, *v] if isinstance(v, list) else [v, *[None] * len(periods)]
            else:
                row.append((", ".join(v) if v else NONE) if c.kind == LIST and v is not None else v)
        rows.append(row)
    return header, rows


def _at(entry: dict[str, Any], fields: tuple[str, ...]) -> Any:
    """The value at `fields` inside the entry; None where any step is absent."""
    value: Any = entry
    for name in fields:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _split_headers(name: str, split: bool, periods: list[str]) -> list[str]:
    return [f"{name}[{p}]" for p in periods] if split else []


def _link_table(sheet: str, owners: list[dict[str, Any]]) -> list[list[Any]]:
    if sheet == "initial_inventory":
        return [
            [p["id"], origin, kg]
            for p in owners
            for origin, kg in p.get("initial_inventory", {}).items()
        ]
    return [
        [o["id"], offer["product"], offer["price"]] for o in owners for offer in o.get("offers", [])
    ]


def _discount_table(doc: dict[str, Any]) -> list[list[Any]]:
    """One row per bracket: (supplier, product) names the offer, one offer per product."""
    return [
        [s["id"], offer["product"], d["min_kg"], d["price"]]
        for s in doc.get("suppliers", [])
        for offer in s.get("offers", [])
        for d in offer.get("discounts", [])
    ]


def _demand_table(
    demand: list[dict[str, Any]], periods: list[str]
) -> tuple[list[str], list[list[Any]]]:
    """Wide: one row per (product, sector) in order of first appearance, a column per period."""
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for d in demand:
        groups.setdefault((d["product"], d["sector"]), {})[d["period"]] = d["quantity"]
    header = ["product", "sector", *_split_headers("quantity", True, periods)]
    return header, [[p, e, *[q.get(t) for t in periods]] for (p, e), q in groups.items()]


def _policy_table(policy: dict[str, Any], periods: list[str]) -> tuple[list[str], list[list[Any]]]:
    budget = policy.get("budget")
    split = isinstance(budget, list)
    rows: list[list[Any]] = [
        [setting, origin, None, v]
        for setting in PER_ORIGIN
        for origin, v in policy.get(setting, {}).items()
    ]
    if "max_supplier_share" in policy:
        rows.append(["max_supplier_share", None, None, policy["max_supplier_share"]])
    rows += [["max_suppliers", None, p, n] for p, n in policy.get("max_suppliers", {}).items()]
    if budget is not None:
        rows.append(["budget", None, None, *([None, *budget] if split else [budget])])
    header = ["setting", "origin", "product", "value", *_split_headers("value", split, periods)]
    return header, rows


def _table(book: Any, sheet: str, header: list[str], rows: list[list[Any]]) -> None:
    ws = book.create_sheet(sheet)
    for row in [header, *rows]:
        ws.append(row)
    for line in ws.iter_rows():
        for cell in line:
            if cell.data_type == "f":  # text that starts with "=" is an id, not a formula
                cell.data_type = "s"
    for i, name in enumerate(header, start=1):
        ws.cell(1, i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 2)
    ws.freeze_panes = "A2"


def _unwritable(value: Any, where: str = "") -> Iterator[Problem]:
    """Text a cell cannot give back as written: blank-looking, or with control characters."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _unwritable(k, f"{where}/{pointer(k)[1:]}")
            yield from _unwritable(v, f"{where}/{pointer(k)[1:]}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _unwritable(v, f"{where}/{i}")
    elif isinstance(value, str) and (not value.strip() or ILLEGAL_CHARACTERS_RE.search(value)):
        yield Problem(where, value, "a workbook cell cannot hold this text as written")


def _unlistable(doc: dict[str, Any]) -> Iterator[Problem]:
    """Items a comma-separated cell cannot hold: commas, surrounding spaces, a lone (none)."""
    for sheet, columns in ENTRY_SHEETS.items():
        for i, entry in enumerate(doc.get(sheet, [])):
            for c in (c for c in columns if c.kind == LIST):
                items = entry.get(c.name) or []
                for j, item in enumerate(items):
                    if "," in item or item != item.strip() or items == [NONE]:
                        rule = "a comma-separated workbook cell cannot hold this item"
                        yield Problem(pointer(sheet, i, c.name, j), item, rule)


# ---------------------------------------------------------------------------- template and README

NOTES = (
    "Scenario workbook: one spelling of the scenario document (MODEL.md §1); JSON is another.",
    "Row 1 of every sheet holds the column names; each row below is one entry. Sheet and column names are fixed; blank rows are skipped.",
    "A blank cell leaves the field out, so its default applies (listed below).",
    "Per-period values (capacity, price_index, budget, demand quantity): one value in the plain column applies to every period; or fill one column per period, headed like capacity[2025-Q3] (the label as on sheet 'periods'). A row uses one form, not both.",
    "demand: a row per product and sector with one quantity[<period>] column per period; a blank cell means no demand. Rows with a period and a quantity column (long form) are read too.",
    "Sourcing rules (MODEL.md §7): a sector's min_service (sheet sectors); a supplier not yet approved has qualification_cost and qualification_lead, given together (sheet suppliers); quantity discounts are rows of sheet discounts, one per bracket of a supplier's offer; max_suppliers (per product) and origin_share_penalty (per origin) are rows of sheet policy.",
    "Lists (tags, restricted_end_uses, licence suppliers/periods/products): comma-separated ids; (none) is an empty list. A licence with a blank periods or products cell covers all of them; with (none) it covers none.",
    "Units: quantities in kg, money in the scenario's currency, prices per kg, rates as fractions (0.075 = 7.5 %), shares in [0, 1], lead times in periods.",
    "Ids and period labels are text; a number typed there is read as its text (2025 → '2025'). Numbers must be numbers, not text. Flags are TRUE or FALSE.",
)
OWNER_TEXT = {
    "supplier": "Supplier id (sheet suppliers) this offer belongs to.",
    "plant": "Plant id (sheet plants) this offer belongs to; price is its unit production cost.",
}
OTHER_TEXT = {
    ("scenario", "field"): "name (required, 1..200 characters) or currency (default USD).",
    ("scenario", "value"): "The value of the field.",
    ("periods", "period"): "One period label per row, in order: 1..240 unique labels.",
    ("initial_inventory", "product"): "Product id (sheet products).",
    ("initial_inventory", "origin"): "Origin country id of the stock (sheet countries).",
    ("initial_inventory", "kg"): "kg in stock before the first period.",
    ("plant_offers", "price"): "Unit production cost, currency per kg.",
    (
        "suppliers",
        "qualification_cost",
    ): "A supplier not yet approved: currency, paid once when its qualification starts. Given with qualification_lead; both blank: already approved.",
    (
        "suppliers",
        "qualification_lead",
    ): "Periods from the start of qualification to the first delivery (lead_time still applies). Given with qualification_cost.",
    ("discounts", "supplier"): "Supplier id (sheet suppliers) whose offer this bracket discounts.",
    ("discounts", "product"): "Product id of that supplier's offer (sheet supplier_offers).",
    (
        "discounts",
        "min_kg",
    ): "kg of the product delivered in one period from which this bracket's price applies. One row per bracket, in order: min_kg strictly increasing, at most 32 per offer.",
    (
        "discounts",
        "price",
    ): "Unit price of every kg of such a delivery, currency per kg (all units): strictly decreasing from bracket to bracket, below the offer's price.",
    ("demand", "period"): "Long form only: the period label of the row (then quantity is its kg).",
    (
        "policy",
        "setting",
    ): "max_origin_share or origin_share_penalty (one row per origin), max_suppliers (one row per product), max_supplier_share, or budget.",
    ("policy", "origin"): "max_origin_share and origin_share_penalty only: the origin country id.",
    ("policy", "product"): "max_suppliers only: the product id whose suppliers it counts.",
    (
        "policy",
        "value",
    ): "max_origin_share: largest fraction of each period's deliveries + production of that origin; origin_share_penalty: currency per kg above that origin's max_origin_share (the cap becomes a target; the origin needs a max_origin_share row); max_supplier_share: largest fraction of a product's deliveries over the horizon from one supplier (default 1); max_suppliers: the most suppliers that may deliver that product over the horizon (a whole number; plants do not count); budget: spend cap per period (landed purchases + production), currency.",
}


def _describe(sheet: str, column: Column) -> str:
    from optimizer.scenario import schema as s

    models: dict[str, Any] = {
        "products": s.Product, "sectors": s.Sector, "countries": s.Country,
        "suppliers": s.Supplier, "licences": s.Licence, "plants": s.Plant,
        "supplier_offers": s.Offer, "plant_offers": s.Offer, "demand": s.Demand,
    }  # fmt: skip
    if (sheet, column.name) in OTHER_TEXT:
        return OTHER_TEXT[(sheet, column.name)]
    if column.name in OWNER_TEXT and sheet.endswith("_offers"):
        return OWNER_TEXT[column.name]
    info = models[sheet].model_fields[column.name]
    text = info.description or ""
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    return text + _blank_means(default)


def _blank_means(default: Any) -> str:
    """What a blank cell stands for; a blank optional id or cap is explained by its text."""
    if isinstance(default, bool):
        return f" Blank: {str(default).upper()}."
    if isinstance(default, float | int):
        return f" Blank: {default:g}."
    return " Blank: none." if default == [] else ""


def _readme_sheet(book: Any) -> None:
    ws = book.create_sheet(README)
    for note in NOTES:
        ws.append([note])
    ws.append([])
    ws.append(["sheet", "column", "kind", "meaning"])
    for sheet, columns in SHEETS.items():
        for c in columns:
            kind = c.kind + (", or one column per period" if c.per_period else "")
            ws.append(
                [sheet, c.name + (" (required)" if c.required else ""), kind, _describe(sheet, c)]
            )
    ws.cell(len(NOTES) + 2, 1).font = ws.cell(1, 1).font = Font(bold=True)
    for letter, width in zip("ABCD", (18, 26, 28, 110), strict=True):
        ws.column_dimensions[letter].width = width


def write_template(path: str | Path, periods: list[str] | None = None) -> None:
    """Every sheet with its header, a few example rows forming a valid scenario, and README."""
    write_scenario_workbook(
        example_scenario(periods or ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]), path
    )


def example_scenario(periods: list[str]) -> dict[str, Any]:
    """A small scenario showing each form: scalar and per-period values, lists, a licence,
    and each sourcing rule of MODEL.md §7."""
    T = len(periods)
    return {
        "name": "example", "currency": "USD", "periods": periods,
        "products": [{"id": "ndfeb", "holding_cost": 0.5, "initial_inventory": {"CN": 2000},
                      "min_inventory": 500}, {"id": "smco", "holding_cost": 2.0}],
        "sectors": [{"id": "auto", "shortage_penalty": 300},
                    {"id": "defence", "tags": ["defence"], "shortage_penalty": 1000,
                     "min_service": 0.85}],
        "countries": [{"id": "CN", "tariff": 0.075, "freight": 0.9,
                       "restricted_end_uses": ["defence"]},
                      {"id": "JP", "freight": 1.2}, {"id": "VN", "freight": 1.0}, {"id": "IN"}],
        "suppliers": [
            {"id": "cn_supplier", "country": "CN",
             "capacity": [8000.0 + 1000 * t for t in range(T)],
             "lead_time": 1, "licence_required": True,
             "offers": [{"product": "ndfeb", "price": 60.0}, {"product": "smco", "price": 90.0}]},
            {"id": "jp_supplier", "country": "JP", "capacity": 3000,
             "price_index": [1.0 + 0.02 * t for t in range(T)],
             "offers": [{"product": "ndfeb", "price": 80.0,
                         "discounts": [{"min_kg": 1500, "price": 77.0},
                                       {"min_kg": 2500, "price": 75.0}]},
                        {"product": "smco", "price": 115.0}]},
            {"id": "vn_supplier", "country": "VN", "capacity": 2000,
             "qualification": {"cost": 25000, "lead": 1},
             "offers": [{"product": "ndfeb", "price": 72.0}]},
        ],
        "licences": [{"id": "cn_licence", "suppliers": ["cn_supplier"], "quantity": 20000,
                      "products": ["ndfeb"]}],
        "plants": [{"id": "in_plant", "country": "IN", "capacity": 1500, "existing": False,
                    "build_cost": 200000, "build_lead": 1, "incentive": 5.0,
                    "incentive_cap": 50000, "offers": [{"product": "ndfeb", "price": 70.0}]}],
        "demand": [{"product": p, "sector": e, "period": t, "quantity": round(q * (1 + 0.1 * i))}
                   for p, e, q in (("ndfeb", "auto", 6000), ("ndfeb", "defence", 1200),
                                   ("smco", "defence", 150))
                   for i, t in enumerate(periods)],
        "policy": {"max_origin_share": {"CN": 0.7}, "origin_share_penalty": {"CN": 40.0},
                   "max_supplier_share": 0.9, "max_suppliers": {"smco": 1}},
    }  # fmt: skip
