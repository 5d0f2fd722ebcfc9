"""TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3.3)."""

from __future__ import annotations

from dataclasses import dataclass

from port443.tls.codec import Reader, u16, u32, vec8, vec16, vec24
from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import DecodeError, IllegalParameter
from port443.tls.messages import frame

NAMED_CURVE = 3  # ECCurveType.named_curve


@dataclass
class Certificate12:
    certificates: list[bytes]  # DER, leaf first

    def encode(self) -> bytes:
        return frame(HT.certificate, vec24(b"".join(vec24(c) for c in self.certificates)))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "Certificate12":
        r = Reader(body)
        lst = r.sub24("certificate_list")
        r.expect_end("Certificate")
        certs = []
        while lst.remaining():
            der = lst.vec24("ASN.1Cert")
            if not der:
                raise DecodeError("empty certificate")
            certs.append(der)
        return cls(certs)


@dataclass
class ServerKeyExchange:
    """ECDHE or DHE parameters and the server's signature over them."""

    kind: str  # "ECDHE" or "DHE"
    params: bytes  # the ServerECDHParams / ServerDHParams bytes, as signed
    group: int | None = None  # ECDHE named curve
    public: bytes = b""  # ECDHE point, or DHE Ys
    dh_p: int = 0
    dh_g: int = 0
    scheme: int | None = None
    signature: bytes = b""

    @staticmethod
    def ecdhe_params(group: int, public: bytes) -> bytes:
        return bytes((NAMED_CURVE,)) + u16(group) + vec8(public)

    def encode(self) -> bytes:
        return frame(HT.server_key_exchange, self.params + u16(self.scheme) + vec16(self.signature))

    @classmethod
    def decode(cls, body: bytes | memoryview, kind: str) -> "ServerKeyExchange":
        r = Reader(body)
        start = r.pos
        if kind == "ECDHE":
            if r.u8("curve_type") != NAMED_CURVE:
                raise IllegalParameter("ServerKeyExchange uses explicit curve parameters")
            group = r.u16("named_curve")
            public = r.vec8("public")
            if not public:
                raise DecodeError("empty ECDH public value")
            msg = cls("ECDHE", b"", group, public)
        elif kind == "DHE":
            p = r.vec16("dh_p")
            g = r.vec16("dh_g")
            ys = r.vec16("dh_Ys")
            if not p or not g or not ys:
                raise DecodeError("empty DH parameter")
            msg = cls("DHE", b"", None, ys, int.from_bytes(p, "big"), int.from_bytes(g, "big"))
        else:
            raise DecodeError(f"no ServerKeyExchange for {kind} key exchange")
        msg.params = bytes(r.data[start:r.pos])
        msg.scheme = r.u16("signature algorithm")
        msg.signature = r.vec16("signature")
        r.expect_end("ServerKeyExchange")
        if not msg.signature:
            raise DecodeError("empty ServerKeyExchange signature")
        return msg


@dataclass
class CertificateRequest12:
    certificate_types: bytes
    signature_algorithms: list[int]
    authorities: bytes

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "CertificateRequest12":
        r = Reader(body)
        types = r.vec8("certificate_types")
        schemes = r.u16_list("supported_signature_algorithms")
        authorities = r.vec16("certificate_authorities")
        r.expect_end("CertificateRequest")
        return cls(types, schemes, authorities)


def server_hello_done() -> bytes:
    return frame(HT.server_hello_done, b"")


def decode_server_hello_done(body: bytes | memoryview) -> None:
    if len(body):
        raise DecodeError("ServerHelloDone must be empty")


def client_key_exchange(kind: str, value: bytes) -> bytes:
    """ECDHE: the client's point (vec8); DHE: Yc (vec16); RSA: the encrypted premaster secret (vec16)."""
    return frame(HT.client_key_exchange, vec8(value) if kind == "ECDHE" else vec16(value))


def decode_client_key_exchange(body: bytes | memoryview, kind: str) -> bytes:
    r = Reader(body)
    value = r.vec8("ecdh_Yc") if kind == "ECDHE" else r.vec16("exchange_keys")
    r.expect_end("ClientKeyExchange")
    if not value:
        raise DecodeError("empty ClientKeyExchange")
    return value


@dataclass
class NewSessionTicket12:
    lifetime_hint: int
    ticket: bytes

    def encode(self) -> bytes:
        return frame(HT.new_session_ticket, u32(self.lifetime_hint) + vec16(self.ticket))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> "NewSessionTicket12":
        r = Reader(body)
        hint = r.u32("ticket_lifetime_hint")
        ticket = r.vec16("ticket")
        r.expect_end("NewSessionTicket")
        return cls(hint, ticket)
