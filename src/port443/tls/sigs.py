"""Signature schemes: which ones a key can make, signing, and verifying.

RFC 8446 §4.2.3 names the schemes; every signature is made and checked by
`cryptography`.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from port443.tls.enums import SignatureScheme as SS

_ECDSA = {
    SS.ecdsa_secp256r1_sha256: (hashes.SHA256, "secp256r1"),
    SS.ecdsa_secp384r1_sha384: (hashes.SHA384, "secp384r1"),
    SS.ecdsa_secp521r1_sha512: (hashes.SHA512, "secp521r1"),
    SS.ecdsa_sha1: (hashes.SHA1, None),
}
_PSS = {
    SS.rsa_pss_rsae_sha256: hashes.SHA256, SS.rsa_pss_rsae_sha384: hashes.SHA384,
    SS.rsa_pss_rsae_sha512: hashes.SHA512, SS.rsa_pss_pss_sha256: hashes.SHA256,
    SS.rsa_pss_pss_sha384: hashes.SHA384, SS.rsa_pss_pss_sha512: hashes.SHA512,
}
_PKCS1 = {
    SS.rsa_pkcs1_sha1: hashes.SHA1, SS.rsa_pkcs1_sha256: hashes.SHA256,
    SS.rsa_pkcs1_sha384: hashes.SHA384, SS.rsa_pkcs1_sha512: hashes.SHA512,
}

# Schemes allowed in a TLS 1.3 CertificateVerify (RFC 8446 §4.4.3: no PKCS#1 v1.5, no SHA-1).
TLS13_SCHEMES = frozenset(
    {SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384, SS.ecdsa_secp521r1_sha512, SS.ed25519,
     SS.ed448} | set(_PSS)
)

DEFAULT_SIGNATURE_ALGORITHMS: tuple[SS, ...] = (
    SS.ecdsa_secp256r1_sha256, SS.rsa_pss_rsae_sha256, SS.rsa_pkcs1_sha256,
    SS.ecdsa_secp384r1_sha384, SS.rsa_pss_rsae_sha384, SS.rsa_pkcs1_sha384,
    SS.rsa_pss_rsae_sha512, SS.rsa_pkcs1_sha512, SS.ed25519, SS.ed448,
    SS.ecdsa_secp521r1_sha512, SS.rsa_pss_pss_sha256, SS.rsa_pss_pss_sha384, SS.rsa_pss_pss_sha512,
)

SUPPORTED_SCHEMES = frozenset(_ECDSA) | frozenset(_PSS) | frozenset(_PKCS1) | {SS.ed25519, SS.ed448}


def _curve_name(key) -> str:
    return key.curve.name


def key_schemes(key, tls13: bool) -> list[SS]:
    """Schemes this private (or public) key can sign (or verify) with, best first."""
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        curve = _curve_name(key)
        out = [s for s, (_, c) in _ECDSA.items() if c == curve]
        if tls13:
            return out
        # TLS 1.2's ECDSA schemes name only the hash: any curve goes (RFC 8446 §4.2.3); ours first.
        return out + [s for s, (_, c) in _ECDSA.items() if c is not None and c != curve] + [SS.ecdsa_sha1]
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return [SS.ed25519]
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return [SS.ed448]
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        pss = [SS.rsa_pss_rsae_sha256, SS.rsa_pss_rsae_sha384, SS.rsa_pss_rsae_sha512]
        if tls13:
            return pss
        return pss + [SS.rsa_pkcs1_sha256, SS.rsa_pkcs1_sha384, SS.rsa_pkcs1_sha512, SS.rsa_pkcs1_sha1]
    return []


def choose_scheme(key, offered: list[int] | tuple[int, ...], tls13: bool) -> SS | None:
    """Our best scheme for `key` among the peer's offer (our order: the key's best first)."""
    offered_set = set(offered)
    for scheme in key_schemes(key, tls13):
        if scheme in offered_set:
            return scheme
    return None


def _algorithm_args(scheme: int) -> tuple | None:
    """What cryptography's sign()/verify() take after the data for `scheme` (None: not a scheme we know)."""
    if scheme in _ECDSA:
        return (ec.ECDSA(_ECDSA[scheme][0]()),)
    if scheme in (SS.ed25519, SS.ed448):
        return ()
    if scheme in _PSS:
        h = _PSS[scheme]
        return padding.PSS(padding.MGF1(h()), h.digest_size), h()
    if scheme in _PKCS1:
        return padding.PKCS1v15(), _PKCS1[scheme]()
    return None


def sign(key, scheme: int, data: bytes) -> bytes:
    args = _algorithm_args(scheme)
    if args is None:
        raise ValueError(f"cannot sign with scheme {scheme:#06x}")
    return key.sign(data, *args)


def verify(public_key, scheme: int, signature: bytes, data: bytes) -> bool:
    """True when `signature` over `data` verifies under `public_key` with `scheme`."""
    if scheme not in key_schemes(public_key, tls13=False) and scheme not in _PSS:
        return False
    if scheme in _PSS and not isinstance(public_key, rsa.RSAPublicKey):
        return False
    args = _algorithm_args(scheme)
    if args is None:
        return False
    try:
        public_key.verify(signature, data, *args)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
