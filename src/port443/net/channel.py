"""One accepted connection as the HTTP layer sees it, and the set of them.

A `Channel` is an asyncio BufferedProtocol for one TCP connection: TLS (our
engine or OpenSSL, see aio.py and aio_openssl.py) or plain TCP (the port-80
redirect) at the bottom, an HTTP application protocol on top. The HTTP layer
sees only `write`, `close`, `drain`, `write_paused`,
`pause_reading`/`resume_reading`, `set_timeout`, `tls` and the byte
counters, whatever the engine.

`Registry` holds the live connections: the connection cap, per-address
connection counts (for the built-in page), the timeout sweeper and the
graceful drain.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass
from typing import Callable

from port443.net.tlsinfo import TLSInfo

log = logging.getLogger("port443.serve")

INFINITY = float("inf")
# Bytes waiting to be sent on one connection before it counts as "the peer is not reading" (pause_writing);
# the HTTP layers also queue at most this much of answers in one go before they wait for it to drain.
WRITE_HIGH_WATER = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Every limit of a served connection, explicit (seconds and bytes)."""

    handshake_timeout: float = 10.0  # accept to handshake complete
    header_timeout: float = 10.0  # first byte of a request to the end of its head (slowloris)
    idle_timeout: float = 60.0  # keep-alive: no request and no traffic for this long
    send_timeout: float = 60.0  # the client reads nothing of what waits to be sent for this long
    max_header_size: int = 16 * 1024  # request line and headers
    max_body_size: int = 10 * 1024 * 1024  # request body
    max_connections: int = 10_000  # concurrent connections per worker
    drain_timeout: float = 30.0  # SIGTERM: how long in-flight requests may take to finish


class AppProtocol:
    """What a channel drives on top of itself (HTTP/1.1, HTTP/2)."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> None: ...
    def connection_lost(self) -> None: ...
    def shutdown(self) -> None: ...  # graceful: finish in-flight requests, then close


AppFactory = Callable[["Channel"], AppProtocol]


PLAIN_HTTP_METHODS = (b"GET ", b"HEAD", b"POST", b"PUT ", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC", b"PRI ")
PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                     b"Content-Length: 61\r\n\r\nThis is an HTTPS port: use https:// to talk to this server.\r\n\r\n")


class TLSSettings:
    """The current TLS configuration; SIGHUP swaps it, connections already open keep theirs."""

    def __init__(self, native=None, openssl=None) -> None:
        self.native = native  # port443.tls.ServerConfig
        self.openssl = openssl  # port443.net.aio_openssl.OpenSSLContexts


class Channel(asyncio.BufferedProtocol):
    """Reads land in the worker's one read buffer (`Registry.read_view`) and are handled before the
    next read: no allocation per read, and `data_received` gets a memoryview it must not keep."""

    engine = "plain"

    def __init__(self, registry: "Registry", app_factory: AppFactory) -> None:
        self.registry = registry
        self.app_factory = app_factory
        self.loop = registry.loop
        self.transport: asyncio.Transport | None = None
        self.app: AppProtocol | None = None
        self.tls: TLSInfo | None = None
        self.peer: tuple[str, int] = ("", 0)
        self.bytes_in = 0
        self.bytes_out = 0
        self.connection_number = 0  # how many connections this address has opened to us, this one included
        self.deadline = INFINITY
        self.timeout_reason = ""
        self.send_deadline = INFINITY  # armed while the send buffer is over its high-water mark
        self.closed = False
        self.draining = False
        self.write_paused = False  # the send buffer is over WRITE_HIGH_WATER: the peer is not reading fast enough
        self._drain_waiters: list[asyncio.Future] = []

    # ---------------------------------------------------------------- asyncio
    def get_buffer(self, sizehint: int) -> memoryview:
        return self.registry.read_view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self.registry.read_view[:nbytes])

    def data_received(self, data: memoryview) -> None:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = (str(peer[0]), int(peer[1])) if peer else ("", 0)
        if not self.registry.admit(self):
            self.closed = True
            transport.abort()
            return
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER, low=WRITE_HIGH_WATER // 4)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.registry.remove(self)
        self._wake_drainers()
        if self.app is not None:
            self.app.connection_lost()

    def pause_writing(self) -> None:
        self.write_paused = True
        self.send_deadline = self.loop.time() + self.registry.limits.send_timeout

    def resume_writing(self) -> None:
        self.write_paused = False
        self.send_deadline = INFINITY
        self._wake_drainers()

    def _wake_drainers(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    # ------------------------------------------------------------- for HTTP
    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def write_raw(self, data: bytes) -> None:
        if not self.closed and data:
            self.bytes_out += len(data)
            self.transport.write(data)  # type: ignore[union-attr]

    async def drain(self) -> None:
        """Wait while the socket's send buffer is full (returns at once once closed)."""
        while self.write_paused and not self.closed:
            fut = self.loop.create_future()
            self._drain_waiters.append(fut)
            await fut

    def set_timeout(self, seconds: float | None, reason: str = "idle") -> None:
        self.deadline = INFINITY if seconds is None else self.loop.time() + seconds
        self.timeout_reason = reason

    def pause_reading(self) -> None:
        if not self.closed:
            self.transport.pause_reading()  # type: ignore[union-attr]

    def resume_reading(self) -> None:
        if not self.closed:
            self.transport.resume_reading()  # type: ignore[union-attr]

    def close(self) -> None:
        """Close after what was written is sent."""
        if not self.closed:
            self.closed = True
            self.transport.close()  # type: ignore[union-attr]

    def abort(self) -> None:
        if self.transport is not None:
            self.closed = True
            self.transport.abort()

    def timed_out(self) -> None:
        log.debug("closing %s:%s: %s timeout", self.peer[0], self.peer[1], self.timeout_reason)
        self.close()

    def send_timed_out(self) -> None:
        """The client has read nothing for send_timeout: what waits to be sent never will be."""
        log.info("closing %s:%s: it read nothing for %.0f s (send timeout)", self.peer[0], self.peer[1],
                 self.registry.limits.send_timeout)
        self.abort()

    def shutdown(self) -> None:
        """Graceful drain: let the application finish its in-flight requests."""
        self.draining = True
        if self.app is not None:
            self.app.shutdown()
        else:
            self.close()

    def start_app(self) -> None:
        self.app = self.app_factory(self)
        if self.draining:  # SIGTERM came during the handshake: answer nothing more
            self.app.shutdown()

    def refuse_plain_http(self, data: bytes) -> bool:
        """Plain HTTP as the first bytes on the HTTPS port: a 400 that says to use https://."""
        if self.bytes_in != len(data) or bytes(data[:4]) not in PLAIN_HTTP_METHODS:
            return False
        log.info("plain HTTP from %s:%s on the HTTPS port; answered 400", self.peer[0], self.peer[1])
        self.write_raw(PLAIN_HTTP_ANSWER)
        Channel.close(self)
        return True

    def tls_failed(self, reason: str) -> None:
        """Log the handshake or record failure once and close (the engine queued any alert)."""
        log.info("TLS from %s:%s failed: %s", self.peer[0], self.peer[1], reason)
        Channel.close(self)


class PlainChannel(Channel):
    """Plain TCP (the port-80 redirect): the application starts at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if not self.closed:
            self.start_app()

    def data_received(self, data: memoryview) -> None:
        self.bytes_in += len(data)
        if self.app is not None:
            self.app.data_received(bytes(data))

    def eof_received(self) -> bool:
        if self.app is not None:
            self.app.eof_received()
        return True  # the app closes once it has answered

    def write(self, data: bytes) -> None:
        self.write_raw(data)


class Registry:
    """The live connections of one worker."""

    SWEEP_INTERVAL = 0.25
    REMEMBERED_ADDRESSES = 10_000
    READ_SIZE = 256 * 1024  # one socket read at most (asyncio's own default)

    def __init__(self, limits: Limits, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.limits = limits
        self.loop = loop or asyncio.get_event_loop()
        self.live: set[Channel] = set()
        self.accepted = 0
        self.refused = 0
        self.per_address: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._empty = asyncio.Event()
        self._empty.set()
        self._sweeper: asyncio.TimerHandle | None = None
        self.draining = False
        # Every connection of this worker reads into this one buffer: a read is handled (decrypted,
        # copied or parsed) before the loop makes the next, so it is never overwritten while in use.
        self.read_view = memoryview(bytearray(self.READ_SIZE))

    def admit(self, channel: Channel) -> bool:
        if self.draining or len(self.live) >= self.limits.max_connections:
            self.refused += 1
            return False
        self.accepted += 1
        self.live.add(channel)
        self._empty.clear()
        counts = self.per_address
        n = counts.pop(channel.peer[0], 0) + 1
        counts[channel.peer[0]] = n
        if len(counts) > self.REMEMBERED_ADDRESSES:
            counts.popitem(last=False)
        channel.connection_number = n
        channel.set_timeout(self.limits.handshake_timeout, "handshake")
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(self.SWEEP_INTERVAL, self._sweep)
        return True

    def remove(self, channel: Channel) -> None:
        self.live.discard(channel)
        if not self.live:
            self._empty.set()

    def _sweep(self) -> None:
        now = self.loop.time()
        for channel in [c for c in self.live if c.deadline <= now or c.send_deadline <= now]:
            if channel.send_deadline <= now:
                channel.send_timed_out()
            else:
                channel.timed_out()
        self._sweeper = self.loop.call_later(self.SWEEP_INTERVAL, self._sweep) if self.live else None

    async def drain(self, timeout: float | None = None) -> int:
        """Ask every connection to finish; abort what is left after `timeout`. Returns how many were aborted."""
        self.draining = True
        for channel in list(self.live):
            channel.shutdown()
        try:
            await asyncio.wait_for(self._empty.wait(), self.limits.drain_timeout if timeout is None else timeout)
            return 0
        except asyncio.TimeoutError:
            left = list(self.live)
            for channel in left:
                channel.abort()
            return len(left)
