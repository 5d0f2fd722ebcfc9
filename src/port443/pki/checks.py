"""The individual checks behind the diagnosis, one function per concern.

Each takes the chain's layout (or the leaf) and returns findings; none of them
decides trust, which is cryptography's verifier's job (verify.py).
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from port443.pki import hostname
from port443.pki.codes import Diagnosis, finding
from port443.pki.keys import is_self_signed, weak_key, weak_signature
from port443.pki.layout import ChainLayout

EXPIRY_WARNING_DAYS = 30
MAX_LEAF_VALIDITY_DAYS = 398  # CA/Browser Forum baseline requirements, since 2020-09-01


def display_name(cert: x509.Certificate) -> str:
    """The subject's common name, or the whole subject when it has none."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    return cert.subject.rfc4514_string() or "(empty subject)"


def _described(role: str, cert: x509.Certificate) -> str:
    noun = {"leaf": "The server's certificate", "intermediate": "The intermediate certificate",
            "root": "The root certificate"}[role]
    return f"{noun} {display_name(cert)!r}"


def _days(delta: dt.timedelta) -> str:
    """A positive span in whole days, as a site owner would say it."""
    if delta.days < 1:
        return "less than a day"
    return f"{delta.days} day" + ("" if delta.days == 1 else "s")


def validity(layout: ChainLayout, now: dt.datetime) -> list[Diagnosis]:
    """Expired, not yet valid, or expiring within 30 days: each certificate, with dates and days."""
    found = []
    for cert in layout.certificates():
        role, start, end = layout.role(cert), cert.not_valid_before_utc, cert.not_valid_after_utc
        who, name = _described(role, cert), display_name(cert)
        if now > end:
            found.append(finding(f"{role}-expired",
                                 f"{who} expired on {end:%Y-%m-%d %H:%M} UTC, {_days(now - end)} ago.", name))
        elif now < start:
            found.append(finding(f"{role}-not-yet-valid",
                                 f"{who} is valid only from {start:%Y-%m-%d %H:%M} UTC, in {_days(start - now)}.",
                                 name))
        elif end - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
            found.append(finding("expiring-soon",
                                 f"{who} expires on {end:%Y-%m-%d %H:%M} UTC, in {_days(end - now)}.", name))
    return found


def _ca_issuers_url(cert: x509.Certificate) -> str | None:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in aia:
        if description.access_method == AuthorityInformationAccessOID.CA_ISSUERS:
            return str(description.access_location.value)
    return None


def trust(layout: ChainLayout) -> list[Diagnosis]:
    """Self-signed, untrusted root, or missing intermediate: why the chain reaches no trusted root."""
    if layout.anchor is not None:
        return []
    top = layout.top
    if is_self_signed(top) and len(layout.path) == 1:
        return [finding("self-signed", f"The certificate {display_name(top)!r} is self-signed: "
                                       "it is its own issuer and no trust store contains it.", display_name(top))]
    if is_self_signed(top):
        return [finding("untrusted-root", f"The chain ends at the root {display_name(top)!r}, "
                                          "which is not in the trust store.", display_name(top))]
    issuer = top.issuer.rfc4514_string()
    if layout.issuer_named_in_store:
        return [finding("chain-invalid", f"{display_name(top)!r} names the trusted CA {issuer!r} as its issuer, "
                                         "but that CA's key did not sign it (forged, or issued by another CA of "
                                         "the same name).", display_name(top))]
    if len(layout.path) == 1:
        url = _ca_issuers_url(top)
        where = f"; the certificate says it can be downloaded from {url}" if url else ""
        return [finding("missing-intermediate",
                        f"The server sent only its own certificate; its issuer {issuer!r} was not sent and is not "
                        f"a trusted root{where}. (If {issuer!r} is your own private CA rather than an "
                        "intermediate, the clients must trust it instead.)", issuer)]
    return [finding("untrusted-root", f"The chain ends at {display_name(top)!r}, whose issuer {issuer!r} "
                                      "is not in the trust store.", issuer)]


def ordering(layout: ChainLayout) -> list[Diagnosis]:
    """Path certificates out of order; certificates that belong to no path."""
    found = []
    if not layout.in_order:
        order = " -> ".join(repr(display_name(c)) for c in layout.path)
        found.append(finding("chain-order", f"The certificates are not sent in chain order; the order should be "
                                            f"{order}."))
    if layout.extras:
        extra = ", ".join(repr(display_name(c)) for c in layout.extras)
        verb = "is" if len(layout.extras) == 1 else "are"
        found.append(finding("chain-extra", f"The server also sends {extra}, which {verb} not part of the chain "
                                            "(unrelated, or sent twice)."))
    return found


def names(leaf: x509.Certificate, server_name: str | None) -> list[Diagnosis]:
    """No SAN, public-suffix wildcards, IP SANs, and whether the host name is covered."""
    covered = hostname.covered_names(leaf)
    if not covered.has_san:
        cn = display_name(leaf)
        return [finding("no-san", f"The certificate has no subjectAltName extension, so it covers no host name "
                                  f"(browsers ignore its subject CN {cn!r}).", cn)]
    found = []
    bad_wildcards = [p for p in covered.dns if hostname.wildcard_over_public_suffix(p)]
    if bad_wildcards:
        found.append(finding("wildcard-public-suffix",
                             f"The wildcard {', '.join(bad_wildcards)} would cover every site under a public "
                             "suffix; browsers ignore it."))
    if server_name:
        match = hostname.match_host(covered, server_name)
        if not match.matched and not match.only_via_public_suffix_wildcard:
            listed = ", ".join(covered.all()) or "no names"
            found.append(finding("hostname-mismatch", f"The certificate does not cover {server_name}; it covers: "
                                                      f"{listed}."))
    if covered.ip:
        found.append(finding("ip-san", "The certificate covers the IP address"
                                       f"{'es' if len(covered.ip) > 1 else ''} "
                                       f"{', '.join(str(ip) for ip in covered.ip)}."))
    return found


def strength(layout: ChainLayout) -> list[Diagnosis]:
    """Weak keys anywhere in the chain; SHA-1/MD5 signatures except a root's self-signature."""
    found = []
    for cert in layout.certificates():
        who, name = _described(layout.role(cert), cert), display_name(cert)
        reason = weak_key(cert.public_key())
        if reason:
            found.append(finding("weak-key", f"{who} has {reason}.", name))
        digest = weak_signature(cert)
        if digest and not is_self_signed(cert):
            found.append(finding("weak-signature", f"{who} is signed with {digest.upper()}.", name))
    return found


def _extension(cert: x509.Certificate, kind: type):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def usage(layout: ChainLayout) -> list[Diagnosis]:
    """Extended key usage allowing TLS servers; key usage and the CA flag fitting each certificate's place."""
    found = []
    for cert in layout.certificates():
        role = layout.role(cert)
        who, name = _described(role, cert), display_name(cert)
        eku = _extension(cert, x509.ExtendedKeyUsage)
        if eku is not None and role != "root" and ExtendedKeyUsageOID.SERVER_AUTH not in eku \
                and (role == "leaf" or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku):
            allowed = ", ".join(getattr(u, "_name", u.dotted_string) for u in eku) or "nothing"
            found.append(finding("wrong-eku", f"{who} is for {allowed}, not for TLS servers (serverAuth).", name))
        problem = _key_usage_problem(cert, role)
        if problem:
            found.append(finding("wrong-key-usage", f"{who} {problem}.", name))
    return found


def _key_usage_problem(cert: x509.Certificate, role: str) -> str | None:
    basic = _extension(cert, x509.BasicConstraints)
    key_usage = _extension(cert, x509.KeyUsage)
    if role == "leaf":
        if basic is not None and basic.ca:
            return "is a CA certificate (basicConstraints CA:TRUE), not a server certificate"
        if key_usage is not None and not key_usage.digital_signature:
            return "may not make signatures (keyUsage lacks digitalSignature), which TLS needs"
        if key_usage is not None and key_usage.key_cert_sign:
            return "may sign certificates (keyUsage keyCertSign), which a server certificate must not"
        return None
    if basic is None or not basic.ca:
        return "is not a CA certificate (basicConstraints CA:FALSE or missing), yet it issued the next one"
    if key_usage is not None and not key_usage.key_cert_sign:
        return "may not sign certificates (keyUsage lacks keyCertSign), yet it issued the next one"
    return None


def lifetime(leaf: x509.Certificate) -> list[Diagnosis]:
    """A leaf valid for more than 398 days."""
    span = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    if span <= dt.timedelta(days=MAX_LEAF_VALIDITY_DAYS):
        return []
    return [finding("validity-too-long", f"The certificate is valid for {span.days} days "
                                         f"({leaf.not_valid_before_utc:%Y-%m-%d} to "
                                         f"{leaf.not_valid_after_utc:%Y-%m-%d}); browsers accept at most "
                                         f"{MAX_LEAF_VALIDITY_DAYS}.", display_name(leaf))]
