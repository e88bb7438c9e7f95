"""Reading a scenario workbook into the scenario document (layout in `workbook.py`)."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
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
    Column,
    LinkSheet,
    is_blank,
)

# ---------------------------------------------------------------------------- reading


@dataclass
class _Row:
    """One non-blank row: its number and its filled cells by header, as (value, place)."""

    sheet: str
    number: int
    cells: dict[str, tuple[Any, str]]

    @property
    def place(self) -> str:
        return f"sheet '{self.sheet}', row {self.number}"


@dataclass
class _Reader:
    """Turns a workbook into the document, gathering every problem and each value's place."""

    book: Any
    problems: list[Problem] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)  # JSON pointer → sheet and cell
    periods: list[str] = field(default_factory=list)
    # Pointers of fields left out because a problem above already says why: validation
    # neither calls them missing nor checks what depends on them.
    unread: set[str] = field(default_factory=set)
    absent: dict[str, set[str]] = field(default_factory=dict)  # sheet → required columns lacking
    all_periods_read: bool = False

    def complain(self, place: str, where: str, value: Any, rule: str) -> None:
        self.problems.append(Problem(where, value, f"{place}: {rule}"))

    def rows(self, sheet: str, where: str) -> list[_Row]:
        """The sheet's non-blank rows below its header row (none when the sheet is absent)."""
        if sheet not in self.book.sheetnames:
            return []
        ws = self.book[sheet]
        ws.reset_dimensions()  # some writers store a wrong sheet size; read every stored cell
        raw = list(ws.iter_rows(values_only=True))
        if not raw:
            return []
        header = self.header(sheet, raw[0], where)
        body = [(n, v) for n, v in enumerate(raw[1:], start=2) if not all(map(is_blank, v))]
        self.check_unnamed(sheet, raw[0], body, where)
        self.check_required(sheet, header, bool(body), where)
        return [
            _Row(sheet, n, {header[i]: (v, _cell(sheet, i, n)) for i, v in enumerate(values)
                            if i in header and not is_blank(v)})
            for n, values in body
        ]  # fmt: skip

    def header(self, sheet: str, names: tuple[Any, ...], where: str) -> dict[int, str]:
        header: dict[int, str] = {}
        for i, name in enumerate(names):
            if is_blank(name):
                continue
            text = str(name).strip()
            reason = self.header_problem(sheet, text, header.values())
            if reason:
                self.complain(_cell(sheet, i, 1), where, text, reason)
            else:
                header[i] = text
        return header

    def header_problem(self, sheet: str, text: str, seen: Any) -> str | None:
        columns = {c.name: c for c in SHEETS[sheet]}
        base, _, label = text.partition("[")
        if text in seen:
            return "this column appears twice"
        if text in columns:
            return None
        if not label.endswith("]") or base not in columns or not columns[base].per_period:
            return f"unknown column; the columns of this sheet are {', '.join(columns)}"
        if label[:-1] not in self.periods and self.all_periods_read:
            return f"no period '{label[:-1]}' on sheet 'periods'"
        return None  # a label that could not be read may be this one: its cells go unread

    def check_unnamed(self, sheet: str, names: tuple[Any, ...], body: list, where: str) -> None:
        """A value under a blank header cell: once per column, at its first such cell."""
        reported: set[int] = set()
        for n, values in body:
            for i, v in enumerate(values):
                unnamed = i >= len(names) or is_blank(names[i])
                if unnamed and not is_blank(v) and i not in reported:
                    reported.add(i)
                    self.complain(_cell(sheet, i, n), where, _shown(v), "a value under no header")

    def check_required(
        self, sheet: str, header: dict[int, str], has_rows: bool, where: str
    ) -> None:
        present = {name.partition("[")[0] for name in header.values()}
        for column in SHEETS[sheet]:
            if has_rows and column.required and column.name not in present:
                rule = f"no column '{column.name}' (row 1 holds the column names)"
                self.complain(f"sheet '{sheet}'", where, None, rule)
                self.absent.setdefault(sheet, set()).add(column.name)

    def value(self, row: _Row, column: str, kind: str, where: str, field: bool = True) -> Any:
        """The converted cell, or MISSING when blank or wrong (the problem is recorded).

        `field`: `where` is the field the cell fills (not the list or sheet it belongs
        to), so a wrong cell or a lacking column leaves that field unread.
        """
        if column not in row.cells:
            if field and column in self.absent.get(row.sheet, ()):
                self.unread.add(where)
            return MISSING
        raw, place = row.cells[column]
        self.places[where] = place
        try:
            return CONVERT[kind](raw)
        except BadCell as exc:
            self.complain(place, where, _shown(raw), str(exc))
            if field:
                self.unread.add(where)
            return MISSING

    def per_period(self, row: _Row, name: str, where: str) -> Any:
        """A scalar from the plain column, or a list from the `name[<period>]` columns."""
        split = [f"{name}[{label}]" for label in self.periods]
        given = [t for t, header in enumerate(split) if header in row.cells]
        if not given:
            return self.value(row, name, NUMBER, where)
        if name in row.cells:
            rule = f"give {name} in column '{name}' or in its per-period columns, not both"
            self.complain(row.cells[name][1], where, None, rule)
            self.unread.add(where)
            return MISSING
        if len(given) < len(split):
            lacking = ", ".join(p for t, p in enumerate(self.periods) if t not in given)
            self.complain(row.place, where, None, f"{name} has no value for period(s) {lacking}")
            self.unread.add(where)
            return MISSING
        self.places[where] = row.place
        values = [self.value(row, header, NUMBER, f"{where}/{t}") for t, header in enumerate(split)]
        if any(v is MISSING for v in values):
            self.unread.add(where)
            return MISSING
        return values

    def record(self, row: _Row, columns: tuple[Column, ...], where: str) -> dict[str, Any]:
        """One entry: every filled column, converted, keyed by its field name; a column
        with a `path` fills a field of an object inside the entry (a qualification)."""
        self.places[where] = row.place
        out: dict[str, Any] = {}
        for c in self.whole_objects(row, columns, where):
            w = "/".join([where, *c.fields])
            v = (
                self.per_period(row, c.name, w)
                if c.per_period
                else self.value(row, c.name, c.kind, w)
            )
            if v is not MISSING:
                inner = out
                for name in c.fields[:-1]:
                    inner = inner.setdefault(name, {})
                inner[c.fields[-1]] = v
        return out

    def whole_objects(self, row: _Row, columns: tuple[Column, ...], where: str) -> list[Column]:
        """The columns to read: an object spelled by several columns (qualification_cost
        and qualification_lead) is given whole or not at all; a part of one is reported."""
        parts: dict[tuple[str, ...], list[Column]] = {}
        for c in columns:
            if c.path:
                parts.setdefault(c.path[:-1], []).append(c)
        skipped: set[str] = set()
        for path, group in parts.items():
            given = [c.name for c in group if c.name in row.cells]
            lacking = [c.name for c in group if c.name not in row.cells]
            at = "/".join([where, *path])
            self.places[at] = row.place
            if given and lacking:
                rule = f"give {' and '.join(lacking)} with {' and '.join(given)}, or neither"
                self.complain(row.place, at, None, rule)
                self.unread.add(at)
                skipped.update(c.name for c in group)
        return [c for c in columns if c.name not in skipped]


def _cell(sheet: str, column: int, row: int) -> str:
    return f"sheet '{sheet}', cell {get_column_letter(column + 1)}{row}"


def _shown(v: Any) -> Any:
    """A cell value as a problem shows it: JSON-friendly (dates and times become text)."""
    return v if isinstance(v, str | int | float | bool) else str(v)


def read_workbook(path: str | Path) -> dict[str, Any]:
    """The scenario document a workbook spells; ScenarioError for a malformed workbook."""
    document, reader = _read(path)
    if reader.problems:
        raise ScenarioError(reader.problems)
    return document


def scenario_from_workbook(path: str | Path) -> Scenario:
    """Read and validate; each problem names its sheet and cell as well as its pointer."""
    return validated(path)[1]


def validated(path: str | Path) -> tuple[dict[str, Any], Scenario]:
    """The document and its scenario; ScenarioError with the workbook's every problem.

    The cells that could not be read are left out of the document and marked unread, so
    the scenario's own rules still check every other cell.
    """
    document, reader = _read(path)
    try:
        scenario = parse_scenario(document, reader.unread)
    except ScenarioError as exc:
        located = _once_per_cell(exc.problems, reader.places)
        raise ScenarioError(reader.problems + located) from None
    if reader.problems:
        raise ScenarioError(reader.problems)
    return document, scenario


def _once_per_cell(problems: list[Problem], places: dict[str, str]) -> list[Problem]:
    """Each problem named by its cell, once: a wide demand row's cell fills several rows."""
    said: set[tuple[str, str, str]] = set()
    out = []
    for p in problems:
        place = _place(p.pointer, places)
        key = (place or p.pointer, p.rule, json.dumps(p.value, sort_keys=True, default=str))
        if key not in said:
            said.add(key)
            out.append(Problem(p.pointer, p.value, f"{place}: {p.rule}") if place else p)
    return out


def _place(pointer: str, places: dict[str, str]) -> str | None:
    """The nearest cell or row that holds the value at `pointer`."""
    while pointer and pointer not in places:
        pointer = pointer.rsplit("/", 1)[0]
    return places.get(pointer)


def _read(path: str | Path) -> tuple[dict[str, Any], _Reader]:
    with warnings.catch_warnings():  # openpyxl's notes on Excel extras it ignores anyway
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — zip, XML and format errors: "unreadable"
            reason = f"cannot read workbook: {type(exc).__name__}: {exc}"
            raise ScenarioError([Problem("", str(path), reason)]) from None
        try:
            reader = _Reader(book)
            document = _document(reader)
        finally:
            book.close()
    return document, reader


def _document(r: _Reader) -> dict[str, Any]:
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


def _scenario_fields(r: _Reader) -> dict[str, Any]:
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


def _periods(r: _Reader) -> list[str]:
    rows = r.rows("periods", "/periods")
    labels = [r.value(row, "period", TEXT, pointer("periods", i)) for i, row in enumerate(rows)]
    r.periods = [label for label in labels if label is not MISSING]
    r.all_periods_read = len(r.periods) == len(labels) and "periods" not in r.absent
    if not r.all_periods_read:  # the labels' count and names are not known: none is checked
        r.unread.add("/periods")
    return r.periods


def _link_rows(r: _Reader, sheet: str, link: LinkSheet, owners: list[dict[str, Any]]) -> None:
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


def _discount_rows(r: _Reader, suppliers: list[dict[str, Any]]) -> None:
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


def _stock_row(r: _Reader, row: _Row, product: dict[str, Any], where: str) -> None:
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


def _demand(r: _Reader) -> list[dict[str, Any]]:
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


def _policy(r: _Reader) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    for row in r.rows("policy", "/policy"):
        setting = r.value(row, "setting", TEXT, "/policy", field=False)
        origin = r.value(row, "origin", TEXT, "/policy", field=False)
        product = r.value(row, "product", TEXT, "/policy", field=False)
        key = origin if setting in PER_ORIGIN else product if setting in PER_PRODUCT else MISSING
        where = pointer("policy", *((setting,) if key is MISSING else (setting, key)))
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


def _whole_value(r: _Reader, row: _Row, where: str, value: Any) -> Any:
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
