"""Probe a TCP port from this machine: open, closed, filtered, or reachable but not TLS.

One connection: connect (closed = an RST came back, filtered = no answer
within the timeout), then send a TLS ClientHello and read the first bytes of
the answer (open = a TLS record, even an alert; anything else, or silence, or
the connection closed without a word = reachable but not TLS).
"""

from __future__ import annotations

import enum
import errno
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

CONNECT_TIMEOUT = 3.0  # seconds to wait for the TCP handshake
ANSWER_TIMEOUT = 3.0  # seconds to wait for the first bytes after the ClientHello
RECORD_HEADER = 5
TLS_CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}
UNREACHABLE_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM}


class ProbeError(Exception):
    """The probe could not start (bad host, bad port); the message is one line."""


class ProbeResult(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    FILTERED = "filtered"
    NOT_TLS = "not-tls"
    UNREACHABLE = "unreachable"


MEANING = {
    ProbeResult.OPEN: "A TLS server answered on the port: the path and the firewalls let it through.",
    ProbeResult.CLOSED: "The host answered with a reset: nothing listens on the port there (or a firewall "
                        "rejects with a reset or an ICMP port-unreachable). Start the server, or check its port.",
    ProbeResult.FILTERED: "No answer at all: a firewall on the way or on the host drops the packets "
                          "(or the host is down). Open the port with `port443 firewall open` on the server.",
    ProbeResult.NOT_TLS: "Something accepts connections on the port but does not speak TLS: plain HTTP, "
                         "another protocol, or a proxy. Point the port at your TLS server.",
    ProbeResult.UNREACHABLE: "An ICMP unreachable came back: no route to the host, or a firewall rejecting "
                             "with host-prohibited. Check the address and the firewalls on the way.",
}


@dataclass(frozen=True)
class ProbeReport:
    host: str
    port: int
    address: str
    result: ProbeResult
    detail: str
    seconds: float
    answer: bytes = b""

    @property
    def meaning(self) -> str:
        return MEANING[self.result]


def connect_failure(exc: OSError, timeout: float) -> tuple[ProbeResult | None, str]:
    """What a failed TCP connect says about the port, and a one-line detail: CLOSED (a reset came
    back), FILTERED (no answer within `timeout`), UNREACHABLE (an ICMP unreachable, or a local
    firewall's refusal), or None for an error that says nothing about the port."""
    if isinstance(exc, ConnectionRefusedError):
        return ProbeResult.CLOSED, "the connection was refused (TCP reset)"
    if isinstance(exc, TimeoutError):
        return ProbeResult.FILTERED, f"no answer to the TCP handshake within {timeout:g} s"
    detail = exc.strerror or str(exc)
    return (ProbeResult.UNREACHABLE if exc.errno in UNREACHABLE_ERRNOS else None), detail


def client_hello(server_name: str) -> bytes:
    """The ClientHello the probe sends: port443's own engine's first flight."""
    from port443.tls import ClientConfig, ClientConnection

    return ClientConnection(ClientConfig(server_name=server_name, verify=False)).data_to_send()


def is_tls_record(data: bytes) -> bool:
    """Do these first bytes start a TLS record (a known content type, version 3.x)?"""
    if not data or data[0] not in TLS_CONTENT_TYPES:
        return False
    return len(data) < 2 or (data[1] == 3 and (len(data) < 3 or data[2] <= 4))


def describe_answer(data: bytes) -> str:
    if is_tls_record(data):
        kind = TLS_CONTENT_TYPES[data[0]]
        return "a TLS alert" if kind == "alert" else f"a TLS {kind} record"
    if data.startswith(b"HTTP/"):
        first = data.split(b"\r\n", 1)[0][:60].decode("latin-1")
        return f"plain HTTP ({first})"
    if data[:1] == b"<":
        return "an HTML page: plain HTTP (an HTTP/0.9-style answer, no status line)"
    if data.startswith(b"SSH-"):
        return "an SSH banner"
    return f"bytes that are not a TLS record ({data[:16].hex(' ')})"


def resolve(host: str, port: int) -> tuple[int, tuple]:
    if not 1 <= port <= 65535:
        raise ProbeError(f"port {port} is out of range; use 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ProbeError(f"cannot resolve {host!r} ({exc}); check the name or use an IP address") from None
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def probe(
    host: str,
    port: int = 443,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    answer_timeout: float = ANSWER_TIMEOUT,
    hello: Callable[[str], bytes] = client_hello,
) -> ProbeReport:
    """Connect to host:port once and classify what happens."""
    if connect_timeout <= 0 or answer_timeout <= 0:
        raise ProbeError("timeouts must be positive numbers of seconds")
    family, sockaddr = resolve(host, port)
    address = sockaddr[0]
    start = time.monotonic()

    def report(result: ProbeResult, detail: str, answer: bytes = b"") -> ProbeReport:
        return ProbeReport(host, port, address, result, detail, time.monotonic() - start, answer)

    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(connect_timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            result, detail = connect_failure(exc, connect_timeout)
            if result is None:
                raise ProbeError(f"cannot connect to {address} port {port}: {detail}") from None
            return report(result, detail)
        return _read_answer(sock, hello(host.rstrip(".")), answer_timeout, report)


def _read_answer(sock: socket.socket, hello: bytes, timeout: float, report) -> ProbeReport:
    deadline = time.monotonic() + timeout
    data = b""
    closed = False
    try:
        sock.sendall(hello)
        while len(data) < RECORD_HEADER:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            chunk = sock.recv(RECORD_HEADER - len(data))
            if not chunk:
                closed = True
                break
            data += chunk
    except TimeoutError:
        pass
    except (ConnectionResetError, BrokenPipeError):
        if not data:
            return report(ProbeResult.NOT_TLS, "accepted the connection, then reset it on our ClientHello")
    if not data and closed:
        return report(ProbeResult.NOT_TLS, "accepted the connection, then closed it without answering our ClientHello")
    if not data:
        return report(ProbeResult.NOT_TLS, f"accepted the connection but answered nothing within {timeout:g} s "
                                           "of our ClientHello")
    if is_tls_record(data):
        return report(ProbeResult.OPEN, f"answered our ClientHello with {describe_answer(data)}", data)
    return report(ProbeResult.NOT_TLS, f"answered our ClientHello with {describe_answer(data)}", data)
