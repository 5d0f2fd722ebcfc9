"""Handshake messages shared by TLS 1.3 and 1.2, and the TLS 1.3 ones.

A message is a dataclass with `encode()` (the whole handshake message, header
included) and `decode(body)` (the body after the 4-byte header). Decoders
check every length and reject trailing bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from port443.tls.codec import Reader, u16, u24, u32, vec8, vec16, vec24
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import DecodeError, IllegalParameter
from port443.tls.extensions import Extensions, decode_extension_block, encode_extension_block

# RFC 8446 §4.1.3: SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# RFC 8446 §4.1.3: the last 8 bytes of a server random when it negotiates below its best.
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
DOWNGRADE_TLS11 = b"DOWNGRD\x00"


def frame(msg_type: int, body: bytes) -> bytes:
    """A handshake message: type, 24-bit length, body (RFC 8446 §4)."""
    return bytes((msg_type,)) + u24(len(body)) + body


class _HasExtensions:
    extensions: Extensions

    def ext(self, ext_type: int) -> bytes | None:
        for t, d in self.extensions:
            if t == ext_type:
                return d
        return None

    def has(self, ext_type: int) -> bool:
        return any(t == ext_type for t, _ in self.extensions)

    @property
    def extension_types(self) -> list[int]:
        return [t for t, _ in self.extensions]


def _read_hello_start(r: Reader, session_id_field: str) -> tuple[int, bytes, bytes]:
    """legacy_version, random and the legacy session ID that both hellos begin with."""
    legacy_version = r.u16("legacy_version")
    random = r.raw(32, "random")
    session_id = r.vec8(session_id_field)
    if len(session_id) > 32:
        raise IllegalParameter(f"{session_id_field} longer than 32 bytes")
    return legacy_version, random, session_id


@dataclass
class ClientHello(_HasExtensions):
    random: bytes
    cipher_suites: list[int]
    extensions: Extensions = field(default_factory=list)
    session_id: bytes = b""
    legacy_version: int = 0x0303
    compression_methods: bytes = b"\x00"

    def encode(self) -> bytes:
        body = (
            u16(self.legacy_version) + self.random + vec8(self.session_id)
            + vec16(b"".join(u16(s) for s in self.cipher_suites))
            + vec8(self.compression_methods) + encode_extension_block(self.extensions)
        )
        return frame(HT.client_hello, body)

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "ClientHello":
        r = Reader(body)
        legacy_version, random, session_id = _read_hello_start(r, "legacy_session_id")
        suites = r.u16_list("cipher_suites", min_len=2)
        compression = r.vec8("compression_methods")
        if not compression:
            raise DecodeError("empty compression_methods")
        exts = decode_extension_block(r, "ClientHello")
        r.expect_end("ClientHello")
        for t, _ in exts[:-1]:
            if t == ET.pre_shared_key:
                raise IllegalParameter("pre_shared_key is not the last ClientHello extension")
        return cls(random, suites, exts, session_id, legacy_version, compression)


@dataclass
class ServerHello(_HasExtensions):
    random: bytes
    cipher_suite: int
    extensions: Extensions = field(default_factory=list)
    session_id: bytes = b""
    legacy_version: int = 0x0303
    compression_method: int = 0

    @property
    def is_hello_retry_request(self) -> bool:
        return self.random == HRR_RANDOM

    def encode(self) -> bytes:
        body = (
            u16(self.legacy_version) + self.random + vec8(self.session_id) + u16(self.cipher_suite)
            + bytes((self.compression_method,))
        )
        if self.extensions:
            body += encode_extension_block(self.extensions)
        return frame(HT.server_hello, body)

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "ServerHello":
        r = Reader(body)
        legacy_version, random, session_id = _read_hello_start(r, "legacy_session_id_echo")
        suite = r.u16("cipher_suite")
        compression = r.u8("compression_method")
        exts = decode_extension_block(r, "ServerHello")
        r.expect_end("ServerHello")
        return cls(random, suite, exts, session_id, legacy_version, compression)


@dataclass
class EncryptedExtensions(_HasExtensions):
    extensions: Extensions = field(default_factory=list)

    def encode(self) -> bytes:
        return frame(HT.encrypted_extensions, encode_extension_block(self.extensions))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "EncryptedExtensions":
        r = Reader(body)
        if r.remaining() < 2:
            raise DecodeError("EncryptedExtensions without an extensions vector")
        exts = decode_extension_block(r, "EncryptedExtensions")
        r.expect_end("EncryptedExtensions")
        return cls(exts)


@dataclass
class Certificate13:
    """TLS 1.3 Certificate: a context and entries with their own extensions."""

    certificates: list[bytes]  # DER, leaf first
    context: bytes = b""
    entry_extensions: list[Extensions] | None = None

    def encode(self) -> bytes:
        entries = []
        for i, der in enumerate(self.certificates):
            exts = self.entry_extensions[i] if self.entry_extensions else []
            entries.append(vec24(der) + encode_extension_block(exts))
        return frame(HT.certificate, vec8(self.context) + vec24(b"".join(entries)))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "Certificate13":
        r = Reader(body)
        context = r.vec8("certificate_request_context")
        lst = r.sub24("certificate_list")
        r.expect_end("Certificate")
        certs: list[bytes] = []
        exts: list[Extensions] = []
        while lst.remaining():
            der = lst.vec24("cert_data")
            if not der:
                raise DecodeError("empty certificate entry")
            certs.append(der)
            if lst.remaining() < 2:
                raise DecodeError("certificate entry without extensions")
            exts.append(decode_extension_block(lst, "CertificateEntry"))
        return cls(certs, context, exts)


@dataclass
class CertificateRequest13(_HasExtensions):
    context: bytes = b""
    extensions: Extensions = field(default_factory=list)

    def encode(self) -> bytes:
        return frame(HT.certificate_request, vec8(self.context) + encode_extension_block(self.extensions))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "CertificateRequest13":
        r = Reader(body)
        context = r.vec8("certificate_request_context")
        if r.remaining() < 2:
            raise DecodeError("CertificateRequest without extensions")
        exts = decode_extension_block(r, "CertificateRequest")
        r.expect_end("CertificateRequest")
        return cls(context, exts)


@dataclass
class CertificateVerify:
    scheme: int
    signature: bytes

    def encode(self) -> bytes:
        return frame(HT.certificate_verify, u16(self.scheme) + vec16(self.signature))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "CertificateVerify":
        r = Reader(body)
        scheme = r.u16("algorithm")
        sig = r.vec16("signature")
        r.expect_end("CertificateVerify")
        if not sig:
            raise DecodeError("empty signature")
        return cls(scheme, sig)


@dataclass
class Finished:
    verify_data: bytes

    def encode(self) -> bytes:
        return frame(HT.finished, self.verify_data)

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "Finished":
        return cls(bytes(body))


@dataclass
class NewSessionTicket13(_HasExtensions):
    lifetime: int
    age_add: int
    nonce: bytes
    ticket: bytes
    extensions: Extensions = field(default_factory=list)

    def encode(self) -> bytes:
        body = (
            u32(self.lifetime) + u32(self.age_add) + vec8(self.nonce) + vec16(self.ticket)
            + encode_extension_block(self.extensions)
        )
        return frame(HT.new_session_ticket, body)

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "NewSessionTicket13":
        r = Reader(body)
        lifetime = r.u32("ticket_lifetime")
        age_add = r.u32("ticket_age_add")
        nonce = r.vec8("ticket_nonce")
        ticket = r.vec16("ticket")
        if not ticket:
            raise DecodeError("empty ticket")
        if r.remaining() < 2:
            raise DecodeError("NewSessionTicket without extensions")
        exts = decode_extension_block(r, "NewSessionTicket")
        r.expect_end("NewSessionTicket")
        return cls(lifetime, age_add, nonce, ticket, exts)


@dataclass
class KeyUpdate:
    request_update: int

    def encode(self) -> bytes:
        return frame(HT.key_update, bytes((self.request_update,)))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "KeyUpdate":
        r = Reader(body)
        value = r.u8("request_update")
        r.expect_end("KeyUpdate")
        if value not in (0, 1):
            raise IllegalParameter("KeyUpdate request_update is neither 0 nor 1")
        return cls(value)


def message_hash(transcript_hash: bytes) -> bytes:
    """The synthetic message that replaces ClientHello1 after a HelloRetryRequest (RFC 8446 §4.4.1)."""
    return frame(HT.message_hash, transcript_hash)
