"""What the plaintext handshake tells an observer: names, versions, suite, certificate, fingerprints.

Input: the records of each direction (observe.records). Output: a `Handshake`
with everything that crossed the wire in the clear. Hellos are decoded with
the engine (`read_client_hello`, `ServerHello.decode`), the TLS 1.2
certificate with `messages12.Certificate12` and `cryptography`'s X.509 parser.
Anything that does not decode becomes a note, never an exception.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from port443.observe import fingerprint as fp
from port443.observe.records import HandshakeMessage, Record, handshake_messages
from port443.pki.describe import describe_certificate
from port443.tls import extensions as X
from port443.tls.enums import AlertDescription, ContentType, NamedGroup, name_of
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import TLSError
from port443.tls.messages import HRR_RANDOM, ClientHello, ServerHello
from port443.tls.messages12 import Certificate12, ServerKeyExchange
from port443.tls.server_hello import version_label  # the engine's version names
from port443.tls.server_hello import read_client_hello
from port443.tls.suites import SUITES, CipherSuite

HIDDEN_13 = "encrypted (TLS 1.3)"


@dataclass
class Handshake:
    """The clear-text facts of one TLS handshake; None where the capture does not show them."""

    sni: str | None = None
    alpn_offered: list[str] = field(default_factory=list)
    versions_offered: list[str] = field(default_factory=list)
    ech: bool = False  # encrypted_client_hello (0xfe0d) present in the ClientHello
    client_hello_size: int | None = None
    ja3: str | None = None
    ja3_md5: str | None = None
    ja4: str | None = None
    ja4_r: str | None = None
    version: str | None = None
    cipher_suite: str | None = None
    group: str | None = None  # key exchange group, when visible
    alpn: str | None = None  # the server's choice; HIDDEN_13 when encrypted
    hello_retry: bool = False
    resumed: bool | None = None
    ja3s: str | None = None
    ja3s_md5: str | None = None
    ja4s: str | None = None
    ja4s_r: str | None = None
    certificate: dict | None = None  # TLS 1.2: the leaf, as the observer reads it
    chain_length: int | None = None
    alerts: list[str] = field(default_factory=list)  # alerts sent in the clear
    client_hello_raw: bytes | None = field(default=None, repr=False)
    server_hello_raw: bytes | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)


def _text(value: bytes) -> str:
    return value.decode("ascii", "backslashreplace")


def read_client_side(hs: Handshake, raw: bytes) -> ClientHello | None:
    """Fill in the ClientHello's facts and fingerprints; the decoded hello, None if it does not decode."""
    hs.client_hello_raw = raw
    hs.client_hello_size = len(raw)
    try:
        info = read_client_hello(raw)
        hello = info.hello
        hs.sni = info.sni
        hs.alpn_offered = [_text(p) for p in info.alpn or ()]
        hs.versions_offered = [version_label(v) for v in info.versions or [hello.legacy_version]]
    except TLSError as exc:
        hs.notes.append(f"the ClientHello does not fully decode ({exc.message}); fingerprints use what does")
        try:
            hello = fp.decode_client_hello(raw)
        except fp.FingerprintError as err:
            hs.notes.append(str(err))
            return None
        try:
            hs.sni = X.decode_server_name(hello.ext(ET.server_name) or b"")
        except TLSError:
            pass
    hs.ech = hello.has(ET.encrypted_client_hello)
    try:
        hs.ja3, hs.ja3_md5 = fp.ja3_of(hello)
        j4 = fp.ja4_of(hello)
        hs.ja4, hs.ja4_r = j4.fingerprint, j4.raw
    except fp.FingerprintError as exc:
        hs.notes.append(f"no JA3/JA4: {exc}")
    return hello


def read_server_hello(hs: Handshake, hello: ServerHello, raw: bytes, client_session_id: bytes | None) -> None:
    if hello.random == HRR_RANDOM:
        hs.hello_retry = True
        return
    hs.server_hello_raw = raw
    version = hello.legacy_version
    try:
        selected = hello.ext(ET.supported_versions)
        if selected is not None:
            version = X.decode_u16(selected, "supported_versions")
        share = hello.ext(ET.key_share)
        if share is not None:
            hs.group = name_of(NamedGroup, X.decode_key_share_sh(share)[0])
        alpn = hello.ext(ET.application_layer_protocol_negotiation)
        hs.alpn = _text(X.decode_alpn(alpn)[0]) if alpn is not None else None
    except TLSError as exc:
        hs.notes.append(f"a ServerHello extension does not decode ({exc.message})")
    hs.version = version_label(version)
    hs.cipher_suite = name_of(CipherSuite, hello.cipher_suite)
    if version == 0x0304:
        hs.alpn = HIDDEN_13
        hs.resumed = hello.has(ET.pre_shared_key)
    else:
        hs.resumed = bool(hello.session_id) and hello.session_id == client_session_id
    try:
        hs.ja3s, hs.ja3s_md5 = fp.ja3s_of(hello)
        hs.ja4s, hs.ja4s_r = fp.ja4s_of(hello)
    except fp.FingerprintError as exc:
        hs.notes.append(f"no JA3S/JA4S: {exc}")


def read_certificate(hs: Handshake, raw: bytes, now: dt.datetime) -> None:
    try:
        ders = Certificate12.decode(memoryview(raw)[4:]).certificates
    except TLSError as exc:
        hs.notes.append(f"the Certificate message does not decode ({exc.message})")
        return
    hs.chain_length = len(ders)
    if not ders:
        return
    try:
        leaf = describe_certificate(x509.load_der_x509_certificate(ders[0]), now)
    except (ValueError, TypeError, KeyError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:  # hostile DER
        hs.notes.append(f"the server's certificate does not parse as X.509 ({type(exc).__name__}: {exc})")
        return
    hs.certificate = {k: leaf[k] for k in ("subject", "issuer", "names", "not_before", "not_after", "key", "sha256")}


def _read_key_exchange(hs: Handshake, raw: bytes, suite: int) -> None:
    info = SUITES.get(suite)
    if info is None or info.kx not in ("ECDHE", "DHE"):
        return
    try:
        ske = ServerKeyExchange.decode(memoryview(raw)[4:], info.kx)
    except (TLSError, ValueError):
        return
    hs.group = name_of(NamedGroup, ske.group) if ske.group is not None else f"DHE ({len(ske.public) * 8}-bit)"


def clear_alerts(records: list[Record], who: str) -> list[str]:
    """Alerts sent before encryption: a 2-byte alert record (an encrypted one is longer)."""
    out = []
    for rec in records:
        if rec.content_type == ContentType.alert and rec.payload is not None and len(rec.payload) == 2:
            level = "fatal" if rec.payload[0] == 2 else "warning"
            out.append(f"{who} sent {level} alert {name_of(AlertDescription, rec.payload[1])}")
    return out


def read_handshake(client: list[Record], server: list[Record], now: dt.datetime | None = None) -> Handshake:
    """Everything the clear-text part of a handshake shows, from both directions' records."""
    now = now or dt.datetime.now(dt.timezone.utc)
    hs = Handshake()
    server_msgs, server_problem = handshake_messages(server, stop_at_ccs=True)
    server_hellos = _decode_server_hellos(server_msgs, {})
    tls13 = any(not isinstance(h, str) and h.ext(ET.supported_versions) == b"\x03\x04" for h in server_hellos.values())
    if tls13:
        server_msgs, server_problem = handshake_messages(server, stop_at_ccs=False)
        _decode_server_hellos(server_msgs, server_hellos)
    client_msgs, client_problem = handshake_messages(client, stop_at_ccs=not tls13)
    client_hellos = [m for m in client_msgs if m.msg_type == HT.client_hello]
    session_id = None
    if client_hellos:
        client_hello = read_client_side(hs, client_hellos[0].raw)
        session_id = client_hello.session_id if client_hello is not None else None
    elif client_problem:
        hs.notes.append(f"no ClientHello: {client_problem}")
    suite = None
    for msg in server_msgs:
        if msg.msg_type == HT.server_hello:
            hello = server_hellos[msg.raw]
            if isinstance(hello, str):
                hs.notes.append(hello)
                suite = None
            else:
                read_server_hello(hs, hello, msg.raw, session_id)
                suite = hello.cipher_suite
        elif msg.msg_type == HT.certificate and not tls13:
            read_certificate(hs, msg.raw, now)
        elif msg.msg_type == HT.server_key_exchange and suite is not None:
            _read_key_exchange(hs, msg.raw, suite)
    if hs.version == "TLSv1.3":
        hs.certificate = None
    if server_problem and hs.version is None:
        hs.notes.append(f"no ServerHello: {server_problem}")
    hs.alerts = clear_alerts(client, "client") + clear_alerts(server, "server")
    return hs


def _decode_server_hellos(msgs: list[HandshakeMessage], decoded: dict[bytes, ServerHello | str]) -> dict[bytes, ServerHello | str]:
    """Add each ServerHello of msgs to `decoded` (raw -> the engine's ServerHello, or why it does not decode)."""
    for msg in msgs:
        if msg.msg_type == HT.server_hello and msg.raw not in decoded:
            try:
                decoded[msg.raw] = fp.decode_server_hello(msg.raw)
            except fp.FingerprintError as exc:
                decoded[msg.raw] = str(exc)
    return decoded
