"""Workbook sheets formatted for people: number formats by column (kg, money, shares),
the header row frozen, columns as wide as what they show. Only the display changes: a cell
keeps the exact value (91200.00000000001 is shown as 91,200, 0.8000000000000002 as 80.0%).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.spreadsheet_text import inert

KG = "#,##0"
MONEY = "#,##0"
PRICE = "#,##0.00"  # per kg: cents kept
SHARE = "0.0%"
SECONDS = "0.000"
GAP = "0.00E+00"
VALUE = "#,##0.00"
WIDEST = 48  # characters: a column never grows wider


def column_format(name: str) -> str | None:
    """The number format of a column by its name (plain or dotted: `terms.purchase`)."""
    last = name.rsplit(".", 1)[-1].rsplit(":", 1)[0]
    if last in ("kg", "used", "quantity", "shortage_kg") or name.startswith("shortage_kg"):
        return KG
    if last in ("landed_cost", "per_kg", "price"):
        return PRICE
    if last in ("share", "cap") or name.startswith(("share", "origin_share")):
        return SHARE
    if name.startswith("timings.") or last.endswith("_s"):
        return SECONDS
    if last == "mip_gap":
        return GAP
    if last in ("value",):
        return VALUE
    if name.startswith("terms.") or last in ("cost", "fixed_cost", "objective", "penalty"):
        return MONEY
    return None


def format_table(ws: Worksheet, formats: Sequence[str | None]) -> None:
    """A sheet written as one table with a header row: formats by column, header frozen
    and bold, widths fitted."""
    for col, fmt in enumerate(formats, start=1):
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    fit_widths(ws)


def fit_widths(ws: Worksheet) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                shown = _shown_length(cell.value, cell.number_format)
                widths[cell.column] = max(widths.get(cell.column, 0), shown)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(WIDEST, width + 2)


def _shown_length(value: Any, fmt: str) -> int:
    if isinstance(value, float | int) and not isinstance(value, bool):
        if fmt == SHARE:
            return len(f"{100 * value:.1f}%")
        if fmt in (KG, MONEY):
            return len(f"{value:,.0f}")
        if fmt in (PRICE, VALUE):
            return len(f"{value:,.2f}")
        return min(len(repr(value)), 12)
    return len(str(value))


def write_block(
    ws: Worksheet,
    row: int,
    col: int,
    title: str | None,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: Sequence[str | None],
) -> int:
    """A small titled table at (row, col); text made inert. Returns the next free row
    after a blank one."""
    if title:
        ws.cell(row, col, title).font = Font(bold=True, size=12)
        row += 1
    for j, name in enumerate(header):
        ws.cell(row, col + j, name).font = Font(bold=True)
    for values in rows:
        row += 1
        for j, value in enumerate(values):
            cell = ws.cell(row, col + j, inert(value))
            if formats[j] and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = formats[j]
    return row + 2
