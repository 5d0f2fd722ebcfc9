"""The sans-IO connection: records in, events and records out.

`Connection` owns the record layer (framing, protection, fragmentation and
coalescing), handshake-message reassembly, alerts, application data, close and
KeyUpdate. The handshake itself is delegated to a role object
(client13/server13/client12/server12) whose `handle(msg_type, raw)` runs one
protocol step. No sockets, clocks or randomness here that were not handed in.
"""

from __future__ import annotations

import os
from typing import Any

from port443.tls import events as ev
from port443.tls import kex
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import AlertLevel, ContentType, HandshakeType, KeyUpdateRequest, ProtocolVersion, name_of
from port443.tls.errors import (
    ConnectionClosedError, DecodeError, IllegalParameter, RecordOverflow, TLSError, UnexpectedMessage,
)
from port443.tls.messages import KeyUpdate
from port443.tls.record import MAX_CIPHERTEXT_12, MAX_CIPHERTEXT_13, MAX_PLAINTEXT, NullProtection, Tls13Protection

_CT = ContentType
_VALID_TYPES = frozenset((20, 21, 22, 23, 24))
# Records that move nothing forward (ignored CCS, empty application data, warnings,
# KeyUpdates) in a row before we call it a flood and stop.
MAX_IDLE_RECORDS = 64
_CCS_RECORD = b"\x14\x03\x03\x00\x01\x01"


class Entropy:
    """Where the engine's randomness and ephemeral keys come from; tests substitute it."""

    def random(self, n: int) -> bytes:
        return os.urandom(n)

    def private_key(self, group: int):
        return kex.generate_private_key(group)


class Connection:
    """Common machinery of ClientConnection and ServerConnection."""

    is_client = False

    def __init__(self, config: Any, entropy: Entropy | None = None) -> None:
        self.config = config
        self.entropy = entropy or Entropy()
        self._out: list[bytes] = []
        self._events: list[ev.Event] = []
        self._pending = bytearray()
        self._need = 5
        self._hs_in = bytearray()
        self._hs_out: list[bytes] = []
        self._read: Any = NullProtection()
        self._write: Any = NullProtection()
        self._read_limit = MAX_PLAINTEXT + 2048  # before keys: a peer's plaintext record may still be 1.2-sized
        self._write_fragment = MAX_PLAINTEXT
        self._hs: Any = None  # the role's handshake object
        self.version: ProtocolVersion | None = None
        self.handshake_complete = False
        self.complete_event: ev.HandshakeComplete | None = None
        self._ccs_allowed = False  # TLS 1.3 compatibility-mode CCS may be ignored
        self._sent_ccs = False
        self._sent_close = False
        self._peer_closed = False
        self._peer_fatal = False  # the peer sent a fatal alert: nothing more may be sent (RFC 8446 §6)
        self._idle_records = 0
        self._read_plain_limit = MAX_PLAINTEXT  # lowered by a negotiated record_size_limit (RFC 8449)
        self._failed: TLSError | None = None
        self.client_random = b""
        self.server_random = b""
        # TLS 1.3 traffic secrets, kept for KeyUpdate
        self._key_schedule: Any = None
        self._read_secret = b""
        self._write_secret = b""
        self._cipher = ""

    # ------------------------------------------------------------------ public
    def receive_data(self, data: bytes) -> list[ev.Event]:
        """Feed bytes from the peer; returns the events they caused, in order."""
        if self._failed is not None:
            raise ConnectionClosedError(f"the connection failed earlier: {self._failed.message}")
        events = self._events
        if self._peer_closed:
            self._events = []
            return events
        try:
            if data:
                self._feed(data)
        except TLSError as exc:
            self._fail(exc)
            exc.events = events
            raise
        except Exception as exc:  # never let a library error escape as anything but TLSError
            err = TLSError(A.internal_error, f"internal error: {type(exc).__name__}: {exc}")
            self._fail(err)
            err.events = events
            raise err from exc
        finally:
            self._events = []
        return events

    def data_to_send(self) -> bytes:
        """Bytes to write to the peer (records), and forget them."""
        if not self._out:
            return b""
        out = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out = []
        return out

    def pop_events(self) -> list[ev.Event]:
        """Events produced by our own actions since the last call (e.g. ClientHelloSent)."""
        events = self._events
        self._events = []
        return events

    def send(self, data: bytes) -> None:
        """Queue application data; it is encrypted into data_to_send()."""
        if not self.handshake_complete or self._sent_close or self._failed is not None or self._peer_fatal:
            raise ConnectionClosedError(
                "cannot send application data: " + ("the handshake is not complete" if not self.handshake_complete else "the connection is closed")
            )
        seal = self._write.seal
        limit = self._write_fragment
        n = len(data)
        if n <= limit:
            if n:
                self._out.append(seal(23, data))
            return
        view = memoryview(data)
        out = self._out
        for i in range(0, n, limit):
            out.append(seal(23, view[i:i + limit]))

    def close(self) -> None:
        """Send close_notify; nothing more can be sent."""
        if self._sent_close or self._failed is not None or self._peer_fatal:
            return
        self._send_alert(AlertLevel.warning, A.close_notify)
        self._sent_close = True

    def update_keys(self, request_peer_update: bool = True) -> None:
        """TLS 1.3 KeyUpdate: send one, switch our sending keys, and maybe ask the peer to do the same."""
        if self.version != ProtocolVersion.TLSv1_3 or not self.handshake_complete:
            raise ConnectionClosedError("KeyUpdate needs a completed TLS 1.3 handshake")
        if self._sent_close or self._failed is not None or self._peer_fatal:
            raise ConnectionClosedError()
        req = KeyUpdateRequest.update_requested if request_peer_update else KeyUpdateRequest.update_not_requested
        self._send_key_update(req)

    def send_handshake_message(self, message: bytes) -> None:
        """Send a whole handshake message (header included) under the current keys.

        For audits and probes (e.g. asking a server to renegotiate); a normal
        handshake never needs it, and the engine's own state does not change."""
        if self._sent_close or self._failed is not None or self._peer_fatal:
            raise ConnectionClosedError()
        self._send_handshake(message)
        self._flush_handshake()

    @property
    def closed(self) -> bool:
        return self._peer_closed or self._failed is not None

    # ------------------------------------------------------------- record input
    def _feed(self, data: bytes) -> None:
        if self._pending:
            self._pending += data
            if len(self._pending) < self._need:
                return
            data = bytes(self._pending)
            self._pending.clear()
        mv = memoryview(data)
        n = len(mv)
        pos = 0
        while n - pos >= 5:
            ctype = mv[pos]
            length = (mv[pos + 3] << 8) | mv[pos + 4]
            if ctype not in _VALID_TYPES:
                raise UnexpectedMessage(f"record of unknown content type {ctype} (is the peer speaking TLS?)")
            if mv[pos + 1] != 3:
                raise DecodeError(f"record version {mv[pos + 1]}.{mv[pos + 2]} is not TLS (is the peer speaking TLS?)")
            if length > self._read_limit:
                raise RecordOverflow(f"record of {length} bytes is over the {self._read_limit}-byte limit")
            end = pos + 5 + length
            if end > n:
                self._need = 5 + length
                break
            hdr = bytes(mv[pos:pos + 5])
            payload = mv[pos + 5:end]
            pos = end
            self._process_record(ctype, hdr, payload)
            if self._peer_closed:
                return
        else:
            self._need = 5
        if pos < n:
            self._pending += mv[pos:]

    def _process_record(self, ctype: int, hdr: bytes, payload: memoryview) -> None:
        if ctype == _CT.change_cipher_spec:
            self._receive_change_cipher_spec(payload)
            self._idle()
            return
        if ctype == _CT.alert and self._plaintext_alert_allowed(payload):
            # RFC 8446 Appendix A.1: a client may still send alerts in the clear right after
            # the ServerHello, before it has switched to the handshake keys.
            self._receive_alert(bytes(payload))
            return
        ctype, plain = self._read.open(ctype, hdr, payload)
        if len(plain) > self._read_plain_limit:
            raise RecordOverflow(f"record of {len(plain)} bytes is over the {self._read_plain_limit}-byte limit we set")
        if ctype == _CT.application_data:
            if not self.handshake_complete or self._hs_in:
                raise UnexpectedMessage("application data before the handshake completed")
            if plain:
                self._idle_records = 0
                self._events.append(ev.ApplicationData(plain))
            else:
                self._idle()
        elif ctype == _CT.handshake:
            if not plain:
                raise UnexpectedMessage("empty handshake record")
            self._hs_in += plain
            self._read_handshake_messages()
        elif ctype == _CT.alert:
            self._receive_alert(plain)
        elif ctype == _CT.change_cipher_spec:
            raise UnexpectedMessage("ChangeCipherSpec inside an encrypted record")
        else:
            raise UnexpectedMessage(f"unexpected {name_of(ContentType, ctype)} record")

    def _idle(self) -> None:
        self._idle_records += 1
        if self._idle_records > MAX_IDLE_RECORDS:
            raise UnexpectedMessage(f"more than {MAX_IDLE_RECORDS} records in a row that carry nothing")

    def _plaintext_alert_allowed(self, payload: memoryview) -> bool:
        return (not self.is_client and self.version == ProtocolVersion.TLSv1_3 and not self.handshake_complete
                and self._read.encrypted and len(payload) == 2)

    def _receive_change_cipher_spec(self, payload: memoryview) -> None:
        if bytes(payload) != b"\x01":
            raise UnexpectedMessage("malformed ChangeCipherSpec")
        if self._hs_in:
            raise UnexpectedMessage("ChangeCipherSpec in the middle of a handshake message")
        if self.version == ProtocolVersion.TLSv1_3 or self.version is None:
            if not self._ccs_allowed or self._read.encrypted and self.version is None:
                raise UnexpectedMessage("unexpected ChangeCipherSpec")
            return  # RFC 8446 §5: ignored during the handshake
        self._hs.receive_change_cipher_spec()

    def _read_handshake_messages(self) -> None:
        buf = self._hs_in
        limit = self.config.max_handshake_message
        while len(buf) >= 4:
            mlen = (buf[1] << 16) | (buf[2] << 8) | buf[3]
            if mlen > limit:
                raise IllegalParameter(f"handshake message of {mlen} bytes is over the {limit}-byte limit")
            if len(buf) < 4 + mlen:
                return
            raw = bytes(buf[:4 + mlen])
            del buf[:4 + mlen]
            mtype = raw[0]
            if self.handshake_complete and self.version == ProtocolVersion.TLSv1_3 and mtype == HandshakeType.key_update:
                self._receive_key_update(raw)
            else:
                self._hs.handle(mtype, raw)
            if self._peer_closed or self._failed:
                return

    def _receive_alert(self, plain: bytes) -> None:
        if not plain:
            raise UnexpectedMessage("empty alert record")
        if len(plain) != 2:
            raise DecodeError("alert record is not 2 bytes")
        level, desc = plain[0], plain[1]
        if self._hs_in:
            raise UnexpectedMessage("alert in the middle of a handshake message")
        self._events.append(ev.AlertReceived(level, desc))
        if desc == A.close_notify:
            self._peer_closed = True
            # RFC 5246 §7.2.1 wants a close_notify in answer; like OpenSSL's SSL_shutdown, that is the
            # caller's close(), so it is not written into a socket the peer may already have closed.
            self._events.append(ev.ConnectionClosed(clean=True))
            return
        if desc == A.user_canceled or level == AlertLevel.warning and self._warnings_are_warnings():
            self._idle()
            return  # TLS 1.2 warnings (and user_canceled) do not end the connection
        self._peer_closed = True
        self._peer_fatal = True
        self._events.append(ev.ConnectionClosed(clean=False))

    def _warnings_are_warnings(self) -> bool:
        if self.version is not None:
            return self.version == ProtocolVersion.TLSv1_2
        return ProtocolVersion.TLSv1_2 in self.config._versions  # before the ServerHello: 1.2 may yet be chosen

    # ------------------------------------------------------------ record output
    def _send_handshake(self, message: bytes) -> None:
        """Queue a handshake message; consecutive ones share records until flushed."""
        self._hs_out.append(message)

    def _flush_handshake(self) -> None:
        if not self._hs_out:
            return
        data = b"".join(self._hs_out)
        self._hs_out = []
        limit = self._write_fragment
        seal = self._write.seal
        for i in range(0, len(data), limit):
            self._out.append(seal(22, data[i:i + limit]))

    def _send_change_cipher_spec(self) -> None:
        self._flush_handshake()
        self._out.append(_CCS_RECORD)
        self._sent_ccs = True

    def _send_alert(self, level: int, desc: int) -> None:
        self._flush_handshake()
        try:
            self._out.append(self._write.seal(21, bytes((level, desc))))
        except TLSError:
            return
        self._events.append(ev.AlertSent(level, desc))

    def _fail(self, exc: TLSError) -> None:
        if self._failed is not None:
            return
        self._failed = exc
        self._hs_out = []
        if exc.alert is not None and not self._sent_close:
            self._send_alert(AlertLevel.fatal, exc.alert)
            self._sent_close = True

    def _emit(self, event: ev.Event) -> None:
        self._events.append(event)

    # ------------------------------------------------------------ keys
    def _set_read(self, protection: Any) -> None:
        if self._hs_in:
            raise UnexpectedMessage("handshake message spans a key change")
        self._read = protection
        self._read_limit = MAX_CIPHERTEXT_13 if self.version == ProtocolVersion.TLSv1_3 else MAX_CIPHERTEXT_12

    def _set_write(self, protection: Any) -> None:
        self._flush_handshake()
        self._write = protection

    def _tls13_protection(self, secret: bytes) -> Tls13Protection:
        key, iv = self._key_schedule.traffic_key_iv(secret)
        return Tls13Protection(self._cipher, key, iv, self.config.padding_block, self._write_fragment)

    def _set_read_secret(self, secret: bytes) -> None:
        self._read_secret = secret
        self._set_read(self._tls13_protection(secret))

    def _set_write_secret(self, secret: bytes) -> None:
        self._write_secret = secret
        self._set_write(self._tls13_protection(secret))

    def _keylog(self, label: str, secret: bytes) -> None:
        if self.config.keylog is not None:
            self.config.keylog(f"{label} {self.client_random.hex()} {secret.hex()}")

    def _send_key_update(self, request: int) -> None:
        self._send_handshake(KeyUpdate(request).encode())
        self._set_write_secret(self._key_schedule.next_traffic_secret(self._write_secret))
        self._emit(ev.KeyUpdated("send", request == KeyUpdateRequest.update_requested))

    def _receive_key_update(self, raw: bytes) -> None:
        msg = KeyUpdate.decode(memoryview(raw)[4:])
        self._idle()
        self._set_read_secret(self._key_schedule.next_traffic_secret(self._read_secret))
        requested = msg.request_update == KeyUpdateRequest.update_requested
        self._events.append(ev.KeyUpdated("receive", requested))
        if requested and not self._sent_close:
            self._send_key_update(KeyUpdateRequest.update_not_requested)
            self._flush_handshake()

    def _apply_record_size_limit(self, peer: int | None, ours: int | None) -> None:
        """RFC 8449: the peer's limit caps what we send, ours what we accept; in TLS 1.3 both
        count the inner content type byte, hence one less of data."""
        extra = 1 if self.version == ProtocolVersion.TLSv1_3 else 0
        if peer is not None:
            self._write_fragment = min(self._write_fragment, peer - extra)
        if ours is not None:
            self._read_plain_limit = min(self._read_plain_limit, ours - extra)

    def _complete(self, event: ev.HandshakeComplete) -> None:
        self.handshake_complete = True
        self.complete_event = event
        self._ccs_allowed = False
        self._events.append(event)
