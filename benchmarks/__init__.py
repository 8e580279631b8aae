"""todo-tui's performance benchmarks: `python -m benchmarks` (see benchmarks/__main__.py).

Times live here, never in pass/fail tests; the round-trip counts are also asserted by
tests/test_round_trips.py, counted the same way (todo_tui/testing/wire.py).
"""

import os

# TODO_TUI_BENCH_QUICK=1: every benchmark with small sizes and one or two repetitions, for
# CI, which checks that they run, never their numbers.
QUICK = os.environ.get("TODO_TUI_BENCH_QUICK") == "1"


def scaled(full: int, quick: int) -> int:
    """`full`, or `quick` under TODO_TUI_BENCH_QUICK=1."""
    return quick if QUICK else full
