"""Mozilla's Server Side TLS profiles (modern, intermediate, old), version 5.7.

Source: https://ssl-config.mozilla.org/guidelines/5.7.json (the configuration
generator's guidelines; https://wiki.mozilla.org/Security/Server_Side_TLS). A
server meets a profile when every protocol, suite and group it accepts is one the
profile lists, its certificates have a listed key type, curve and signature, its
RSA and DH keys are at least the profile's sizes, and its certificates live no
longer than the profile's maximum. Each deviation is listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

VERSION = "5.7"
SOURCE = "https://ssl-config.mozilla.org/guidelines/5.7.json"

_TLS13 = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
_INTERMEDIATE = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
)
_OLD = _INTERMEDIATE + (
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
)
_CURVES = ("x25519", "secp256r1", "secp384r1")  # the guideline's X25519, prime256v1, secp384r1


@dataclass(frozen=True)
class Profile:
    name: str
    versions: tuple[str, ...]
    suites: tuple[str, ...]
    groups: tuple[str, ...]
    cert_types: tuple[str, ...]  # "ECDSA", "RSA"
    cert_curves: tuple[str, ...]
    cert_signatures: tuple[str, ...]  # hash names with the key type: ("sha256", "RSA")
    rsa_key_size: int | None
    dh_param_size: int | None
    max_cert_days: int
    hsts_min_age: int = 63072000


PROFILES = (
    Profile("modern", ("TLSv1.3",), _TLS13, _CURVES, ("ECDSA",), ("secp256r1", "secp384r1"),
            ("ECDSA sha256", "ECDSA sha384", "ECDSA sha512"), None, None, 90),
    Profile("intermediate", ("TLSv1.2", "TLSv1.3"), _TLS13 + _INTERMEDIATE, _CURVES, ("ECDSA", "RSA"),
            ("secp256r1", "secp384r1"), ("RSA sha256", "ECDSA sha256", "ECDSA sha384", "ECDSA sha512"), 2048, 2048,
            366),
    Profile("old", ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), _TLS13 + _OLD, _CURVES, ("RSA",),
            ("secp256r1", "secp384r1"), ("RSA sha256",), 2048, 1024, 366),
)


@dataclass
class ProfileResult:
    profile: str
    compliant: bool
    deviations: list[str] = field(default_factory=list)


def check_profiles(facts: dict) -> list[ProfileResult]:
    """`facts`: protocols (list), suites (list of IANA names), groups (list), dh_bits (min or None),
    certificates (list of dicts with key_type, key_bits, curve, sig, days)."""
    return [_check(p, facts) for p in PROFILES]


def _check(p: Profile, facts: dict) -> ProfileResult:
    dev: list[str] = []
    for proto in facts["protocols"]:
        if proto not in p.versions:
            dev.append(f"protocol {proto} is not in the profile ({', '.join(p.versions)})")
    extra = [s for s in facts["suites"] if s not in p.suites]
    if extra:
        dev.append(f"{len(extra)} suite(s) outside the profile: {', '.join(extra[:6])}{' ...' if len(extra) > 6 else ''}")
    extra_groups = [g for g in facts["groups"] if g not in p.groups]
    if extra_groups:
        dev.append(f"groups outside the profile: {', '.join(extra_groups)}")
    if facts.get("dh_bits") and p.dh_param_size and facts["dh_bits"] < p.dh_param_size:
        dev.append(f"DH parameters of {facts['dh_bits']} bits, below the profile's {p.dh_param_size}")
    if facts.get("dh_bits") and p.dh_param_size is None:
        dev.append("DHE suites are accepted; the profile has none")
    for cert in facts["certificates"]:
        kind = cert["key_type"]
        if kind not in p.cert_types:
            dev.append(f"a {kind} certificate; the profile wants {' or '.join(p.cert_types)}")
        if kind == "ECDSA" and cert.get("curve") not in p.cert_curves:
            dev.append(f"certificate curve {cert.get('curve')} is not in the profile")
        if kind == "RSA" and p.rsa_key_size and cert["key_bits"] < p.rsa_key_size:
            dev.append(f"RSA key of {cert['key_bits']} bits, below the profile's {p.rsa_key_size}")
        signature = f"{cert.get('sig_key')} {cert.get('sig')}"
        if signature not in p.cert_signatures and kind in p.cert_types:
            dev.append(f"certificate signed with {signature}, not one of the profile's signatures")
        if cert.get("days") and cert["days"] > p.max_cert_days:
            dev.append(f"certificate lifetime of {cert['days']} days is over the profile's {p.max_cert_days}")
    return ProfileResult(p.name, not dev, dev)


def cert_facts(cert) -> dict:
    """The profile-relevant facts of one certificate (cryptography x509)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = cert.public_key()
    kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "ECDSA" if isinstance(key, ec.EllipticCurvePublicKey) else type(key).__name__
    from port443.pki.keys import signature_hash_name, signature_name

    issuer_key = "ECDSA" if "ecdsa" in signature_name(cert).lower() else "RSA"
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1)
    return {"key_type": kind, "key_bits": key.key_size if hasattr(key, "key_size") else 0,
            "curve": key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None,
            "sig": signature_hash_name(cert) or "none", "sig_key": issuer_key, "days": round(days)}
