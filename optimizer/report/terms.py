"""The cost terms as a report names them, and as each enters the objective."""

from __future__ import annotations

TERM_LABELS = {
    "purchase": "Landed purchases",
    "fixed": "Supplier contracts",
    "production": "Domestic production",
    "subsidy": "Production incentive (earned)",
    "build": "Plant construction",
    "holding": "Stock holding",
    "shortage": "Unmet demand penalty",
    "qualification": "Supplier qualification",
    "cap_excess": "Origin cap excess penalty",
}


def signed(term: str, amount: float) -> float:
    """A term as it enters the objective: the earned subsidy counts against the cost."""
    return 0.0 - amount if term == "subsidy" else amount
