"""HTTP facts: the port-80 redirect to https and the HSTS header (RFC 6797), parsed with h11.

The HTTPS request rides on a full handshake with the engine (the same run also
brings the TLS 1.3 ticket used for resumption and 0-RTT); port 80 is plain TCP.
Limits: MAX_HEAD bytes of response head, the prober's timeouts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import h11

from port443.audit.prober import EngineRun, Prober, read_before

MAX_HEAD = 64 * 1024
HSTS_PRELOAD_MIN = 31536000  # hstspreload.org: one year, includeSubDomains and preload


@dataclass
class HSTS:
    present: bool = False
    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False
    raw: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class HttpResult:
    https_status: int | None = None
    hsts: HSTS = field(default_factory=HSTS)
    http_port: int = 80
    redirect: str = "unknown"  # "https", "http", "none", "closed", "error"
    redirect_detail: str = ""
    notes: list[str] = field(default_factory=list)


def request(host: str) -> bytes:
    return (f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: port443-check\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n").encode("ascii")


def parse_head(data: bytes) -> h11.Response | None:
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.receive_data(data[:MAX_HEAD])
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Response):
                return event
            if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event, h11.ConnectionClosed):
                return None
            if isinstance(event, h11.InformationalResponse):
                continue
    except h11.RemoteProtocolError:
        return None


def parse_hsts(value: str) -> HSTS:
    """RFC 6797 §6.1: directives separated by ';', max-age required, names case-insensitive."""
    hsts = HSTS(present=True, raw=value)
    seen = set()
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name in seen:
            hsts.problems.append(f"directive {name} appears twice (RFC 6797 §6.1: the header is invalid)")
        seen.add(name)
        if name == "max-age":
            arg = arg.strip().strip('"')
            if arg.isdigit():
                hsts.max_age = int(arg)
            else:
                hsts.problems.append(f"max-age {arg!r} is not a number")
        elif name == "includesubdomains":
            hsts.include_subdomains = True
        elif name == "preload":
            hsts.preload = True
    if hsts.max_age is None:
        hsts.problems.append("no max-age: browsers ignore the header")
    if hsts.preload and not (hsts.include_subdomains and (hsts.max_age or 0) >= HSTS_PRELOAD_MIN):
        hsts.problems.append("preload asked without includeSubDomains and max-age >= 1 year (the preload list's rules)")
    return hsts


def read_https(run: EngineRun, out: HttpResult) -> None:
    if run.complete is None:
        out.notes.append(f"no HTTPS request: the handshake failed ({run.error or 'no answer'})")
        return
    response = parse_head(run.app_data())
    if response is None:
        out.notes.append("the server did not answer GET / with HTTP/1.1 within the timeout")
        return
    out.https_status = response.status_code
    values = [v.decode("latin-1") for k, v in response.headers if k == b"strict-transport-security"]
    if values:
        out.hsts = parse_hsts(values[0])
        if len(values) > 1:
            out.hsts.problems.append("more than one Strict-Transport-Security header; browsers use the first")


async def port80_redirect(prober: Prober, host: str, port: int, out: HttpResult) -> None:
    out.http_port = port
    target = prober.target
    timeout = min(prober.limits.connect_timeout, max(prober.deadline - time.monotonic(), 0.01))
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(target.address, port), timeout)
    except (OSError, asyncio.TimeoutError, TimeoutError) as exc:
        out.redirect = "closed"
        out.redirect_detail = f"nothing answers on port {port} ({getattr(exc, 'strerror', None) or 'timeout'})"
        return
    try:
        writer.write(request(host))
        data = b""
        deadline = time.monotonic() + prober.limits.read_timeout
        while len(data) < MAX_HEAD and b"\r\n\r\n" not in data:
            chunk = await read_before(reader, deadline)
            if not chunk:  # the deadline passed, or the server closed
                break
            data += chunk
    finally:
        writer.transport.abort()
    response = parse_head(data)
    if response is None:
        out.redirect = "error"
        out.redirect_detail = f"port {port} answered something that is not HTTP/1.x"
        return
    location = dict(response.headers).get(b"location", b"").decode("latin-1")
    if 300 <= response.status_code < 400 and location.lower().startswith("https://"):
        out.redirect, out.redirect_detail = "https", f"{response.status_code} to {location}"
    elif 300 <= response.status_code < 400:
        out.redirect, out.redirect_detail = "http", f"{response.status_code} to {location or '(no Location)'}"
    else:
        out.redirect, out.redirect_detail = "none", f"port {port} serves the site over plain HTTP ({response.status_code})"
