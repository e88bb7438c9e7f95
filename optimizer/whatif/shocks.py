"""What-if shocks read from a specification and applied to a scenario document.

`parse_shocks` turns raw specifications into the typed kinds of `shock_kinds`, and
`apply_shocks` checks every id they name against the document first, reporting every
unknown one at once with a JSON pointer to the shock's field, then gives a new document
with each shock applied in order. `SpecError` and `problems_of` report a rejected
specification of any what-if request (shock, sweep, exclusion) in the same words.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from optimizer.errors import Problem, pointer
from optimizer.scenario.schema import Licence
from optimizer.whatif.shock_kinds import (
    KINDS,
    SHOCK,
    AddLicenceShock,
    CapacityShock,
    CountryRateShock,
    DemandShock,
    DiscountPriceShock,
    DiscountScheduleShock,
    DiscountThresholdShock,
    Document,
    LeadTimeShock,
    LicenceQuantityShock,
    MaxSuppliersShock,
    OriginShareShock,
    PriceShock,
    QualificationCostShock,
    QualificationLeadShock,
    RevokeLicenceShock,
    Shock,
)

__all__ = [
    "KINDS",
    "SHOCK",
    "AddLicenceShock",
    "CapacityShock",
    "CountryRateShock",
    "DemandShock",
    "DiscountPriceShock",
    "DiscountScheduleShock",
    "DiscountThresholdShock",
    "Document",
    "LeadTimeShock",
    "LicenceQuantityShock",
    "MaxSuppliersShock",
    "OriginShareShock",
    "PriceShock",
    "QualificationCostShock",
    "QualificationLeadShock",
    "RevokeLicenceShock",
    "Shock",
    "SpecError",
    "apply_shocks",
    "fresh_copy",
    "parse_shock",
    "parse_shocks",
    "problems_of",
    "shock_problems",
    "validation_problem",
]


class SpecError(ValueError):
    """A what-if specification (shock, sweep, exclusion) was rejected; one `Problem` per rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# -- reading shocks --------------------------------------------------------------------
def parse_shock(raw: Any, where: Sequence[object] = ()) -> Any:
    """A validated shock, or SpecError naming each bad field under `where`."""
    try:
        return SHOCK.validate_python(raw)
    except ValidationError as exc:
        raise SpecError(problems_of(exc, where)) from None


def parse_shocks(raw: Any, where: Sequence[object] = ()) -> list[Any]:
    if not isinstance(raw, list):
        raise SpecError([Problem(pointer(*where), raw, "must be a list of shocks")])
    shocks, problems = [], []
    for i, item in enumerate(raw):
        try:
            shocks.append(parse_shock(item, [*where, i]))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    return shocks


def validation_problem(error: Any, where: Sequence[object] = ()) -> Problem:
    """A pydantic error as a Problem whose pointer starts at `where`."""
    loc = [part for part in error["loc"] if not _branch_label(part)]
    value = None if error["type"] == "missing" else error.get("input")
    if isinstance(value, dict | list):
        value = str(value)[:200]
    if error["type"] == "extra_forbidden":
        return Problem(
            pointer(*where, *loc), value, "unknown field (not part of the specification)"
        )
    if error["type"] == "value_error":  # a rule across fields: the message says it all
        return Problem(pointer(*where, *loc), None, error["msg"].removeprefix("Value error, "))
    return Problem(pointer(*where, *loc), value, error["msg"])


def problems_of(exc: ValidationError, where: Sequence[object] = ()) -> list[Problem]:
    """Each pointer once: the rules of a union's branches that all failed joined by "or"."""
    merged: dict[str, Problem] = {}
    for problem in (validation_problem(e, where) for e in exc.errors()):
        first = merged.get(problem.pointer)
        if first is None:
            merged[problem.pointer] = problem
        elif problem.rule not in first.rule:
            merged[problem.pointer] = Problem(
                first.pointer, first.value, f"{first.rule}, or {problem.rule}"
            )
    return list(merged.values())


_UNION_LABELS = {"float", "int", "str", "bool", "NamedLevel", "uniform", "triangular", "choice"}


def _branch_label(part: object) -> bool:
    """Pydantic names the branch of a union in an error's location; it is not a field."""
    return isinstance(part, str) and (
        part in KINDS
        or part in _UNION_LABELS
        or part.startswith(("function-", "constrained-"))
        or "[" in part
    )


# -- applying shocks ---------------------------------------------------------------------
def apply_shocks(doc: Document, shocks: Sequence[Any], where: Sequence[object] = ()) -> Document:
    """A new scenario document with every shock applied in order; `doc` is left as it was.

    Each shock's ids are checked against the document as the shocks before it left it
    (a licence added by one shock can be scaled by the next); SpecError lists every
    unknown id of every shock.
    """
    out = fresh_copy(doc)
    problems: list[Problem] = []
    for i, shock in enumerate(shocks):
        found = list(shock_problems(out, shock, [*where, i]))
        problems += found
        if not found:
            shock.apply(out)
    if problems:
        raise SpecError(problems)
    return out


def fresh_copy(doc: Document) -> Document:
    """A copy deep enough for shocks: every dict a shock may change is new (the document,
    its items, offers, policy and its caps). Shocks replace lists such as capacities
    instead of changing them in place, so those may be shared; a full deep copy costs a
    third of a hot-started member's time on a large scenario."""
    out = dict(doc)
    for field, items in doc.items():
        if isinstance(items, list):
            out[field] = [dict(item) if isinstance(item, dict) else item for item in items]
    for owner in (*out.get("suppliers", []), *out.get("plants", [])):
        owner["offers"] = [dict(offer) for offer in owner.get("offers", [])]
    if isinstance(doc.get("policy"), dict):
        out["policy"] = copy.deepcopy(doc["policy"])
    return out


def shock_problems(doc: Document, shock: Any, where: Sequence[object]) -> Iterator[Problem]:
    """Every id the shock names that the document does not hold; once every id is
    known, what else the shock needs of the document (`document_problems`)."""
    unknown = False
    for field, kind in shock.references.items():
        wanted = getattr(shock, field)
        known = _known(doc, kind)
        name = type(shock).model_fields[field].alias or field  # `from`, as written
        for i, ref in enumerate([wanted] if isinstance(wanted, str) else wanted or []):
            if ref not in known:
                unknown = True
                at = pointer(*where, name) if isinstance(wanted, str) else pointer(*where, name, i)
                yield Problem(at, ref, f"unknown {_singular(kind)}: not in the scenario's {kind}")
    if isinstance(shock, AddLicenceShock):
        yield from _new_licence_problems(doc, shock.licence, [*where, "licence"])
    if not unknown:
        yield from shock.document_problems(doc, where)


def _new_licence_problems(doc: Document, lic: Licence, where: list[object]) -> Iterator[Problem]:
    if lic.id in _known(doc, "licences"):
        yield Problem(pointer(*where, "id"), lic.id, "a licence with this id already exists")
    lists = (("suppliers", lic.suppliers), ("products", lic.products), ("periods", lic.periods))
    for field, refs in lists:
        for i, ref in enumerate(refs or []):
            if ref not in _known(doc, field):
                yield Problem(
                    pointer(*where, field, i),
                    ref,
                    f"unknown {_singular(field)}: not in the scenario's {field}",
                )


def _known(doc: Document, kind: str) -> set[str]:
    if kind == "periods":
        return set(doc.get("periods", []))
    return {item["id"] for item in doc.get(kind, [])}


def _singular(kind: str) -> str:
    return {"countries": "country", "periods": "period"}.get(kind, kind.rstrip("s"))
