"""The HTTP/1.1 fast path: the commonest request, parsed without h11.

`parse_simple_head` accepts only a complete, plain request head: GET or HEAD,
origin-form target, HTTP/1.1, exactly one Host, no body framing (no
Content-Length, Transfer-Encoding), no Expect or Upgrade header, a Connection
header only when it says just "close" or "keep-alive",
no obsolete line folding, every name a token and every value made of visible
characters, as h11 requires. Anything else returns None and goes to h11,
which then parses it and answers errors; a test fuzzes this function against
h11 so that whenever it accepts a head, h11 reads the same request from it.
Responses whose body is in memory are framed by `frame_response`.

`AnswerCache` keeps framed answers by request head, for heads seen before:
the same head bytes, answered in the same second (the Date header), while the
handler's `fresh` check passes (static files: the file and the directories
above it unchanged), get the same bytes without parsing or a handler call.
"""

from __future__ import annotations

import re
import time
from typing import Callable, NamedTuple

from port443.http.message import REASONS

_REQUEST_LINE = re.compile(rb"(GET|HEAD) (/[\x21-\x7e]*) HTTP/1\.1")
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*"
                     rb"((?:[\x21-\x7e\x80-\xff](?:[\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[ \t]*")
_NOT_SIMPLE = frozenset((b"content-length", b"transfer-encoding", b"expect", b"upgrade"))

SimpleRequest = tuple[str, str, list[tuple[bytes, bytes]], str, bool]


def parse_simple_head(head: bytes) -> SimpleRequest | None:
    """(method, target, headers with lowercase names, host, close) from a head without its final CRLFCRLF, or None.

    close: the client sent "Connection: close" (answer, then close)."""
    lines = head.split(b"\r\n")
    m = _REQUEST_LINE.fullmatch(lines[0])
    if m is None:
        return None
    headers = []
    host = None
    close = False
    match = _HEADER.fullmatch
    for line in lines[1:]:
        h = match(line)
        if h is None:
            return None
        name = h.group(1).lower()
        if name in _NOT_SIMPLE:
            return None
        if name == b"host":
            if host is not None:
                return None
            host = h.group(2)
        elif name == b"connection":
            option = h.group(2).lower()
            if option == b"close":
                close = True
            elif option != b"keep-alive":
                return None
        headers.append((name, h.group(2)))
    if host is None:
        return None
    return m.group(1).decode(), m.group(2).decode("latin-1"), headers, host.decode("latin-1"), close


_STATUS_LINES = {status: b"HTTP/1.1 %d %s\r\n" % (status, reason.encode()) for status, reason in REASONS.items()}


def frame_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes, close: bool,
                   head_only: bool = False) -> bytes | None:
    """The response head and body as bytes, or None when a header could not be sent as is (h11 decides)."""
    line = _STATUS_LINES.get(status)
    if line is None or status < 200 or status in (204, 304) and body:
        return None
    flat = [line]
    has_length = False
    for k, v in headers:
        flat += (k, b": ", v, b"\r\n")
        if k == b"content-length":
            has_length = True
    head = b"".join(flat)
    n = len(headers) + 1
    if head.count(b"\n") != n or head.count(b"\r") != n:  # a CR or LF inside a name or value: let h11 refuse it
        return None
    tail = []
    if not has_length and status not in (204, 304):
        tail.append(b"content-length: %d\r\n" % len(body))
    if close:
        tail.append(b"connection: close\r\n")
    tail.append(b"\r\n")
    if not head_only:
        tail.append(body)
    return head + b"".join(tail)


class Answer(NamedTuple):
    """A framed answer kept for a request head, and what the access log and the checks need of it."""

    framed: bytes
    second: int  # of its Date header
    fresh: Callable[[], bool]
    parsed: SimpleRequest
    status: int
    sent: int  # body bytes
    scheme: str


class AnswerCache:
    """Framed HTTP/1.1 answers by request head (bytes up to the blank line), shared by a site's connections.

    Bounded: answers of at most MAX_ANSWER bytes, at most MAX_ENTRIES heads and MAX_BYTES of heads and
    answers together; when full, and at each new second (every Date header changes), it starts over."""

    MAX_ENTRIES = 1024
    MAX_ANSWER = 64 * 1024
    MAX_BYTES = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._entries: dict[bytes, Answer] = {}
        self._second = -1
        self._bytes = 0

    def get(self, head: bytes, scheme: str) -> Answer | None:
        entry = self._entries.get(head)
        if entry is None:
            return None
        if entry.second != int(time.time()) or entry.scheme != scheme or not entry.fresh():
            del self._entries[head]
            self._bytes -= len(head) + len(entry.framed)
            return None
        return entry

    def put(self, head: bytes, answer: Answer) -> None:
        size = len(head) + len(answer.framed)
        if len(answer.framed) > self.MAX_ANSWER or answer.second < self._second:  # too big, or a second over
            return
        old = self._entries.pop(head, None)
        if old is not None:
            self._bytes -= len(head) + len(old.framed)
        if answer.second != self._second or len(self._entries) >= self.MAX_ENTRIES or \
                self._bytes + size > self.MAX_BYTES:
            self._entries.clear()
            self._bytes = 0
            self._second = answer.second
        self._entries[head] = answer
        self._bytes += size
