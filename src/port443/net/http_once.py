"""One HTTP request over an established TLS connection, HTTP/1.1 (h11) or HTTP/2 (h2).

`handshake` sends exactly one request and keeps the status line and the
headers; the body is read (to see the response end) but only counted, up to
MAX_BODY bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import h11

MAX_BODY = 1 << 20  # bytes of body read before we stop (the count then says "more than")
MAX_HEADERS = 64 * 1024  # bytes of response head h11 accepts
USER_AGENT = "port443-handshake"


@dataclass
class HttpExchange:
    protocol: str  # of the request: "HTTP/1.1" or "HTTP/2"
    method: str
    path: str
    request_headers: list[tuple[str, str]]
    status: int | None = None
    version: str = ""  # of the response, e.g. "HTTP/1.0" from a server that answers 1.1 with 1.0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_bytes: int = 0
    body_complete: bool = False
    error: str | None = None  # what went wrong, when the response did not arrive whole

    @property
    def status_line(self) -> str:
        if self.status is None:
            return "(no response)"
        return f"{self.version or self.protocol} {self.status}" + (f" {self.reason}" if self.reason else "")


def host_header(host: str, port: int) -> str:
    literal = f"[{host}]" if ":" in host else host
    return literal if port == 443 else f"{literal}:{port}"


def exchange(send: Callable[[bytes], None], recv: Callable[[], bytes], alpn: str | None, host: str, port: int,
             method: str, path: str) -> HttpExchange:
    """Send one request and read the response; `recv` returns b"" when the peer has closed."""
    if alpn == "h2":
        return _exchange_h2(send, recv, host, port, method, path)
    return _exchange_h11(send, recv, host, port, method, path)


def _exchange_h11(send, recv, host, port, method, path) -> HttpExchange:
    headers = [("Host", host_header(host, port)), ("User-Agent", USER_AGENT), ("Accept", "*/*"),
               ("Connection", "close")]
    result = HttpExchange("HTTP/1.1", method, path, headers)
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADERS)
    try:
        send(conn.send(h11.Request(method=method, target=path, headers=headers)) + conn.send(h11.EndOfMessage()))
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(recv())
            elif isinstance(event, h11.Response):
                result.status, result.reason = event.status_code, event.reason.decode("latin-1")
                result.version = f"HTTP/{event.http_version.decode()}"
                result.headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers.raw_items()]
            elif isinstance(event, h11.Data):
                result.body_bytes += len(event.data)
                if result.body_bytes > MAX_BODY:
                    return result
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                result.body_complete = True
                return result
            elif isinstance(event, h11.InformationalResponse):
                continue
    except h11.RemoteProtocolError as exc:
        result.error = f"the response is not valid HTTP/1.1 ({exc})"
    return result


def _exchange_h2(send, recv, host, port, method, path) -> HttpExchange:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions

    headers = [(":method", method), (":path", path), (":scheme", "https"), (":authority", host_header(host, port)),
               ("user-agent", USER_AGENT), ("accept", "*/*")]
    result = HttpExchange("HTTP/2", method, path, headers)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="latin-1"))
    conn.initiate_connection()
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, headers, end_stream=True)
    try:
        send(conn.data_to_send())
        while True:
            data = recv()
            if not data:
                result.error = result.error or "the server closed the connection before the response ended"
                return result
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                    pairs = [(str(n), str(v)) for n, v in event.headers]
                    result.status = int(dict(pairs).get(":status", "0"))
                    result.headers = [(n, v) for n, v in pairs if not n.startswith(":")]
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream_id:
                    result.body_bytes += len(event.data)
                    conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                    if result.body_bytes > MAX_BODY:
                        return result
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                    result.body_complete = True
                    return result
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                    result.error = f"the server reset the stream (error code {event.error_code})"
                    return result
                elif isinstance(event, h2.events.ConnectionTerminated):
                    result.error = f"the server ended the HTTP/2 connection (error code {event.error_code})"
                    return result
            pending = conn.data_to_send()
            if pending:
                send(pending)
    except h2.exceptions.ProtocolError as exc:
        result.error = f"the response is not valid HTTP/2 ({exc})"
    return result
