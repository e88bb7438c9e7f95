"""How a `magnets` command that stops tells why: a message on stderr and an exit status.

0 done; 2 a rejected scenario, what-if request or option, with every problem on a line of
its own; 1 anything else that stops a command (a file that cannot be read or written).
One place, so that every command words its rejections and picks its status the same way.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.errors import Problem

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


class OptionError(ValueError):
    """A command-line option out of range (the scenario itself may be fine)."""


def exit_status(exc: Exception, command: str, failure_prefix: str | None = None) -> int:
    """Print why `command` stopped on stderr and return its exit status.

    `failure_prefix` starts the message of a failure (an OSError); by default it names
    the command (`magnets sweep: …`). An exception that is none of these is raised again.
    """
    from optimizer.errors import ScenarioError

    if isinstance(exc, ScenarioError):
        _each_problem(exc.problems, "invalid scenario")
        return EXIT_INVALID
    if isinstance(exc, OptionError):
        print(f"magnets {command}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if isinstance(exc, OSError):
        print(f"{failure_prefix or f'magnets {command}'}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    from optimizer.whatif.shocks import SpecError  # its pydantic models: not for `validate`

    if isinstance(exc, SpecError):
        _each_problem(exc.problems, f"invalid {command} request")
        return EXIT_INVALID
    raise exc


def _each_problem(problems: list[Problem], label: str) -> None:
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)
