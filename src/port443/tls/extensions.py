"""Encoders and decoders for the hello extensions the engine speaks.

Each decoder takes the extension_data of one extension and checks it fully
(lengths, emptiness, trailing bytes); each encoder returns extension_data.
References: RFC 8446 §4.2, RFC 6066 (server_name), RFC 7301 (ALPN),
RFC 8449 (record_size_limit), RFC 5746 (renegotiation_info), RFC 7627 (EMS),
RFC 7366 (encrypt_then_mac), RFC 8422 (ec_point_formats).
"""

from __future__ import annotations

from port443.tls.codec import Reader, u16, u16_list, vec8, vec16
from port443.tls.errors import DecodeError, IllegalParameter

Extensions = list[tuple[int, bytes]]


def decode_extension_block(r: Reader, what: str) -> Extensions:
    """The extensions vector of a hello; rejects duplicates (RFC 8446 §4.2)."""
    if r.remaining() == 0:
        return []
    block = r.sub16(f"{what} extensions")
    out: Extensions = []
    seen: set[int] = set()
    while block.remaining():
        ext_type = block.u16("extension type")
        data = block.vec16("extension data")
        if ext_type in seen:
            raise IllegalParameter(f"{what} repeats extension {ext_type}")
        seen.add(ext_type)
        out.append((ext_type, data))
    return out


def encode_extension_block(exts: Extensions) -> bytes:
    return vec16(b"".join(u16(t) + vec16(d) for t, d in exts))


def check_empty(data: bytes, what: str) -> None:
    if data:
        raise DecodeError(f"{what} extension must be empty")


def _sole_vector(data: bytes, width: int, ext: str, field: str, empty: str | None = None) -> bytes:
    """extension_data that is one vector (8- or 16-bit length) and nothing after it;
    `empty` is the error message when the vector may not be empty."""
    r = Reader(data)
    value = r.vec8(field) if width == 1 else r.vec16(field)
    r.expect_end(ext)
    if empty is not None and not value:
        raise DecodeError(empty)
    return value


# --- server_name (RFC 6066 §3) -------------------------------------------------

def encode_server_name(host: str) -> bytes:
    name = host.encode("ascii")
    return vec16(b"\x00" + vec16(name))


def decode_server_name(data: bytes) -> str | None:
    """The host_name entry, or None for an empty acknowledgement."""
    if not data:
        return None
    r = Reader(data)
    names = r.sub16("server_name list")
    r.expect_end("server_name")
    host: str | None = None
    if names.remaining() == 0:
        raise DecodeError("empty server_name list")
    while names.remaining():
        kind = names.u8("name type")
        value = names.vec16("host name")
        if kind == 0:
            if host is not None:
                raise IllegalParameter("two host_name entries in server_name")
            if not value or b"\x00" in value:
                raise DecodeError("empty or NUL-containing host_name")
            try:
                host = value.decode("ascii")
            except UnicodeDecodeError:
                raise DecodeError("host_name is not ASCII") from None
    return host


# --- supported_versions (RFC 8446 §4.2.1) -------------------------------------

def encode_supported_versions_ch(versions: list[int]) -> bytes:
    return vec8(b"".join(u16(v) for v in versions))


def decode_supported_versions_ch(data: bytes) -> list[int]:
    body = _sole_vector(data, 1, "supported_versions", "supported_versions")
    if not body or len(body) % 2:
        raise DecodeError("bad supported_versions length")
    return [int.from_bytes(body[i:i + 2], "big") for i in range(0, len(body), 2)]


def decode_u16(data: bytes, what: str) -> int:
    if len(data) != 2:
        raise DecodeError(f"{what} must be 2 bytes")
    return int.from_bytes(data, "big")


# --- supported_groups, signature_algorithms -----------------------------------

def encode_u16_list(values) -> bytes:
    return u16_list(values)


def decode_u16_list(data: bytes, what: str) -> list[int]:
    r = Reader(data)
    values = r.u16_list(what, min_len=2)
    r.expect_end(what)
    return values


# --- key_share (RFC 8446 §4.2.8) ----------------------------------------------

def encode_key_share_ch(shares: list[tuple[int, bytes]]) -> bytes:
    return vec16(b"".join(u16(g) + vec16(k) for g, k in shares))


def decode_key_share_ch(data: bytes) -> list[tuple[int, bytes]]:
    r = Reader(data)
    block = r.sub16("client_shares")
    r.expect_end("key_share")
    shares: list[tuple[int, bytes]] = []
    groups: set[int] = set()
    while block.remaining():
        group = block.u16("group")
        key = block.vec16("key_exchange")
        if not key:
            raise DecodeError("empty key_exchange")
        if group in groups:
            raise IllegalParameter("key_share offers the same group twice")
        groups.add(group)
        shares.append((group, key))
    return shares


def encode_key_share_sh(group: int, key: bytes) -> bytes:
    return u16(group) + vec16(key)


def decode_key_share_sh(data: bytes) -> tuple[int, bytes]:
    r = Reader(data)
    group = r.u16("group")
    key = r.vec16("key_exchange")
    r.expect_end("key_share")
    if not key:
        raise DecodeError("empty key_exchange")
    return group, key


# --- ALPN (RFC 7301) ----------------------------------------------------------

def encode_alpn(protocols: list[bytes] | tuple[bytes, ...]) -> bytes:
    return vec16(b"".join(vec8(p) for p in protocols))


def decode_alpn(data: bytes) -> list[bytes]:
    r = Reader(data)
    block = r.sub16("protocol_name_list")
    r.expect_end("alpn")
    out: list[bytes] = []
    while block.remaining():
        name = block.vec8("protocol name")
        if not name:
            raise DecodeError("empty ALPN protocol name")
        out.append(name)
    if not out:
        raise DecodeError("empty ALPN list")
    return out


# --- psk_key_exchange_modes, pre_shared_key (RFC 8446 §4.2.9, §4.2.11) ---------

def decode_psk_modes(data: bytes) -> list[int]:
    return list(_sole_vector(data, 1, "psk_key_exchange_modes", "ke_modes", "empty psk_key_exchange_modes"))


def encode_pre_shared_key_ch(identities: list[tuple[bytes, int]], binders: list[bytes]) -> bytes:
    ids = vec16(b"".join(vec16(i) + age.to_bytes(4, "big") for i, age in identities))
    return ids + vec16(b"".join(vec8(b) for b in binders))


def binders_length(binders: list[bytes]) -> int:
    """Bytes the binders vector takes at the end of a ClientHello, length prefix included."""
    return 2 + sum(1 + len(b) for b in binders)


def decode_pre_shared_key_ch(data: bytes) -> tuple[list[tuple[bytes, int]], list[bytes]]:
    r = Reader(data)
    ids_r = r.sub16("identities")
    identities: list[tuple[bytes, int]] = []
    while ids_r.remaining():
        ident = ids_r.vec16("identity")
        if not ident:
            raise DecodeError("empty PSK identity")
        identities.append((ident, ids_r.u32("obfuscated_ticket_age")))
    b_r = r.sub16("binders")
    binders: list[bytes] = []
    while b_r.remaining():
        binder = b_r.vec8("binder")
        if len(binder) < 32:
            raise DecodeError("PSK binder too short")
        binders.append(binder)
    r.expect_end("pre_shared_key")
    if not identities or len(identities) != len(binders):
        raise IllegalParameter("pre_shared_key identities and binders do not pair up")
    return identities, binders


# --- cookie, record_size_limit, renegotiation_info ------------------------------

def encode_cookie(cookie: bytes) -> bytes:
    return vec16(cookie)


def decode_cookie(data: bytes) -> bytes:
    return _sole_vector(data, 2, "cookie", "cookie", "empty cookie")


def decode_record_size_limit(data: bytes) -> int:
    limit = decode_u16(data, "record_size_limit")
    if limit < 64:
        raise IllegalParameter("record_size_limit below 64")
    return limit


def decode_renegotiation_info(data: bytes) -> bytes:
    return _sole_vector(data, 1, "renegotiation_info", "renegotiated_connection")


def decode_ec_point_formats(data: bytes) -> bytes:
    return _sole_vector(data, 1, "ec_point_formats", "ec_point_format_list", "empty ec_point_formats")


def decode_certificate_status(data: bytes) -> bytes:
    """CertificateStatus (status_type ocsp, then the DER OCSPResponse): the response."""
    r = Reader(data)
    if r.u8("status_type") != 1:
        raise DecodeError("CertificateStatus is not an OCSP response")
    response = r.vec24("OCSPResponse")
    r.expect_end("CertificateStatus")
    if not response:
        raise DecodeError("empty OCSP response")
    return response


def decode_early_data_nst(data: bytes) -> int:
    r = Reader(data)
    size = r.u32("max_early_data_size")
    r.expect_end("early_data")
    return size
