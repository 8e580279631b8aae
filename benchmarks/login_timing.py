"""`python -m benchmarks.login_timing`: does a log in tell which emails exist by its time?

An account made at bcrypt cost 4 while the setting says 12 (what a lowered cost in a test
or an old setting leaves behind): a wrong password for it, and an unknown email, timed
through `auth.authenticate` on a fresh SQLite file; medians of interleaved runs. Then one
successful log in (which re-hashes the account to cost 12) and the same two again.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks import scaled
from todo_tui import auth
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import InvalidInput
from todo_tui.schema import upgrade_to_head

EMAIL = "bench@example.com"
PASSWORD = "benchmark password"
STORED_ROUNDS = 4
SETTING_ROUNDS = 12
RUNS = scaled(15, 2)


def timed(database: Database, email: str, password: str) -> float:
    started = time.perf_counter()
    try:
        with database.session() as session:
            auth.authenticate(session, email=email, password=password, rounds=SETTING_ROUNDS)
    except InvalidInput:
        pass
    return (time.perf_counter() - started) * 1000


def medians(database: Database) -> tuple[float, float]:
    wrong, unknown = [], []
    for _ in range(RUNS):
        wrong.append(timed(database, EMAIL, "not the password"))
        unknown.append(timed(database, "nobody@example.com", PASSWORD))
    return statistics.median(wrong), statistics.median(unknown)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'timing.db'}"
        settings = replace(load_settings(database_url=url, environ={}), bcrypt_rounds=4)
        database = Database(settings)
        try:
            upgrade_to_head(database)
            with database.session() as session:
                auth.register(session, email=EMAIL, password=PASSWORD, rounds=STORED_ROUNDS)
            before = medians(database)
            rehash = timed(database, EMAIL, PASSWORD)
            after = medians(database)
        finally:
            database.dispose()
    print(f"account at cost {STORED_ROUNDS}, setting {SETTING_ROUNDS}; medians of {RUNS}, ms")
    print(f"{'':38} {'wrong password':>15} {'unknown email':>14}")
    print(f"{'before its next log in':38} {before[0]:15.1f} {before[1]:14.1f}")
    print(f"{'after it (re-hashed to the setting)':38} {after[0]:15.1f} {after[1]:14.1f}")
    print(f"the successful log in that re-hashed: {rehash:.1f} ms", file=sys.stdout)


if __name__ == "__main__":
    main()
