"""A loopback TCP proxy for PostgreSQL that counts round trips and can add distance or drop.

    with WireProxy("127.0.0.1", 5432) as wire:
        url = wire.url(server_url)        # the same URL, through the proxy
        ...                               # warm up
        wire.reset()
        ...                               # one action
        assert wire.count == 1            # query messages the client sent

What it counts: the frontend messages of the PostgreSQL protocol, parsed from the client's
byte stream. psycopg2 speaks the simple-query protocol, so each 'Q' message after the
start-up phase is one round trip (BEGIN, COMMIT and a pool's `SELECT 1` included, which a
`before_cursor_execute` listener never sees); an extended-protocol client ends each round
trip with a Sync ('S'), which is counted too. The start-up phase (SSLRequest or
GSSENCRequest, StartupMessage, then the authentication replies, all before the server's
first ReadyForQuery) is counted apart, in `startups` and `connections`. Connections are
numbered as accepted: `sent`, `queries_by_connection` and `new_connections` tell which
connection sent what, and which ones are new since the last `reset()`.

Controls, all safe to use from any thread while connections are open:
- `delay`: seconds added in each direction, to every chunk (so one round trip costs
  2 * delay more), without serialising pipelined traffic;
- `cut()`: the network drops. By default every open connection is closed at once (both
  sides see a reset) and new ones are refused until `restore()`; `cut(hang=True)` instead
  leaves them open but silent (nothing is delivered in either direction, new connections
  are accepted and hang), the way a dead route looks, until `restore()` delivers what was
  held, as TCP would once the route is back;
- `close()`: stop accepting, close everything, join the threads.

Bounded: it listens on 127.0.0.1 only, forwards only to a loopback address, holds at most
`max_connections` connections and buffers at most `max_buffered` bytes per direction
(a reader waits for the writer beyond that).
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
# Frontend messages that end a round trip once the connection is ready.
ROUND_TRIP_TYPES = frozenset(b"QS")  # simple Query; Sync of the extended protocol
RECENT_QUERIES = 1000
CHUNK = 65536


@dataclass
class _Stats:
    count: int = 0  # round trips (Q and S messages after start-up)
    connections: int = 0  # connections accepted
    startups: int = 0  # start-up phase messages (SSLRequest, StartupMessage, password…)
    encrypted: int = 0  # connections that switched to TLS: their queries cannot be counted
    messages: collections.Counter = field(default_factory=collections.Counter)
    queries: collections.deque = field(
        default_factory=lambda: collections.deque(maxlen=RECENT_QUERIES)
    )
    # (connection number, query text), in order, for telling connections apart
    sent: collections.deque = field(
        default_factory=lambda: collections.deque(maxlen=RECENT_QUERIES)
    )
    new: set = field(default_factory=set)  # numbers of the connections accepted


class _FrontendParser:
    """Splits the client's byte stream into PostgreSQL frontend messages."""

    def __init__(self, proxy: WireProxy, number: int) -> None:
        self.proxy = proxy
        self.number = number
        self.buffer = bytearray()
        self.untyped = True  # the first message(s) have no type byte
        self.ready = False  # set once the server has sent its first ReadyForQuery
        self.opaque = False  # TLS: nothing more can be parsed

    def feed(self, data: bytes) -> None:
        if self.opaque:
            return
        self.buffer += data
        while not self.opaque:
            if self.untyped:
                if not self.buffer:
                    return
                if self.buffer[0] == 0x16:  # a TLS handshake record after SSLRequest 'S'
                    self.opaque = True
                    with self.proxy._lock:
                        self.proxy._stats.encrypted += 1
                    return
                if len(self.buffer) < 8:
                    return
                length, code = struct.unpack("!ii", self.buffer[:8])
                if len(self.buffer) < length:
                    return
                del self.buffer[:length]
                with self.proxy._lock:
                    self.proxy._stats.startups += 1
                # After SSLRequest/GSSENCRequest comes another untyped message (or TLS).
                self.untyped = code in (SSL_REQUEST, GSSENC_REQUEST)
                continue
            if len(self.buffer) < 5:
                return
            kind = self.buffer[0]
            (length,) = struct.unpack("!i", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return
            body = bytes(self.buffer[5 : 1 + length])
            del self.buffer[: 1 + length]
            self._message(kind, body)

    def _message(self, kind: int, body: bytes) -> None:
        stats = self.proxy._stats
        with self.proxy._lock:
            if not self.ready:
                stats.startups += 1  # a password or SASL reply during authentication
                return
            stats.messages[chr(kind)] += 1
            if kind in ROUND_TRIP_TYPES:
                stats.count += 1
            if kind == ord("Q"):
                text = body.rstrip(b"\0").decode("utf-8", "replace")
                stats.queries.append(text)
                stats.sent.append((self.number, text))


class _BackendWatcher:
    """Watches the server's stream only for the first ReadyForQuery ('Z')."""

    def __init__(self, parser: _FrontendParser) -> None:
        self.parser = parser
        self.buffer = bytearray()
        self.first = True  # the reply to SSLRequest is a single byte

    def feed(self, data: bytes) -> None:
        if self.parser.ready or self.parser.opaque:
            return
        self.buffer += data
        while True:
            if self.first and self.parser.untyped:
                # 'S' or 'N' answering an SSLRequest/GSSENCRequest, before any typed message.
                if not self.buffer:
                    return
                if self.buffer[0] in b"SNG":
                    del self.buffer[:1]
                    continue
            self.first = False
            if len(self.buffer) < 5:
                return
            kind = self.buffer[0]
            (length,) = struct.unpack("!i", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return
            del self.buffer[: 1 + length]
            if kind == ord("Z"):
                with self.parser.proxy._lock:
                    self.parser.ready = True
                self.buffer.clear()
                return


class _Pipe:
    """One direction of one connection: a reader thread and a writer thread with a queue of
    (due time, bytes) between them, so a delay shifts every chunk without serialising."""

    def __init__(self, proxy: WireProxy, source: socket.socket, target: socket.socket, name: str):
        self.proxy = proxy
        self.source = source
        self.target = target
        self.chunks: collections.deque[tuple[float, bytes]] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.dead = False  # the writer has stopped: nothing will drain the queue
        self.condition = threading.Condition()
        self.inspect = None  # a callable fed every chunk as it is read
        self.threads = [
            threading.Thread(target=self._read, name=f"wire-{name}-read", daemon=True),
            threading.Thread(target=self._write, name=f"wire-{name}-write", daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _read(self) -> None:
        try:
            while True:
                data = self.source.recv(CHUNK)
                if not data:
                    break
                if self.inspect is not None:
                    self.inspect(data)
                due = time.monotonic() + self.proxy.delay
                with self.condition:
                    while self.buffered > self.proxy.max_buffered and not self.dead:
                        self.condition.wait(0.1)
                    self.chunks.append((due, data))
                    self.buffered += len(data)
                    self.condition.notify_all()
        except OSError:
            pass
        finally:
            with self.condition:
                self.eof = True
                self.condition.notify_all()

    def _write(self) -> None:
        try:
            while True:
                with self.condition:
                    while not self.chunks and not self.eof:
                        self.condition.wait()
                    if not self.chunks:
                        break  # end of stream and everything delivered
                    due, data = self.chunks[0]
                    now = time.monotonic()
                    if self.proxy._held.is_set() or now < due:
                        wait = 0.05 if self.proxy._held.is_set() else due - now
                        self.condition.wait(wait)
                        continue
                    self.chunks.popleft()
                    self.buffered -= len(data)
                    self.condition.notify_all()
                self.target.sendall(data)
            with contextlib.suppress(OSError):
                self.target.shutdown(socket.SHUT_WR)
            failed = False
        except OSError:
            failed = True
        with self.condition:
            self.dead = True
            self.chunks.clear()
            self.buffered = 0
            self.condition.notify_all()
        self.proxy._pipe_done(self, failed=failed)

    def wake(self) -> None:
        with self.condition:
            self.condition.notify_all()

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)


class _Connection:
    def __init__(
        self, proxy: WireProxy, client: socket.socket, server: socket.socket, number: int
    ) -> None:
        self.number = number
        self.client = client
        self.server = server
        parser = _FrontendParser(proxy, number)
        watcher = _BackendWatcher(parser)
        self.up = _Pipe(proxy, client, server, "up")
        self.down = _Pipe(proxy, server, client, "down")
        self.up.inspect = parser.feed
        self.down.inspect = watcher.feed
        self.done = 0

    def start(self) -> None:
        self.up.start()
        self.down.start()

    def close(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                # SO_LINGER 0: a reset, as when a network path dies under a connection.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.up.wake()
        self.down.wake()


class WireProxy:
    """See the module docstring. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        upstream_host: str = "127.0.0.1",
        upstream_port: int = 5432,
        *,
        delay: float = 0.0,
        max_connections: int = 32,
        max_buffered: int = 8 * 1024 * 1024,
    ) -> None:
        if not ipaddress.ip_address(socket.gethostbyname(upstream_host)).is_loopback:
            raise ValueError(f"WireProxy forwards to loopback only, not {upstream_host}")
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.max_connections = max_connections
        self.max_buffered = max_buffered
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._connections: set[_Connection] = set()
        self._accepted = 0
        self._refusing = False
        self._held = threading.Event()
        self._closed = False
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=max_connections)
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._acceptor = threading.Thread(target=self._accept, name="wire-accept", daemon=True)
        self._acceptor.start()

    # -- what was seen ---------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Round trips since the last reset: 'Q' (and 'S') messages after start-up."""
        with self._lock:
            return self._stats.count

    @property
    def connections(self) -> int:
        """Connections accepted since the last reset."""
        with self._lock:
            return self._stats.connections

    @property
    def startups(self) -> int:
        """Start-up phase messages (SSLRequest, StartupMessage, authentication replies)."""
        with self._lock:
            return self._stats.startups

    @property
    def encrypted(self) -> int:
        with self._lock:
            return self._stats.encrypted

    @property
    def queries(self) -> list[str]:
        """The text of the last (up to 1,000) simple queries since the last reset."""
        with self._lock:
            return list(self._stats.queries)

    @property
    def sent(self) -> list[tuple[int, str]]:
        """(connection number, query text) of the last (up to 1,000) simple queries since the
        last reset, in the order the proxy received them."""
        with self._lock:
            return list(self._stats.sent)

    @property
    def queries_by_connection(self) -> dict[int, list[str]]:
        """The queries since the last reset, by connection number (in order of first use)."""
        with self._lock:
            sent = list(self._stats.sent)
        grouped: dict[int, list[str]] = {}
        for number, text in sent:
            grouped.setdefault(number, []).append(text)
        return grouped

    @property
    def new_connections(self) -> set[int]:
        """The numbers of the connections accepted since the last reset."""
        with self._lock:
            return set(self._stats.new)

    @property
    def messages(self) -> dict[str, int]:
        """Frontend messages after start-up, by type letter."""
        with self._lock:
            return dict(self._stats.messages)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def reset(self) -> None:
        with self._lock:
            self._stats = _Stats()

    @contextlib.contextmanager
    def counting(self) -> Iterator[_Stats]:
        """Reset, run the block, and hand back what it sent (valid after the block)."""
        self.reset()
        yield self._stats

    def url(self, url: str) -> str:
        """`url` (postgresql://…) with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # -- the network -----------------------------------------------------------------------

    def cut(self, *, hang: bool = False) -> None:
        """Drop the network: close every connection and refuse new ones (or, with `hang`,
        keep everything open but deliver nothing) until `restore()`."""
        if hang:
            self._held.set()
            return
        with self._lock:
            self._refusing = True
            connections = list(self._connections)
        for connection in connections:
            connection.close()

    def restore(self) -> None:
        """The network is back: accept again, and deliver what a hang held."""
        with self._lock:
            self._refusing = False
            connections = list(self._connections)
        self._held.clear()
        for connection in connections:
            connection.up.wake()
            connection.down.wake()

    def close(self) -> None:
        self._closed = True
        self._held.clear()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._acceptor.join(5)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        for connection in connections:
            connection.up.join(5)
            connection.down.join(5)

    def __enter__(self) -> WireProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                refuse = self._refusing or len(self._connections) >= self.max_connections
            if refuse:
                with contextlib.suppress(OSError):
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._accepted += 1
                connection = _Connection(self, client, server, self._accepted)
                self._stats.connections += 1
                self._stats.new.add(connection.number)
                self._connections.add(connection)
            connection.start()

    def _pipe_done(self, pipe: _Pipe, *, failed: bool) -> None:
        """A direction has ended: at the end of its stream, or (failed) on a socket error,
        which ends the whole connection."""
        with self._lock:
            owner = next((c for c in self._connections if pipe in (c.up, c.down)), None)
            if owner is None:
                return
            owner.done += 1
            finished = failed or owner.done == 2
            if finished:
                self._connections.discard(owner)
        if finished:
            owner.close()
