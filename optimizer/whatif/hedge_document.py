"""The hedge document of MODEL.md §6 read and validated: a base scenario, the outcomes
that may follow it with their probabilities, the period from which decisions may differ,
and the risk measure.

`parse_hedge` checks the shape (pydantic, unknown fields refused: `hedge_schema`), the
base scenario and every outcome's document with the scenario's own rules, and then the
rules that tie outcomes to base (`hedge_ties`). The outcomes are listed one by one
(`hedge_listed`) or drawn as a seeded Monte Carlo sample of shock axes
(`hedge_sampled`, whose `draw_outcomes` draws fresh ones to evaluate a plan out of
sample). A rejected document raises `ScenarioError` with every problem (pointer, value,
rule), as a scenario does. `load_hedge` reads one from a file.
"""

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import Problem, ScenarioError
from optimizer.gc_pause import gc_paused
from optimizer.scenario.parsing import decode
from optimizer.whatif.hedge_listed import (
    PROBABILITY_TOLERANCE,
    listed_outcomes,
    name_and_probability_problems,
)
from optimizer.whatif.hedge_sampled import draw_outcomes, sampled_outcomes
from optimizer.whatif.hedge_schema import (
    MAX_OUTCOMES,
    Hedge,
    HedgeSpec,
    Outcome,
    OutcomeSpec,
    Risk,
    Sample,
    SampledOutcomes,
)
from optimizer.whatif.hedge_ties import ID_LISTS, outcome_scenario
from optimizer.whatif.shocks import problems_of

__all__ = [
    "ID_LISTS",
    "MAX_OUTCOMES",
    "PROBABILITY_TOLERANCE",
    "Hedge",
    "HedgeSpec",
    "Outcome",
    "OutcomeSpec",
    "Risk",
    "Sample",
    "SampledOutcomes",
    "draw_outcomes",
    "load_hedge",
    "parse_hedge",
]


def load_hedge(path: str | Path) -> Hedge:
    """Read a hedge document (.json, or .yaml/.yml). Its `base` may be a path to a
    scenario file (JSON or YAML), taken relative to the hedge file's folder."""
    path = Path(path)
    raw = _read(path, "", "cannot read hedge file")
    if isinstance(raw, dict) and isinstance(raw.get("base"), str):
        raw = {**raw, "base": _read(path.parent / raw["base"], "/base", "cannot read base")}
    return parse_hedge(raw)


def _read(path: Path, where: str, words: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(where, str(path), f"{words}: {exc}")]) from None
    try:
        return decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    except ScenarioError as exc:
        problems = [Problem(where + p.pointer, p.value, p.rule) for p in exc.problems]
        raise ScenarioError(problems) from None


def parse_hedge(document: Any) -> Hedge:
    """A validated hedge, or ScenarioError with every problem of the document."""
    with gc_paused():  # hundreds of outcome documents: see optimizer/gc_pause.py
        return _parse_hedge(document)


def _parse_hedge(document: Any) -> Hedge:
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", None, "a hedge document must be an object")])
    try:
        spec = HedgeSpec.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError([_untagged(p) for p in problems_of(exc)]) from None
    problems: list[Problem] = []
    base = outcome_scenario(spec.base, ["base"], problems)
    if base is None:
        raise ScenarioError(problems)
    reveal = spec.reveal if spec.reveal is not None else base.periods[0]
    if reveal not in base.periods:
        problems.append(Problem("/reveal", reveal, "not a period label of `base`"))
    reveal_at = base.periods.index(reveal) if reveal in base.periods else None
    sample = spec.outcomes.sample if isinstance(spec.outcomes, SampledOutcomes) else None
    if sample is None:
        assert isinstance(spec.outcomes, list)
        listed = spec.outcomes
        problems += name_and_probability_problems(listed)
        outcomes = listed_outcomes(base, spec.base, listed, reveal_at, problems)
    else:
        outcomes = sampled_outcomes(
            base, spec.base, sample, sample.n, sample.seed, reveal_at, problems
        )
    if problems:
        raise ScenarioError(problems)
    assert reveal_at is not None
    return Hedge(
        spec.name,
        base,
        spec.base,
        reveal,
        reveal_at,
        tuple(outcomes),
        spec.risk.alpha,
        spec.risk.weight,
        sample,
    )


def _untagged(problem: Problem) -> Problem:
    """Pydantic names the branch of `outcomes` it tried; the pointer does not."""
    for tag in ("/listed", "/sampled"):
        if problem.pointer.startswith("/outcomes" + tag):
            return Problem(
                "/outcomes" + problem.pointer[len("/outcomes" + tag) :],
                problem.value,
                problem.rule,
            )
    return problem
