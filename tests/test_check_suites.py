"""port443 check, protocols and suites: bundled enumeration against openssl s_server configured by the test.

Every server here is configured with exact protocols and suites; the audit must
report exactly those, in the server's order when it enforces one.
"""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives import serialization

from peers import openssl_server
from port443.audit.hellos import PROTOCOLS, HelloOptions, client_hello, sslv2_client_hello
from port443.audit.answers import Answer
from port443.audit.prober import Prober, Target
from port443.audit.suite_registry import BY_CODE, BY_NAME, SUITES, suite_name, suites_for
from port443.audit.suites import enumerate_protocol

pytestmark = pytest.mark.interop


def enumerate_all(port: int):
    async def run():
        prober = Prober(Target("localhost", "127.0.0.1", port, "localhost"))
        results = await asyncio.gather(*(enumerate_protocol(prober, p, HelloOptions(server_name="localhost"))
                                         for p in PROTOCOLS))
        return {r.protocol: r for r in results}, prober.connections
    return asyncio.run(run())


def test_registry_has_the_iana_and_legacy_suites():
    assert len(SUITES) == 370
    assert BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"].code == 0xC02F
    s = BY_CODE[0x000A]
    assert (s.block64, s.cbc, s.forward_secret, s.aead) == (True, True, False, False)
    assert BY_CODE[0x0003].export_rsa and BY_CODE[0x0014].export_dh
    assert BY_CODE[0x0018].anonymous and BY_CODE[0x0018].rc4
    assert BY_CODE[0x1301].tls13 and BY_CODE[0x1301].forward_secret
    assert suite_name(0x5600) == "TLS_FALLBACK_SCSV" and suite_name(0xABCD) == "0xABCD"
    assert len(suites_for("SSLv2")) == 13 and len(suites_for("TLSv1.3")) == 5
    assert not any(s.first_protocol == "TLSv1.2" for s in suites_for("TLSv1.1"))


def test_hellos_carry_the_protocol_in_record_and_legacy_version():
    tls10 = client_hello("TLSv1", [0x002F], HelloOptions())
    assert tls10[:3] == b"\x16\x03\x01" and tls10[9:11] == b"\x03\x01"
    ssl3 = client_hello("SSLv3", [0x002F], HelloOptions(extensions=False))
    assert ssl3[:3] == b"\x16\x03\x00" and ssl3[9:11] == b"\x03\x00"
    v2 = sslv2_client_hello([0x010080, 0x0700C0])
    assert v2[0] & 0x80 and v2[2] == 1 and v2[3:5] == b"\x00\x02"
    mid = client_hello("TLSv1.2", list(range(1, 60)), HelloOptions())  # would be 256..511 bytes unpadded
    assert len(mid) - 5 >= 0x200


def test_exact_protocols_and_suites_in_server_order(test_pki):
    tls12 = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA:DHE-RSA-AES128-GCM-SHA256"
    args = test_pki.openssl_cert_args("rsa2048") + [
        "-min_protocol", "TLSv1.2", "-max_protocol", "TLSv1.3", "-cipher", tls12,
        "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384", "-serverpref"]
    with openssl_server(args) as (_, port, _):
        results, connections = enumerate_all(port)
    supported = [p for p in PROTOCOLS if results[p].supported]
    assert supported == ["TLSv1.2", "TLSv1.3"]
    assert [a.suite.name for a in results["TLSv1.2"].accepted] == [
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]
    assert results["TLSv1.2"].preference == "server"
    assert [a.suite.name for a in results["TLSv1.3"].accepted] == [
        "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"]
    kx = {a.suite.name: a.kx.label() for a in results["TLSv1.2"].accepted}
    assert kx["TLS_RSA_WITH_AES_128_CBC_SHA"] == "RSA 2048 bits"
    assert kx["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"].startswith("DHE 2048 bits")
    assert kx["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"].startswith("ECDHE x25519")
    for p in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1"):
        assert not results[p].accepted, p
    # (accepted + 1) per protocol, one preference hello each for 1.2 and 1.3, one per absent protocol, and two
    # bundles of at most 128 suites for SSLv3, which OpenSSL refuses with handshake_failure, not protocol_version
    assert connections == (4 + 1 + 1) + (2 + 1 + 1) + 4 + 2


def test_client_preference_and_old_protocols(test_pki):
    args = test_pki.openssl_cert_args("ecdsa-p256") + [
        "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2",
        "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0"]
    with openssl_server(args) as (_, port, _):
        results, _ = enumerate_all(port)
    assert [p for p in PROTOCOLS if results[p].supported] == ["TLSv1", "TLSv1.1", "TLSv1.2"]
    assert [a.suite.name for a in results["TLSv1"].accepted] == [
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"]
    assert len(results["TLSv1.2"].accepted) == 3
    assert results["TLSv1.2"].preference == "client"
    assert "TLSv1.2" in results["TLSv1.1"].detail or "alert" in results["TLSv1.3"].detail


def test_answer_parser_survives_garbage():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=600), st.integers(1, 50))
    def feed(data, step):
        a = Answer()
        for i in range(0, len(data), step):
            a.feed(data[i:i + step])
        a.server_hello, a.finished, a.describe()
    feed()


def test_a_server_intolerant_of_long_hellos_is_enumerated_in_bundles(test_pki):
    from cryptography.hazmat.primitives.serialization import Encoding

    from hello_emulator import Script, emulator

    chain = [c.public_bytes(Encoding.DER) for c in test_pki.leaf("rsa2048").chain]
    script = Script(chain=chain, versions=("TLSv1.2",), suites=(0xC030, 0x009C, 0xCCA8), max_suites=150)
    with emulator(script) as port:
        results, _ = enumerate_all(port)
    r = results["TLSv1.2"]
    assert r.supported and "at most 128 suites" in r.detail
    assert [a.suite.name for a in r.accepted] == ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                                  "TLS_RSA_WITH_AES_128_GCM_SHA256",
                                                  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]
    assert r.preference == "server" and "cannot connect" in r.anomalies[0]


def test_forward_secrecy_as_modern_clients_get_it():
    from port443.audit.report import modern_clients_get_forward_secrecy
    from port443.audit.suites import Accepted, ProtocolResult

    def protos(order: str, codes: list[int], tls13: bool = False) -> dict:
        out = {p: ProtocolResult(p, False, "") for p in PROTOCOLS}
        out["TLSv1.2"] = ProtocolResult("TLSv1.2", True, "", [Accepted(BY_CODE[c]) for c in codes], order)
        if tls13:
            out["TLSv1.3"] = ProtocolResult("TLSv1.3", True, "", [Accepted(BY_CODE[0x1301])])
        return out
    rsa_first = [0x009C, 0xC02F]
    assert modern_clients_get_forward_secrecy(protos("client", rsa_first))  # the browser picks ECDHE
    assert not modern_clients_get_forward_secrecy(protos("server", rsa_first))  # the server imposes RSA
    assert modern_clients_get_forward_secrecy(protos("server", rsa_first, tls13=True))
    assert not modern_clients_get_forward_secrecy(protos("client", [0x009C, 0x002F]))


def test_key_exchange_reader_never_raises():
    from hypothesis import given, settings, strategies as st

    from port443.audit.kx import read_key_exchange
    from port443.tls.messages import frame

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=300), st.sampled_from(["ECDHE", "DHE", "RSA", "ECDH", "PSK"]), st.booleans(),
           st.binary(max_size=100))
    def read(body, kind, tls12, cert):
        a = Answer()
        a.feed(b"\x16\x03\x03" + len(frame(12, body) + frame(11, cert)).to_bytes(2, "big") + frame(12, body)
               + frame(11, cert))
        params = read_key_exchange(a, kind, tls12)
        assert params is None or params.bits >= 0
    read()


def test_profile_facts_of_a_certificate_with_an_unknown_signature_algorithm():
    """A signature OID cryptography does not know must not abort the Mozilla profile check."""
    from cryptography import x509

    from port443.audit.mozilla import cert_facts
    from port443.pki.issue import issue_leaf, make_ca

    der = issue_leaf(make_ca(), ["localhost"]).certificate.public_bytes(serialization.Encoding.DER)
    ecdsa_sha256 = bytes.fromhex("06082a8648ce3d040302")  # OID 1.2.840.10045.4.3.2
    odd = bytes.fromhex("06082a8648ce3d04037f")  # 1.2.840.10045.4.3.127: nobody's algorithm
    cert = x509.load_der_x509_certificate(der.replace(ecdsa_sha256, odd))
    facts = cert_facts(cert)
    assert facts["sig"] == "none" and facts["key_type"] == "ECDSA"
