"""todo-tui's performance benchmarks: `python -m benchmarks` (see benchmarks/__main__.py).

Times live here, never in pass/fail tests; the round-trip counts are also asserted by
tests/test_round_trips.py, counted the same way (todo_tui/testing/wire.py).
"""
