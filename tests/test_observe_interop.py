"""Acceptance 1, real clients: our JA3/JA3S/JA4 against tshark's, on captures of loopback traffic.

Each client (openssl s_client with TLS 1.3 and 1.2, curl, headless Chromium,
and port443's own client) talks to `openssl s_server -www` on 127.0.0.1 while
tshark captures only that port on `lo`. Then tshark dissects the capture and
`port443.observe` analyses the same file:

- JA3 and JA3S: tshark's own `tls.handshake.ja3_full`/`ja3` and `ja3s_full`/`ja3s`.
- JA4: Debian 12's tshark (4.0) has no JA4 field, so the JA4_r string is
  assembled from tshark's own dissection of the hello (cipher suites,
  extension types, signature algorithms, ALPN, supported_versions) following
  FoxIO's JA4.md, and hashed here; when the installed tshark does have
  `tls.handshake.ja4`, it is compared as well.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from loopback_capture import loopback_capture, tshark_fields, tshark_hellos
from peers import LOOPBACK, TIMEOUT, openssl_server
from port443.net.stream import TLSStream
from port443.observe.analyze import analyze_capture
from port443.tls import ClientConfig, ClientConnection

pytestmark = pytest.mark.interop


def chromium(port: int, tmp) -> list[str]:
    return ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp}", "--dump-dom", f"https://localhost:{port}/"]


def port443_client(port: int, pki) -> None:
    import socket

    config = ClientConfig(server_name="localhost", cafile=str(pki.cafile), alpn_protocols=("h2", "http/1.1"))
    with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT) as sock:
        stream = TLSStream(sock, ClientConnection(config))
        stream.do_handshake()
        stream.sendall(b"GET / HTTP/1.0\r\n\r\n")
        stream.recv_until_closed()
        stream.close()


CLIENTS = {
    "openssl-tls13": lambda port, tmp, pki: ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}",
                                             "-servername", "localhost", "-alpn", "h2,http/1.1"],
    "openssl-tls12": lambda port, tmp, pki: ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}",
                                             "-servername", "localhost", "-tls1_2"],
    "curl": lambda port, tmp, pki: ["curl", "-sk", "--max-time", "20", f"https://localhost:{port}/"],
    "chromium": lambda port, tmp, pki: chromium(port, tmp),
    "port443": None,
}


@pytest.fixture(scope="module")
def server(test_pki):
    with openssl_server(test_pki.openssl_cert_args("ecdsa-p256") + ["-www"]) as (_, port, _lines):
        yield port


@pytest.fixture(scope="module", params=list(CLIENTS))
def captured(request, server, test_pki, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    path = tmp / "capture.pcapng"
    with loopback_capture(server, path) as cap:
        if request.param == "port443":
            port443_client(server, test_pki)
        else:
            cmd = CLIENTS[request.param](server, tmp / "profile", test_pki)
            subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=90, check=True)
        cap.wait_until_complete(1)
    report = analyze_capture(path)
    rows = tshark_hellos(path)
    flows = [f for f in report.flows if f.tls and f.handshake.client_hello_raw]
    assert flows, f"{request.param}: no TLS connection in the capture"
    return request.param, report, flows, rows


def _rows(rows, kind: str, port: int) -> list[dict]:
    key = "tcp.srcport" if kind == "1" else "tcp.dstport"
    return [r for r in rows if kind in r["tls.handshake.type"] and r[key] == [str(port)]]


def test_ja3_equals_tsharks(captured):
    name, report, flows, rows = captured
    for flow in flows:
        (row,) = _rows(rows, "1", flow.client.port)
        assert flow.handshake.ja3 == row["tls.handshake.ja3_full"][0], name
        assert flow.handshake.ja3_md5 == row["tls.handshake.ja3"][0], name


def test_ja3s_equals_tsharks(captured):
    name, report, flows, rows = captured
    for flow in flows:
        (row,) = _rows(rows, "2", flow.client.port)
        assert flow.handshake.ja3s == row["tls.handshake.ja3s_full"][0], name
        assert flow.handshake.ja3s_md5 == row["tls.handshake.ja3s"][0], name


def _grease(v: int) -> bool:
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def ja4_from_tshark(row: dict) -> tuple[str, str]:
    """(JA4, JA4_r) assembled per JA4.md from tshark's dissection of the ClientHello."""
    ciphers = [int(x, 16) for x in row["tls.handshake.ciphersuite"] if not _grease(int(x, 16))]
    exts = [int(x) for x in row["tls.handshake.extension.type"] if not _grease(int(x))]
    sigs = [x[2:] for x in row["tls.handshake.sig_hash_alg"] if not _grease(int(x, 16))]
    versions = [int(x, 16) for x in row["tls.handshake.extensions.supported_version"] if not _grease(int(x, 16))]
    version = max(versions) if versions else int(row["tls.handshake.version"][0], 16)
    alpn = row["tls.handshake.extensions_alpn_str"]
    a = ("t" + {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10"}[version] + ("d" if 0 in exts else "i")
         + f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}" + (alpn[0][0] + alpn[0][-1] if alpn else "00"))
    b = ",".join(sorted(f"{c:04x}" for c in ciphers))
    c = ",".join(sorted(f"{e:04x}" for e in exts if e not in (0, 16))) + ("_" + ",".join(sigs) if sigs else "")

    def h(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    return f"{a}_{h(b)}_{h(c)}", f"{a}_{b}_{c}"


def test_ja4_equals_one_built_from_tsharks_dissection(captured):
    name, report, flows, rows = captured
    for flow in flows:
        (row,) = _rows(rows, "1", flow.client.port)
        ja4, ja4_r = ja4_from_tshark(row)
        assert flow.handshake.ja4_r == ja4_r, name
        assert flow.handshake.ja4 == ja4, name
        if "tls.handshake.ja4" in tshark_fields():
            assert flow.handshake.ja4 == row["tls.handshake.ja4"][0], name


def test_clear_text_facts_equal_tsharks(captured):
    name, report, flows, rows = captured
    for flow in flows:
        (hello,) = _rows(rows, "1", flow.client.port)
        assert [flow.handshake.sni] == hello["tls.handshake.extensions_server_name"]
        assert flow.handshake.alpn_offered == hello["tls.handshake.extensions_alpn_str"]
        assert flow.handshake.ech == ("65037" in hello["tls.handshake.extension.type"])
    sites = report.sites()
    assert [s.name for s in sites] == ["localhost"] and sites[0].connections == len(flows)


def test_what_each_client_reveals(captured, test_pki):
    """Per client, the facts the guide promises an observer: name, version, and for TLS 1.2 the certificate."""
    from cryptography.hazmat.primitives import hashes

    name, report, flows, rows = captured
    flow = flows[0]
    hs = flow.handshake
    assert hs.sni == "localhost" and flow.server.ip == "127.0.0.1"
    assert flow.c2s.stream_bytes > 0 and flow.s2c.stream_bytes > 0
    if name == "openssl-tls12":
        assert hs.version == "TLSv1.2" and hs.certificate["subject"] == "CN=localhost"
        leaf = test_pki.leaf("ecdsa-p256").certificate
        assert hs.certificate["sha256"] == leaf.fingerprint(hashes.SHA256()).hex(":").upper()
        assert hs.chain_length == 2
    else:
        assert hs.version == "TLSv1.3" and hs.certificate is None and hs.alpn == "encrypted (TLS 1.3)"
    if name == "chromium":
        assert hs.ech  # Chromium always sends an ECH extension (GREASE without a config)
        assert len({f.handshake.ja4 for f in flows}) == 1  # JA4 survives Chromium's extension shuffling
