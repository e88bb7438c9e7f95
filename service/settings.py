"""The service's configuration: one `Settings` object, read once from `MAGNETS_*` variables.

A bad value stops the service at start-up with a message naming the variable, rather
than surfacing as an odd failure on the first request.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MAGNETS_"
MiB = 1024 * 1024
DASK_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "ucx://", "inproc://")


class SettingsError(ValueError):
    """The configuration cannot be used; the message lists every bad variable."""


MIN_WORKER_MEMORY_MB = 64  # below this a solver process cannot even import its libraries


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str = Field(
        "sqlite:///./magnets.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB.",
    )
    auth: bool = Field(True, description="Require an X-API-Key; false only on a loopback host.")
    workers: int = Field(2, ge=1, le=256, description="Solver processes for jobs (and for /solve).")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Level of the JSON log lines on stderr."
    )
    max_time_limit: float = Field(
        60.0, gt=0, allow_inf_nan=False, description="Seconds; a larger time_limit is refused."
    )
    default_time_limit: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Seconds when none is asked; default: max."
    )
    max_body_bytes: int = Field(10 * MiB, ge=1024, description="Largest request body, bytes.")
    body_read_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="Seconds from a request's start within which its whole body must arrive; "
        "later answers 408 and the connection is closed.",
    )
    max_suppliers_x_periods: int = Field(
        100_000, ge=1, description="Largest scenario: suppliers times periods."
    )
    max_plants_x_periods: int = Field(
        100_000, ge=1, description="Largest scenario: plants times periods."
    )
    max_demand_rows: int = Field(100_000, ge=1, description="Largest scenario: demand rows.")
    max_model_cells: int = Field(
        2_000_000,
        ge=1,
        description="Largest scenario: cells of any one array building its model makes "
        "(demand rows times countries, products times countries times periods, licences "
        "times the deliveries each covers, ...), counted before building.",
    )
    max_waiting_solves: int = Field(
        32,
        ge=0,
        description="POST /v1/solve (and /v1/why) requests that may wait for a "
        "solver process; more answer 503 with Retry-After.",
    )
    max_solves_per_tenant: int | None = Field(
        None,
        ge=1,
        description="POST /v1/solve and /v1/why requests one tenant may have solving or "
        "waiting at once; one more answers 429 with Retry-After. Default: half of "
        "workers + max_waiting_solves (at least 1), so no tenant can fill the line alone.",
    )
    plan_cache_mb: int = Field(
        64,
        ge=0,
        description="Memory for plans answered again to identical POST /v1/solve "
        "requests, MiB; 0 turns the cache off.",
    )
    max_job_scenarios: int = Field(1000, ge=1, description="Most scenarios in one job.")
    max_running_jobs_per_tenant: int = Field(
        4, ge=1, description="Queued or running jobs a tenant may have; more answers 429."
    )
    retry_after_s: int = Field(10, ge=1, description="Retry-After sent with a 429.")
    dask_scheduler: str | None = Field(
        None,
        description="Dask scheduler address (tcp://HOST:8786): solve jobs on that cluster "
        "instead of the service's own solver processes.",
    )
    dask_chunk: int = Field(
        8,
        ge=1,
        le=256,
        description="Consecutive members of a sweep or frontier job handed to one Dask "
        "task, solved in order, each from the previous one's basis; 1 solves each member "
        "cold in a task of its own. A short queue is spread in smaller runs.",
    )
    worker_memory_mb: int = Field(
        4096,
        ge=0,
        description="Memory each solver process may allocate, MiB (RLIMIT_DATA); a solve "
        "that runs out ends its process. 0: no limit. The default is eight times what a "
        "solve of a million non-zeros needs (about 500 MiB).",
    )

    lease_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        allow_inf_nan=False,
        description="Seconds a node's claim on a job item lasts; renewed every third of it "
        "while solving. A node that dies loses its items to another after this long.",
    )
    node_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="This service's name in job items' leases; default: hostname-pid.",
    )

    @field_validator("worker_memory_mb")
    @classmethod
    def _enough_memory(cls, mb: int) -> int:
        if 0 < mb < MIN_WORKER_MEMORY_MB:
            raise ValueError(f"must be at least {MIN_WORKER_MEMORY_MB} MiB, or 0 for no limit")
        return mb

    @property
    def solver_memory_mb(self) -> int | None:
        """The memory limit of a solver process, None for none."""
        return self.worker_memory_mb or None

    @property
    def node(self) -> str:
        """The node id written in the leases of the items this service solves."""
        return self.node_id or f"{socket.gethostname()[:200]}-{os.getpid()}"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql (e.g. postgresql+psycopg://)")
        return url

    @field_validator("dask_scheduler")
    @classmethod
    def _dask_address(cls, address: str | None) -> str | None:
        if not address:  # unset, or set empty (as a compose file may do)
            return None
        if not address.startswith(DASK_SCHEMES) or address.endswith("://"):
            raise ValueError("must be a Dask scheduler address such as tcp://scheduler:8786")
        if importlib.util.find_spec("distributed") is None:
            raise ValueError("needs the dask[distributed] package, which is not installed")
        return address

    @model_validator(mode="after")
    def _default_within_max(self) -> Self:
        if self.default_time_limit is not None and self.default_time_limit > self.max_time_limit:
            raise ValueError(
                f"default_time_limit ({self.default_time_limit}) exceeds max_time_limit "
                f"({self.max_time_limit})"
            )
        return self

    @property
    def solve_share(self) -> int:
        """Solves one tenant may have in the line at once (see max_solves_per_tenant)."""
        if self.max_solves_per_tenant is not None:
            return self.max_solves_per_tenant
        return max(1, (self.workers + self.max_waiting_solves) // 2)

    @property
    def time_limit(self) -> float:
        """The time limit of a solve that asks for none."""
        return self.default_time_limit or self.max_time_limit


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (plus overrides); raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(error) for error in exc.errors()]
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def _describe(error: Any) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    name = ENV_PREFIX + field.upper() if field else "settings"
    shown = f" (got {error['input']!r})" if field and "input" in error else ""
    return f"{name}: {error['msg']}{shown}"
