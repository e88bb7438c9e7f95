"""A scenario workbook's sheets read into rows of filled cells, and a cell converted to its
field's value: each value's place (sheet and cell) is kept for the problems that name it,
and every cell that cannot be read is a problem recorded, never raised at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from optimizer.errors import Problem
from optimizer.scenario.workbook_layout import (
    CONVERT,
    MISSING,
    NUMBER,
    SHEETS,
    BadCell,
    Column,
    is_blank,
)


@dataclass
class Row:
    """One non-blank row: its number and its filled cells by header, as (value, place)."""

    sheet: str
    number: int
    cells: dict[str, tuple[Any, str]]

    @property
    def place(self) -> str:
        return f"sheet '{self.sheet}', row {self.number}"


@dataclass
class WorkbookReader:
    """Reads a workbook's cells, gathering every problem and each value's place; it also
    holds what the sections read so far tell the later ones (the periods, what is unread)."""

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

    def rows(self, sheet: str, where: str) -> list[Row]:
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
            Row(sheet, n, {header[i]: (v, _cell(sheet, i, n)) for i, v in enumerate(values)
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

    def value(self, row: Row, column: str, kind: str, where: str, field: bool = True) -> Any:
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

    def per_period(self, row: Row, name: str, where: str) -> Any:
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

    def record(self, row: Row, columns: tuple[Column, ...], where: str) -> dict[str, Any]:
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

    def whole_objects(self, row: Row, columns: tuple[Column, ...], where: str) -> list[Column]:
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
