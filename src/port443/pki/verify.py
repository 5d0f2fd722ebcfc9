"""Validate a server's certificate chain, as a browser would before the padlock.

Path building and every check come from `cryptography.x509.verification`;
this module only chooses the policy and turns the outcome into words and the
TLS alert the engine sends (RFC 8446 §6.2).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.verification import DNSName, IPAddress, PolicyBuilder, VerificationError

from port443.pki.hostname import wildcard_allowed_for
from port443.pki.keys import weak_key
from port443.pki.trust import TrustStore


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of validating a presented chain for a server name."""

    trusted: bool
    reason: str  # one sentence a site owner understands; "trusted" when it is
    alert: str | None  # TLS alert name to send when not trusted, e.g. "unknown_ca"
    presented: tuple[x509.Certificate, ...]
    verified_chain: tuple[x509.Certificate, ...] = ()  # leaf .. root, when trusted
    server_name: str | None = None
    store_name: str = ""
    checked_at: dt.datetime | None = field(default=None, compare=False)
    store: TrustStore | None = field(default=None, compare=False, repr=False)  # for the diagnosis

    @functools.cached_property
    def diagnoses(self) -> list:
        """Every finding about this chain (port443.pki.diagnose), computed on first use."""
        from port443.pki import diagnose

        return diagnose.diagnose_chain(self)


def subject_for(server_name: str) -> DNSName | IPAddress:
    """The verification subject: an IP address literal or a DNS name."""
    try:
        return IPAddress(ipaddress.ip_address(server_name.strip("[]")))
    except ValueError:
        return DNSName(server_name.rstrip(".").lower())


def _classify(message: str) -> tuple[str, str]:
    """Map cryptography's VerificationError text to (alert, plain reason).

    cryptography 44-48 word these as e.g. "cert is not valid at validation
    time", "leaf certificate has no matching subjectAltName", "required EKU
    not found", "Forbidden signature algorithm", "candidates exhausted: ...";
    when every candidate issuer failed, the reason is the inner one.
    """
    text = message.lower()
    if "not valid at validation time" in text or "expired" in text or "not yet valid" in text:
        return "certificate_expired", "a certificate in the chain is expired or not yet valid"
    if "subjectaltname" in text and "match" in text:
        return "bad_certificate", "the certificate does not cover this host name"
    if "no subjectaltname" in text:
        return "bad_certificate", "the certificate names no host (it has no subjectAltName)"
    if "eku" in text or "key usage" in text or "keyusage" in text:
        return "unsupported_certificate", "a certificate is not meant for a TLS server (its key usage)"
    if "forbidden signature algorithm" in text or "forbidden public key algorithm" in text:
        return "bad_certificate", "a certificate uses a weak or forbidden algorithm"
    if "candidates exhausted" in text or "issuer" in text or "unable to find" in text or "self-signed" in text:
        return "unknown_ca", "the chain does not lead to a trusted root"
    if "signature" in text:
        return "bad_certificate", "a certificate's signature does not verify"
    return "bad_certificate", "the certificate chain is not valid"


def _policy_problem(chain: list[x509.Certificate], server_name: str) -> str | None:
    """What browsers refuse that cryptography's profile lets through, in words.

    Weak keys (RSA under 2048 bits) and a host name covered only by a wildcard
    over a public suffix. Cheap: a key size per certificate, and the suffix
    list only when the leaf has a wildcard.
    """
    for cert in chain:
        reason = weak_key(cert.public_key())
        if reason:
            return f"a certificate in the chain has {reason}"
    if not wildcard_allowed_for(chain[0], server_name):
        return f"{server_name} is covered only by a wildcard over a public suffix, which no browser accepts"
    return None


def verify_server_chain(
    presented: list[x509.Certificate] | tuple[x509.Certificate, ...],
    server_name: str | None,
    store: TrustStore,
    now: dt.datetime,
) -> ChainVerification:
    """Validate `presented` (leaf first) for `server_name` against `store` at time `now`."""
    presented = tuple(presented)
    base = dict(presented=presented, server_name=server_name, store_name=store.name, checked_at=now, store=store)
    if not presented:
        return ChainVerification(False, "the server sent no certificate", "certificate_required", **base)
    if not server_name:
        return ChainVerification(
            False, "no server name to check the certificate against", "bad_certificate", **base
        )
    try:
        verifier = PolicyBuilder().store(store.store).time(now).build_server_verifier(subject_for(server_name))
        chain = verifier.verify(presented[0], list(presented[1:]))
    except VerificationError as exc:
        alert, reason = _classify(str(exc))
        detail = str(exc).split(" (encountered processing")[0].removeprefix("validation failed: ")
        return ChainVerification(False, f"{reason} ({detail})", alert, **base)
    except ValueError as exc:  # a name cryptography will not accept as a subject
        return ChainVerification(False, f"cannot check the name {server_name!r}: {exc}", "bad_certificate", **base)
    problem = _policy_problem(chain, server_name)
    if problem:
        return ChainVerification(False, problem, "bad_certificate", **base)
    return ChainVerification(True, "trusted", None, verified_chain=tuple(chain), **base)
