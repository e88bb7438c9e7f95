"""Service tests run over real HTTP against `magnets serve` in a subprocess, with a real
database: a temporary SQLite file always, PostgreSQL too when MAGNETS_TEST_POSTGRES_URL
is set (`.ci/postgres.sh` starts one). Keys are minted with the real CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.database import Database

REPO = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("MAGNETS_TEST_POSTGRES_URL")
TENANTS = ("alpha", "beta")
START_TIMEOUT_S = 60


def magnets(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The `magnets` command line, from the source tree (so `service` is importable)."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def service_env(database_url: str, **settings: Any) -> dict[str, str]:
    """The test process's environment without MAGNETS_* variables, plus these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNETS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MAGNETS_DATABASE_URL"] = database_url
    env.update({f"MAGNETS_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def mint_key(tenant: str, env: dict[str, str]) -> str:
    done = magnets("keys", "create", "--tenant", tenant, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A running `magnets serve` and a key per tenant."""

    url: str
    env: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, tenant: str | None = "alpha") -> httpx.Client:
        headers = {"X-API-Key": self.keys[tenant]} if tenant else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def start_service(
    env: dict[str, str], log: Path, *extra: str, new_session: bool = False,
    ready: bool = True,
) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    """`magnets serve` on a free port, its output in `log`; its URL once /readyz answers
    200 (or, with `ready=False`, once /healthz answers at all: a test of readiness).

    With `new_session` it leads a process group of its own, so that `kill_group` reaches
    its solver processes too; a service that never becomes ready is stopped that way."""
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", *extra]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"magnets serve exited: {log.read_text()}")
        try:
            if not ready:
                httpx.get(f"{url}/healthz", timeout=2)
                return process, url
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    if new_session:
        kill_group(process)
    else:
        stop_service(process)
    raise RuntimeError(f"magnets serve did not become ready: {log.read_text()}")


def stop_service(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the service and every process it started (see `new_session`)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def postgres_schema_url(base_url: str) -> str:
    """A fresh, empty schema of the test database, as the URL's search path: each test
    service gets its own tables."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(base_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("MAGNETS_TEST_POSTGRES_URL not set (see .ci/postgres.sh)")
    return str(request.param)


def database_url(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'magnets.db'}"
    assert POSTGRES_URL
    return postgres_schema_url(POSTGRES_URL)


def running_service(
    backend: str, tmp_path_factory: pytest.TempPathFactory, **settings: Any
) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp(f"service-{backend}")
    env = service_env(database_url(backend, directory), **settings)
    keys = {tenant: mint_key(tenant, env) for tenant in TENANTS}
    process, url = start_service(env, directory / "server.log")
    try:
        yield Service(url, env, keys)
    finally:
        stop_service(process)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh database of the backend under test, tables created."""
    database = Database(database_url(backend, tmp_path))
    database.create_tables()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def service(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The main test service: two solver processes, a roomy cap on jobs."""
    yield from running_service(
        backend, tmp_path_factory, workers=2, max_time_limit=30, max_body_bytes=1024 * 1024,
        max_running_jobs_per_tenant=50, max_suppliers_x_periods=20_000, max_demand_rows=5_000,
    )  # fmt: skip


@pytest.fixture(scope="session")
def single_worker_service(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One solver process and at most two unfinished jobs per tenant: what cancellation
    and the job cap are tested against."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_time_limit=60, max_running_jobs_per_tenant=2
    )


@pytest.fixture
def alpha(service: Service) -> Iterator[httpx.Client]:
    with service.client("alpha") as client:
        yield client


@pytest.fixture
def beta(service: Service) -> Iterator[httpx.Client]:
    with service.client("beta") as client:
        yield client


def wait_for_job(
    client: httpx.Client, job_id: str, states: tuple[str, ...], timeout: float = 60
) -> dict[str, Any]:
    """Poll the job until its state is one of `states`; its last reading."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in states or time.monotonic() > deadline:
            return job
        time.sleep(0.1)
