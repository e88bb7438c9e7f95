"""optimizer.gc_pause: the collector is off inside every pause, back on after the last
one ends, and left off if it was off before."""

from __future__ import annotations

import gc
import threading

from optimizer.gc_pause import gc_paused


def test_nested_pauses_turn_it_back_on_after_the_outer_one() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_pause_ended_by_an_error_turns_it_back_on() -> None:
    try:
        with gc_paused():
            raise ValueError("a document refused")
    except ValueError:
        pass
    assert gc.isenabled()


def test_it_stays_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_of_two_threads() -> None:
    """The first to start ends first: the collector stays off for the second."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with gc_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()
