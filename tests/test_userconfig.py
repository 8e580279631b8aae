"""The user's config.toml: the keymap by binding id and the defaults, and everything that
can be wrong with it (one sentence, the defaults, never a crash); then the app at launch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.pilot import EMAIL, PASSWORD, add, log_in, make_app, notices, register, settle
from todo_tui import bindings, preferences, userconfig

CHOICES = {"view": {"open", "done", "all"}, "sort": {"newest", "title"}, "theme": {"nord"}}


def parse(text: str) -> userconfig.UserConfig:
    return userconfig.parse(text, where="config.toml", specs=bindings.specs(), choices=CHOICES)


def test_a_good_file():
    config = parse(
        '[keymap]\n"list.add" = "n"\n"list.down" = "down, ctrl+j"\n'
        '[defaults]\nview = "open"\nsort = "title"\ntheme = "nord"\n'
    )
    assert config.problems == []
    assert config.keymap == {"list.add": "n", "list.down": "down,ctrl+j"}
    assert config.defaults == {"view": "open", "sort": "title", "theme": "nord"}
    assert config.summary() is None


def test_no_file_is_no_problem(tmp_path):
    config = userconfig.load(tmp_path, specs=bindings.specs(), choices=CHOICES)
    assert config == userconfig.UserConfig()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[keymap\n", "is not valid TOML"),
        ('keymap = "n"\n', "keymap must be a table"),
        ('[keymap]\n"list.nope" = "n"\n', "'list.nope' is not a binding id"),
        ('[keymap]\n"list.add" = 3\n', "the keys for list.add must be a string"),
        ('[keymap]\n"list.add" = ""\n', "the keys for list.add must be a string"),
        ('[defaults]\nview = "today-ish"\n', "view = 'today-ish' is not one of all, done, open"),
        ('[defaults]\ncolour = "red"\n', "[defaults] has no 'colour'"),
        ("[plugins]\n", "[plugins] is not a section todo-tui knows"),
    ],
)
def test_what_is_wrong_is_one_sentence_and_the_rest_is_default(text, said):
    config = parse(text)
    assert len(config.problems) == 1 and said in config.problems[0], config.problems
    assert config.keymap == {} and config.defaults == {}
    assert "\n" not in config.summary()


def test_a_clash_is_reported_and_both_keep_their_defaults():
    config = parse('[keymap]\n"list.add" = "d"\n"list.sort" = "n"\n')
    assert config.keymap == {"list.sort": "n"}  # the rest still applies
    assert config.problems == [
        "config.toml: d is given to both list.delete and list.add; list.add keeps the default keys."
    ]


def test_two_remapped_bindings_clashing_are_both_dropped():
    config = parse('[keymap]\n"list.add" = "n"\n"list.sort" = "n"\n')
    assert config.keymap == {}
    assert "n is given to both" in config.problems[0]
    assert "list.add and list.sort keep the default keys" in config.problems[0]


def test_keys_move_freely_between_screens_and_onto_freed_keys():
    # k is up on the list: add cannot have it there; moving keys onto freed ones can.
    assert parse('[keymap]\n"conflict.keep_mine" = "m"\n"list.add" = "k"\n').problems != []
    swapped = parse('[keymap]\n"list.add" = "d"\n"list.delete" = "a"\n')
    assert swapped.problems == [] and swapped.keymap == {"list.add": "d", "list.delete": "a"}


def test_an_app_key_clashes_with_every_screen():
    config = parse('[keymap]\n"app.quit" = "ctrl+n"\n')  # log in's create account
    assert "ctrl+n is given to both login.create_account and app.quit" in config.problems[0]


def test_several_problems_one_line():
    config = parse('[keymap]\n"x.y" = "n"\n"a.b" = "m"\n')
    assert config.summary().endswith("(1 more in the log.)")


def test_an_unreadable_file(tmp_path):
    (tmp_path / userconfig.FILE_NAME).write_bytes(b"\xff\xfe[keymap]")
    config = userconfig.load(tmp_path, specs=bindings.specs(), choices=CHOICES)
    assert "cannot be read" in config.summary()


def test_userconfig_loads_no_textual():
    code = "import sys, todo_tui.userconfig; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- at launch -----------------------------------------------------------------------------


def write_config(config_dir: Path, text: str) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / userconfig.FILE_NAME).write_text(text, encoding="utf-8")


async def test_the_keymap_and_defaults_apply_at_launch(database, tmp_path):
    user = register(database)
    add(database, user, "Buy milk")
    write_config(
        tmp_path,
        '[keymap]\n"list.add" = "n"\n"list.down" = "ctrl+j"\n"app.help" = "f2"\n'
        '[defaults]\nview = "done"\nsort = "title"\ntheme = "nord"\n',
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        table = app.screen.table
        assert (table.view, table.sort_by) == ("done", "title")
        assert app.theme == "nord"
        assert "theme" not in preferences.load(tmp_path)  # a default, not a choice made
        assert notices(app) == []
        await pilot.press("a")  # no longer add
        await settle(pilot)
        assert type(app.screen).__name__ == "TodoListScreen"
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "TodoForm"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        shown = str(app.screen.query_one("#help-text").render())
        assert "n  " in shown.split("Add a todo")[0].splitlines()[-1]  # remapped, shown so
        assert "^j" in shown and "Next todo" in shown


@pytest.mark.parametrize(
    "text",
    ["[keymap\n", '[keymap]\n"list.nope" = "n"\n', '[keymap]\n"list.add" = "d"\n', "\x00"],
)
async def test_a_bad_file_is_one_sentence_at_launch_and_the_defaults(database, tmp_path, text):
    user = register(database)
    add(database, user, "Buy milk")
    write_config(tmp_path, text)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        said = [n for n in notices(app) if "config.toml" in n]
        assert len(said) == 1 and "\n" not in said[0], notices(app)
        await log_in(pilot, EMAIL, PASSWORD)
        await pilot.press("a")  # the default keys work
        await settle(pilot)
        assert type(app.screen).__name__ == "TodoForm"
