"""What a fresh interpreter loads to start `magnets`: none of the heavy libraries.

Pyomo, matplotlib, pandas, openpyxl and the service (FastAPI, SQLAlchemy, uvicorn, …)
are imported where they are used, so that `magnets --help`, `magnets validate` and a
plain solve start at once (docs/benchmarks.md, "Start-up"). Each check runs in a new
process: this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.paths import INSTANCES, ROOT

HEAVY = ("pyomo", "matplotlib", "pandas", "openpyxl", "fastapi", "sqlalchemy", "uvicorn",
         "starlette", "service")  # fmt: skip
BASELINE = INSTANCES / "india-2025-baseline.json"


def loaded_after(code: str) -> set[str]:
    """The top-level packages in sys.modules once `code` has run in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def heavy(modules: set[str]) -> list[str]:
    return sorted(modules.intersection(HEAVY))


def test_the_solver_entry_point_loads_no_heavy_library() -> None:
    assert heavy(loaded_after("import optimizer.solve")) == []


def test_building_the_command_line_loads_no_solver_schema_or_heavy_library() -> None:
    loaded = loaded_after("from cli.main import _parser\n_parser()")
    assert heavy(loaded) == []
    # nor what a command loads once it runs: the schema (pydantic), numpy, HiGHS, YAML
    assert sorted(loaded & {"pydantic", "numpy", "highspy", "yaml"}) == []


def test_help_loads_no_heavy_library() -> None:
    code = "from cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert heavy(loaded_after(code)) == []


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_validating_or_solving_a_json_scenario_loads_no_heavy_library(command: str) -> None:
    code = f"from cli.main import main\nassert main([{command!r}, {str(BASELINE)!r}]) == 0"
    loaded = loaded_after(code)
    assert heavy(loaded) == []
    if command == "validate":
        assert sorted(loaded & {"numpy", "highspy", "yaml"}) == []


def test_constants_written_out_for_the_parser_match_their_sources() -> None:
    from cli.insight import FRONTIER_STEPS
    from cli.service import PREFIX_LEN
    from optimizer.whatif.frontier import DEFAULT_STEPS
    from service.keys import PREFIX_LEN as KEY_PREFIX_LEN

    assert FRONTIER_STEPS == DEFAULT_STEPS
    assert PREFIX_LEN == KEY_PREFIX_LEN
