"""The header survives a screen switched, or the app ended, right after it mounts (Textual
8.2.8's own raised NoMatches there, ending the app with a traceback)."""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from todo_tui.widgets.header import Header


class Titled(Screen):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.sub_title = name

    def compose(self):
        yield Header()
        yield Static("body")


class Switching(App):
    def on_mount(self) -> None:
        self.push_screen(Titled("first"))
        self.switch_screen(Titled("second"))  # the first's header has just mounted


async def test_a_screen_switched_and_the_app_ended_right_after_mounting() -> None:
    for _ in range(5):
        app = Switching()
        async with app.run_test() as pilot:
            await pilot.pause()
            app.switch_screen(Titled("third"))
            app.sub_title = "changed"
            app.exit()
        assert app.return_code == 0  # no exception ended it


async def test_the_title_still_follows_the_app_and_the_screen() -> None:
    app = App()
    app.title = "todo-tui"
    async with app.run_test() as pilot:
        screen = Titled("me@example.com")
        await app.push_screen(screen)
        await pilot.pause()
        title = screen.query_one("HeaderTitle")
        assert "me@example.com" in str(title.render())
        screen.sub_title = "you@example.com"
        await pilot.pause()
        assert "you@example.com" in str(title.render())
