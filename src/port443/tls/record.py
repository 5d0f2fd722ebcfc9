"""The record layer: framing and protection of records (RFC 8446 §5, RFC 5246 §6.2).

A Protection seals plaintext into whole records (header included) and opens a
record's payload back into (content type, plaintext). `NullProtection` is the
plaintext state before keys exist. The TLS 1.2 protections live in record12.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from port443.tls.enums import ContentType
from port443.tls.errors import BadRecordMac, RecordOverflow, UnexpectedMessage

MAX_PLAINTEXT = 1 << 14  # 2^14 (RFC 8446 §5.1)
MAX_CIPHERTEXT_13 = MAX_PLAINTEXT + 256  # TLSCiphertext.length limit (§5.2)
MAX_CIPHERTEXT_12 = MAX_PLAINTEXT + 2048  # RFC 5246 §6.2.3
TAG_LEN = 16
APPLICATION_DATA = ContentType.application_data
_APPDATA_HEADER_PREFIX = b"\x17\x03\x03"
_TYPE_BYTE = [bytes((i,)) for i in range(256)]


def header(content_type: int, length: int, version: int = 0x0303) -> bytes:
    return bytes((content_type, version >> 8, version & 0xFF, length >> 8, length & 0xFF))


class NullProtection:
    """Records before any keys: plaintext, with the version a first record may carry."""

    encrypted = False
    max_fragment = MAX_PLAINTEXT
    sequence = 0

    def __init__(self, record_version: int = 0x0303) -> None:
        self.record_version = record_version

    def seal(self, content_type: int, data: bytes) -> bytes:
        return header(content_type, len(data), self.record_version) + data

    def open(self, content_type: int, hdr: bytes, payload: memoryview) -> tuple[int, bytes]:
        if len(payload) > MAX_PLAINTEXT:
            raise RecordOverflow(f"plaintext record of {len(payload)} bytes is over 2^14")
        return content_type, bytes(payload)


def _aead(cipher: str, key: bytes):
    return ChaCha20Poly1305(key) if cipher == "CHACHA20" else AESGCM(key)


class Tls13Protection:
    """AEAD record protection with the TLS 1.3 inner plaintext (RFC 8446 §5.2-5.4)."""

    encrypted = True
    __slots__ = ("aead", "iv_int", "sequence", "max_fragment", "padding_block")

    def __init__(self, cipher: str, key: bytes, iv: bytes, padding_block: int = 0, max_fragment: int = MAX_PLAINTEXT) -> None:
        self.aead = _aead(cipher, key)
        self.iv_int = int.from_bytes(iv, "big")
        self.sequence = 0
        self.padding_block = padding_block
        self.max_fragment = max_fragment

    def _nonce(self) -> bytes:
        seq = self.sequence
        if seq >= (1 << 64) - 1:
            raise UnexpectedMessage("record sequence number would wrap; the connection must rekey")
        self.sequence = seq + 1
        return (self.iv_int ^ seq).to_bytes(12, "big")

    def seal(self, content_type: int, data: bytes) -> bytes:
        inner = b"".join((data, _TYPE_BYTE[content_type]))
        if self.padding_block:
            pad = -len(inner) % self.padding_block
            limit = self.max_fragment + 1 - len(inner)
            if pad > limit:
                pad = max(limit, 0)
            if pad:
                inner += bytes(pad)
        n = len(inner) + TAG_LEN
        hdr = _APPDATA_HEADER_PREFIX + bytes((n >> 8, n & 0xFF))
        return hdr + self.aead.encrypt(self._nonce(), inner, hdr)

    def open(self, content_type: int, hdr: bytes, payload: memoryview) -> tuple[int, bytes]:
        if content_type != APPLICATION_DATA:
            raise UnexpectedMessage(f"unprotected {ContentType(content_type).name} record after keys were set")
        if len(payload) > MAX_CIPHERTEXT_13:
            raise RecordOverflow(f"encrypted record of {len(payload)} bytes is over 2^14+256")
        if len(payload) < TAG_LEN + 1:
            raise BadRecordMac("encrypted record shorter than its tag")
        try:
            inner = self.aead.decrypt(self._nonce(), payload, hdr)
        except InvalidTag:
            raise BadRecordMac() from None
        if len(inner) > MAX_PLAINTEXT + 1:  # the whole TLSInnerPlaintext, padding included (§5.4)
            raise RecordOverflow("decrypted record is over 2^14+1 bytes")
        if inner[-1] == 0:
            inner = inner.rstrip(b"\x00")
            if not inner:
                raise UnexpectedMessage("record with no content type (all padding)")
        return inner[-1], inner[:-1]
