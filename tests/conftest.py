"""Counts of the tests that need a real PostgreSQL or a real browser, printed at the end of
every run, so that a silent skip shows. With `MAGNETS_REQUIRE_REAL_PARTS=1` (set by
.ci/run once it has installed both) one skipped for want of them, or none run at all,
fails the run. Skips by design (a browser test run once, on SQLite) do not count: only a
skip whose reason says something is missing does."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

KINDS = {
    "PostgreSQL": re.compile(r"[\[-]postgresql[\]-]"),
    "browser": re.compile(r"browser"),
}
# The reasons the project's own skips give when a part is not there.
MISSING = re.compile(r"not set|no Chromium|not installed")
_outcomes: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = report.outcome
        if outcome == "skipped" and MISSING.search(str(report.longrepr)):
            outcome = "skipped, missing"
        for kind, pattern in KINDS.items():
            if pattern.search(report.nodeid):
                _outcomes[kind][outcome] += 1


def _required_but_missing() -> list[str]:
    if os.environ.get("MAGNETS_REQUIRE_REAL_PARTS") != "1":
        return []
    return [kind for kind, c in _outcomes.items() if c["skipped, missing"] or not c["passed"]]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _required_but_missing() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for kind, counts in _outcomes.items():
        shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"
        terminalreporter.write_line(f"{kind} tests: {shown}")
    for kind in _required_but_missing():
        terminalreporter.write_line(
            f"MAGNETS_REQUIRE_REAL_PARTS=1, but {kind} tests were skipped for want of it, or none ran",
            red=True,
        )
