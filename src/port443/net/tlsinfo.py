"""What was negotiated on a served connection, the same for both engines.

Our engine reports it in events (ClientHelloReceived, HandshakeComplete).
With OpenSSL the hellos are read off the wire: the first handshake records in
each direction are plaintext, so the ClientHello and ServerHello are parsed
with the engine's own codecs (the same bytes an eavesdropper sees).
"""

from __future__ import annotations

from dataclasses import dataclass

from port443.tls.enums import ExtensionType, HandshakeType, ProtocolVersion
from port443.tls.events import ClientHelloReceived, HandshakeComplete
from port443.tls.extensions import decode_key_share_sh, decode_u16
from port443.tls.messages import ServerHello
from port443.tls.server_hello import read_client_hello
from port443.trace import group_name, suite_name

HANDSHAKE_RECORD = 22
MAX_HELLO_BYTES = 1 << 16


@dataclass(frozen=True)
class TLSInfo:
    engine: str  # "native" or "openssl"
    version: str  # "TLSv1.3"
    cipher_suite: str  # IANA name
    group: str  # key exchange group, "" when unknown
    server_name: str | None  # SNI
    alpn: str | None
    resumed: bool
    client_hello: ClientHelloReceived | None  # what the client offered (with .raw)


def from_native(done: HandshakeComplete, hello: ClientHelloReceived | None) -> TLSInfo:
    return TLSInfo("native", done.version, suite_name(done.cipher_suite),
                   group_name(done.group) if done.group is not None else "",
                   done.server_name, done.alpn_protocol, done.resumed, hello)


class HandshakeMessages:
    """Collects the plaintext handshake messages at the start of one direction of a TLS stream."""

    def __init__(self) -> None:
        self._records = bytearray()
        self._messages = bytearray()
        self.full = False

    def feed(self, data: bytes) -> None:
        if self.full:
            return
        self._records += data
        while len(self._records) >= 5:
            if self._records[0] != HANDSHAKE_RECORD:
                self.full = True  # the plaintext part is over (ChangeCipherSpec or encrypted records)
                return
            n = int.from_bytes(self._records[3:5], "big")
            if len(self._records) < 5 + n:
                break
            self._messages += self._records[5:5 + n]
            del self._records[:5 + n]
        if len(self._messages) + len(self._records) > MAX_HELLO_BYTES:
            self.full = True

    def message(self, msg_type: int) -> bytes | None:
        """The first complete handshake message of `msg_type` seen so far."""
        buf, pos = self._messages, 0
        while pos + 4 <= len(buf):
            n = int.from_bytes(buf[pos + 1:pos + 4], "big")
            if pos + 4 + n > len(buf):
                return None
            if buf[pos] == msg_type:
                return bytes(buf[pos:pos + 4 + n])
            pos += 4 + n
        return None


def client_hello_event(raw: bytes | None) -> ClientHelloReceived | None:
    if raw is None:
        return None
    try:
        return read_client_hello(raw).event()
    except Exception:  # a hello OpenSSL accepted but our decoder would not: show no offer rather than fail
        return None


def negotiated_group(server_flight: HandshakeMessages) -> str:
    """The key exchange group: TLS 1.3 ServerHello key_share, or TLS 1.2 ServerKeyExchange's named curve."""
    raw = server_flight.message(HandshakeType.server_hello)
    if raw is None:
        return ""
    try:
        hello = ServerHello.decode(memoryview(raw)[4:])
        share = hello.ext(ExtensionType.key_share)
        if share is not None:
            return group_name(decode_key_share_sh(share)[0])
        versions = hello.ext(ExtensionType.supported_versions)
        if versions is not None and decode_u16(versions, "supported_versions") == ProtocolVersion.TLSv1_3:
            return ""
        ske = server_flight.message(HandshakeType.server_key_exchange)
        if ske is not None and len(ske) >= 7 and ske[4] == 3:  # ECParameters: curve_type named_curve (RFC 8422 §5.4)
            return group_name(int.from_bytes(ske[5:7], "big"))
    except Exception:
        return ""
    return ""


OPENSSL_VERSIONS = {"TLSv1.3": "TLSv1.3", "TLSv1.2": "TLSv1.2"}


def from_openssl(sslobj, client_flight: HandshakeMessages, server_flight: HandshakeMessages) -> TLSInfo:
    from port443.tls.suites import CipherSuite

    hello = client_hello_event(client_flight.message(HandshakeType.client_hello))
    cipher = sslobj.cipher()
    name = cipher[0] if cipher else ""
    iana = _IANA_BY_OPENSSL.get(name) or (name if name in CipherSuite.__members__ else name)
    return TLSInfo("openssl", sslobj.version() or "", iana, negotiated_group(server_flight),
                   hello.server_name if hello else None, sslobj.selected_alpn_protocol(),
                   bool(sslobj.session_reused), hello)


_IANA_BY_OPENSSL = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
