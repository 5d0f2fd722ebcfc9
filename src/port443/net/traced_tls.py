"""One traced TLS connection: the engine's handshake over a socket, step by step, then one HTTP request.

`TracedConnection` feeds the received bytes to port443's client engine one
TLS record at a time and turns each event into a step of the guide
(`port443.trace.describe`) stamped with the elapsed milliseconds (the engine
has no clock: the stamps are taken here), so steps that arrive in one TCP
segment still get their own time (certificate validation, for one, takes
measurable time). What went wrong is recorded as a `Failure` with a kind;
nothing here prints or decides (`port443.verdict` does).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, NamedTuple

from port443.net.http_once import HttpExchange, exchange
from port443.net.probe import ProbeResult, describe_answer, is_tls_record
from port443.tls import ClientConnection, TLSError
from port443.tls import events as ev
from port443.tls.enums import AlertDescription
from port443.tls.record import MAX_CIPHERTEXT_12
from port443.trace import Step, describe, http_request_step, http_response_step

if TYPE_CHECKING:
    from port443.net.trace_run import TraceOptions

LINGER = 2.0  # seconds, at most, to wait after the response: for the server's close, or a ticket --resume needs
RECV_SIZE = 65536
RECORD_HEADER = 5


class HttpTarget(NamedTuple):
    host: str  # for the Host header (or :authority)
    port: int
    path: str


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
    local: tuple[str, int] | None = None  # our end of the TCP connection
    wire: list[tuple[float, str, bytes]] = field(default_factory=list)  # (ms, "c2s"/"s2c", bytes): for --observe

    @property
    def trusted(self) -> bool:
        if self.complete is not None and self.complete.resumed and self.verification is None:
            return self.trusted_before
        return bool(self.verification is not None and self.verification.trusted)


class TracedConnection:
    """One TLS connection over a connected socket: handshake, one HTTP request, close.

    `make_config(keylog)` gives the engine's ClientConfig; the connection (and so the Client Hello) is
    built here, before the socket exists, so that building it is not counted in the steps' times.
    `clock()` gives the milliseconds elapsed since the connection's start.
    """

    def __init__(self, trace: ConnectionTrace, make_config: Callable, options: TraceOptions, request: HttpTarget,
                 clock: Callable[[], float], wants_ticket: bool = False) -> None:
        self.trace, self.options, self.request, self.ms = trace, options, request, clock
        self.wants_ticket = wants_ticket
        self.sock: socket.socket | None = None
        self.deadline = 0.0
        self.secrets: list[str] = []
        self.conn = ClientConnection(make_config(self._keylog))
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
            at = self.ms()
            self.sock.sendall(data)
            self.trace.wire.append((at, "c2s", data))

    def _read_chunk(self, deadline: float | None = None) -> None:
        remaining = (deadline or self.deadline) - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(RECV_SIZE)
        if not chunk:
            self.eof = True
            return
        self.trace.wire.append((self.ms(), "s2c", chunk))
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
                self._take(exc.events, self.ms(), None)
                try:
                    self._send_pending()  # our alert
                except OSError:
                    pass
                raise
            received = self.ms()
            self._send_pending()
            self._take(events, received, self.ms())

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
            if not event.retry:  # the handshake's time runs from the first Client Hello
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
        """Handshake, one HTTP request (when trusted, or --insecure), close; `trace` records it all."""
        self.sock = sock
        name = sock.getsockname()
        self.trace.local = tuple(name[:2]) if isinstance(name, tuple) else None
        self.deadline = time.monotonic() + self.options.timeout
        if self._handshake():
            self._http()
            http = self.trace.http
            if http is not None and http.protocol == "HTTP/1.1" and not http.error:
                self._read_until(lambda: False)  # "Connection: close": see the server close (close_notify)
            if self.wants_ticket and self.trace.session is None:
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
            self._take(self.conn.pop_events(), self.ms(), self.ms())
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
        trace, opts, (host, port, path) = self.trace, self.options, self.request
        if not trace.trusted and not opts.request_when_untrusted:
            trace.http_skipped = "not sent: the certificate is not trusted (--insecure sends it anyway)"
            return
        alpn = trace.complete.alpn_protocol
        if alpn not in (None, "http/1.1", "h2"):
            trace.http_skipped = f"not sent: the server chose ALPN {alpn!r}, which is not HTTP"
            return
        sent_at = self.ms()
        try:
            result = exchange(self.send_app, self.recv_app, alpn, host, port, opts.method, path)
        except TimeoutError:
            result = None
            error = f"no complete response within {opts.timeout:g} s"
        except (TLSError, OSError) as exc:
            result = None
            error = f"the connection failed during the HTTP exchange ({exc})"
        if result is None:
            result = HttpExchange("HTTP/2" if alpn == "h2" else "HTTP/1.1", opts.method, path, [], error=error)
        trace.http = result
        request = http_request_step(opts.method, path, result.request_headers, result.protocol)
        request.elapsed_ms = sent_at
        trace.steps.insert(self._index_after(sent_at), request)
        if result.status is not None:
            more = "" if result.body_complete else (" (stopped reading)" if result.error is None else "")
            body = f"{result.body_bytes} bytes{more}"
            response = http_response_step(result.status_line, result.headers, body)
            response.elapsed_ms = self.first_app_ms if self.first_app_ms is not None else self.ms()
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
