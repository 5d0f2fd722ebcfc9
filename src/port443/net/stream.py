"""A blocking socket driver for the sans-IO engine.

`TLSStream` pumps bytes between a connected socket and a ClientConnection or
ServerConnection: handshake, send, receive, close. It is what `demo`, the
tests and simple tools use; `serve` has its own asyncio loop.
"""

from __future__ import annotations

import socket
from typing import Callable

from port443.tls import ApplicationData, ConnectionClosed, HandshakeComplete, TLSError
from port443.tls.connection import Connection
from port443.tls.events import Event

RECV_SIZE = 65536


class StreamClosed(ConnectionError):
    """The peer closed the TCP connection before the TLS exchange was over."""


class TLSStream:
    def __init__(self, sock: socket.socket, conn: Connection, on_event: Callable[[Event], None] | None = None) -> None:
        self.sock = sock
        self.conn = conn
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # TLS writes whole records; Nagle would hold back the small ones (Finished, alerts).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.on_event = on_event
        self.events: list[Event] = []
        self._data = bytearray()
        self.peer_closed = False

    def _flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def _record(self, events: list[Event]) -> None:
        for e in events:
            self.events.append(e)
            if self.on_event is not None:
                self.on_event(e)
            if isinstance(e, ApplicationData):
                self._data += e.data
            elif isinstance(e, ConnectionClosed):
                self.peer_closed = True

    def _pump_once(self) -> None:
        chunk = self.sock.recv(RECV_SIZE)
        if not chunk:
            raise StreamClosed("the peer closed the TCP connection")
        try:
            events = self.conn.receive_data(chunk)
        except TLSError as exc:
            self._record(exc.events)
            self._flush_quietly()
            raise
        self._record(events)
        self._flush()

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except OSError:
            pass

    def do_handshake(self) -> HandshakeComplete:
        self._record(self.conn.pop_events())
        self._flush()
        while not self.conn.handshake_complete:
            if self.peer_closed:
                raise StreamClosed("the peer closed the connection during the handshake")
            self._pump_once()
        return self.conn.complete_event

    def sendall(self, data: bytes) -> None:
        self.conn.send(data)
        self._flush()

    def recv_exactly(self, n: int) -> bytes:
        while len(self._data) < n:
            if self.peer_closed:
                break
            self._pump_once()
        out = bytes(self._data[:n])
        del self._data[:n]
        return out

    def recv_until_closed(self, limit: int = 1 << 30) -> bytes:
        """Everything the peer sends until its close_notify (or TCP EOF)."""
        while not self.peer_closed and len(self._data) <= limit:
            try:
                self._pump_once()
            except StreamClosed:
                break
        out = bytes(self._data)
        self._data.clear()
        return out

    def recv_some(self) -> bytes:
        while not self._data and not self.peer_closed:
            self._pump_once()
        out = bytes(self._data)
        self._data.clear()
        return out

    def update_keys(self, request_peer_update: bool = True) -> None:
        self.conn.update_keys(request_peer_update)
        self._flush()

    def close(self) -> None:
        self.conn.close()
        self._flush_quietly()


def connect(host: str, port: int, conn: Connection, timeout: float = 10.0, **kw) -> TLSStream:
    sock = socket.create_connection((host, port), timeout=timeout)
    stream = TLSStream(sock, conn, **kw)
    return stream


