"""Numbers rounded for people: kg, money and shares as a planner reads them in a table or
a sentence. The plan JSON keeps the exact values; these are for display only."""

from __future__ import annotations

from collections.abc import Sequence

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}
MINUS = "−"  # U+2212: a minus sign that does not read as a hyphen


def kg(value: float) -> str:
    """91200.00000000001 → '91,200'; a positive amount under half a kg → '<1'."""
    if 0 < abs(value) < 0.5:
        return "<1" if value > 0 else f"{MINUS}<1"
    return _signed(f"{abs(value):,.0f}", value)


def tonnes(value: float) -> str:
    """654000 → '654 t'; 4900 → '4.9 t'; under a tonne in kg ('750 kg')."""
    if abs(value) < 1000:
        return f"{kg(value)} kg"
    text = f"{abs(value) / 1000:,.1f}".removesuffix(".0")
    return _signed(text, value) + " t"


def money(value: float, currency: str = "", cents: bool = False, per: str = "") -> str:
    """-41.2 USD → '−$41'; 1234.5 INR → '₹1,235'; an unknown code follows the number.
    `per` adds a unit ('/kg'); `cents` keeps two decimals (for prices per kg)."""
    digits = 2 if cents else 0
    if round(abs(value), digits) == 0:
        value = 0.0  # never '−0'
    number = f"{abs(value):,.{digits}f}"
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{number}" if symbol else f"{number} {currency}".rstrip()
    return _signed(text, value) + per


def millions(value: float, currency: str = "") -> str:
    """90444565 → '$90.4 M' (below a million: the whole amount)."""
    if abs(value) < 1e6:
        return money(value, currency)
    symbol = SYMBOLS.get(currency)
    number = f"{abs(value) / 1e6:,.1f} M"
    text = f"{symbol}{number}" if symbol else f"{number} {currency}".rstrip()
    return _signed(text, value)


def percent(share: float, digits: int = 1) -> str:
    """0.8000000000000002 → '80.0 %'."""
    if round(abs(100 * share), digits) == 0:
        share = 0.0
    return _signed(f"{abs(100 * share):.{digits}f}", share) + " %"


def plain(value: float, digits: int = 0) -> str:
    """A plain number with thousands separators and a real minus sign."""
    if round(abs(value), digits) == 0:
        value = 0.0
    return _signed(f"{abs(value):,.{digits}f}", value)


def _signed(text: str, value: float) -> str:
    """The callers have set an amount that rounds to zero to 0, so no '−0' is shown."""
    return MINUS + text if value < 0 else text


def aligned(rows: Sequence[Sequence[str]], right: Sequence[bool], indent: str = "  ") -> list[str]:
    """Rows of text as columns: each column as wide as its widest cell, numbers (the
    columns marked `right`) right-aligned; trailing blanks removed."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(row, widths, right, strict=True)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines
