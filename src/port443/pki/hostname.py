"""Which names a certificate covers, and whether it covers a given host.

RFC 6125 §6.4 rules, as browsers apply them: DNS names compare without case
and without a trailing dot; a wildcard is the whole leftmost label (`*.example.com`)
and stands for exactly one label, so it covers neither `example.com` nor
`a.b.example.com`; and a wildcard is never allowed directly over a public
suffix (`*.com`, `*.co.uk`), as the Public Suffix List's ICANN section says.
IP addresses match only IP address entries, by value.

This is name matching, not cryptography: path validation stays with
`cryptography.x509.verification`, which also checks names; this module exists
to explain a mismatch and to refuse public-suffix wildcards, which it does not.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from cryptography import x509


@dataclass(frozen=True)
class CoveredNames:
    """The subjectAltName entries of a certificate, split by kind."""

    dns: tuple[str, ...]
    ip: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]
    has_san: bool

    def all(self) -> list[str]:
        return list(self.dns) + [str(ip) for ip in self.ip]


def covered_names(cert: x509.Certificate) -> CoveredNames:
    """The DNS names and IP addresses in the certificate's subjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return CoveredNames((), (), False)
    return CoveredNames(
        tuple(san.get_values_for_type(x509.DNSName)),
        tuple(san.get_values_for_type(x509.IPAddress)),
        True,
    )


@functools.cache
def _suffix_list():
    from publicsuffixlist import PublicSuffixList

    # ICANN section only, with the default "*" rule: a name under an unknown
    # top-level label counts as a suffix too, as browsers treat it.
    return PublicSuffixList(only_icann=True)


def is_public_suffix(domain: str) -> bool:
    """True when `domain` (e.g. "com", "co.uk") is a public suffix."""
    return bool(_suffix_list().is_public(domain.rstrip(".").lower()))


def _normal(name: str) -> str:
    return name.rstrip(".").lower()


def is_wildcard(pattern: str) -> bool:
    return pattern.startswith("*.")


def wildcard_over_public_suffix(pattern: str) -> bool:
    """True for a wildcard such as `*.com` that would cover a whole public suffix."""
    return is_wildcard(pattern) and is_public_suffix(_normal(pattern)[2:])


def dns_pattern_matches(pattern: str, host: str) -> bool:
    """Does one DNS SAN entry cover `host`? Wildcards per RFC 6125, PSL ignored."""
    pattern, host = _normal(pattern), _normal(host)
    if not pattern or not host:
        return False
    if not is_wildcard(pattern):
        return "*" not in pattern and pattern == host
    base = pattern[2:]
    if "*" in base:
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == base


def _as_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class NameMatch:
    """How a host name fares against a certificate's names."""

    matched: bool  # covered by an entry that is allowed
    only_via_public_suffix_wildcard: bool  # covered, but only by a wildcard like *.com


def match_host(names: CoveredNames, host: str) -> NameMatch:
    """Whether `names` cover `host` (a DNS name or an IP address literal)."""
    ip = _as_ip(host)
    if ip is not None:
        return NameMatch(ip in names.ip, False)
    hits = [p for p in names.dns if dns_pattern_matches(p, host)]
    allowed = [p for p in hits if not wildcard_over_public_suffix(p)]
    return NameMatch(bool(allowed), bool(hits) and not allowed)


def wildcard_allowed_for(cert: x509.Certificate, host: str) -> bool:
    """False when `host` is covered only by a wildcard over a public suffix.

    Cheap when the leaf has no wildcard: the verify fast path calls it after
    cryptography has accepted the chain, which does not know the suffix list.
    """
    if b"*." not in cert.tbs_certificate_bytes:
        return True  # no wildcard anywhere in the certificate: skip parsing the extensions
    names = covered_names(cert)
    if not any(is_wildcard(p) for p in names.dns):
        return True  # nothing for us to add to cryptography's own check
    return match_host(names, host).matched


def check_requested_name(name: str) -> str:
    """A name someone asks a certificate for, normalised; ValueError says what is wrong."""
    if _as_ip(name) is not None:
        return str(_as_ip(name))
    text = _normal(name)
    if not text.isascii():
        raise ValueError(f"{name!r}: write international names in their xn-- (punycode) form")
    labels = text.split(".")
    for i, label in enumerate(labels):
        if label == "*" and i == 0 and len(labels) > 1:
            continue
        if not label or len(label) > 63 or label.startswith("-") or label.endswith("-") \
                or not all(c.isalnum() or c == "-" for c in label):
            raise ValueError(f"{name!r} is not a host name (letters, digits and hyphens between dots; "
                             "a wildcard only as the whole first label, like *.example.com)")
    if wildcard_over_public_suffix(text):
        raise ValueError(f"{name!r}: a wildcard over a public suffix is refused by browsers; "
                         "use one label below it, like *.example.com")
    return text
