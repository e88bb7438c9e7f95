"""The sweep spec (base scenario, shock axes, grid or Monte Carlo) and its expansion into
members; solving them is `sweep.py`. Every field, with units and defaults, is documented
in docs/sweeps.md, and instances/sweeps/ holds examples."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from optimizer.errors import Problem, pointer
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import decode, parse_scenario
from optimizer.whatif.shocks import (
    SpecError,
    parse_shock,
    parse_shocks,
    problems_of,
    shock_problems,
)

Number = Annotated[float, Field(allow_inf_nan=False, strict=True)]
MAX_MEMBERS = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uniform(_Strict):
    type: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("`low` must not exceed `high`")
        return self

    def extremes(self) -> list[float]:
        return [self.low, self.high]

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


class Triangular(_Strict):
    type: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need `low` <= `mode` <= `high`")
        return self

    def extremes(self) -> list[float]:
        return [self.low, self.high]

    def draw(self, rng: np.random.Generator) -> float:
        if self.low == self.high:  # numpy refuses a degenerate triangle
            return self.low
        return float(rng.triangular(self.low, self.mode, self.high))


class Choice(_Strict):
    type: Literal["choice"]
    values: list[Number] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None and (
            len(self.weights) != len(self.values) or sum(self.weights) <= 0
        ):
            raise ValueError("`weights` needs one weight per value and a positive sum")
        return self

    def extremes(self) -> list[float]:
        return list(self.values)

    def draw(self, rng: np.random.Generator) -> float:
        p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
        return float(self.values[int(rng.choice(len(self.values), p=p))])


Distribution = Annotated[Uniform | Triangular | Choice, Field(discriminator="type")]


class NamedLevel(_Strict):
    name: str = Field(min_length=1, max_length=100, description="Label of the level.")
    shocks: list[dict[str, Any]] = Field(description="Shocks applied at this level.")


class Axis(_Strict):
    name: str = Field(min_length=1, max_length=100, description="Axis name (a table column).")
    shock: dict[str, Any] | None = Field(None, description="Shock template without its amount.")
    parameter: Literal["factor", "value"] = Field("factor", description="Amount a level fills.")
    levels: list[Number | NamedLevel] | None = Field(None, description="Grid levels.")
    distribution: Distribution | None = Field(None, description="Monte Carlo distribution.")


class SweepSpec(_Strict):
    name: str = Field("sweep", min_length=1, max_length=200)
    base: str | dict[str, Any] = Field(description="Base scenario: a file path or the document.")
    mode: Literal["grid", "monte_carlo"] = "grid"
    axes: list[Axis] = Field(min_length=1)
    samples: int | None = Field(None, ge=1, le=MAX_MEMBERS, description="Monte Carlo members.")
    seed: int = Field(0, ge=0, description="Seed of the Monte Carlo draws.")
    include_base: bool = Field(True, description="Solve the unshocked base as member `base`.")
    hot_start: bool = Field(True, description="Re-solve members from the previous basis.")
    verify_sample: (
        Annotated[int, Field(ge=0, strict=True)]
        | Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
    ) = Field(
        0,
        description="Members also solved cold as a check: a count (an integer: 5) or a "
        "fraction of the members (a decimal: 0.1; 1.0 = all).",
    )
    options: SolveOptions = Field(default_factory=SolveOptions)
    workers: int = Field(1, ge=1, le=256, description="Processes solving members in parallel.")

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        names = [a.name for a in self.axes]
        if len(set(names)) != len(names):
            raise ValueError("axis names must be unique")
        if self.mode == "monte_carlo" and self.samples is None:
            raise ValueError("monte_carlo needs `samples`")
        return self


@dataclass(frozen=True)
class Member:
    """One scenario of the sweep: its name, the level of each axis, the shocks it applies."""

    name: str
    levels: dict[str, float | str | None]
    shocks: tuple[Any, ...]


# -- reading a spec ------------------------------------------------------------------------
def parse_sweep_spec(raw: Any) -> SweepSpec:
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(problems_of(exc)) from None


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read a spec file; a base given as a path is taken relative to the spec's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem("", str(path), f"cannot read sweep spec: {exc}")]) from None
    raw = decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    if isinstance(raw, dict) and isinstance(raw.get("base"), str):
        raw = {**raw, "base": str((path.parent / raw["base"]).resolve())}
    return parse_sweep_spec(raw)


def base_document(spec: SweepSpec, allow_path: bool = True) -> dict[str, Any]:
    """The validated base scenario as a complete document (defaults written out). A
    service passes `allow_path=False`: its clients must not name files on the server."""
    if isinstance(spec.base, dict):
        raw = spec.base
    elif not allow_path:
        raise SpecError([Problem("/base", spec.base, "must be the scenario document itself")])
    else:
        path = Path(spec.base)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError([Problem("/base", spec.base, f"cannot read: {exc}")]) from None
        raw = decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    return parse_scenario(raw).model_dump(mode="json", exclude_none=True)


# -- members ---------------------------------------------------------------------------------
def expand_members(spec: SweepSpec, base: dict[str, Any]) -> list[Member]:
    """Every member of the sweep, after checking every axis against the base scenario."""
    problems: list[Problem] = []
    if spec.mode == "grid":
        members = _grid(spec, base, problems)
    else:
        members = _monte_carlo(spec, base, problems)
    if problems:
        raise SpecError(problems)
    head = [Member("base", dict.fromkeys(a.name for a in spec.axes), ())]
    return head + members if spec.include_base else members


def _grid(spec: SweepSpec, base: dict[str, Any], problems: list[Problem]) -> list[Member]:
    per_axis = []
    for i, axis in enumerate(spec.axes):
        if not axis.levels:
            problems.append(Problem(pointer("axes", i, "levels"), None, "grid mode needs levels"))
            continue
        per_axis.append(
            [_level(base, i, axis, j, lv, problems) for j, lv in enumerate(axis.levels)]
        )
    size = int(np.prod([len(levels) for levels in per_axis]))
    if size > MAX_MEMBERS:
        problems.append(Problem("/axes", size, f"a grid has at most {MAX_MEMBERS:,} members"))
    if problems:
        return []
    members = []
    for combo in itertools.product(*per_axis):
        name = ";".join(
            f"{a.name}={label}" for a, (label, _, _) in zip(spec.axes, combo, strict=True)
        )
        levels: dict[str, float | str | None] = {
            a.name: value for a, (_, value, _) in zip(spec.axes, combo, strict=True)
        }
        members.append(Member(name, levels, tuple(s for _, _, shocks in combo for s in shocks)))
    return members


def _level(
    base: dict[str, Any],
    i: int,
    axis: Axis,
    j: int,
    level: float | NamedLevel,
    problems: list[Problem],
) -> tuple[str, float | str, list[Any]]:
    """(label, level, shocks) of one grid level; problems are collected, not raised."""
    try:
        if isinstance(level, NamedLevel):
            where: list[object] = ["axes", i, "levels", j, "shocks"]
            shocks = parse_shocks(level.shocks, where)
            found = [p for k, s in enumerate(shocks) for p in shock_problems(base, s, [*where, k])]
            problems += found
            return level.name, level.name, shocks
        return f"{level:g}", level, [_filled(base, i, axis, level, problems)]
    except SpecError as exc:
        problems += exc.problems
        return "", "", []


def _filled(
    base: dict[str, Any], i: int, axis: Axis, amount: float, problems: list[Problem]
) -> Any:
    """The axis's template with its amount filled in, checked against the base."""
    if axis.shock is None:
        raise SpecError(
            [Problem(pointer("axes", i, "shock"), None, "a numeric level needs a shock template")]
        )
    shock = parse_shock({**axis.shock, axis.parameter: amount}, ["axes", i, "shock"])
    problems += list(shock_problems(base, shock, ["axes", i, "shock"]))
    return shock


def _monte_carlo(spec: SweepSpec, base: dict[str, Any], problems: list[Problem]) -> list[Member]:
    for i, axis in enumerate(spec.axes):
        if axis.distribution is None:
            problems.append(
                Problem(
                    pointer("axes", i, "distribution"), None, "monte_carlo needs a distribution"
                )
            )
            continue
        for amount in sorted(set(axis.distribution.extremes())):  # every draw lies between these
            try:
                _filled(base, i, axis, amount, problems)
            except SpecError as exc:
                problems += exc.problems
    if problems:
        return []
    rng = np.random.default_rng(spec.seed)
    width = len(str(spec.samples))
    members = []
    for k in range(spec.samples or 0):
        drawn = {a.name: a.distribution.draw(rng) for a in spec.axes}  # type: ignore[union-attr]
        shocks = tuple(
            parse_shock({**a.shock, a.parameter: drawn[a.name]})  # type: ignore[dict-item]
            for a in spec.axes
        )
        members.append(Member(f"mc-{k + 1:0{width}d}", dict(drawn), shocks))
    return members


def verify_positions(verify_sample: int | float, n: int) -> set[int]:
    """Members to solve cold as a check, evenly spaced: a count (int) or a fraction (float)."""
    count = verify_sample if isinstance(verify_sample, int) else round(verify_sample * n)
    count = min(count, n)
    if count <= 0:
        return set()
    return {int(k) for k in np.linspace(0, n - 1, count).round()}
