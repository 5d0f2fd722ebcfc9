"""The ClientHellos an audit sends: one per question, built on the engine's codecs.

Protocols below TLS 1.2 and the SSLv2-format hello are built here by hand, never
asked of a TLS library: what we can test does not depend on the local OpenSSL.
References: RFC 8446 §4.1.2 (TLS 1.3), RFC 5246 §7.4.1.2 (TLS 1.2 and below),
RFC 6101 §5.6.1.2 (SSLv3), the SSL 2.0 draft (draft-hickman-netscape-ssl-00)
§ "CLIENT-HELLO" and RFC 5246 appendix E.2 for the SSLv2-format hello.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from port443.tls import extensions as X
from port443.tls.client_hello import is_ip_literal
from port443.tls.codec import u8, u16, vec8
from port443.tls.enums import ContentType, ExtensionType as ET, NamedGroup as G, SignatureScheme as SS
from port443.tls.messages import ClientHello
from port443.tls.record import header

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
VERSION = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
VERSION_NAME = {v: k for k, v in VERSION.items()} | {0x0002: "SSLv2"}

# Every group we ask about: elliptic curves (RFC 8422, RFC 7027, RFC 8446), FFDHE (RFC 7919), hybrids.
ALL_GROUPS: tuple[int, ...] = (
    G.X25519MLKEM768, G.SecP256r1MLKEM768, G.SecP384r1MLKEM1024, G.x25519, G.secp256r1, G.x448, G.secp384r1,
    G.secp521r1, G.brainpoolP256r1tls13, G.brainpoolP384r1tls13, G.brainpoolP512r1tls13, G.brainpoolP256r1,
    G.brainpoolP384r1, G.brainpoolP512r1, G.secp256k1, G.secp224r1, G.secp224k1, G.secp192r1, G.secp192k1,
    G.secp160r2, G.secp160r1, G.secp160k1, G.sect571r1, G.sect571k1, G.sect409r1, G.sect409k1, G.sect283r1,
    G.sect283k1, G.sect239k1, G.sect233r1, G.sect233k1, G.sect193r2, G.sect193r1, G.sect163r2, G.sect163r1,
    G.sect163k1, G.ffdhe2048, G.ffdhe3072, G.ffdhe4096, G.ffdhe6144, G.ffdhe8192,
)
FFDHE_GROUPS = tuple(g for g in ALL_GROUPS if 256 <= g <= 260)
EC_GROUPS = tuple(g for g in ALL_GROUPS if g not in FFDHE_GROUPS)
TLS13_GROUPS = (G.X25519MLKEM768, G.SecP256r1MLKEM768, G.SecP384r1MLKEM1024, G.x25519, G.secp256r1, G.x448,
                G.secp384r1, G.secp521r1, G.brainpoolP256r1tls13, G.brainpoolP384r1tls13, G.brainpoolP512r1tls13,
                *FFDHE_GROUPS)

# Every signature scheme, modern first, then the TLS 1.2 (hash, signature) pairs down to MD5.
ALL_SCHEMES: tuple[int, ...] = (
    SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384, SS.ecdsa_secp521r1_sha512, SS.ed25519, SS.ed448,
    SS.rsa_pss_rsae_sha256, SS.rsa_pss_rsae_sha384, SS.rsa_pss_rsae_sha512, SS.rsa_pss_pss_sha256,
    SS.rsa_pss_pss_sha384, SS.rsa_pss_pss_sha512, SS.rsa_pkcs1_sha256, SS.rsa_pkcs1_sha384, SS.rsa_pkcs1_sha512,
    SS.ecdsa_brainpoolP256r1tls13_sha256, SS.ecdsa_brainpoolP384r1tls13_sha384,
    SS.ecdsa_brainpoolP512r1tls13_sha512, SS.rsa_pkcs1_sha224, SS.ecdsa_sha224, SS.dsa_sha256, SS.dsa_sha384,
    SS.dsa_sha512, SS.dsa_sha224, SS.rsa_pkcs1_sha1, SS.ecdsa_sha1, SS.dsa_sha1, SS.rsa_pkcs1_md5,
)

HEARTBEAT_PEER_ALLOWED_TO_SEND = b"\x01"  # RFC 6520 §2


@dataclass
class HelloOptions:
    """What one probing ClientHello offers besides its version and suites."""

    server_name: str | None = None
    groups: tuple[int, ...] = ALL_GROUPS
    schemes: tuple[int, ...] = ALL_SCHEMES
    key_shares: list[tuple[int, bytes]] = field(default_factory=list)  # TLS 1.3: empty asks for a HelloRetryRequest
    alpn: tuple[bytes, ...] = ()
    status_request: bool = True
    heartbeat: bool = False
    session_ticket: bytes | None = b""  # None: no extension; b"": ask for a ticket
    session_id: bytes | None = None  # None: random 32 bytes for TLS 1.3, empty below
    extensions: bool = True  # False: a bare SSLv3-style hello with no extensions at all
    compression: bytes = b"\x00"
    extra: list[tuple[int, bytes]] = field(default_factory=list)
    record_version: int | None = None  # default: 0x0301, or 0x0300 for an SSLv3 hello


def sni_for(host: str) -> str | None:
    return None if is_ip_literal(host) else host.rstrip(".")


def client_hello(protocol: str, suites: list[int], opts: HelloOptions) -> bytes:
    """One ClientHello record for `protocol` (SSLv3 .. TLSv1.3) offering `suites`, ready for the wire."""
    if protocol == "SSLv2":
        return sslv2_client_hello(suites)
    tls13 = protocol == "TLSv1.3"
    legacy = 0x0303 if tls13 else VERSION[protocol]
    exts: list[tuple[int, bytes]] = []
    if opts.extensions:
        exts = _extensions(protocol, opts)
    session_id = opts.session_id if opts.session_id is not None else (os.urandom(32) if tls13 else b"")
    hello = ClientHello(os.urandom(32), list(suites), exts, session_id, legacy, opts.compression)
    body = _padded(hello)
    record_version = opts.record_version or (0x0300 if protocol == "SSLv3" else 0x0301)
    return header(ContentType.handshake, len(body), record_version) + body


def _extensions(protocol: str, opts: HelloOptions) -> list[tuple[int, bytes]]:
    tls13 = protocol == "TLSv1.3"
    exts: list[tuple[int, bytes]] = []
    add = exts.append
    if opts.server_name:
        add((ET.server_name, X.encode_server_name(opts.server_name)))
    if not tls13:
        add((ET.extended_master_secret, b""))
        add((ET.renegotiation_info, vec8(b"")))
        add((ET.encrypt_then_mac, b""))
        if opts.session_ticket is not None:
            add((ET.session_ticket, opts.session_ticket))
    if opts.groups:
        add((ET.supported_groups, X.encode_u16_list(opts.groups)))
        add((ET.ec_point_formats, vec8(b"\x00\x01\x02")))
    if opts.status_request:
        add((ET.status_request, b"\x01" + u16(0) + u16(0)))  # ocsp, no responder ids, no extensions
    if opts.alpn:
        add((ET.application_layer_protocol_negotiation, X.encode_alpn(list(opts.alpn))))
    if opts.heartbeat:
        add((ET.heartbeat, HEARTBEAT_PEER_ALLOWED_TO_SEND))
    if protocol in ("TLSv1.2", "TLSv1.3") and opts.schemes:
        add((ET.signature_algorithms, X.encode_u16_list(opts.schemes)))
    if tls13:
        add((ET.key_share, X.encode_key_share_ch(opts.key_shares)))
        add((ET.supported_versions, X.encode_supported_versions_ch([0x0304])))
        add((ET.psk_key_exchange_modes, vec8(b"\x01")))
    exts.extend(opts.extra)
    return exts


def _padded(hello: ClientHello) -> bytes:
    """RFC 7685: keep a hello with extensions out of 256..511 bytes, which some load balancers drop."""
    body = hello.encode()
    if hello.extensions and 0xFF < len(body) < 0x200:
        pad = 0x200 - len(body)
        hello.extensions.append((ET.padding, bytes(max(pad - 4, 1))))
        body = hello.encode()
    return body


def sslv2_client_hello(kinds: list[int]) -> bytes:
    """An SSL 2.0 CLIENT-HELLO (2-byte record header, msg type 1, version 0x0002, 3-byte cipher kinds)."""
    specs = b"".join(k.to_bytes(3, "big") for k in kinds)
    challenge = os.urandom(16)
    body = u8(1) + u16(0x0002) + u16(len(specs)) + u16(0) + u16(len(challenge)) + specs + challenge
    return u16(0x8000 | len(body)) + body


def tls_record(content_type: int, payload: bytes, version: int = 0x0303) -> bytes:
    return header(content_type, len(payload), version) + payload
