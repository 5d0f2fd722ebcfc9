"""port443's TLS engine: sans-IO TLS 1.3 and 1.2, client and server.

    conn = ClientConnection(ClientConfig(server_name="example.com"))
    sock.sendall(conn.data_to_send())          # ClientHello
    for event in conn.receive_data(sock.recv(65536)): ...
    conn.send(b"GET / HTTP/1.1\\r\\n...")       # encrypted into data_to_send()

Every cryptographic primitive, X.509 parse and path validation comes from
`cryptography`; the protocol logic is ours.
"""

from port443.tls.config import CertifiedKey, ClientConfig, ConfigError, ServerConfig, TicketKeys
from port443.tls.connection import Connection, Entropy
from port443.tls.enums import (
    AlertDescription, ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
)
from port443.tls.errors import CertificateError, TLSError
from port443.tls.events import *  # noqa: F401,F403
from port443.tls.session import Session
from port443.tls.suites import CipherSuite


__all__ = [
    "AlertDescription", "CertificateError", "CertifiedKey", "CipherSuite", "ClientConfig", "ClientConnection",
    "ConfigError", "Connection", "ContentType", "Entropy", "ExtensionType", "HandshakeType", "NamedGroup",
    "ProtocolVersion", "ServerConfig", "ServerConnection", "Session", "SignatureScheme", "TicketKeys", "TLSError",
] + [name for name in dir() if name[:1].isupper() and name not in ("Connection",)]


class ClientConnection(Connection):
    """A TLS client. Its first data_to_send() is the ClientHello."""

    is_client = True

    def __init__(self, config: ClientConfig, entropy: Entropy | None = None) -> None:
        super().__init__(config, entropy)
        from port443.tls.client13 import ClientHandshake

        self._hs = ClientHandshake(self)
        self._hs.send_client_hello()


class ServerConnection(Connection):
    """A TLS server: feed it the client's bytes."""

    def __init__(self, config: ServerConfig, entropy: Entropy | None = None) -> None:
        super().__init__(config, entropy)
        from port443.tls.server13 import ServerHandshake

        self._hs = ServerHandshake(self)
