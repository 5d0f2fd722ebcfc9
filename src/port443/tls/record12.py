"""TLS 1.2 record protection: AEAD (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905) and
CBC with HMAC, MAC-then-encrypt or encrypt-then-MAC (RFC 5246 §6.2.3.2,
RFC 7366). CBC is only ever used by our client, to talk to legacy servers.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from port443.tls.errors import BadRecordMac, RecordOverflow, UnexpectedMessage
from port443.tls.key_schedule import constant_time_equal, hmac_digest
from port443.tls.record import MAX_CIPHERTEXT_12, MAX_PLAINTEXT, TAG_LEN, header

_VERSION = b"\x03\x03"


class Tls12AeadProtection:
    encrypted = True
    __slots__ = ("aead", "salt", "iv_int", "explicit", "sequence", "max_fragment")

    def __init__(self, cipher: str, key: bytes, iv: bytes) -> None:
        self.explicit = cipher == "AESGCM"  # GCM: 4-byte salt + 8-byte explicit nonce; ChaCha20: XORed IV
        self.aead = AESGCM(key) if self.explicit else ChaCha20Poly1305(key)
        self.salt = iv
        self.iv_int = int.from_bytes(iv, "big") if not self.explicit else 0
        self.sequence = 0
        self.max_fragment = MAX_PLAINTEXT

    def _next(self) -> tuple[bytes, bytes]:
        seq = self.sequence
        if seq >= (1 << 64) - 1:
            raise UnexpectedMessage("record sequence number would wrap")
        self.sequence = seq + 1
        seq_bytes = seq.to_bytes(8, "big")
        nonce = self.salt + seq_bytes if self.explicit else (self.iv_int ^ seq).to_bytes(12, "big")
        return seq_bytes, nonce

    def seal(self, content_type: int, data: bytes) -> bytes:
        seq, nonce = self._next()
        n = len(data)
        aad = seq + bytes((content_type,)) + _VERSION + n.to_bytes(2, "big")
        ct = self.aead.encrypt(nonce, bytes(data), aad)
        if self.explicit:
            return header(content_type, 8 + len(ct)) + seq + ct
        return header(content_type, len(ct)) + ct

    def open(self, content_type: int, hdr: bytes, payload: memoryview) -> tuple[int, bytes]:
        if len(payload) > MAX_CIPHERTEXT_12:
            raise RecordOverflow("encrypted record over 2^14+2048 bytes")
        seq, nonce = self._next()
        if self.explicit:
            if len(payload) < 8 + TAG_LEN:
                raise BadRecordMac("record shorter than its nonce and tag")
            nonce = self.salt + bytes(payload[:8])
            payload = payload[8:]
        elif len(payload) < TAG_LEN:
            raise BadRecordMac("record shorter than its tag")
        n = len(payload) - TAG_LEN
        aad = seq + bytes((content_type,)) + _VERSION + n.to_bytes(2, "big")
        try:
            plain = self.aead.decrypt(nonce, payload, aad)
        except InvalidTag:
            raise BadRecordMac() from None
        if len(plain) > MAX_PLAINTEXT:
            raise RecordOverflow("decrypted record over 2^14 bytes")
        return content_type, plain


class Tls12CbcProtection:
    """AES-CBC + HMAC; `etm` selects encrypt-then-MAC (RFC 7366)."""

    encrypted = True

    def __init__(self, key: bytes, mac_key: bytes, mac_hash: type[hashes.HashAlgorithm], etm: bool,
                 random=os.urandom) -> None:
        self.aes = algorithms.AES(key)  # built once, not per record
        self.mac_key = mac_key
        self.mac_hash = mac_hash
        self.mac_len = mac_hash.digest_size
        self.etm = etm
        self.random = random
        self.sequence = 0
        self.max_fragment = MAX_PLAINTEXT

    def _mac(self, *parts: bytes) -> bytes:
        return hmac_digest(self.mac_hash(), self.mac_key, *parts)

    def _seq(self) -> bytes:
        seq = self.sequence
        self.sequence = seq + 1
        return seq.to_bytes(8, "big")

    @staticmethod
    def _pad(length: int) -> bytes:
        pad = 15 - (length % 16)
        return bytes((pad,)) * (pad + 1)

    def seal(self, content_type: int, data: bytes) -> bytes:
        data = bytes(data)
        seq = self._seq()
        iv = self.random(16)
        enc = Cipher(self.aes, modes.CBC(iv)).encryptor()
        if self.etm:
            body = data + self._pad(len(data))
            ct = iv + enc.update(body) + enc.finalize()
            mac = self._mac(seq, bytes((content_type,)), _VERSION, len(ct).to_bytes(2, "big"), ct)
            payload = ct + mac
        else:
            mac = self._mac(seq, bytes((content_type,)), _VERSION, len(data).to_bytes(2, "big"), data)
            body = data + mac
            body += self._pad(len(body))
            payload = iv + enc.update(body) + enc.finalize()
        return header(content_type, len(payload)) + payload

    def open(self, content_type: int, hdr: bytes, payload: memoryview) -> tuple[int, bytes]:
        if len(payload) > MAX_CIPHERTEXT_12:
            raise RecordOverflow("encrypted record over 2^14+2048 bytes")
        seq = self._seq()
        payload = bytes(payload)
        if self.etm:
            if len(payload) < 32 + self.mac_len or (len(payload) - self.mac_len) % 16:
                raise BadRecordMac("malformed CBC record")
            ct, mac = payload[:-self.mac_len], payload[-self.mac_len:]
            expected = self._mac(seq, bytes((content_type,)), _VERSION, len(ct).to_bytes(2, "big"), ct)
            if not constant_time_equal(mac, expected):
                raise BadRecordMac()
            dec = Cipher(self.aes, modes.CBC(ct[:16])).decryptor()
            body = dec.update(ct[16:]) + dec.finalize()
            pad = body[-1]
            if pad + 1 > len(body) or body[-pad - 1:] != bytes((pad,)) * (pad + 1):
                raise BadRecordMac("bad CBC padding")
            return content_type, body[:-pad - 1]
        if len(payload) < 16 + max(16, (self.mac_len + 16) // 16 * 16) or len(payload) % 16:
            raise BadRecordMac("malformed CBC record")
        dec = Cipher(self.aes, modes.CBC(payload[:16])).decryptor()
        body = dec.update(payload[16:]) + dec.finalize()
        pad = body[-1]
        good_pad = pad + 1 + self.mac_len <= len(body) and body[-pad - 1:] == bytes((pad,)) * (pad + 1)
        # Check the MAC even when the padding is bad, so both failures cost about the same.
        cut = len(body) - (pad + 1 if good_pad else 1)
        data, mac = body[:cut - self.mac_len], body[cut - self.mac_len:cut]
        expected = self._mac(seq, bytes((content_type,)), _VERSION, len(data).to_bytes(2, "big"), data)
        if not (constant_time_equal(mac, expected) and good_pad):
            raise BadRecordMac()
        if len(data) > MAX_PLAINTEXT:
            raise RecordOverflow("decrypted record over 2^14 bytes")
        return content_type, data
