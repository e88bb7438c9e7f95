"""Where the tests find the repository's files and the shared folder beside the checkout.

The shared conformance scenarios are read from `../shared` of the repository root, one
way for every test. CI clones `main` beside `shared/`, so a missing folder is a broken
setup: tests that need it fail (through `conformance()`), never skip.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"


def conformance() -> Path:
    """The shared conformance folder; an AssertionError, not a skip, when it is missing."""
    assert (CONFORMANCE / "scenarios").is_dir(), f"no shared conformance scenarios at {CONFORMANCE}"
    return CONFORMANCE
