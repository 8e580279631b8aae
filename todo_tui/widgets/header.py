"""The screens' header: Textual's, with a title update that cannot take the app down.

Textual 8.2.8's Header updates its title from watchers of the app's and the screen's title;
when a screen switches or the app exits right after a header mounts, the update finds no
title widget and raises NoMatches, which ends the app with a traceback. This one skips it.
"""

from __future__ import annotations

import contextlib

from textual import events
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.widget import Widget
from textual.widgets import Header as TextualHeader
from textual.widgets._header import HeaderTitle


class Header(TextualHeader):
    def _on_mount(self, event: events.Mount) -> None:
        # Instead of TextualHeader's (the same watchers, without the guard); what Widget
        # does on mount is then up to this handler too.
        event.prevent_default()
        Widget._on_mount(self, event)

        async def set_title() -> None:
            with contextlib.suppress(NoScreen, NoMatches):
                self.query_one(HeaderTitle).update(self.format_title())

        for node in (self.app, self.screen):
            self.watch(node, "title", set_title)
            self.watch(node, "sub_title", set_title)
