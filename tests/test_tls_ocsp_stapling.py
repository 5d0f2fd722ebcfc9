"""OCSP stapling: our client asks for it and reports the staple openssl s_server sends,
in TLS 1.3 (a CertificateEntry extension) and TLS 1.2 (a CertificateStatus message)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from peers import openssl_server
from port443.tls import CertificateStatusReceived
from test_interop_tls13 import client_config, connect_client

pytestmark = pytest.mark.interop


def ocsp_response(pki, key_type: str) -> bytes:
    """A 'good' OCSP response for the leaf, signed by its issuer (the intermediate)."""
    leaf, issuer = pki.leaf(key_type).certificate, pki.intermediate
    now = dt.datetime.now(dt.timezone.utc)
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf, issuer=issuer.certificate, algorithm=hashes.SHA256(), cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=now, next_update=now + dt.timedelta(days=1), revocation_time=None, revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_client_reports_the_stapled_ocsp_response(test_pki, tmp_path, version):
    response = ocsp_response(test_pki, "ecdsa-p256")
    status = tmp_path / "ocsp.der"
    status.write_bytes(response)
    flag = "-tls1_3" if version == "TLSv1.3" else "-tls1_2"
    args = [flag, "-rev", "-naccept", "2", "-status_file", str(status), *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        asked = connect_client(port, client_config(test_pki, versions=(version,), ocsp_stapling=True))
        asked.do_handshake()
        staples = [e.ocsp_response for e in asked.events if isinstance(e, CertificateStatusReceived)]
        asked.close()
        assert staples == [response]
        parsed = ocsp.load_der_ocsp_response(staples[0])
        assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD
        quiet = connect_client(port, client_config(test_pki, versions=(version,)))
        quiet.do_handshake()
        assert not any(isinstance(e, CertificateStatusReceived) for e in quiet.events)
        quiet.close()


def test_check_reports_tls13_stapling(test_pki, tmp_path):
    """`port443 check` sees the staple of a TLS 1.3-only server (no TLS 1.2 CertificateStatus to find)."""
    import asyncio

    from port443.audit.check import CheckOptions, check_host

    status = tmp_path / "ocsp.der"
    status.write_bytes(ocsp_response(test_pki, "ecdsa-p256"))
    args = ["-tls1_3", "-www", "-status_file", str(status), *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        (report,) = asyncio.run(check_host("127.0.0.1", port, CheckOptions(cafile=str(test_pki.cafile),
                                                                           http_port=None, server_name="localhost")))
    assert report["protocols"]["TLSv1.2"]["supported"] is False
    assert report["features"]["ocsp_stapling"] is True
