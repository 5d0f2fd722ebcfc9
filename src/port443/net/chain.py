"""Fetch the certificate chain a server presents, exactly as it sends it.

Interim until port443's own TLS engine is wired in: Python's `ssl` makes the
handshake (verification off: we want to see bad chains too, and weak keys,
hence security level 0), while we record the bytes the server sends. On
Python before 3.13 `ssl` exposes only the leaf, so the handshake is held to
TLS 1.2, where the Certificate message is in the clear, and the chain is read
from it (tls12_certificate.py). On 3.13 and later `ssl` gives the whole chain
for any version.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from cryptography import x509

from port443.net.tls12_certificate import FramingError, server_certificates

DEFAULT_PORT = 443


class ChainFetchError(OSError):
    """The chain could not be fetched; the message names the host and what to check."""


@dataclass(frozen=True)
class FetchedChain:
    certificates: tuple[x509.Certificate, ...]  # as sent, leaf first
    address: str  # the IP address we reached
    tls_version: str


def split_host_port(target: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """"example.com", "example.com:8443", "[::1]:443", "::1" -> (host, port)."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif target.count(":") == 1:
        host, _, port = target.partition(":")
    else:
        host, port = target, ""
    if not host:
        raise ValueError(f"{target!r}: no host name; write HOST or HOST:PORT")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{target!r}: {port!r} is not a port number (1-65535)")
    return host, int(port) if port else default_port


def _context(full_chain_api: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    if not full_chain_api:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return True
    except OSError:
        return False


def fetch_chain(host: str, port: int = DEFAULT_PORT, server_name: str | None = None,
                timeout: float = 10.0) -> FetchedChain:
    """Connect, handshake far enough to receive the certificates, and return them."""
    full_chain_api = hasattr(ssl.SSLObject, "get_unverified_chain")
    sni = server_name or (None if _is_ip(host) else host)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _context(full_chain_api).wrap_bio(incoming, outgoing, server_hostname=sni)
    recorded = bytearray()
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ChainFetchError(f"cannot connect to {host}:{port} ({exc.strerror or exc}); "
                              "check the name, the port and that the server is running") from None
    with sock:
        address = sock.getpeername()[0]
        try:
            _handshake(tls, sock, incoming, outgoing, recorded)
        except ssl.SSLError as exc:
            raise ChainFetchError(_tls_failure(host, port, exc, full_chain_api)) from None
        except OSError as exc:
            raise ChainFetchError(f"{host}:{port}: connection failed during the handshake "
                                  f"({exc.strerror or exc}); is it a TLS port?") from None
        version = tls.version() or "unknown"
        ders = _chain_ders(tls, bytes(recorded), full_chain_api, host, port)
    try:
        chain = tuple(x509.load_der_x509_certificate(der) for der in ders)
    except ValueError:
        raise ChainFetchError(f"{host}:{port} sent a certificate that cannot be parsed; "
                              "the server's certificate file is damaged") from None
    return FetchedChain(chain, address, version)


def _handshake(tls: ssl.SSLObject, sock: socket.socket, incoming: ssl.MemoryBIO,
               outgoing: ssl.MemoryBIO, recorded: bytearray) -> None:
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                sock.sendall(pending)
            data = sock.recv(65536)
            if not data:
                raise ConnectionResetError(0, "the server closed the connection")
            recorded += data
            incoming.write(data)
    pending = outgoing.read()
    if pending:
        sock.sendall(pending)


def _chain_ders(tls: ssl.SSLObject, recorded: bytes, full_chain_api: bool, host: str, port: int) -> list[bytes]:
    if full_chain_api:
        return [c if isinstance(c, bytes) else c.public_bytes(ssl.ENCODING_DER)  # type: ignore[attr-defined]
                for c in tls.get_unverified_chain()]  # type: ignore[attr-defined]
    try:
        ders = server_certificates(recorded)
    except FramingError as exc:
        raise ChainFetchError(f"{host}:{port}: could not read the certificates from the handshake ({exc})") from None
    if not ders:
        raise ChainFetchError(f"{host}:{port} sent no certificate (an anonymous or PSK-only server?)")
    return ders


def _tls_failure(host: str, port: int, exc: ssl.SSLError, full_chain_api: bool) -> str:
    text = exc.reason or str(exc)
    if not full_chain_api and ("PROTOCOL_VERSION" in text.upper() or "UNSUPPORTED_PROTOCOL" in text.upper()):
        return (f"{host}:{port} speaks only TLS 1.3, which hides the chain from Python {_py()}'s ssl; "
                "run port443 on Python 3.13+ (port443's own engine will lift this)")
    if "WRONG_VERSION_NUMBER" in text.upper() or "RECORD_LAYER" in text.upper():
        return f"{host}:{port} does not speak TLS (plain HTTP?); check the port"
    return f"{host}:{port}: TLS handshake failed ({text}); check that the port serves HTTPS"


def _py() -> str:
    import sys

    return f"{sys.version_info.major}.{sys.version_info.minor}"
