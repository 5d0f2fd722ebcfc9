"""Reading what a server says back to a probe: records, handshake messages, alerts, SSLv2.

Everything goes through bounds-checked readers (`port443.tls.codec.Reader`) and the
engine's message decoders; a malformed answer becomes `Answer.error`, never an exception.
Limits: at most MAX_ANSWER bytes are kept per connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from port443.tls.codec import Reader
from port443.tls.enums import AlertDescription, ContentType as CT, ExtensionType as ET, HandshakeType as HT
from port443.tls.errors import TLSError
from port443.tls.messages import ServerHello

MAX_ANSWER = 1 << 18  # 256 KiB: more than any hello flight with a long chain
SSLV2_SERVER_HELLO = 4
SSLV2_ERROR = 0


@dataclass
class SSLv2ServerHello:
    certificate: bytes
    cipher_kinds: list[int]
    connection_id: bytes
    version: int


@dataclass
class Answer:
    """Everything a server sent on one connection, parsed as far as it goes."""

    data: bytearray = field(default_factory=bytearray)
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # plaintext handshake messages
    alerts: list[tuple[int, int]] = field(default_factory=list)
    heartbeats: list[bytes] = field(default_factory=list)
    ccs: int = 0
    encrypted: int = 0  # records we cannot read (application data, or TLS 1.3 after the ServerHello)
    sslv2: SSLv2ServerHello | None = None
    sslv2_error: int | None = None
    error: str | None = None
    closed: bool = False
    timed_out: bool = False
    _pos: int = 0
    _hs: bytearray = field(default_factory=bytearray)
    _tls13_done: bool = False
    _sh: ServerHello | None = None

    # --- feeding -------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        if len(self.data) + len(chunk) > MAX_ANSWER:
            chunk = chunk[: max(MAX_ANSWER - len(self.data), 0)]
            self.error = self.error or f"answer longer than {MAX_ANSWER} bytes; the rest was ignored"
        self.data += chunk
        if self.error and not chunk:
            return
        try:
            self._parse()
        except TLSError as exc:
            self.error = f"malformed answer: {exc.message}"

    def _parse(self) -> None:
        data = self.data
        if self._pos == 0 and len(data) >= 3 and data[0] & 0x80 and data[2] in (SSLV2_SERVER_HELLO, SSLV2_ERROR):
            self._parse_sslv2()
            return
        while len(data) - self._pos >= 5 and self.error is None:
            ctype, v_major = data[self._pos], data[self._pos + 1]
            length = int.from_bytes(data[self._pos + 3:self._pos + 5], "big")
            if ctype not in (20, 21, 22, 23, 24) or v_major != 3 or length > (1 << 14) + 2048:
                self.error = f"not a TLS record (bytes {bytes(data[self._pos:self._pos + 5]).hex(' ')})"
                return
            if len(data) - self._pos < 5 + length:
                return
            payload = bytes(data[self._pos + 5:self._pos + 5 + length])
            self._pos += 5 + length
            self._record(ctype, payload)

    def _record(self, ctype: int, payload: bytes) -> None:
        if ctype == CT.alert:
            if len(payload) == 2 and not self.encrypted:
                self.alerts.append((payload[0], payload[1]))
            else:
                self.encrypted += 1
        elif ctype == CT.handshake and not self.encrypted and not self._tls13_done and not self.ccs:
            self._hs += payload
            self._messages()
        elif ctype == CT.change_cipher_spec:
            self.ccs += 1
        elif ctype == CT.heartbeat:
            self.heartbeats.append(payload)
        else:
            self.encrypted += 1

    def _messages(self) -> None:
        hs = self._hs
        while len(hs) >= 4:
            n = int.from_bytes(hs[1:4], "big")
            if len(hs) < 4 + n:
                return
            self.messages.append((hs[0], bytes(hs[4:4 + n])))
            del hs[:4 + n]
            if self.messages[-1][0] == HT.server_hello and self.tls13:
                self._tls13_done = True  # what follows a TLS 1.3 ServerHello or HRR is encrypted or waits for us
                hs.clear()
                return

    def _parse_sslv2(self) -> None:
        data = self.data
        length = ((data[0] & 0x7F) << 8) | data[1]
        if len(data) < 2 + length:
            return
        r = Reader(bytes(data[2:2 + length]))
        kind = r.u8("SSLv2 message type")
        if kind == SSLV2_ERROR:
            self.sslv2_error = r.u16("SSLv2 error code")
            return
        r.u8("session id hit")
        r.u8("certificate type")
        version = r.u16("server version")
        cert_len = r.u16("certificate length")
        specs_len = r.u16("cipher specs length")
        cid_len = r.u16("connection id length")
        cert = r.raw(cert_len, "certificate")
        specs = r.raw(specs_len, "cipher specs")
        cid = r.raw(cid_len, "connection id")
        if specs_len % 3:
            self.error = "SSLv2 cipher specs length is not a multiple of 3"
            return
        kinds = [int.from_bytes(specs[i:i + 3], "big") for i in range(0, len(specs), 3)]
        self.sslv2 = SSLv2ServerHello(cert, kinds, cid, version)
        self._pos = 2 + length

    # --- questions -------------------------------------------------------------------
    def first(self, msg_type: int) -> bytes | None:
        for t, body in self.messages:
            if t == msg_type:
                return body
        return None

    @property
    def server_hello(self) -> ServerHello | None:
        body = self.first(HT.server_hello)
        if body is None:
            return None
        if self._sh is not None:
            return self._sh
        try:
            sh = ServerHello.decode(body)
        except TLSError as exc:
            self.error = f"malformed ServerHello: {exc.message}"
            return None
        self._sh = sh
        return sh

    @property
    def tls13(self) -> bool:
        """Is the ServerHello (or HelloRetryRequest) a TLS 1.3 one (supported_versions 0x0304)?"""
        sh = self.server_hello
        return sh is not None and sh.ext(ET.supported_versions) == b"\x03\x04"

    @property
    def fatal_alert(self) -> int | None:
        for level, desc in self.alerts:
            if level == 2:
                return desc
        return None

    @property
    def alert_name(self) -> str | None:
        if not self.alerts:
            return None
        desc = self.alerts[0][1]
        try:
            return AlertDescription(desc).name
        except ValueError:
            return f"alert {desc}"

    @property
    def hello_done(self) -> bool:
        """Has the server's first flight ended (ServerHelloDone, a TLS 1.3 ServerHello, an HRR, SSLv2)?"""
        if self.sslv2 is not None or self.sslv2_error is not None:
            return True
        if any(t == HT.server_hello_done for t, _ in self.messages):
            return True
        return self._tls13_done or bool(self.ccs and self.encrypted)  # a resumption: CCS, then Finished

    @property
    def finished(self) -> bool:
        """Nothing more to wait for: the flight ended, a fatal alert came, the peer closed, or garbage."""
        return self.hello_done or self.fatal_alert is not None or self.closed or self.error is not None

    def describe(self) -> str:
        """What the server did, in a few words (for findings)."""
        if self.sslv2 is not None:
            return "an SSLv2 SERVER-HELLO"
        if self.alerts:
            return f"a {'fatal' if self.alerts[0][0] == 2 else 'warning'} {self.alert_name} alert"
        if self.messages:
            return "a ServerHello" if self.server_hello else "handshake messages"
        if self.error:
            return self.error
        if self.timed_out:
            return "silence until the timeout"
        if self.closed:
            return "a closed connection without a word"
        return "nothing"
