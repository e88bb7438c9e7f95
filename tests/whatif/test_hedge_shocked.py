"""An outcome made by shocks, read with base's unchanged parts given as they are, is the
scenario `parse_scenario` makes of its document, and a refused one names the same
problems."""

from __future__ import annotations

import copy

import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.hedge_document import parse_hedge
from optimizer.whatif.hedge_shocked import shocked_scenario
from tests.whatif.test_hedge_exact import random_hedge
from tests.whatif.test_hedge_parallel import sampled_hedge


@pytest.mark.parametrize(("seed", "milp"), [(61, False), (62, True), (63, True)])
def test_a_shocked_outcome_is_the_parsed_scenario(seed: int, milp: bool) -> None:
    for doc in (sampled_hedge(seed, milp, 8), random_hedge(seed, milp, 8, 1, 0.0, rules=True)):
        h = parse_hedge(doc)
        for o in h.outcomes:
            assert o.scenario == parse_scenario(o.document)
            assert shocked_scenario(o.document, h.base, h.base_document) == o.scenario


def test_a_refused_outcome_names_the_problems_parse_scenario_names() -> None:
    h = parse_hedge(sampled_hedge(64, False, 2))
    bad = copy.deepcopy(h.outcomes[0].document)
    bad["suppliers"][0]["capacity"] = -1.0  # the schema refuses it
    bad["demand"][0]["product"] = "nothing"  # and the domain rules this
    with pytest.raises(ScenarioError) as want:
        parse_scenario(bad)
    with pytest.raises(ScenarioError) as got:
        shocked_scenario(bad, h.base, h.base_document)
    assert got.value.problems == want.value.problems
    only_rules = copy.deepcopy(h.outcomes[0].document)
    only_rules["demand"][0]["product"] = "nothing"
    with pytest.raises(ScenarioError) as want:
        parse_scenario(only_rules)
    with pytest.raises(ScenarioError) as got:
        shocked_scenario(only_rules, h.base, h.base_document)
    assert got.value.problems == want.value.problems
