"""Events: what happened, named after the guide's handshake steps.

`receive_data` returns these; `pop_events` returns those produced by our own
actions (the ClientHello at start, KeyUpdate, close). Every event carries real
values; secret values never appear here (only through the keylog callback).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class ClientHelloSent(Event):
    versions: tuple[str, ...]
    cipher_suites: tuple[int, ...]
    groups: tuple[int, ...]
    key_share_groups: tuple[int, ...]
    signature_algorithms: tuple[int, ...]
    random: bytes
    server_name: str | None
    alpn_protocols: tuple[str, ...]
    session_id: bytes
    resumption_offered: bool
    retry: bool = False  # the second ClientHello, after a HelloRetryRequest
    raw: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ClientHelloReceived(Event):
    versions: tuple[str, ...]
    legacy_version: int
    cipher_suites: tuple[int, ...]
    groups: tuple[int, ...]
    key_share_groups: tuple[int, ...]
    signature_algorithms: tuple[int, ...]
    random: bytes
    server_name: str | None
    alpn_protocols: tuple[str, ...]
    extensions: tuple[int, ...]
    session_id: bytes
    resumption_offered: bool
    raw: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ServerHelloSent(Event):
    version: str
    cipher_suite: int
    random: bytes
    group: int | None
    session_id: bytes
    resumed: bool


@dataclass(frozen=True)
class ServerHelloReceived(Event):
    version: str
    cipher_suite: int
    random: bytes
    group: int | None
    session_id: bytes
    resumed: bool


@dataclass(frozen=True)
class HelloRetryRequestSent(Event):
    cipher_suite: int
    group: int
    cookie: bool


@dataclass(frozen=True)
class HelloRetryRequestReceived(Event):
    cipher_suite: int
    group: int | None
    cookie: bool


@dataclass(frozen=True)
class EncryptedExtensionsReceived(Event):
    alpn_protocol: str | None
    server_name_acknowledged: bool
    extensions: tuple[int, ...]


@dataclass(frozen=True)
class CertificateSent(Event):
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class CertificateReceived(Event):
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class CertificateStatusReceived(Event):
    """The OCSP response the server stapled for its certificate (RFC 6066 §8, RFC 8446 §4.4.2.1)."""

    ocsp_response: bytes


@dataclass(frozen=True)
class CertificateVerified(Event):
    """The outcome of validating the peer's chain (port443.pki.verify.ChainVerification)."""

    trusted: bool
    reason: str
    verification: object | None  # ChainVerification, or None when verification is off
    checked: bool = True


@dataclass(frozen=True)
class CertificateVerifySent(Event):
    scheme: int


@dataclass(frozen=True)
class CertificateVerifyReceived(Event):
    scheme: int


@dataclass(frozen=True)
class KeyExchange(Event):
    """The key exchange: kind is "ECDHE share", "DHE share", "hybrid ML-KEM share",
    or "RSA-encrypted premaster secret"."""

    kind: str
    group: int | None
    our_public_length: int
    peer_public_length: int


@dataclass(frozen=True)
class KeysDerived(Event):
    """Secrets derived at one stage; `labels` names them, values go only to the keylog."""

    stage: str  # "handshake", "application", "resumption", "key update", "session keys (TLS 1.2)"
    labels: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ChangeCipherSpecSent(Event):
    pass


@dataclass(frozen=True)
class ChangeCipherSpecReceived(Event):
    pass


@dataclass(frozen=True)
class FinishedSent(Event):
    verify_data: bytes


@dataclass(frozen=True)
class FinishedReceived(Event):
    verify_data: bytes


@dataclass(frozen=True)
class HandshakeComplete(Event):
    version: str
    cipher_suite: int
    group: int | None
    alpn_protocol: str | None
    peer_certificates: tuple[x509.Certificate, ...]
    server_name: str | None
    resumed: bool
    key_exchange: str = ""
    signature_scheme: int | None = None


@dataclass(frozen=True)
class SessionTicketReceived(Event):
    session: object  # port443.tls.session.Session: pass it as ClientConfig(session=...) to resume
    lifetime: int


@dataclass(frozen=True)
class SessionTicketSent(Event):
    lifetime: int


@dataclass(frozen=True)
class KeyUpdated(Event):
    direction: str  # "send" or "receive"
    update_requested: bool


@dataclass(frozen=True)
class ApplicationData(Event):
    data: bytes


@dataclass(frozen=True)
class AlertReceived(Event):
    level: int
    description: int


@dataclass(frozen=True)
class AlertSent(Event):
    level: int
    description: int


@dataclass(frozen=True)
class ConnectionClosed(Event):
    """The peer sent close_notify (clean) or a fatal alert (not clean)."""

    clean: bool = True
