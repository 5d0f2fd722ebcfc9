"""TLS fingerprints of the hellos: JA3, JA3S, JA4 and JA4S.

Every function takes one raw handshake message, its 4-byte header included
(what the engine's `ClientHelloReceived.raw` carries), so `port443 serve` and
`port443 handshake --observe` can fingerprint a live connection and
`port443 observe` a captured one with the same code.

Definitions followed:
- JA3 / JA3S: the Salesforce JA3 README and its reference `ja3.py`/`ja3s.py`.
  JA3 = "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats"
  (decimal, '-' between values, GREASE values dropped, legacy_version as the
  version), MD5 of that string. JA3S = "SSLVersion,Cipher,Extensions" from the
  ServerHello, extensions in wire order (the reference filters nothing there;
  RFC 8701 forbids servers to send GREASE anyway).
- JA4 / JA4S: FoxIO's technical details (technical_details/JA4.md, JA4S.md).
  JA4 = a_b_c where a = transport, version (highest supported_versions entry,
  else legacy_version), 'd'/'i' for SNI present/absent, 2-digit cipher and
  extension counts, first and last character of the first ALPN value; b = the
  first 12 hex digits of SHA-256 over the sorted cipher list; c = the same over
  the sorted extension list without SNI (0x0000) and ALPN (0x0010), then '_'
  and the signature algorithms in wire order. GREASE is ignored everywhere.

Parsing uses the engine's codecs (`ClientHello.decode`, `ServerHello.decode`,
`codec.Reader`); MD5 and SHA-256 are from hashlib: hashing for a fingerprint is
not protocol cryptography.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from port443.tls.codec import Reader
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import TLSError
from port443.tls.messages import ClientHello, ServerHello
from port443.tls.server_hello import is_grease

EMPTY_HASH = "000000000000"  # JA4's value for an empty list (instead of hashing nothing)

# JA4's two-character version labels (JA4.md, "TLS and DTLS Version").
_JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
                 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
TRANSPORTS = ("t", "q", "d")  # TLS over TCP, QUIC, DTLS


class FingerprintError(ValueError):
    """The bytes are not a hello the engine's decoder accepts; the message says which part is wrong."""



def _body(raw: bytes, msg_type: int, name: str) -> memoryview:
    raw = memoryview(bytes(raw))
    if len(raw) < 4 or raw[0] != msg_type:
        raise FingerprintError(f"not a {name} handshake message (expected type {msg_type}, 4-byte header included)")
    length = int.from_bytes(raw[1:4], "big")
    if length != len(raw) - 4:
        raise FingerprintError(f"{name} header says {length} bytes but {len(raw) - 4} follow")
    return raw[4:]


def decode_client_hello(raw: bytes) -> ClientHello:
    """The engine's ClientHello from a whole handshake message, or FingerprintError."""
    try:
        return ClientHello.decode(_body(raw, HT.client_hello, "ClientHello"))
    except TLSError as exc:
        raise FingerprintError(f"ClientHello does not decode: {exc.message}") from None


def decode_server_hello(raw: bytes) -> ServerHello:
    try:
        return ServerHello.decode(_body(raw, HT.server_hello, "ServerHello"))
    except TLSError as exc:
        raise FingerprintError(f"ServerHello does not decode: {exc.message}") from None


def _u16s(data: bytes | None, prefix: int, what: str) -> list[int]:
    """A length-prefixed list of u16 values in an extension (prefix: 1 or 2 length bytes)."""
    if data is None:
        return []
    try:
        r = Reader(data)
        body = r.sub8(what) if prefix == 1 else r.sub16(what)
        r.expect_end(what)
        if body.remaining() % 2:
            raise FingerprintError(f"{what} has an odd length")
        return [body.u16(what) for _ in range(body.remaining() // 2)]
    except TLSError as exc:
        raise FingerprintError(f"{what} extension does not decode: {exc.message}") from None


def _u8s(data: bytes | None, what: str) -> list[int]:
    if data is None:
        return []
    try:
        r = Reader(data)
        values = r.vec8(what)
        r.expect_end(what)
        return list(values)
    except TLSError as exc:
        raise FingerprintError(f"{what} extension does not decode: {exc.message}") from None


def first_alpn(data: bytes | None) -> bytes | None:
    """The first protocol name of an ALPN extension (b"" if it is empty), None without one."""
    if data is None:
        return None
    try:
        r = Reader(data)
        names = r.sub16("protocol_name_list")
        if names.remaining() == 0:
            return None
        return names.vec8("protocol name")
    except TLSError as exc:
        raise FingerprintError(f"ALPN extension does not decode: {exc.message}") from None


def _dec(values) -> str:
    return "-".join(str(v) for v in values)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).hexdigest()


def ja3(client_hello_raw: bytes) -> tuple[str, str]:
    """(JA3 string, its MD5) of a ClientHello handshake message."""
    return ja3_of(decode_client_hello(client_hello_raw))


def ja3_of(hello: ClientHello) -> tuple[str, str]:
    """(JA3 string, its MD5) of a decoded ClientHello."""
    fields = [
        str(hello.legacy_version),
        _dec(s for s in hello.cipher_suites if not is_grease(s)),
        _dec(t for t in hello.extension_types if not is_grease(t)),
        _dec(g for g in _u16s(hello.ext(ET.supported_groups), 2, "supported_groups") if not is_grease(g)),
        _dec(_u8s(hello.ext(ET.ec_point_formats), "ec_point_formats")),
    ]
    text = ",".join(fields)
    return text, _md5(text)


def ja3s(server_hello_raw: bytes) -> tuple[str, str]:
    """(JA3S string, its MD5) of a ServerHello handshake message."""
    return ja3s_of(decode_server_hello(server_hello_raw))


def ja3s_of(hello: ServerHello) -> tuple[str, str]:
    """(JA3S string, its MD5) of a decoded ServerHello."""
    text = ",".join([str(hello.legacy_version), str(hello.cipher_suite), _dec(hello.extension_types)])
    return text, _md5(text)


def _sha12(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12]


def _count(n: int) -> str:
    return f"{min(n, 99):02d}"


def _version_label(version: int) -> str:
    return _JA4_VERSIONS.get(version, "00")


def alpn_label(first: bytes | None) -> str:
    """JA4's ALPN characters: first and last of the first value; hex digits if either byte is not alphanumeric."""
    if not first:
        return "00"
    head, tail = first[0], first[-1]
    if chr(head).isascii() and chr(head).isalnum() and chr(tail).isascii() and chr(tail).isalnum():
        return chr(head) + chr(tail)
    digits = first.hex()
    return digits[0] + digits[-1]


def _hex(values) -> str:
    return ",".join(f"{v:04x}" for v in values)


@dataclass(frozen=True)
class JA4:
    """JA4 and its raw and original-order forms (JA4.md, "Raw Output")."""

    fingerprint: str  # JA4
    raw: str  # JA4_r: sorted lists in clear
    original: str  # JA4_o: original order (SNI and ALPN kept), hashed
    original_raw: str  # JA4_ro


def _check_transport(transport: str) -> None:
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)} (t = TLS over TCP, q = QUIC, d = DTLS)")


def ja4_all(client_hello_raw: bytes, transport: str = "t") -> JA4:
    _check_transport(transport)
    return ja4_of(decode_client_hello(client_hello_raw), transport)


def ja4_of(hello: ClientHello, transport: str = "t") -> JA4:
    """JA4 and its other forms of a decoded ClientHello (transport already checked)."""
    ciphers = [s for s in hello.cipher_suites if not is_grease(s)]
    exts = [t for t in hello.extension_types if not is_grease(t)]
    versions = [v for v in _u16s(hello.ext(ET.supported_versions), 1, "supported_versions") if not is_grease(v)]
    version = max(versions) if versions else hello.legacy_version
    sigalgs = [s for s in _u16s(hello.ext(ET.signature_algorithms), 2, "signature_algorithms") if not is_grease(s)]
    alpn = alpn_label(first_alpn(hello.ext(ET.application_layer_protocol_negotiation)))
    sni = "d" if ET.server_name in exts else "i"
    a = f"{transport}{_version_label(version)}{sni}{_count(len(ciphers))}{_count(len(exts))}{alpn}"

    def c_part(ext_list: list[int]) -> str:
        return _hex(ext_list) + ("_" + _hex(sigalgs) if sigalgs else "")

    sorted_exts = sorted(t for t in exts if t not in (ET.server_name, ET.application_layer_protocol_negotiation))
    sorted_b, original_b = _hex(sorted(ciphers)), _hex(ciphers)
    sorted_c, original_c = c_part(sorted_exts), c_part(exts)

    def hashed(b: str, c: str, ext_list: list[int]) -> str:
        return f"{a}_{_sha12(b) if ciphers else EMPTY_HASH}_{_sha12(c) if ext_list else EMPTY_HASH}"

    return JA4(hashed(sorted_b, sorted_c, sorted_exts), f"{a}_{sorted_b}_{sorted_c}",
               hashed(original_b, original_c, exts), f"{a}_{original_b}_{original_c}")


def ja4(client_hello_raw: bytes, transport: str = "t") -> str:
    """The JA4 fingerprint of a ClientHello handshake message ("t" TCP, "q" QUIC, "d" DTLS)."""
    return ja4_all(client_hello_raw, transport).fingerprint


def ja4s_all(server_hello_raw: bytes, transport: str = "t") -> tuple[str, str]:
    """(JA4S, JA4S_r) of a ServerHello handshake message (JA4S.md)."""
    _check_transport(transport)
    return ja4s_of(decode_server_hello(server_hello_raw), transport)


def ja4s_of(hello: ServerHello, transport: str = "t") -> tuple[str, str]:
    """(JA4S, JA4S_r) of a decoded ServerHello (transport already checked)."""
    version = hello.legacy_version
    selected = hello.ext(ET.supported_versions)
    if selected is not None:
        if len(selected) != 2:
            raise FingerprintError("ServerHello supported_versions is not one version")
        version = int.from_bytes(selected, "big")
    exts = hello.extension_types
    alpn = alpn_label(first_alpn(hello.ext(ET.application_layer_protocol_negotiation)))
    a = f"{transport}{_version_label(version)}{_count(len(exts))}{alpn}"
    listed = _hex(exts)
    return f"{a}_{hello.cipher_suite:04x}_{_sha12(listed) if exts else EMPTY_HASH}", f"{a}_{hello.cipher_suite:04x}_{listed}"


def ja4s(server_hello_raw: bytes, transport: str = "t") -> str:
    return ja4s_all(server_hello_raw, transport)[0]
