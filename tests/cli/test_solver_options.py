"""The solver options, declared once (cli/solver_options.py) for every command that
solves: `solve`, `why` and `frontier` take the same options and reject a bad one alike."""

from __future__ import annotations

import argparse
import json

import pytest

from cli.main import main
from cli.solver_options import add_solver_options, solve_options
from optimizer.options import SolveOptions
from tests.cli.test_main import run_magnets
from tests.paths import INSTANCES

BASELINE = INSTANCES / "india-2025-baseline.json"
SOLVING = {
    "solve": [str(BASELINE)],
    "why": [str(BASELINE), "--origin", "CN"],
    "frontier": [str(BASELINE), "--steps", "2"],
}
OPTIONS = ["--time-limit", "--mip-gap", "--threads", "--verbose", "1e-6"]


def parsed(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_solver_options(parser)
    return parser.parse_args(argv)


def test_the_parsed_options_become_solve_options() -> None:
    given = parsed("--time-limit", "2.5", "--mip-gap", "0.01", "--threads", "3", "--verbose")
    assert solve_options(given) == SolveOptions(
        time_limit=2.5, mip_gap=0.01, threads=3, verbose=True
    )
    assert solve_options(parsed()) == SolveOptions()


@pytest.mark.parametrize("command", sorted(SOLVING))
def test_every_solving_command_documents_the_same_options(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in OPTIONS:
        assert option in text, option


@pytest.mark.parametrize("command", sorted(SOLVING))
@pytest.mark.parametrize(("option", "value"), [("--mip-gap", "2"), ("--threads", "0")])
def test_every_solving_command_rejects_a_bad_option_alike(
    command: str, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, *SOLVING[command], option, value]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"magnets {command}: bad option {option}: "), err


@pytest.mark.parametrize("command", ["why", "frontier"])
def test_verbose_log_goes_to_stderr_and_the_result_to_stdout(command: str) -> None:
    done = run_magnets(command, *SOLVING[command], "--verbose", "--threads", "1")
    assert done.returncode == 0, done.stderr
    assert "HiGHS" in done.stderr
    assert isinstance(json.loads(done.stdout), dict)
