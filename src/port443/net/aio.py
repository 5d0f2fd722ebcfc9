"""The asyncio server loop over our own TLS engine.

One `NativeTLSChannel` per TCP connection: every chunk the socket delivers
goes straight into `ServerConnection.receive_data`; the events come back in
order (ClientHelloReceived, HandshakeComplete, ApplicationData, ...);
`data_to_send()` goes to the transport once per chunk, so a handshake flight
or a response is one write. Application data is handed to the HTTP protocol
chosen by ALPN as the bytes the engine decrypted, without another copy.
"""

from __future__ import annotations

from port443.net.channel import AppFactory, Channel, Registry, TLSSettings
from port443.net.tlsinfo import from_native
from port443.tls import ServerConnection, TLSError
from port443.tls.errors import ConnectionClosedError
from port443.tls.events import ApplicationData, ClientHelloReceived, ConnectionClosed, HandshakeComplete


class NativeTLSChannel(Channel):
    engine = "native"

    def __init__(self, registry: Registry, app_factory: AppFactory, settings: TLSSettings) -> None:
        super().__init__(registry, app_factory)
        self.conn = ServerConnection(settings.native)
        self.hello: ClientHelloReceived | None = None

    def data_received(self, data: memoryview) -> None:
        self.bytes_in += len(data)
        conn = self.conn
        if self.app is None and self.refuse_plain_http(data):
            return
        try:
            events = conn.receive_data(data)
        except TLSError as exc:
            self._dispatch(exc.events)
            self._failed(exc)
            return
        if events:
            self._dispatch(events)
        self.write_raw(conn.data_to_send())

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
        self.write_raw(self.conn.data_to_send())

    def close(self) -> None:
        if self.closed:
            return
        if self.conn.handshake_complete:
            self.conn.close()
            self.write_raw(self.conn.data_to_send())
        super().close()

    def _failed(self, exc: TLSError) -> None:
        alert = exc.alert.name if exc.alert is not None else "none"
        self.write_raw(self.conn.data_to_send())
        self.tls_failed(f"{exc.message} (alert sent: {alert})")
