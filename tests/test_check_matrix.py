"""Ground truth for `port443 check`: servers configured by the test, reported exactly as configured.

openssl s_server and nginx for what OpenSSL 3 serves; the scripted emulator
(tests/hello_emulator.py) for SSLv2, SSLv3, export, RC4, NULL and the classic
flaws; our own engine for the legacy RSA profile (ROBOT must say not vulnerable).
Each report must name exactly the protocols, suites, groups and certificate
diagnoses configured, and the expected grade.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from engine_servers import engine_servers
from hello_emulator import OAKLEY_1024, Script, emulator
from nginx_server import nginx_server
from peers import openssl_server
from pki_factory import BADSSL_SET, build_fixtures
from port443.audit import vulns as V
from port443.audit.check import CheckOptions, run_check
from port443.audit.hellos import HelloOptions
from port443.audit.prober import Limits, Prober, Target
from port443.pki.trust import TrustStore

pytestmark = pytest.mark.interop
FAST = Limits(connect_timeout=3, read_timeout=2, host_budget=30)


def check(port: int, **kw) -> dict:
    opts = CheckOptions(limits=kw.pop("limits", FAST), http_port=kw.pop("http_port", None), server_name="localhost", **kw)
    return run_check("127.0.0.1", port, opts)[0]


def protocols(r: dict) -> list[str]:
    return [p for p, v in r["protocols"].items() if v["supported"]]


def suites(r: dict, proto: str) -> list[str]:
    return [a["name"] for a in r["suites"][proto]["accepted"]]


def status(r: dict) -> dict[str, str]:
    return {k: v["status"] for k, v in r["vulnerabilities"].items()}


def der_chain(issued) -> list[bytes]:
    return [c.public_bytes(Encoding.DER) for c in issued.chain]


# --- the legacy box: everything OpenSSL 3 refuses to serve ---------------------------------------

LEGACY_SUITES = (0x0005, 0x0003, 0x000A, 0x002F, 0x0014, 0x0002, 0x0034, 0xC013)


@pytest.fixture(scope="module")
def legacy_report(test_pki):
    leaf = test_pki.leaf("rsa2048")
    script = Script(chain=der_chain(leaf), key=leaf.key, versions=("SSLv2", "SSLv3", "TLSv1"),
                    suites=LEGACY_SUITES, sslv2_kinds=(0x010080, 0x0700C0, 0x020080), renegotiation_info=False,
                    compression=True, heartbeat=True, heartbleed=True, ccs_injection=True, rsa_oracle=True,
                    dh_prime=OAKLEY_1024)
    with emulator(script) as port:
        return check(port, cafile=str(test_pki.cafile))


def test_legacy_protocols_and_suites_exactly(legacy_report):
    r = legacy_report
    assert protocols(r) == ["SSLv2", "SSLv3", "TLSv1"]
    assert suites(r, "SSLv2") == ["SSL_CK_RC4_128_WITH_MD5", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
                                  "SSL_CK_RC4_128_EXPORT40_WITH_MD5"]
    expected = ["TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
                "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "TLS_RSA_WITH_NULL_SHA",
                "TLS_DH_anon_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]
    assert suites(r, "SSLv3") == expected and suites(r, "TLSv1") == expected
    assert r["suites"]["TLSv1"]["preference"] == "server"
    kx = {a["name"]: a["key_exchange"] for a in r["suites"]["TLSv1"]["accepted"]}
    assert kx["TLS_RSA_EXPORT_WITH_RC4_40_MD5"] == {"kind": "RSA-export", "group": None, "bits": 512}
    assert kx["TLS_DH_anon_WITH_AES_128_CBC_SHA"]["bits"] == 1024
    assert r["groups"]["TLSv1.2"] == ["x25519", "secp256r1"]
    assert r["protocols"]["TLSv1.2"]["detail"] == "answered with TLSv1 instead"


def test_legacy_flaws_found_by_probe_and_inference(legacy_report):
    s = status(legacy_report)
    for name in ("heartbleed", "ccs_injection", "robot", "secure_renegotiation", "crime", "poodle", "beast",
                 "sweet32", "freak", "logjam", "drown", "rc4", "null", "anonymous"):
        assert s[name] == "vulnerable", name
    v = legacy_report["vulnerabilities"]
    assert v["heartbleed"]["how"] == "probe" and "16387 bytes" in v["heartbleed"]["reason"]
    assert v["robot"]["reason"].startswith("strong Bleichenbacher oracle")
    assert s["fallback_scsv"] == "not vulnerable"  # SSLv3 + SCSV refused by this one
    assert s["zero_rtt"] == "not applicable" and s["ticketbleed"] == "not applicable"


def test_legacy_grade_is_f_with_every_cap(legacy_report):
    g = legacy_report["grade"]
    assert g["grade"] == "F"
    reasons = " | ".join(c["reason"] for c in g["caps"])
    for word in ("SSLv2", "export", "heartbleed", "robot", "anonymous", "NULL", "POODLE", "CRIME", "RC4"):
        assert word in reasons, word
    cert, = legacy_report["certificates"]
    assert cert["trusted"] and cert["key"] == "RSA 2048" and "SSLv2 RSA suites" in cert["seen_in"]


# --- the classic flaws fixed: probes must say not vulnerable ---------------------------------------

def test_fixed_flaws_by_probe(test_pki):
    leaf = test_pki.leaf("rsa2048")
    script = Script(chain=der_chain(leaf), key=leaf.key, versions=("TLSv1.1", "TLSv1.2"), suites=(0x009C, 0x002F),
                    heartbeat=True, fallback_scsv=False)

    async def run(port):
        p = Prober(Target("localhost", "127.0.0.1", port, "localhost"), FAST)
        h = HelloOptions(server_name="localhost")
        return await asyncio.gather(V.heartbleed(p, "TLSv1.2", [0x009C], h), V.ccs_injection(p, "TLSv1.2", [0x9C], h),
                                    V.robot(p, "TLSv1.2", [0x009C], h), V.fallback_scsv(p, "TLSv1.1", [0x2F], h),
                                    V.ticketbleed(p, b"a ticket", [0x9C], h))
    with emulator(script) as port:
        hb, ccs, robot, scsv, tb = asyncio.run(run(port))
    assert (hb.status, hb.how) == ("not vulnerable", "probe")
    assert (ccs.status, robot.status) == ("not vulnerable", "not vulnerable")
    assert scsv.status == "vulnerable"  # the scripted server ignores TLS_FALLBACK_SCSV
    assert tb.status == "not vulnerable"
    with emulator(Script(chain=der_chain(leaf), suites=(0x009C,), ticketbleed=True)) as port:
        tb = asyncio.run(run(port))[4]
    assert tb.status == "vulnerable" and "32 bytes" in tb.reason


def test_tls13_hybrid_and_ffdhe_groups_by_hello_retry(test_pki):
    script = Script(chain=der_chain(test_pki.leaf("ecdsa-p256")), versions=("TLSv1.3",), tls13_suites=(0x1302, 0x1303),
                    tls13_groups=(0x11EC, 29, 257))
    with emulator(script) as port:
        r = check(port, cafile=str(test_pki.cafile))
    assert protocols(r) == ["TLSv1.3"]
    assert suites(r, "TLSv1.3") == ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    assert r["groups"]["TLSv1.3"] == ["X25519MLKEM768", "x25519", "ffdhe3072"]
    assert r["certificates"] == [] and r["grade"]["grade"] == "T"  # it never completes a handshake: no chain


# --- our own engine, legacy profile (RSA key transport): ROBOT must be clean -----------------------

def test_our_legacy_rsa_profile_is_not_a_robot_oracle():
    from port443.pki.issue import issue_leaf
    from tls_pairs import pki, server_config

    ca, _, _ = pki()
    leaf = issue_leaf(ca, ["localhost"], key_type="rsa2048")
    config = server_config(certificate_chain=list(leaf.chain), private_key=leaf.key, versions=("TLSv1.2", "TLSv1.3"),
                           cipher_suites=("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                          "TLS_RSA_WITH_AES_128_GCM_SHA256"), legacy_rsa_key_exchange=True)
    with engine_servers(config) as [(_, port)]:
        r = check(port, trust_store=TrustStore([ca.certificate]))
    assert protocols(r) == ["TLSv1.2", "TLSv1.3"]
    assert suites(r, "TLSv1.2") == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"]
    assert suites(r, "TLSv1.3") == ["TLS_AES_128_GCM_SHA256"]
    assert r["vulnerabilities"]["robot"]["status"] == "not vulnerable"
    assert r["vulnerabilities"]["robot"]["how"] == "probe"
    from port443.tls.enums import NamedGroup
    from port443.tls.kex import DEFAULT_GROUPS
    configured = [NamedGroup(g).name for g in DEFAULT_GROUPS]  # the server's groups, in its order
    assert r["groups"]["TLSv1.3"] == configured
    assert r["groups"]["TLSv1.2"] == [g for g in configured if "MLKEM" not in g]
    assert r["features"]["resumption"] == {"session_id": True, "ticket_tls12": True, "ticket_tls13": True}
    assert r["grade"]["grade"] == "A"  # RSA key transport accepted, but ECDHE is what every client gets
    assert r["grade"]["caps"] == []


# --- nginx: a modern site with HSTS and a port-80 redirect -------------------------------------------

@pytest.fixture
def redirect_server():
    """Plain HTTP on 127.0.0.1 answering every request with a 301 to https://localhost/."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://localhost/\r\n"
                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        sock.close()


NGINX_MODERN = ("ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on; "
                "ssl_ciphers ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256; "
                "ssl_ecdh_curve X25519:prime256v1; "
                "add_header Strict-Transport-Security 'max-age=63072000; includeSubDomains; preload' always;")


def test_nginx_modern_site_is_a_plus(test_pki, tmp_path, redirect_server):
    with nginx_server(tmp_path, test_pki.chain_file("ecdsa-p256"), test_pki.key_file("ecdsa-p256"), NGINX_MODERN) as port:
        r = check(port, cafile=str(test_pki.cafile), http_port=redirect_server)
    assert protocols(r) == ["TLSv1.2", "TLSv1.3"]
    assert suites(r, "TLSv1.2") == ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
    assert r["suites"]["TLSv1.2"]["preference"] == "server"
    assert set(suites(r, "TLSv1.3")) == {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                         "TLS_CHACHA20_POLY1305_SHA256"}
    assert set(r["groups"]["TLSv1.3"]) == {"x25519", "secp256r1"} == set(r["groups"]["TLSv1.2"])
    cert, = r["certificates"]
    assert cert["trusted"] and cert["key"] == "ECDSA secp256r1 256"
    assert {d["code"] for d in cert["diagnoses"]} == {"ip-san"}
    assert r["http"]["hsts"]["max_age"] == 63072000 and r["http"]["hsts"]["preload"]
    assert r["http"]["port80"]["redirect"] == "https"
    assert r["features"]["alpn"] == ["h2", "http/1.1"]
    assert r["grade"]["grade"] == "A+" and r["grade"]["caps"] == []
    intermediate = next(p for p in r["mozilla"]["profiles"] if p["profile"] == "intermediate")
    assert intermediate["deviations"] == ["certificate lifetime of 397 days is over the profile's 366"]
    assert all(v["status"] in ("not vulnerable", "not applicable") for v in r["vulnerabilities"].values())


# --- openssl s_server: an old RSA configuration ------------------------------------------------------

def test_openssl_old_rsa_configuration_is_b(test_pki):
    """Debian's OpenSSL 3 has no 3DES at all: SWEET32 is the emulator's to show (above)."""
    args = test_pki.openssl_cert_args("rsa2048") + [
        "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-no_ticket", "-serverpref", "-groups", "X25519:P-384",
        "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:CAMELLIA128-SHA:@SECLEVEL=0"]
    with openssl_server(args) as (_, port, _):
        r = check(port, cafile=str(test_pki.cafile), limits=Limits(read_timeout=2, host_connections=1))
    assert protocols(r) == ["TLSv1", "TLSv1.1", "TLSv1.2"]
    assert suites(r, "TLSv1") == ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"]
    assert suites(r, "TLSv1.2") == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA",
                                    "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"]
    s = status(r)
    assert (s["sweet32"], s["beast"], s["robot"], s["fallback_scsv"]) == (
        "not vulnerable", "vulnerable", "not vulnerable", "not vulnerable")
    assert r["features"]["resumption"]["ticket_tls12"] is False
    assert set(r["groups"]["TLSv1.2"]) == {"x25519", "secp384r1"}
    assert r["grade"]["grade"] == "B"
    assert [c["reason"] for c in r["grade"]["caps"]] == ["TLS 1.0 or 1.1 is accepted (capped at B since January 2020)"]


def test_openssl_tls13_groups(test_pki):
    args = test_pki.openssl_cert_args("ecdsa-p256") + ["-tls1_3", "-groups", "P-521:X25519:ffdhe3072"]
    with openssl_server(args) as (_, port, _):
        r = check(port, cafile=str(test_pki.cafile), limits=Limits(read_timeout=2, host_connections=1))
    assert protocols(r) == ["TLSv1.3"]
    assert set(r["groups"]["TLSv1.3"]) == {"secp521r1", "x25519", "ffdhe3072"}
    assert r["signature_algorithms"]["TLSv1.3"] == ["ecdsa_secp256r1_sha256"]
    assert r["grade"]["grade"] == "A" and r["grade"]["caps"] == []


# --- every certificate diagnosis, served by the emulator -----------------------------------------------

def test_certificate_diagnoses_of_the_badssl_set(tmp_path):
    fixtures = build_fixtures()
    store = TrustStore(list(fixtures.roots))
    for name in BADSSL_SET:
        f = fixtures.fixtures[name]
        suite = 0xC02F if "RSA" in type(f.key).__name__ else 0xC02B
        script = Script(chain=[c.public_bytes(Encoding.DER) for c in f.chain], suites=(suite,))
        with emulator(script) as port:
            opts = CheckOptions(limits=FAST, http_port=None, server_name=f.host, trust_store=store)
            r = run_check("127.0.0.1", port, opts)[0]
        cert, = r["certificates"]
        codes = {d["code"] for d in cert["diagnoses"] if d["severity"] != "info"}
        assert codes == set(f.codes), name
        assert cert["trusted"] == f.trusted, name
        assert (r["grade"]["grade"] in ("T", "M")) == (not f.trusted), name


def test_nginx_with_rsa_and_ecdsa_certificates_shows_both_chains(test_pki, tmp_path):
    extra = (f"ssl_certificate {test_pki.chain_file('rsa2048')}; ssl_certificate_key {test_pki.key_file('rsa2048')}; "
             "ssl_protocols TLSv1.2 TLSv1.3;")
    with nginx_server(tmp_path, test_pki.chain_file("ecdsa-p256"), test_pki.key_file("ecdsa-p256"), extra) as port:
        r = check(port, cafile=str(test_pki.cafile))
    keys = sorted(c["key"] for c in r["certificates"])
    assert keys == ["ECDSA secp256r1 256", "RSA 2048"]
    seen = {c["key"]: c["seen_in"] for c in r["certificates"]}
    assert "TLSv1.3 RSA" in seen["RSA 2048"] and "TLSv1.2 RSA suites" in seen["RSA 2048"]
    assert "TLSv1.3 ECDSA" in seen["ECDSA secp256r1 256"]
    assert all(c["trusted"] for c in r["certificates"])
    auths = {a["auth"] for a in r["suites"]["TLSv1.2"]["accepted"]}
    assert auths == {"RSA", "ECDSA"}


def test_html_report_of_the_legacy_box_says_what_to_fix(legacy_report):
    from port443.cli.check_html import html_report

    page = html_report([legacy_report])
    fixes = page.split("<h3>What to fix</h3>", 1)[1].split("</ol>", 1)[0]
    assert "heartbleed" in fixes and "SSLv2" in fixes and "RC4" in fixes
    assert fixes.lower().count("poodle") == 1  # a capped finding is listed once, with its cap
