"""Driving TodoApp in tests: what todo_tui.testing offers (shared with the benchmarks),
re-exported here, and the fixed clock of the snapshots.
"""

from __future__ import annotations

from datetime import UTC, datetime

from todo_tui.testing import EMAIL as EMAIL
from todo_tui.testing import PASSWORD as PASSWORD
from todo_tui.testing import add as add
from todo_tui.testing import create_account as create_account
from todo_tui.testing import eventually as eventually
from todo_tui.testing import feed_online as feed_online
from todo_tui.testing import fill as fill
from todo_tui.testing import log_in as log_in
from todo_tui.testing import make_app as make_app
from todo_tui.testing import notices as notices
from todo_tui.testing import pending_calls as pending_calls
from todo_tui.testing import register as register
from todo_tui.testing import screen_name as screen_name
from todo_tui.testing import settle as settle
from todo_tui.testing import stored as stored
from todo_tui.testing import wait_until as wait_until

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
