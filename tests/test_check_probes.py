"""The probes' positive cases against openssl s_server: client-initiated renegotiation allowed, OCSP stapled."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from peers import openssl_server
from port443.audit import features as F, vulns as V
from port443.audit.hellos import HelloOptions
from port443.audit.prober import Limits, Prober, Target

pytestmark = pytest.mark.interop
ONE = Limits(read_timeout=2, host_connections=1)  # s_server serves one connection at a time


def prober(port: int) -> Prober:
    return Prober(Target("localhost", "127.0.0.1", port, "localhost"), ONE)


@pytest.mark.parametrize("flag, expected", [("-client_renegotiation", "vulnerable"), (None, "not vulnerable")])
def test_client_initiated_renegotiation(test_pki, flag, expected):
    args = test_pki.openssl_cert_args("ecdsa-p256") + ["-tls1_2"] + ([flag] if flag else [])
    with openssl_server(args) as (_, port, _):
        finding = asyncio.run(V.client_renegotiation(prober(port), "localhost", True))
    assert (finding.status, finding.how) == (expected, "probe"), finding.reason


def test_ocsp_staple_is_seen(test_pki, tmp_path):
    leaf = test_pki.leaf("ecdsa-p256")
    now = dt.datetime.now(dt.timezone.utc)
    response = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.certificate, issuer=test_pki.intermediate.certificate, algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now, next_update=now + dt.timedelta(days=1),
        revocation_time=None, revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, test_pki.intermediate.certificate).sign(
        test_pki.intermediate.key, hashes.SHA256())
    path = tmp_path / "ocsp.der"
    path.write_bytes(response.public_bytes(serialization.Encoding.DER))
    args = test_pki.openssl_cert_args("ecdsa-p256") + ["-tls1_2", "-status_file", str(path)]

    async def run(port):
        out = F.Features()
        await F.tls12_extensions(prober(port), "TLSv1.2", HelloOptions(server_name="localhost"), [0xC02B], [], out)
        return out
    with openssl_server(args) as (_, port, _):
        stapled = asyncio.run(run(port))
    with openssl_server(test_pki.openssl_cert_args("ecdsa-p256") + ["-tls1_2"]) as (_, port, _):
        plain = asyncio.run(run(port))
    assert stapled.ocsp_stapling is True and stapled.extensions["status_request"] is True
    assert plain.ocsp_stapling is False and plain.extensions["status_request"] is False


@pytest.mark.parametrize("early", [True, False])
def test_zero_rtt_offer_in_the_tls13_ticket(test_pki, early):
    from port443.audit.check import CheckOptions, run_check

    args = test_pki.openssl_cert_args("ecdsa-p256") + ["-tls1_3"] + (["-early_data"] if early else [])
    with openssl_server(args) as (_, port, _):  # not an HTTP server (-early_data excludes -www): GET / times out
        r = run_check("127.0.0.1", port, CheckOptions(limits=Limits(read_timeout=1, host_connections=1),
                                                      http_port=None, server_name="localhost",
                                                      cafile=str(test_pki.cafile)))[0]
    finding = r["vulnerabilities"]["zero_rtt"]
    assert (finding["status"], finding["how"]) == ("vulnerable" if early else "not vulnerable", "probe"), finding
    assert r["features"]["resumption"]["ticket_tls13"] is True
    assert (r["features"]["early_data_max"] > 0) == early
