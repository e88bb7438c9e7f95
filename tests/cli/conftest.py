"""The service's database fixtures, for the `magnets keys` and `magnets serve` commands."""

from tests.service.conftest import backend, db  # noqa: F401  (fixtures, found by pytest by name)
