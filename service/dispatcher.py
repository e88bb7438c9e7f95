"""The dispatcher: a thread in the service that feeds queued job items to worker processes.

The database holds every job's state, so the loop is stateless between steps: it
records finished solves, stops the solves of cancelled jobs, then claims queued items
for idle workers. A service restarted after a crash resumes where the database says.
"""

from __future__ import annotations

import logging
import threading
from multiprocessing.connection import wait

from sqlalchemy.exc import SQLAlchemyError

from . import queries, store
from .database import Database
from .workers import Slot

log = logging.getLogger("magnets.service")
BUSY_POLL_S = 0.25  # how often running solves are checked for cancellation
IDLE_POLL_S = 1.0  # how often the queue is looked at when nothing wakes the dispatcher
ERROR_PAUSE_S = 2.0


class Dispatcher:
    def __init__(self, db: Database, workers: int):
        self._db = db
        self._slots = [Slot() for _ in range(workers)]
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="magnets-dispatcher", daemon=True)

    def start(self) -> None:
        requeued = store.requeue_abandoned(self._db)
        if requeued:
            log.warning("resumed %d job item(s) left running by a stopped service", requeued)
        for slot in self._slots:
            slot.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the workers; solves cut short go back to the queue."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        interrupted = [slot.item_id for slot in self._busy() if slot.item_id is not None]
        for slot in self._slots:
            slot.stop()
        if not interrupted:
            return
        try:
            store.return_items(self._db, interrupted)
        except SQLAlchemyError:
            log.exception("could not requeue %d interrupted item(s)", len(interrupted))

    def wake(self) -> None:
        """Look at the queue now (a job was submitted or cancelled)."""
        self._wake.set()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("dispatcher step failed; retrying")
                self._stop.wait(ERROR_PAUSE_S)

    def step(self) -> None:
        self._wake.clear()  # a wake-up from here on ends the pause below at once
        self._collect()
        self._stop_cancelled()
        self._fill()
        self._pause()

    def _collect(self) -> None:
        for slot in self._busy():
            outcome = slot.poll()
            if outcome is None or slot.item_id is None:
                continue
            if outcome.plan is None:
                log.error("job item %s lost: %s", slot.item_id, outcome.reason)
                store.record_lost(self._db, slot.item_id, outcome.reason)
            elif not store.record_plan(self._db, slot.item_id, outcome.plan):
                log.info("job item %s finished after its job was cancelled", slot.item_id)
            slot.release()

    def _stop_cancelled(self) -> None:
        busy = {slot.item_id: slot for slot in self._busy() if slot.item_id is not None}
        for item_id in queries.cancelled_among(self._db, list(busy)):
            slot = busy[item_id]
            slot.stop()  # the solve dies with its process; the next item gets a fresh one
            store.record_cancelled(self._db, item_id)
            slot.release()
            log.info("job item %s stopped: its job was cancelled", item_id)

    def _fill(self) -> None:
        idle = [slot for slot in self._slots if slot.item_id is None]
        if not idle:
            return
        for slot, item in zip(idle, store.claim_items(self._db, len(idle)), strict=False):
            try:
                slot.submit(item.id, item.document, item.options)
            except OSError as exc:  # no process could be started: try the item again later
                log.error("cannot start a solver process: %s", exc)
                slot.stop()
                slot.release()
                store.record_lost(self._db, item.id, f"cannot start a solver process: {exc}")

    def _pause(self) -> None:
        waitables = [w for slot in self._busy() for w in slot.waitables()]
        if waitables:
            wait(waitables, timeout=BUSY_POLL_S)
            return
        self._wake.wait(IDLE_POLL_S)

    def _busy(self) -> list[Slot]:
        return [slot for slot in self._slots if slot.item_id is not None]
