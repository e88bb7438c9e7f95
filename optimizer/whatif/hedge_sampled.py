"""The outcomes of a hedge document given as a seeded Monte Carlo sample of shock axes
(MODEL.md §6), drawn as a sweep spec draws its members (`{"sample": {"n", "seed",
"axes"}}`): n equally likely outcomes `mc-001`, `mc-002`, …, each read and tied to base
by `hedge_ties`. `draw_outcomes` draws fresh ones with another seed, to evaluate a plan
out of sample.
"""

from typing import Any

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_schema import Hedge, Outcome, Sample
from optimizer.whatif.hedge_ties import outcome_scenario, tie_problems
from optimizer.whatif.shocks import SpecError, apply_shocks
from optimizer.whatif.sweep_spec import expand_members, parse_sweep_spec


def draw_outcomes(hedge: Hedge, n: int, seed: int) -> tuple[Outcome, ...]:
    """n fresh outcomes of a sampled hedge's axes, drawn with `seed`, each checked as the
    hedge's own are (ScenarioError otherwise)."""
    if hedge.sample is None:
        raise ScenarioError(
            [Problem("/outcomes", None, "fresh outcomes need outcomes given as a sample")]
        )
    problems: list[Problem] = []
    sample = Sample(n=n, seed=seed, axes=hedge.sample.axes)
    found = sampled_outcomes(
        hedge.base, hedge.base_document, sample, n, seed, hedge.reveal_at, problems
    )
    if problems:
        raise ScenarioError(problems)
    return tuple(found)


def sampled_outcomes(
    base: Scenario,
    base_doc: dict[str, Any],
    sample: Sample,
    n: int,
    seed: int,
    reveal_at: int | None,
    problems: list[Problem],
) -> list[Outcome]:
    """n outcomes drawn as a sweep spec's Monte Carlo members; a problem of an axis is
    named under /outcomes/sample, of a draw under /outcomes/sample/draws/<k>."""
    where = "/outcomes/sample"
    try:
        spec = parse_sweep_spec(
            {
                "base": base_doc,
                "mode": "monte_carlo",
                "axes": [a.model_dump(exclude_none=True) for a in sample.axes],
                "samples": n,
                "seed": seed,
                "include_base": False,
            }
        )
        members = expand_members(spec, base_doc)
    except SpecError as exc:
        # each extreme of a distribution is checked: one problem may show twice
        named = [Problem(where + p.pointer, p.value, p.rule) for p in exc.problems]
        problems += [p for i, p in enumerate(named) if p not in named[:i]]
        return []
    outcomes = []
    for k, member in enumerate(members):
        at: list[object] = ["outcomes", "sample", "draws", k]
        try:
            doc = apply_shocks(base_doc, member.shocks, at)
        except SpecError as exc:
            problems += exc.problems
            continue
        found: list[Problem] = []
        sc = outcome_scenario(doc, at, found, (base, base_doc))
        problems += [
            Problem(p.pointer, p.value, f"{member.name} {member.levels}: {p.rule}") for p in found
        ]
        if sc is None:
            continue
        outcome = Outcome(member.name, 1.0 / n, sc, doc, dict(member.levels))
        outcomes.append(outcome)
        if reveal_at is not None:
            tied = tie_problems(base, base_doc, outcome, at, True, reveal_at)
            problems += [
                Problem(p.pointer, p.value, f"{member.name} {member.levels}: {p.rule}")
                for p in tied
            ]
        if len(problems) > 20:  # one bad axis shows in most draws: enough to see why
            break
    return outcomes
