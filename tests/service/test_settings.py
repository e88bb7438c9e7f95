"""`Settings`: defaults, and bad configuration refused with the variable's name."""

from __future__ import annotations

import pytest

from service.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("MAGNETS_")]:
        monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./magnets.db"
    assert settings.auth is True
    assert settings.workers == 2
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.time_limit == settings.max_time_limit == 60


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNETS_WORKERS", "3")
    monkeypatch.setenv("MAGNETS_DEFAULT_TIME_LIMIT", "5")
    settings = load_settings()
    assert (settings.workers, settings.time_limit) == (3, 5)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAGNETS_WORKERS", "0"),
        ("MAGNETS_WORKERS", "many"),
        ("MAGNETS_MAX_TIME_LIMIT", "-1"),
        ("MAGNETS_MAX_TIME_LIMIT", "inf"),
        ("MAGNETS_MAX_BODY_BYTES", "10"),
        ("MAGNETS_DATABASE_URL", "mysql://somewhere/db"),
        ("MAGNETS_AUTH", "perhaps"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_default_time_limit_may_not_exceed_the_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNETS_MAX_TIME_LIMIT", "10")
    monkeypatch.setenv("MAGNETS_DEFAULT_TIME_LIMIT", "20")
    with pytest.raises(SettingsError, match="default_time_limit"):
        load_settings()


def test_solver_processes_have_a_memory_limit_by_default() -> None:
    import asyncio
    import resource

    from service.solve_pool import SolvePool

    settings = load_settings()
    assert settings.solver_memory_mb == 4096
    assert load_settings(worker_memory_mb=0).solver_memory_mb is None
    pool = SolvePool(1, settings.solver_memory_mb)
    try:
        soft, hard = asyncio.run(pool.call(resource.getrlimit, resource.RLIMIT_DATA))
    finally:
        pool.close()
    assert soft == hard == 4096 * 2**20
