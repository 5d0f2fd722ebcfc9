"""Client and server configuration.

Configs are frozen values, built once and shared by many connections: the
trust store, certificates, their DER encodings and the ticket keys are parsed
or made here, not per handshake.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from port443.pki import files
from port443.tls.enums import VERSION_NAMES, NamedGroup, ProtocolVersion, SignatureScheme
from port443.tls.kex import DEFAULT_GROUPS, SUPPORTED_GROUPS
from port443.tls.sigs import DEFAULT_SIGNATURE_ALGORITHMS, SUPPORTED_SCHEMES
from port443.tls.suites import DEFAULT_CLIENT_SUITES, DEFAULT_SERVER_SUITES, SUITES, CipherSuite, parse_suite

Keylog = Callable[[str], None]


class ConfigError(ValueError):
    """A configuration value is wrong; the message names it and the fix."""


def _versions(values: Sequence[str]) -> tuple[ProtocolVersion, ...]:
    out = []
    for v in values:
        if v not in VERSION_NAMES or VERSION_NAMES[v] < ProtocolVersion.TLSv1_2:
            raise ConfigError(f"unsupported TLS version {v!r}; use 'TLSv1.3' and/or 'TLSv1.2'")
        out.append(VERSION_NAMES[v])
    if not out:
        raise ConfigError("no TLS versions enabled; give at least one of 'TLSv1.3', 'TLSv1.2'")
    return tuple(sorted(set(out), reverse=True))


def _groups(values: Sequence[int | str]) -> tuple[NamedGroup, ...]:
    out = []
    for g in values:
        try:
            group = NamedGroup[g] if isinstance(g, str) else NamedGroup(g)
        except (KeyError, ValueError):
            raise ConfigError(f"unknown group {g!r}; use an IANA name such as 'x25519'") from None
        out.append(group)
    return tuple(out)


def _schemes(values: Sequence[int | str]) -> tuple[SignatureScheme, ...]:
    out = []
    for s in values:
        try:
            out.append(SignatureScheme[s] if isinstance(s, str) else SignatureScheme(s))
        except (KeyError, ValueError):
            raise ConfigError(f"unknown signature scheme {s!r}; use an IANA name such as 'ecdsa_secp256r1_sha256'") from None
    return tuple(out)


def _suites(values: Sequence[int | str]) -> tuple[CipherSuite, ...]:
    try:
        return tuple(parse_suite(v) for v in values)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


# --- certificates and keys -------------------------------------------------------

def load_certificates(source: Any) -> tuple[x509.Certificate, ...]:
    """A chain from a PEM/DER path, PEM bytes, a certificate or a list of them."""
    if isinstance(source, x509.Certificate):
        return (source,)
    if isinstance(source, (list, tuple)):
        out: list[x509.Certificate] = []
        for item in source:
            out.extend(load_certificates(item))
        return tuple(out)
    return tuple(_with_pki(source, "certificate", files.load_certificates, files.parse_certificates))


def load_private_key(source: Any, password: bytes | None = None):
    if isinstance(source, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return source
    return _with_pki(source, "private key", lambda path: files.load_private_key(path, password),
                     lambda data: files.parse_private_key(data, password))


def _with_pki(source: Any, what: str, load: Callable[[Any], Any], parse: Callable[[bytes], Any]) -> Any:
    """pki's loader for a path, its parser for bytes; its one-line error becomes a ConfigError."""
    try:
        if isinstance(source, bytes):
            return parse(source)
        if isinstance(source, (str, os.PathLike)):
            return load(source)
    except files.PkiFileError as exc:
        raise ConfigError(str(exc)) from None
    raise ConfigError(f"{what}: expected a path, PEM bytes or a cryptography object, got {type(source).__name__}")


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    from port443.pki.hostname import covered_names

    return tuple(name.lower() for name in covered_names(cert).all())


@dataclass(frozen=True)
class CertifiedKey:
    """A certificate chain (leaf first) and the private key of its leaf."""

    chain: tuple[x509.Certificate, ...]
    key: Any
    der_chain: tuple[bytes, ...] = field(default=(), repr=False)
    names: tuple[str, ...] = ()

    @classmethod
    def load(cls, chain: Any, key: Any, password: bytes | None = None) -> "CertifiedKey":
        certs = load_certificates(chain)
        if not certs:
            raise ConfigError("the certificate file holds no certificate")
        private = load_private_key(key, password)
        if not files.key_matches(certs[0], private):
            raise ConfigError("the private key does not match the certificate; pass the key the certificate was issued for")
        return cls(certs, private, tuple(c.public_bytes(Encoding.DER) for c in certs), _names(certs[0]))

    def matches(self, server_name: str) -> bool:
        from port443.pki.hostname import dns_pattern_matches

        return any(dns_pattern_matches(pattern, server_name) for pattern in self.names)


class TicketKeys:
    """The server's session-ticket encryption key (AES-256-GCM), shared by its connections."""

    def __init__(self, key: bytes | None = None) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key = key or os.urandom(32)
        self.aead = AESGCM(self.key)


def _default_clock() -> float:
    return time.time()


# --- configs ----------------------------------------------------------------------

@dataclass(frozen=True)
class ClientConfig:
    server_name: str | None = None
    cafile: str | None = None
    capath: str | None = None
    verify: bool = True
    versions: tuple[str, ...] = ("TLSv1.3", "TLSv1.2")
    cipher_suites: tuple[int | str, ...] = DEFAULT_CLIENT_SUITES
    groups: tuple[int | str, ...] = DEFAULT_GROUPS
    key_share_groups: tuple[int | str, ...] | None = None  # default: the first group
    signature_algorithms: tuple[int | str, ...] = DEFAULT_SIGNATURE_ALGORITHMS
    alpn_protocols: tuple[str, ...] = ()
    keylog: Keylog | None = None
    session: Any = None  # a Session from SessionTicketReceived, to resume
    compatibility_mode: bool = True  # RFC 8446 Appendix D.4
    record_size_limit: int | None = 16385  # RFC 8449; None to not send the extension
    padding_block: int = 0  # pad encrypted records to a multiple of this (0: no padding)
    max_handshake_message: int = 1 << 17
    trust_store: Any = None  # a port443.pki.trust.TrustStore; overrides cafile/capath
    clock: Callable[[], float] = _default_clock
    # TLS 1.2
    extended_master_secret: bool = True
    encrypt_then_mac: bool = True
    session_ticket: bool = True
    fallback_scsv: bool = False  # RFC 7507: set when retrying with a lower version
    ocsp_stapling: bool = False  # ask for the server's OCSP response (status_request, RFC 6066 §8)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "_versions", _versions(self.versions))
        suites = _suites(self.cipher_suites)
        has13 = ProtocolVersion.TLSv1_3 in self._versions and any(s in SUITES and SUITES[s].tls13 for s in suites)
        has12 = ProtocolVersion.TLSv1_2 in self._versions and any(s in SUITES and not SUITES[s].tls13 for s in suites)
        if not (has13 or has12):
            raise ConfigError("no cipher suite fits the enabled versions; add a TLS 1.3 or TLS 1.2 suite")
        set_(self, "_suites", suites)
        groups = _groups(self.groups)
        set_(self, "_groups", groups)
        shares = _groups(self.key_share_groups) if self.key_share_groups is not None else groups[:1]
        for g in shares:
            if g not in groups:
                raise ConfigError(f"key share group {g.name} is not among the offered groups")
            if g not in SUPPORTED_GROUPS:
                raise ConfigError(f"cannot make a key share for {g.name}")
        set_(self, "_key_share_groups", shares)
        set_(self, "_schemes", _schemes(self.signature_algorithms))
        for p in self.alpn_protocols:
            if not p or len(p.encode()) > 255:
                raise ConfigError(f"bad ALPN protocol name {p!r}")
        if self.record_size_limit is not None and not 64 <= self.record_size_limit <= 16385:
            raise ConfigError("record_size_limit must be between 64 and 16385")

    def trust(self):
        """The trust store to validate against (parsed once per CA file and process)."""
        from port443.pki.trust import TrustStore, cached_cafile, cached_capath

        if self.trust_store is not None:
            return self.trust_store
        if self.cafile:
            return cached_cafile(str(self.cafile))
        if self.capath:
            return cached_capath(str(self.capath))
        return TrustStore.mozilla()


@dataclass(frozen=True)
class ServerConfig:
    certificate_chain: Any = None
    private_key: Any = None
    certificates: tuple[Any, ...] = ()  # more (chain, key) pairs or CertifiedKeys, chosen by SNI
    # (ALPN protocol, CertifiedKey or (chain, key)): served, by SNI, only when ALPN picks that protocol
    # (RFC 8737's acme-tls/1 validation certificates); never offered to other clients
    alpn_certificates: tuple[tuple[str, Any], ...] = ()
    password: bytes | None = None
    versions: tuple[str, ...] = ("TLSv1.3", "TLSv1.2")
    cipher_suites: tuple[int | str, ...] = DEFAULT_SERVER_SUITES
    groups: tuple[int | str, ...] = DEFAULT_GROUPS
    signature_algorithms: tuple[int | str, ...] = DEFAULT_SIGNATURE_ALGORITHMS
    alpn_protocols: tuple[str, ...] = ()
    keylog: Keylog | None = None
    session_tickets: int = 2  # NewSessionTickets sent after a full handshake (0: none)
    ticket_lifetime: int = 7200
    ticket_keys: TicketKeys | None = None
    padding_block: int = 0
    record_size_limit: int | None = 16385
    max_handshake_message: int = 1 << 17
    clock: Callable[[], float] = _default_clock
    # TLS 1.2
    legacy_rsa_key_exchange: bool = False  # the guide's RSA-encrypted premaster secret (no forward secrecy)
    session_cache: Any = None  # a session.SessionCache for TLS 1.2 session-ID resumption

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "_versions", _versions(self.versions))
        set_(self, "_suites", _suites(self.cipher_suites))
        set_(self, "_groups", _groups(self.groups))
        set_(self, "_schemes", _schemes(self.signature_algorithms))
        keys: list[CertifiedKey] = []
        if self.certificate_chain is not None:
            if self.private_key is None:
                raise ConfigError("a certificate needs its private key (private_key=...)")
            keys.append(CertifiedKey.load(self.certificate_chain, self.private_key, self.password))
        for item in self.certificates:
            keys.append(item if isinstance(item, CertifiedKey) else CertifiedKey.load(item[0], item[1], self.password))
        by_alpn: dict[str, tuple[CertifiedKey, ...]] = {}
        for protocol, item in self.alpn_certificates:
            ck = item if isinstance(item, CertifiedKey) else CertifiedKey.load(item[0], item[1], self.password)
            by_alpn[protocol] = by_alpn.get(protocol, ()) + (ck,)
        if not keys and not by_alpn:
            raise ConfigError("a server needs a certificate: certificate_chain=... and private_key=...")
        set_(self, "_certified_keys", tuple(keys))
        set_(self, "_alpn_certified", by_alpn)
        if self.ticket_keys is None:
            set_(self, "ticket_keys", TicketKeys())
        if not 0 <= self.ticket_lifetime <= 604800:
            raise ConfigError("ticket_lifetime must be between 0 and 604800 seconds (7 days, RFC 8446 §4.6.1)")
        if self.session_cache is None:
            from port443.tls.session import SessionCache

            set_(self, "session_cache", SessionCache())
        cbc = [s for s in self._suites if s in SUITES and SUITES[s].cipher == "AESCBC"]
        if cbc:
            raise ConfigError(f"the server never offers CBC suites ({cbc[0].name}); use AEAD suites")
        if self.legacy_rsa_key_exchange and self.cipher_suites == DEFAULT_SERVER_SUITES:
            set_(self, "_suites", self._suites + (CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
                                                  CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384))
        unsupported = [g for g in self._groups if g not in SUPPORTED_GROUPS]
        if unsupported:
            raise ConfigError(f"cannot serve key exchange for {', '.join(g.name for g in unsupported)}")
        bad = [s for s in self._schemes if s not in SUPPORTED_SCHEMES]
        if bad:
            raise ConfigError(f"unsupported signature schemes {', '.join(s.name for s in bad)}")
