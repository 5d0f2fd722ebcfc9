"""A certificate as plain data: what `port443 cert inspect` shows (and --json prints)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from port443.pki.hostname import covered_names
from port443.pki.keys import describe_key, is_self_signed, signature_name


def describe_certificate(cert: x509.Certificate, now: dt.datetime) -> dict[str, Any]:
    """Subject, issuer, validity, names, key, signature and fingerprints, JSON-ready."""
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": start.isoformat(),
        "not_after": end.isoformat(),
        "days_left": (end - now).days,
        "names": covered_names(cert).all(),
        "key": describe_key(cert.public_key()),
        "signature": signature_name(cert),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        "sha1": cert.fingerprint(hashes.SHA1()).hex(":").upper(),
        "ca": is_ca,
        "self_signed": is_self_signed(cert),
    }


def default_name(cert: x509.Certificate) -> str | None:
    """A name the certificate itself claims, to validate a file when no host name is given."""
    names = covered_names(cert)
    for dns in names.dns:
        return "www" + dns[1:] if dns.startswith("*.") else dns
    if names.ip:
        return str(names.ip[0])
    return None
