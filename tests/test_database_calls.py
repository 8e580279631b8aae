"""TodoApp.database_call: the awaitable face of the one database thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.pilot import pending_calls
from todo_tui.app import TodoApp
from todo_tui.config import load_settings
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput


@pytest.fixture
def app(tmp_path):
    app = TodoApp(load_settings(database_url=f"sqlite:///{tmp_path}/todo.db", environ={}))
    yield app
    app.database_thread.stop()
    assert app.database_thread.join(5)


async def test_calls_run_on_the_database_thread_in_order_and_return_their_results(app):
    ran: list[tuple[int, threading.Thread]] = []

    def call(n: int):
        def work() -> int:
            ran.append((n, threading.current_thread()))
            return n * 10

        return app.database_call(work)

    assert await asyncio.gather(*(call(n) for n in range(20))) == [n * 10 for n in range(20)]
    assert [n for n, _ in ran] == list(range(20))
    assert {thread for _, thread in ran} == {app.database_thread.thread}


async def test_expected_failures_are_raised_as_they_are_the_unexpected_as_one_sentence(app):
    def bad_input() -> None:
        raise InvalidInput("title", "The title is empty.")

    with pytest.raises(InvalidInput) as raised:
        await app.database_call(bad_input)
    assert raised.value.field == "title"

    def bug() -> None:
        raise KeyError("x")

    with pytest.raises(DatabaseFault) as fault:
        await app.database_call(bug)
    assert fault.value.kind is FaultKind.UNEXPECTED
    assert fault.value.sentence == "Something went wrong (KeyError)."
    assert await app.database_call(lambda: "still serving") == "still serving"


async def test_wait_for_database_waits_for_a_call_in_flight_also_one_nobody_awaits(app):
    release = threading.Event()
    finished: list[str] = []

    def slow() -> str:
        release.wait(5)
        finished.append("slow")
        return "done"

    waiting = asyncio.ensure_future(app.database_call(slow))
    await asyncio.sleep(0)
    assert pending_calls(app) == 1
    waiting.cancel()  # the screen that asked has gone
    await asyncio.sleep(0)
    assert pending_calls(app) == 1  # still running on the database thread
    release.set()
    await asyncio.wait_for(app.wait_for_database(), 5)
    assert finished == ["slow"]
    assert pending_calls(app) == 0
