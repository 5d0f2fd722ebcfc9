"""Issue certificates: a CA and leaves signed by it, built with `cryptography`.

Used by the local CA (`port443 cert`), by `port443 demo` (a throwaway CA in
memory) and by the tests' fixture factories.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

KEY_TYPES = ("ecdsa-p256", "ecdsa-p384", "rsa2048", "rsa3072", "rsa4096", "ed25519")


def generate_key(key_type: str = "ecdsa-p256") -> PrivateKey:
    """A fresh private key of one of KEY_TYPES."""
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type.startswith("rsa") and key_type[3:].isdigit():
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}; choose one of {', '.join(KEY_TYPES)}")


def signature_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    """The hash a CA with this key signs with (None for Ed25519, which has its own)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def san_entries(names: list[str] | tuple[str, ...]) -> list[x509.GeneralName]:
    """DNS names and IP addresses as subjectAltName entries."""
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey, not_before: dt.datetime,
             days: int) -> x509.CertificateBuilder:
    """The fields every certificate we issue has: names, public key, a random serial, validity."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
    )


def _key_usage(*, signs_certificates: bool, key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=key_encipherment,
        data_encipherment=False, key_agreement=False, key_cert_sign=signs_certificates, crl_sign=signs_certificates,
        encipher_only=False, decipher_only=False,
    )


@dataclass(frozen=True)
class Issued:
    """A certificate, the chain to send with it (leaf first, no root), and its key."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key: PrivateKey


def make_ca(
    common_name: str = "port443 local CA",
    *,
    key: PrivateKey | None = None,
    not_before: dt.datetime | None = None,
    days: int = 3650,
    issuer: Issued | None = None,
    path_length: int | None = None,
) -> Issued:
    """A CA certificate: self-signed when issuer is None, else an intermediate."""
    key = key or generate_key("ecdsa-p256")
    now = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "port443"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    signer_key = issuer.key if issuer else key
    builder = (
        _builder(name, issuer.certificate.subject if issuer else name, key, now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(signs_certificates=True, key_encipherment=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    cert = builder.sign(signer_key, signature_hash(signer_key))
    # An intermediate's chain is itself, then its issuer's chain without the self-signed root.
    chain = (cert,) + (tuple(c for c in issuer.chain if c.issuer != c.subject) if issuer else ())
    return Issued(cert, chain, key)


def issue_leaf(
    ca: Issued | None,
    names: list[str] | tuple[str, ...],
    *,
    key: PrivateKey | None = None,
    key_type: str = "ecdsa-p256",
    not_before: dt.datetime | None = None,
    days: int = 397,
    server: bool = True,
    client: bool = False,
    common_name: str | None = None,
    with_san: bool = True,
    ca_issuers_url: str | None = None,
) -> Issued:
    """A leaf certificate for DNS names and IP addresses, signed by `ca`.

    With `ca=None` the leaf signs itself: a self-signed certificate, which no
    client trusts (a fixture, or a last resort for a test server).

    The keyword arguments past `client` exist for the tests' fixture factory
    (odd certificates on purpose): a subject CN other than the first name, no
    subjectAltName at all, and an AIA caIssuers URL.
    """
    if not names:
        raise ValueError("a leaf certificate needs at least one name")
    key = key or generate_key(key_type)
    now = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name or names[0])])
    signer_key = ca.key if ca else key
    builder = _builder(subject, ca.certificate.subject if ca else subject, key, now, days)
    if with_san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san_entries(names)), critical=False)
    if ca_issuers_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(ca_issuers_url)),
            ]),
            critical=False,
        )
    cert = (
        builder
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False, key_encipherment=is_rsa), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
        .sign(signer_key, signature_hash(signer_key))
    )
    chain = (cert,) + (tuple(c for c in ca.chain if c.issuer != c.subject) if ca else ())
    return Issued(cert, chain, key)
