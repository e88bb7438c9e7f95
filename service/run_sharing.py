"""A job's solver process lending out the runs of a map (optimizer/whatif/runs.py) to
the service's other solver processes as they fall idle: how a hedge job's outcomes solved
alone (wait-and-see, the value of hedging, the premium, an out-of-sample evaluation) are
spread over the service's cores without a pool of its own.

The process that asked (the requester) never waits on a helper it does not have: it is
always told to solve the next run nobody holds (`Take`), and the helpers' results reach
it as they come in (`Given`). So a hedge solved while every other process is busy costs
what it cost alone, one run after the other, each hot-started from the one before; an
idle process joins as soon as there is one. The dispatcher's thread (`LocalPool`) relays
every message and keeps the board of who holds which run; it never unpickles a run or
its results, which travel as bytes between the two solver processes.

A helper that dies gives its run back to the board (the requester takes it itself if
nobody else is idle); a requester that finishes, dies or is cancelled closes its board,
and the helpers still solving its runs are stopped.

Messages, child to dispatcher: `Wanted` (a map's runs), `Solved` (the requester solved
the run it was told to take), `Helped` (a helper's answer). Dispatcher to child: `Take`,
`Given` (to the requester), `Help` (to a helper).
"""

from __future__ import annotations

import pickle
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol


@dataclass(frozen=True)
class Wanted:
    token: str  # names the map in every message about it
    work: bytes  # pickled (prepare, task, shared) of runs.map_runs
    runs: list[bytes]  # each run, pickled


@dataclass(frozen=True)
class Take:
    token: str
    run: int


@dataclass(frozen=True)
class Solved:
    token: str
    run: int


@dataclass(frozen=True)
class Help:
    token: str
    work: bytes
    run: int
    items: bytes


@dataclass(frozen=True)
class Helped:
    token: str
    run: int
    answer: bytes  # pickled (True, results) or (False, the exception the task raised)


@dataclass(frozen=True)
class Given:
    token: str
    run: int
    answer: bytes


def lent_out(message: Any) -> bool:
    """A message about a map: what a child hears between items is left over from a map
    that ended early (its task raised) and is passed over."""
    return isinstance(message, Take | Given)


# -- in the requesting solver process --------------------------------------------------------------
class SlotHelpers:
    """runs.Helpers for a job's solver process: the dispatcher hands the map's runs to
    this process and to the service's idle ones (see the module's docstring)."""

    def __init__(self, conn: Connection, processes: int):
        self._conn = conn
        self._processes = processes

    def slots(self) -> int:
        return self._processes

    def share(
        self,
        prepare: Callable[[Any], Any],
        task: Callable[[Any, list[Any]], list[Any]],
        shared: Any,
        runs: list[list[Any]],
        solve_here: Callable[[list[Any]], list[Any]],
    ) -> Iterator[tuple[int, list[Any]]]:
        token = uuid.uuid4().hex
        work = pickle.dumps((prepare, task, shared), pickle.HIGHEST_PROTOCOL)
        packed = [pickle.dumps(run, pickle.HIGHEST_PROTOCOL) for run in runs]
        self._conn.send(Wanted(token, work, packed))
        left = len(runs)
        while left:
            message = self._conn.recv()
            if getattr(message, "token", None) != token:
                continue  # left over from an earlier map
            if isinstance(message, Take):
                results = solve_here(runs[message.run])
                self._conn.send(Solved(token, message.run))
            elif isinstance(message, Given):
                done, results = pickle.loads(message.answer)
                if not done:
                    raise results
            else:
                continue
            left -= 1
            yield message.run, results


# -- in a helping solver process ---------------------------------------------------------------------
class Helping:
    """A helper process's state for the map it last helped with: prepared once per map,
    so that its runs after the first are hot-started too."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._task: Any = None
        self._state: Any = None

    def solve(self, help_: Help) -> Helped:
        """The run's results, or the exception its task raised (MemoryError is not
        caught: the process ends, and the run goes back to the board). The map's work
        is read and prepared on its first run only."""
        try:
            if self._token != help_.token:
                self._token, self._task, self._state = None, None, None  # old model first
                prepare, task, shared = pickle.loads(help_.work)
                self._state, self._task, self._token = prepare(shared), task, help_.token
            answer: tuple[bool, Any] = (True, self._task(self._state, pickle.loads(help_.items)))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 — raised again in the requester
            answer = (False, exc)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 — an exception that does not pickle
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        return Helped(help_.token, help_.run, data)


# -- in the dispatcher ---------------------------------------------------------------------------------
class Process(Protocol):
    """What the board needs of a solver process (workers.Slot)."""

    helping: Any

    def send(self, message: Any) -> bool: ...
    def stop(self) -> None: ...


@dataclass(eq=False)
class Board:
    """One map being shared: the runs nobody holds, the runs not solved yet, the helpers
    holding runs, and whether the requester is solving one."""

    requester: Process
    wanted: Wanted
    pending: deque[int]
    unsolved: set[int]
    helpers: dict[int, Process] = field(default_factory=dict)
    requester_busy: bool = False


class RunSharing:
    """The boards of the maps being shared among one pool's processes."""

    def __init__(self) -> None:
        self._boards: dict[int, Board] = {}  # by id() of the requesting process
        self.lent = 0  # runs handed to helpers so far

    def heard(self, process: Process, message: Any) -> None:
        """A message from a solver process, other than an item's end."""
        if isinstance(message, Wanted):
            self.closed(process)  # a map asked for anew ends the one before
            runs = range(len(message.runs))
            board = Board(process, message, deque(runs), set(runs))
            self._boards[id(process)] = board
            self._give_requester(board)
        elif isinstance(message, Solved):
            asked = self._boards.get(id(process))
            if asked is not None and asked.wanted.token == message.token:
                asked.requester_busy = False
                self._solved(asked, message.run)
        elif isinstance(message, Helped):
            self._helped(process, message)

    def lost_helper(self, process: Process) -> None:
        """A helper died: its run goes back to the board."""
        held = self._released(process)
        if held is not None:
            board, run = held
            board.pending.appendleft(run)
            self._give_requester(board)

    def closed(self, requester: Process) -> None:
        """The requester's item ended (or it died, or was cancelled): its board goes, and
        the helpers still solving its runs are stopped."""
        board = self._boards.pop(id(requester), None)
        if board is None:
            return
        for helper in board.helpers.values():
            helper.helping = None
            helper.stop()

    def lend(self, idle: list[Any]) -> None:
        """Give each idle process a run nobody holds, oldest board first."""
        for process in idle:
            board = next((b for b in self._boards.values() if b.pending), None)
            if board is None:
                return
            run = board.pending.popleft()
            wanted = board.wanted
            process.helping = (board, run)
            board.helpers[run] = process
            self.lent += 1
            if not process.send(Help(wanted.token, wanted.work, run, wanted.runs[run])):
                self.lost_helper(process)

    def clear(self) -> None:
        self._boards.clear()

    def _helped(self, process: Process, message: Helped) -> None:
        held = self._released(process)
        if held is None or held[1] not in held[0].unsolved:
            return
        board, run = held
        board.requester.send(Given(message.token, run, message.answer))
        self._solved(board, run)

    def _released(self, process: Process) -> tuple[Board, int] | None:
        """The board and run a helper held, now free of it; None when it held none, or
        the board has closed (the requester's item ended meanwhile)."""
        held, process.helping = process.helping, None
        if held is None:
            return None
        board: Board = held[0]
        run: int = held[1]
        board.helpers.pop(run, None)
        return (board, run) if self._boards.get(id(board.requester)) is board else None

    def _solved(self, board: Board, run: int) -> None:
        board.unsolved.discard(run)
        if not board.unsolved:
            self._boards.pop(id(board.requester), None)
            return
        self._give_requester(board)

    def _give_requester(self, board: Board) -> None:
        if board.requester_busy or not board.pending:
            return
        run = board.pending.popleft()
        board.requester_busy = True
        board.requester.send(Take(board.wanted.token, run))
