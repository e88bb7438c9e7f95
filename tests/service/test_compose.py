"""docker-compose.yml and the Dockerfile, checked without Docker: the services and their
wiring, every MAGNETS_* variable a setting the service accepts, and every command one
that the image's command lines parse."""

from __future__ import annotations

import os
import re
import tomllib
from importlib.metadata import entry_points
from typing import Any

import pytest
import yaml

from cli.main import NORMAL_EXIT, _parser
from cli.service import serve_command
from service.settings import Settings, SettingsError, load_settings
from tests.service.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text()
INTERPOLATION = re.compile(r"\$\{(\w+)(:?[?-][^}]*)?\}")
API_NODES = ("api", "api-2")


@pytest.fixture(autouse=True)
def no_magnets_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are read from the compose file here, not from the test's environment."""
    for name in [n for n in os.environ if n.startswith("MAGNETS_")]:
        monkeypatch.delenv(name)


def environment(service: str) -> dict[str, str]:
    """A service's variables, `${NAME...}` interpolations filled in with a sample value."""
    env = SERVICES[service].get("environment", {})
    return {k: INTERPOLATION.sub("sample", str(v)) for k, v in env.items()}


def test_the_five_services_and_the_database_volume() -> None:
    assert set(SERVICES) == {"api", "api-2", "scheduler", "worker", "db"}
    assert SERVICES["db"]["image"] == "postgres:16"
    [volume] = SERVICES["db"]["volumes"]
    name, path = volume.split(":")
    assert path == "/var/lib/postgresql/data" and name in COMPOSE["volumes"]
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    for service in SERVICES.values():
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")


def test_the_api_waits_for_healthy_database_and_scheduler() -> None:
    for api in API_NODES:
        assert SERVICES[api]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "scheduler": {"condition": "service_healthy"},
        }
    assert SERVICES["worker"]["depends_on"] == {"scheduler": {"condition": "service_healthy"}}


@pytest.mark.parametrize("api", API_NODES)
def test_every_magnets_variable_is_a_setting_and_the_set_is_valid(api: str) -> None:
    env = environment(api)
    names = [n.removeprefix("MAGNETS_").lower() for n in env if n.startswith("MAGNETS_")]
    assert set(names) <= set(Settings.model_fields), set(names) - set(Settings.model_fields)
    settings = load_settings(**{n: env[f"MAGNETS_{n.upper()}"] for n in names})
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert "@db:5432/" in settings.database_url
    assert settings.dask_scheduler == f"tcp://scheduler:{_option(SERVICES['scheduler'], '--port')}"


def test_two_api_nodes_share_the_database_under_their_own_names() -> None:
    """Both nodes dispatch on one database (item leases): the same settings, each node
    named by its container's hostname and pid, the host ports apart."""
    first, second = (SERVICES[api] for api in API_NODES)
    assert {k: v for k, v in first.items() if k != "ports"} == {
        k: v for k, v in second.items() if k != "ports"
    }
    assert "MAGNETS_NODE_ID" not in environment("api")  # default: hostname-pid, apart
    host_ports = [p.split(":")[0] for node in (first, second) for p in node["ports"]]
    assert len(set(host_ports)) == 2
    settings = load_settings(**{
        n.removeprefix("MAGNETS_").lower(): v for n, v in environment("api").items()
    })  # fmt: skip
    assert settings.lease_s == 30
    assert settings.node != load_settings(node_id="api-2").node


def test_a_bad_lease_or_node_setting_is_refused_by_name() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(lease_s="0.5", node_id="")
    assert "MAGNETS_LEASE_S: Input should be greater than or equal to 1 (got '0.5')" in str(
        refused.value
    )
    assert "MAGNETS_NODE_ID: String should have at least 1 character" in str(refused.value)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("dask_scheduler", "scheduler:8786", "MAGNETS_DASK_SCHEDULER: Value error, must be a "
         "Dask scheduler address such as tcp://scheduler:8786 (got 'scheduler:8786')"),
        ("worker_memory_mb", "32", "MAGNETS_WORKER_MEMORY_MB: Value error, must be at least 64 "
         "MiB, or 0 for no limit (got '32')"),
    ],
)  # fmt: skip
def test_a_bad_cluster_or_memory_setting_is_refused_by_name(
    setting: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**{setting: value})
    assert message in str(refused.value)


def test_an_empty_scheduler_address_means_no_cluster() -> None:
    assert load_settings(dask_scheduler="").dask_scheduler is None


def test_the_database_password_is_not_written_down() -> None:
    db_password = SERVICES["db"]["environment"]["POSTGRES_PASSWORD"]
    assert db_password.startswith("${MAGNETS_DB_PASSWORD:?")
    assert "${MAGNETS_DB_PASSWORD:?" in SERVICES["api"]["environment"]["MAGNETS_DATABASE_URL"]


def test_the_api_command_is_magnets_serve() -> None:
    assert "entrypoint" not in SERVICES["api"]  # the image's: magnets
    assert 'ENTRYPOINT ["magnets"]' in DOCKERFILE
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["magnets"] == "cli.main:run"  # main, then the exit; serve's the usual one
    assert SERVICES["api"]["command"][0] in NORMAL_EXIT
    args = _parser().parse_args(SERVICES["api"]["command"])
    assert args.handler is serve_command
    assert (args.host, args.port, args.no_auth) == ("0.0.0.0", 8000, False)
    assert SERVICES["api"]["ports"] == [f"{args.port}:{args.port}"]
    assert SERVICES["api-2"]["ports"] == [f"{args.port + 1}:{args.port}"]


@pytest.mark.parametrize("role", ["scheduler", "worker"])
def test_the_dask_commands_parse(role: str) -> None:
    """`dask scheduler` and `dask worker` are the dask command's subcommands, and their
    options parse (click, without starting anything)."""
    pytest.importorskip("distributed")
    service = SERVICES[role]
    assert service["entrypoint"] == ["dask"]
    assert entry_points(group="console_scripts", name="dask")
    subcommand, *options = service["command"]
    assert subcommand == role
    [command] = entry_points(group="dask_cli", name=role)
    context = command.load().make_context(f"dask {role}", list(options))
    if role == "worker":
        assert context.params["scheduler"] == "tcp://scheduler:8786"
        assert (context.params["n_workers"], context.params["nthreads"]) == ("1", 1)
    assert context.params["dashboard"] is False


def test_the_image_holds_the_service_and_dask() -> None:
    assert "COPY service ./service" in DOCKERFILE
    assert re.search(r'pip install [^\n]*"dask\[distributed\]==[\d.]+"', DOCKERFILE)


def _option(service: dict[str, Any], name: str) -> str:
    command: list[str] = service["command"]
    return command[command.index(name) + 1]
