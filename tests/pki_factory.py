"""The badssl.com-style set of broken chains, built locally with `cryptography`.

Each fixture is a chain as a server would present it (leaf first), the leaf's
key, the host name a client would check, and the diagnosis codes it must
yield: exactly those, no more and no fewer. `trusted` is what path
validation (ours, and `openssl verify`) must conclude.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from port443.pki.files import pem_chain, pem_private_key
from port443.pki.issue import Issued, generate_key, issue_leaf, make_ca

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Fixture:
    name: str
    chain: tuple[x509.Certificate, ...]  # as presented, leaf first
    key: object
    host: str
    codes: frozenset[str]
    trusted: bool

    def write(self, directory: Path) -> dict[str, Path]:
        """leaf.pem, key.pem, rest.pem (the certificates after the leaf; absent when none)."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {"leaf": directory / "leaf.pem", "key": directory / "key.pem", "chain": directory / "chain.pem"}
        paths["leaf"].write_bytes(pem_chain(self.chain[:1]))
        paths["key"].write_bytes(pem_private_key(self.key))
        paths["chain"].write_bytes(pem_chain(self.chain))
        if len(self.chain) > 1:
            paths["rest"] = directory / "rest.pem"
            paths["rest"].write_bytes(pem_chain(self.chain[1:]))
        return paths


def resign_with_sha1(cert: x509.Certificate, issuer: Issued) -> x509.Certificate:
    """`cert` (signed sha256WithRSAEncryption by `issuer`) signed again with SHA-1.

    cryptography (rightly) refuses to build SHA-1 certificates, so this swaps
    the algorithm OID, which has the same length (1.2.840.113549.1.1.11 ->
    .1.1.5), in the TBS and in the outer AlgorithmIdentifier, and signs the new
    TBS with cryptography's RSA PKCS#1 v1.5 over SHA-1. Sizes are unchanged,
    so no DER length moves.
    """
    assert isinstance(issuer.key, rsa.RSAPrivateKey)
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")
    sha1_rsa = bytes.fromhex("06092a864886f70d010105")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(sha256_rsa) == 2 and der.endswith(cert.signature)
    tbs = cert.tbs_certificate_bytes.replace(sha256_rsa, sha1_rsa)
    signature = issuer.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    assert len(signature) == len(cert.signature)
    rebuilt = x509.load_der_x509_certificate(der.replace(sha256_rsa, sha1_rsa)[:-len(signature)] + signature)
    issuer.certificate.public_key().verify(rebuilt.signature, rebuilt.tbs_certificate_bytes, padding.PKCS1v15(),
                                           hashes.SHA1())
    return rebuilt


@dataclass(frozen=True)
class FixtureSet:
    roots: tuple[x509.Certificate, ...]  # what the clients trust
    fixtures: dict[str, Fixture]

    def write_roots(self, path: Path) -> Path:
        path.write_bytes(pem_chain(self.roots))
        return path


def build_fixtures(now: dt.datetime | None = None) -> FixtureSet:
    now = now or dt.datetime.now(dt.timezone.utc)
    root = make_ca("Fixture Root")
    inter = make_ca("Fixture Intermediate", issuer=root)
    expired_root = make_ca("Expired Root", not_before=now - 4000 * DAY, days=3000)
    untrusted_root = make_ca("Untrusted Root")
    fixtures: list[Fixture] = []

    def add(name, issued, codes, *, host="localhost", chain=None, trusted=False):
        fixtures.append(Fixture(name, tuple(chain or issued.chain), issued.key, host, frozenset(codes), trusted))

    add("expired-leaf", issue_leaf(inter, ["localhost"], not_before=now - 400 * DAY, days=300), {"leaf-expired"})
    add("not-yet-valid-leaf", issue_leaf(inter, ["localhost"], not_before=now + 10 * DAY, days=300),
        {"leaf-not-yet-valid"})
    old_inter = make_ca("Expired Intermediate", issuer=root, not_before=now - 400 * DAY, days=300)
    add("expired-intermediate", issue_leaf(old_inter, ["localhost"]), {"intermediate-expired"})
    add("expired-root", issue_leaf(make_ca("Intermediate of Expired Root", issuer=expired_root), ["localhost"]),
        {"root-expired"})
    add("wrong-host", issue_leaf(inter, ["example.test"]), {"hostname-mismatch"})
    add("wildcard-vs-apex", issue_leaf(inter, ["*.example.test"]), {"hostname-mismatch"}, host="example.test")
    add("wildcard-vs-two-labels", issue_leaf(inter, ["*.example.test"]), {"hostname-mismatch"},
        host="a.b.example.test")
    add("self-signed", issue_leaf(None, ["localhost"]), {"self-signed"})
    add("untrusted-root", issue_leaf(make_ca("Untrusted Intermediate", issuer=untrusted_root), ["localhost"]),
        {"untrusted-root"})
    incomplete = issue_leaf(inter, ["localhost"], ca_issuers_url="http://ca.example.test/intermediate.crt")
    add("incomplete-chain", incomplete, {"missing-intermediate"}, chain=incomplete.chain[:1])
    upper = make_ca("Upper Intermediate", issuer=root)
    lower = make_ca("Lower Intermediate", issuer=upper)
    two_step = issue_leaf(lower, ["localhost"])
    assert two_step.chain[1:] == (lower.certificate, upper.certificate)
    add("reversed-chain", two_step, {"chain-order"}, chain=(two_step.certificate, upper.certificate,
                                                           lower.certificate), trusted=True)
    add("rsa-1024", issue_leaf(inter, ["localhost"], key_type="rsa1024"), {"weak-key"})
    rsa_inter = make_ca("RSA Intermediate", issuer=root, key=generate_key("rsa2048"))
    modern = issue_leaf(rsa_inter, ["localhost"])
    add("sha1-signed", modern, {"weak-signature"},
        chain=(resign_with_sha1(modern.certificate, rsa_inter), rsa_inter.certificate))
    add("no-san", issue_leaf(inter, ["localhost"], with_san=False, common_name="no-san.example.test"), {"no-san"})
    add("client-eku-only", issue_leaf(inter, ["localhost"], server=False, client=True), {"wrong-eku"})
    add("825-day-validity", issue_leaf(inter, ["localhost"], days=825), {"validity-too-long"}, trusted=True)
    return FixtureSet((root.certificate, expired_root.certificate), {f.name: f for f in fixtures})


BADSSL_SET = ("expired-leaf", "not-yet-valid-leaf", "expired-intermediate", "expired-root", "wrong-host",
              "wildcard-vs-apex", "wildcard-vs-two-labels", "self-signed", "untrusted-root", "incomplete-chain",
              "reversed-chain", "rsa-1024", "sha1-signed", "no-san", "client-eku-only", "825-day-validity")
