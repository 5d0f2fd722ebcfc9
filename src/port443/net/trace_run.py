"""Drive one traced HTTPS visit: DNS, TCP connect, the TLS handshake step by step, one HTTP request.

`run_trace(target, options)` resolves the name, tries every address in the
order DNS returned them until one accepts the TCP connection, runs port443's
own client engine over it and turns each engine event into a step of the
guide (`port443.trace.describe`), stamped with the milliseconds elapsed since
the connection's start (the engine has no clock: the stamps are taken here).
Received bytes are fed to the engine one TLS record at a time, so steps that
arrive in one TCP segment still get their own time (certificate validation,
for one, takes measurable time).

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
from port443.net.http_once import HttpExchange, exchange
from port443.net.probe import UNREACHABLE_ERRNOS, ProbeResult, describe_answer, is_tls_record
from port443.tls import ClientConfig, ClientConnection, TLSError
from port443.tls import events as ev
from port443.tls.enums import AlertDescription
from port443.tls.record import MAX_CIPHERTEXT_12
from port443.trace import Step, connect_step, describe, dns_step, http_request_step, http_response_step

DEFAULT_TIMEOUT = 10.0  # seconds: for each TCP connect, then for the TLS and HTTP exchange of a connection
LINGER = 2.0  # seconds, at most, to wait after the response: for the server's close, or a ticket --resume needs
RECV_SIZE = 65536
RECORD_HEADER = 5


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


def is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            pass
    return False


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
class Failure:
    """Why a connection stopped. kind: "dns", a ProbeResult value for the TCP connect ("closed",
    "filtered", "unreachable"), "connect-error", "not-tls" (the first bytes were not TLS), "no-answer",
    "hung-up" (closed without answering the Client Hello), "alert-received", "tls-error" (we detected a
    problem and sent `alert`), "timeout" or "closed-mid-handshake"."""

    kind: str
    detail: str
    alert: int | None = None
    answer: bytes = b""


@dataclass
class ConnectionTrace:
    label: str
    steps: list[Step] = field(default_factory=list)
    events: list[ev.Event] = field(default_factory=list)
    address: str | None = None
    client_hello: ev.ClientHelloSent | None = None
    verification: object | None = None  # the ChainVerification from CertificateVerified
    complete: ev.HandshakeComplete | None = None
    handshake_ms: float | None = None  # Client Hello sent -> handshake complete
    session: object | None = None  # the last Session from a SessionTicketReceived
    http: HttpExchange | None = None
    http_skipped: str = ""
    failure: Failure | None = None
    trusted_before: bool = False  # a resumed connection inherits the trust of the session it resumes

    @property
    def trusted(self) -> bool:
        if self.complete is not None and self.complete.resumed and self.verification is None:
            return self.trusted_before
        return bool(self.verification is not None and self.verification.trusted)


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
    first = ConnectionTrace("first connection")
    run.connections.append(first)
    clock = _Clock()
    visit = _Visit(first, options.client_config, run, clock)  # the Client Hello is built before the clock runs
    clock.restart()
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        first.steps.append(_stamp(dns_step(target.host, []), clock))
        first.failure = Failure("dns", f"cannot resolve {target.host!r}: {getattr(exc, 'strerror', None) or exc}")
        return run
    run.addresses = list(dict.fromkeys(info[4][0] for info in infos))
    first.steps.append(_stamp(dns_step(target.host, run.addresses), clock))
    sock, sockaddr = _connect_first(first, infos, target.port, options.timeout, clock)
    if sock is None:
        return run
    with sock:
        visit.run(sock)
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
        config = lambda name, keylog: options.client_config(name, first.session, keylog)  # noqa: E731
        visit = _Visit(second, config, run, clock)
        clock.restart()
        family = socket.AF_INET6 if ":" in sockaddr[0] else socket.AF_INET
        sock, _ = _connect_first(second, [(family, socket.SOCK_STREAM, 0, "", sockaddr)], target.port,
                                 options.timeout, clock)
        if sock is not None:
            with sock:
                visit.run(sock)
    return run


def _stamp(step: Step, clock: _Clock) -> Step:
    step.elapsed_ms = clock.ms()
    return step


def _connect_first(trace: ConnectionTrace, infos, port: int, timeout: float, clock: _Clock):
    """Try each address in order; returns (connected socket, its sockaddr) or (None, None)."""
    attempts: list[tuple[str, str]] = []
    last: Failure | None = None
    for family, type_, proto, _, sockaddr in infos:
        address = sockaddr[0]
        sock = socket.socket(family, type_, proto)
        sock.settimeout(timeout)
        began = clock.ms()
        try:
            sock.connect(sockaddr)
        except ConnectionRefusedError:
            sock.close()
            attempts.append((address, "refused (TCP reset)"))
            last = Failure(ProbeResult.CLOSED.value, f"{address} port {port} refused the connection (TCP reset)")
            continue
        except TimeoutError:
            sock.close()
            attempts.append((address, f"no answer within {timeout:g} s"))
            last = Failure(ProbeResult.FILTERED.value,
                           f"{address} port {port} did not answer the TCP handshake within {timeout:g} s")
            continue
        except OSError as exc:
            sock.close()
            attempts.append((address, exc.strerror or str(exc)))
            kind = ProbeResult.UNREACHABLE.value if exc.errno in UNREACHABLE_ERRNOS else "connect-error"
            last = Failure(kind, f"{address} port {port}: {exc.strerror or exc}")
            continue
        attempts.append((address, f"connected in {clock.ms() - began:.2f} ms"))
        # TLS writes whole records; Nagle would hold back a small one (our Finished, the request) for an ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        trace.address = address
        trace.steps.append(_stamp(connect_step(port, attempts, address), clock))
        return sock, sockaddr
    trace.steps.append(_stamp(connect_step(port, attempts, None), clock))
    if len(attempts) > 1 and last is not None:
        last.detail += f" (tried {len(attempts)} addresses: " + "; ".join(f"{a}: {o}" for a, o in attempts) + ")"
    trace.failure = last
    return None, None


class _Visit:
    """One TLS connection over a connected socket: handshake, one HTTP request, close."""

    def __init__(self, trace: ConnectionTrace, make_config, run: TraceRun, clock: _Clock) -> None:
        self.trace, self.run_info, self.clock = trace, run, clock
        self.options = run.options
        self.sock: socket.socket | None = None
        self.deadline = 0.0
        self.secrets: list[str] = []
        self.conn = ClientConnection(make_config(run.server_name, keylog=self._keylog))
        self.buffer = bytearray()
        self.app = bytearray()
        self.received_any = False
        self.eof = False
        self.peer_closed = False
        self.hello_ms = 0.0
        self.first_app_ms: float | None = None
        self.auth_step: Step | None = None

    # -------------------------------------------------------------- I/O
    def _keylog(self, line: str) -> None:
        if self.options.keylog is not None:
            self.options.keylog(line)
        if self.options.show_secrets:
            self.secrets.append(line)

    def _send_pending(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _read_chunk(self, deadline: float | None = None) -> None:
        remaining = (deadline or self.deadline) - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(RECV_SIZE)
        if not chunk:
            self.eof = True
            return
        if not self.received_any:
            self.received_any = True
            if not is_tls_record(chunk[:RECORD_HEADER]):
                raise _NotTLS(chunk)
        self.buffer += chunk
        self._feed_records()

    def _feed_records(self) -> None:
        buf = self.buffer
        while len(buf) >= RECORD_HEADER:
            size = RECORD_HEADER + int.from_bytes(buf[3:5], "big")
            if size - RECORD_HEADER > MAX_CIPHERTEXT_12 or not is_tls_record(bytes(buf[:RECORD_HEADER])):
                size = len(buf)  # not a record we can frame: the engine names the problem
            elif len(buf) < size:
                return
            record = bytes(buf[:size])
            del buf[:size]
            try:
                events = self.conn.receive_data(record)
            except TLSError as exc:
                self._take(exc.events, self.clock.ms(), None)
                try:
                    self._send_pending()  # our alert
                except OSError:
                    pass
                raise
            received = self.clock.ms()
            self._send_pending()
            self._take(events, received, self.clock.ms())

    def _take(self, events: list[ev.Event], received_ms: float, sent_ms: float | None) -> None:
        """Events caused by the peer's bytes get the time they were processed; from our first reply in the
        batch on (e.g. our Finished, then HandshakeComplete), the time our reply went out."""
        at = received_ms
        for event in events:
            if sent_ms is not None and type(event).__name__.endswith("Sent"):
                at = sent_ms
            self._record(event, at)

    def _record(self, event: ev.Event, at_ms: float) -> None:
        trace = self.trace
        trace.events.append(event)
        if isinstance(event, ev.ClientHelloSent):
            trace.client_hello = event
            self.hello_ms = at_ms
        elif isinstance(event, ev.CertificateVerified):
            trace.verification = event.verification
        elif isinstance(event, ev.HandshakeComplete):
            trace.complete = event
            trace.handshake_ms = at_ms - self.hello_ms
        elif isinstance(event, ev.SessionTicketReceived):
            trace.session = event.session
        elif isinstance(event, ev.ApplicationData):
            self.app += event.data
            if self.first_app_ms is None:
                self.first_app_ms = at_ms
            return
        elif isinstance(event, ev.ConnectionClosed):
            self.peer_closed = True
        step = describe(event, "client")
        if step is None:
            return
        step.elapsed_ms = at_ms
        if isinstance(event, ev.CertificateVerified):
            self.auth_step = step
        if isinstance(event, ev.KeysDerived) and self.secrets:
            step.fields += [tuple(line.split(" ", 2)[::2]) for line in self.secrets]
            self.secrets.clear()
        trace.steps.append(step)

    def send_app(self, data: bytes) -> None:
        self.conn.send(data)
        self._send_pending()

    def recv_app(self) -> bytes:
        while not self.app:
            if self.peer_closed or self.eof:
                return b""
            self._read_chunk()
        out = bytes(self.app)
        self.app.clear()
        return out

    # -------------------------------------------------------------- the visit
    def run(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = time.monotonic() + self.options.timeout
        if self._handshake():
            self._http()
            http = self.trace.http
            if http is not None and http.protocol == "HTTP/1.1" and not http.error:
                self._read_until(lambda: False)  # "Connection: close": see the server close (close_notify)
            if self.options.resume and self.trace.session is None and self.trace.label == "first connection":
                self._read_until(lambda: self.trace.session is not None)
            self.conn.close()
            try:
                self._send_pending()
            except OSError:
                pass
        self._add_diagnoses()

    def _handshake(self) -> bool:
        trace = self.trace
        try:
            self._send_pending()
            self._take(self.conn.pop_events(), self.clock.ms(), self.clock.ms())
            while not self.conn.handshake_complete:
                if self.peer_closed or self.eof:
                    trace.failure = self._closed_failure()
                    return False
                self._read_chunk()
        except (_NotTLS, TLSError, OSError) as exc:  # OSError includes TimeoutError
            trace.failure = self._failure_from(exc)
            return False
        return True

    def _failure_from(self, exc: Exception) -> Failure:
        timeout, answered = self.options.timeout, self.received_any
        if isinstance(exc, _NotTLS):
            return Failure(ProbeResult.NOT_TLS.value, f"answered our Client Hello with {describe_answer(exc.answer)}",
                           answer=exc.answer[:64])
        if isinstance(exc, TLSError):
            return Failure("tls-error", exc.message, alert=exc.alert)
        if isinstance(exc, TimeoutError) and answered:
            return Failure("timeout", f"the server stopped answering in the middle of the handshake (nothing more "
                                      f"within {timeout:g} s)")
        if isinstance(exc, TimeoutError):
            return Failure("no-answer", f"connected, but no answer to our Client Hello within {timeout:g} s")
        why = getattr(exc, "strerror", None) or exc
        if answered:
            return Failure("closed-mid-handshake", f"the connection failed during the handshake ({why})")
        return Failure("hung-up", f"the server reset the connection on our Client Hello ({why})")

    def _add_diagnoses(self) -> None:
        """The chain's diagnoses, on the Authentication step; computed after the visit so that their cost
        does not show up in the timing of the steps."""
        v = self.trace.verification
        if self.auth_step is not None and v is not None:
            self.auth_step.fields += [(f"diagnosis {d.code}", f"{d.severity}: {d.message}") for d in v.diagnoses]

    def _closed_failure(self) -> Failure:
        alert = next((e.description for e in reversed(self.trace.events) if isinstance(e, ev.AlertReceived)), None)
        if alert is not None and alert != AlertDescription.close_notify:
            return Failure("alert-received", "the server ended the handshake with a fatal alert", alert=alert)
        if not self.received_any:
            return Failure("hung-up", "the server closed the connection without answering our Client Hello")
        return Failure("closed-mid-handshake", "the server closed the connection in the middle of the handshake")

    def _http(self) -> None:
        trace, opts, run = self.trace, self.options, self.run_info
        if not trace.trusted and not opts.request_when_untrusted:
            trace.http_skipped = "not sent: the certificate is not trusted (--insecure sends it anyway)"
            return
        alpn = trace.complete.alpn_protocol
        if alpn not in (None, "http/1.1", "h2"):
            trace.http_skipped = f"not sent: the server chose ALPN {alpn!r}, which is not HTTP"
            return
        host = opts.server_name or run.target.host
        sent_at = self.clock.ms()

        def send(data: bytes) -> None:
            self.send_app(data)

        try:
            result = exchange(send, self.recv_app, alpn, host, run.target.port, opts.method, run.path)
        except TimeoutError:
            result = None
            error = f"no complete response within {opts.timeout:g} s"
        except (TLSError, OSError) as exc:
            result = None
            error = f"the connection failed during the HTTP exchange ({exc})"
        if result is None:
            result = HttpExchange("HTTP/2" if alpn == "h2" else "HTTP/1.1", opts.method, run.path, [], error=error)
        trace.http = result
        request = http_request_step(opts.method, run.path, result.request_headers, result.protocol)
        request.elapsed_ms = sent_at
        trace.steps.insert(self._index_after(sent_at), request)
        if result.status is not None:
            more = "" if result.body_complete else (" (stopped reading)" if result.error is None else "")
            body = f"{result.body_bytes} bytes{more}"
            response = http_response_step(result.status_line, result.headers, body)
            response.elapsed_ms = self.first_app_ms if self.first_app_ms is not None else self.clock.ms()
            trace.steps.insert(self._index_after(response.elapsed_ms), response)

    def _index_after(self, at_ms: float) -> int:
        steps = self.trace.steps
        return next((i for i, s in enumerate(steps) if s.elapsed_ms is not None and s.elapsed_ms > at_ms), len(steps))

    def _read_until(self, done: Callable[[], bool]) -> None:
        """Keep reading (at most LINGER seconds) until `done()` or the server closes."""
        deadline = min(self.deadline, time.monotonic() + LINGER)
        try:
            while not done() and not (self.peer_closed or self.eof):
                self._read_chunk(deadline)
        except (TimeoutError, TLSError, OSError):
            pass


class _NotTLS(Exception):
    def __init__(self, answer: bytes) -> None:
        self.answer = answer
