"""Handshake features: extensions the server echoes, ALPN, compression, OCSP stapling, resumption, 0-RTT.

The TLS 1.2-and-below facts come from ServerHellos to our own hellos (RFC 7627
EMS, RFC 7366 ETM, RFC 5746 renegotiation_info, RFC 6520 heartbeat, RFC 5077
session_ticket, RFC 6066 status_request answered by a CertificateStatus message,
RFC 7301 ALPN, RFC 3749 DEFLATE compression). Resumption takes real handshakes
with the engine: one full, one resumed, by session ID and by ticket; TLS 1.3's
ticket also says whether 0-RTT is offered (early_data in NewSessionTicket,
RFC 8446 §4.6.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from port443.audit.hellos import HelloOptions, client_hello
from port443.audit.prober import EngineRun, Prober
from port443.tls import ClientConfig
from port443.tls import events as ev
from port443.tls.enums import ExtensionType as ET, HandshakeType as HT
from port443.tls.extensions import decode_alpn
from port443.tls.errors import TLSError

ENGINE_SUITES_12 = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
)
ENGINE_SUITES_13 = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")


@dataclass
class Features:
    extensions: dict[str, bool | None] = field(default_factory=dict)  # EMS, ETM, renegotiation_info, heartbeat, ...
    alpn: list[str] = field(default_factory=list)
    alpn_checked: bool = False
    compression: bool | None = None
    ocsp_stapling: bool | None = None
    resumption_id: bool | None = None
    resumption_ticket: bool | None = None
    resumption_tls13: bool | None = None
    early_data: int | None = None  # max_early_data_size offered in a TLS 1.3 ticket (0: none)
    session_ticket_tls12: bytes = b""  # for Ticketbleed
    notes: list[str] = field(default_factory=list)


async def tls12_extensions(prober: Prober, protocol: str, opts: HelloOptions, suites: list[int],
                           cbc_suites: list[int], out: Features) -> None:
    """One hello with every extension we ask about; one with CBC suites only for encrypt_then_mac."""
    probe = replace(opts, heartbeat=True, status_request=True, alpn=(b"h2", b"http/1.1"), compression=b"\x01\x00")
    answer = await prober.ask(client_hello(protocol, suites, probe))
    sh = answer.server_hello
    if sh is None:
        out.notes.append(f"the extension probe in {protocol} got {answer.describe()}")
        return
    tls12 = protocol != "SSLv3"
    out.extensions["extended_master_secret"] = sh.has(ET.extended_master_secret)
    out.extensions["renegotiation_info"] = sh.has(ET.renegotiation_info)
    out.extensions["session_ticket"] = sh.has(ET.session_ticket)
    out.extensions["heartbeat"] = sh.has(ET.heartbeat)
    out.extensions["status_request"] = sh.has(ET.status_request)
    out.compression = sh.compression_method != 0
    # OR-ed with the TLS 1.3 finding (a staple in the Certificate entry), whichever comes first
    out.ocsp_stapling = bool(out.ocsp_stapling) or answer.first(HT.certificate_status) is not None
    alpn = sh.ext(ET.application_layer_protocol_negotiation)
    if alpn is not None and tls12:
        try:
            out.alpn = [p.decode("ascii", "replace") for p in decode_alpn(alpn)]
        except TLSError:
            out.notes.append("the server's ALPN answer is malformed")
    if cbc_suites:
        answer = await prober.ask(client_hello(protocol, cbc_suites, opts))
        sh = answer.server_hello
        out.extensions["encrypt_then_mac"] = sh.has(ET.encrypt_then_mac) if sh is not None else None
    else:
        out.extensions["encrypt_then_mac"] = None  # no CBC suite: nothing for ETM to apply to


async def alpn_each(prober: Prober, protocol: str, opts: HelloOptions, suites: list[int], out: Features) -> None:
    """Which of h2 and http/1.1 the server accepts, one hello each (its pick among both was asked already)."""
    accepted = []
    for proto in (b"h2", b"http/1.1"):
        answer = await prober.ask(client_hello(protocol, suites, replace(opts, alpn=(proto,))))
        sh = answer.server_hello
        if sh is not None and sh.ext(ET.application_layer_protocol_negotiation) is not None:
            accepted.append(proto.decode())
    out.alpn = accepted
    out.alpn_checked = True


def engine_config(server_name: str | None, version: str, **kw) -> ClientConfig:
    suites = ENGINE_SUITES_13 if version == "TLSv1.3" else ENGINE_SUITES_12
    return ClientConfig(server_name=server_name, verify=False, versions=(version,), cipher_suites=suites, **kw)


def _session(run: EngineRun):
    tickets = run.all(ev.SessionTicketReceived)
    return tickets[-1].session if tickets else None


async def resumption_tls12(prober: Prober, server_name: str | None, out: Features) -> None:
    """Two full handshakes (one without a ticket, one with), each resumed once."""
    for by_ticket in (False, True):
        first = await prober.handshake(engine_config(server_name, "TLSv1.2", session_ticket=by_ticket))
        session = _session(first)
        if first.complete is None:
            out.notes.append(f"TLS 1.2 resumption not tested: the engine's handshake failed ({first.error})")
            return
        if session is None or (by_ticket and not session.ticket):
            result = False
        else:
            if by_ticket:
                out.session_ticket_tls12 = session.ticket
            second = await prober.handshake(engine_config(server_name, "TLSv1.2", session_ticket=by_ticket,
                                                          session=session))
            result = bool(second.complete and second.complete.resumed)
        if by_ticket:
            out.resumption_ticket = result
        else:
            out.resumption_id = result


async def resumption_tls13(prober: Prober, first: EngineRun, server_name: str | None, out: Features) -> None:
    """Resume with the ticket a TLS 1.3 handshake (the HTTP one) received; note its early_data offer."""
    session = _session(first)
    if first.complete is None:
        return
    if session is None:
        out.resumption_tls13 = False
        out.early_data = None
        out.notes.append("no TLS 1.3 ticket arrived with the HTTP answer")
        return
    out.early_data = session.max_early_data
    second = await prober.handshake(engine_config(server_name, "TLSv1.3", session=session))
    out.resumption_tls13 = bool(second.complete and second.complete.resumed)
