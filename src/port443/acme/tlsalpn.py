"""RFC 8737: the tls-alpn-01 challenge.

The CA connects to the domain on port 443 offering only the ALPN protocol
`acme-tls/1`, with the domain as SNI. We must answer with a self-signed
validation certificate whose only subjectAltName is that domain and which
carries the critical id-pe-acmeIdentifier extension holding the SHA-256 of
the key authorization. The engine serves it through
`ServerConfig.alpn_certificates`, so no ordinary client ever sees it.

The `acme` library no longer knows this challenge type, so it is registered
here as a key-authorization challenge like http-01.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import josepy as jose
from acme import challenges
from cryptography import x509
from cryptography.x509.oid import NameOID

from port443.pki.issue import generate_key, signature_hash
from port443.tls.config import CertifiedKey

ALPN_PROTOCOL = "acme-tls/1"
ACME_IDENTIFIER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")  # id-pe-acmeIdentifier
TYPE = "tls-alpn-01"


def _register() -> tuple[type, type]:
    if TYPE in challenges.Challenge.TYPES:  # an acme release that knows it again
        return challenges.Challenge.TYPES[TYPE], challenges.ChallengeResponse.TYPES[TYPE]

    @challenges.ChallengeResponse.register
    class TLSALPN01Response(challenges.KeyAuthorizationChallengeResponse):
        typ = TYPE

    @challenges.Challenge.register
    class TLSALPN01(challenges.KeyAuthorizationChallenge):
        response_cls = TLSALPN01Response
        typ = TYPE

        def validation(self, account_key: jose.JWK, **unused: Any) -> str:
            return self.key_authorization(account_key)

    return TLSALPN01, TLSALPN01Response


TLSALPN01, TLSALPN01Response = _register()


def acme_identifier_value(key_authorization: str) -> bytes:
    """The extension's DER value: OCTET STRING (SIZE (32)) of SHA-256(key authorization)."""
    digest = hashlib.sha256(key_authorization.encode("ascii")).digest()
    return b"\x04\x20" + digest


def validation_certificate(domain: str, key_authorization: str) -> CertifiedKey:
    """The self-signed acme-tls/1 certificate for `domain` (a fresh P-256 key, valid a week)."""
    key = generate_key("ecdsa-p256")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(x509.UnrecognizedExtension(ACME_IDENTIFIER_OID, acme_identifier_value(key_authorization)),
                       critical=True)
        .sign(key, signature_hash(key))
    )
    return CertifiedKey.load([cert], key)
