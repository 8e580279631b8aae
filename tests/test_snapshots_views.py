"""What the list's new states look like: the help, the views (Today, Upcoming, a tag's, the
tag picker), the details pane and panel, marked todos, and the tags and due date dialogs,
at 100x30 and 60x20, with the fixed data and clock of test_snapshots.py.
`pytest --snapshot-update` rewrites the SVGs: look at every changed one before committing."""

# ruff: noqa: F811 - the fixtures imported from test_snapshots are named again as arguments
from __future__ import annotations

import pytest

from tests.pilot import eventually, fill, settle
from tests.test_snapshots import (  # noqa: F401 - fixtures
    _snapshot_dir_to_ourselves,
    app_for,
    config_dir,
    dated,
    logged_in,
    no_blink,
    seeded,
)

SIZES = [pytest.param((100, 30), id="100x30"), pytest.param((60, 20), id="60x20")]


def after(*keys: str):
    async def run_before(pilot) -> None:
        await logged_in(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        no_blink(pilot)
        screen = pilot.app.screen
        for details in screen.query("#details"):  # the pane, or the panel: it shows its todo
            todo = screen.table.cursor_todo if hasattr(screen, "table") else screen.todo
            if details.display:
                await eventually(pilot, lambda d=details, t=todo: d.shown == t, "the details")

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestListStates:
    def test_help(self, snap_compare, seeded, config_dir, size):
        app = app_for(seeded, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("question_mark"))

    def test_done_view(self, snap_compare, seeded, config_dir, size):
        app = app_for(seeded, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("5"))

    def test_open_view_marked(self, snap_compare, seeded, config_dir, size):
        app = app_for(seeded, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("3", "x", "j", "x"))

    def test_details(self, snap_compare, seeded, config_dir, size):
        # The todo with a two-line description: beside the list when wide, else a panel.
        keys = ("j",) if size[0] >= 100 else ("j", "i")
        app = app_for(seeded, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after(*keys))


@pytest.mark.parametrize("size", SIZES)
class TestViews:
    """The dated todos of test_snapshots.py (Saturday 14 March 2026)."""

    def test_today(self, snap_compare, dated, config_dir, size):
        app = app_for(dated, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("1"))

    def test_upcoming(self, snap_compare, dated, config_dir, size):
        app = app_for(dated, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("2"))

    def test_tag_picker(self, snap_compare, dated, config_dir, size):
        app = app_for(dated, config_dir)
        assert snap_compare(app, terminal_size=size, run_before=after("number_sign"))

    def test_tag_view(self, snap_compare, dated, config_dir, size):
        app = app_for(dated, config_dir)
        keys = ("number_sign", *"mon", "enter")
        assert snap_compare(app, terminal_size=size, run_before=after(*keys))


def in_dialog(*keys: str, field: str, text: str):
    async def run_before(pilot) -> None:
        await after(*keys)(pilot)
        await fill(pilot, field, text)
        no_blink(pilot)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestBulkDialogs:
    def test_tags(self, snap_compare, seeded, config_dir, size):
        # Two todos marked; one tag added, one removed.
        app = app_for(seeded, config_dir)
        run_before = in_dialog("x", "x", "t", field="#tag-edit", text="errands -home")
        assert snap_compare(app, terminal_size=size, run_before=run_before)

    def test_due(self, snap_compare, seeded, config_dir, size):
        app = app_for(seeded, config_dir)
        run_before = in_dialog("x", "x", "w", field="#due-words", text="next fri 9am")
        assert snap_compare(app, terminal_size=size, run_before=run_before)
