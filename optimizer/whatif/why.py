""" "Why this supplier?": what the plan would cost without a supplier, an origin or a plant.

The result also names the limits at their bound in each plan (`binding`: origin shares
at their cap in a period, budgets spent to their limit, licences used up) and says
whether the shortage grows by more than the removed source supplied (`loss_exceeds_supply`):
under a binding cap of share c on another origin, each kg of supply lost also takes
c / (1 − c) kg of that origin with it (4 kg under an 80 % cap). `format_why` writes the
result for people.

Excluding a source sets its capacity to 0 in every period, which forbids it exactly
(MODEL.md §3.3) while keeping the model's shape, so the second solve starts from the
first one's basis. Excluding an origin excludes every supplier of that origin and every
plant in that country; stock of that origin already held at the start stays usable.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from optimizer.errors import Problem
from optimizer.insight.binding import TOLERANCE
from optimizer.insight.binding import binding as limits_at_bound
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hot_start import HotStartSolver
from optimizer.whatif.shocks import CapacityShock, SpecError, apply_shocks


def why(
    document: dict[str, Any],
    supplier: str | None = None,
    origin: str | None = None,
    plant: str | None = None,
    options: SolveOptions | None = None,
) -> dict[str, Any]:
    """The base plan against the plan without the one source named; see the module text."""
    base = parse_scenario(document).model_dump(mode="json", exclude_none=True)
    excluded = exclusion(base, supplier, origin, plant)
    solver = HotStartSolver(options)
    scenario = parse_scenario(base)
    before = solver.solve(scenario).plan
    after = solver.solve(parse_scenario(_without(base, excluded))).plan
    shortage_delta = _delta(outcome(before)["shortage_kg"], outcome(after)["shortage_kg"])
    supplied = supplied_kg(before, excluded["suppliers"], excluded["plants"])
    return {
        "excluded": excluded,
        "base": outcome(before),
        "without": outcome(after),
        "cost_delta": _delta(before["objective"], after["objective"]),
        "shortage_delta_kg": shortage_delta,
        "base_supply_kg": supplied,
        "binding": {"base": binding(before, scenario), "without": binding(after, scenario)},
        "loss_exceeds_supply": None
        if shortage_delta is None or supplied is None
        else shortage_delta > supplied + TOLERANCE * max(1.0, supplied),
        "currency": base.get("currency", "USD"),
    }


def exclusion(
    doc: dict[str, Any], supplier: str | None, origin: str | None, plant: str | None
) -> dict[str, Any]:
    """What is excluded: {"kind", "id", "suppliers", "plants"}; SpecError for a bad request."""
    given = [(k, v) for k, v in (("supplier", supplier), ("origin", origin), ("plant", plant)) if v]
    if len(given) != 1:
        raise SpecError([Problem("", None, "name exactly one supplier, origin or plant")])
    kind, id_ = given[0]
    lists = {"supplier": "suppliers", "origin": "countries", "plant": "plants"}
    if id_ not in {x["id"] for x in doc.get(lists[kind], [])}:
        raise SpecError(
            [Problem(f"/{kind}", id_, f"unknown {kind}: not in the scenario's {lists[kind]}")]
        )
    suppliers = [
        s["id"]
        for s in doc.get("suppliers", [])
        if (kind == "supplier" and s["id"] == id_)
        or (kind == "origin" and (s.get("origin") or s["country"]) == id_)
    ]
    plants = [
        k["id"]
        for k in doc.get("plants", [])
        if (kind == "plant" and k["id"] == id_) or (kind == "origin" and k["country"] == id_)
    ]
    return {"kind": kind, "id": id_, "suppliers": suppliers, "plants": plants}


def _without(base: dict[str, Any], excluded: dict[str, Any]) -> dict[str, Any]:
    if not (excluded["suppliers"] or excluded["plants"]):  # an origin with no source
        return base  # nothing changes (a shock must name something to shock)
    shock = CapacityShock(
        kind="capacity",
        supplier=excluded["suppliers"] or None,
        plant=excluded["plants"] or None,
        origin=None,
        factor=0.0,
    )
    doc = apply_shocks(base, [shock])
    doc["name"] = f"{base['name']} | without"[:200]
    return doc


def outcome(plan: dict[str, Any]) -> dict[str, Any]:
    has = plan["objective"] is not None
    return {
        "status": plan["status"],
        "objective": plan["objective"],
        "shortage_kg": sum(r["kg"] for r in plan["shortages"]) if has else None,
    }


def supplied_kg(plan: dict[str, Any], suppliers: list[str], plants: list[str]) -> float | None:
    """kg the excluded sources delivered or produced in the base plan."""
    if plan["objective"] is None:
        return None
    bought = sum(r["kg"] for r in plan["deliveries"] if r["supplier"] in suppliers)
    return bought + sum(r["kg"] for r in plan["production"] if r["plant"] in plants)


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def binding(plan: dict[str, Any], scenario: Scenario) -> list[dict[str, Any]]:
    """The plan's limits at their bound (optimizer/insight/binding.py), as
    {"constraint", "id", "period", "used", "limit"}; none for a plan without a solution."""
    if plan["objective"] is None:
        return []
    return [asdict(found) for found in limits_at_bound(plan, scenario)]


# -- for people ------------------------------------------------------------------------------
def format_why(result: dict[str, Any]) -> str:
    """The result as a short table and sentences: kg in tonnes, money without cents, the
    round-off of the solver (a delta of 1e-11 kg) shown as 0."""
    ex, cur = result["excluded"], result.get("currency", "")
    base, without = result["base"], result["without"]
    rows = [
        ["", f"with {ex['id']}", f"without {ex['id']}", "change"],
        ["status", base["status"], without["status"], ""],
        ["total cost", _money(base["objective"], cur), _money(without["objective"], cur),
         _money(result["cost_delta"], cur, signed=True)],
        ["shortage", _tonnes(base["shortage_kg"]), _tonnes(without["shortage_kg"]),
         _tonnes(result["shortage_delta_kg"], signed=True)],
    ]  # fmt: skip
    sources = ", ".join([*ex["suppliers"], *ex["plants"]]) or "none"
    lines = [f"why: the plan without {ex['kind']} {ex['id']} (sources excluded: {sources})", ""]
    lines += _columns(rows)
    lines += ["", *_loss_sentences(result)]
    bound = result.get("binding") or {}
    for which, title in (("without", f"without {ex['id']}"), ("base", f"with {ex['id']}")):
        found = bound.get(which) or []
        if which == "base" and _limits(found) == _limits(bound.get("without") or []):
            lines += ["", f"Binding limits {title}: the same"]
            continue
        lines += ["", f"Binding limits {title}:" if found else f"Binding limits {title}: none"]
        lines += [f"  {text}" for text in _binding_texts(found, ex)]
    return "\n".join(lines)


def _limits(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(b["constraint"], b["id"], b["period"]) for b in found]


def _amplifying_caps(result: dict[str, Any]) -> list[str]:
    """Origins whose binding share cap, in the plan without, ties their supply to the rest."""
    ex = result["excluded"]
    found = (result.get("binding") or {}).get("without") or []
    caps = [b["id"] for b in found if b["constraint"] == "origin_share" and 0 < b["limit"] < 1]
    return list(dict.fromkeys(o for o in caps if not (ex["kind"] == "origin" and ex["id"] == o)))


def _loss_sentences(result: dict[str, Any]) -> list[str]:
    supplied, delta = result["base_supply_kg"], result["shortage_delta_kg"]
    ex = result["excluded"]
    if supplied is None or delta is None:
        return ["One of the two plans has no solution: nothing to compare."]
    said = f"In the plan with it, {ex['id']} supplied {_tonnes(supplied)}; without it"
    if abs(delta) < 0.5:
        return [f"{said} the shortage does not change: the others make up for it."]
    if not result.get("loss_exceeds_supply"):
        return [f"{said} the shortage grows by {_tonnes(delta)}."]
    times = f", {delta / supplied:.1f} times as much" if supplied > 0 else ""
    caps = _amplifying_caps(result)
    why_more = f", amplified by the binding share cap on {', '.join(caps)} (below)" if caps else ""
    return [
        f"{said} the shortage grows by {_tonnes(delta)}{times}: the loss exceeds the removed "
        f"supply{why_more}."
    ]


def _binding_texts(found: list[dict[str, Any]], ex: dict[str, Any]) -> list[str]:
    grouped: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for b in found:
        grouped.setdefault((b["constraint"], b["id"]), []).append(b)
    texts = []
    for (kind, id_), rows in grouped.items():
        if kind == "origin_share":
            cap = rows[0]["limit"]
            text = f"origin share: {id_} at its {100 * cap:.0f} % cap in {_periods(rows)}"
            if 0 < cap < 1 and not (ex["kind"] == "origin" and ex["id"] == id_):
                ratio = f"{cap / (1 - cap):.2f}".rstrip("0").rstrip(".")
                text += f"; each kg of other supply lost takes {ratio} kg of {id_} with it"
            texts.append(text)
        elif kind == "origin_share_target":
            target = f"{100 * rows[0]['limit']:.0f} %"
            texts.append(
                f"origin share target: {id_} at or above its {target} target in "
                f"{_periods(rows)}; a soft cap, paid per kg above it, so it ties no other "
                f"supply to {id_}"
            )
        elif kind == "budget":
            texts.append(f"budget: spent to its limit in {_periods(rows)}")
        else:
            r = rows[0]
            texts.append(f"licence {id_}: used up, {_tonnes(r['used'])} of {_tonnes(r['limit'])}")
    return texts


def _periods(rows: list[dict[str, Any]]) -> str:
    periods = [r["period"] for r in rows]
    if len(periods) <= 6:
        return ", ".join(periods)
    return f"{len(periods)} periods, {periods[0]} to {periods[-1]}"


def _tonnes(value: float | None, signed: bool = False) -> str:
    """kg for people: 654000 → '654 t', 4900 → '4.9 t', 750 → '750 kg'; round-off → '0 kg'."""
    if value is None:
        return "–"
    if abs(value) < 0.5:
        return "0 kg"
    sign = ("+" if value > 0 else "−") if signed else ("−" if value < 0 else "")
    if abs(value) < 1000:
        return f"{sign}{abs(value):,.0f} kg"
    return f"{sign}{abs(value) / 1000:,.1f}".removesuffix(".0") + " t"


def _money(value: float | None, currency: str, signed: bool = False) -> str:
    if value is None:
        return "–"
    if abs(value) < 0.5:
        return "0"
    sign = ("+" if value > 0 else "−") if signed else ("−" if value < 0 else "")
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}.get(currency)
    number = f"{abs(value):,.0f}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}".rstrip()


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (
            "  ".join(
                [
                    r[0].ljust(widths[0]),
                    *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)),
                ]
            )
        ).rstrip()
        for r in rows
    ]
