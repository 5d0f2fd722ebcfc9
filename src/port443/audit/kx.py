"""What a TLS 1.2-and-below hello flight says about keys: the chain and the key exchange parameters.

A signed TLS 1.2 ServerKeyExchange is read with the engine's decoder; the other forms here, because
an audit meets forms the engine never speaks: TLS 1.0/1.1 signatures without a
scheme, export RSA parameters (RFC 2246 §7.4.3), anonymous DH with no signature.
Only the parameters are parsed; each read is bounds-checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from port443.audit.answers import Answer
from port443.tls.codec import Reader
from port443.tls.enums import HandshakeType as HT, NamedGroup, name_of
from port443.tls.errors import TLSError
from port443.tls.ffdhe import FFDHE_PRIMES
from port443.tls.messages12 import Certificate12, ServerKeyExchange

EXPLICIT_PRIME, EXPLICIT_CHAR2, NAMED_CURVE = 1, 2, 3
CURVE_BITS = {"x25519": 253, "x448": 448, "secp256r1": 256, "secp384r1": 384, "secp521r1": 521,
              "brainpoolP256r1": 256, "brainpoolP384r1": 384, "brainpoolP512r1": 512, "secp256k1": 256,
              "secp224r1": 224, "secp224k1": 224, "secp192r1": 192, "secp192k1": 192, "sect571r1": 571,
              "sect571k1": 571, "sect409r1": 409, "sect409k1": 409, "sect283r1": 283, "sect283k1": 283,
              "sect233r1": 233, "sect233k1": 233, "sect163k1": 163, "sect163r2": 163, "secp160r1": 160}


@dataclass(frozen=True)
class KeyExchangeParams:
    kind: str  # "ECDHE", "DHE", "RSA-export", "RSA" (key transport: the certificate's key)
    group: str | None = None  # named curve or ffdhe group
    bits: int = 0  # EC curve size, DH prime size, RSA modulus size
    dh_prime: int | None = None
    scheme: int | None = None  # the signature scheme of a TLS 1.2 ServerKeyExchange

    def label(self) -> str:
        if self.kind == "ECDHE":
            return f"ECDHE {self.group} ({self.bits} bits)"
        if self.kind == "DHE":
            return f"DHE {self.bits} bits" + (f" ({self.group})" if self.group else "")
        return f"{self.kind} {self.bits} bits"


@lru_cache(maxsize=256)
def load_der(der: bytes) -> x509.Certificate | None:
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.version  # noqa: B018 - an invalid version is only found when read
        return cert
    except (ValueError, x509.InvalidVersion):
        return None


def chain_of(answer: Answer) -> list[bytes]:
    body = answer.first(HT.certificate)
    if body is None:
        return []
    try:
        return Certificate12.decode(body).certificates
    except TLSError:
        return []


def key_description(cert: x509.Certificate | None) -> tuple[str, int]:
    """("RSA", 2048), ("ECDSA secp256r1", 256), ("Ed25519", 256), ..."""
    if cert is None:
        return ("unknown", 0)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return ("RSA", key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return (f"ECDSA {key.curve.name}", key.curve.key_size)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("Ed25519", 256)
    if isinstance(key, ed448.Ed448PublicKey):
        return ("Ed448", 456)
    if isinstance(key, dsa.DSAPublicKey):
        return ("DSA", key.key_size)
    return (type(key).__name__, 0)


def ffdhe_name(p: int) -> str | None:
    for group, prime in FFDHE_PRIMES.items():
        if prime == p:
            return name_of(NamedGroup, group)
    return None


def read_key_exchange(answer: Answer, kx_kind: str, tls12: bool) -> KeyExchangeParams | None:
    """The key exchange of the suite the ServerHello chose, from the flight's ServerKeyExchange and chain."""
    body = answer.first(HT.server_key_exchange)
    if kx_kind in ("RSA", "DH", "ECDH") and body is None:
        chain = chain_of(answer)
        _, bits = key_description(load_der(chain[0]) if chain else None)
        return KeyExchangeParams("RSA" if kx_kind == "RSA" else f"static {kx_kind}", bits=bits)
    if body is None:
        return None
    if tls12 and kx_kind in ("ECDHE", "DHE"):
        try:  # the engine's own decoder for the TLS 1.2 forms it speaks (a signed ServerKeyExchange)
            ske = ServerKeyExchange.decode(body, kx_kind)
        except TLSError:
            pass  # anonymous (no signature) or explicit curves: read the parameters below
        else:
            if kx_kind == "DHE":
                return KeyExchangeParams("DHE", ffdhe_name(ske.dh_p), ske.dh_p.bit_length(), ske.dh_p, ske.scheme)
            name = name_of(NamedGroup, ske.group)
            return KeyExchangeParams("ECDHE", name, CURVE_BITS.get(name, 0), scheme=ske.scheme)
    try:
        r = Reader(body)
        if kx_kind == "ECDHE":
            curve_type = r.u8("curve_type")
            if curve_type != NAMED_CURVE:
                return KeyExchangeParams("ECDHE", "explicit curve parameters", 0)
            group = r.u16("named_curve")
            r.vec8("public")
            name = name_of(NamedGroup, group)
            params = KeyExchangeParams("ECDHE", name, CURVE_BITS.get(name, 0))
        elif kx_kind == "DHE":
            p = int.from_bytes(r.vec16("dh_p"), "big")
            r.vec16("dh_g")
            r.vec16("dh_Ys")
            params = KeyExchangeParams("DHE", ffdhe_name(p), p.bit_length(), p)
        elif kx_kind == "RSA":  # export RSA: a temporary RSA key in the ServerKeyExchange
            modulus = int.from_bytes(r.vec16("rsa_modulus"), "big")
            r.vec16("rsa_exponent")
            params = KeyExchangeParams("RSA-export", bits=modulus.bit_length())
        else:
            return None
        scheme = r.u16("signature algorithm") if tls12 and r.remaining() >= 2 else None
        return KeyExchangeParams(params.kind, params.group, params.bits, params.dh_prime, scheme)
    except TLSError:
        return None
