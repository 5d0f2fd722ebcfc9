"""What was negotiated on a served connection, the same for both engines.

Our engine reports it in events (ClientHelloReceived, HandshakeComplete).
With OpenSSL the hellos are read off the wire: the first handshake records in
each direction are plaintext, so the ClientHello and ServerHello are parsed
with the engine's own codecs (the same bytes an eavesdropper sees).
"""

from __future__ import annotations

from dataclasses import dataclass

from port443.tls.enums import ExtensionType, HandshakeType
from port443.tls.errors import TLSError
from port443.tls.events import ClientHelloReceived, HandshakeComplete
from port443.tls.extensions import decode_key_share_sh
from port443.tls.messages import ServerHello
from port443.tls.messages12 import ServerKeyExchange
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


def _server_hello(server_flight: HandshakeMessages) -> ServerHello | None:
    raw = server_flight.message(HandshakeType.server_hello)
    try:
        return ServerHello.decode(memoryview(raw)[4:]) if raw is not None else None
    except TLSError:
        return None


def negotiated_group(hello: ServerHello | None, server_flight: HandshakeMessages) -> str:
    """The key exchange group: TLS 1.3 ServerHello key_share, or TLS 1.2 ServerKeyExchange's named curve."""
    if hello is None:
        return ""
    try:
        share = hello.ext(ExtensionType.key_share)
        if share is not None:
            return group_name(decode_key_share_sh(share)[0])
        ske = server_flight.message(HandshakeType.server_key_exchange)
        if ske is not None:
            return group_name(ServerKeyExchange.decode(memoryview(ske)[4:], "ECDHE").group)
    except TLSError:  # not ECDHE (DHE, RSA) or malformed: no named group to show
        return ""
    return ""


def from_openssl(sslobj, client_flight: HandshakeMessages, server_flight: HandshakeMessages) -> TLSInfo:
    hello = client_hello_event(client_flight.message(HandshakeType.client_hello))
    server_hello = _server_hello(server_flight)
    cipher = sslobj.cipher()
    # The suite by its IANA name, read off the ServerHello (OpenSSL's own names differ).
    suite = suite_name(server_hello.cipher_suite) if server_hello is not None else (cipher[0] if cipher else "")
    return TLSInfo("openssl", sslobj.version() or "", suite, negotiated_group(server_hello, server_flight),
                   hello.server_name if hello else None, sslobj.selected_alpn_protocol(),
                   bool(sslobj.session_reused), hello)
