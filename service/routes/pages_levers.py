"""Levers: the numbers a planning team argues about, changed on a scenario's page and
saved as a new named variant (the parent stays as it was).

Each lever becomes one of the what-if shocks of optimizer.whatif (the kinds sweeps use),
applied through `solving.variant_document`; the budget, which no shock kind sets, is the
policy's spend cap replaced. A variant records its lineage, its parent's id and its
changes, in its stored name, which the scenario format and the store already hold:

    China halt ⟨of 3f0c…-uuid: capacity CN ×0 2025-Q3,2025-Q4; tariff CN =0.25⟩

Pages show the label before ⟨ as the name and the rest as "variant of … with …".
Ids in a change are percent-encoded where they hold a space or a separator. A name holds
200 characters: a variant with more changes than fit is refused with that reason (make a
variant of the variant for the rest).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from starlette.datastructures import FormData

from .. import queries
from ..database import Database
from ..solving import Problem

NAME_LENGTH = 200
LABEL_LENGTH = 80
MAX_ANCESTORS = 10
LINEAGE = re.compile(
    r"^(?P<label>.*) ⟨of (?P<parent>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?:: (?P<changes>.*))?⟩$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Lineage:
    label: str
    parent: str | None  # the parent scenario's id; None for a scenario that is no variant
    changes: list[str]  # the changes as coded in the name


def lineage_of(name: str) -> Lineage:
    found = LINEAGE.match(name)
    if found is None:
        return Lineage(name, None, [])
    changes = found["changes"].split("; ") if found["changes"] else []
    return Lineage(found["label"], found["parent"], changes)


def shown_name(name: str) -> str:
    """A scenario's or a plan's name as pages show it: a variant's label alone."""
    return lineage_of(name).label


def variant_name(label: str, parent_id: str, codes: list[str]) -> str:
    return f"{label} ⟨of {parent_id}{': ' + '; '.join(codes) if codes else ''}⟩"


# --- the lever form ---------------------------------------------------------------------------


def origins_of(document: dict[str, Any]) -> list[str]:
    """Origin countries of the scenario's suppliers, in the countries' order."""
    used = {s.get("origin") or s.get("country") for s in _list(document, "suppliers")}
    return [c["id"] for c in _list(document, "countries") if c.get("id") in used]


def shipping_countries(document: dict[str, Any]) -> list[str]:
    used = {s.get("country") for s in _list(document, "suppliers")}
    return [c["id"] for c in _list(document, "countries") if c.get("id") in used]


def discounted_suppliers(document: dict[str, Any]) -> list[str]:
    """Suppliers with an offer that has quantity discounts, in the suppliers' order."""
    return [
        s["id"]
        for s in _list(document, "suppliers")
        if any(isinstance(o, dict) and o.get("discounts") for o in s.get("offers") or [])
    ]


def lever_form(document: dict[str, Any], entered: FormData | None = None) -> dict[str, Any]:
    """The lever form's fields, each filled with the scenario's current value, or with
    what was `entered` when the form comes back with problems to fix."""
    form = _current(document)
    if entered is not None:
        for group in ("sectors", "licences", "tariffs", "shares", "discounts", "most", "leads"):
            for row in form[group]:
                row["value"] = str(entered.get(row["field"]) or "")[:80]
        form["budget"] = str(entered.get("budget") or "")[:400]
        form["name"] = str(entered.get("name") or "")[:LABEL_LENGTH]
        form["cap_origin"] = str(entered.get("cap_origin") or "")
        form["cap_factor"] = str(entered.get("cap_factor") or "0")[:80]
        chosen = set(entered.getlist("cap_period"))
        form["periods"] = [{**p, "checked": p["value"] in chosen} for p in form["periods"]]
    return form


def _current(document: dict[str, Any]) -> dict[str, Any]:
    countries = {c.get("id"): c for c in _list(document, "countries")}
    caps = (document.get("policy") or {}).get("max_origin_share") or {}
    budget = (document.get("policy") or {}).get("budget")
    most = (document.get("policy") or {}).get("max_suppliers") or {}
    products = [p.get("id") for p in _list(document, "products")]
    return {
        "sectors": [
            {"field": f"demand_{i}", "id": s.get("id"), "value": "100"}
            for i, s in enumerate(_list(document, "sectors"))
        ],
        "licences": [
            {"field": f"licence_{i}", "id": lic.get("id"), "value": _plain(lic.get("quantity"))}
            for i, lic in enumerate(_list(document, "licences"))
        ],
        "tariffs": [
            {
                "field": f"tariff_{i}",
                "id": c,
                "value": _plain(100 * float(countries[c].get("tariff") or 0.0)),
            }
            for i, c in enumerate(shipping_countries(document))
        ],  # fmt: skip
        "shares": [
            {
                "field": f"share_{i}",
                "id": o,
                "value": _plain(100 * caps[o]) if isinstance(caps.get(o), int | float) else "",
            }
            for i, o in enumerate(origins_of(document))
        ],  # fmt: skip
        "discounts": [
            {"field": f"discount_{i}", "id": s, "value": "100"}
            for i, s in enumerate(discounted_suppliers(document))
        ],
        "most": [
            {"field": f"most_{i}", "id": p, "value": _plain(most[p])}
            for i, p in enumerate(p for p in products if isinstance(most.get(p), int | float))
        ],
        "leads": [
            {
                "field": f"lead_{i}",
                "id": s.get("id"),
                "value": _plain(s["qualification"].get("lead")),
            }
            for i, s in enumerate(
                x for x in _list(document, "suppliers") if isinstance(x.get("qualification"), dict)
            )
        ],  # fmt: skip
        "origins": origins_of(document),
        "periods": [{"value": str(p), "checked": False} for p in document.get("periods") or []],
        "budget": _budget_text(budget),
        "name": "",
        "cap_origin": "",
        "cap_factor": "0",
    }


class LeverProblems(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def changes_from_form(
    document: dict[str, Any], parent_id: str, form: FormData
) -> tuple[dict[str, Any], list[str]]:
    """The variant's change (its name, shocks and budget, for solving.variant_document)
    and its changes as coded in its name; LeverProblems names every field to fix."""
    problems: list[Problem] = []
    shocks: list[dict[str, Any]] = []
    codes: list[str] = []
    current = _current(document)

    def number(field: str, where: str, percent: bool = False, most: float | None = None,
               whole: bool = False, positive: bool = False) -> float | None:  # fmt: skip
        text = str(form.get(field) or "").strip().replace(",", "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if (
            not math.isfinite(value) or value < 0 or (positive and value == 0)
            or (most is not None and value > most) or (whole and not value.is_integer())
        ):  # fmt: skip
            rule = "must be " + ("a whole number" if whole else "a number")
            rule += ", more than 0" if positive else ", at least 0"
            rule += f" and at most {_plain(most)}" if most else ""
            problems.append(Problem(where, text[:80], rule + (" (per cent)" if percent else "")))
            return None
        return value

    for row in current["sectors"]:
        pct = number(row["field"], f"/levers/demand/{row['id']}", percent=True)
        if pct is not None and not _same(pct, 100.0):
            factor = pct / 100
            shocks.append({"kind": "demand", "sector": [row["id"]], "factor": factor})
            codes.append(f"demand {_code(row['id'])} ×{_plain(factor)}")
    for row in current["licences"]:
        kg = number(row["field"], f"/levers/licence/{row['id']}")
        if kg is not None and not _same(kg, float(row["value"] or 0)):
            shocks.append({"kind": "licence_quantity", "licence": row["id"], "value": kg})
            codes.append(f"licence {_code(row['id'])} ={_plain(kg)}")
    for row in current["tariffs"]:
        pct = number(row["field"], f"/levers/tariff/{row['id']}", percent=True)
        if pct is not None and not _same(pct, float(row["value"] or 0)):
            shocks.append({"kind": "tariff", "country": row["id"], "value": pct / 100})
            codes.append(f"tariff {_code(row['id'])} ={_plain(pct / 100)}")
    for row in current["shares"]:
        pct = number(row["field"], f"/levers/share/{row['id']}", percent=True, most=100)
        before = float(row["value"]) if row["value"] else 100.0
        after = 100.0 if pct is None else pct
        if not _same(after, before):
            shocks.append({"kind": "origin_share", "origin": row["id"], "value": after / 100})
            codes.append(f"share {_code(row['id'])} ={_plain(after / 100)}")
    for row in current["discounts"]:
        pct = number(row["field"], f"/levers/discount/{row['id']}", percent=True, positive=True)
        if pct is not None and not _same(pct, 100.0):
            factor = pct / 100
            shocks.append({"kind": "discount_price", "supplier": [row["id"]], "factor": factor})
            codes.append(f"discount {_code(row['id'])} ×{_plain(factor)}")
    for row in current["most"]:
        count = number(row["field"], f"/levers/most/{row['id']}", most=1_000_000, whole=True)
        if count is not None and not _same(count, float(row["value"] or 0)):
            shocks.append({"kind": "max_suppliers", "product": [row["id"]], "value": int(count)})
            codes.append(f"suppliers {_code(row['id'])} ={int(count)}")
    for row in current["leads"]:
        lead = number(row["field"], f"/levers/lead/{row['id']}", most=1000, whole=True)
        if lead is not None and not _same(lead, float(row["value"] or 0)):
            shocks.append({"kind": "qualification_lead", "supplier": [row["id"]], "value": int(lead)})  # fmt: skip
            codes.append(f"qualify {_code(row['id'])} ={int(lead)}")
    origin = str(form.get("cap_origin") or "")
    if origin:
        pct = number("cap_factor", "/levers/capacity/factor", percent=True)
        periods = [str(p) for p in form.getlist("cap_period")]
        if origin not in current["origins"]:
            problems.append(Problem("/levers/capacity/origin", origin, "not an origin of this scenario's suppliers"))  # fmt: skip
        elif pct is None and not problems:
            problems.append(Problem("/levers/capacity/factor", "", "give the capacity left, in per cent (0 stops supply)"))  # fmt: skip
        elif pct is not None:
            shock: dict[str, Any] = {"kind": "capacity", "origin": [origin], "factor": pct / 100}
            if periods:
                shock["periods"] = periods
            shocks.append(shock)
            when = " " + ",".join(_code(p) for p in periods) if periods else ""
            codes.append(f"capacity {_code(origin)} ×{_plain(pct / 100)}{when}")
    change: dict[str, Any] = {"shocks": shocks}
    budget = _budget(str(form.get("budget") or ""), problems)
    if budget is not _BAD and budget != _budget((current["budget"]), []):
        change["budget"] = budget
        codes.append("budget none" if budget is None else f"budget ={_budget_code(budget)}")
    label = " ".join(str(form.get("name") or "").split())[:LABEL_LENGTH]
    if not label:
        problems.append(Problem("/levers/name", "", "give the variant a name"))
    if not codes and not problems:
        problems.append(Problem("/levers", None, "change at least one number: the variant would be a copy"))  # fmt: skip
    change["name"] = variant_name(label, parent_id, codes)
    if len(change["name"]) > NAME_LENGTH and not problems:
        rule = (
            f"too many changes to record in one variant (its name holds {NAME_LENGTH} "
            "characters): save some of them, then make a variant of the variant"
        )
        problems.append(Problem("/levers", len(change["name"]), rule))
    if problems:
        raise LeverProblems(problems)
    return change, codes


_BAD: Any = object()


def _budget(text: str, problems: list[Problem]) -> Any:
    """Blank: no budget; one amount: every period's; several separated by ";": one per
    period (commas are thousands separators)."""
    parts = [p for p in text.replace(",", "").split(";") if p.strip()]
    if not parts:
        return None
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = [math.nan]
    if not all(math.isfinite(v) and v >= 0 for v in values):
        rule = "one amount, or one per period separated by ';'; blank for no budget"
        problems.append(Problem("/levers/budget", text[:80], rule))
        return _BAD
    return values[0] if len(values) == 1 else values


def _budget_text(budget: Any) -> str:
    if isinstance(budget, list):
        return "; ".join(_plain(v) for v in budget)
    return _plain(budget) if isinstance(budget, int | float) else ""


def _budget_code(budget: float | list[float]) -> str:
    return ",".join(_plain(v) for v in budget) if isinstance(budget, list) else _plain(budget)


# --- lineage in words ---------------------------------------------------------------------


def in_words(code: str, currency: str = "") -> str:
    """A change as coded in a variant's name, as a planner reads it."""
    parts = code.split(" ")
    kind, rest = parts[0], parts[1:]
    try:
        if kind == "demand":
            return f"Demand of {unquote(rest[0])} at {_pct(rest[1][1:])} of the parent's"
        if kind == "licence":
            return f"Licence {unquote(rest[0])}: {_kg(rest[1][1:])}"
        if kind == "tariff":
            return f"Tariff on shipments from {unquote(rest[0])}: {_pct(rest[1][1:])}"
        if kind == "share":
            value = float(rest[1][1:])
            cap = "no cap" if value >= 1 else f"at most {_pct(rest[1][1:])}"
            return f"Share of supply from {unquote(rest[0])}: {cap}"
        if kind == "capacity":
            when = ", ".join(unquote(p) for p in rest[2].split(",")) if len(rest) > 2 else "every period"  # fmt: skip
            return f"Capacity of suppliers from {unquote(rest[0])} at {_pct(rest[1][1:])} in {when}"
        if kind == "discount":
            return f"Discount prices of {unquote(rest[0])} at {_pct(rest[1][1:])} of the parent's"
        if kind == "suppliers":
            return f"Most suppliers of {unquote(rest[0])}: {int(rest[1][1:])}"
        if kind == "qualify":
            lead = int(rest[1][1:])
            return f"Qualification lead of {unquote(rest[0])}: {lead} period{'s' * (lead != 1)}"
        if kind == "budget":
            if rest[0] == "none":
                return "No budget"
            amounts = "; ".join(f"{float(v):,.0f}" for v in rest[0][1:].split(","))
            return f"Spend cap per period: {amounts} {currency}".strip()
    except (IndexError, ValueError):
        pass
    return code


def _pct(text: str) -> str:
    return f"{_plain(100 * float(text))} %"


def _kg(text: str) -> str:
    return f"{float(text):,.0f} kg"


def lineage_view(db: Database, tenant: int, name: str, currency: str) -> dict[str, Any] | None:
    """A variant's parent, its changes in words and its ancestors (oldest first); None
    for a scenario that is no variant. A deleted ancestor ends the line."""
    own = lineage_of(name)
    if own.parent is None:
        return None
    steps: list[dict[str, Any]] = []
    parent: str | None = own.parent
    while parent is not None and len(steps) < MAX_ANCESTORS:
        row = queries.get_scenario(db, tenant, parent)
        if row is None:
            steps.append({"id": None, "name": "a deleted scenario"})
            break
        found = lineage_of(str(row["name"]))
        steps.append({"id": parent, "name": found.label})
        parent = found.parent if found.parent not in {s["id"] for s in steps} else None
    return {
        "parent": steps[0],
        "changes": [in_words(code, currency) for code in own.changes],
        "ancestors": list(reversed(steps)),
    }


# --- small words -------------------------------------------------------------------------------


def _code(identifier: str) -> str:
    return quote(identifier, safe="-_.~")


def _plain(value: Any) -> str:
    """A number as a form shows it and a name records it: no exponent, no trailing zeros."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return ""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _list(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = document.get(key)
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []
