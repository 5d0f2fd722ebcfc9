"""HTTP/2 over a channel (ALPN "h2"), with the h2 library.

Each stream becomes a Request for the same handlers as HTTP/1.1. Response
bodies respect both flow-control windows; a body that does not fit waits in
a task for WINDOW_UPDATE. Request bodies are acknowledged (window credit given
back) as the handler reads them, so a slow upstream slows the uploader.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from port443.http.message import Body, BodyTooLarge, Request, Response, text_response
from port443.net.channel import WRITE_HIGH_WATER, Channel, Limits

log = logging.getLogger("port443.serve")

CONNECTION_SPECIFIC = frozenset((b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"))
MAX_STREAMS = 100


class _Stream:
    __slots__ = ("request", "task", "started", "sent", "status", "window_waiter")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.task: asyncio.Task | None = None
        self.started = time.perf_counter()
        self.sent = 0
        self.status = 0
        self.window_waiter: asyncio.Future | None = None


class H2Server:
    def __init__(self, channel: Channel, site: Any, limits: Limits) -> None:
        self.ch = channel
        self.site = site
        self.limits = limits
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(client=False, initial_values={
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
            h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: limits.max_header_size,
        })
        self.conn.initiate_connection()
        self.streams: dict[int, _Stream] = {}
        self.closing = False
        self._queued = 0  # answer bytes queued while handling the current input
        channel.set_timeout(limits.idle_timeout, "idle")
        self._flush()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.ch.write(data)

    # ---------------------------------------------------------------- input
    def data_received(self, data: bytes) -> None:
        self._queued = 0
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            log.info("HTTP/2 protocol error from %s:%s: %s", self.ch.peer[0], self.ch.peer[1], exc)
            self._flush()  # h2 has queued GOAWAY
            self.ch.close()
            return
        for event in events:
            kind = type(event)
            if kind is h2.events.RequestReceived:
                self._request(event)
            elif kind is h2.events.DataReceived:
                self._data(event)
            elif kind is h2.events.StreamEnded:
                st = self.streams.get(event.stream_id)
                if st is not None and st.request.body is not None:
                    st.request.body.finish()
            elif kind is h2.events.StreamReset:
                self._reset(event.stream_id)
            elif kind is h2.events.WindowUpdated or kind is h2.events.RemoteSettingsChanged:
                self._wake_writers(getattr(event, "stream_id", 0))
            elif kind is h2.events.ConnectionTerminated:
                self.closing = True
                if not self.streams:
                    self._flush()
                    self.ch.close()
                    return
        self._flush()

    def eof_received(self) -> None:
        for sid in list(self.streams):
            self._reset(sid)
        self.ch.close()

    def connection_lost(self) -> None:
        for sid in list(self.streams):
            self._reset(sid)

    def shutdown(self) -> None:
        self.closing = True
        self.conn.close_connection()
        self._flush()
        if not self.streams:
            self.ch.close()

    # ------------------------------------------------------------- requests
    def _request(self, event: h2.events.RequestReceived) -> None:
        sid = event.stream_id
        self.ch.set_timeout(None)
        pseudo: dict[bytes, bytes] = {}
        headers: list[tuple[bytes, bytes]] = []
        for k, v in event.headers:
            if k[:1] == b":":
                pseudo[k] = v
            else:
                headers.append((k, v))
        authority = (pseudo.get(b":authority") or next((v for k, v in headers if k == b"host"), b"")).decode("latin-1")
        req = Request(pseudo.get(b":method", b"GET").decode("latin-1"), pseudo.get(b":path", b"/").decode("latin-1"),
                      headers, "2", "https", authority, self.ch.peer, self.ch, stream_id=sid)
        st = _Stream(req)
        self.streams[sid] = st
        if event.stream_ended is None:
            length = next((v for k, v in headers if k == b"content-length"), None)
            if length is not None and length.isdigit() and int(length) > self.limits.max_body_size:
                self._respond(st, text_response(413, f"The request body is over the {self.limits.max_body_size}"
                                                     "-byte limit."))
                return
            req.body = Body(self.limits.max_body_size, on_read=lambda n, sid=sid: self._credit(sid, n))
        try:
            result = self.site.handle(req)
        except Exception as exc:
            log.exception("error handling %s %s: %s", req.method, req.target, exc)
            result = text_response(500, "The server could not answer this request.")
        if type(result) is Response and result.file is None and result.stream is None and \
                self._fits(sid, len(result.body)) and self._queued < WRITE_HIGH_WATER and not self.ch.write_paused:
            self._queued += len(result.body)
            self._respond(st, result)
        else:  # streamed, over the window, or the client is not reading: a task that waits for the writer
            st.task = asyncio.ensure_future(self._respond_later(st, result))
            st.task.add_done_callback(lambda _t, st=st: self._done(st, None))  # also when cancelled before it ran

    def _data(self, event: h2.events.DataReceived) -> None:
        st = self.streams.get(event.stream_id)
        padding = event.flow_controlled_length - len(event.data)
        if padding:
            self.conn.acknowledge_received_data(padding, event.stream_id)
        if st is None or st.request.body is None:
            if len(event.data):
                self.conn.acknowledge_received_data(len(event.data), event.stream_id)
            return
        try:
            st.request.body.feed(event.data)
        except BodyTooLarge as exc:
            st.request.body.fail(exc)
            if st.status == 0 and st.task is None:
                self._respond(st, text_response(413, f"The request body is over the {self.limits.max_body_size}"
                                                     "-byte limit."))
            else:
                self._reset_stream(event.stream_id, h2.errors.ErrorCodes.CANCEL)

    def _credit(self, sid: int, n: int) -> None:
        try:
            self.conn.acknowledge_received_data(n, sid)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            return
        self._flush()

    # ------------------------------------------------------------ responses
    def _fits(self, sid: int, n: int) -> bool:
        return n <= self.conn.local_flow_control_window(sid)

    def _headers(self, st: _Stream, resp: Response, end: bool) -> None:
        st.status = resp.status
        headers = [(b":status", str(resp.status).encode())]
        headers += [(k, v) for k, v in resp.headers if k not in CONNECTION_SPECIFIC]
        self.conn.send_headers(st.request.stream_id, headers, end_stream=end)

    def _respond(self, st: _Stream, resp: Response) -> None:
        """A response whose body fits the window: sent now."""
        sid = st.request.stream_id
        body = b"" if st.request.method == "HEAD" else resp.body
        try:
            self._headers(st, resp, end=not body)
            if body:
                self._send_data(sid, body, end=True)
        except h2.exceptions.StreamClosedError:
            pass
        st.sent = len(body)
        self._done(st, resp)  # every caller flushes once it has answered all it can

    def _send_data(self, sid: int, data: bytes, end: bool) -> None:
        if not data:
            self.conn.send_data(sid, b"", end_stream=end)  # an empty DATA frame that only ends the stream
            return
        size = self.conn.max_outbound_frame_size
        view = memoryview(data)
        for i in range(0, len(data), size):
            last = i + size >= len(data)
            self.conn.send_data(sid, bytes(view[i:i + size]), end_stream=end and last)

    async def _respond_later(self, st: _Stream, result: Any) -> None:
        req = st.request
        resp: Response | None = None
        sid = req.stream_id
        try:
            resp = await result if not isinstance(result, Response) else result
            if resp.tunnel is not None:
                raise RuntimeError("protocol upgrades are HTTP/1.1 only")
            head_only = req.method == "HEAD"
            has_body = not head_only and (bool(resp.body) or resp.file is not None or resp.stream is not None)
            self._headers(st, resp, end=not has_body)
            self._flush()
            if has_body:
                if resp.file is not None:
                    left = resp.file.length
                    for chunk in resp.file.chunks():
                        left -= len(chunk)
                        await self._write(st, chunk, end=left == 0)
                elif resp.stream is not None:
                    async for chunk in resp.stream:
                        if chunk:
                            await self._write(st, chunk, end=False)
                    await self._write(st, b"", end=True)
                else:
                    await self._write(st, resp.body, end=True)
            self._done(st, resp)
        except asyncio.CancelledError:
            self._drop(st, resp)
            raise
        except (ConnectionError, BodyTooLarge, h2.exceptions.StreamClosedError):
            self._reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
            self._drop(st, resp)
        except Exception as exc:
            log.exception("error handling %s %s: %s", req.method, req.target, exc)
            if st.status == 0:
                self._respond(st, text_response(500, "The server could not answer this request."))
            else:
                self._reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
                self._drop(st, resp)
        finally:
            if resp is not None and resp.on_done is not None:
                resp.on_done()
            self._flush()

    async def _write(self, st: _Stream, data: bytes, end: bool) -> None:
        sid = st.request.stream_id
        view = memoryview(data)
        pos = 0
        while True:
            if self.ch.closed:
                raise ConnectionError("the client went away")
            if self.ch.write_paused:  # many streams' answers wait here, not in the send buffer
                await self.ch.drain()
                continue
            window = self.conn.local_flow_control_window(sid)
            n = min(window, len(data) - pos)
            if n > 0 or (pos == len(data) and end):
                self._send_data(sid, bytes(view[pos:pos + n]), end=end and pos + n == len(data))
                pos += n
                st.sent += n
                self._flush()
            if pos >= len(data):
                await self.ch.drain()
                return
            st.window_waiter = self.ch.loop.create_future()
            await st.window_waiter

    def _wake_writers(self, sid: int) -> None:
        targets = self.streams.values() if sid == 0 else [self.streams[sid]] if sid in self.streams else []
        for st in targets:
            w = st.window_waiter
            if w is not None and not w.done():
                w.set_result(None)

    def _done(self, st: _Stream, resp: Response | None) -> None:
        sid = st.request.stream_id
        if self.streams.pop(sid, None) is None:
            return
        self.site.access(st.request, st.status, st.sent, st.started)
        if not self.streams:
            if self.closing:
                self._flush()
                self.ch.close()
            else:
                self.ch.set_timeout(self.limits.idle_timeout, "idle")

    def _drop(self, st: _Stream, resp: Response | None) -> None:
        if st.request.body is not None:
            st.request.body.fail(ConnectionResetError("the stream was reset"))
        self._done(st, resp)

    def _reset(self, sid: int) -> None:
        st = self.streams.get(sid)
        if st is None:
            return
        if st.task is not None and not st.task.done():
            st.task.cancel()
        else:
            self._drop(st, None)

    def _reset_stream(self, sid: int, code: int) -> None:
        try:
            self.conn.reset_stream(sid, code)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            pass
