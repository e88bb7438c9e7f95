"""The model's rows in MODEL.md's words: which scenario limit a row states, and a sentence.

Every row block of `build.py` carries the name of its constraint family, and that name is
also the constraint word the API reports (docs/model-notes.md, "One name per constraint
family"). LIMITS gives each family the index fields that make up the id of one limit, e.g.
row `supplier_capacity(jp_smco,2025-Q3)` states the limit ("supplier_capacity",
"jp_smco", "2025-Q3"). Ids made of two scenario ids are joined with "/" ("smco/defence"
for the demand of sector defence for smco). Rows of one family with the same id and
period state one limit (a supplier's capacity row and, under a minimum order, the
ceiling row gated by its order).

Three families are identities rather than limits (`stock_balance`, the `supply_total`
definition and `discount_split`, a discounted delivery as the sum of its brackets); they
hold in every plan and have no entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import RowBlock

# constraint family (row block and API word) → index fields that make up a limit's id
LIMITS: dict[str, tuple[str, ...]] = {
    "demand": ("product", "sector"),
    "supplier_capacity": ("supplier",),
    "min_order": ("supplier",),
    "plant_capacity": ("plant",),
    "build_once": ("plant",),
    "licence_required": ("supplier", "product"),
    "licence": ("licence",),
    "origin_share": ("origin",),
    "supplier_share": ("supplier", "product"),
    "safety_stock": ("product",),
    "budget": (),
    "subsidy_limit": ("plant",),
    # MODEL.md §7 sourcing rules
    "discount_choice": ("supplier", "product"),
    "discount_floor": ("supplier", "product"),
    "discount_ceiling": ("supplier", "product"),
    "supplier_selection": ("supplier", "product"),
    "max_suppliers": ("product",),
    "qualified_supply": ("supplier",),
    "qualify_once": ("supplier",),
    "min_service": ("sector",),
}
IDENTITIES = ("stock_balance", "supply_total", "discount_split")


@dataclass(frozen=True)
class Limit:
    """One limit of the scenario: its constraint family, its id and its period label."""

    constraint: str
    id: str | None
    period: str | None


def _labels(ix: ScenarioIndex) -> dict[str, list[str]]:
    return {
        "supplier": ix.supplier_ids, "product": ix.product_ids, "plant": ix.plant_ids,
        "licence": ix.licence_ids, "origin": ix.country_ids, "sector": ix.sector_ids,
    }  # fmt: skip


def block_limits(block: RowBlock, ix: ScenarioIndex, rows: np.ndarray | None = None) -> list[Limit]:
    """The limit each row of a block states (the block must be in LIMITS): every row in
    order, or only `rows`."""
    fields = LIMITS[block.name]
    rows = np.arange(block.size) if rows is None else rows
    labels = _labels(ix)
    columns = [_ids(labels[f], block.index[f][rows]) for f in fields]
    none: list[str | None] = [None] * len(rows)
    ids: list[str | None] = (
        ["/".join(parts) for parts in zip(*columns, strict=True)] if fields else none
    )
    periods: list[str | None] = (
        list(_ids(ix.periods, block.index["period"][rows])) if "period" in block.index else none
    )
    return [Limit(block.name, i, t) for i, t in zip(ids, periods, strict=True)]


def _ids(labels: list[str], positions: np.ndarray) -> list[str]:
    return [labels[i] for i in positions.tolist()]


# -- sentences -----------------------------------------------------------------------
def amount(value: float) -> str:
    """5000 → '5,000'; 12.5 → '12.5': thousands separated, at most two decimals."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(share: float) -> str:
    return f"{100 * share:.4g} %"


Describer = Callable[[ScenarioIndex, dict[str, int]], str]


def row_text(block: RowBlock, row: int, ix: ScenarioIndex) -> str:
    """One sentence for row `row` of `block`, naming the scenario's ids and numbers."""
    pos = {k: int(a[row]) for k, a in block.index.items()}
    return _DESCRIBE[block.name](ix, pos)


def lead_time_text(ix: ScenarioIndex, supplier: int, period: int) -> str:
    s = ix.scenario.suppliers[supplier]
    return (
        f"{s.id} cannot deliver in {ix.periods[period]}: its lead time is "
        f"{s.lead_time} period{'s' if s.lead_time != 1 else ''}"
    )


def _demand(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    p, e, t = pos["product"], pos["sector"], pos["period"]
    return (
        f"demand of {ix.sector_ids[e]} for {ix.product_ids[p]}: "
        f"{amount(ix.demand[p, e, t])} kg in {ix.periods[t]}, met or short"
    )


def _supplier_capacity(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, t = pos["supplier"], pos["period"]
    text = f"capacity of {ix.supplier_ids[s]}: {amount(ix.supplier_capacity[s, t])} kg in {ix.periods[t]}"
    gates = [
        why
        for why, on in (
            ("under its contract", ix.fixed_cost[s] > 0),
            ("in a period with an order", ix.min_order[s] > 0),
        )
        if on
    ]
    return f"{text}, only {' and '.join(gates)}" if gates else text


def _min_order(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, t = pos["supplier"], pos["period"]
    return (
        f"minimum order of {ix.supplier_ids[s]}: {amount(ix.min_order[s])} kg in "
        f"{ix.periods[t]} if it delivers at all"
    )


def _plant_capacity(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    k, t = pos["plant"], pos["period"]
    plant = ix.scenario.plants[k]
    cap = f"capacity of {plant.id}: {amount(ix.plant_capacity[k, t])} kg in {ix.periods[t]}"
    if plant.existing:
        return cap
    latest = t - plant.build_lead
    if latest < plant.earliest_build:
        return (
            f"capacity of {plant.id} in {ix.periods[t]}: none, since a plant built from "
            f"{ix.periods[plant.earliest_build]} on with a build lead of {plant.build_lead} "
            "cannot produce by then"
        )
    return f"{cap}, only if built by {ix.periods[latest]} (build lead {plant.build_lead})"


def _build_once(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    return f"{ix.plant_ids[pos['plant']]} is built at most once"


def _licence_required(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p, t = pos["supplier"], pos["product"], pos["period"]
    sid, pid, label = ix.supplier_ids[s], ix.product_ids[p], ix.periods[t]
    covering = [
        lic.id
        for lic in ix.scenario.licences
        if sid in lic.suppliers
        and (lic.products is None or pid in lic.products)
        and (lic.periods is None or label in lic.periods)
    ]
    if not covering:
        return f"{sid} delivers {pid} only under a licence, and no licence covers {label}"
    return f"{sid} delivers {pid} in {label} only under licence {', '.join(covering)}"


def _licence(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    lic = ix.scenario.licences[pos["licence"]]
    return f"licence {lic.id}: {amount(lic.quantity)} kg in all"


def _origin_share(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    o, t = ix.country_ids[pos["origin"]], pos["period"]
    share = ix.scenario.policy.max_origin_share[o]
    return f"origin {o}: at most {percent(share)} of all supply in {ix.periods[t]}"


def _supplier_share(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p = ix.supplier_ids[pos["supplier"]], ix.product_ids[pos["product"]]
    share = ix.scenario.policy.max_supplier_share
    return f"{s}: at most {percent(share)} of all deliveries of {p} over the horizon"


def _safety_stock(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    p, t = pos["product"], pos["period"]
    return (
        f"safety stock of {ix.product_ids[p]}: {amount(ix.min_inventory[p])} kg "
        f"at the end of {ix.periods[t]}"
    )


def _budget(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    t = pos["period"]
    budget = ix.budget
    cap = 0.0 if budget is None else float(budget[t])
    return f"budget: {amount(cap)} {ix.scenario.currency} in {ix.periods[t]}"


def _subsidy_limit(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    plant = ix.scenario.plants[pos["plant"]]
    return (
        f"incentive of {plant.id}: at most {amount(plant.incentive)} "
        f"{ix.scenario.currency} per kg produced"
    )


def _offer(ix: ScenarioIndex, pos: dict[str, int]) -> tuple[str, str, str]:
    return (
        ix.supplier_ids[pos["supplier"]],
        ix.product_ids[pos["product"]],
        ix.periods[pos["period"]],
    )


def _discount(ix: ScenarioIndex, pos: dict[str, int]) -> tuple[float, float]:
    """(min_kg, price) of the row's bracket; bracket 0 is the offer's own price from 0 kg."""
    s, p, b = pos["supplier"], ix.product_ids[pos["product"]], pos["bracket"]
    offer = next(o for o in ix.scenario.suppliers[s].offers if o.product == p)
    if b == 0:
        return 0.0, offer.price
    return offer.discounts[b - 1].min_kg, offer.discounts[b - 1].price


def _discount_choice(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p, t = _offer(ix, pos)
    return f"a delivery of {p} from {s} in {t} is priced at one discount bracket"


def _discount_floor(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p, t = _offer(ix, pos)
    kg, price = _discount(ix, pos)
    return (
        f"{s}'s price of {amount(price)} {ix.scenario.currency}/kg for {p} holds only for "
        f"a delivery of at least {amount(kg)} kg in {t}"
    )


def _discount_ceiling(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p, t = _offer(ix, pos)
    _, price = _discount(ix, pos)
    cap = ix.supplier_capacity[pos["supplier"], pos["period"]]
    return (
        f"{s} delivers {p} at {amount(price)} {ix.scenario.currency}/kg in {t} only if that "
        f"bracket is chosen, up to its capacity of {amount(cap)} kg"
    )


def _supplier_selection(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, p, t = _offer(ix, pos)
    return f"{s} delivers {p} in {t} only if it is one of the suppliers chosen for {p}"


def _max_suppliers(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    p = ix.product_ids[pos["product"]]
    most = ix.scenario.policy.max_suppliers[p]
    return f"{p}: at most {most} supplier{'s' if most != 1 else ''} over the horizon"


def _qualified_supply(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    s, t = pos["supplier"], pos["period"]
    supplier = ix.scenario.suppliers[s]
    lead = supplier.qualification.lead if supplier.qualification is not None else 0
    latest = t - lead
    if latest < 0:
        return (
            f"{supplier.id} cannot deliver in {ix.periods[t]}: its qualification takes "
            f"{lead} period{'s' if lead != 1 else ''}"
        )
    return (
        f"{supplier.id} delivers in {ix.periods[t]} only if qualified by "
        f"{ix.periods[latest]} (qualification lead {lead})"
    )


def _qualify_once(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    return f"{ix.supplier_ids[pos['supplier']]} is qualified at most once"


def _min_service(ix: ScenarioIndex, pos: dict[str, int]) -> str:
    e = pos["sector"]
    level = float(ix.min_service[e])
    total = float(ix.demand[:, e, :].sum())
    return (
        f"service level of {ix.sector_ids[e]}: at least {percent(level)} of its "
        f"{amount(total)} kg of demand met over the horizon"
    )


_DESCRIBE: dict[str, Describer] = {
    "demand": _demand,
    "supplier_capacity": _supplier_capacity,
    "min_order": _min_order,
    "plant_capacity": _plant_capacity,
    "build_once": _build_once,
    "licence_required": _licence_required,
    "licence": _licence,
    "origin_share": _origin_share,
    "supplier_share": _supplier_share,
    "safety_stock": _safety_stock,
    "budget": _budget,
    "subsidy_limit": _subsidy_limit,
    "discount_choice": _discount_choice,
    "discount_floor": _discount_floor,
    "discount_ceiling": _discount_ceiling,
    "supplier_selection": _supplier_selection,
    "max_suppliers": _max_suppliers,
    "qualified_supply": _qualified_supply,
    "qualify_once": _qualify_once,
    "min_service": _min_service,
}
