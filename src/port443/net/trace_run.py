"""Drive one traced HTTPS visit: DNS, the TCP connect to every address in turn, then the traced TLS connection.

`run_trace(target, options)` resolves the name, tries every address in the
order DNS returned them until one accepts the TCP connection, and hands the
socket to `TracedConnection` (traced_tls.py), which runs the engine step by
step and makes one HTTP request. With `options.resume` a second connection
offers the first one's session ticket.

Nothing here prints or decides: a failure is recorded as a `Failure` with a
kind (the classes of `port443.net.probe` where they apply) and the verdict
is `port443.verdict`'s.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

from port443.net.chain import split_host_port
from port443.net.probe import ProbeResult, connect_failure
from port443.net.traced_tls import ConnectionTrace, Failure, HttpTarget, TracedConnection
from port443.tls import ClientConfig
from port443.trace import Step, connect_step, dns_step

__all__ = ["ConnectionTrace", "Failure", "Target", "TargetError", "TraceOptions", "TraceRun", "parse_target",
           "run_trace"]

DEFAULT_TIMEOUT = 10.0  # seconds: for each TCP connect, then for the TLS and HTTP exchange of a connection


class TargetError(ValueError):
    """TARGET is not host, host:port or an https:// URL; the message says which part is wrong."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str = "/"


def parse_target(text: str) -> Target:
    """"example.com", "example.com:8443", "[::1]:8443", "https://example.com:8443/a?b" -> Target."""
    if "://" in text:
        url = urllib.parse.urlsplit(text)
        if url.scheme.lower() != "https":
            raise TargetError(f"{text!r}: only https:// URLs (port443 handshake speaks TLS); "
                              "write https://HOST or HOST:PORT")
        try:
            port = url.port or 443
        except ValueError:
            raise TargetError(f"{text!r}: the port is not a number from 1 to 65535") from None
        if not url.hostname:
            raise TargetError(f"{text!r}: no host name in the URL")
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        return Target(url.hostname, port, path)
    try:
        host, port = split_host_port(text)
    except ValueError as exc:
        raise TargetError(str(exc)) from None
    return Target(host, port)


@dataclass(frozen=True)
class TraceOptions:
    server_name: str | None = None  # SNI and the name the certificate must cover; default the target host
    versions: tuple[str, ...] = ("TLSv1.3", "TLSv1.2")
    cipher_suites: tuple[str, ...] | None = None  # IANA names; None: the engine's defaults
    groups: tuple[str, ...] | None = None  # the first one gets the key share
    alpn_protocols: tuple[str, ...] = ("http/1.1",)
    cafile: str | None = None  # None: Mozilla's roots
    request_when_untrusted: bool = False  # --insecure: send the HTTP request even to an untrusted server
    timeout: float = DEFAULT_TIMEOUT
    method: str = "GET"
    path: str | None = None  # None: the URL's path, or "/"
    resume: bool = False
    keylog: Callable[[str], None] | None = None  # gets each NSS key log line
    show_secrets: bool = False  # put the key log lines in the "Session keys" steps

    def client_config(self, server_name: str, session=None, keylog=None) -> ClientConfig:
        """The engine's configuration (raises ConfigError, a ValueError, for a bad version/suite/group)."""
        kw: dict = {}
        if self.cipher_suites:
            kw["cipher_suites"] = self.cipher_suites
        if self.groups:
            kw["groups"] = self.groups
        return ClientConfig(server_name=server_name, cafile=self.cafile, verify="report", versions=self.versions,
                            alpn_protocols=self.alpn_protocols, keylog=keylog, session=session, **kw)


@dataclass
class TraceRun:
    target: Target
    server_name: str
    path: str
    options: TraceOptions
    addresses: list[str] = field(default_factory=list)
    connections: list[ConnectionTrace] = field(default_factory=list)
    resume_note: str = ""  # why the resumed connection was not made, when it was asked for

    @property
    def first(self) -> ConnectionTrace:
        return self.connections[0]


class _Clock:
    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self.start = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def run_trace(target: Target, options: TraceOptions) -> TraceRun:
    """Visit `target` once (twice with options.resume) and record every step."""
    name = options.server_name or target.host
    options.client_config(name)  # a bad version, suite or group fails here, before any traffic
    run = TraceRun(target, name, options.path or target.path, options)
    request = HttpTarget(name, target.port, run.path)
    first = ConnectionTrace("first connection")
    run.connections.append(first)
    clock = _Clock()
    connection = TracedConnection(first, lambda keylog: options.client_config(name, keylog=keylog), options,
                                  request, clock.ms, wants_ticket=options.resume)
    clock.restart()  # building the Client Hello is not a network step
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        first.steps.append(_stamp(dns_step(target.host, []), clock))
        first.failure = Failure("dns", f"cannot resolve {target.host!r}: {getattr(exc, 'strerror', None) or exc}")
        return run
    run.addresses = list(dict.fromkeys(info[4][0] for info in infos))
    first.steps.append(_stamp(dns_step(target.host, run.addresses), clock))
    sock, info = _connect_first(first, infos, target.port, options.timeout, clock)
    if sock is None:
        return run
    with sock:
        connection.run(sock)
    if not options.resume:
        return run
    if first.complete is None:
        run.resume_note = "no resumed connection: the first handshake did not complete"
    elif first.session is None:
        run.resume_note = "no resumed connection: the server sent no session ticket to resume with"
    else:
        second = ConnectionTrace("resumed connection", trusted_before=first.trusted)
        run.connections.append(second)
        clock = _Clock()
        connection = TracedConnection(
            second, lambda keylog: options.client_config(name, first.session, keylog), options, request, clock.ms)
        clock.restart()
        sock, _ = _connect_first(second, [info], target.port, options.timeout, clock)
        if sock is not None:
            with sock:
                connection.run(sock)
    return run


def _stamp(step: Step, clock: _Clock) -> Step:
    step.elapsed_ms = clock.ms()
    return step


def _connect_first(trace: ConnectionTrace, infos, port: int, timeout: float, clock: _Clock):
    """Try each address in order; returns (connected socket, its getaddrinfo entry) or (None, None)."""
    attempts: list[tuple[str, str]] = []
    last: Failure | None = None
    for info in infos:
        family, type_, proto, _, sockaddr = info
        address = sockaddr[0]
        sock = socket.socket(family, type_, proto)
        sock.settimeout(timeout)
        began = clock.ms()
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            result, detail = connect_failure(exc, timeout)
            where = f"{address} port {port}"
            if result is ProbeResult.CLOSED:
                outcome, detail = "refused (TCP reset)", f"{where} refused the connection (TCP reset)"
            elif result is ProbeResult.FILTERED:
                outcome = f"no answer within {timeout:g} s"
                detail = f"{where} did not answer the TCP handshake within {timeout:g} s"
            else:
                outcome, detail = detail, f"{where}: {detail}"
            attempts.append((address, outcome))
            last = Failure(result.value if result else "connect-error", detail)
            continue
        attempts.append((address, f"connected in {clock.ms() - began:.2f} ms"))
        # TLS writes whole records; Nagle would hold back a small one (our Finished, the request) for an ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        trace.address = address
        trace.steps.append(_stamp(connect_step(port, attempts, address), clock))
        return sock, info
    trace.steps.append(_stamp(connect_step(port, attempts, None), clock))
    if len(attempts) > 1 and last is not None:
        last.detail += f" (tried {len(attempts)} addresses: " + "; ".join(f"{a}: {o}" for a, o in attempts) + ")"
    trace.failure = last
    return None, None


