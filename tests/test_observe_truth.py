"""Acceptance 2: N known requests through `port443 serve`, captured; the report must equal the truth.

`port443 serve` (our engine) serves two site names from one certificate on
127.0.0.1. Our client makes N connections, each with a known SNI, TLS
version and file, and counts every byte it writes and reads on the socket
(reading to TCP EOF, so what it read is exactly what the server sent). tshark
captures the port on `lo`. The report of the capture must give exactly N
connections, each connection's SNI, and each direction's byte count; the
per-site totals must add up; and the live view of each connection
(`observe_connection` on the counted bytes) must agree with the captured view.
Last, serve's built-in page (which calls port443.observe.fingerprint) must
show curl the JA3/JA4 that the capture of that visit gives.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from loopback_capture import loopback_capture, stop_process
from peers import LOOPBACK, TIMEOUT, Lines, write_pem
from port443.cli.observe import observe
from port443.net.stream import TLSStream
from port443.observe.analyze import analyze_capture
from port443.observe.live import observe_connection
from port443.pki.issue import issue_leaf
from port443.tls import ClientConfig, ClientConnection

pytestmark = pytest.mark.interop

FILES = {"small.txt": 1000, "big.bin": 200_000, "empty.txt": 0, "mid.bin": 17_000}
PLAN = [  # (SNI, TLS version, path)
    ("alpha.localhost", "TLSv1.3", "/small.txt"),
    ("beta.localhost", "TLSv1.2", "/big.bin"),
    ("alpha.localhost", "TLSv1.2", "/empty.txt"),
    ("alpha.localhost", "TLSv1.3", "/big.bin"),
    ("beta.localhost", "TLSv1.3", "/mid.bin"),
    ("alpha.localhost", "TLSv1.3", "/missing.txt"),
]


class CountingSocket:
    """A socket that keeps every byte written and read, with when (for observe_connection's timing)."""

    def __init__(self, sock: socket.socket, t0: float) -> None:
        self._sock, self._t0 = sock, t0
        self.sent, self.received = bytearray(), bytearray()
        self.timing: list[tuple[float, str, int]] = []

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        self.timing.append((time.monotonic() - self._t0, "c2s", len(data)))
        self.sent += data
        self._sock.sendall(data)

    def recv(self, n: int) -> bytes:
        data = self._sock.recv(n)
        if data:
            self.timing.append((time.monotonic() - self._t0, "s2c", len(data)))
            self.received += data
        return data


def fetch(port: int, sni: str, version: str, path: str, cafile: str) -> CountingSocket:
    config = ClientConfig(server_name=sni, cafile=cafile, versions=(version,), alpn_protocols=("http/1.1",))
    with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT) as raw:
        sock = CountingSocket(raw, time.monotonic())
        stream = TLSStream(sock, ClientConnection(config))
        stream.do_handshake()
        stream.sendall(f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        response = stream.recv_until_closed()
        assert response.startswith(b"HTTP/1.1 ")
        while sock.recv(65536):  # to TCP EOF: everything the server sent is counted
            pass
        stream.close()  # our close_notify (counted too)
    return sock


@contextlib.contextmanager
def port443_serve(chain, key, *extra):
    """`port443 serve` (our engine) on 127.0.0.1, any free port; yields the port, stops it with SIGTERM."""
    cmd = [sys.executable, "-m", "port443", "serve", "--cert", str(chain), "--key", str(key), "--host", LOOPBACK,
           "--port", "0", "--http-port", "none", "--access-log", "off", "--engine", "native", *extra]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(proc.stdout)
    try:
        yield int(lines.wait_for(r"serving https://127\.0\.0\.1:(\d+)/").group(1))
    finally:
        stop_process(proc, lines, signal.SIGTERM)


@pytest.fixture(scope="module")
def site_cert(tmp_path_factory, test_pki):
    tmp = tmp_path_factory.mktemp("sites")
    return write_pem(issue_leaf(test_pki.intermediate, ["alpha.localhost", "beta.localhost"]), tmp, "sites")


@pytest.fixture(scope="module")
def served(tmp_path_factory, test_pki, site_cert):
    """The plan run through `port443 serve --root` under capture; yields (capture path, sockets)."""
    tmp = tmp_path_factory.mktemp("serve")
    root = tmp / "root"
    root.mkdir()
    for name, size in FILES.items():
        (root / name).write_bytes(bytes(size))
    with port443_serve(*site_cert, "--root", str(root)) as port:
        path = tmp / "served.pcapng"
        with loopback_capture(port, path) as cap:
            sockets = [fetch(port, sni, version, file, str(test_pki.cafile)) for sni, version, file in PLAN]
            cap.wait_until_complete(len(PLAN))
    return path, sockets


def test_connection_count_sni_and_bytes_equal_the_truth(served):
    path, sockets = served
    report = analyze_capture(path)
    assert not report.partial and report.notes == []
    assert len(report.flows) == len(PLAN) and all(f.tls for f in report.flows)
    for flow, (sni, version, _), sock in zip(report.flows, PLAN, sockets):
        assert flow.handshake.sni == sni
        assert flow.handshake.version == version
        assert flow.c2s.stream_bytes == len(sock.sent) and flow.c2s.captured_bytes == len(sock.sent)
        assert flow.s2c.stream_bytes == len(sock.received) and flow.s2c.captured_bytes == len(sock.received)
        assert flow.c2s.lost_bytes == flow.s2c.lost_bytes == 0
        assert flow.c2s.record_bytes == len(sock.sent) and flow.s2c.record_bytes == len(sock.received)
    sites = {s.name: s for s in report.sites()}
    assert set(sites) == {"alpha.localhost", "beta.localhost"}
    for name, site in sites.items():
        mine = [s for (sni, _, _), s in zip(PLAN, sockets) if sni == name]
        assert site.connections == len(mine)
        assert site.client_to_server_bytes == sum(len(s.sent) for s in mine)
        assert site.server_to_client_bytes == sum(len(s.received) for s in mine)


def test_the_response_sizes_show_through_the_encryption(served):
    """The guide's 'data size': the big file is visible as ~200 kB of application data."""
    path, sockets = served
    report = analyze_capture(path)
    big = [f for f, (_, _, file) in zip(report.flows, PLAN) if file == "/big.bin"]
    small = [f for f, (_, _, file) in zip(report.flows, PLAN) if file == "/empty.txt"]
    assert all(f.s2c.application_data_bytes > FILES["big.bin"] for f in big)
    assert all(f.s2c.application_data_bytes < 2000 for f in small)


def test_the_cli_report_says_the_same(served):
    path, sockets = served
    result = CliRunner().invoke(observe, ["--pcap", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["connections"] == doc["tls_connections"] == len(PLAN)
    assert [f["sni"] for f in doc["flows"]] == [sni for sni, _, _ in PLAN]
    assert sum(f["client_to_server"]["stream_bytes"] for f in doc["flows"]) == sum(len(s.sent) for s in sockets)
    assert sum(f["server_to_client"]["stream_bytes"] for f in doc["flows"]) == sum(len(s.received) for s in sockets)
    assert {s["name"]: s["connections"] for s in doc["sites"]} == {"alpha.localhost": 4, "beta.localhost": 2}


def test_live_view_of_each_connection_equals_the_captured_view(served):
    path, sockets = served
    report = analyze_capture(path)
    for flow, sock in zip(report.flows, sockets):
        live = observe_connection(bytes(sock.sent), bytes(sock.received), sock.timing,
                                  client=(flow.client.ip, flow.client.port), server=(flow.server.ip, flow.server.port))
        for attr in ("sni", "version", "cipher_suite", "group", "alpn", "ja3", "ja3s", "ja4", "ja4s", "certificate"):
            assert getattr(live.handshake, attr) == getattr(flow.handshake, attr), attr
        for a, b in ((live.c2s, flow.c2s), (live.s2c, flow.s2c)):
            assert a.stream_bytes == b.stream_bytes and a.application_data_bytes == b.application_data_bytes
            assert [(k, n) for _, k, n in a.records] == [(k, n) for _, k, n in b.records]
        assert live.c2s.wire_bytes is None and flow.c2s.wire_bytes > flow.c2s.stream_bytes


def test_serve_page_shows_the_visitor_the_fingerprints_an_observer_computes(tmp_path, test_pki, site_cert):
    """serve's built-in page uses port443.observe.fingerprint: curl's JA3/JA4 there equal the capture's."""
    with port443_serve(*site_cert) as port:
        with loopback_capture(port, tmp_path / "page.pcapng") as cap:
            out = subprocess.run(["curl", "-s", "--max-time", "20", "--cacert", str(test_pki.cafile), "--resolve",
                                  f"beta.localhost:{port}:{LOOPBACK}", f"https://beta.localhost:{port}/handshake.json"],
                                 capture_output=True, check=True, timeout=60).stdout
            cap.wait_until_complete(1)
    page = json.loads(out)
    (flow,) = [f for f in analyze_capture(tmp_path / "page.pcapng").flows if f.tls]
    assert flow.handshake.sni == page["connection"]["sni"] == "beta.localhost"
    assert page["fingerprints"] == {"JA3": flow.handshake.ja3_md5, "JA4": flow.handshake.ja4}
