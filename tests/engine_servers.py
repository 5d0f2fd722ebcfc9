"""port443's own engine as asyncio TLS servers on loopback, for audits of our own server and the mass bench.

`engine_servers(config, addresses)` listens on each (address, 0) of 127.0.0.0/8
from one event loop in a thread and yields the (address, port) pairs; each
connection feeds a `ServerConnection`, answers `GET` with a tiny response, and
closes on any TLS error after sending the engine's alert. Stopped by the
context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from port443.tls import ServerConnection, TLSError
from port443.tls import events as ev

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


class EngineTLS(asyncio.Protocol):
    def __init__(self, config) -> None:
        self.conn = ServerConnection(config)

    def connection_made(self, transport) -> None:
        self.t = transport

    def data_received(self, data: bytes) -> None:
        try:
            events = self.conn.receive_data(data)
        except TLSError:
            self.t.write(self.conn.data_to_send())
            self.t.close()
            return
        for e in events:
            if isinstance(e, ev.ApplicationData) and e.data.startswith(b"GET"):
                self.conn.send(RESPONSE)
                self.conn.close()
            elif isinstance(e, ev.ConnectionClosed):
                self.conn.close()
        out = self.conn.data_to_send()
        if out:
            self.t.write(out)
        if self.conn.closed:
            self.t.close()


@contextlib.contextmanager
def engine_servers(config, addresses=("127.0.0.1",), port: int = 0):
    """Our engine's server on each address (the kernel's port, or `port`); yields [(address, port), ...]."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    servers: list = []
    bound: list[tuple[str, int]] = []

    async def start() -> None:
        for address in addresses:
            server = await loop.create_server(lambda: EngineTLS(config), address, port, backlog=512)
            servers.append(server)
            bound.append((address, server.sockets[0].getsockname()[1]))
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise TimeoutError("engine servers did not start")
    try:
        yield bound
    finally:
        async def stop() -> None:
            for s in servers:
                s.close()
        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
