"""Building the client's ClientHello (RFC 8446 §4.1.2), including PSK binders.

The extension order follows what browsers send (and RFC 8448's traces):
server_name, extended_master_secret, renegotiation_info, supported_groups,
ec_point_formats, session_ticket, ALPN, encrypt_then_mac, key_share,
supported_versions, signature_algorithms, cookie, psk_key_exchange_modes,
record_size_limit, and pre_shared_key last.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from port443.tls import extensions as X
from port443.tls.codec import u16, vec8
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import ProtocolVersion as PV
from port443.tls.kex import ClientShare
from port443.tls.messages import ClientHello
from port443.tls.session import Session
from port443.tls.suites import SUITES, CipherSuite


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        return False


@dataclass
class HelloPlan:
    """What the client decided to offer; kept to check the server's answer against."""

    versions: tuple[PV, ...]
    suites: list[int]
    random: bytes
    session_id: bytes
    shares: dict[int, ClientShare] = field(default_factory=dict)
    psk_session: Session | None = None  # TLS 1.3 ticket offered
    tls12_session: Session | None = None  # TLS 1.2 session offered (ID or ticket)
    cookie: bytes | None = None
    sni: str | None = None

    @property
    def offers_tls13(self) -> bool:
        return PV.TLSv1_3 in self.versions

    @property
    def offers_tls12(self) -> bool:
        return PV.TLSv1_2 in self.versions


def plan_suites(config, versions: tuple[PV, ...]) -> list[int]:
    out = []
    for s in config._suites:
        info = SUITES.get(s)
        if info is None:
            out.append(int(s))  # an explicitly requested code point we cannot run (audits)
        elif info.tls13 and PV.TLSv1_3 in versions or not info.tls13 and PV.TLSv1_2 in versions:
            out.append(int(s))
    if config.fallback_scsv:
        out.append(int(CipherSuite.TLS_FALLBACK_SCSV))
    return out


def build_client_hello(config, plan: HelloPlan, binder_lengths: list[int] | None = None) -> ClientHello:
    """The ClientHello for `plan`; PSK binders are zero placeholders of the right length."""
    exts: list[tuple[int, bytes]] = []
    add = exts.append
    has12 = plan.offers_tls12
    has13 = plan.offers_tls13
    if plan.sni:
        add((ET.server_name, X.encode_server_name(plan.sni)))
    if has12 and (config.extended_master_secret or plan.tls12_session is not None):  # RFC 7627 §5.3
        add((ET.extended_master_secret, b""))
    add((ET.renegotiation_info, vec8(b"")))
    add((ET.supported_groups, X.encode_u16_list(config._groups)))
    if has12 and any(SUITES[s].kx == "ECDHE" for s in plan.suites if s in SUITES):
        add((ET.ec_point_formats, vec8(b"\x00")))
    if config.session_ticket:
        ticket = plan.tls12_session.ticket if plan.tls12_session else b""
        add((ET.session_ticket, ticket))
    if config.alpn_protocols:
        add((ET.application_layer_protocol_negotiation, X.encode_alpn([p.encode() for p in config.alpn_protocols])))
    if config.ocsp_stapling:  # status_type ocsp, no responder IDs, no request extensions
        add((ET.status_request, b"\x01\x00\x00\x00\x00"))
    if has12 and config.encrypt_then_mac and any(SUITES[s].cipher == "AESCBC" for s in plan.suites if s in SUITES):
        add((ET.encrypt_then_mac, b""))
    if has13:
        add((ET.key_share, X.encode_key_share_ch([(g, s.public) for g, s in plan.shares.items()])))
        add((ET.supported_versions, X.encode_supported_versions_ch([int(v) for v in plan.versions])))
    add((ET.signature_algorithms, X.encode_u16_list(config._schemes)))
    if plan.cookie is not None:
        add((ET.cookie, X.encode_cookie(plan.cookie)))
    if has13:
        add((ET.psk_key_exchange_modes, vec8(b"\x01")))  # psk_dhe_ke only
    if config.record_size_limit is not None:
        add((ET.record_size_limit, u16(config.record_size_limit)))
    _pad_for_middleboxes(plan, exts, binder_lengths)
    if plan.psk_session is not None and binder_lengths:
        now = config.clock()
        identity = [(plan.psk_session.ticket, plan.psk_session.obfuscated_age(now))]
        add((ET.pre_shared_key, X.encode_pre_shared_key_ch(identity, [bytes(n) for n in binder_lengths])))
    return ClientHello(plan.random, plan.suites, exts, plan.session_id, 0x0303)


def _hello_length(plan: HelloPlan, exts: list[tuple[int, bytes]]) -> int:
    return 4 + 2 + 32 + 1 + len(plan.session_id) + 2 + 2 * len(plan.suites) + 2 + 2 + sum(4 + len(d) for _, d in exts)


def _pad_for_middleboxes(plan: HelloPlan, exts: list[tuple[int, bytes]], binder_lengths: list[int] | None) -> None:
    """RFC 7685 padding: keep the ClientHello out of 256..511 bytes, which some
    load balancers mishandle (the same rule as BoringSSL and NSS)."""
    length = _hello_length(plan, exts)
    if plan.psk_session is not None and binder_lengths:
        identity = len(plan.psk_session.ticket)
        length += 4 + 2 + 2 + identity + 4 + X.binders_length([bytes(n) for n in binder_lengths])
    if 0xFF < length < 0x200:
        pad = 0x200 - length
        exts.append((ET.padding, bytes(pad - 4 if pad >= 5 else 1)))


def with_binder(encoded: bytes, binder: bytes) -> bytes:
    """Replace the placeholder binder at the end of an encoded ClientHello."""
    return encoded[: len(encoded) - len(binder)] + binder
