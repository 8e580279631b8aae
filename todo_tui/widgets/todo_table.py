"""A virtualised, line-based list of todos (Line API, one line per todo): its done mark,
priority, title, tags and description, and on the right its due date in words and when it
last changed. Every piece of user text is a plain Segment: nothing is read as markup.

Orders: `due` (the default: overdue first, then by due date and time, then priority, then
newest; no date last), `priority`, `newest`, `oldest`, `title`, `updated`; in every one,
done todos come after all the open ones."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import ClassVar, Literal, get_args

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from todo_tui import bindings, search, views
from todo_tui.dates import relative
from todo_tui.display import PRIORITY_MARKS, due_order, sanitize
from todo_tui.records import TodoRecord

SortBy = Literal["due", "priority", "newest", "oldest", "title", "updated"]
SORT_ORDER: tuple[SortBy, ...] = get_args(SortBy)  # the order `s` steps through

_MARK_WIDTH = 3  # "[x]": the clickable toggle area
_TIME_COL = 10  # widest relative time is an ISO date
_DUE_COL = 16  # "in 120 days 09:30"; "3 days overdue"
_PRIORITY_COL = 4  # "!!! "
_ELLIPSIS = "…"


def first_line(text: str | None) -> str:
    """The first non-blank line of a description (a single-line preview)."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def fit(text: str, width: int) -> str:
    """Crop `text` to at most `width` cells, ending with an ellipsis if cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    # set_cell_size pads a split wide char with a space, so the result is exact.
    return set_cell_size(text, width - 1) + _ELLIPSIS


def relative_time(then: datetime, now: datetime) -> str:
    """Compact "updated" label, at most 10 cells."""
    seconds = (now - then).total_seconds()
    if -60 < seconds < 60:
        return "just now"
    if 0 < seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if 0 < seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if 0 < seconds < 30 * 86400:
        return f"{int(seconds // 86400)}d ago"
    # Old (or clock-skewed future) times are clearer as an absolute date.
    return then.astimezone(UTC).strftime("%Y-%m-%d")


def _priority_order(record: TodoRecord) -> tuple[object, ...]:
    _, day, at, *_ = due_order(record)
    done, created = record.is_completed, record.created_at.timestamp()
    return (done, -record.priority, day, at, -created, -record.id)


# Each order's key of a record; every key starts with the done flag (done todos after open
# ones) and sorts ascending.
_KEYS: dict[str, Callable[[TodoRecord], tuple[object, ...]]] = {
    "due": due_order,
    "priority": _priority_order,
    "newest": lambda r: (r.is_completed, -r.created_at.timestamp(), -r.id),
    "oldest": lambda r: (r.is_completed, r.created_at.timestamp(), r.id),
    "title": lambda r: (r.is_completed, r.title.casefold(), r.id),
    "updated": lambda r: (r.is_completed, -r.updated_at.timestamp(), -r.id),
}


class _Entry:
    """A record plus what filtering and sorting need, each computed once, when first
    needed: a long list is sorted by one order and seldom searched."""

    __slots__ = ("_keys", "_search", "cache", "record")

    def __init__(self, record: TodoRecord) -> None:
        self.record = record
        self._keys: dict[str, tuple[object, ...]] = {}
        self._search: tuple[str, frozenset[str]] | None = None
        self.cache: tuple[tuple[object, ...], Strip] | None = None

    def key(self, order: str) -> tuple[object, ...]:
        if (key := self._keys.get(order)) is None:
            key = self._keys[order] = _KEYS[order](self.record)
        return key

    def matches(self, query: search.Query) -> bool:
        if self._search is None:  # folded: no case, no accents; tags too
            self._search = (search.haystack(self.record), search.folded_tags(self.record))
        return search.matches(query, *self._search)


class _TableMessage(Message):
    # Set before posting so `@on(TodoTable.X, "#selector")` can match the table.
    table: TodoTable | None = None

    @property
    def control(self) -> TodoTable | None:
        return self.table


class TodoTable(ScrollView, can_focus=True):
    """One line per todo; only the visible lines are ever rendered."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.LIST_TABLE)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        f"todo-table--{part}"
        for part in (
            "cursor",
            "done",
            "description",
            "time",
            "hint",
            "due",
            "today",
            "overdue",
            "priority",
            "tags",
            "match",
            "marked",
        )
    }

    DEFAULT_CSS = """
    TodoTable {
        overflow-x: hidden;
        background: $surface;
        & > .todo-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .todo-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .todo-table--done { color: $text-muted; text-style: strike; }
        & > .todo-table--description, & > .todo-table--time { color: $text-muted; }
        & > .todo-table--hint { color: $text-muted; text-style: italic; }
        & > .todo-table--due { color: $text-muted; }
        & > .todo-table--today { color: $text-warning; text-style: bold; }
        & > .todo-table--overdue { color: $text-error; text-style: bold reverse; }
        & > .todo-table--priority { color: $text-accent; text-style: bold; }
        & > .todo-table--tags { color: $text-primary; }
        & > .todo-table--match { text-style: bold underline; color: $text-accent; }
        & > .todo-table--marked { color: $text-accent; text-style: bold; }
    }
    """

    class ToggleClicked(_TableMessage):
        """The user clicked the done mark of a todo."""

        def __init__(self, todo_id: int) -> None:
            super().__init__()
            self.todo_id = todo_id

    class Highlighted(_TableMessage):
        """Another todo is under the cursor (or none is)."""

    # Re-filtering is synchronous: the watchers rebuild the visible order at once.
    view: reactive[views.View] = reactive("all", init=False)
    sort_by: reactive[SortBy] = reactive("due", init=False)
    search_text: reactive[str] = reactive("", init=False)

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._now = now or (lambda: datetime.now(UTC))
        self._entries: dict[int, _Entry] = {}
        self._versions: dict[int, int] = {}  # id -> version of every todo held
        self._rows: list[_Entry] = []
        self._row_of: dict[int, int] | None = {}  # id -> row, made when first needed
        self._cursor = 0
        self._done = 0  # done todos held, or (not `holds_done`) the number of those not held
        self._holds_done = True
        # Not `holds_done`: ids of done todos not held that this list saw become done (or
        # arrive done), so one that is open again leaves the count.
        self._done_seen: set[int] = set()
        # Todos with a priority, with a due date: each column is drawn only when one has.
        self._prioritised = 0
        self._dated = 0
        self._style_gen = 0
        self._marked: set[int] = set()
        self._highlighted_id: int | None = None
        self._query = search.parse("")
        self.rebuild_count = 0  # re-filterings and re-sorts so far (for tests, benchmarks)

    # Mutators only touch `_entries` or options: `_rebuild` still sees the old rows,
    # so it can find the todo that was under the cursor.

    def set_todos(self, records: Iterable[TodoRecord], *, done: int | None = None) -> None:
        """Hold these todos: every one of the user's, or (`done` given) their open ones and
        the number of the done ones, which are then counted, not held."""
        self._entries = {r.id: _Entry(r) for r in records}
        self._versions = {i: e.record.version for i, e in self._entries.items()}
        self._holds_done = done is None
        self._done_seen = set()
        if done is None:
            self._done = sum(e.record.is_completed for e in self._entries.values())
        else:
            self._done = done
        self._prioritised = sum(e.record.priority > 0 for e in self._entries.values())
        self._dated = sum(e.record.due_date is not None for e in self._entries.values())
        self._rebuild()

    def upsert(self, record: TodoRecord) -> None:
        self.upsert_many((record,))

    def upsert_many(self, records: Iterable[TodoRecord], *, done: int | None = None) -> None:
        """Add or replace every record (none skipped), then re-filter and re-sort once. Not
        `holds_done`: a done one is counted instead of held, and `done`, when given, is the
        number of done todos as the database had them with these records."""
        for record in records:
            old = self._entries.get(record.id)
            if not self._holds_done and record.is_completed:
                self._counted_done(record.id, old)
                continue
            if old is None and record.id in self._done_seen:  # open again
                self._done_seen.discard(record.id)
                self._done -= 1
            self._done += record.is_completed - (old.record.is_completed if old else 0)
            self._count(old.record if old else None, -1)
            self._count(record, 1)
            self._entries[record.id] = _Entry(record)
            self._versions[record.id] = record.version
        if done is not None and not self._holds_done:
            self._done = done
        self._rebuild()

    def _counted_done(self, todo_id: int, old: _Entry | None) -> None:
        """A done todo, not held: counted (once) instead."""
        if old is not None:  # done now: its count moves here (a fetch brings the others')
            del self._entries[todo_id], self._versions[todo_id]
            self._count(old.record, -1)
            self._done += 1
        self._done_seen.add(todo_id)

    def set_done_count(self, done: int) -> None:
        """Not `holds_done`: the number of done todos, as a snapshot has it."""
        if not self._holds_done:
            self._done = done
            self.refresh()

    def remove_todo(self, todo_id: int) -> None:
        self.remove_many((todo_id,))

    def remove_many(self, todo_ids: Iterable[int]) -> None:
        """Remove every one of these todos that is held, then re-filter and re-sort once."""
        removed = False
        for todo_id in todo_ids:
            if (old := self._entries.pop(todo_id, None)) is not None:
                del self._versions[todo_id]
                self._done -= old.record.is_completed
                self._count(old.record, -1)
                removed = True
        if removed:  # what is left stays filtered and sorted: no re-sort needed
            entries = self._entries
            self._show([e for e in self._rows if e.record.id in entries])

    def _count(self, record: TodoRecord | None, by: int) -> None:
        if record is not None:
            self._prioritised += by * (record.priority > 0)
            self._dated += by * (record.due_date is not None)

    @property
    def holds_done(self) -> bool:
        """Whether the done todos are held, or only counted (see `set_todos`)."""
        return self._holds_done

    @property
    def versions(self) -> Mapping[int, int]:
        """{id: version} of every todo held (a read-only view, kept as the list changes)."""
        return MappingProxyType(self._versions)

    def tag_names(self) -> list[str]:
        """Every tag of the todos held, each once (its first spelling), sorted by name."""
        return [tag for tag, _ in self.tag_counts()]

    def tag_counts(self) -> list[tuple[str, int]]:
        """Every tag of the todos held (its first spelling) and how many open todos have
        it, sorted by name."""
        names: dict[str, str] = {}
        open_counts: dict[str, int] = {}
        for entry in self._entries.values():
            record = entry.record
            for tag in record.tags:
                key = tag.lower()
                names.setdefault(key, tag)
                open_counts[key] = open_counts.get(key, 0) + (not record.is_completed)
        return sorted(((names[k], open_counts[k]) for k in names), key=lambda t: t[0].casefold())

    def get(self, todo_id: int) -> TodoRecord | None:
        entry = self._entries.get(todo_id)
        return entry.record if entry else None

    def validate_view(self, value: views.View) -> views.View:
        if not views.known(value):
            raise ValueError(f"invalid view: {value!r}")
        return value

    def validate_sort_by(self, value: SortBy) -> SortBy:
        if value not in _KEYS:
            raise ValueError(f"invalid sort: {value!r}")
        return value

    def _watch_view(self) -> None:
        self._rebuild()

    _watch_sort_by = _watch_view

    def _watch_search_text(self, text: str) -> None:
        self._query = search.parse(text)
        self._rebuild()

    # -- marks: the todos a bulk action acts on ------------------------------------------

    @property
    def marked(self) -> frozenset[int]:
        """The ids of the marked todos still held (shown or not)."""
        return frozenset(self._marked & self._entries.keys())

    def toggle_mark(self, todo_id: int) -> None:
        self._marked.symmetric_difference_update({todo_id})
        self._repaint(todo_id)

    def clear_marks(self) -> None:
        marked, self._marked = self._marked, set()
        for todo_id in marked:
            self._repaint(todo_id)

    def _repaint(self, todo_id: int) -> None:
        if (entry := self._entries.get(todo_id)) is not None:
            entry.cache = None
        self.refresh()

    @property
    def cursor_todo(self) -> TodoRecord | None:
        return self._rows[self._cursor].record if self._rows else None

    @property
    def counts(self) -> tuple[int, int]:
        """(open, done): held, or for the done ones counted (see `set_todos`)."""
        if not self._holds_done:
            return len(self._entries), self._done
        return len(self._entries) - self._done, self._done

    @property
    def all_todos(self) -> list[TodoRecord]:
        """Every todo held, shown or filtered out."""
        return [entry.record for entry in self._entries.values()]

    @property
    def visible_todos(self) -> list[TodoRecord]:
        """What the list shows, in order."""
        return [entry.record for entry in self._rows]

    @property
    def visible_count(self) -> int:
        return len(self._rows)

    def move_cursor_to(self, todo_id: int) -> None:
        if self._row_of is None:
            self._row_of = {e.record.id: i for i, e in enumerate(self._rows)}
        row = self._row_of.get(todo_id)
        if row is not None:
            self._move_cursor(row)

    def refilter(self) -> None:
        """Filter and sort again: after midnight, Today and Upcoming show other todos."""
        self._rebuild()

    def _rebuild(self) -> None:
        """Re-filter and re-sort, keeping the cursor on its todo if still visible."""
        rows = list(self._entries.values())
        if self.view != "all":
            shows, today = views.shows(self.view), self._today()
            rows = [e for e in rows if shows(e.record, today)]
        if not (query := self._query).empty:
            rows = [e for e in rows if e.matches(query)]
        order = self.sort_by
        rows.sort(key=lambda entry: entry.key(order))
        self._show(rows)

    def _show(self, rows: list[_Entry]) -> None:
        """Show these rows (filtered and sorted), the cursor on its todo if still there."""
        self.rebuild_count += 1
        anchor = self.cursor_todo
        self._rows = rows
        self._row_of = None  # a catch-up of thousands of deletes needs no lookup table
        row = None
        if anchor is not None and (entry := self._entries.get(anchor.id)) is not None:
            with contextlib.suppress(ValueError):  # filtered out
                row = rows.index(entry)  # by identity, in C: ~1 ms for 50,000 rows
        # Otherwise the row that took the old cursor's place keeps the user's position.
        self._cursor = row if row is not None else max(0, min(self._cursor, len(rows) - 1))
        self.virtual_size = Size(0, len(rows))
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlighted()

    def _post_highlighted(self) -> None:
        todo = self.cursor_todo
        if (todo.id if todo else None) != self._highlighted_id:
            self._highlighted_id = todo.id if todo else None
            self._post(self.Highlighted())

    def _move_cursor(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        old, self._cursor = self._cursor, row
        if old != row:
            self.refresh_line(old)
            self.refresh_line(row)
        self._scroll_cursor_into_view()
        self._post_highlighted()

    def _post(self, message: _TableMessage) -> None:
        message.table = self
        self.post_message(message)

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0 or not self._rows:
            return
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    def action_cursor_by(self, delta: int) -> None:
        self._move_cursor(self._cursor + delta)

    def action_cursor_page(self, direction: int) -> None:
        # One line of overlap keeps context, as in most pagers.
        self._move_cursor(
            self._cursor + direction * max(1, self.scrollable_content_region.height - 1)
        )

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self._rows) - 1)

    def _today(self) -> date:
        return self._now().astimezone().date()  # due dates are the user's calendar days

    def on_mount(self) -> None:
        # Relative times drift; a cheap periodic repaint keeps them honest.
        self.set_interval(30, self.refresh)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        self._style_gen += 1
        super().notify_style_update()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if event.chain > 1:
            # The rest of a double click: the first click did it all. (A todo marked done
            # by it has moved away: the row under the pointer is another one now.)
            event.stop()
            return
        row = offset.y + self.scroll_offset.y
        if not 0 <= row < len(self._rows):
            return
        event.stop()
        self._move_cursor(row)
        if offset.x < _MARK_WIDTH:
            self._post(self.ToggleClicked(self._rows[row].record.id))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + self.scroll_offset.y
        if not self._rows and y == 0:
            return self._render_hint(width)
        if not 0 <= row < len(self._rows):
            return Strip.blank(width, self.rich_style)
        entry = self._rows[row]
        is_cursor = row == self._cursor
        now = self._now()
        when = relative_time(entry.record.updated_at, now)
        today = now.astimezone().date()  # as _today(), from the one reading of the clock
        # has_focus: the cursor style depends on :focus, and Textual repaints on blur.
        columns = (self._prioritised > 0, self._dated > 0)
        marked = entry.record.id in self._marked
        key = (width, is_cursor, self.has_focus, when, today, columns, self._style_gen)
        key += (marked, self._query)
        if entry.cache is not None and entry.cache[0] == key:
            return entry.cache[1]
        strip = self._render_entry(entry.record, width, is_cursor, when, today, marked)
        entry.cache = (key, strip)
        return strip

    def _style(self, *classes: str) -> Style:
        return self.get_visual_style(*classes).rich_style

    def _render_entry(
        self,
        record: TodoRecord,
        width: int,
        is_cursor: bool,
        when: str,
        today: date,
        marked: bool = False,
    ) -> Strip:
        row = ("todo-table--cursor",) if is_cursor else ()
        # Strike only the title: struck padding would draw a line across the row.
        plain = self._style(*row)
        title_style = self._style("todo-table--done", *row) if record.is_completed else plain
        due, due_class = "", "todo-table--due"
        if record.due_date is not None:
            due = relative(record.due_date, today)
            if record.due_time is not None:
                due += f" {record.due_time:%H:%M}"
            if not record.is_completed and record.due_date <= today:
                due_class = (
                    "todo-table--today" if record.due_date == today else "todo-table--overdue"
                )
        right = [(" " + when.rjust(_TIME_COL), "todo-table--time")]
        if self._dated:
            right.insert(0, (" " + due.rjust(_DUE_COL), due_class))
        marks_width = _PRIORITY_COL if self._prioritised else 0
        fixed = _MARK_WIDTH + 1 + marks_width + 1
        if len(right) > 1 and width < fixed + sum(len(text) for text, _ in right) + 30:
            # Too narrow for both columns and a title of 30: the due date only.
            right = right[:1]  # the due column if there is one, else the time
        right_width = sum(cell_len(text) for text, _ in right)
        segments = [Segment("[x]" if record.is_completed else "[ ]", plain)]
        marker = Segment("•", self._style(*row, "todo-table--marked")) if marked else None
        segments.append(marker or Segment(" ", plain))
        if marks := PRIORITY_MARKS[record.priority]:
            segments.append(Segment(marks, self._style(*row, "todo-table--priority")))
        if marks_width - len(marks):
            segments.append(Segment(" " * (marks_width - len(marks)), plain))
        avail = max(0, width - _MARK_WIDTH - 1 - marks_width - right_width)
        title = sanitize(record.title)
        tags = sanitize(" ".join(f"#{tag}" for tag in record.tags))
        desc = ""
        if cell_len(title) >= avail:
            title, tags = fit(title, avail), ""
        else:
            rest = avail - cell_len(title)
            tags = fit(tags, rest - 2) if tags else ""
            rest -= 2 + cell_len(tags) if tags else 0
            desc = fit(sanitize(first_line(record.description)), rest - 2)
        segments += self._highlighted(title, title_style, row)
        used = cell_len(title)
        if tags:
            segments.append(Segment("  ", plain))
            segments.append(Segment(tags, self._style(*row, "todo-table--tags")))
            used += 2 + cell_len(tags)
        if desc:
            segments.append(Segment("  ", plain))
            segments += self._highlighted(desc, self._style(*row, "todo-table--description"), row)
            used += 2 + cell_len(desc)
        segments.append(Segment(" " * (avail - used), plain))
        segments.extend(Segment(text, self._style(*row, style)) for text, style in right)
        return Strip(segments).adjust_cell_length(width, plain)

    def _highlighted(self, text: str, style: Style, row: tuple[str, ...]) -> list[Segment]:
        """`text` in `style`, the search's matches in it stand out."""
        spans = search.spans(text, self._query.words)
        if not spans:
            return [Segment(text, style)]
        match = style + self._style(*row, "todo-table--match")
        segments, at = [], 0
        for start, end in spans:
            segments += [Segment(text[at:start], style), Segment(text[start:end], match)]
            at = end
        segments.append(Segment(text[at:], style))
        return [segment for segment in segments if segment.text]

    def _render_hint(self, width: int) -> Strip:
        if not self._entries and not self._done:
            hint = "No todos yet: press a to add one."
        elif views.shows_done(self.view) and not self._holds_done:
            hint = "Loading the done todos…"
        elif self.search_text:
            scope = "" if self.view == "all" else f" in {sanitize(views.name_of(self.view))}"
            hint = f'No todos{scope} match "{sanitize(self.search_text)}".'
        else:
            hint = sanitize(views.empty_text(self.view))
        style = self._style("todo-table--hint")
        return Strip([Segment(fit(hint, width), style)]).adjust_cell_length(width, style)
