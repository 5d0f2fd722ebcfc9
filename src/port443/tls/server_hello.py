"""Reading a ClientHello on the server side and choosing what to answer.

`read_client_hello` decodes every extension the server acts on (and only
those: unknown extensions are ignored, RFC 8446 §4.2). The `choose_*`
functions pick version, suite, group, certificate and ALPN protocol from the
client's offer and the server's preferences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from port443.tls import events as ev
from port443.tls import extensions as X
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import ProtocolVersion as PV
from port443.tls.errors import HandshakeFailure, TLSError
from port443.tls.messages import ClientHello
from port443.tls.sigs import choose_scheme
from port443.tls.suites import SUITES


def is_grease(v: int) -> bool:
    """RFC 8701 GREASE values (0x?A?A) are ignored wherever they appear."""
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


@dataclass
class ClientHelloInfo:
    hello: ClientHello
    raw: bytes
    sni: str | None = None
    versions: list[int] | None = None  # supported_versions, GREASE removed
    groups: list[int] = field(default_factory=list)
    shares: list[tuple[int, bytes]] | None = None
    signature_algorithms: list[int] | None = None
    alpn: list[bytes] | None = None
    psk_modes: list[int] | None = None
    psk: tuple[list[tuple[bytes, int]], list[bytes]] | None = None
    cookie: bytes | None = None
    record_size_limit: int | None = None
    renegotiation_info: bytes | None = None
    extended_master_secret: bool = False
    encrypt_then_mac: bool = False
    ec_point_formats: bytes | None = None
    session_ticket: bytes | None = None
    early_data: bool = False

    def event(self) -> ev.ClientHelloReceived:
        h = self.hello
        versions = self.versions if self.versions is not None else [h.legacy_version]
        return ev.ClientHelloReceived(
            versions=tuple(version_label(v) for v in versions), legacy_version=h.legacy_version,
            cipher_suites=tuple(h.cipher_suites), groups=tuple(self.groups),
            key_share_groups=tuple(g for g, _ in self.shares or ()),
            signature_algorithms=tuple(self.signature_algorithms or ()), random=h.random, server_name=self.sni,
            alpn_protocols=tuple(p.decode("latin-1") for p in self.alpn or ()),
            extensions=tuple(h.extension_types), session_id=h.session_id,
            resumption_offered=self.psk is not None or bool(self.session_ticket), raw=self.raw,
        )


def version_label(v: int) -> str:
    """The version's name ("TLSv1.3", "SSLv3"), or its code point when it has none."""
    try:
        return PV(v).label
    except ValueError:
        return f"0x{v:04x}"


def read_client_hello(raw: bytes) -> ClientHelloInfo:
    hello = ClientHello.decode(memoryview(raw)[4:])
    info = ClientHelloInfo(hello, raw)
    for t, d in hello.extensions:
        if t == ET.server_name:
            info.sni = X.decode_server_name(d)
        elif t == ET.supported_versions:
            info.versions = [v for v in X.decode_supported_versions_ch(d) if not is_grease(v)]
        elif t == ET.supported_groups:
            info.groups = [g for g in X.decode_u16_list(d, "supported_groups") if not is_grease(g)]
        elif t == ET.key_share:
            info.shares = [(g, k) for g, k in X.decode_key_share_ch(d) if not is_grease(g)]
        elif t == ET.signature_algorithms:
            info.signature_algorithms = X.decode_u16_list(d, "signature_algorithms")
        elif t == ET.application_layer_protocol_negotiation:
            info.alpn = X.decode_alpn(d)
        elif t == ET.psk_key_exchange_modes:
            info.psk_modes = X.decode_psk_modes(d)
        elif t == ET.pre_shared_key:
            info.psk = X.decode_pre_shared_key_ch(d)
        elif t == ET.cookie:
            info.cookie = X.decode_cookie(d)
        elif t == ET.record_size_limit:
            info.record_size_limit = X.decode_record_size_limit(d)
        elif t == ET.renegotiation_info:
            info.renegotiation_info = X.decode_renegotiation_info(d)
        elif t == ET.extended_master_secret:
            X.check_empty(d, "extended_master_secret")
            info.extended_master_secret = True
        elif t == ET.encrypt_then_mac:
            X.check_empty(d, "encrypt_then_mac")
            info.encrypt_then_mac = True
        elif t == ET.ec_point_formats:
            info.ec_point_formats = X.decode_ec_point_formats(d)
        elif t == ET.session_ticket:
            info.session_ticket = d
        elif t == ET.early_data:
            X.check_empty(d, "early_data")
            info.early_data = True
    return info


def choose_version(config, info: ClientHelloInfo) -> PV:
    ours = config._versions
    if info.versions is not None:
        for v in ours:
            if v in info.versions:
                return v
        if not info.versions:
            raise TLSError(A.protocol_version, "supported_versions offers no version we know (only GREASE)")
    elif info.hello.legacy_version >= PV.TLSv1_2 and PV.TLSv1_2 in ours:
        return PV.TLSv1_2
    offered = ", ".join(version_label(v) for v in (info.versions or [info.hello.legacy_version]))
    raise TLSError(A.protocol_version, f"no common TLS version (client offers {offered})")


def choose_suite(config, info: ClientHelloInfo, tls13: bool, usable=None) -> int:
    """The first of our suites (server preference) that the client offers and we can use."""
    offered = set(info.hello.cipher_suites)
    for s in config._suites:
        si = SUITES.get(s)
        if si is None or si.tls13 != tls13 or s not in offered:
            continue
        if usable is None or usable(si):
            return int(s)
    raise HandshakeFailure("no cipher suite in common")


def choose_certificate(config, info: ClientHelloInfo, tls13: bool, auth: str | None = None,
                       alpn: str | None = None):
    """The certified key for the client's SNI whose key can sign with an offered scheme.

    When the chosen ALPN protocol has its own certificates (config.alpn_certificates,
    e.g. acme-tls/1), only those are candidates, and one must match the SNI.
    Returns (certified_key, scheme); scheme is None when the client sent no
    signature_algorithms (TLS 1.2 defaults apply).
    """
    keys = config._certified_keys
    by_name = [k for k in keys if info.sni and k.matches(info.sni)] or list(keys)
    if alpn in config._alpn_certified:
        keys = config._alpn_certified[alpn]
        by_name = [k for k in keys if info.sni and k.matches(info.sni)]
        if not by_name:
            raise HandshakeFailure(f"no {alpn} certificate for server name {info.sni!r}")
        keys = tuple(by_name)
    offered = info.signature_algorithms
    for ck in by_name + [k for k in keys if k not in by_name]:
        if auth is not None and _key_auth(ck.key) != auth:
            continue
        if offered is None:
            if tls13:
                continue
            return ck, None
        scheme = choose_scheme(ck.key, [s for s in offered if s in config._schemes], tls13)
        if scheme is not None:
            return ck, scheme
    raise HandshakeFailure("no certificate fits the client's signature algorithms")


def _key_auth(key) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return "RSA" if isinstance(key, rsa.RSAPrivateKey) else "ECDSA"


def choose_alpn(config, info: ClientHelloInfo) -> str | None:
    ours = config.alpn_protocols + tuple(p for p in config._alpn_certified if p not in config.alpn_protocols)
    if not info.alpn or not ours:
        return None
    offered = {p.decode("latin-1") for p in info.alpn}
    for p in ours:
        if p in offered:
            return p
    raise TLSError(A.no_application_protocol, "no ALPN protocol in common")
