"""A served site: the handler, the headers every response gets (Date, Server,
HSTS), and the access log.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, TextIO

from port443.http.h1fast import AnswerCache
from port443.http.message import Handler, Request, Response, Result

SERVER = b"port443"
ONE_YEAR = 31_536_000
LOCAL_SUFFIXES = (".localhost", ".local", ".test", ".internal", ".lan", ".home.arpa", ".example", ".invalid")


def is_local_name(host: str) -> bool:
    """localhost, IP literals, single labels and reserved/local-only suffixes: no HSTS by default."""
    host = host.strip("[]").rstrip(".").lower()
    if not host or host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class HSTS:
    """Strict-Transport-Security: max_age None means one year for public names, off for local ones."""

    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False

    def value(self, host: str) -> bytes | None:
        age = self.max_age
        if age is None:
            age = 0 if is_local_name(host) else ONE_YEAR
        if age <= 0:
            return None
        v = f"max-age={age}"
        if self.include_subdomains:
            v += "; includeSubDomains"
        if self.preload:
            v += "; preload"
        return v.encode()


class AccessLog:
    """One line per request, with the TLS version and suite; written in batches."""

    def __init__(self, stream: TextIO | None, loop: Any = None, flush_every: float = 0.2) -> None:
        self.stream = stream
        self.loop = loop
        self.flush_every = flush_every
        self._lines: list[str] = []
        self._timer = None

    def write(self, req: Request, status: int, sent: int, started: float) -> None:
        if self.stream is None:
            return
        tls = req.channel.tls
        proto = f"{tls.version} {tls.cipher_suite}" if tls is not None else "plain"
        ms = (time.perf_counter() - started) * 1000
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        line = (f'{req.client[0]} - - [{when}] "{req.method} {req.target} HTTP/{req.http_version}" {status} {sent} '
                f'"{req.authority}" {proto} {ms:.1f}ms\n')
        self._lines.append(line)
        if self._timer is None:
            if self.loop is None:
                self.flush()
            else:
                self._timer = self.loop.call_later(self.flush_every, self.flush)

    def flush(self) -> None:
        self._timer = None
        if self._lines and self.stream is not None:
            lines, self._lines = self._lines, []
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):
                pass


class _DateCache:
    def __init__(self) -> None:
        self.second = -1
        self.value = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.value = formatdate(now, usegmt=True).encode()
        return self.value


class Site:
    def __init__(self, handler: Handler, hsts: HSTS | None = None, access_log: AccessLog | None = None,
                 tls: bool = True) -> None:
        self.handler = handler
        self.hsts = hsts if tls else None
        self.log = access_log
        self._date = _DateCache()
        self._hsts_cache: dict[str, bytes | None] = {}
        self.answers = AnswerCache()  # HTTP/1.1 answers reused by request head (h1fast)
        self.logging = access_log is not None and access_log.stream is not None

    def handle(self, req: Request) -> Result:
        result = self.handler(req)
        if type(result) is Response:
            self.decorate(req, result)
            return result
        return self._later(req, result)

    async def _later(self, req: Request, result: Any) -> Response:
        resp = await result
        self.decorate(req, resp)
        return resp

    def decorate(self, req: Request, resp: Response) -> None:
        headers = resp.headers
        headers.append((b"date", self._date()))
        headers.append((b"server", SERVER))
        if self.hsts is not None:
            host = req.host
            cache = self._hsts_cache
            if host not in cache:
                if len(cache) > 1024:
                    cache.clear()
                cache[host] = self.hsts.value(host)
            value = cache[host]
            if value is not None:
                headers.append((b"strict-transport-security", value))

    def access(self, req: Request, status: int, sent: int, started: float) -> None:
        if self.log is not None:
            self.log.write(req, status, sent, started)
