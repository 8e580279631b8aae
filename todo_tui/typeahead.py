"""Typed-ahead keys go where the user meant them: one key at a time, in order.

Textual forwards every key in its queue to the widget focused *now*, before that widget
has handled the previous one. Keys read in one burst (a password manager's auto-type, a
script, fast typing) therefore all land in the same widget: the password after
`email⏎` goes into the Email field, and the title after `a` goes to the list instead of
the form that `a` opens. Here the app hands on the next key only once the screen has
handled everything the previous one set off (a focus move, a pushed screen's mount), and,
while the screen is busy with what that key asked for (a form saving, a log in on its way:
the screen has the `-busy` class), until it is done: `aFirst⏎aSecond⏎` adds two todos.
Imports Textual and the standard library only: it runs on the first frame.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from textual import events
from textual.app import App, ScreenStackError
from textual.message_pump import MessagePump

# Rounds of "every node has handled what it was sent", until none has anything left.
# A spinner's timer can keep a queue busy, so a key is never held longer than this.
MAX_ROUNDS = 20
# Seconds a key is held at most: a widget closed before it answered never will.
KEY_TIMEOUT = 0.5
# ... and while the screen is busy (a save still on its way): the keys then go to the
# screen as it is, so that a save that hangs never swallows what was typed after it.
BUSY_TIMEOUT = 10.0
# Seconds between looks at a busy screen.
BUSY_CHECK = 0.02

Held = events.Key | events.Paste


def _quiet(node: MessagePump) -> bool:
    """Nothing queued for `node`: not in its queue, not peeked at, no callback due next."""
    # Textual 8.2.8 (pinned): a pump peeks at the next message (to merge repeats) before
    # handling the current one, and runs call_next callbacks once its queue is empty.
    return not (node.message_queue_size or node._pending_message or node._next_callbacks)


class TypeAhead:
    """Holds keys (and pastes) that arrive while an earlier one is still being handled."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._held: deque[Held] = deque()
        self._busy = False
        self.releasing: Held | None = None
        self._handing_on: Held | None = None
        self._key = 0  # which handed-on key the rounds in flight are for
        self._busy_screen: object = None  # the busy screen keys wait for, since when
        self._busy_since = 0.0
        self._waited_for = 0  # the key whose busy screen was waited for
        self._timer: asyncio.TimerHandle | None = None  # the one look ahead that is due

    @property
    def idle(self) -> bool:
        """No key held back, none on its way (for tests and benchmarks)."""
        return not (self._busy or self._held)

    @staticmethod
    def applies(event: events.Event) -> bool:
        return isinstance(event, Held) and not event.is_forwarded

    def hold(self, event: events.Event) -> bool:
        """True when `event` is kept for later: the app must not handle it now."""
        if not self.applies(event):
            return False
        assert isinstance(event, Held)
        if event is self.releasing:
            self.releasing = None
        elif self._busy or self._held:
            self._held.append(event)
            return True
        self._handing_on = event
        return False

    def handed_on(self, event: events.Event) -> None:
        """The app has handed `event` on: hold what follows until it has settled."""
        # Handing it on marked it forwarded: `applies` would no longer say so.
        if event is self._handing_on:
            self._handing_on = None
            self._busy = True
            self._key += 1
            key = self._key
            self._look_again(KEY_TIMEOUT, key)
            self._round(key, 1)

    def _look_again(self, delay: float, key: int) -> None:
        """Call `_overdue` in `delay` seconds, in place of any call still due."""
        if self._timer is not None:
            self._timer.cancel()
        # A bare event-loop timer: a Textual Timer per key costs a task each.
        self._timer = asyncio.get_running_loop().call_later(delay, self._overdue, key)

    def _overdue(self, key: int) -> None:
        """The key's rounds took too long, or its screen is busy: look at it again."""
        self._timer = None
        if key != self._key or not self._busy or self.releasing is not None:
            return
        if self._waiting():
            self._wait_for_screen(key)
        elif self._waited_for == key:
            # The busy screen is done (it may have closed, moving the focus): settle afresh.
            self._waited_for = 0
            self._look_again(KEY_TIMEOUT, key)
            self._round(key, 1)
        else:
            self._release()

    def _wait_for_screen(self, key: int) -> None:
        self._waited_for = key
        self._look_again(BUSY_CHECK, key)

    def _waiting(self) -> bool:
        """Whether the screen is busy with what a key asked for, for under BUSY_TIMEOUT
        (counted once per busy spell, not per held key)."""
        try:
            screen = self._app.screen
        except ScreenStackError:
            return False
        if not screen.has_class("-busy"):
            self._busy_screen = None
            return False
        if self._busy_screen is not screen:
            self._busy_screen, self._busy_since = screen, time.monotonic()
        return time.monotonic() - self._busy_since < BUSY_TIMEOUT

    def _nodes(self) -> list[MessagePump]:
        """Who handles a key and what it sets off: the focused widget and its ancestors up
        to the screen (a key, then the messages it bubbles up), and the app (focus moves
        and pushed screens run there; a new screen mounts its children before itself)."""
        app = self._app
        try:
            screen = app.screen
        except ScreenStackError:  # no screen yet, or the app is closing
            return [app]
        focused = screen.focused
        chain = [] if focused is None else focused.ancestors_with_self
        return [app, screen, *(node for node in chain if node is not screen and node is not app)]

    def _round(self, key: int, number: int) -> None:
        nodes = self._nodes()
        waiting = 0

        def handled() -> None:
            nonlocal waiting
            waiting -= 1
            if waiting == 0 and key == self._key and self.releasing is None:
                self._round_done(key, number)

        for node in nodes:
            # Runs once the node has handled every message it was sent before it.
            if node.call_later(handled):
                waiting += 1
        if waiting == 0:
            self._release()

    def _round_done(self, key: int, number: int) -> None:
        if number < MAX_ROUNDS and not all(_quiet(node) for node in self._nodes()):
            self._round(key, number + 1)
        elif self._waiting():
            self._wait_for_screen(key)
        else:
            self._release()

    def _release(self) -> None:
        self._busy = False
        if self._held:
            self.releasing = self._held.popleft()
            self._busy = True  # nothing overtakes it on its way back to the app
            if not self._app.post_message(self.releasing):
                self._held.clear()
                self._busy = False
