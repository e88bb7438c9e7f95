"""HTML pieces of the report: escaped text, number cells that keep the exact value, tables,
fact lists and sections."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def td(text: Any) -> str:
    return f"<td>{esc(text)}</td>"


def num(value: float | None, digits: int = 2, suffix: str = "", shown: str | None = None) -> str:
    """A number cell; `data-value` keeps the exact value for anyone reading the page.
    `shown` replaces the rounded number (e.g. money with its currency)."""
    if value is None:
        return '<td class="num">–</td>'
    if shown is None:
        rounded = 0.0 if round(value, digits) == 0 else value  # never "−0.00"
        shown = f"{rounded:,.{digits}f}".replace("-", "−") + suffix
    shown = esc(shown)
    return f'<td class="num" data-value="{value!r}">{shown}</td>'


def table(table_id: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    heads = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "\n".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f'<table id="{esc(table_id)}">\n<tr>{heads}</tr>\n{body}\n</table>'


def facts(pairs: Iterable[tuple[str, Any]], facts_id: str) -> str:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs if v is not None)
    return f'<dl class="facts" id="{esc(facts_id)}">{items}</dl>'


def section(section_id: str, title: str, level: int, *parts: str) -> str:
    head = f"<h{level}>{esc(title)}</h{level}>"
    return f'<section id="{esc(section_id)}">\n{head}\n' + "\n".join(parts) + "\n</section>"
