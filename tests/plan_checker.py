"""An independent check of a plan against its scenario (MODEL.md §3, §4 and §7).

Every constraint and every cost term is re-derived from the scenario document and the
plan's tables alone, with plain dictionaries and loops, so that the check shares no
code — and no mistakes — with the array-built model in `optimizer/`. Defaults are those
MODEL.md §1 states. `check_plan` returns the violations as readable strings, each
starting with the rule it breaks in brackets; an empty list means the plan is feasible
and its costs add up.

Tolerances: a quantity row must hold to `tol` relative to its own magnitude (at least
1). The tables leave out quantities below 1e-6 kg (MODEL.md §4), so each row may also
be off by 1e-6 kg per variable that could be missing from it, and each cost term by
1e-6 kg times the sum of the coefficients of the variables it could be missing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

TINY = 1e-6  # kg; MODEL.md §4 leaves smaller quantities out of the tables
STATUSES = ("optimal", "time_limit", "infeasible", "unbounded", "error")
TERMS = (
    "purchase", "fixed", "production", "subsidy", "build", "holding", "shortage",
    "qualification", "cap_excess",
)  # fmt: skip
TABLES = {  # table -> the id columns of one row, each with the scenario list it names
    "deliveries": (("supplier", "suppliers"), ("product", "products"), ("period", "periods")),
    "production": (("plant", "plants"), ("product", "products"), ("period", "periods")),
    "consumption": (
        ("product", "products"),
        ("origin", "countries"),
        ("sector", "sectors"),
        ("period", "periods"),
    ),
    "inventory": (("product", "products"), ("origin", "countries"), ("period", "periods")),
    "shortages": (("product", "products"), ("sector", "sectors"), ("period", "periods")),
}
OWNERS = {"deliveries": "suppliers", "production": "plants"}  # only offered products
OTHER_TABLES = (
    "licences", "contracts", "plants_built", "origin_share", "qualified", "cap_excess",
)  # fmt: skip


def check_plan(scenario: dict[str, Any], plan: dict[str, Any], tol: float = 1e-6) -> list[str]:
    """Every way `plan` breaks MODEL.md §3/§4 for the scenario document `scenario`."""
    problems = _check_status(plan)
    if problems or plan["objective"] is None:
        return problems
    check = _Check(_Scenario(scenario), plan, tol)
    check.run()
    return check.problems


def _check_status(plan: dict[str, Any]) -> list[str]:
    out = []
    if plan.get("status") not in STATUSES:
        out.append(f"[status] unknown status {plan.get('status')!r}")
    missing = [t for t in (*TABLES, *OTHER_TABLES) if not isinstance(plan.get(t), list)]
    out += [f"[table] table {t!r} is missing or not a list" for t in missing]
    if out:
        return out
    if plan.get("objective") is None:
        if plan["status"] == "optimal":
            out.append("[status] an optimal plan must report an objective")
        out += [
            f"[table] plan without a solution has rows in {t!r}"
            for t in (*TABLES, *OTHER_TABLES)
            if plan[t]
        ]
    elif plan["status"] not in ("optimal", "time_limit"):
        out.append(f"[status] status {plan['status']!r} must come with objective null")
    elif not _finite(plan["objective"]):
        out.append(f"[objective] objective {plan['objective']!r} is not a finite number")
    elif not isinstance(plan.get("terms"), dict) or not all(
        _finite(plan["terms"].get(t)) for t in TERMS
    ):
        out.append(f"[cost] terms must hold {', '.join(TERMS)}")
    return out


class _Scenario:
    """The scenario document with MODEL.md §1 defaults applied, looked up by id."""

    def __init__(self, doc: dict[str, Any]):
        self.periods = list(doc["periods"])
        self.period_pos = {t: i for i, t in enumerate(self.periods)}
        self.ids: dict[str, dict[str, dict[str, Any]]] = {
            kind: {item["id"]: item for item in doc.get(kind, [])}
            for kind in ("products", "sectors", "countries", "suppliers", "licences", "plants")
        }
        self.ids["periods"] = {t: {} for t in self.periods}
        self.products, self.sectors = self.ids["products"], self.ids["sectors"]
        self.countries, self.suppliers = self.ids["countries"], self.ids["suppliers"]
        self.licences, self.plants = self.ids["licences"], self.ids["plants"]
        self.demand = {
            (d["product"], d["sector"], d["period"]): d["quantity"] for d in doc.get("demand", [])
        }
        self.policy = doc.get("policy") or {}

    def per_period(self, value: float | list[float], t: str) -> float:
        return value[self.period_pos[t]] if isinstance(value, list) else value

    def origin(self, s: str) -> str:
        supplier = self.suppliers[s]
        return supplier.get("origin") or supplier["country"]

    @staticmethod
    def offers(owner: dict[str, Any], p: str) -> bool:
        return any(o["product"] == p for o in owner.get("offers", []))

    @staticmethod
    def price(owner: dict[str, Any], p: str) -> float:
        """The unit price of an offered product (KeyError for one not offered)."""
        return next(float(o["price"]) for o in owner.get("offers", []) if o["product"] == p)

    def landed(self, s: str, p: str, t: str, price: float | None = None) -> float:
        """MODEL.md §2's c[s,p,t]; with `price`, that of a discount bracket (§7)."""
        supplier = self.suppliers[s]
        country = self.countries[supplier["country"]]
        index = self.per_period(supplier.get("price_index", 1.0), t)
        tariff, freight = country.get("tariff", 0.0), country.get("freight", 0.0)
        price = self.price(supplier, p) if price is None else price
        return price * index * (1 + tariff) + freight

    def brackets(self, s: str, p: str) -> list[tuple[float, float]]:
        """(min_kg, price) of every bracket of an offer, bracket 0 (0 kg, its price) first."""
        offer = next(o for o in self.suppliers[s].get("offers", []) if o["product"] == p)
        return [(0.0, float(offer["price"]))] + [
            (float(d["min_kg"]), float(d["price"])) for d in offer.get("discounts", [])
        ]

    def allowed(self, o: str, e: str) -> bool:
        banned = set(self.countries[o].get("restricted_end_uses", []))
        return banned.isdisjoint(self.sectors[e].get("tags", []))

    def covers(self, licence: dict[str, Any], s: str, p: str, t: str) -> bool:
        products, periods = licence.get("products"), licence.get("periods")
        return (
            s in licence["suppliers"]
            and (products is None or p in products)
            and (periods is None or t in periods)
        )

    def offered_buys(self) -> list[tuple[str, str, str]]:
        """Every (s, p, t) that may carry a delivery: an offer, from the lead time on."""
        return [
            (s, o["product"], t)
            for s, sup in self.suppliers.items() for o in sup.get("offers", [])
            for t in self.periods[sup.get("lead_time", 0):]
        ]  # fmt: skip


class _Check:
    """One pass over a plan with a solution; `problems` gathers what is broken."""

    def __init__(self, sc: _Scenario, plan: dict[str, Any], tol: float):
        self.sc, self.plan, self.tol = sc, plan, tol
        self.problems: list[str] = []
        self.q: dict[str, dict[tuple[str, ...], float]] = {
            table: self._read(table, keys) for table, keys in TABLES.items()
        }
        self._sums: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], float]] = {}
        self._supply: dict[tuple[str, str | None], float] = defaultdict(float)
        for (s, _, t), kg in self.q["deliveries"].items():
            self._supply[t, sc.origin(s)] += kg
            self._supply[t, None] += kg
        for (k, _, t), kg in self.q["production"].items():
            self._supply[t, sc.plants[k]["country"]] += kg
            self._supply[t, None] += kg
        self._reported_landed = {
            (r.get("supplier"), r.get("product"), r.get("period")): r.get("landed_cost")
            for r in plan["deliveries"]
        }

    def run(self) -> None:
        for family in (
            self._stock_balance, self._demand, self._end_use_bans, self._deliveries,
            self._supplier_capacity, self._min_order, self._licences, self._plants,
            self._origin_shares, self._supplier_share, self._safety_stock, self._budget,
            self._max_suppliers, self._qualification, self._min_service,
            self._costs, self._mip_gap,
        ):  # fmt: skip
            family()

    # -- helpers -------------------------------------------------------------------
    def fail(self, rule: str, message: str) -> None:
        self.problems.append(f"[{rule}] {message}")

    def above(self, lhs: float, rhs: float, n: int = 0) -> bool:
        """lhs > rhs beyond tolerance, allowing `n` table rows of up to TINY left out."""
        return lhs - rhs > self.tol * max(1.0, abs(lhs), abs(rhs)) + TINY * n

    def differ(self, a: Any, b: Any, slack: float = 0.0, scale: float = 0.0) -> bool:
        """a and b differ by more than `tol` relative to the larger of them (or `scale`, the
        size of the terms they sum) plus `slack`; anything but a finite number differs."""
        if not (_finite(a) and _finite(b)):
            return True
        return abs(a - b) > self.tol * max(1.0, abs(a), abs(b), scale) + slack

    def _read(self, table: str, keys: tuple[tuple[str, str], ...]) -> dict[tuple[str, ...], float]:
        out: dict[tuple[str, ...], float] = {}
        for i, row in enumerate(self.plan[table]):
            key = tuple(row.get(field) for field, _ in keys)
            unknown = [
                f"{f}={v!r}"
                for (f, kind), v in zip(keys, key, strict=True)
                if v not in self.sc.ids[kind]
            ]
            kg = row.get("kg")
            if unknown:
                self.fail("table", f"{table}[{i}] names unknown ids: {', '.join(unknown)}")
            elif table in OWNERS and not self.sc.offers(self.sc.ids[OWNERS[table]][key[0]], key[1]):
                self.fail("offer", f"{table}[{i}]: {key[0]} does not offer {key[1]}")
            elif not _finite(kg) or kg < 0:
                self.fail("table", f"{table}[{i}] has kg {kg!r}; quantities are finite and >= 0")
            elif key in out:
                self.fail("table", f"{table} lists {key} twice")
            else:
                out[key] = float(kg)
        return out

    def total(self, table: str, **match: str) -> float:
        """Sum of a table's kg over the rows whose id columns equal `match`."""
        fields = tuple(match)
        sums = self._sums.get((table, fields))
        if sums is None:
            pos = [[f for f, _ in TABLES[table]].index(f) for f in fields]
            sums = defaultdict(float)
            for key, kg in self.q[table].items():
                sums[tuple(key[i] for i in pos)] += kg
            self._sums[table, fields] = sums
        return sums.get(tuple(match.values()), 0.0)

    def supply(self, t: str, origin: str | None = None) -> float:
        """kg delivered and produced in period t, of one origin or (None) of all."""
        return self._supply.get((t, origin), 0.0)

    # -- §3.1 – §3.2 material flow ---------------------------------------------------------
    def _stock_balance(self) -> None:
        sc = self.sc
        inflow: dict[tuple[str, str, str], float] = defaultdict(float)
        for (s, p, t), kg in self.q["deliveries"].items():
            inflow[p, sc.origin(s), t] += kg
        for (k, p, t), kg in self.q["production"].items():
            inflow[p, sc.plants[k]["country"], t] += kg
        n = len(sc.suppliers) + len(sc.plants) + len(sc.sectors) + 2
        for p, product in sc.products.items():
            for o in sc.countries:
                before = product.get("initial_inventory", {}).get(o, 0.0)
                for t in sc.periods:
                    used = self.total("consumption", product=p, origin=o, period=t)
                    after = self.q["inventory"].get((p, o, t), 0.0)
                    scale = before + inflow[p, o, t] + used
                    if self.differ(after, before + inflow[p, o, t] - used, TINY * n, scale):
                        got = f"{before} + in {inflow[p, o, t]} - used {used}"
                        self.fail("stock balance", f"{p}/{o}/{t}: stock {after} != {got}")
                    before = after

    def _demand(self) -> None:
        sc = self.sc
        for p in sc.products:
            for e in sc.sectors:
                for t in sc.periods:
                    met = self.total("consumption", product=p, sector=e, period=t)
                    short = self.q["shortages"].get((p, e, t), 0.0)
                    want = sc.demand.get((p, e, t), 0.0)
                    if self.differ(met + short, want, TINY * (len(sc.countries) + 1)):
                        self.fail(
                            "demand",
                            f"{p}/{e}/{t}: consumed {met} + short {short} != demand {want}",
                        )

    def _end_use_bans(self) -> None:
        for (p, o, e, t), kg in self.q["consumption"].items():
            if not self.sc.allowed(o, e):
                self.fail("end-use ban", f"{kg} kg of {p} of origin {o} used by sector {e} in {t}")

    # -- §3.3 capacity -----------------------------------------------------------------
    def _deliveries(self) -> None:
        """Lead times, and each row's landed cost (MODEL.md §2) and cost = kg × landed cost."""
        sc = self.sc
        for i, row in enumerate(self.plan["deliveries"]):
            key = (row.get("supplier"), row.get("product"), row.get("period"))
            if key not in self.q["deliveries"]:
                continue  # reported when the table was read
            s, _, t = key
            if sc.period_pos[t] < sc.suppliers[s].get("lead_time", 0):
                self.fail("lead time", f"supplier {s} delivers in {t}, before its lead time")
            c = self._bracket_cost(key, row["kg"], row.get("landed_cost"))
            if self.differ(row.get("landed_cost"), c):
                self.fail("cost", f"deliveries[{i}] landed_cost {row.get('landed_cost')} != {c}")
            if self.differ(row.get("cost"), row["kg"] * c):
                expected = row["kg"] * c
                self.fail(
                    "cost", f"deliveries[{i}] cost {row.get('cost')} != kg × landed cost {expected}"
                )

    def _bracket_cost(self, key: tuple[str, str, str], kg: float, reported: Any) -> float:
        """The landed cost a delivery may carry: c[s,p,t] without discounts; with them
        (MODEL.md §7) the reported bracket's if the kg reach its min_kg, and in an optimal
        plan the cheapest bracket the kg reach (all units at that price)."""
        eligible = [
            self.sc.landed(*key, price=price)
            for least, price in self.sc.brackets(key[0], key[1])
            if not self.above(least, kg, 1)
        ]
        if self.plan["status"] == "optimal" or not _finite(reported):
            return min(eligible)
        return min(eligible, key=lambda c: abs(c - reported))

    def _supplier_capacity(self) -> None:
        for s, supplier in self.sc.suppliers.items():
            for t in self.sc.periods:
                kg, cap = (
                    self.total("deliveries", supplier=s, period=t),
                    self.sc.per_period(supplier["capacity"], t),
                )
                if self.above(kg, cap):
                    self.fail("supplier capacity", f"{s} delivers {kg} kg in {t}, capacity {cap}")

    def _min_order(self) -> None:
        n = len(self.sc.products)
        for s, supplier in self.sc.suppliers.items():
            least = supplier.get("min_order", 0.0)
            for t in self.sc.periods:
                kg = self.total("deliveries", supplier=s, period=t)
                if kg > TINY * n and self.above(least, kg, n):
                    self.fail(
                        "min order", f"{s} delivers {kg} kg in {t}, below its minimum order {least}"
                    )

    def _plants(self) -> None:
        sc, built = self.sc, self._builds()
        for k, plant in sc.plants.items():
            for t in sc.periods:
                when = built.get(k)
                ready = (
                    when is not None
                    and sc.period_pos[when] + plant.get("build_lead", 0) <= sc.period_pos[t]
                )
                cap = (
                    sc.per_period(plant["capacity"], t)
                    if plant.get("existing", True) or ready
                    else 0.0
                )
                kg = self.total("production", plant=k, period=t)
                if self.above(kg, cap):
                    self.fail(
                        "plant capacity",
                        f"{k} makes {kg} kg in {t}, capacity {cap} (built: {when})",
                    )

    def _builds(self) -> dict[str, str]:
        built: dict[str, str] = {}
        for i, row in enumerate(self.plan["plants_built"]):
            k, t = row.get("plant"), row.get("period")
            if k not in self.sc.plants or t not in self.sc.period_pos:
                self.fail("build", f"plants_built[{i}] names unknown plant or period: {row}")
            elif self.sc.plants[k].get("existing", True):
                self.fail("build", f"existing plant {k} is built in {t}")
            elif k in built:
                self.fail("build", f"plant {k} is built twice ({built[k]}, {t})")
            elif self.sc.period_pos[t] < self.sc.plants[k].get("earliest_build", 0):
                self.fail("build", f"plant {k} is built in {t}, before its earliest build period")
            else:
                built[k] = t
        return built

    # -- §3.4 licences -----------------------------------------------------------------
    def _licences(self) -> None:
        """Deliveries of licence_required suppliers fit, all together, under covering licences."""
        sc = self.sc
        cells = {k: kg for k, kg in self.q["deliveries"].items() if _licensed(sc, k)}
        cover = {k: [lid for lid, lic in sc.licences.items() if sc.covers(lic, *k)] for k in cells}
        for (s, p, t), kg in cells.items():
            if not cover[s, p, t]:
                self.fail("licence", f"{kg} kg delivered by {s} of {p} in {t} under no licence")
        needed = sum(cells.values())
        limit = {lid: lic["quantity"] for lid, lic in sc.licences.items()}
        routed = max_flow(cells, cover, limit)
        if self.above(needed, routed, len(cells) + len(limit)):
            message = f"licensed deliveries of {needed} kg exceed what the licences cover"
            self.fail("licence", f"{message} ({routed} kg)")
        used = self._licence_table()
        if used is not None:
            self._licence_use(cells, cover, used)

    def _licence_use(
        self, cells: dict[Any, float], cover: dict[Any, list[str]], used: dict
    ) -> None:
        """The table's use per licence adds up to the licensed deliveries and can carry them."""
        sc = self.sc
        licensed = [key for key in sc.offered_buys() if _licensed(sc, key)]
        n_lic = sum(sc.covers(lic, *key) for key in licensed for lic in sc.licences.values())
        needed, total = sum(cells.values()), sum(used.values())
        if self.differ(total, needed, TINY * (len(licensed) + n_lic)):
            self.fail("licence", f"licence table uses {total} kg, deliveries need {needed} kg")
        elif self.above(needed, max_flow(cells, cover, used), len(cells) + len(used)):
            self.fail("licence", "licence table's use does not match the covered deliveries")

    def _licence_table(self) -> dict[str, float] | None:
        rows = self.plan["licences"]
        ids = [row.get("licence") for row in rows]
        if sorted(map(str, ids)) != sorted(self.sc.licences) or len(set(ids)) != len(ids):
            self.fail(
                "licence", f"licence table lists {ids}, scenario has {list(self.sc.licences)}"
            )
            return None
        for row in rows:
            quantity = self.sc.licences[row["licence"]]["quantity"]
            if self.differ(row.get("quantity", math.nan), quantity):
                self.fail(
                    "licence", f"licence {row['licence']} reports quantity {row.get('quantity')}"
                )
            used = row.get("used")
            if not _finite(used) or used < -TINY or self.above(used, quantity):
                self.fail(
                    "licence", f"licence {row['licence']} used {row.get('used')} of {quantity}"
                )
        return {row["licence"]: row["used"] for row in rows if _finite(row.get("used"))}

    # -- §3.5 policy ---------------------------------------------------------------------
    def _origin_shares(self) -> None:
        sc = self.sc
        n = sum(
            len(w.get("offers", []))
            for kind in ("suppliers", "plants")
            for w in sc.ids[kind].values()
        )
        excess = self._cap_excess_table()
        penalties = sc.policy.get("origin_share_penalty", {})
        for o, share in sc.policy.get("max_origin_share", {}).items():
            for t in sc.periods:
                mine, every = self.supply(t, o), self.supply(t)
                over = excess.get((o, t), 0.0)
                if self.above(mine, share * every + over, n + 1):
                    self.fail(
                        "origin share",
                        f"{o} supplies {mine} of {every} kg in {t}, cap {share}, excess {over}",
                    )
                # MODEL.md §7: at the optimum a paid excess is exactly the overshoot
                paid = penalties.get(o, 0.0) > 0 and self.plan["status"] == "optimal"
                if paid and self.above(over, max(mine - share * every, 0.0), n + 1):
                    self.fail("cap excess", f"{o} pays for {over} kg in {t} above its target")
        self._origin_share_table(n)

    def _cap_excess_table(self) -> dict[tuple[str, str], float]:
        """MODEL.md §7: kg above an origin's target, only for origins with a penalty."""
        soft = self.sc.policy.get("origin_share_penalty", {})
        out: dict[tuple[str, str], float] = {}
        for row in self.plan["cap_excess"]:
            key, kg = (row.get("origin"), row.get("period")), row.get("kg")
            if key[0] not in soft or key[1] not in self.sc.period_pos or key in out:
                self.fail("table", f"cap_excess row {row}: no penalty for it, or repeated")
            elif not _finite(kg) or kg < 0:
                self.fail("table", f"cap_excess row {row}: kg must be finite and >= 0")
            else:
                out[key] = float(kg)  # type: ignore[index]
        return out

    def _origin_share_table(self, n: int) -> None:
        shares: dict[str, dict[str, float]] = defaultdict(dict)
        for row in self.plan["origin_share"]:
            t, o = row.get("period"), row.get("origin")
            if t not in self.sc.period_pos or o not in self.sc.countries or o in shares[t]:
                self.fail(
                    "table", f"origin_share row {row} names an unknown or repeated (period, origin)"
                )
            else:
                shares[t][o] = row.get("share", math.nan)
        for t in self.sc.periods:
            every = self.supply(t)
            slack = TINY * n / every if every > 0 else 0.0
            for o in self.sc.countries:
                mine = self.supply(t, o)
                if (o in shares[t] or mine >= TINY) and self.differ(
                    shares[t].get(o, 0.0), mine / (every or 1), slack
                ):
                    self.fail(
                        "table",
                        f"origin_share {t}/{o} is {shares[t].get(o)}, supply gives {mine}/{every}",
                    )
            if shares[t] and self.differ(sum(shares[t].values()), 1.0, slack):
                self.fail("table", f"origin shares of {t} sum to {sum(shares[t].values())}, not 1")

    def _supplier_share(self) -> None:
        cap = self.sc.policy.get("max_supplier_share", 1.0)
        n = len(self.sc.periods) * len(self.sc.suppliers)
        for p in self.sc.products:
            every = self.total("deliveries", product=p)
            for s in self.sc.suppliers:
                mine = self.total("deliveries", supplier=s, product=p)
                if self.above(mine, cap * every, n):
                    self.fail(
                        "supplier share", f"{s} delivers {mine} of {every} kg of {p}, cap {cap}"
                    )

    def _safety_stock(self) -> None:
        for p, product in self.sc.products.items():
            least = product.get("min_inventory", 0.0)
            for t in self.sc.periods:
                held = self.total("inventory", product=p, period=t)
                if self.above(least, held, len(self.sc.countries)):
                    self.fail(
                        "safety stock",
                        f"{held} kg of {p} in stock at the end of {t}, minimum {least}",
                    )

    def _budget(self) -> None:
        budget = self.sc.policy.get("budget")
        if budget is None:
            return
        for t in self.sc.periods:
            spend = self._purchase(t) + self._production(t)
            cap = self.sc.per_period(budget, t)
            if self.above(spend, cap):
                self.fail("budget", f"spend {spend} in {t} exceeds the budget {cap}")

    # -- §3.6 costs ----------------------------------------------------------------------
    def _purchase(self, t: str | None = None) -> float:
        """Landed purchases; a discounted delivery at the bracket it is priced at (§7)."""
        return sum(
            self._bracket_cost(key, kg, self._reported_landed.get(key)) * kg
            for key, kg in self.q["deliveries"].items()
            if t in (None, key[2])
        )

    # -- §7 sourcing rules -----------------------------------------------------------------
    def _max_suppliers(self) -> None:
        for p, most in self.sc.policy.get("max_suppliers", {}).items():
            chosen = {s for (s, q, _), kg in self.q["deliveries"].items() if q == p and kg > 0}
            if len(chosen) > most:
                self.fail("max suppliers", f"{sorted(chosen)} deliver {p}, at most {most}")

    def _qualification(self) -> None:
        """Deliveries of a supplier awaiting qualification only from `lead` periods after
        its qualification starts; the table lists each such supplier at most once."""
        sc, started = self.sc, {}
        for row in self.plan["qualified"]:
            s, t = row.get("supplier"), row.get("period")
            if s not in sc.suppliers or t not in sc.period_pos or s in started:
                self.fail("table", f"qualified row {row}: unknown or repeated")
            elif sc.suppliers[s].get("qualification") is None:
                self.fail("qualification", f"{s} is qualified but needs no qualification")
            else:
                started[s] = sc.period_pos[t]
        for s, _, t in self.q["deliveries"]:
            needs = sc.suppliers[s].get("qualification")
            if needs is None:
                continue
            ready = started.get(s)
            if ready is None or sc.period_pos[t] < ready + needs["lead"]:
                self.fail("qualification", f"{s} delivers in {t} before it is qualified")

    def _min_service(self) -> None:
        sc = self.sc
        for e, sector in sc.sectors.items():
            level = sector.get("min_service")
            if level is None:
                continue
            wanted = sum(q for (_, f, _), q in sc.demand.items() if f == e)
            short = sum(kg for (_, f, _), kg in self.q["shortages"].items() if f == e)
            n = len(sc.products) * len(sc.periods)
            if self.above(short, (1 - level) * wanted, n):
                self.fail("min service", f"{e} is short {short} of {wanted} kg, level {level}")

    def _production(self, t: str | None = None) -> float:
        sc = self.sc
        return sum(
            sc.price(sc.plants[k], p) * kg
            for (k, p, tt), kg in self.q["production"].items()
            if t in (None, tt)
        )

    def _slack(self) -> dict[str, float]:
        """How far each cost term may move through rows the tables left out (< TINY kg each)."""
        sc, n_t = self.sc, len(self.sc.periods)
        plant_prices = sum(o["price"] for k in sc.plants.values() for o in k.get("offers", []))
        incentives = sum(k.get("incentive", 0.0) for k in sc.plants.values())
        holding = sum(p.get("holding_cost", 0.0) for p in sc.products.values())
        penalties = sum(e["shortage_penalty"] for e in sc.sectors.values())
        return {
            "purchase": TINY * sum(sc.landed(*key) for key in sc.offered_buys()),
            "fixed": 0.0,
            "production": TINY * n_t * plant_prices,
            "subsidy": TINY * n_t * len(sc.products) * incentives,
            "build": 0.0,
            "holding": TINY * n_t * len(sc.countries) * holding,
            "shortage": TINY * n_t * len(sc.products) * penalties,
            "qualification": 0.0,
            "cap_excess": TINY * n_t * sum(sc.policy.get("origin_share_penalty", {}).values()),
        }

    def _subsidy(self) -> float:
        earned = 0.0
        for k, plant in self.sc.plants.items():
            bound = plant.get("incentive", 0.0) * self.total("production", plant=k)
            cap = plant.get("incentive_cap")
            earned += bound if cap is None else min(bound, cap)
        return earned

    def _expected_terms(self) -> dict[str, float]:
        """Each cost term of MODEL.md §3.6, from the tables and the scenario alone."""
        sc, q = self.sc, self.q
        built = [row.get("plant") for row in self.plan["plants_built"]]
        return {
            "purchase": self._purchase(),
            "fixed": sum(sc.suppliers[s].get("fixed_cost", 0.0) for s in self._contracts()),
            "production": self._production(),
            "subsidy": self._subsidy(),
            "build": sum(sc.plants[k].get("build_cost", 0.0) for k in built if k in sc.plants),
            "holding": sum(
                sc.products[p].get("holding_cost", 0.0) * kg
                for (p, _, _), kg in q["inventory"].items()
            ),
            "shortage": sum(
                sc.sectors[e]["shortage_penalty"] * kg for (_, e, _), kg in q["shortages"].items()
            ),
            "qualification": sum(
                sc.suppliers[r["supplier"]]["qualification"]["cost"]
                for r in self.plan["qualified"]
                if (sc.suppliers.get(r.get("supplier")) or {}).get("qualification")
            ),
            "cap_excess": sum(
                sc.policy.get("origin_share_penalty", {}).get(r.get("origin"), 0.0) * r["kg"]
                for r in self.plan["cap_excess"]
                if _finite(r.get("kg"))
            ),
        }

    def _costs(self) -> None:
        plan, reported = self.plan, self.plan["terms"]
        expected, slack = self._expected_terms(), self._slack()
        objective = float(plan["objective"])
        if plan["status"] == "time_limit":  # an incumbent may earn less than it could
            expected["subsidy"] = min(expected["subsidy"], reported["subsidy"])
        for term in TERMS:
            # A MILP's near-optimal subsidy may stop short of the bound by its gap.
            extra = self.tol * abs(objective) if term == "subsidy" else 0.0
            if self.differ(reported[term], expected[term], slack[term] + extra):
                self.fail(
                    "cost", f"term {term} is {reported[term]}, the tables give {expected[term]}"
                )
        summed = sum(reported[t] for t in TERMS) - 2 * reported["subsidy"]
        if self.differ(objective, summed):
            self.fail("objective", f"objective {objective} != sum of the terms {summed}")
        self._contract_rows()

    def _contracts(self) -> set[str]:
        """Suppliers the contracts table names (each once, known: see _contract_rows)."""
        return {row.get("supplier") for row in self.plan["contracts"]} & set(self.sc.suppliers)

    def _contract_rows(self) -> None:
        """A fixed cost is paid by every supplier that delivers and, at the optimum, no other."""
        sc, listed = self.sc, self._contracts()
        names = [row.get("supplier") for row in self.plan["contracts"]]
        if len(names) != len(set(names)) or len(listed) != len(names):
            self.fail("table", f"contracts name unknown or repeated suppliers: {names}")
        for row in self.plan["contracts"]:
            if row.get("supplier") in listed:
                fixed = sc.suppliers[row["supplier"]].get("fixed_cost", 0.0)
                if self.differ(row.get("fixed_cost"), fixed):
                    self.fail("cost", f"contract {row} reports a fixed cost other than {fixed}")
        delivering = {s for (s, _, _) in self.q["deliveries"]}
        paid = {s for s in listed if sc.suppliers[s].get("fixed_cost", 0.0) > 0}
        for s in sorted(delivering - listed):
            if sc.suppliers[s].get("fixed_cost", 0.0) > 0:
                self.fail("cost", f"contracts list no fixed cost for {s}, which delivers")
        # A time-limited incumbent may still pay for a contract it does not use.
        if self.plan["status"] == "optimal" and paid - delivering:
            self.fail("cost", f"contracts list {sorted(paid - delivering)}, which deliver nothing")

    def _mip_gap(self) -> None:
        gap = self.plan.get("mip_gap")
        if gap is not None and not (isinstance(gap, int | float) and gap >= 0):
            self.fail("status", f"mip_gap {gap!r} must be null or a non-negative number")
        elif gap is not None and not _needs_binaries(self.sc):
            self.fail("status", f"mip_gap {gap!r} reported for a scenario that is an LP")


def _licensed(sc: _Scenario, key: tuple[str, ...]) -> bool:
    return bool(sc.suppliers[key[0]].get("licence_required", False))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _needs_binaries(sc: _Scenario) -> bool:
    """MODEL.md §3: fixed costs, minimum orders or candidate plants make the model a MILP."""
    suppliers = any(
        s.get("offers") and (s.get("fixed_cost", 0.0) > 0 or s.get("min_order", 0.0) > 0)
        for s in sc.suppliers.values()
    )
    rules = any(  # MODEL.md §7: discounts, qualification, a cap on the number of suppliers
        s.get("qualification") is not None or any(o.get("discounts") for o in s.get("offers", []))
        for s in sc.suppliers.values()
    ) or any(
        p in sc.policy.get("max_suppliers", {})
        for s in sc.suppliers.values()
        for p in (o["product"] for o in s.get("offers", []))
    )
    return suppliers or rules or any(not k.get("existing", True) for k in sc.plants.values())


def max_flow(
    cells: dict[Any, float], cover: dict[Any, list[str]], limit: dict[str, float]
) -> float:
    """Most kg of `cells` that can be counted against covering licences within `limit`.

    A transportation problem solved as a max flow (Edmonds–Karp): source → delivery
    cell (its kg) → each covering licence (unbounded) → sink (the licence's limit).
    """
    res: dict[Any, dict[Any, float]] = defaultdict(lambda: defaultdict(float))
    for key, kg in cells.items():
        res["source"][("cell", key)] += kg
        for lid in cover[key]:
            res[("cell", key)][("licence", lid)] = math.inf
    for lid, kg in limit.items():
        res[("licence", lid)]["sink"] += kg
    flow = 0.0
    while path := _augmenting_path(res):
        push = min(res[u][v] for u, v in path)
        for u, v in path:
            res[u][v] -= push
            res[v][u] += push
        flow += push
    return flow


def _augmenting_path(res: dict[Any, dict[Any, float]]) -> list[tuple[Any, Any]]:
    """Shortest source-to-sink path with residual capacity, as a list of edges; [] if none."""
    parent: dict[Any, Any] = {"source": None}
    frontier = ["source"]
    while frontier and "sink" not in parent:
        nxt = []
        for u in frontier:
            for v, cap in list(res.get(u, {}).items()):
                if cap > 1e-12 and v not in parent:
                    parent[v] = u
                    nxt.append(v)
        frontier = nxt
    if "sink" not in parent:
        return []
    path, v = [], "sink"
    while parent[v] is not None:
        path.append((parent[v], v))
        v = parent[v]
    return path[::-1]
