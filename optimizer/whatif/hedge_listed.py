"""The outcomes of a hedge document listed one by one (MODEL.md §6): each a name, a
probability and either shocks applied to `base` or a whole scenario document. Their
names must be unique and their probabilities sum to 1; each outcome is read and tied to
base by `hedge_ties`.
"""

import math
from collections.abc import Iterator
from typing import Any

from optimizer.errors import Problem, pointer
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_schema import Outcome, OutcomeSpec
from optimizer.whatif.hedge_ties import outcome_scenario, tie_problems
from optimizer.whatif.shocks import SpecError, apply_shocks, parse_shocks

PROBABILITY_TOLERANCE = 1e-9


def listed_outcomes(
    base: Scenario,
    base_doc: dict[str, Any],
    items: list[OutcomeSpec],
    reveal_at: int | None,
    problems: list[Problem],
) -> list[Outcome]:
    outcomes = []
    base_dump = base.model_dump()
    for i, item in enumerate(items):
        outcome = _outcome(base, base_doc, item, i, problems)
        if outcome is not None:
            outcomes.append(outcome)
            if reveal_at is not None:
                at: list[object] = [
                    "outcomes",
                    i,
                    "shocks" if item.shocks is not None else "scenario",
                ]
                by_shocks = item.shocks is not None
                like = base_doc if by_shocks else base_dump
                problems += tie_problems(base, like, outcome, at, by_shocks, reveal_at)
    return outcomes


def name_and_probability_problems(items: list[OutcomeSpec]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, o in enumerate(items):
        if o.name in first:
            yield Problem(
                pointer("outcomes", i, "name"),
                o.name,
                f"outcome names must be unique: also /outcomes/{first[o.name]}/name",
            )
        first.setdefault(o.name, i)
    total = math.fsum(o.probability for o in items)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        yield Problem("/outcomes", total, "the probabilities must sum to 1 (within 1e-9)")


def _outcome(
    base: Scenario, base_doc: dict[str, Any], item: OutcomeSpec, i: int, problems: list[Problem]
) -> Outcome | None:
    if item.scenario is not None:
        sc = outcome_scenario(item.scenario, ["outcomes", i, "scenario"], problems)
        return None if sc is None else Outcome(item.name, item.probability, sc, item.scenario)
    where = ["outcomes", i, "shocks"]
    try:
        doc = apply_shocks(base_doc, parse_shocks(item.shocks, where), where)
    except SpecError as exc:
        problems += exc.problems
        return None
    found: list[Problem] = []
    sc = outcome_scenario(doc, ["outcomes", i, "shocks"], found, (base, base_doc))
    problems += [
        Problem(p.pointer, p.value, f"after the shocks, the scenario at {p.pointer}: {p.rule}")
        for p in found
    ]
    return None if sc is None else Outcome(item.name, item.probability, sc, doc)
