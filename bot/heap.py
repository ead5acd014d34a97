"""Keep the garbage collector's full passes short in a long-running process."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Move everything built at start (imports, the Bolt app, SQLAlchemy's mappers: some
    100,000 objects) out of the collector's reach, once, when start-up is done.

    Those objects live as long as the process, yet CPython's full collection walks them all
    each time: measured at 15-58 ms in `closedset serve` under load, a stall of every request
    thread at once (`bench/RESULTS.md`).
    Frozen, a full pass walks only what was made since. Garbage from start-up is collected
    first, so nothing is kept that should have gone.
    """
    gc.collect()
    gc.freeze()
