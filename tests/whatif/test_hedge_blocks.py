"""Blocks of one structure (sampled outcomes) laid out once and repeated give, to the bit,
the arrays that matching every block by key gives; blocks of several structures are
matched by key."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.whatif import hedge_blocks
from optimizer.whatif.hedge_blocks import KeyCoder, _matched, _Numbers, _repeated, assemble
from optimizer.whatif.hedge_document import parse_hedge
from tests.whatif.test_hedge_exact import random_hedge
from tests.whatif.test_hedge_parallel import sampled_hedge

ARRAYS = ("cost", "lower", "upper", "integer")


@pytest.mark.parametrize(("seed", "milp", "weight"), [(51, False, 0.0), (52, True, 0.4)])
def test_repeated_blocks_are_the_matched_ones(seed: int, milp: bool, weight: float) -> None:
    h = parse_hedge(sampled_hedge(seed, milp, 9, weight))
    built = [build_model(o.scenario) for o in h.outcomes]
    numbers = [_Numbers.of(m) for m, _ in built]
    p = np.asarray(h.probabilities)
    coder = KeyCoder(h.base)
    fast = assemble(coder, built, p, weight, h.reveal_at)  # the first block as template
    slow = _matched(coder, built, numbers, p, weight, h.reveal_at)
    assert np.array_equal(
        np.concatenate(
            [r[2] for r in _repeated(coder, built, numbers, p, weight, h.reveal_at).row_parts]
        ),
        np.concatenate([r[2] for r in fast.row_parts]),
    )
    for name in ARRAYS:
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    for f, s in zip(fast.blocks, slow.blocks, strict=True):
        assert np.array_equal(f.cols, s.cols)
    assert fast.shared.keys() == slow.shared.keys()
    for family, (keys, cols) in fast.shared.items():
        assert np.array_equal(keys, slow.shared[family][0])
        assert np.array_equal(cols, slow.shared[family][1])
    for k in range(3):
        a = np.concatenate([r[k] for r in fast.row_parts])
        b = np.concatenate([r[k] for r in slow.row_parts])
        assert np.array_equal(a, b)
    assert np.array_equal(np.concatenate(fast.row_lower), np.concatenate(slow.row_lower))
    assert np.array_equal(fast.zero_cols, slow.zero_cols)


def test_sampled_outcomes_take_the_repeated_layout_and_written_ones_the_matched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[str] = []
    for name in ("_repeated", "_matched"):
        real = getattr(hedge_blocks, name)
        monkeypatch.setattr(
            hedge_blocks, name, lambda *a, _n=name, _f=real: taken.append(_n) or _f(*a)
        )
    sampled = parse_hedge(sampled_hedge(53, False, 6))
    written = parse_hedge(random_hedge(2, False, 5, 2, 0.0))  # whole documents among them
    for h in (sampled, written):
        built = [build_model(o.scenario) for o in h.outcomes]
        assemble(KeyCoder(h.base), built, np.asarray(h.probabilities), 0.0, h.reveal_at)
    assert taken == ["_repeated", "_matched"]
