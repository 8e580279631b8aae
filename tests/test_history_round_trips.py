"""A long history on the wire: a returning launch on a view that shows no done todo is
still the schema check, the session and one list query (the open todos with the number of
done ones), and the Done view's first showing is one round trip (PostgreSQL only, by
nature: counted by the proxy of todo_tui.testing)."""

# ruff: noqa: F811 - the wire fixtures are imported from test_round_trips and named again
from __future__ import annotations

import pytest

from tests.pilot import make_app, screen_name, settle
from tests.test_round_trips import (  # noqa: F401 - the fixtures, used by name
    EMAIL,
    LIVE_FEED,
    MAX_ENGINE_SETUP,
    PASSWORD,
    assert_sent,
    kinds,
    live_feed_started,
    logged_in,
    one_action,
    split_setup,
    table_of,
    through,
    wire,
)
from todo_tui import auth, sessions, tokens

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)

OPEN_VIEW = '[defaults]\nview = "open"\n'


async def test_a_returning_launch_on_the_open_view_is_still_three_round_trips(
    database, through, wire, tmp_path
):
    db = through(database)
    with database.session() as session:
        user = auth.register(session, email=EMAIL, password=PASSWORD, rounds=4)
    started = database.run(lambda s: sessions.create(s, user=user))
    tokens.save(db.settings.database, started.token)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    try:
        wire.reset()
        app = make_app(db.settings, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
            await live_feed_started(pilot, wire)
            setup, rest = split_setup(wire.queries)
            assert len(setup) <= MAX_ENGINE_SETUP, setup
            rest = [q for q in rest if not q.startswith(LIVE_FEED)]
            assert kinds(rest) == [
                "SELECT todo_tui_alembic_version",
                "UPDATE login_session",
                "SELECT todo",
            ], rest
            assert "count(" in rest[-1]  # the done ones counted, in the same statement
            assert not table_of(pilot).holds_done
    finally:
        tokens.discard(db.settings.database)


async def test_the_done_view_first_shown_is_one_round_trip_then_none(
    database, through, wire, tmp_path
):
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    titles = [f"todo {n}" for n in range(3)]
    async with logged_in(database, through(database), wire, tmp_path, *titles) as pilot:
        table = table_of(pilot)
        await pilot.press("home", "space")
        await settle(pilot)
        assert (table.holds_done, table.counts) == (False, (2, 1))
        done_view = await one_action(pilot, wire, lambda: pilot.press("5"))
        assert_sent(done_view, "SELECT todo")
        assert (table.holds_done, table.visible_count) == (True, 1)
        # All open, All, Done again: held, nothing sent.
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("3", "6", "5")))
