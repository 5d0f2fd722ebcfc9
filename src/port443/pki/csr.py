"""Certificate signing requests: what you send a CA to buy a certificate.

One name, several names, or a wildcard: every name goes into the
subjectAltName (which is what CAs and browsers use); the first is also the
subject's common name, with the organisation fields CAs ask for (OV/EV
certificates check them; DV certificates ignore them).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from port443.pki.issue import PrivateKey, san_entries, signature_hash


@dataclass(frozen=True)
class SubjectFields:
    """The subject fields a CA may ask for; empty ones are left out."""

    organization: str = ""
    organizational_unit: str = ""
    locality: str = ""
    state: str = ""
    country: str = ""  # two letters, ISO 3166 (e.g. "DE")
    email: str = ""

    def attributes(self) -> list[x509.NameAttribute]:
        pairs = [
            (NameOID.COUNTRY_NAME, self.country.upper()),
            (NameOID.STATE_OR_PROVINCE_NAME, self.state),
            (NameOID.LOCALITY_NAME, self.locality),
            (NameOID.ORGANIZATION_NAME, self.organization),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, self.organizational_unit),
            (NameOID.EMAIL_ADDRESS, self.email),
        ]
        return [x509.NameAttribute(oid, value) for oid, value in pairs if value]


class CsrError(ValueError):
    """The request cannot be made as asked; the message says what to change."""


def make_csr(names: list[str] | tuple[str, ...], key: PrivateKey,
             fields: SubjectFields | None = None) -> x509.CertificateSigningRequest:
    """A CSR for `names` (DNS names, wildcards, IP addresses), signed by `key`."""
    if not names:
        raise CsrError("a CSR needs at least one name; give the host name(s) to cover")
    fields = fields or SubjectFields()
    if fields.country and (len(fields.country) != 2 or not fields.country.isalpha()):
        raise CsrError(f"country {fields.country!r} must be a two-letter code such as US or DE")
    try:
        subject = x509.Name([*fields.attributes(), x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        builder = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(subject)
            .add_extension(x509.SubjectAlternativeName(san_entries(names)), critical=False)
        )
        return builder.sign(key, signature_hash(key))
    except ValueError as exc:  # e.g. a common name over 64 characters
        raise CsrError(f"cannot make the CSR: {exc}") from None
