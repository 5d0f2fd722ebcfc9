"""The asyncio server loop over our own TLS engine.

One `NativeTLSChannel` per TCP connection: every chunk the socket delivers
goes straight into `ServerConnection.receive_data`; the events come back in
order (ClientHelloReceived, HandshakeComplete, ApplicationData, ...);
`data_to_send()` goes to the transport once per chunk, so a handshake flight
or a response is one write. Application data is handed to the HTTP protocol
chosen by ALPN as the bytes the engine decrypted, without another copy.
"""

from __future__ import annotations

import logging

from port443.net.channel import AppFactory, Channel, Registry
from port443.net.tlsinfo import from_native
from port443.tls import ServerConnection, TLSError
from port443.tls.errors import ConnectionClosedError
from port443.tls.events import ApplicationData, ClientHelloReceived, ConnectionClosed, HandshakeComplete

log = logging.getLogger("port443.serve")

PLAIN_HTTP_METHODS = (b"GET ", b"HEAD", b"POST", b"PUT ", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC", b"PRI ")
PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                     b"Content-Length: 61\r\n\r\nThis is an HTTPS port: use https:// to talk to this server.\r\n\r\n")


class TLSSettings:
    """The current TLS configuration; SIGHUP swaps it, connections already open keep theirs."""

    def __init__(self, native=None, openssl=None) -> None:
        self.native = native  # port443.tls.ServerConfig
        self.openssl = openssl  # port443.net.aio_openssl.OpenSSLContexts


class NativeTLSChannel(Channel):
    engine = "native"

    def __init__(self, registry: Registry, app_factory: AppFactory, settings: TLSSettings) -> None:
        super().__init__(registry, app_factory)
        self.conn = ServerConnection(settings.native)
        self.hello: ClientHelloReceived | None = None

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        conn = self.conn
        if self.bytes_in == len(data) and data[:4] in PLAIN_HTTP_METHODS:
            self._plain_http_on_tls_port()
            return
        try:
            events = conn.receive_data(data)
        except TLSError as exc:
            self._dispatch(exc.events)
            self._failed(exc)
            return
        if events:
            self._dispatch(events)
        out = conn.data_to_send()
        if out and not self.closed:
            self.bytes_out += len(out)
            self.transport.write(out)  # type: ignore[union-attr]

    def _dispatch(self, events: list) -> None:
        for event in events:
            kind = type(event)
            if kind is ApplicationData:
                if self.app is not None:
                    self.app.data_received(event.data)
            elif kind is HandshakeComplete:
                self.tls = from_native(event, self.hello)
                self.hello = None
                self.start_app()
                if self.draining:
                    self.app.shutdown()  # type: ignore[union-attr]
            elif kind is ClientHelloReceived:
                self.hello = event
            elif kind is ConnectionClosed:
                if self.app is not None:
                    self.app.eof_received()
                else:
                    self.close()

    def eof_received(self) -> bool:
        if self.app is not None and self.conn.handshake_complete:
            self.app.eof_received()  # a TCP FIN without close_notify: treat as the end of requests
            return True
        return False

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.conn.send(data)
        except ConnectionClosedError:
            return
        out = self.conn.data_to_send()
        self.bytes_out += len(out)
        self.transport.write(out)  # type: ignore[union-attr]

    def close(self) -> None:
        if self.closed:
            return
        if self.conn.handshake_complete:
            self.conn.close()
            out = self.conn.data_to_send()
            if out:
                self.write_raw(out)
        super().close()

    def _failed(self, exc: TLSError) -> None:
        alert = exc.alert.name if exc.alert is not None else "none"
        log.info("TLS from %s:%s failed: %s (alert sent: %s)", self.peer[0], self.peer[1], exc.message, alert)
        out = self.conn.data_to_send()
        if out:
            self.write_raw(out)
        Channel.close(self)

    def _plain_http_on_tls_port(self) -> None:
        log.info("plain HTTP from %s:%s on the HTTPS port; answered 400", self.peer[0], self.peer[1])
        self.write_raw(PLAIN_HTTP_ANSWER)
        Channel.close(self)
