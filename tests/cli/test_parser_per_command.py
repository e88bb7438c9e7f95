"""A run that names its command builds only that command's module of the parser
(cli.main.COMMAND_MODULES). What the user sees must not change: the same help and the
same usage errors as from the whole parser, and every command registered."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from cli.main import COMMAND_MODULES, _named_command, _parser
from tests.paths import ROOT


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_command_of_the_whole_parser_is_registered_with_its_module() -> None:
    assert set(_commands(_parser())) == set(COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_a_command_alone_has_the_help_it_has_in_the_whole_parser(command: str) -> None:
    alone = _commands(_parser(command))
    assert command in alone
    assert alone[command].format_help() == _commands(_parser())[command].format_help()
    # and only its own module's commands were built
    assert {COMMAND_MODULES[c] for c in alone} == {COMMAND_MODULES[command]}


@pytest.mark.parametrize(
    ("argv", "named"),
    [(["validate", "x.json"], "validate"), (["--help"], None), (["bogus"], None), ([], None),
     (["keys", "list"], "keys")],
)  # fmt: skip
def test_the_named_command_is_the_first_argument_when_it_is_a_command(
    argv: list[str], named: str | None
) -> None:
    assert _named_command(argv) == named


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *argv], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip


def test_a_usage_error_in_a_command_reads_as_before() -> None:
    done = _run("validate")
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "usage: magnets validate [-h] scenario"
    assert "the following arguments are required: scenario" in done.stderr


def test_an_unknown_command_lists_every_command() -> None:
    done = _run("bogus")
    assert done.returncode == 2
    for command in COMMAND_MODULES:
        assert repr(command) in done.stderr


def test_validate_imports_no_other_command_module() -> None:
    probe = (
        "import sys\nfrom cli.main import main\nmain(['validate', 'instances/india-2025-baseline.json'])\n"
        "print(__import__('json').dumps(sorted(m for m in sys.modules if m.startswith('cli'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    others = {m for m in COMMAND_MODULES.values() if m != "cli.main"}
    assert loaded.isdisjoint(others), loaded & others
