"""Public keys and signatures in words, and which of them are too weak.

Browsers and the CA/Browser Forum refuse RSA keys under 2048 bits, elliptic
curves under 256 bits, and SHA-1 or MD5 signatures on anything but a root's
self-signature.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = ("sha1", "md5")


def describe_key(public_key: object) -> str:
    """E.g. "RSA 2048", "ECDSA P-256", "Ed25519"."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
        return f"ECDSA {curve.get(public_key.curve.name, public_key.curve.name)}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(public_key, dsa.DSAPublicKey):
        return f"DSA {public_key.key_size}"
    return type(public_key).__name__


def weak_key(public_key: object) -> str | None:
    """Why this key is too weak for a certificate, or None when it is fine."""
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < MIN_RSA_BITS:
        return f"an RSA key of {public_key.key_size} bits (at least {MIN_RSA_BITS} needed)"
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.key_size < MIN_EC_BITS:
        return f"an elliptic-curve key of {public_key.curve.key_size} bits (at least {MIN_EC_BITS} needed)"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "a DSA key (no browser accepts DSA certificates)"
    return None


def signature_hash_name(cert: x509.Certificate) -> str | None:
    """The hash under the certificate's signature ("sha256"), None for EdDSA or unknown."""
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know: unsupported, not ours to name
        return None
    return algorithm.name if isinstance(algorithm, hashes.HashAlgorithm) else None


def signature_name(cert: x509.Certificate) -> str:
    """E.g. "ecdsa-with-SHA256", "sha256WithRSAEncryption", "ed25519"."""
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def weak_signature(cert: x509.Certificate) -> str | None:
    """The weak hash name when the certificate is signed with SHA-1 or MD5."""
    name = signature_hash_name(cert)
    return name if name in WEAK_HASHES else None


def is_self_signed(cert: x509.Certificate) -> bool:
    """Subject equals issuer and the certificate's own key verifies its signature."""
    return cert.subject == cert.issuer and signed_by(cert, cert)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Does `issuer` name and sign `cert`? (cryptography checks the signature.)

    For signatures cryptography refuses to check (SHA-1, MD5), this falls back
    to names and key identifiers: good enough to place a certificate in the
    chain for a diagnosis, never used to decide trust.
    """
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except ValueError:  # unsupported algorithm: match key identifiers instead
        return _key_ids_match(cert, issuer)
    except Exception:  # InvalidSignature, or a key type that cannot sign
        return False


def _key_ids_match(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return True  # same names and nothing to tell them apart
    return aki == ski
