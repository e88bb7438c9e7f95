"""Each tenant's share of the solver processes for answers given at once (`POST
/v1/solve`, `POST /v1/why`), and what a refusal answers.

The solver processes and their waiting line are shared by every tenant: one tenant
flooding `/v1/solve` would fill the line and leave every other tenant with 503s. So a
tenant may hold at most `max_solves_per_tenant` of the line (by default half of it):
one more answers 429 with `Retry-After`, and the other half stays open to the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.exceptions import HTTPException

from .solve_pool import PoolBusy, PoolFull

T = TypeVar("T")
RETRY_AFTER = {"Retry-After": "1"}


class SolveShares:
    def __init__(self, per_tenant: int):
        self.per_tenant = per_tenant
        self._held: Counter[int] = Counter()

    def held(self, tenant: int) -> int:
        return self._held[tenant]

    async def run(self, tenant: int, solve: Callable[[], Awaitable[T]]) -> T:
        """`solve()` within the tenant's share; 429 over it, 503 when the whole line is
        full or a solver process was lost."""
        if self._held[tenant] >= self.per_tenant:
            detail = f"this tenant already has {self.per_tenant} solves waiting; retry shortly"
            raise HTTPException(429, detail, RETRY_AFTER)
        self._held[tenant] += 1
        try:
            return await solve()
        except PoolBusy:
            raise HTTPException(503, "the solver process was lost; retry", RETRY_AFTER) from None
        except PoolFull:
            detail = "too many solves waiting on this server; retry shortly"
            raise HTTPException(503, detail, RETRY_AFTER) from None
        finally:
            self._held[tenant] -= 1
            if not self._held[tenant]:
                del self._held[tenant]
