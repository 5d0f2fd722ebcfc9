"""Fetch the certificate chain a server presents, exactly as it sends it.

Runs port443's own TLS engine (`port443.tls.ClientConnection`) over a socket,
with verification off (we want to see bad chains too), and stops as soon as
the engine reports the server's Certificate message: nothing after it (the
server's signature, Finished) matters for showing the chain. Works the same
for TLS 1.3, where the chain is encrypted, and TLS 1.2.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from cryptography import x509

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


def fetch_chain(host: str, port: int = DEFAULT_PORT, server_name: str | None = None,
                timeout: float = 10.0) -> FetchedChain:
    """Connect, handshake until the server's certificates arrive, and return them."""
    from port443.tls import (AlertReceived, CertificateReceived, ClientConfig, ClientConnection,
                             ServerHelloReceived, TLSError)

    # The engine sends no SNI for an IP address literal (RFC 6066 §3).
    conn = ClientConnection(ClientConfig(server_name=server_name or host, verify=False))
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ChainFetchError(f"cannot connect to {host}:{port} ({exc.strerror or exc}); "
                              "check the name, the port and that the server is running") from None
    version = "unknown"
    with sock:
        address = sock.getpeername()[0]
        try:
            sock.sendall(conn.data_to_send())
            while True:
                data = sock.recv(65536)
                if not data:
                    raise ChainFetchError(f"{host}:{port} closed the connection before sending its certificates; "
                                          "is it a TLS port?")
                try:
                    events = conn.receive_data(data)
                except TLSError as exc:
                    events = list(exc.events)
                    if not any(isinstance(e, CertificateReceived) for e in events):
                        raise ChainFetchError(f"{host}:{port}: TLS handshake failed before the certificates "
                                              f"({exc}); check that the port serves HTTPS") from None
                for event in events:
                    if isinstance(event, ServerHelloReceived):
                        version = event.version
                    if isinstance(event, AlertReceived):
                        raise ChainFetchError(f"{host}:{port} refused the handshake (alert "
                                              f"{_alert_name(event.description)}); check the server's TLS "
                                              "configuration")
                    if isinstance(event, CertificateReceived):
                        return FetchedChain(tuple(event.chain), address, version)
                pending = conn.data_to_send()
                if pending:
                    sock.sendall(pending)
        except OSError as exc:
            if isinstance(exc, ChainFetchError):
                raise
            raise ChainFetchError(f"{host}:{port}: connection failed during the handshake "
                                  f"({exc.strerror or exc}); is it a TLS port?") from None


def _alert_name(code: int) -> str:
    from port443.tls import AlertDescription

    try:
        return AlertDescription(code).name
    except ValueError:
        return str(code)
