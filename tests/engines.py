"""A second Database on a test database's data, and the test server's URL with parts
changed: for the tests of the engine and of the classification of its errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import sqlalchemy as sa

from todo_tui.db import Database


@contextmanager
def fresh(database: Database, **changes) -> Iterator[Database]:
    """A second Database on the same data with its own (new) engine and pool."""
    other = Database(replace(database.settings, **changes))
    try:
        yield other
    finally:
        other.dispose()


def server_url(db: Database, **changes) -> str:
    """The test server's URL with some parts changed, as a user would type it."""
    url = sa.make_url(db.settings.database.url).set(**changes)
    return url.render_as_string(hide_password=False).replace("+psycopg2", "")
