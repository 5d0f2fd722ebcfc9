"""Standalone challenge responders for `port443 cert acme`: HTTP-01 and TLS-ALPN-01.

They run the same code as `port443 serve` (the HTTP/1.1 server over a plain
channel for HTTP-01; our TLS engine with the acme-tls/1 certificates for
TLS-ALPN-01) on an asyncio loop in a thread, answering only what the
challenge board holds, until `stop()`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import threading

from port443.acme.board import ChallengeBoard, Http01Handler
from port443.acme.tlsalpn import ALPN_PROTOCOL
from port443.http.h1 import H1Server
from port443.http.site import Site
from port443.net.aio import NativeTLSChannel
from port443.net.channel import TLSSettings
from port443.net.channel import Limits, PlainChannel, Registry
from port443.serve.listen import bind_sockets
from port443.tls.config import ServerConfig

START_TIMEOUT = 10.0
LIMITS = Limits(handshake_timeout=10.0, header_timeout=10.0, idle_timeout=10.0, max_header_size=8192,
                max_body_size=1024, max_connections=256, drain_timeout=2.0)


class ResponderError(OSError):
    """A responder port could not be bound; the message says what to do."""


def challenge_config(board: ChallengeBoard, base: ServerConfig | None) -> ServerConfig | None:
    """`base` with the board's acme-tls/1 certificates (or, with no base, a config of only those)."""
    alpn = tuple((ALPN_PROTOCOL, ck) for ck in board.alpn_certificates())
    if base is None:
        return ServerConfig(alpn_certificates=alpn, session_tickets=0) if alpn else None
    return dataclasses.replace(base, alpn_certificates=alpn)


def _bind(host: str, port: int, challenge: str) -> list:
    try:
        return bind_sockets(host, port, False)
    except OSError as exc:
        other = "tls-alpn-01" if challenge == "http-01" else "http-01"
        if exc.errno in (errno.EACCES, errno.EPERM):
            why = f"port {port} needs privileges: run as root or give Python cap_net_bind_service"
        elif exc.errno == errno.EADDRINUSE:
            why = (f"port {port} is in use by another server: stop it for a moment, or let `port443 serve "
                   "--domain` answer the challenge itself")
        else:
            why = exc.strerror or str(exc)
        raise ResponderError(exc.errno, f"cannot listen on {host or '*'}:{port} for {challenge} ({why}); "
                             f"or try --challenge {other}") from None


class _Refuse(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        transport.abort()


class Responders:
    """Listens for the CA's validation requests; `with Responders(...) as r:` starts and stops it."""

    def __init__(self, board: ChallengeBoard, host: str = "", http_port: int | None = None,
                 tls_port: int | None = None) -> None:
        self.board, self.host = board, host
        self._wanted = (http_port, tls_port)
        self.http_port: int | None = None
        self.tls_port: int | None = None
        self.settings = TLSSettings()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def _challenges_changed(self) -> None:
        config = challenge_config(self.board, None)
        if config is not None:
            self.settings.native = config  # read by the loop thread for each new connection

    def start(self) -> "Responders":
        http_port, tls_port = self._wanted
        http = _bind(self.host, http_port, "http-01") if http_port is not None else []
        try:
            tls = _bind(self.host, tls_port, "tls-alpn-01") if tls_port is not None else []
        except OSError:
            for s in http:
                s.close()
            raise
        self.http_port = http[0].getsockname()[1] if http else None
        self.tls_port = tls[0].getsockname()[1] if tls else None
        self.board.subscribe(self._challenges_changed)
        self._thread = threading.Thread(target=self._run, args=(http, tls), name="acme-responders", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            raise ResponderError(errno.EIO, f"the challenge responders did not start: {self._error}")
        return self

    def _run(self, http, tls) -> None:
        try:
            asyncio.run(self._serve(http, tls))
        except BaseException as exc:  # reported by start(); the thread must not die silently
            self._error = exc
            self._ready.set()

    async def _serve(self, http, tls) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        registry = Registry(LIMITS, loop)
        site = Site(Http01Handler(self.board), None, None, tls=False)
        settings = self.settings

        def tls_channel():
            if settings.native is None:
                return _Refuse()
            return NativeTLSChannel(registry, lambda ch: H1Server(ch, site, LIMITS), settings)

        servers = []
        for sock in http:
            servers.append(await loop.create_server(
                lambda: PlainChannel(registry, lambda ch: H1Server(ch, site, LIMITS, scheme="http")), sock=sock))
        for sock in tls:
            servers.append(await loop.create_server(tls_channel, sock=sock))
        self._ready.set()
        await self._stop.wait()
        for server in servers:
            server.close()
        await registry.drain()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(START_TIMEOUT)

    def __enter__(self) -> "Responders":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
