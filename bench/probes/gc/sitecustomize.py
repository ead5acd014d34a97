"""A probe for the benchmark's servers: how long the garbage collector stops them.

    BENCH_EXTRA_PATH=bench/probes/gc .venv/bin/python -m bench.ack_latency --runs 1

Python imports `sitecustomize` at start-up from the path, so every server process the
benchmark starts (`closedset serve`, the bare app, the stand-in; not the worker, whose command
line is multiprocessing's) times each collection by generation and writes, every 2 s and at
exit, `/tmp/closedset-gc.<pid>`: the command, count, total, max and p99 per generation, the time
of each full (generation 2) collection, and how many objects the collector tracks.
"""

from __future__ import annotations

import atexit
import gc
import threading
import time
from pathlib import Path
from typing import Any

_COMMAND = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
_OUT = Path(f"/tmp/closedset-gc.{__import__('os').getpid()}")
_started: list[float] = [0.0]
_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
_full: list[tuple[float, float]] = []


def _callback(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    pause = time.perf_counter() - _started[0]
    _pauses[info["generation"]].append(pause)
    if info["generation"] == 2:
        _full.append((time.time(), pause))


def _dump() -> None:
    lines = [_COMMAND]
    for generation, pauses in _pauses.items():
        if pauses:
            ordered = sorted(pauses)
            lines.append(
                f"gen{generation} n={len(ordered)} total={sum(ordered) * 1e3:.1f}ms "
                f"max={ordered[-1] * 1e3:.2f}ms p99={ordered[int(len(ordered) * 0.99)] * 1e3:.2f}ms"
            )
    lines.append("full collections at: " + " ".join(f"{t:.1f}:{p * 1e3:.1f}ms" for t, p in _full))
    lines.append(f"tracked objects: {len(gc.get_objects())}")
    _OUT.write_text("\n".join(lines) + "\n")


def _every_2_s() -> None:
    while True:
        time.sleep(2)
        _dump()


if any(name in _COMMAND for name in ("serve", "bare_app", "standin_server")):
    gc.callbacks.append(_callback)
    atexit.register(_dump)
    threading.Thread(target=_every_2_s, name="gc-probe", daemon=True).start()
