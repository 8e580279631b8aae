"""The yardstick for the first frame: a bare Textual app that shows one line."""

from textual.app import App, ComposeResult
from textual.widgets import Static

TEXT = "Hello from a bare Textual app"


class BareApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(TEXT)


if __name__ == "__main__":
    BareApp().run()
