"""The cyclic garbage collector paused while many documents or model blocks are made.

Reading a hedge's hundreds of outcome documents, or building a model per outcome,
allocates many container objects and frees almost none of them until the end: each
of the collector's passes over them in between finds nothing (and a pass over the
young objects also walks what the imports left). Pausing it cut reading the large bench
hedge from 0.22 to 0.15 s. Reference counting frees what it always frees; cycles made
meanwhile are collected once the collector is back on.

The pause is process-wide, so it is counted: nested or concurrent pauses (threads of
the service) turn the collector back on only when the last one ends, and only if it
was on before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
