"""Round trips of the todo commands, counted on the wire (todo_tui.testing.wire's proxy): the
schema check, the session, then one statement for `add` and `list`, two for `done` (the
read of the version, the versioned write). PostgreSQL only: SQLite has no wire."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.test_round_trips import split_setup
from todo_tui import sessions, tokens
from todo_tui.auth import register
from todo_tui.cli import main
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.testing.wire import WireProxy

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def wire(databases) -> Iterator[WireProxy]:
    server = sa.make_url(databases.server_url)
    with WireProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


def test_add_list_and_done_cost_the_fewest_round_trips(
    database: Database, wire: WireProxy, capsys
) -> None:
    url = wire.url(database.settings.database.url)
    with database.session() as session:
        ann = register(session, email="ann@example.com", password="password one", rounds=4)
    started = database.run(lambda s: sessions.create(s, user=ann))
    tokens.save(load_settings(database_url=url, environ={}).database, started.token)

    def round_trips(*args: str) -> list[str]:
        wire.reset()
        assert main(["--database-url", url, *args]) == 0, capsys.readouterr().err
        _, counted = split_setup(wire.queries)
        return counted

    added = round_trips("add", "Pay", "rent", "#home", "#money", "due:fri")
    assert len(added) == 3, added  # schema check, session, the todo with its tags
    todo_id = capsys.readouterr().out.split()[1].rstrip(":")
    assert len(round_trips("list")) == 3
    done = round_trips("done", todo_id)
    assert len(done) == 4, done  # ... the version read, the versioned write
