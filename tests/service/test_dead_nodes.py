"""Which leaseholders a starting node may take items from at once (dispatcher.dead_node):
only nodes it can see are dead; everything else waits for the lease to run out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from service.dispatcher import dead_node

HOST = socket.gethostname()[:200]


def _gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_its_own_id_is_dead_to_a_starting_node() -> None:
    assert dead_node("node-a", "node-a")


def test_a_default_id_of_this_host_is_dead_when_its_process_is_gone() -> None:
    assert dead_node(f"{HOST}-{_gone_pid()}", f"{HOST}-{os.getpid()}")


def test_a_live_process_another_host_or_a_named_node_is_not_known_dead() -> None:
    me = "this-node"
    assert not dead_node(f"{HOST}-{os.getpid()}", me)  # alive: this very process
    assert not dead_node(f"{HOST}-1", me)  # alive (init), whoever owns it
    assert not dead_node(f"elsewhere-{_gone_pid()}", me)  # another machine's pids are unseen
    assert not dead_node("node-b", me)
    assert not dead_node(f"{HOST}-", me) and not dead_node(f"{HOST}-x1", me)
