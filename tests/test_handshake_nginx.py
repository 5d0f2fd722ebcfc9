"""`port443 handshake` against nginx from Debian on loopback (issue 5, acceptance 1 and 4).

nginx is configured for one TLS 1.3 suite, one TLS 1.2 suite and two
groups; the trace must show exactly those. docs/handshake.md holds a real
trace against this same configuration: the last test reruns it and checks
that the documented steps, directions and fields are what the tool prints.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from handshake_helpers import TLS13_ORDER, assert_order, fields, handshake, handshake_json, titles
from nginx_server import nginx_server

pytestmark = pytest.mark.interop

DOC = Path(__file__).parents[1] / "docs" / "handshake.md"
# The TLS part of the server block, as docs/handshake.md shows it.
NGINX_TLS = ("ssl_protocols TLSv1.3 TLSv1.2; ssl_ecdh_curve X25519:prime256v1; "
             "ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384; ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;")


@pytest.fixture(scope="module")
def nginx(test_pki, tmp_path_factory):
    directory = tmp_path_factory.mktemp("nginx")
    with nginx_server(directory, test_pki.chain_file("ecdsa-p256"), test_pki.key_file("ecdsa-p256"), NGINX_TLS) as port:
        yield port


def test_tls13_against_nginx(nginx, test_pki):
    code, doc = handshake_json(f"https://localhost:{nginx}/", "--cafile", test_pki.cafile, "--resume")
    first, second = doc["connections"]
    assert code == 0 and doc["verdict"]["outcome"] == "secure"
    negotiated = first["negotiated"]
    assert (negotiated["version"], negotiated["cipher_suite"], negotiated["group"]) == (
        "TLSv1.3", "TLS_AES_256_GCM_SHA384", "x25519")
    assert negotiated["alpn"] == "http/1.1"
    assert [c["subject"] for c in first["certificates"]] == ["CN=localhost", "CN=port443 test intermediate,O=port443"]
    assert first["http"]["status"] == 200 and dict(first["http"]["headers"])["Server"].startswith("nginx/")
    assert_order(titles(doc), TLS13_ORDER)
    assert second["negotiated"]["resumed"] is True and "Certificate" not in titles(doc, 1)


def test_tls12_and_the_second_group_against_nginx(nginx, test_pki):
    code, doc = handshake_json(f"localhost:{nginx}", "--cafile", test_pki.cafile, "--tls1.2", "--group",
                               "secp256r1")
    negotiated = doc["connections"][0]["negotiated"]
    assert code == 0
    assert (negotiated["version"], negotiated["cipher_suite"], negotiated["group"]) == (
        "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "secp256r1")
    assert fields(doc, "Key exchange")["kind"] == "ECDHE share"


def test_http2_when_nginx_chooses_h2(nginx, test_pki):
    code, doc = handshake_json(f"localhost:{nginx}", "--cafile", test_pki.cafile, "--alpn", "h2,http/1.1",
                               "--method", "head", "--path", "/index.html")
    http = doc["connections"][0]["http"]
    assert code == 0 and doc["connections"][0]["negotiated"]["alpn"] == "h2"
    assert (http["protocol"], http["method"], http["path"], http["status"]) == ("HTTP/2", "HEAD", "/index.html", 200)
    assert fields(doc, "HTTP request")[":method"] == "HEAD"


# ------------------------------------------------------------------ the documented trace is a real one
HEADER = re.compile(r"^\s*\d+\.\d\d ms\s+(client ──▶ server|client ◀── server|client|server)\s+(\S.*?)(?:  — .*)?$")
FIELD = re.compile(r"^ {13}(\S.*?)(?:  |$)")


def shape(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(direction, step, field names) of each step, in order: what must not change, unlike values and times."""
    out: list = []
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            out.append((header.group(1), header.group(2), []))
        elif out and FIELD.match(line) and not line.strip().startswith(("handshake:", "stopped:", "HTTP")):
            out[-1][2].append(FIELD.match(line).group(1))
    return [(d, s, tuple(names)) for d, s, names in out]


def documented_trace() -> tuple[str, str]:
    text = DOC.read_text()
    block = re.search(r"```text\n\$ (port443 handshake [^\n]+)\n(.*?)```", text, re.S)
    assert block, "docs/handshake.md has no ```text block starting with $ port443 handshake"
    return block.group(1), block.group(2)


def test_docs_hold_a_real_trace_against_nginx(nginx, test_pki):
    command, documented = documented_trace()
    assert "nginx" in DOC.read_text() and NGINX_TLS.split(";")[0] in DOC.read_text()
    args = command.split()[2:]
    target = re.sub(r"localhost:\d+", f"localhost:{nginx}", args[0])
    rest = [str(test_pki.cafile) if a == "ca.pem" else a for a in args[1:]]
    code, fresh = handshake(target, *rest)
    assert code == 0
    assert shape(fresh) == shape(documented)
    verdict = next(line for line in documented.splitlines() if line.startswith("Secure (the padlock)"))
    assert verdict.split(";")[0] in fresh  # version, suite and group as documented
    assert "Server          nginx/" in documented
