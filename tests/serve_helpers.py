"""Start `port443 serve` as a subprocess on ephemeral ports, and a small local app to proxy to.

`served(...)` waits for the "serving https://..." line (never sleeps) and
always stops the server: SIGTERM, then SIGKILL if it does not exit.
`UpstreamApp` is an HTTP/1.1 app on 127.0.0.1 (h11 on asyncio, in a thread)
that reports what it received, streams slowly when asked, and speaks
WebSocket after an upgrade.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import h11

from peers import TIMEOUT, Lines

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Served:
    proc: subprocess.Popen
    lines: Lines
    https_port: int
    http_port: int | None
    home: Path

    @property
    def cafile(self) -> str:
        return str(self.home / "ca" / "rootCA.pem")

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def ssl_context(self, version: ssl.TLSVersion | None = None, alpn=("http/1.1",)) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cafile)
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        ctx.set_alpn_protocols(list(alpn))
        return ctx

    def alive(self) -> bool:
        return self.proc.poll() is None


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "port443", "serve", *args]


@contextlib.contextmanager
def served(home: Path, *args: str, http: bool = True, env: dict | None = None):
    """port443 serve ARGS on 127.0.0.1 with ephemeral ports; yields a Served."""
    cmd = serve_command("--host", "127.0.0.1", "--port", "0", "--http-port", "0" if http else "none", *args)
    environ = dict(os.environ, PORT443_HOME=str(home), **(env or {}))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environ)
    lines = Lines(proc.stdout)
    try:
        m = lines.wait_for(r"serving https://[^:]+:(\d+)/", timeout=60)
        http_port = int(lines.wait_for(r"redirecting http://[^:]+:(\d+)/").group(1)) if http else None
        yield Served(proc, lines, int(m.group(1)), http_port, home)
    finally:
        stop(proc)
        lines.join()
        proc.stdout.close()


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(timeout=TIMEOUT)


def raw_request(sock, request: bytes) -> bytes:
    """Send a request and read the whole answer until the server closes."""
    sock.sendall(request)
    out = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(out)
        out += chunk


def tls_connect(served: Served, version=None, alpn=("http/1.1",), server_name="localhost") -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", served.https_port), timeout=TIMEOUT)
    return served.ssl_context(version, alpn).wrap_socket(raw, server_hostname=server_name)


def read_response(sock) -> tuple[int, dict[bytes, bytes], bytes]:
    """One HTTP/1.1 response (Content-Length framed) from a kept-alive socket."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head; got {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    n = int(headers.get(b"content-length", b"0"))
    body = bytearray(rest)
    while len(body) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, bytes(body)


# ------------------------------------------------------------------ local app
class UpstreamApp:
    """An HTTP/1.1 app on 127.0.0.1:PORT in a background thread.

    GET /echo       -> JSON of the method, target, headers and body it received
    POST /echo      -> the same, reading the body as it streams in
    GET /stream?n=N -> N chunks, each sent after the client side asked for it via /release
    GET /slow       -> waits until /release, then answers (for drain tests)
    Upgrade: websocket -> 101, then echoes WebSocket text frames
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.release = None  # asyncio.Event in the app loop
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self.ready.wait(TIMEOUT):
            raise TimeoutError("upstream app did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.server = server
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())

    def set_release(self) -> None:
        self.loop.call_soon_threadsafe(self.release.set)

    def wait_until_waiting(self, timeout: float = TIMEOUT) -> None:
        fut = asyncio.run_coroutine_threadsafe(asyncio.wait_for(self.waiting.wait(), timeout), self.loop)
        fut.result(timeout + 1)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.release.set)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)

    async def _next(self, conn: h11.Connection, reader) -> object:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            return event

    async def _client(self, reader, writer) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = await self._next(conn, reader)
                if not isinstance(event, h11.Request):
                    break
                headers = [(k.decode(), v.decode()) for k, v in event.headers]
                hmap = {k: v for k, v in headers}
                if hmap.get("upgrade", "").lower() == "websocket":
                    await self._websocket(conn, reader, writer, hmap)
                    return
                target = event.target.decode()
                if target.startswith("/first"):  # answer on the first body bytes: proves the upload streams
                    first = await self._next(conn, reader)
                    got = len(first.data) if isinstance(first, h11.Data) else 0
                    data = json.dumps({"first_chunk": got}).encode()
                    writer.write(conn.send(h11.Response(status_code=200, headers=[
                        ("content-length", str(len(data))), ("connection", "close")])))
                    writer.write(conn.send(h11.Data(data=data)) + conn.send(h11.EndOfMessage()))
                    await writer.drain()
                    return
                body = b""
                while True:
                    ev = await self._next(conn, reader)
                    if isinstance(ev, h11.Data):
                        body += ev.data
                    elif isinstance(ev, h11.EndOfMessage):
                        break
                if target.startswith("/stream"):
                    n = int(target.split("n=")[1])
                    writer.write(conn.send(h11.Response(status_code=200, headers=[("content-type", "text/plain")])))
                    for i in range(n):
                        writer.write(conn.send(h11.Data(data=f"chunk {i}\n".encode())))
                        await writer.drain()
                        self.waiting.set()
                        await self.release.wait()
                        self.release.clear()
                    writer.write(conn.send(h11.EndOfMessage()))
                else:
                    if target.startswith("/slow"):
                        self.waiting.set()
                        await self.release.wait()
                    info = {"method": event.method.decode(), "target": target, "headers": headers,
                            "body_length": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
                    data = json.dumps(info).encode()
                    writer.write(conn.send(h11.Response(status_code=200, headers=[
                        ("content-type", "application/json"), ("content-length", str(len(data)))])))
                    writer.write(conn.send(h11.Data(data=data)) + conn.send(h11.EndOfMessage()))
                await writer.drain()
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError):
            pass
        finally:
            writer.close()

    async def _websocket(self, conn, reader, writer, hmap) -> None:
        accept = base64.b64encode(hashlib.sha1(hmap["sec-websocket-key"].encode() + WS_GUID).digest())
        writer.write(conn.send(h11.InformationalResponse(status_code=101, headers=[
            ("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", accept.decode())])))
        buf = bytearray(conn.trailing_data[0])
        while True:
            frame = ws_parse(bytes(buf))
            if frame is None:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buf += chunk
                continue
            opcode, payload, used = frame
            del buf[:used]
            if opcode == 8:
                writer.write(b"\x88\x00")
                await writer.drain()
                return
            writer.write(ws_frame(b"echo: " + payload, mask=False))
            await writer.drain()


def ws_frame(payload: bytes, mask: bool = True, opcode: int = 1) -> bytes:
    """One WebSocket frame (RFC 6455 §5.2), payload under 126 bytes."""
    assert len(payload) < 126
    if not mask:
        return bytes((0x80 | opcode, len(payload))) + payload
    key = os.urandom(4)
    return bytes((0x80 | opcode, 0x80 | len(payload))) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def ws_parse(buf: bytes) -> tuple[int, bytes, int] | None:
    if len(buf) < 2:
        return None
    opcode, masked, n = buf[0] & 0x0F, buf[1] & 0x80, buf[1] & 0x7F
    pos = 2 + (4 if masked else 0)
    if len(buf) < pos + n:
        return None
    payload = buf[pos:pos + n]
    if masked:
        key = buf[2:6]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return opcode, payload, pos + n


def ws_handshake_request(host: str) -> tuple[bytes, str]:
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET /chat HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    return req, base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def access_line(lines: Lines, pattern: str) -> re.Match:
    return lines.wait_for(pattern)
