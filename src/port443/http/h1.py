"""HTTP/1.1 over a channel, with h11: keep-alive, pipelining, limits, upgrade.

h11 parses every request and frames every response. A response whose body is
already in memory (static files, the built-in page, redirects, errors) is
written in the same call that parsed the request: one `channel.write`, no
task. Streamed bodies (large files, the proxy) and awaitable handlers run in
one task per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11

from port443.http.h1fast import Answer, SimpleRequest, frame_response, parse_simple_head
from port443.http.message import REASONS, Body, BodyTooLarge, Request, Response, text_response
from port443.net.channel import WRITE_HIGH_WATER, Channel, Limits

log = logging.getLogger("port443.serve")


class H1Server:
    def __init__(self, channel: Channel, site: Any, limits: Limits, scheme: str = "https") -> None:
        self.ch = channel
        self.site = site
        self.limits = limits
        self.scheme = scheme
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_size)
        self.request: Request | None = None
        self.task: asyncio.Task | None = None
        self.tunnel: Any = None
        self.started = 0.0
        self.sent = 0
        self.status = 0
        self.closing = False  # graceful drain: answer what is in flight, then close
        self._pumping = False
        self._precomputed: tuple[Request, Any] | None = None
        self._h11_used = False  # h11 has seen no bytes yet: it is idle, nothing buffered
        self._backlog: bytes | None = None  # requests held back while the client is not reading its answers
        self._eof_held = False  # the client's end of input arrived behind the backlog
        channel.set_timeout(limits.idle_timeout, "idle")

    # --------------------------------------------------------------- input
    def data_received(self, data: bytes) -> None:
        if self.tunnel is not None:
            self.tunnel.write(data)
            return
        if self._backlog is not None:  # still waiting for the client to read; order is kept
            self._backlog += data
            return
        h = self.h11
        if self.request is None and self.task is None and (not self._h11_used or h.their_state is h11.IDLE and
                                                           h.our_state is h11.IDLE and not h.trailing_data[0]):
            data = self._fast(data)
            if not data:
                return
        self._h11_used = True  # from now on, ask h11 whether it is between requests
        h.receive_data(data)
        if self.request is None:
            self.ch.set_timeout(self.limits.header_timeout, "request header")
        self._pump()

    def _fast(self, data: bytes) -> bytes:
        """Answer complete simple requests (h1fast) without h11; returns the bytes left for h11.

        A head answered before (same bytes, same second, the handler's `fresh` check passing) gets the
        cached framed answer; otherwise parse_simple_head and the site's handler, and the answer is
        cached when the handler says how to check it is still fresh."""
        ch, site, limit, cache = self.ch, self.site, self.limits.max_header_size, self.site.answers
        pos, n = 0, len(data)
        answers: list[bytes] = []  # pipelined answers leave in one write (one TLS record when they fit)
        queued = 0
        while pos < n:
            if queued >= WRITE_HIGH_WATER or ch.write_paused:  # pipelining faster than it reads: wait for it
                if answers:
                    ch.write(b"".join(answers))
                self._backlog = data[pos:]
                self._resume_when_drained()
                return b""
            end = data.find(b"\r\n\r\n", pos)
            if end < 0 or end - pos > limit:
                break
            head = data[pos:end]
            hit = None if self.closing else cache.get(head, self.scheme)
            if hit is not None:
                out, close = hit.framed, hit.parsed[4]
                if site.logging:
                    site.access(self._simple_request(hit.parsed), hit.status, hit.sent, time.perf_counter())
            else:
                answered = self._answer_simple(head)
                if answered is None:
                    break
                out, close = answered
            answers.append(out)
            queued += len(out)
            pos = end + 4
            if close:
                ch.write(b"".join(answers))
                ch.close()
                return b""
        if answers:
            ch.write(b"".join(answers) if len(answers) > 1 else answers[0])
        if pos < n:
            ch.set_timeout(self.limits.header_timeout, "request header")
            return data[pos:] if pos else data
        ch.set_timeout(self.limits.idle_timeout, "idle")
        return b""

    def _answer_simple(self, head: bytes) -> tuple[bytes, bool] | None:
        """A head the fast path reads, answered by the site's handler: (framed answer, close after it), kept in the answer cache when the handler says how to check it is still fresh. None: h11
        takes this request (a head the fast parser refuses, or an answer that streams)."""
        parsed = parse_simple_head(head)
        if parsed is None:
            return None
        started, second = time.perf_counter(), int(time.time())
        req = self._simple_request(parsed)
        try:
            result = self.site.handle(req)
        except Exception as exc:  # a handler bug: logged once, the client gets a plain 500
            log.exception("error handling %s %s: %s", req.method, req.target, exc)
            result = text_response(500, "The server could not answer this request.")
        out = ours = None
        if type(result) is Response and result.file is None and result.stream is None and result.tunnel is None:
            ours = result.close or self.closing  # our reason to close, not the client's
            out = frame_response(result.status, result.headers, result.body, ours or parsed[4], req.method == "HEAD")
        if out is None:  # streamed or unusual: h11 parses this request again and sends the answer
            self._precomputed = (req, result)
            return None
        if not ours and result.fresh is not None and result.on_done is None:
            self.site.answers.put(head, Answer(out, second, result.fresh, parsed, result.status, len(result.body),
                                               self.scheme))
        self.site.access(req, result.status, len(result.body), started)
        return out, ours or parsed[4]

    def _simple_request(self, parsed: SimpleRequest) -> Request:
        ch = self.ch
        return Request(parsed[0], parsed[1], parsed[2], "1.1", self.scheme, parsed[3], ch.peer, ch)

    def eof_received(self) -> None:
        if self.tunnel is not None:
            self.tunnel.write_eof() if self.tunnel.can_write_eof() else self.tunnel.close()
            return
        if self._backlog is not None:  # the end comes after the requests still held back
            self._eof_held = True
            return
        self._h11_used = True
        try:
            self.h11.receive_data(b"")
        except RuntimeError:
            pass
        self._pump()

    def connection_lost(self) -> None:
        if self.request is not None and self.request.body is not None:
            self.request.body.fail(ConnectionResetError("the client went away"))
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.tunnel is not None:
            self.tunnel.close()

    def shutdown(self) -> None:
        self.closing = True
        if self.request is None and self.task is None:
            self.ch.close()

    def _resume_when_drained(self) -> None:
        """Stop taking requests until the client has read enough of its answers (write backpressure).

        Whatever arrives meanwhile (what was already read and decrypted, the end of input) waits in the
        backlog, in order. No read deadline runs meanwhile: we wait for the client to read, which the
        channel's send timeout bounds."""
        if self._backlog is None:
            self._backlog = b""
        self.ch.pause_reading()
        self.ch.set_timeout(None)
        self.task = asyncio.ensure_future(self._after_drain())

    async def _after_drain(self) -> None:
        await self.ch.drain()
        self.task = None
        if self.ch.closed:
            return
        self.ch.resume_reading()
        self.ch.set_timeout(self.limits.idle_timeout, "idle")
        backlog, self._backlog = self._backlog, None
        if backlog:
            self.data_received(backlog)
        elif self.closing and self.request is None:
            self.ch.close()
        else:
            self._pump()
        if self._eof_held and self._backlog is None:
            self._eof_held = False
            self.eof_received()

    def _pump(self) -> None:
        if self._pumping:
            return
        self._pumping = True
        try:
            self._pump_events()
        finally:
            self._pumping = False

    def _pump_events(self) -> None:
        h = self.h11
        while not self.ch.closed and self.tunnel is None:
            if self.request is None and self.task is None and self.ch.write_paused:
                self._resume_when_drained()  # between requests, and the client is not reading: wait
                return
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                self._bad_request(exc)
                return
            kind = type(event)
            if kind is h11.Request:
                self._start(event)
            elif kind is h11.Data:
                self._body_data(event.data)
            elif kind is h11.EndOfMessage:
                if self.request is not None and self.request.body is not None:
                    self.request.body.finish()
            elif event is h11.NEED_DATA:
                return
            elif event is h11.PAUSED:
                if len(h.trailing_data[0]) > self.limits.max_header_size:
                    self.ch.pause_reading()  # a pipelining client is far ahead of us
                return
            elif kind is h11.ConnectionClosed:
                if self.request is None and self.task is None:
                    self.ch.close()
                return

    def _body_data(self, data: bytes) -> None:
        req = self.request
        if req is None or req.body is None:
            return
        try:
            req.body.feed(data)
        except BodyTooLarge as exc:
            req.body.fail(exc)
            if self.status == 0:
                self._respond_error(413, f"The request body is over the {self.limits.max_body_size}-byte limit.")
            else:
                self.ch.close()
        if self.request is req:
            self.ch.set_timeout(self.limits.idle_timeout, "request body")

    # ------------------------------------------------------------ requests
    def _start(self, event: h11.Request) -> None:
        ch = self.ch
        ch.set_timeout(None)
        self.started = time.perf_counter()
        self.sent = self.status = 0
        headers = [(k, v) for k, v in event.headers]
        host, length, chunked = "", None, False
        size = len(event.method) + len(event.target) + 12
        for k, v in headers:
            size += len(k) + len(v) + 4
            if k == b"host":
                host = v.decode("latin-1")
            elif k == b"content-length":
                length = int(v)
            elif k == b"transfer-encoding":
                chunked = True
        if size > self.limits.max_header_size:  # h11 only bounds heads that arrive in pieces
            self._precomputed = None
            self.request = Request(event.method.decode("latin-1"), event.target.decode("latin-1"), [], "1.1",
                                   self.scheme, host, ch.peer, ch)
            self._respond_error(431, f"The request head is over the {self.limits.max_header_size}-byte limit.")
            return
        precomputed, self._precomputed = self._precomputed, None
        if precomputed is not None:  # the fast path parsed it and already asked the handler
            self.request = req = precomputed[0]
            self._dispatch(precomputed[1])
            return
        req = Request(event.method.decode("latin-1"), event.target.decode("latin-1"), headers,
                      event.http_version.decode("latin-1"), self.scheme, host, ch.peer, ch)
        self.request = req
        if length is not None and length > self.limits.max_body_size:
            self._respond_error(413, f"The request body is over the {self.limits.max_body_size}-byte limit.")
            return
        if length or chunked:
            body = Body(self.limits.max_body_size, ch.pause_reading, ch.resume_reading)
            body.on_start = self._send_continue
            req.body = body
        try:
            result = self.site.handle(req)
        except Exception as exc:  # a handler bug: logged once, the client gets a plain 500
            log.exception("error handling %s %s: %s", req.method, req.target, exc)
            result = text_response(500, "The server could not answer this request.")
        self._dispatch(result)

    def _dispatch(self, result: Any) -> None:
        if type(result) is Response and result.file is None and result.stream is None and result.tunnel is None:
            self._send_whole(result)
        else:
            self.task = asyncio.ensure_future(self._respond_later(result))

    def _send_continue(self) -> None:
        if self.h11.they_are_waiting_for_100_continue:
            self.ch.write(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))

    def _head(self, resp: Response) -> bytes:
        req = self.request
        headers = resp.headers
        if req is not None and req.body is not None and not req.body.done:
            self._absorb_body(req.body)
        if self.closing or resp.close or (req is not None and req.body is not None and not req.body.done):
            headers = headers + [(b"connection", b"close")]  # an unread body cannot be skipped safely
        self.status = resp.status
        return self.h11.send(h11.Response(status_code=resp.status, headers=headers,
                                          reason=REASONS.get(resp.status, "").encode()))

    def _absorb_body(self, body: Body) -> None:
        """Take the rest of an unread body from what has already arrived, so the connection can stay open."""
        h = self.h11
        while body.received <= self.limits.max_body_size:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError:
                return
            if type(event) is h11.Data:
                body.received += len(event.data)  # counted, not kept: nobody will read it
            elif type(event) is h11.EndOfMessage:
                body.finish()
                return
            else:
                return  # NEED_DATA: the rest is still on its way; the connection will close after the answer

    def _send_whole(self, resp: Response) -> None:
        h = self.h11
        out = self._head(resp)
        if resp.body and self.request.method != "HEAD":  # type: ignore[union-attr]
            out += h.send(h11.Data(data=resp.body))
        out += h.send(h11.EndOfMessage())
        self.sent = len(resp.body)
        self.ch.write(out)
        self._finish(resp)

    async def _respond_later(self, result: Any) -> None:
        req = self.request
        resp: Response | None = None
        try:
            resp = await result if not isinstance(result, Response) else result
            if resp.tunnel is not None:
                await self._tunnel(resp)
                return
            await self._send_streamed(resp)
        except asyncio.CancelledError:
            raise
        except (ConnectionError, BodyTooLarge):
            self.ch.close()
        except Exception as exc:
            log.exception("error handling %s %s: %s", req.method, req.target, exc)  # type: ignore[union-attr]
            if self.status == 0:
                self._send_whole(text_response(500, "The server could not answer this request."))
                return
            self.ch.close()
        finally:
            if resp is not None and resp.on_done is not None and self.tunnel is None:
                resp.on_done()
            self.task = None if self.task is asyncio.current_task() else self.task

    async def _send_streamed(self, resp: Response) -> None:
        h, ch = self.h11, self.ch
        if resp.file is None and resp.stream is None:
            self._send_whole(resp)
            return
        ch.write(self._head(resp))
        if self.request.method != "HEAD":  # type: ignore[union-attr]
            if resp.file is not None:
                for chunk in resp.file.chunks():
                    if ch.closed:
                        break
                    self.sent += len(chunk)
                    ch.write(h.send(h11.Data(data=chunk)))
                    await ch.drain()
            else:
                async for chunk in resp.stream:  # type: ignore[union-attr]
                    if ch.closed:
                        raise ConnectionError("the client went away")
                    if chunk:
                        self.sent += len(chunk)
                        ch.write(h.send(h11.Data(data=chunk)))
                        await ch.drain()
        if ch.closed:
            raise ConnectionError("the client went away")
        ch.write(h.send(h11.EndOfMessage()))
        self._finish(resp)

    def _finish(self, resp: Response) -> None:
        req, h, ch = self.request, self.h11, self.ch
        if req is not None:
            self.site.access(req, self.status, self.sent, self.started)
        self.request = None
        if h.their_state is h11.SEND_BODY and req is not None and req.body is None:
            h.next_event()  # the EndOfMessage of a request without a body: h11 makes it without more data
        if self.closing or resp.close or h.our_state is h11.MUST_CLOSE or h.their_state is not h11.DONE:
            ch.close()
            return
        try:
            h.start_next_cycle()
        except h11.LocalProtocolError:
            ch.close()
            return
        ch.set_timeout(self.limits.idle_timeout, "idle")
        ch.resume_reading()
        if h.trailing_data[0]:
            self.ch.set_timeout(self.limits.header_timeout, "request header")
            if not self._pumping:
                self.ch.loop.call_soon(self._pump)

    # ------------------------------------------------------------- errors
    def _bad_request(self, exc: h11.RemoteProtocolError) -> None:
        self._precomputed = None
        status = exc.error_status_hint if exc.error_status_hint in (400, 413, 414, 431) else 400
        if status == 431:
            message = f"The request head is over the {self.limits.max_header_size}-byte limit."
        else:
            message = f"Malformed HTTP/1.1 request: {exc}."
        log.info("bad request from %s:%s: %s", self.ch.peer[0], self.ch.peer[1], exc)
        if self.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self._respond_error(status, message, parse_failed=True)
        else:
            self.ch.close()

    def _respond_error(self, status: int, message: str, parse_failed: bool = False) -> None:
        resp = text_response(status, message)
        resp.close = True
        if self.request is None:
            self.request = Request("-", "-", [], "1.1", self.scheme, "", self.ch.peer, self.ch)
            self.started = time.perf_counter()
        if parse_failed:  # h11 is in an error state: frame the response without it
            self.status, self.sent = status, len(resp.body)
            self.ch.write(frame_response(status, resp.headers, resp.body, True))
            self.site.access(self.request, status, len(resp.body), self.started)
            self.request = None
            self.ch.close()
            return
        try:
            self._send_whole(resp)
        except h11.LocalProtocolError:
            self.ch.close()

    # ------------------------------------------------------------- upgrade
    async def _tunnel(self, resp: Response) -> None:
        """101 Switching Protocols from the upstream: pipe raw bytes both ways until either side closes."""
        t = resp.tunnel
        ch = self.ch
        ch.write(self.h11.send(h11.InformationalResponse(status_code=101, headers=resp.headers)))
        self.status = 101
        self.site.access(self.request, 101, 0, self.started)
        self.request = None
        self.tunnel = t.writer  # type: ignore[union-attr]
        ch.set_timeout(None)
        early = self.h11.trailing_data[0]
        if early:
            t.writer.write(early)  # type: ignore[union-attr]
        if t.leftover:  # type: ignore[union-attr]
            ch.write(t.leftover)  # type: ignore[union-attr]
        try:
            while not ch.closed:
                chunk = await t.reader.read(65536)  # type: ignore[union-attr]
                if not chunk:
                    break
                ch.write(chunk)
                await ch.drain()
        finally:
            t.writer.close()  # type: ignore[union-attr]
            ch.close()
