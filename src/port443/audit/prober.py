"""Connections for an audit, with every limit explicit.

One `Prober` per (address, port): at most `host_connections` connections open at
once, each connect and each read bounded by its timeout, and the whole host
bounded by `host_budget` seconds; past the budget every probe raises
`BudgetExceeded` and is reported as not tested. `ask()` is one connection that
sends a hello and reads until the answer is complete; `link()` keeps the
connection for probes that talk on (Heartbleed, CCS injection, ROBOT);
`handshake()` drives the engine's client for what needs a full handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from typing import Callable

from port443.audit.answers import Answer
from port443.net.probe import ProbeResult, connect_failure
from port443.tls import ClientConfig, ClientConnection, TLSError
from port443.tls import events as ev

READ_SIZE = 65536
MAX_ENGINE_BYTES = 1 << 20  # what one full handshake plus an HTTP answer may bring


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0  # seconds for the TCP handshake
    read_timeout: float = 5.0  # seconds to wait for each answer
    host_budget: float = 60.0  # seconds for everything about one address
    host_connections: int = 8  # connections open at once to one address

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "host_budget"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if not 1 <= self.host_connections <= 64:
            raise ValueError("host_connections must be between 1 and 64")


class BudgetExceeded(Exception):
    """The per-host time budget ran out before this probe could finish."""


class Unreachable(Exception):
    """The TCP connection failed: kind is "closed" (reset), "filtered" (no answer) or "unreachable"."""

    def __init__(self, message: str, kind: str = "unreachable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Target:
    host: str  # as the user wrote it
    address: str  # the IP address connected to
    port: int
    server_name: str | None  # SNI and the name certificates are checked against


@dataclass
class Link:
    """An open connection: send bytes, read into an Answer until a condition holds."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    prober: "Prober"
    answer: Answer = field(default_factory=Answer)

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def read(self, until: Callable[[Answer], bool] = lambda a: a.finished, timeout: float | None = None) -> Answer:
        """Read until `until(answer)`, the peer closes, or the read timeout (or the budget) runs out."""
        answer = self.answer
        limit = self.prober.limits.read_timeout if timeout is None else timeout
        deadline = min(time.monotonic() + limit, self.prober.deadline)
        while not until(answer) and not answer.closed:
            chunk = await read_before(self.reader, deadline)
            if chunk is None:
                answer.timed_out = True
                break
            if not chunk:
                answer.closed = True
                break
            answer.feed(chunk)
        return answer


async def read_before(reader: asyncio.StreamReader, deadline: float) -> bytes | None:
    """The next bytes from the peer: None when `deadline` passes first, b"" when it closed or reset."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    try:
        return await asyncio.wait_for(reader.read(READ_SIZE), remaining)
    except TimeoutError:  # asyncio's too
        return None
    except OSError:  # a reset, or any other error on the socket: the connection is over
        return b""


class Prober:
    def __init__(self, target: Target, limits: Limits = Limits()) -> None:
        self.target = target
        self.limits = limits
        self.started = time.monotonic()
        self.deadline = self.started + limits.host_budget
        self.gate = asyncio.Semaphore(limits.host_connections)
        self.connections = 0

    def _check_budget(self) -> None:
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded(f"the {self.limits.host_budget:g} s budget for this host ran out")

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self._check_budget()
        timeout = min(self.limits.connect_timeout, self.deadline - time.monotonic())
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.target.address, self.target.port, limit=READ_SIZE * 4), timeout)
        except OSError as exc:  # asyncio.TimeoutError is TimeoutError, an OSError
            result, detail = connect_failure(exc, timeout)
            if result is ProbeResult.FILTERED:
                self._check_budget()
            raise Unreachable(detail, result.value if result else "unreachable") from None
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        return reader, writer

    @contextlib.asynccontextmanager
    async def link(self):
        async with self.gate:
            reader, writer = await self._connect()
            try:
                yield Link(reader, writer, self)
            finally:
                writer.transport.abort()

    async def ask(self, payload: bytes, until: Callable[[Answer], bool] = lambda a: a.finished) -> Answer:
        """One connection: send `payload`, read the answer until `until` holds."""
        async with self.link() as link:
            link.send(payload)
            return await link.read(until)

    @contextlib.asynccontextmanager
    async def engine(self, config: ClientConfig):
        """One connection driven by the engine's client (its ClientHello already sent); yields an
        EngineSession whose drive(done) reads and answers until done() holds or the limits hit."""
        async with self.gate:
            reader, writer = await self._connect()
            try:
                conn = ClientConnection(config)
                session = EngineSession(conn, EngineRun(), self, reader, writer)
                session.run.events.extend(conn.pop_events())
                session.flush()
                yield session
            finally:
                writer.transport.abort()

    async def handshake(self, config: ClientConfig, request: bytes | None = None,
                        until_closed: bool = False) -> "EngineRun":
        """A full handshake with the engine's client; optionally send `request` and read the reply."""
        async with self.engine(config) as s:
            conn, run = s.conn, s.run
            await s.drive(lambda: conn.handshake_complete)
            if conn.handshake_complete and request is not None and run.error is None:
                conn.send(request)
                s.flush()
                await s.drive(lambda: run.closed if until_closed else False, settle=not until_closed)
            if conn.handshake_complete and not conn.closed:
                conn.close()  # close_notify: a server keeps a session only after a clean close (RFC 5246 §7.2.1)
                s.flush()
        return run


@dataclass
class EngineSession:
    conn: ClientConnection
    run: "EngineRun"
    prober: Prober
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.writer.write(out)

    async def drive(self, done: Callable[[], bool], settle: bool = False) -> None:
        """Read and answer until done() holds, the peer closes, the engine fails or the limits hit;
        with `settle`, stop as soon as a whole HTTP response head has arrived."""
        conn, run = self.conn, self.run
        deadline = min(time.monotonic() + self.prober.limits.read_timeout, self.prober.deadline)
        while not done() and run.error is None and not run.closed:
            chunk = await read_before(self.reader, deadline)
            if chunk is None:
                run.timed_out = True
                return
            if not chunk:
                run.closed = True
                return
            run.received += len(chunk)
            if run.received > MAX_ENGINE_BYTES:
                run.error = f"more than {MAX_ENGINE_BYTES} bytes in one handshake; stopped reading"
                return
            try:
                new = conn.receive_data(chunk)
            except TLSError as exc:
                run.events.extend(exc.events)
                run.error = exc.message
                run.alert = exc.alert.name if exc.alert is not None else None
                return
            run.events.extend(new)
            self.flush()
            if any(isinstance(e, ev.ConnectionClosed) for e in new):
                run.closed = True
            if settle and any(isinstance(e, ev.ApplicationData) for e in new) and run.http_complete():
                return


@dataclass
class EngineRun:
    events: list = field(default_factory=list)
    error: str | None = None
    alert: str | None = None
    closed: bool = False
    timed_out: bool = False
    received: int = 0

    def first(self, kind: type):
        for e in self.events:
            if isinstance(e, kind):
                return e
        return None

    def all(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def complete(self) -> ev.HandshakeComplete | None:
        return self.first(ev.HandshakeComplete)

    def app_data(self) -> bytes:
        return b"".join(e.data for e in self.all(ev.ApplicationData))

    def http_complete(self) -> bool:
        """Has a whole HTTP/1.1 response head arrived (enough for status and headers)?"""
        return b"\r\n\r\n" in self.app_data()
