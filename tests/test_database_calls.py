"""TodoApp.database_call: the awaitable face of the one database thread."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tests.pilot import pending_calls, settle, wait_until
from todo_tui.app import TodoApp
from todo_tui.config import load_settings
from todo_tui.database_thread import DatabaseThread
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


async def test_each_result_reaching_the_ui_loop_is_published_once(app):
    published: list[tuple[str, int]] = []  # (the call, how many callers had gone on)
    async with app.run_test() as pilot:
        await settle(pilot)  # the launch check's own calls
        app.result_signal.subscribe(
            app, lambda _: published.append((calling[-1], len(went_on))), immediate=True
        )
        calling: list[str] = []
        went_on: list[str] = []
        calling.append("ok")
        assert await app.database_call(lambda: 1) == 1
        went_on.append("ok")
        calling.append("failing")

        def bad_input() -> None:
            raise InvalidInput("title", "The title is empty.")

        with pytest.raises(InvalidInput):
            await app.database_call(bad_input)
        release = threading.Event()
        calling.append("abandoned")
        abandoned = asyncio.ensure_future(app.database_call(lambda: release.wait(5)))
        await asyncio.sleep(0)
        abandoned.cancel()
        release.set()
        await app.wait_for_database()
    # Published before the caller went on with it; none for a call nobody awaits any more.
    assert published == [("ok", 0), ("failing", 1)]


def test_the_database_thread_says_when_its_tenant_has_it():
    thread = DatabaseThread(name="todo-tui-test-tenant")
    seen: dict[str, bool] = {}

    class Tenant:
        def wait(self, wakeup: int) -> None:
            seen["tenant"] = thread.tenant_waiting
            time.sleep(0.001)  # a bounded wait (a real tenant selects on `wakeup`)

        def after_work(self) -> None:
            seen["after work"] = thread.tenant_waiting

    try:
        thread.attach(Tenant())
        thread.submit(lambda: seen.__setitem__("job", thread.tenant_waiting))
        wait_until(lambda: len(seen) == 3, "the tenant, a job and after it")
        assert seen == {"tenant": True, "job": False, "after work": False}
    finally:
        thread.stop()
        assert thread.join(5)
