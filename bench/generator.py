"""Seeded generator of large sourcing scenarios for the benchmarks.

The shape follows the India reference scenarios (licensed Chinese suppliers, third-country
processors of Chinese feedstock, allied suppliers, domestic plants, end-use bans, an
origin-share cap, a supplier-share cap and a budget) scaled up in suppliers and periods
until the LP has the requested number of non-zeros. No binaries: the benchmark measures
the work around an LP solve.

With `--rules` the same scenario also gets the sourcing rules of MODEL.md §7, drawn from
a random stream of their own (so the scenario underneath is the one without them):
all-units discounts on about a third of the supplier offers (one to three brackets each),
qualification on about a tenth of the suppliers outside China, `max_suppliers` on two
products, `min_service` on three sectors and a soft China cap (`origin_share_penalty`).
That makes a MILP with binaries y (one per bracket and period of a discounted offer),
u (one per offer of a capped product) and qual (one per period of a pending supplier).

    python bench/generator.py --suppliers 3000 --periods 24 --seed 1 > big.json
    python bench/generator.py --suppliers 600 --periods 12 --rules > rules.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

COUNTRIES = [
    # id, tariff, freight per kg, restricted end uses
    ("CN", 0.075, 0.9, ["defence", "us_reexport"]),
    ("VN", 0.05, 1.2, []),
    ("JP", 0.0, 2.4, []),
    ("AU", 0.0, 3.1, []),
    ("KZ", 0.05, 2.0, []),
    ("US", 0.0, 3.5, []),
    ("BR", 0.05, 3.8, []),
    ("IN", 0.0, 0.2, []),
]
SECTORS = [
    ("auto_ev", [], 420.0), ("auto_ice", [], 300.0), ("electronics", [], 350.0),
    ("wind", [], 280.0), ("defence", ["defence"], 950.0), ("us_export", ["us_reexport"], 600.0),
]  # fmt: skip
PRODUCTS = [("ndfeb_n42", 24.0), ("ndfeb_n52", 31.0), ("ndfeb_sh", 52.0), ("ndfeb_uh", 66.0),
            ("ndfeb_eh", 78.0), ("smco", 120.0)]  # fmt: skip


def generate(
    suppliers: int, periods: int, seed: int, plants: int = 12, rules: bool = False
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    labels = [f"{2026 + t // 12}-M{t % 12 + 1:02d}" for t in range(periods)]
    origin_of = rng.choice(
        len(COUNTRIES) - 1, size=suppliers, p=[0.45, 0.15, 0.12, 0.1, 0.08, 0.05, 0.05]
    )
    doc: dict[str, Any] = {
        "name": f"bench seed={seed} S={suppliers} T={periods}",
        "periods": labels,
        "products": [
            {"id": p, "holding_cost": round(0.01 * base, 3), "min_inventory": 500.0}
            for p, base in PRODUCTS
        ],
        "sectors": [{"id": e, "tags": tags, "shortage_penalty": pen} for e, tags, pen in SECTORS],
        "countries": [
            {"id": c, "tariff": tar, "freight": fr, "restricted_end_uses": r}
            for c, tar, fr, r in COUNTRIES
        ],
        "suppliers": [_supplier(rng, i, int(origin_of[i]), periods) for i in range(suppliers)],
        "plants": [_plant(rng, k, periods) for k in range(plants)],
    }
    doc["licences"] = _licences(rng, doc["suppliers"])
    doc["demand"] = _demand(rng, suppliers, labels)
    doc["policy"] = {"max_origin_share": {"CN": 0.7}}
    if rules:
        add_rules(doc, seed)
    return doc


# §7 rules: the capped products and their most suppliers (as a share of their offerers),
# the sectors with a service level, and the penalty per kg above the China cap.
MAX_SUPPLIERS = {"ndfeb_uh": 0.3, "smco": 0.4}
MIN_SERVICE = {"defence": 0.98, "auto_ev": 0.95, "wind": 0.9}
CN_PENALTY = 4.0


def add_rules(doc: dict[str, Any], seed: int) -> None:
    """Add MODEL.md §7's rules in place, from their own seeded stream."""
    rng = np.random.default_rng([seed, 7])
    for s in doc["suppliers"]:
        mean_capacity = float(np.mean(s["capacity"]))
        for o in s["offers"]:
            if rng.random() < 0.35:
                o["discounts"] = _discounts(rng, o["price"], mean_capacity)
        if s["origin"] != "CN" and rng.random() < 0.1:
            s["qualification"] = {
                "cost": round(float(rng.uniform(2e4, 2e5)), 0),
                "lead": int(rng.integers(1, 4)),
            }
    offerers = {p: 0 for p, _ in PRODUCTS}
    for s in doc["suppliers"]:
        for o in s["offers"]:
            offerers[o["product"]] += 1
    doc["policy"]["max_suppliers"] = {
        p: max(1, int(share * offerers[p])) for p, share in MAX_SUPPLIERS.items()
    }
    doc["policy"]["origin_share_penalty"] = {"CN": CN_PENALTY}
    for e in doc["sectors"]:
        if e["id"] in MIN_SERVICE:
            e["min_service"] = MIN_SERVICE[e["id"]]


def _discounts(rng: np.random.Generator, price: float, capacity: float) -> list[dict[str, Any]]:
    """One to three all-units brackets: min_kg a share of the supplier's mean capacity per
    period (strictly increasing), each bracket 2-5 % cheaper than the one before."""
    shares = np.sort(
        rng.choice([0.15, 0.3, 0.5, 0.75], size=int(rng.integers(1, 4)), replace=False)
    )
    off = np.cumsum(rng.uniform(0.02, 0.05, len(shares)))
    return [
        {"min_kg": round(float(f * capacity), 1), "price": round(price * (1 - d), 2)}
        for f, d in zip(shares, off, strict=True)
    ]


def _supplier(rng: np.random.Generator, i: int, origin: int, T: int) -> dict[str, Any]:
    country = "VN" if origin == 0 and rng.random() < 0.2 else COUNTRIES[origin][0]
    premium = 1.0 if origin == 0 else 1.0 + rng.uniform(0.2, 0.8)
    chosen = rng.choice(len(PRODUCTS), size=int(rng.integers(2, 5)), replace=False)
    s: dict[str, Any] = {
        "id": f"s{i:05d}",
        "country": country,
        "origin": COUNTRIES[origin][0],
        "capacity": np.round(rng.uniform(200, 3000) * rng.uniform(0.6, 1.4, T), 1).tolist(),
        "lead_time": int(rng.integers(0, 3)),
        "licence_required": bool(origin == 0 and country == "CN"),
        "price_index": np.round(np.cumprod(rng.normal(1.0, 0.02, T)), 4).tolist(),
        "offers": [
            {
                "product": PRODUCTS[p][0],
                "price": round(PRODUCTS[p][1] * premium * rng.uniform(0.9, 1.1), 2),
            }
            for p in sorted(chosen)
        ],
    }
    return s


def _plant(rng: np.random.Generator, k: int, T: int) -> dict[str, Any]:
    p = int(rng.integers(0, len(PRODUCTS)))
    return {
        "id": f"in_plant_{k:02d}",
        "country": "IN",
        "capacity": round(float(rng.uniform(2000, 20000)), 1),
        "incentive": round(float(rng.uniform(2, 8)), 2),
        "incentive_cap": round(float(rng.uniform(1e5, 1e6)), 0),
        "offers": [{"product": PRODUCTS[p][0], "price": round(PRODUCTS[p][1] * 1.4, 2)}],
    }


def _licences(rng: np.random.Generator, suppliers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    licensed = [s["id"] for s in suppliers if s["licence_required"]]
    groups = np.array_split(np.array(licensed, dtype=object), 8) if licensed else []
    return [
        {
            "id": f"lic-{j}",
            "suppliers": g.tolist(),
            "quantity": round(float(rng.uniform(0.5, 2.0)) * 1e5 * len(g) / 40, 0),
        }
        for j, g in enumerate(groups)
        if len(g)
    ]


def _demand(rng: np.random.Generator, suppliers: int, labels: list[str]) -> list[dict[str, Any]]:
    # Demand grows with the supplier base so that capacity binds somewhere but not everywhere.
    scale = suppliers * 1400 / (len(PRODUCTS) * len(SECTORS))
    rows = []
    for p, _ in PRODUCTS:
        for e, _, _ in SECTORS:
            base = scale * rng.uniform(0.3, 1.2)
            for t, label in enumerate(labels):
                q = base * (1 + 0.01 * t) * rng.uniform(0.85, 1.15)
                rows.append(
                    {"product": p, "sector": e, "period": label, "quantity": round(float(q), 1)}
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--suppliers", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rules", action="store_true", help="add the sourcing rules (MODEL.md §7)")
    args = ap.parse_args(argv)
    json.dump(generate(args.suppliers, args.periods, args.seed, rules=args.rules), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
