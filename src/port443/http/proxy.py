"""Reverse proxy to a local HTTP/1.1 app: streaming both ways, WebSocket passthrough.

The request body is sent upstream as it arrives (a task per request) while
the response is read; the response body is handed to the client as it
arrives. The Host header is passed through unchanged; X-Forwarded-For
(appended), X-Forwarded-Proto and X-Forwarded-Host say who asked and how.
An upgrade to WebSocket becomes a raw byte tunnel once the app answers 101.
Idle upstream connections are kept for reuse.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import AsyncIterator
from urllib.parse import urlsplit

import h11

from port443.http.message import Body, Request, Response, Tunnel, text_response

log = logging.getLogger("port443.serve")

HOP_BY_HOP = frozenset((b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
                        b"transfer-encoding", b"upgrade", b"http2-settings"))
FORWARDED = frozenset((b"x-forwarded-proto", b"x-forwarded-host"))
READ_SIZE = 65536


class ProxyConfigError(ValueError):
    pass


def parse_upstream(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ProxyConfigError(f"--proxy {url}: give an http:// URL of the local app, e.g. http://127.0.0.1:8000")
    try:
        port = parts.port or 80
    except ValueError:
        raise ProxyConfigError(f"--proxy {url}: the port is not a number") from None
    return parts.hostname, port, parts.path.rstrip("/")


def wants_websocket(req: Request) -> bool:
    if req.http_version == "2":
        return False
    upgrade = req.header(b"upgrade")
    tokens = b",".join(req.header_values(b"connection")).lower()
    return upgrade is not None and b"upgrade" in [t.strip() for t in tokens.split(b",")]


def forwarded_headers(req: Request, upgrade: bool) -> list[tuple[bytes, bytes]]:
    named_in_connection = {t.strip().lower() for v in req.header_values(b"connection") for t in v.split(b",")}
    out: list[tuple[bytes, bytes]] = []
    cookies: list[bytes] = []
    xff: list[bytes] = []
    for k, v in req.headers:
        if k in HOP_BY_HOP or k in named_in_connection or k in FORWARDED or k == b"host":
            continue
        if k == b"cookie":
            cookies.append(v)
        elif k == b"x-forwarded-for":
            xff.append(v)
        else:
            out.append((k, v))
    if cookies:
        out.append((b"cookie", b"; ".join(cookies)))  # HTTP/2 may split cookies (RFC 9113 §8.2.3)
    authority = req.authority.encode("latin-1")
    out.insert(0, (b"host", authority))
    out.append((b"x-forwarded-for", b", ".join(xff + [req.client[0].encode()])))
    out.append((b"x-forwarded-proto", req.scheme.encode()))
    out.append((b"x-forwarded-host", authority))
    if req.body is not None and req.header(b"content-length") is None:
        out.append((b"transfer-encoding", b"chunked"))  # the body's length is not known up front: stream it
    if upgrade:
        out.append((b"connection", b"upgrade"))
        out.append((b"upgrade", req.header(b"upgrade") or b""))
    return out


@dataclass
class Upstream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    h: h11.Connection
    reused: bool = False

    def close(self) -> None:
        self.writer.close()


class ReverseProxy:
    def __init__(self, url: str, connect_timeout: float = 5.0, response_timeout: float = 60.0,
                 max_idle: int = 64) -> None:
        self.host, self.port, self.prefix = parse_upstream(url)
        self.url = url
        self.connect_timeout = connect_timeout
        self.response_timeout = response_timeout
        self.max_idle = max_idle
        self._idle: list[Upstream] = []

    def __call__(self, req: Request):
        return self.forward(req)

    async def _connect(self, fresh: bool) -> Upstream:
        while self._idle and not fresh:
            up = self._idle.pop()
            if not up.reader.at_eof() and not up.writer.is_closing():
                up.reused = True
                return up
            up.close()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.connect_timeout)
        return Upstream(reader, writer, h11.Connection(h11.CLIENT))

    def _release(self, up: Upstream) -> None:
        h = up.h
        if h.our_state is h11.DONE and h.their_state is h11.DONE and len(self._idle) < self.max_idle:
            try:
                h.start_next_cycle()
                self._idle.append(up)
                return
            except h11.LocalProtocolError:
                pass
        up.close()

    async def forward(self, req: Request) -> Response:
        upgrade = wants_websocket(req)
        headers = forwarded_headers(req, upgrade)
        target = (self.prefix + req.target).encode("latin-1")
        for attempt in (0, 1):
            try:
                up = await self._connect(fresh=attempt > 0)
            except (OSError, asyncio.TimeoutError) as exc:
                log.warning("proxy: cannot connect to %s: %s", self.url, exc)
                return text_response(502, f"The app behind this site ({self.url}) is not answering.")
            sender = None
            try:
                up.writer.write(up.h.send(h11.Request(method=req.method, target=target, headers=headers)))
                if req.body is not None:
                    sender = asyncio.ensure_future(self._send_body(up, req.body))
                else:
                    up.writer.write(up.h.send(h11.EndOfMessage()))
                head = await asyncio.wait_for(self._read_head(up), self.response_timeout)
            except asyncio.TimeoutError:
                up.close()
                return text_response(504, f"The app behind this site ({self.url}) did not answer in time.")
            except (OSError, EOFError, h11.ProtocolError) as exc:
                up.close()
                if sender is not None:
                    sender.cancel()
                if attempt == 0 and up.reused and req.body is None:
                    continue  # a kept-alive connection the app had closed: try once more on a new one
                log.warning("proxy: %s %s to %s failed: %s", req.method, req.target, self.url, exc)
                return text_response(502, f"The app behind this site ({self.url}) sent no valid answer.")
            break
        resp_headers = [(k, v) for k, v in head.headers if k not in HOP_BY_HOP]
        if head.status_code == 101:
            if not upgrade:
                up.close()
                return text_response(502, "The app switched protocols without being asked.")
            switch = [(k, v) for k, v in head.headers if k in (b"connection", b"upgrade")] + resp_headers
            return Response(101, switch, tunnel=Tunnel(up.reader, up.writer, up.h.trailing_data[0]))
        relay = _BodyRelay(self, up, sender)
        return Response(head.status_code, resp_headers, stream=relay.chunks(), on_done=relay.done)

    async def _send_body(self, up: Upstream, body: Body) -> None:
        try:
            async for chunk in body.chunks():
                up.writer.write(up.h.send(h11.Data(data=chunk)))
                await up.writer.drain()
            up.writer.write(up.h.send(h11.EndOfMessage()))
        except Exception:
            up.close()  # the client went away or sent too much: the upstream must not see half a request as whole
            raise

    async def _read_head(self, up: Upstream):
        while True:
            event = up.h.next_event()
            if event is h11.NEED_DATA:
                up.h.receive_data(await up.reader.read(READ_SIZE))
                continue
            if isinstance(event, h11.InformationalResponse) and event.status_code != 101:
                continue  # 100 Continue and friends are between us and the app
            if isinstance(event, (h11.Response, h11.InformationalResponse)):
                return event
            raise EOFError("the app closed the connection before answering")


class _BodyRelay:
    def __init__(self, proxy: ReverseProxy, up: Upstream, sender: asyncio.Future | None) -> None:
        self.proxy, self.up, self.sender = proxy, up, sender
        self.finished = False

    async def chunks(self) -> AsyncIterator[bytes]:
        h, reader = self.up.h, self.up.reader
        while True:
            try:
                event = h.next_event()
            except h11.ProtocolError as exc:
                log.warning("proxy: the answer from %s broke off: %s", self.proxy.url, exc)
                raise ConnectionError("the app's answer broke off") from None
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(READ_SIZE), self.proxy.response_timeout)
                h.receive_data(data)
                continue
            if type(event) is h11.Data:
                yield event.data
            elif type(event) is h11.EndOfMessage:
                self.finished = True
                return
            else:
                log.warning("proxy: %s closed the connection in the middle of its answer", self.proxy.url)
                raise ConnectionError("the app closed the connection in the middle of its answer")

    def done(self) -> None:
        if self.sender is not None and not self.sender.done():
            self.sender.cancel()
            self.finished = False
        if self.finished:
            self.proxy._release(self.up)
        else:
            self.up.close()
