"""TLS record framing of one direction of a byte stream, as a passive observer does it.

`RecordFramer` is fed the stream's bytes in order (with the time each chunk
was seen) and told about bytes the capture lost. It cuts the stream into
records by their 5-byte headers (RFC 8446 §5.1, RFC 5246 §6.2.1): content
type, version and length are in the clear for every record, encrypted or not.
Payloads are kept only for handshake, alert and change_cipher_spec records
(the hellos and the TLS 1.2 certificate are in there), up to MAX_KEPT bytes.

A gap inside a record body costs nothing but those bytes: the next header's
offset is still known. A gap that hides a header loses the framing; the framer
then looks for two consecutive plausible headers and resumes there.

`handshake_messages` splits kept handshake payloads into whole messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from port443.tls.enums import ContentType
from port443.tls.record import MAX_CIPHERTEXT_12

HEADER = 5
MAX_KEPT = 1 << 20  # handshake/alert bytes kept per direction
MAX_HANDSHAKE_MESSAGE = 1 << 18  # a hello or certificate list larger than this is treated as garbage
_KEEP = (ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake)
_TYPES = {int(t) for t in ContentType}
_SCAN_LIMIT = 2 * (HEADER + MAX_CIPHERTEXT_12) + HEADER


@dataclass
class Record:
    offset: int  # stream offset of the header
    ts: float  # when the packet carrying its first byte was seen
    content_type: int
    version: int
    length: int  # the header's length field (payload bytes)
    missing: int = 0  # payload bytes the capture did not hold
    payload: bytes | None = None  # kept types only, and only when complete

    @property
    def size(self) -> int:
        return HEADER + self.length

    @property
    def type_name(self) -> str:
        try:
            return ContentType(self.content_type).name
        except ValueError:
            return f"type {self.content_type}"


def plausible_header(h: bytes | bytearray | memoryview, strict: bool = False) -> bool:
    """Could these 5 bytes start a TLS record? `strict` for finding one in the middle of a stream."""
    if len(h) < HEADER or h[0] not in _TYPES or h[1] != 3 or h[2] > 4:
        return False
    length = (h[3] << 8) | h[4]
    if strict:
        return h[0] != ContentType.heartbeat and 1 <= h[2] <= 3 and 0 < length <= MAX_CIPHERTEXT_12
    return length <= MAX_CIPHERTEXT_12


def describe_non_tls(first: bytes) -> str:
    text = bytes(first[:16])
    if text[:1] and text[0] & 0x80 and len(text) >= 3 and text[2] == 1:
        return "an SSLv2-format ClientHello (not TLS records)"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in text):
        return f"plain text {text.decode('ascii')!r}: this traffic is not encrypted at all"
    return f"bytes {text.hex(' ')} that are not a TLS record header"


class RecordFramer:
    """Cuts one direction of a stream into TLS records (see the module docstring)."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.offset = 0  # stream offset of the next byte fed or skipped
        self.state = "start"  # start | framing | lost | not_tls
        self.issues: list[str] = []
        self.unframed = 0  # stream bytes not assigned to any record
        self.kept = 0
        self._hdr = bytearray()
        self._hdr_ts = 0.0
        self._cur: Record | None = None
        self._left = 0
        self._body: bytearray | None = None
        self._scan: list[tuple[int, bytes, float]] = []  # (offset, bytes, ts) while lost

    # --- feeding -------------------------------------------------------------

    def feed(self, data: bytes, ts: float) -> None:
        view = memoryview(data)
        while view:
            if self.state == "not_tls":
                self.unframed += len(view)
                self.offset += len(view)
                return
            if self.state == "lost":
                self._scan.append((self.offset, bytes(view), ts))
                self.offset += len(view)
                self._resync()
                return
            if self._cur is not None:
                n = min(self._left, len(view))
                if self._body is not None:
                    self._body += view[:n]
                self._left -= n
                self.offset += n
                view = view[n:]
                if self._left == 0:
                    self._close_record()
                continue
            if not self._hdr:
                self._hdr_ts = ts
            n = min(HEADER - len(self._hdr), len(view))
            self._hdr += view[:n]
            self.offset += n
            view = view[n:]
            if len(self._hdr) == HEADER:
                self._open_record(preview=bytes(view[:11]))

    def skip(self, n: int, ts: float) -> None:
        """n bytes at the current offset are missing from the capture."""
        if n <= 0:
            return
        if self.state == "not_tls":
            self.offset += n
            return
        if self.state != "lost" and self._cur is not None:
            k = min(self._left, n)
            self._cur.missing += k
            self._body = None
            self._left -= k
            self.offset += k
            n -= k
            if self._left == 0:
                self._close_record()
        if n <= 0:
            return
        if self.state != "lost":
            self.issues.append(f"{n} bytes missing at stream offset {self.offset} hide a record header: "
                               "records are counted again from the next recognisable header")
            self.unframed += len(self._hdr)
            self._hdr.clear()
            self.state = "lost"
        self.unframed += sum(len(b) for _, b, _ in self._scan)
        self._scan.clear()
        self.offset += n

    def finish(self) -> None:
        """The stream ended (or the capture did)."""
        if self._cur is not None:
            self._cur.missing += self._left
            self._body = None
            self.issues.append(f"the capture ends inside a record ({self._cur.type_name}, "
                               f"{self._left} of its {self._cur.length} bytes not seen)")
            self._left = 0
            self._close_record()
        if self._hdr:
            self.unframed += len(self._hdr)
            self._hdr.clear()
        if self._scan:
            self.unframed += sum(len(b) for _, b, _ in self._scan)
            self._scan.clear()

    # --- internals -----------------------------------------------------------

    def _open_record(self, preview: bytes = b"") -> None:
        hdr = bytes(self._hdr)
        self._hdr.clear()
        start = self.offset - HEADER
        if not plausible_header(hdr):
            if self.state == "start":
                self.state = "not_tls"
                self.issues.append(f"not TLS: the stream starts with {describe_non_tls(hdr + preview)}")
                self.unframed += HEADER
            else:
                self.issues.append(f"bytes at stream offset {start} are not a TLS record header ({hdr.hex(' ')}): "
                                   "records are counted again from the next recognisable header")
                self.state = "lost"
                self._scan = [(start, hdr, self._hdr_ts)]
            return
        self.state = "framing"
        length = (hdr[3] << 8) | hdr[4]
        self._cur = Record(start, self._hdr_ts, hdr[0], (hdr[1] << 8) | hdr[2], length)
        keep = hdr[0] in _KEEP and self.kept + length <= MAX_KEPT
        self._body = bytearray() if keep else None
        self._left = length
        if length == 0:
            self._close_record()

    def _close_record(self) -> None:
        rec = self._cur
        if self._body is not None and not rec.missing:
            rec.payload = bytes(self._body)
            self.kept += len(rec.payload)
        self.records.append(rec)
        self._cur, self._body = None, None

    def _resync(self) -> None:
        buf = b"".join(b for _, b, _ in self._scan)
        base = self._scan[0][0]
        for i in range(len(buf) - HEADER + 1):
            if not plausible_header(buf[i:i + HEADER], strict=True):
                continue
            nxt = i + HEADER + ((buf[i + 3] << 8) | buf[i + 4])
            if nxt + HEADER > len(buf):
                if len(buf) <= _SCAN_LIMIT:
                    return  # wait for the bytes that would confirm it
                continue
            if plausible_header(buf[nxt:nxt + HEADER], strict=True):
                self._resume(base + i)
                return
        if len(buf) > _SCAN_LIMIT:
            drop = len(buf) - (HEADER + MAX_CIPHERTEXT_12)
            self.unframed += drop
            self._scan = [(base + drop, buf[drop:], self._scan[-1][2])]

    def _resume(self, at: int) -> None:
        chunks, self._scan = self._scan, []
        self.state = "framing"
        self.offset = at
        for off, data, ts in chunks:
            if off + len(data) <= at:
                self.unframed += len(data)
                continue
            cut = max(at - off, 0)
            self.unframed += cut
            self.feed(data[cut:], ts)


@dataclass
class HandshakeMessage:
    msg_type: int
    raw: bytes  # header included
    ts: float


def handshake_messages(records: list[Record], stop_at_ccs: bool) -> tuple[list[HandshakeMessage], str | None]:
    """The plaintext handshake messages of one direction, and why the list stops early (or None).

    `stop_at_ccs`: TLS 1.2 encrypts everything after change_cipher_spec; in
    TLS 1.3 it is a dummy and plaintext handshake records can follow it.
    """
    buf, times = bytearray(), []
    problem = None
    for rec in records:
        if rec.content_type == ContentType.change_cipher_spec and stop_at_ccs:
            break
        if rec.content_type != ContentType.handshake:
            continue
        if rec.payload is None:
            problem = "a handshake record was not fully captured"
            break
        times.append((len(buf), rec.ts))
        buf += rec.payload
    out: list[HandshakeMessage] = []
    pos = 0
    while pos + 4 <= len(buf):
        length = int.from_bytes(buf[pos + 1:pos + 4], "big")
        if length > MAX_HANDSHAKE_MESSAGE:
            return out, f"a handshake message claims {length} bytes (over {MAX_HANDSHAKE_MESSAGE})"
        if pos + 4 + length > len(buf):
            return out, problem or "the last handshake message is incomplete"
        ts = next(t for start, t in reversed(times) if start <= pos)
        out.append(HandshakeMessage(buf[pos], bytes(buf[pos:pos + 4 + length]), ts))
        pos += 4 + length
    if pos < len(buf):
        problem = problem or "the last handshake message is incomplete"
    return out, problem
