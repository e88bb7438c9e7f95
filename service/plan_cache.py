"""Plans of recent synchronous solves, answered again for an identical request.

A plan is a function of its scenario and solver options: HiGHS is deterministic, so the
same request solved twice gives the same plan (only `timings` differ). Dashboards and
planning scripts send the same base scenario over and over; answering those from memory
costs microseconds instead of a solve.

- The key is the tenant, the options, `explain` and the SHA-256 of the request body as
  sent, so one tenant never learns, even by timing, what another has asked.
- Only plans that any re-solve would repeat are kept: `optimal`, `infeasible`,
  `unbounded`. A `time_limit` plan depends on the machine's speed and an `error` plan
  may be transient: those are solved every time.
- Entries are the encoded JSON answer, evicted least recently used beyond
  `MAGNETS_PLAN_CACHE_MB` (0 turns the cache off). Each service process has its own.
- A client that wants a fresh solve sends `Cache-Control: no-cache`; the new plan
  replaces the kept one.
- Identical requests that arrive while the first is being solved wait for it and share
  its answer (whatever its status) instead of each taking a solver process: a dashboard
  opened by many people at once costs one solve.

Every answer says `X-Plan-Cache: hit`, `shared`, `miss`, `bypass` (solved on
`no-cache`) or `off` (no cache on this server).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict

from .solving import SolveOptions

REPEATABLE = frozenset({"optimal", "infeasible", "unbounded"})
HEADER = "X-Plan-Cache"
HIT, SHARED, MISS, BYPASS, OFF = "hit", "shared", "miss", "bypass", "off"


def request_key(
    tenant: int, body: bytes, options: SolveOptions, explain: bool, fingerprint: str = ""
) -> str:
    """What makes two synchronous solves the same request. `fingerprint` names anything
    else the answer depends on (the server's defaults, say)."""
    digest = hashlib.sha256()
    head = f"{tenant}\0{options.time_limit!r}\0{options.mip_gap!r}\0{explain}\0{fingerprint}\0"
    digest.update(head.encode())
    digest.update(body)
    return digest.hexdigest()


def wants_fresh(cache_control: str | None) -> bool:
    """`Cache-Control: no-cache` (or `no-store`, `max-age=0`): solve, do not answer a kept plan."""
    if not cache_control:
        return False
    directives = {part.strip().lower() for part in cache_control.split(",")}
    return bool(directives & {"no-cache", "no-store", "max-age=0"})


class PlanCache:
    """Encoded plans by request key, at most `max_bytes` of them (LRU). Used from the
    event loop only, so it needs no lock."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0
        # requests being solved now, by key: identical ones arriving meanwhile await these
        self.in_flight: dict[str, asyncio.Future[bytes]] = {}

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> bytes | None:
        answer = self._entries.get(key)
        if answer is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return answer

    def put(self, key: str, status: object, answer: bytes) -> bool:
        """Keep `answer` if its plan `status` is repeatable and it fits; True if kept."""
        self.discard(key)
        if status not in REPEATABLE or len(answer) > self.max_bytes:
            return False
        self._entries[key] = answer
        self._bytes += len(answer)
        while self._bytes > self.max_bytes:
            _, oldest = self._entries.popitem(last=False)
            self._bytes -= len(oldest)
        return True

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
