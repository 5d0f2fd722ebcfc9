"""Every certificate chain the server presents, and the certificate layer's diagnoses for each.

Chains come from the TLS 1.2-and-below flights the suite enumeration already read
(one per kind of key the suites needed), and, for TLS 1.3, from engine handshakes
restricted to ECDSA, RSA or EdDSA signature schemes so that a server with several
certificates shows each. Validation and diagnoses are `port443.pki`'s, against
Mozilla's store unless --cafile names another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from port443.audit.kx import key_description, load_der
from port443.audit.prober import Prober
from port443.pki.checks import display_name
from port443.pki.trust import TrustStore
from port443.pki.verify import verify_server_chain
from port443.tls import ClientConfig
from port443.tls.enums import SignatureScheme as SS

SCHEME_FAMILIES = {
    "ECDSA": (SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384, SS.ecdsa_secp521r1_sha512),
    "RSA": (SS.rsa_pss_rsae_sha256, SS.rsa_pss_rsae_sha384, SS.rsa_pss_rsae_sha512, SS.rsa_pss_pss_sha256,
            SS.rsa_pss_pss_sha384, SS.rsa_pss_pss_sha512),
    "EdDSA": (SS.ed25519, SS.ed448),
}


@dataclass
class ChainReport:
    key: str  # "RSA 2048", "ECDSA secp256r1 256"
    key_type: str
    key_bits: int
    subject: str
    issuer: str
    not_before: str
    not_after: str
    signature_algorithm: str
    sha256: str
    chain_length: int
    trusted: bool
    reason: str
    diagnoses: list[dict] = field(default_factory=list)
    seen_in: list[str] = field(default_factory=list)  # "TLSv1.2 RSA suites", "TLSv1.3 ECDSA"
    der_chain: list[bytes] = field(default_factory=list, repr=False)


async def tls13_chains(prober: Prober, server_name: str | None) -> dict[str, list[bytes]]:
    """One engine handshake per signature family; the chain each time (a server may have one per key type)."""
    found: dict[str, list[bytes]] = {}
    for family, schemes in SCHEME_FAMILIES.items():
        config = ClientConfig(server_name=server_name, verify=False, versions=("TLSv1.3",),
                              signature_algorithms=schemes)
        run = await prober.handshake(config)
        done = run.complete
        if done is not None and done.peer_certificates:
            found[family] = [c.public_bytes(Encoding.DER) for c in done.peer_certificates]
    return found


def review_chains(chains: list[tuple[str, list[bytes]]], server_name: str, store: TrustStore,
                  now: dt.datetime | None = None) -> list[ChainReport]:
    """One report per distinct leaf, with where it was seen; the longest chain sent with that leaf is
    judged (an SSLv2 SERVER-HELLO carries the leaf alone)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    by_leaf: dict[bytes, tuple[list[bytes], list[str]]] = {}
    for where, ders in chains:
        if not ders:
            continue
        best, seen = by_leaf.setdefault(ders[0], (ders, []))
        if len(ders) > len(best):
            by_leaf[ders[0]] = (ders, seen)
        if where not in seen:
            seen.append(where)
    reports = []
    for ders, seen in by_leaf.values():
        certs = [c for c in (load_der(d) for d in ders) if c is not None]
        if certs:
            report = _report(certs, ders, server_name, store, now, seen[0])
            report.seen_in = seen
            reports.append(report)
    return reports


def _report(certs: list[x509.Certificate], ders: list[bytes], server_name: str, store: TrustStore,
            now: dt.datetime, where: str) -> ChainReport:
    leaf = certs[0]
    verification = verify_server_chain(certs, server_name, store, now)
    kind, bits = key_description(leaf)
    try:
        sig = leaf.signature_hash_algorithm
        sig_name = f"{sig.name if sig else 'none'} with {leaf.signature_algorithm_oid._name}"
    except Exception:  # an unknown algorithm: cryptography raises UnsupportedAlgorithm
        sig_name = leaf.signature_algorithm_oid.dotted_string
    return ChainReport(
        key=f"{kind} {bits}", key_type=kind.split()[0], key_bits=bits,
        subject=display_name(leaf), issuer=leaf.issuer.rfc4514_string(),
        not_before=leaf.not_valid_before_utc.isoformat(), not_after=leaf.not_valid_after_utc.isoformat(),
        signature_algorithm=sig_name, sha256=leaf.fingerprint(hashes.SHA256()).hex(), chain_length=len(certs),
        trusted=verification.trusted, reason=verification.reason,
        diagnoses=[{"code": d.code, "severity": d.severity, "message": d.message, "fix": d.fix}
                   for d in verification.diagnoses],
        seen_in=[where], der_chain=list(ders),
    )
