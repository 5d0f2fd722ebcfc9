"""The diagnoses the badssl-style set does not reach, and the codes' documentation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from port443.pki.codes import CODES
from port443.pki.issue import generate_key, issue_leaf, make_ca
from port443.pki.trust import TrustStore
from port443.pki.verify import verify_server_chain

NOW = dt.datetime.now(dt.timezone.utc)
DAY = dt.timedelta(days=1)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "certificates.md"


def _codes(chain, store_roots, name="localhost"):
    result = verify_server_chain(chain, name, TrustStore(list(store_roots)), NOW)
    return result, [d.code for d in result.diagnoses]


def test_a_good_chain_has_no_findings():
    root = make_ca()
    inter = make_ca("inter", issuer=root)
    result, codes = _codes(issue_leaf(inter, ["localhost"]).chain, [root.certificate])
    assert result.trusted and codes == []


def test_expiring_within_30_days_is_a_warning_with_dates():
    root = make_ca()
    result, codes = _codes(issue_leaf(root, ["localhost"], not_before=NOW - 80 * DAY, days=90).chain,
                           [root.certificate])
    assert result.trusted and codes == ["expiring-soon"]
    finding = result.diagnoses[0]
    assert finding.severity == "warning" and "in 9 days" in finding.message
    assert (NOW + 10 * DAY - dt.timedelta(hours=1)).strftime("%Y-%m-%d") in finding.message


def test_not_yet_valid_intermediate_and_root():
    root = make_ca(not_before=NOW + 5 * DAY)
    inter = make_ca("inter", issuer=root, not_before=NOW + 5 * DAY)
    _, codes = _codes(issue_leaf(inter, ["localhost"]).chain, [root.certificate])
    assert sorted(codes) == ["intermediate-not-yet-valid", "root-not-yet-valid"]


def test_extra_and_duplicated_certificates():
    root, stranger = make_ca(), make_ca("stranger")
    inter = make_ca("inter", issuer=root)
    chain = issue_leaf(inter, ["localhost"]).chain
    result, codes = _codes(chain + (stranger.certificate, chain[1]), [root.certificate])
    assert result.trusted and codes == ["chain-extra"]
    assert "'stranger', 'inter'" in result.diagnoses[0].message


def test_sending_the_root_too_is_not_flagged():
    root = make_ca()
    inter = make_ca("inter", issuer=root)
    result, codes = _codes(issue_leaf(inter, ["localhost"]).chain + (root.certificate,), [root.certificate])
    assert result.trusted and codes == []


def test_ip_sans_are_reported_as_info():
    root = make_ca()
    result, codes = _codes(issue_leaf(root, ["localhost", "127.0.0.1"]).chain, [root.certificate], "127.0.0.1")
    assert result.trusted and codes == ["ip-san"]
    assert result.diagnoses[0].severity == "info" and "127.0.0.1" in result.diagnoses[0].message


def test_a_ca_certificate_as_leaf_is_wrong_key_usage():
    root = make_ca()
    inter = make_ca("localhost", issuer=root)  # a CA certificate served as if it were the server's
    _, codes = _codes(inter.chain, [root.certificate])
    assert "wrong-key-usage" in codes


def test_an_intermediate_that_is_not_a_ca():
    root = make_ca()
    not_ca = issue_leaf(root, ["not-a-ca.example"])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    key = generate_key()
    leaf = (x509.CertificateBuilder().subject_name(name).issuer_name(not_ca.certificate.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY).not_valid_after(NOW + 30 * DAY + DAY)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(not_ca.key, hashes.SHA256()))
    result, codes = _codes((leaf, not_ca.certificate), [root.certificate])
    assert not result.trusted and codes == ["wrong-key-usage"]
    assert "not a CA certificate" in result.diagnoses[0].message


def test_an_unexplained_failure_still_gets_a_code():
    root = make_ca()
    leaf = issue_leaf(root, ["localhost"])
    other_key_same_name = make_ca(root.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    # Signed by a different key under the same name: the signature does not verify.
    forged = issue_leaf(other_key_same_name, ["localhost"], key=leaf.key)
    result, codes = _codes(forged.chain, [root.certificate])
    assert not result.trusted and codes == ["chain-invalid"]
    assert "did not sign it" in result.diagnoses[0].message


def test_every_code_is_documented_with_its_fix():
    text = DOCS.read_text()
    for code, (severity, meaning, fix) in CODES.items():
        assert f"`{code}`" in text, code
        assert severity in ("error", "warning", "info")
        assert meaning and fix
