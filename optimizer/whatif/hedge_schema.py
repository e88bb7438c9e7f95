"""What a hedge document of MODEL.md §6 holds: its shape as written (`HedgeSpec`, with
the outcomes listed or given as a seeded sample of shock axes) and the validated hedge
(`Hedge`, its `Outcome`s) that `hedge_document.parse_hedge` gives.

`Hedge` and `Outcome` travel to solver processes pickled, named by this module.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from optimizer.scenario.schema import Scenario
from optimizer.whatif.sweep_spec import Axis

MAX_OUTCOMES = 10_000

Name = Annotated[str, Field(min_length=1, max_length=200, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeSpec(_Strict):
    name: Name = Field(description="Outcome name, unique in the document.")
    probability: float = Field(gt=0, le=1, allow_inf_nan=False, strict=True)
    shocks: list[Any] | None = Field(
        None, description="What-if shocks applied to `base` (the kinds sweeps use)."
    )
    scenario: dict[str, Any] | None = Field(None, description="A whole scenario document.")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.shocks is None) == (self.scenario is None):
            raise ValueError("give exactly one of `shocks` and `scenario`")
        return self


class Sample(_Strict):
    n: int = Field(ge=1, le=MAX_OUTCOMES, strict=True, description="Outcomes drawn.")
    seed: int = Field(0, ge=0, strict=True, description="Seeds numpy's generator.")
    axes: list[Axis] = Field(
        min_length=1, description="As a sweep spec's Monte Carlo axes: a shock template each."
    )


class SampledOutcomes(_Strict):
    sample: Sample = Field(description="n equally likely outcomes drawn from the axes.")


def _outcomes_tag(value: Any) -> str:
    return "sampled" if isinstance(value, dict) else "listed"


class Risk(_Strict):
    alpha: float = Field(0.9, ge=0, lt=1, allow_inf_nan=False, strict=True)
    weight: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, strict=True)


class HedgeSpec(_Strict):
    name: Name = Field(description="Name of the hedged plan.")
    base: dict[str, Any] = Field(description="A scenario document (MODEL.md §1).")
    reveal: Annotated[str, Field(strict=True)] | None = Field(
        None, description="First period whose decisions may differ by outcome; default first."
    )
    outcomes: Annotated[
        Annotated[list[OutcomeSpec], Field(min_length=1, max_length=MAX_OUTCOMES), Tag("listed")]
        | Annotated[SampledOutcomes, Tag("sampled")],
        Discriminator(_outcomes_tag),
    ]
    risk: Risk = Field(default_factory=Risk)


@dataclass(frozen=True)
class Outcome:
    name: str
    probability: float
    scenario: Scenario
    document: dict[str, Any]  # the scenario document (base with its shocks, or as given)
    levels: dict[str, Any] | None = None  # a sampled outcome's draw, by axis


@dataclass(frozen=True)
class Hedge:
    """A validated hedge document: `reveal_at` is the position of `reveal` in the periods."""

    name: str
    base: Scenario
    base_document: dict[str, Any]
    reveal: str
    reveal_at: int
    outcomes: tuple[Outcome, ...]
    alpha: float
    weight: float
    sample: Sample | None = None  # the outcomes' sample, when they are one

    @property
    def probabilities(self) -> list[float]:
        return [o.probability for o in self.outcomes]
