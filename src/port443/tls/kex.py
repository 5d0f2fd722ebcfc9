"""Key exchange groups for TLS 1.3 key_share and TLS 1.2 ECDHE/DHE.

A client makes a ClientShare per offered group and later finishes it with the
server's share; a server answers a client share with `server_exchange`, which
for Diffie-Hellman groups generates its own key and for the hybrid
X25519MLKEM768 group encapsulates (draft-ietf-tls-ecdhe-mlkem). All arithmetic
is `cryptography`'s.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Callable

from cryptography.utils import CryptographyDeprecationWarning
from cryptography.hazmat.primitives.asymmetric import dh, ec, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from port443.tls.enums import NamedGroup as G
from port443.tls.errors import IllegalParameter
from port443.tls.ffdhe import FFDHE_GENERATOR, FFDHE_PRIMES, prime_length

try:
    from cryptography.hazmat.primitives.asymmetric import mlkem
except ImportError:  # older cryptography without ML-KEM
    mlkem = None

_CURVES = {G.secp256r1: ec.SECP256R1, G.secp384r1: ec.SECP384R1, G.secp521r1: ec.SECP521R1}
_POINT_LEN = {G.secp256r1: 65, G.secp384r1: 97, G.secp521r1: 133}

SUPPORTED_GROUPS: tuple[G, ...] = (G.x25519, G.secp256r1, G.secp384r1, G.secp521r1, G.x448) + (
    (G.X25519MLKEM768,) if mlkem is not None else ()
) + tuple(G(g) for g in FFDHE_PRIMES)

_DH_PARAMS: dict[int, object] = {}


@contextlib.contextmanager
def _ffdh():
    """cryptography deprecates finite-field DH; TLS still needs it (RFC 7919 groups, DHE
    servers), so its warning is silenced around our uses, and only there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        yield


def dh_parameters(p: int, g: int):
    """Finite-field DH parameters (cached for the RFC 7919 groups)."""
    if p in _DH_PARAMS:
        return _DH_PARAMS[p]
    with _ffdh():
        params = dh.DHParameterNumbers(p, g).parameters()
    if len(_DH_PARAMS) < 16:
        _DH_PARAMS[p] = params
    return params


def dh_generate(p: int, g: int):
    params = dh_parameters(p, g)
    with _ffdh():
        return params.generate_private_key()


def dh_public_bytes(key, length: int) -> bytes:
    with _ffdh():
        return key.public_key().public_numbers().y.to_bytes(length, "big")


def dh_exchange(key, peer: bytes, pad_to: int | None) -> bytes:
    """Z = peer^x mod p; TLS 1.3 left-pads it to the prime's length (RFC 8446 §7.4.1),
    TLS 1.2 strips leading zeros (RFC 5246 §8.1.2): pad_to=None."""
    y = int.from_bytes(peer, "big")
    try:
        with _ffdh():
            numbers = key.parameters().parameter_numbers()
            if not 1 < y < numbers.p - 1:
                raise IllegalParameter("Diffie-Hellman public value out of range")
            shared = key.exchange(dh.DHPublicNumbers(y, numbers).public_key())
    except ValueError as exc:
        raise IllegalParameter(f"invalid Diffie-Hellman public value: {exc}") from None
    shared = shared.lstrip(b"\x00")
    return shared.rjust(pad_to, b"\x00") if pad_to else shared
DEFAULT_GROUPS: tuple[G, ...] = (G.x25519, G.secp256r1, G.secp384r1) + (
    (G.X25519MLKEM768,) if mlkem is not None else ()
) + (G.x448,)

PrivateKeyFactory = Callable[[int], object]


def generate_private_key(group: int):
    """A fresh private key for `group` (for X25519MLKEM768: an (ML-KEM, X25519) pair)."""
    if group == G.x25519:
        return x25519.X25519PrivateKey.generate()
    if group == G.x448:
        return x448.X448PrivateKey.generate()
    if group in _CURVES:
        return ec.generate_private_key(_CURVES[group]())
    if group == G.X25519MLKEM768 and mlkem is not None:
        return (mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())
    if group in FFDHE_PRIMES:
        return dh_generate(FFDHE_PRIMES[group], FFDHE_GENERATOR)
    raise ValueError(f"no key exchange for group {group}")


def _public_bytes(key) -> bytes:
    if isinstance(key, tuple):
        kem, xk = key
        return kem.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if hasattr(key, "parameters"):  # finite-field DH
        return dh_public_bytes(key, (key.key_size + 7) // 8)
    return key.public_key().public_bytes_raw()


def _dh(group: int, key, peer: bytes) -> bytes:
    """Diffie-Hellman of our private key with the peer's encoded public key."""
    try:
        if group == G.x25519:
            if len(peer) != 32:
                raise ValueError("x25519 share must be 32 bytes")
            return key.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        if group == G.x448:
            if len(peer) != 56:
                raise ValueError("x448 share must be 56 bytes")
            return key.exchange(x448.X448PublicKey.from_public_bytes(peer))
        if group in _CURVES:
            if len(peer) != _POINT_LEN[group] or peer[0] != 4:
                raise ValueError("EC share must be an uncompressed point")
            pub = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[group](), peer)
            return key.exchange(ec.ECDH(), pub)
        if group in FFDHE_PRIMES:
            length = prime_length(group)
            if len(peer) != length:
                raise ValueError(f"ffdhe share must be {length} bytes")
            return dh_exchange(key, peer, length)
    except ValueError as exc:
        raise IllegalParameter(f"invalid {G(group).name} key share: {exc}") from None
    raise IllegalParameter(f"unsupported group {group}")


class ClientShare:
    """The client's half of one group's exchange."""

    __slots__ = ("group", "private_key", "public")

    def __init__(self, group: int, private_key) -> None:
        self.group = group
        self.private_key = private_key
        self.public = _public_bytes(private_key)

    def finish(self, server_share: bytes) -> bytes:
        """The shared secret, given the server's key_exchange value."""
        if self.group == G.X25519MLKEM768:
            kem, xk = self.private_key
            if len(server_share) != 1088 + 32:
                raise IllegalParameter("X25519MLKEM768 server share must be 1120 bytes")
            try:
                kem_secret = kem.decapsulate(server_share[:1088])
            except ValueError as exc:
                raise IllegalParameter(f"invalid ML-KEM ciphertext: {exc}") from None
            return kem_secret + _dh(G.x25519, xk, server_share[1088:])
        return _dh(self.group, self.private_key, server_share)


def server_exchange(group: int, client_public: bytes, factory: PrivateKeyFactory | None = None) -> tuple[bytes, bytes]:
    """The server's key_exchange value and the shared secret for a client share."""
    if group == G.X25519MLKEM768:
        if mlkem is None:
            raise IllegalParameter("ML-KEM is not available")
        if len(client_public) != 1184 + 32:
            raise IllegalParameter("X25519MLKEM768 client share must be 1216 bytes")
        try:
            encaps_key = mlkem.MLKEM768PublicKey.from_public_bytes(client_public[:1184])
            kem_secret, ciphertext = encaps_key.encapsulate()
        except ValueError as exc:
            raise IllegalParameter(f"invalid ML-KEM encapsulation key: {exc}") from None
        xk = (factory or generate_private_key)(G.x25519)
        if isinstance(xk, tuple):
            xk = xk[1]
        secret = kem_secret + _dh(G.x25519, xk, client_public[1184:])
        return ciphertext + xk.public_key().public_bytes_raw(), secret
    key = (factory or generate_private_key)(group)
    secret = _dh(group, key, client_public)
    return _public_bytes(key), secret


# How the events name the key exchange (the guide's words for TLS 1.2's kinds).
KX_KIND = {"ECDHE": "ECDHE share", "DHE": "DHE share", "RSA": "RSA-encrypted premaster secret"}


def is_ffdhe(group: int | None) -> bool:
    return group in FFDHE_PRIMES


def is_tls12_curve(group: int) -> bool:
    """A group TLS 1.2 ECDHE can use: ours, not finite-field, not hybrid (that is TLS 1.3 only)."""
    return group in SUPPORTED_GROUPS and not is_ffdhe(group) and group != G.X25519MLKEM768


def kx_kind(group: int | None) -> str:
    """The kind of a TLS 1.3 key_share exchange, by its group."""
    if group == G.X25519MLKEM768:
        return "hybrid X25519MLKEM768 share"
    return "DHE share" if is_ffdhe(group) else "ECDHE share"
