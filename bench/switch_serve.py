"""`closedset serve` (the real entry point, `bot.cli.main`) with another GIL switch interval.

    python -m bench.switch_serve MS [closedset arguments...]     # e.g. 1 --env-file x serve

Sets `sys.setswitchinterval(MS / 1000)` (CPython's default is 5 ms) and then runs
`bot.cli.main` with the remaining arguments, in this process. `closedset serve` has no
setting for the interval, so `bench.ack_latency --switch-ms 5,1` uses this to compare.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sys.setswitchinterval(float(args[0]) / 1000)
    print(
        f"bench.switch_serve: switch interval {sys.getswitchinterval() * 1000:g} ms",
        file=sys.stderr,
        flush=True,
    )
    from bot.cli import main as cli_main

    return cli_main(args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
