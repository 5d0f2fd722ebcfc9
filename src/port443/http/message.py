"""Requests and responses shared by HTTP/1.1, HTTP/2 and the handlers.

A handler is `handle(request) -> Response | Awaitable[Response]`. Returning a
Response directly (static files, the built-in page, redirects) costs no task;
the reverse proxy returns a coroutine. Header names are lowercase bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Union

Headers = list[tuple[bytes, bytes]]


class BodyTooLarge(Exception):
    """The request body went over the configured limit."""


class Body:
    """A request body arriving in pieces: the protocol feeds it, a handler reads it.

    Reading pauses the connection when more than `high_water` bytes wait, so a
    fast uploader cannot fill memory while the upstream is slow.
    """

    high_water = 256 * 1024

    def __init__(self, limit: int, pause: Callable[[], None] | None = None,
                 resume: Callable[[], None] | None = None, on_read: Callable[[int], None] | None = None) -> None:
        self.limit = limit
        self.received = 0
        self.done = False
        self.error: BaseException | None = None
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._waiter: asyncio.Future | None = None
        self._pause, self._resume, self._on_read = pause, resume, on_read
        self._paused = False
        self.started = False  # a handler began reading (HTTP/1.1 sends 100 Continue then)
        self.on_start: Callable[[], None] | None = None

    # --- the protocol side
    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.received > self.limit:
            raise BodyTooLarge(f"request body over the {self.limit}-byte limit")
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > self.high_water and self._pause and not self._paused:
            self._paused = True
            self._pause()
        self._wake()

    def finish(self) -> None:
        self.done = True
        self._wake()

    def fail(self, exc: BaseException) -> None:
        if not self.done:
            self.error = exc
            self.done = True
            self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    # --- the handler side
    async def read_chunk(self) -> bytes:
        """The next piece of the body; b"" at its end."""
        if not self.started:
            self.started = True
            if self.on_start:
                self.on_start()
        while not self._chunks:
            if self.error is not None:
                raise self.error
            if self.done:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        data = self._chunks.pop(0)
        self._buffered -= len(data)
        if self._on_read:
            self._on_read(len(data))
        if self._paused and self._buffered <= self.high_water // 2:
            self._paused = False
            if self._resume:
                self._resume()
        return data

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            data = await self.read_chunk()
            if not data:
                return
            yield data



@dataclass(slots=True)
class Request:
    method: str
    target: str  # path and query as sent (origin-form)
    headers: Headers
    http_version: str  # "1.1", "1.0" or "2"
    scheme: str  # "https", or "http" on the redirect port
    authority: str  # Host (HTTP/1.1) or :authority (HTTP/2), "" when absent
    client: tuple[str, int]
    channel: Any  # the net channel: .tls, .bytes_in, .bytes_out, .connection_number
    body: Body | None = None  # None: the request has no body
    stream_id: int | None = None  # HTTP/2 stream

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_values(self, name: bytes) -> list[bytes]:
        return [v for k, v in self.headers if k == name]

    @property
    def host(self) -> str:
        """The authority without its port, lowercased (IPv6 keeps its brackets)."""
        return host_without_port(self.authority)


def host_without_port(authority: str) -> str:
    a = authority.strip().lower()
    if a.startswith("["):
        end = a.find("]")
        return a[:end + 1] if end > 0 else a
    return a.rsplit(":", 1)[0] if a.count(":") == 1 else a


@dataclass(slots=True)
class FileBody:
    """Part of an open file, streamed in chunks (ranges and large files)."""

    path: str
    offset: int
    length: int

    def chunks(self, size: int = 256 * 1024):
        """The bytes in chunks of at most `size`; ConnectionError if the file shrank meanwhile."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            left = self.length
            while left > 0:
                chunk = f.read(min(size, left))
                if not chunk:
                    raise ConnectionError("the file shrank while it was being sent")
                left -= len(chunk)
                yield chunk


@dataclass(slots=True)
class Tunnel:
    """After a 101 from the upstream: raw bytes both ways (WebSocket passthrough)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    leftover: bytes = b""  # bytes the upstream sent after its 101 head


@dataclass(slots=True)
class Response:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    file: FileBody | None = None
    stream: AsyncIterator[bytes] | None = None
    tunnel: Tunnel | None = None
    close: bool = False  # close the connection after this response (HTTP/1.1)
    on_done: Callable[[], None] | None = None  # called when the response was sent (or abandoned)
    # The handler's cheap check that the same request would still get this same answer (static files:
    # the file and every directory above it unchanged). HTTP/1.1 then reuses the framed bytes (h1fast).
    fresh: Callable[[], bool] | None = None


Result = Union[Response, Awaitable[Response]]
Handler = Callable[[Request], Result]

REASONS = {
    200: "OK", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently", 304: "Not Modified",
    308: "Permanent Redirect", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large", 416: "Range Not Satisfiable",
    431: "Request Header Fields Too Large", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


def text_response(status: int, message: str, extra: Headers | None = None) -> Response:
    """A short plain-text response: the status line and one sentence, never a traceback."""
    body = f"{status} {REASONS.get(status, '')}\n{message}\n".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    return Response(status, headers + (extra or []), body)
