"""A hedge job's outcomes solved alone, shared with the pool's idle solver processes
(service/run_sharing.py): the board's rules on stand-in processes, then real ones."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimizer.whatif.hedge_document import draw_outcomes, parse_hedge
from optimizer.whatif.hedge_values import hedged_plan
from service import dispatcher, store
from service.database import Database
from service.run_sharing import (
    Given,
    Help,
    Helped,
    Helping,
    RunSharing,
    Solved,
    Take,
    Wanted,
    lent_out,
)
from service.settings import load_settings
from service.solving import SolveOptions, hedge_change, run_hedge
from service.workers import LocalPool, Outcome
from tests.service.conftest import Service, running_service, wait_for_job
from tests.service.scenarios import c0
from tests.whatif.test_hedge_parallel import sampled_hedge
from tests.whatif.test_hedge_values import hedge

VALUES = ("objective", "expected_cost", "cvar", "wait_and_see", "evpi", "value_of_hedging",
          "premium")  # fmt: skip


class Stand:
    """A solver process as the board sees it: what it was sent, whether it was stopped."""

    def __init__(self, reachable: bool = True) -> None:
        self.helping: Any = None
        self.sent: list[Any] = []
        self.stopped = False
        self.reachable = reachable

    def send(self, message: Any) -> bool:
        if not self.reachable:
            return False
        self.sent.append(message)
        return True

    def stop(self) -> None:
        self.stopped = True


def wanted(runs: int, token: str = "map-1") -> Wanted:
    return Wanted(token, b"work", [f"run {k}".encode() for k in range(runs)])


def test_the_requester_takes_the_first_run_and_idle_processes_the_next() -> None:
    sharing, requester, a, b = RunSharing(), Stand(), Stand(), Stand()
    sharing.heard(requester, wanted(4))
    sharing.lend([a, b])

    assert requester.sent == [Take("map-1", 0)]
    assert a.sent == [Help("map-1", b"work", 1, b"run 1")]
    assert b.sent == [Help("map-1", b"work", 2, b"run 2")]
    assert sharing.lent == 2

    # a's answer goes to the requester as it is; a is free again and takes run 3
    sharing.heard(a, Helped("map-1", 1, b"answer 1"))
    assert a.helping is None
    assert requester.sent[-1] == Given("map-1", 1, b"answer 1")
    sharing.lend([a])
    assert a.sent[-1] == Help("map-1", b"work", 3, b"run 3")

    # nothing left for the requester once it has solved run 0: it waits for the helpers
    sharing.heard(requester, Solved("map-1", 0))
    assert requester.sent[-1] == Given("map-1", 1, b"answer 1")
    sharing.heard(b, Helped("map-1", 2, b"answer 2"))
    sharing.heard(a, Helped("map-1", 3, b"answer 3"))
    assert [m.run for m in requester.sent if isinstance(m, Given)] == [1, 2, 3]

    # every run solved: the board is gone, nothing more is lent
    c = Stand()
    sharing.lend([c])
    assert c.sent == [] and c.helping is None


def test_with_no_idle_process_the_requester_solves_every_run_in_turn() -> None:
    sharing, requester = RunSharing(), Stand()
    sharing.heard(requester, wanted(3))
    for k in range(3):
        assert requester.sent[-1] == Take("map-1", k)
        sharing.heard(requester, Solved("map-1", k))
    assert len(requester.sent) == 3 and sharing.lent == 0


def test_a_helpers_run_goes_back_to_the_board_when_it_dies() -> None:
    sharing, requester, helper = RunSharing(), Stand(), Stand()
    sharing.heard(requester, wanted(2))
    sharing.lend([helper])
    assert helper.helping is not None
    sharing.heard(requester, Solved("map-1", 0))  # the requester now waits on run 1

    sharing.lost_helper(helper)
    assert helper.helping is None
    assert requester.sent[-1] == Take("map-1", 1)  # so it takes the dead helper's run


def test_a_process_that_cannot_be_reached_does_not_hold_a_run() -> None:
    sharing, requester = RunSharing(), Stand()
    sharing.heard(requester, wanted(3))
    sharing.lend([Stand(reachable=False)])
    sharing.heard(requester, Solved("map-1", 0))
    assert requester.sent[-1] == Take("map-1", 1)


def test_a_requester_that_ends_stops_the_helpers_of_its_runs() -> None:
    sharing, requester, helper = RunSharing(), Stand(), Stand()
    sharing.heard(requester, wanted(3))
    sharing.lend([helper])
    sharing.closed(requester)
    assert helper.stopped and helper.helping is None
    # an answer arriving after the requester ended is dropped
    sharing.heard(helper, Helped("map-1", 1, b"late"))
    assert not any(isinstance(m, Given) for m in requester.sent)


def test_a_new_map_from_the_same_requester_ends_the_old_one() -> None:
    sharing, requester, helper = RunSharing(), Stand(), Stand()
    sharing.heard(requester, wanted(3, "old"))
    sharing.lend([helper])
    sharing.heard(requester, wanted(2, "new"))
    assert helper.stopped
    assert requester.sent[-1] == Take("new", 0)
    sharing.heard(requester, Solved("old", 0))  # stale: changes nothing
    assert requester.sent[-1] == Take("new", 0)


def test_messages_left_from_a_map_are_passed_over_between_items() -> None:
    assert lent_out(Take("t", 0)) and lent_out(Given("t", 0, b""))
    assert not lent_out((1, "{}", {}, None))
    assert not lent_out(Help("t", b"", 0, b""))


def _double(shared: int) -> int:
    return shared * 2


def _add(state: int, run: list[int]) -> list[int]:
    return [state + x for x in run]


def _refuse(state: int, run: list[int]) -> list[int]:
    raise ValueError(f"cannot solve {run}")


def test_a_helper_prepares_once_per_map_and_sends_back_what_its_task_raised() -> None:
    helping = Helping()
    work = pickle.dumps((_double, _add, 10))
    answer = helping.solve(Help("m", work, 3, pickle.dumps([1, 2])))
    assert (answer.token, answer.run) == ("m", 3)
    assert pickle.loads(answer.answer) == (True, [21, 22])
    # the same map's next run: its work is not read again (unreadable bytes would fail)
    again = helping.solve(Help("m", b"not read", 5, pickle.dumps([3])))
    assert pickle.loads(again.answer) == (True, [23])

    failed = helping.solve(Help("n", pickle.dumps((_double, _refuse, 10)), 4, pickle.dumps([5])))
    done, raised = pickle.loads(failed.answer)
    assert not done and isinstance(raised, ValueError) and "[5]" in str(raised)


# -- real solver processes ---------------------------------------------------------------------
def _finish(pool: LocalPool) -> Outcome:
    for _ in range(1200):
        done = pool.finished()
        pool.lend_idle()  # as the dispatcher does once the queue has had its turn
        if done:
            return done[0][1]
        pool.wait(0.1)
    raise AssertionError("the hedge did not finish")


def sampled(n: int) -> dict[str, Any]:
    """A random hedge whose n outcomes are drawn (capacity of one origin and the price
    level), as tests/whatif/test_hedge_parallel.py makes them."""
    return sampled_hedge(5, False, n)


def test_a_hedge_job_on_three_processes_lends_runs_and_reports_the_same_values() -> None:
    document = sampled(12)
    alone = run_hedge(document, SolveOptions())
    pool = LocalPool(3)
    try:
        pool.start()
        pool.submit(1, json.dumps(document), {}, hedge_change())
        outcome = _finish(pool)
        lent = pool.runs_lent()
        assert pool.capacity() == 3  # the requester and its helpers all free again
    finally:
        pool.stop()
    assert outcome.plan is not None and outcome.plan["status"] == "optimal"
    assert lent > 0
    for key in VALUES:
        assert outcome.plan[key] == pytest.approx(alone[key], rel=1e-9, abs=1e-6), key
    # each process that took runs started its first one cold, the rest hot
    assert outcome.plan["starts"].get("cold", 0) > alone["starts"].get("cold", 0)
    assert sum(outcome.plan["starts"].values()) == sum(alone["starts"].values())


def test_an_evaluated_hedge_job_matches_the_evaluation_solved_in_one_process() -> None:
    document = sampled(8)
    parsed = parse_hedge(document)
    fresh = draw_outcomes(parsed, 10, 11)
    expected = hedged_plan(parsed, SolveOptions(), fresh=fresh, fresh_seed=11)["evaluation"]
    pool = LocalPool(2)
    try:
        pool.submit(1, json.dumps(document), {}, hedge_change(evaluate=10, evaluate_seed=11))
        outcome = _finish(pool)
    finally:
        pool.stop()
    assert outcome.plan is not None
    found = outcome.plan["evaluation"]
    assert found["outcomes"] == 10 and found["seed"] == 11
    for key in ("objective", "expected_cost", "cvar", "in_sample_objective"):
        assert found[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-6), key
    assert pool.runs_lent() > 0


def test_cancelling_a_shared_hedge_frees_every_process_and_the_next_solves_afresh() -> None:
    document = sampled(40)
    pool = LocalPool(2)
    try:
        pool.submit(1, json.dumps(document), {}, hedge_change())
        for _ in range(600):  # until a helper holds one of its runs
            pool.finished()
            pool.lend_idle()
            if pool.runs_lent():
                break
            pool.wait(0.05)
        # the requester waits on its helper's answer: both processes are busy
        assert pool.running() == [1] and pool.capacity() == 0
        pool.cancel(1)
        assert pool.running() == [] and pool.capacity() == 2
        small = hedge(0.5)
        pool.submit(2, json.dumps(small), {}, hedge_change())
        outcome = _finish(pool)
    finally:
        pool.stop()
    assert outcome.plan is not None
    assert outcome.plan["objective"] == pytest.approx(1050.0)


# -- through the service's dispatcher ----------------------------------------------------------
@pytest.fixture(scope="module")
def two_processes(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service of two solver processes with nothing else to do."""
    yield from running_service(backend, tmp_path_factory, workers=2, max_time_limit=30)


def test_a_hedge_job_in_the_service_is_solved_by_both_its_processes(
    two_processes: Service,
) -> None:
    document = sampled(12)
    alone = run_hedge(document, SolveOptions())
    with two_processes.client() as client:
        answer = client.post("/v1/jobs", json={"hedge": document})
        assert answer.status_code == 202, answer.text
        job = wait_for_job(client, answer.json()["id"], ("completed", "failed"), timeout=120)
        assert job["state"] == "completed", job
        (item,) = client.get(f"/v1/jobs/{job['id']}/plans").json()["items"]
    plan = item["plan"]
    for key in VALUES:
        assert plan[key] == pytest.approx(alone[key], rel=1e-9, abs=1e-6), key
    # the process holding the job started its first run cold, and so did the idle one
    # that took some of its runs: two cold starts where one process alone makes one
    assert alone["starts"]["cold"] == 1 and plan["starts"]["cold"] == 2


def test_a_pool_never_lends_before_the_queue_has_had_its_turn() -> None:
    """Relaying (`finished`) lends nothing: only `lend_idle` does, which the dispatcher
    calls after claiming queued items. Unhelped, the job's process solves every run
    itself, the values unchanged."""
    document = sampled(8)
    alone = run_hedge(document, SolveOptions())
    pool = LocalPool(2)
    try:
        pool.start()
        pool.submit(1, json.dumps(document), {}, hedge_change())
        for _ in range(1200):
            done = pool.finished()
            if done:
                break
            pool.wait(0.1)
        assert pool.runs_lent() == 0
    finally:
        pool.stop()
    plan = done[0][1].plan
    assert plan is not None and plan["starts"] == alone["starts"]
    for key in VALUES:
        assert plan[key] == pytest.approx(alone[key], rel=1e-9, abs=1e-6), key


class Recording:
    """An executor with `free` idle workers that writes down what the dispatcher asks."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.calls: list[str] = []

    def start(self) -> None: ...
    def ready(self) -> bool:
        return True

    def capacity(self) -> int:
        return self.free

    def run_size(self) -> int:
        return 1

    def submit_run(self, items: list[Any]) -> None:
        self.calls += [f"submit {item.scenario}" for item in items]
        self.free -= len(items)

    def lend_idle(self) -> None:
        self.calls.append(f"lend {self.free}")

    def running(self) -> list[int]:
        return []

    def finished(self) -> list[Any]:
        return []

    def cancel(self, item_id: int) -> None: ...
    def wait(self, timeout: float) -> None: ...
    def stop(self) -> list[int]:
        return []


def test_the_dispatcher_lends_only_what_the_queue_leaves_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three idle workers and one queued item: the item is claimed first, then the two
    workers left are lent to the hedges in hand; with the queue empty, all are lent."""
    db = Database(f"sqlite:///{tmp_path / 'lend.db'}")
    db.create_tables()
    tenant = store.ensure_tenant(db, "t")
    store.submit_job(db, tenant, store.JobSubmission([("queued", c0())], {}, None, "x"), 50)
    executor = Recording(free=3)
    monkeypatch.setattr(dispatcher, "new_executor", lambda *args, **kwargs: executor)
    feeding = dispatcher.Dispatcher(db, 3, load_settings())
    feeding.step()
    assert executor.calls == ["submit queued", "lend 2"]
    feeding.step()
    assert executor.calls[-1] == "lend 2"  # nothing more queued: what is idle is lent
