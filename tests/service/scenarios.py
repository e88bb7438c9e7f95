"""Scenario documents for the service tests: the shared tiny case and a slow one."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
C0_OBJECTIVE = 3340.0  # by hand: 150 kg licensed from cn1 at 12/kg, 70 kg from jp1 at 22/kg


def c0(name: str | None = None) -> dict[str, Any]:
    """The conformance scenario c0 (a fresh copy), optionally renamed."""
    document: dict[str, Any] = json.loads((DATA / "c0_tiny_licence_enduse.json").read_text())
    if name is not None:
        document["name"] = name
    return copy.deepcopy(document)


ORIGINS = ["CN", "VN", "JP", "AU", "KZ", "US"]


def slow_lp(suppliers: int = 600, periods: int = 24, seed: int = 7) -> dict[str, Any]:
    """An LP that keeps HiGHS busy for seconds (on 2 cores: about 18 s at 600 suppliers,
    4 s at 100), to stop a service or cancel a job in the middle of a solve."""
    rng = random.Random(seed)
    labels = [f"M{t:02d}" for t in range(periods)]
    products = [f"p{j}" for j in range(5)]
    sectors = [{"id": f"e{j}", "tags": ["defence"] if j == 0 else [], "shortage_penalty": 900}
               for j in range(5)]  # fmt: skip
    return {
        "name": f"slow lp S={suppliers} T={periods}",
        "periods": labels,
        "products": [{"id": p, "holding_cost": 0.3, "min_inventory": 100} for p in products],
        "sectors": sectors,
        "countries": [
            {
                "id": o,
                "tariff": 0.05,
                "freight": 1.0 + i,
                "restricted_end_uses": ["defence"] if o == "CN" else [],
            }
            for i, o in enumerate(ORIGINS)
        ],  # fmt: skip
        "suppliers": [_supplier(rng, i, products, periods) for i in range(suppliers)],
        "demand": [
            {
                "product": p,
                "sector": e["id"],
                "period": t,
                "quantity": round(suppliers * 60 * rng.uniform(0.5, 1.5), 1),
            }
            for p in products
            for e in sectors
            for t in labels
        ],  # fmt: skip
        "policy": {"max_origin_share": {"CN": 0.6}, "max_supplier_share": 0.05},
    }


def _supplier(rng: random.Random, i: int, products: list[str], periods: int) -> dict[str, Any]:
    offered = rng.sample(products, 3)
    return {
        "id": f"s{i:04d}",
        "country": ORIGINS[i % len(ORIGINS)],
        "capacity": [round(rng.uniform(200, 3000), 1) for _ in range(periods)],
        "lead_time": i % 3,
        "price_index": [round(1 + 0.01 * t * rng.uniform(-1, 2), 3) for t in range(periods)],
        "offers": [{"product": p, "price": round(rng.uniform(20, 80), 2)} for p in offered],
    }
