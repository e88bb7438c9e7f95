"""What the service benchmarks (load.py, soak.py) share: starting `magnets` from this
tree, waiting for the server to be ready, reading a process tree from /proc, a
quantile, the machine's description and a row added under a results table."""

from __future__ import annotations

import http.client
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def magnets(*args: str, env: dict[str, str], log: Path | None = None) -> Any:
    """`magnets ARGS` run to its end (its output captured), or started with its output
    in `log` (the Popen returned)."""
    command = [sys.executable, "-m", "cli.main", *args]
    if log is None:
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"magnets serve did not become ready: {log.read_text()[-2000:]}")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the server and its solver processes)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        children = [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in process_tree(child))]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


def insert_row(text: str, header: str, row: str) -> str:
    """After the last row of the table whose header starts with `header`."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(header)) + 2
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    return "\n".join([*lines[:at], row, *lines[at:]])
