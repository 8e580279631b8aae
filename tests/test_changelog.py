"""CHANGELOG.md names the version the app reports and every migration that ships."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import ScriptDirectory

from todo_tui import __version__
from todo_tui.schema import alembic_config

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?$", re.M)


def releases() -> list[tuple[str, str | None]]:
    return [(m["version"], m["date"]) for m in RELEASE.finditer(CHANGELOG)]


def test_the_newest_release_is_the_version_the_app_reports():
    dated = [version for version, date in releases() if date is not None]
    assert dated[0] == __version__


def test_every_release_but_the_unreleased_one_has_a_date_newest_first():
    listed = releases()
    assert all(date for version, date in listed if version != "Unreleased")
    dates = [date for _, date in listed if date]
    assert dates == sorted(dates, reverse=True)


def test_every_migration_is_named_by_exactly_one_release():
    revisions = [
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    ]
    assert revisions  # the scripts were found
    for revision in revisions:
        assert len(re.findall(rf"\*\*{revision}\*\*", CHANGELOG)) == 1, revision
