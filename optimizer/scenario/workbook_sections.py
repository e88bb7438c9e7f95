"""A scenario workbook's rows turned into the document's sections: the scenario fields and
periods, one entry per row of the entry sheets, offers, opening stock and discounts joined
to the entry their row names, demand (wide or long rows) and policy settings."""

from __future__ import annotations

from typing import Any

from optimizer.errors import pointer
from optimizer.scenario.workbook_layout import (
    CONVERT,
    ENTRY_SHEETS,
    LINK_SHEETS,
    MISSING,
    NUMBER,
    OTHER_SHEETS,
    PER_ORIGIN,
    PER_PRODUCT,
    POLICY_SETTINGS,
    README,
    SCENARIO_FIELDS,
    SHEETS,
    TEXT,
    WHOLE,
    BadCell,
    LinkSheet,
)
from optimizer.scenario.workbook_rows import Row, WorkbookReader


def scenario_document(r: WorkbookReader) -> dict[str, Any]:
    for sheet in r.book.sheetnames:
        if sheet not in SHEETS and sheet != README:
            rule = f"unknown sheet; the sheets are {', '.join([README, *SHEETS])}"
            r.complain(f"sheet '{sheet}'", "", sheet, rule)
    doc = _scenario_fields(r)
    if "periods" in r.book.sheetnames:
        doc["periods"] = _periods(r)
    for sheet, columns in ENTRY_SHEETS.items():
        if sheet in r.book.sheetnames:
            doc[sheet] = [r.record(row, columns, pointer(sheet, i))
                          for i, row in enumerate(r.rows(sheet, pointer(sheet)))]  # fmt: skip
    for sheet, link in LINK_SHEETS.items():
        _link_rows(r, sheet, link, doc.get(link.owners, []))
    _discount_rows(r, doc.get("suppliers", []))
    if "demand" in r.book.sheetnames:
        doc["demand"] = _demand(r)
    if "policy" in r.book.sheetnames:
        doc["policy"] = _policy(r)
    return doc


def _scenario_fields(r: WorkbookReader) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for row in r.rows("scenario", ""):
        name = r.value(row, "field", TEXT, "", field=False)
        if name in SCENARIO_FIELDS and name not in doc:
            value = r.value(row, "value", TEXT, pointer(name))
            if value is not MISSING:
                doc[name] = value
        elif name is not MISSING:
            rule = "already given" if name in doc else f"not one of {', '.join(SCENARIO_FIELDS)}"
            r.complain(row.cells["field"][1], "", name, rule)
    return doc


def _periods(r: WorkbookReader) -> list[str]:
    rows = r.rows("periods", "/periods")
    labels = [r.value(row, "period", TEXT, pointer("periods", i)) for i, row in enumerate(rows)]
    r.periods = [label for label in labels if label is not MISSING]
    r.all_periods_read = len(r.periods) == len(labels) and "periods" not in r.absent
    if not r.all_periods_read:  # the labels' count and names are not known: none is checked
        r.unread.add("/periods")
    return r.periods


def _link_rows(
    r: WorkbookReader, sheet: str, link: LinkSheet, owners: list[dict[str, Any]]
) -> None:
    """Offers and opening stock: each row joins the entry its first column names."""
    owner_col, key_col, value_col = link.columns
    index: dict[Any, int] = {}
    for i, entry in enumerate(owners):
        index.setdefault(entry.get("id"), i)
    # An owner whose id cell could not be read may be the one a row names.
    all_ids_read = all(pointer(link.owners, i, "id") not in r.unread for i in range(len(owners)))
    for row in r.rows(sheet, pointer(link.owners)):
        owner = r.value(row, owner_col.name, TEXT, pointer(link.owners), field=False)
        if owner not in index:
            if owner is not MISSING and all_ids_read:
                rule = f"no {owner_col.name} '{owner}' on sheet '{link.owners}'"
                r.complain(row.cells[owner_col.name][1], pointer(link.owners), owner, rule)
            elif owner_col.name not in row.cells and owner_col.name not in r.absent.get(sheet, ()):
                r.complain(row.place, pointer(link.owners), None, f"names no {owner_col.name}")
            continue
        where = pointer(link.owners, index[owner])
        if sheet == "initial_inventory":
            _stock_row(r, row, owners[index[owner]], f"{where}/initial_inventory")
        else:
            offers = owners[index[owner]].setdefault("offers", [])
            offers.append(r.record(row, (key_col, value_col), f"{where}/offers/{len(offers)}"))


def _discount_rows(r: WorkbookReader, suppliers: list[dict[str, Any]]) -> None:
    """Each row is a bracket of the offer its supplier and product name, in sheet order."""
    index: dict[Any, int] = {}
    for i, entry in enumerate(suppliers):
        index.setdefault(entry.get("id"), i)
    all_ids_read = all(pointer("suppliers", i, "id") not in r.unread for i in range(len(suppliers)))
    absent = r.absent.get("discounts", set())
    for row in r.rows("discounts", "/suppliers"):
        supplier = r.value(row, "supplier", TEXT, "/suppliers", field=False)
        product = r.value(row, "product", TEXT, "/suppliers", field=False)
        if supplier not in index:
            if supplier is not MISSING and all_ids_read:
                rule = f"no supplier '{supplier}' on sheet 'suppliers'"
                r.complain(row.cells["supplier"][1], "/suppliers", supplier, rule)
            elif "supplier" not in row.cells and "supplier" not in absent:
                r.complain(row.place, "/suppliers", None, "names no supplier")
            continue
        where = pointer("suppliers", index[supplier], "offers")
        offers = suppliers[index[supplier]].get("offers", [])
        match = [j for j, offer in enumerate(offers) if offer.get("product") == product]
        if product is MISSING or not match:
            if "product" not in row.cells and "product" not in absent:
                r.complain(row.place, where, None, "names no product")
            elif product is not MISSING and all(
                f"{where}/{j}/product" not in r.unread for j in range(len(offers))
            ):
                rule = (
                    f"supplier '{supplier}' has no offer of '{product}' on sheet 'supplier_offers'"
                )
                r.complain(row.cells["product"][1], where, product, rule)
            continue
        discounts = offers[match[0]].setdefault("discounts", [])
        at = f"{where}/{match[0]}/discounts/{len(discounts)}"
        discounts.append(r.record(row, OTHER_SHEETS["discounts"][2:], at))


def _stock_row(r: WorkbookReader, row: Row, product: dict[str, Any], where: str) -> None:
    stock = product.setdefault("initial_inventory", {})
    origin = r.value(row, "origin", TEXT, where, field=False)
    if origin is MISSING:
        if "origin" not in row.cells and "origin" not in r.absent.get(row.sheet, ()):
            r.complain(row.place, where, None, "names no origin")
        return
    if origin in stock:
        r.complain(row.cells["origin"][1], where, origin, "this origin already has a row")
        return
    key = f"{where}/{pointer(origin)[1:]}"
    kg = r.value(row, "kg", NUMBER, key)
    r.places[key] = row.place  # a problem with this entry may be its origin or its kg
    if kg is not MISSING:
        stock[origin] = kg
    elif "kg" not in row.cells:
        r.complain(row.place, key, None, "names no kg")


def _demand(r: WorkbookReader) -> list[dict[str, Any]]:
    """Wide rows give one demand row per filled quantity[<period>] cell; long rows give one."""
    out: list[dict[str, Any]] = []
    for row in r.rows("demand", "/demand"):
        first = pointer("demand", len(out))
        pair = {k: r.value(row, k, TEXT, f"{first}/{k}") for k in ("product", "sector")}
        pair = {k: v for k, v in pair.items() if v is not MISSING}
        lost = [k for k in ("product", "sector") if f"{first}/{k}" in r.unread]
        # A label given twice on sheet 'periods' is one column here, read once.
        columns = {f"quantity[{p}]": t for t, p in reversed(list(enumerate(r.periods)))}
        split = sorted((t, header) for header, t in columns.items() if header in row.cells)
        if split and ("quantity" in row.cells or "period" in row.cells):
            rule = "give quantity and period, or quantity[<period>] columns, not both"
            r.complain(row.place, first, None, rule)
        elif not split:
            out.append({**pair, **r.record(row, OTHER_SHEETS["demand"][2:], first)})
        for t, header in split:
            where = pointer("demand", len(out))
            quantity = r.value(row, header, NUMBER, f"{where}/quantity")
            r.places.update({where: row.place, f"{where}/period": row.cells[header][1]})
            r.places.update({f"{where}/{k}": row.cells[k][1] for k in pair})
            r.unread.update(f"{where}/{k}" for k in lost)  # each row the cells spell lacks it
            out.append({**pair, "period": r.periods[t], "quantity": quantity})
            if quantity is MISSING:  # its problem is recorded; keep the later rows' pointers
                del out[-1]["quantity"]
    return out


def _policy(r: WorkbookReader) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    for row in r.rows("policy", "/policy"):
        setting = r.value(row, "setting", TEXT, "/policy", field=False)
        origin = r.value(row, "origin", TEXT, "/policy", field=False)
        product = r.value(row, "product", TEXT, "/policy", field=False)
        key = origin if setting in PER_ORIGIN else product if setting in PER_PRODUCT else MISSING
        named = () if setting is MISSING else (setting,) if key is MISSING else (setting, key)
        where = pointer("policy", *named)  # an unreadable setting: the sheet's pointer
        reason = _policy_row_problem(setting, origin, product, policy)
        if reason:
            r.complain(row.place, where, setting if setting is not MISSING else None, reason)
            continue
        value = r.per_period(row, "value", where)
        if isinstance(value, list) and setting != "budget":
            r.complain(row.place, where, None, f"{setting} takes one value, not one per period")
            r.unread.add(where)
            value = MISSING
        elif setting in PER_PRODUCT and value is not MISSING:
            value = _whole_value(r, row, where, value)
        if key is MISSING:
            if value is not MISSING:
                policy[setting] = value
        elif value is not MISSING or where in r.unread:
            # A value that could not be read keeps its key (as None, an unread value), so
            # the rules that look for the key (a penalty's cap) do not call it missing.
            policy.setdefault(setting, {})[key] = None if value is MISSING else value
    return policy


def _whole_value(r: WorkbookReader, row: Row, where: str, value: Any) -> Any:
    try:
        return CONVERT[WHOLE](value)
    except BadCell as exc:
        r.complain(row.cells["value"][1], where, value, str(exc))
        r.unread.add(where)
        return MISSING


def _policy_row_problem(
    setting: Any, origin: Any, product: Any, policy: dict[str, Any]
) -> str | None:
    if setting not in POLICY_SETTINGS:
        return f"setting must be one of {', '.join(POLICY_SETTINGS)}"
    keyed = {s: ("origin", origin) for s in PER_ORIGIN} | {
        s: ("product", product) for s in PER_PRODUCT
    }
    column, key = keyed.get(setting, (None, MISSING))
    for name, given in (("origin", origin), ("product", product)):
        if given is not MISSING and name != column:
            return f"{setting} takes no {name}: leave column '{name}' blank"
    if column is None:
        return "this setting already has a row" if setting in policy else None
    if key is MISSING:
        what = "origin country" if column == "origin" else column
        return f"{setting} needs the {what} id in column '{column}'"
    return f"this {column} already has a row" if key in policy.get(setting, {}) else None
