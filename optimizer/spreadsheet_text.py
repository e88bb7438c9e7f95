"""Text a spreadsheet would run as a formula, made inert.

Excel, LibreOffice and Google Sheets take a cell that starts with `=`, `+`, `-` or `@`
(or a tab or carriage return before one) as a formula, so a scenario, supplier or member
named `=HYPERLINK(...)` would run when a planner opens the CSV or workbook. Such text is
written with a leading apostrophe, which the spreadsheet shows as the text itself
(OWASP's advice for CSV injection). Numbers are left alone: -5 is a number, not a formula.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
